/* gantry version */
#include <stdio.h>

#include "tool.h"

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("gantry %s (library %s)\n", GT_VERSION_STRING, gt_version());
    return 0;
}
