/* The preset options shared by commands that build GANs. */
#include <string.h>

#include "preset_opts.h"

void preset_opts_init(preset_opts *p, int dims, int size, int channels)
{
    memset(p, 0, sizeof *p);
    p->name = "dcgan";
    p->cfg = gt_preset_default(dims, size, channels);
}

int preset_opts_parse(preset_opts *p, int c, const char *arg)
{
    gt_preset_cfg *g = &p->cfg;
    int v;
    switch (c - PRESET_OPT_BASE) {
    case 0:
        if (strcmp(arg, "dcgan") && strcmp(arg, "seed")) {
            tool_fail("--preset must be dcgan or seed, not '%s'", arg);
            return -1;
        }
        p->name = arg;
        return 1;
    case 1:
        if (tool_int("--dims", arg, 1, 2, &v))
            return -1;
        g->dims = v;
        if (!p->width_set)
            g->width = v == 2 ? 64 : 16;
        if (!p->max_width_set)
            g->max_width = v == 2 ? 512 : 256;
        return 1;
    case 2: return tool_int("--size", arg, 1, 1 << 20, &g->size) ? -1 : 1;
    case 3: return tool_int("--channels", arg, 1, 4096, &g->channels) ? -1 : 1;
    case 4: return tool_int("--nz", arg, 1, 1 << 16, &g->nz) ? -1 : 1;
    case 5:
        p->width_set = 1;
        return tool_int("--width", arg, 1, 1 << 16, &g->width) ? -1 : 1;
    case 6:
        p->max_width_set = 1;
        return tool_int("--max-width", arg, 1, 1 << 16, &g->max_width) ? -1 : 1;
    case 7: return tool_int("--classes", arg, 0, 1 << 16, &g->nclasses) ? -1 : 1;
    case 8: g->spectral = 1; return 1;
    default: return 0;
    }
}

int preset_opts_specs(preset_opts *p, char *gspec, size_t gcap, char *dspec, size_t dcap)
{
    gt_error err = {0};
    if (p->cfg.max_width < p->cfg.width)
        p->cfg.max_width = p->cfg.width;
    int rc = !strcmp(p->name, "seed")
                 ? gt_preset_seed(&p->cfg, gspec, gcap, dspec, dcap, &err)
                 : gt_preset_dcgan(&p->cfg, gspec, gcap, dspec, dcap, &err);
    return rc < 0 ? tool_fail_err(&err) : 0;
}
