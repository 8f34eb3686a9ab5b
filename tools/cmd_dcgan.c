/* gantry dcgan: the image DCGAN: train, sample, score. */
#include <string.h>

#include "dcgan_tool.h"

static const char help[] =
    "usage: gantry dcgan train|sample|score ...\n"
    "\n"
    "  gantry dcgan train STORE.h5 -o MODEL.h5     a DCGAN on an image store\n"
    "  gantry dcgan sample MODEL.h5 -n 64 -o GRID.png | -o OUT.h5\n"
    "  gantry dcgan score MODEL.h5 STORE.h5 -o SCORES.csv\n"
    "\n"
    "Each takes --help.  Image stores come from gantry ingest on image folders.\n";

int cmd_dcgan(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "train"))
        return dcgan_train(argc - 1, argv + 1);
    if (!strcmp(argv[1], "sample"))
        return dcgan_sample(argc - 1, argv + 1);
    if (!strcmp(argv[1], "score"))
        return dcgan_score(argc - 1, argv + 1);
    tool_fail("unknown subcommand '%s': train, sample or score", argv[1]);
    return 2;
}
