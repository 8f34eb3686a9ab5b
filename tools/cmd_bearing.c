/* gantry bearing: defect frequencies of a rolling-element bearing. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

static const char help[] =
    "usage: gantry bearing (--preset NAME | --elements N --element-diameter d\n"
    "                       --pitch-diameter D [--contact-angle DEG])\n"
    "                      (--rpm R | --shaft-hz F) [--harmonics K] [--json]\n"
    "\n"
    "Defect frequencies of a rolling-element bearing: FTF (cage), BPFO (outer\n"
    "race), BPFI (inner race), BSF (ball spin) and 2xBSF (a ball defect strikes\n"
    "both races), in Hz and as orders of the shaft speed, with harmonics.\n"
    "\n"
    "  --preset NAME          6205-2RS (CWRU drive end) or 6203-2RS (CWRU fan end)\n"
    "  --elements N           number of balls or rollers\n"
    "  --element-diameter d   ball diameter (any unit, the same as D)\n"
    "  --pitch-diameter D     pitch circle diameter\n"
    "  --contact-angle DEG    contact angle in degrees (default 0)\n"
    "  --rpm R | --shaft-hz F shaft speed\n"
    "  --harmonics K          list the first K harmonics (default 3)\n"
    "  --json                 machine-readable output\n"
    "\n"
    "example: gantry bearing --preset 6205-2RS --rpm 1797\n";

int cmd_bearing(int argc, char **argv)
{
    static const struct option opts[] = {
        {"preset", required_argument, NULL, 'p'},
        {"elements", required_argument, NULL, 'n'},
        {"element-diameter", required_argument, NULL, 'd'},
        {"pitch-diameter", required_argument, NULL, 'D'},
        {"contact-angle", required_argument, NULL, 'a'},
        {"rpm", required_argument, NULL, 'r'},
        {"shaft-hz", required_argument, NULL, 'f'},
        {"harmonics", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    gt_bearing b = {.name = "custom"};
    gt_error err = {0};
    float v, shaft = 0;
    int harmonics = 3, json = 0, have_preset = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (gt_bearing_preset(optarg, &b, &err) < 0)
                return tool_fail_err(&err), 2;
            have_preset = 1;
            break;
        case 'n': if (tool_int("--elements", optarg, 1, 10000, &b.elements)) return 2; break;
        case 'd': if (tool_float("--element-diameter", optarg, &v)) return 2; b.element_diam = v; break;
        case 'D': if (tool_float("--pitch-diameter", optarg, &v)) return 2; b.pitch_diam = v; break;
        case 'a': if (tool_float("--contact-angle", optarg, &v)) return 2; b.contact_deg = v; break;
        case 'r': if (tool_float("--rpm", optarg, &v)) return 2; shaft = v / 60.0f; break;
        case 'f': if (tool_float("--shaft-hz", optarg, &shaft)) return 2; break;
        case 'k': if (tool_int("--harmonics", optarg, 1, 100, &harmonics)) return 2; break;
        case 'j': json = 1; break;
        case 'h': fputs(help, stdout); return 0;
        default: fputs(help, stderr); return 2;
        }
    }
    if (optind < argc)
        return tool_fail("unexpected argument '%s'", argv[optind]), 2;
    if (!have_preset && b.elements == 0)
        return tool_fail("give --preset or the geometry (--elements, --element-diameter, "
                         "--pitch-diameter)"), 2;
    if (shaft == 0)
        return tool_fail("give the shaft speed: --rpm or --shaft-hz"), 2;
    gt_bearing_freqs f;
    if (gt_bearing_frequencies(&b, shaft, &f, &err) < 0)
        return tool_fail_err(&err), 2;
    const char *names[5] = {"FTF", "BPFO", "BPFI", "BSF", "2xBSF"};
    const double hz[5] = {f.ftf, f.bpfo, f.bpfi, f.bsf, 2 * f.bsf};
    if (json) {
        printf("{\"bearing\":\"%s\",\"shaft_hz\":%.6g", b.name, (double)shaft);
        for (int i = 0; i < 5; i++)
            printf(",\"%s\":%.6g", i == 4 ? "BSF2" : names[i], hz[i]);
        printf("}\n");
        return 0;
    }
    printf("bearing %s: %d elements, d %g, D %g, contact %g deg; shaft %.4g Hz (%.1f rpm)\n",
           b.name, b.elements, b.element_diam, b.pitch_diam, b.contact_deg, (double)shaft,
           shaft * 60.0);
    printf("  %-6s %9s %9s", "", "order", "Hz");
    for (int k = 2; k <= harmonics; k++)
        printf("  %7dx", k);
    printf("\n");
    for (int i = 0; i < 5; i++) {
        printf("  %-6s %9.4f %9.2f", names[i], hz[i] / shaft, hz[i]);
        for (int k = 2; k <= harmonics; k++)
            printf("  %8.2f", k * hz[i]);
        printf("\n");
    }
    return 0;
}
