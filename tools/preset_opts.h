/* Command-line options that choose an architecture preset, shared by the
 * commands that build GANs. */
#ifndef GANTRY_PRESET_OPTS_H
#define GANTRY_PRESET_OPTS_H

#include <getopt.h>

#include "tool.h"

typedef struct preset_opts {
    const char *name; /* "dcgan" or "seed" */
    gt_preset_cfg cfg;
    int width_set, max_width_set;
} preset_opts;

#define PRESET_OPT_BASE 1000
/* getopt_long entries; include them in a command's option table. */
#define PRESET_LONG_OPTIONS                                   \
    {"preset", required_argument, NULL, PRESET_OPT_BASE + 0}, \
    {"dims", required_argument, NULL, PRESET_OPT_BASE + 1},   \
    {"size", required_argument, NULL, PRESET_OPT_BASE + 2},   \
    {"window", required_argument, NULL, PRESET_OPT_BASE + 2}, \
    {"channels", required_argument, NULL, PRESET_OPT_BASE + 3}, \
    {"nz", required_argument, NULL, PRESET_OPT_BASE + 4},     \
    {"width", required_argument, NULL, PRESET_OPT_BASE + 5},  \
    {"max-width", required_argument, NULL, PRESET_OPT_BASE + 6}, \
    {"classes", required_argument, NULL, PRESET_OPT_BASE + 7}, \
    {"sn", no_argument, NULL, PRESET_OPT_BASE + 8}

#define PRESET_HELP                                                              \
    "  --preset NAME     dcgan (default) or seed (the seed's Keras model)\n"     \
    "  --dims 1|2        1: sensor windows C x L (default), 2: images C x S x S\n" \
    "  --size N          window length or image side (--window is the same)\n"  \
    "  --channels C      channels per sample (default 1)\n"                     \
    "  --nz N            latent size (default 100)\n"                           \
    "  --width N         first discriminator width (1D 16, 2D 64)\n"           \
    "  --max-width N     widest layer (1D 256, 2D 512)\n"                       \
    "  --classes K       class-conditional with K classes\n"                   \
    "  --sn              spectral normalisation in D instead of batch norm\n"

void preset_opts_init(preset_opts *p, int dims, int size, int channels);
/* Handle option c (PRESET_OPT_BASE + k); returns 1 if it was a preset
 * option, 0 if not, -1 after a message for a bad value. */
int preset_opts_parse(preset_opts *p, int c, const char *arg);
/* Write the specs; returns 0 or 1 after a message. */
int preset_opts_specs(preset_opts *p, char *gspec, size_t gcap, char *dspec, size_t dcap);

#endif
