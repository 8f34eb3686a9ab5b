/* What gantry dcgan train, sample and score share: choosing images of a
 * store, converting them for the networks, generating images and grids. */
#ifndef GANTRY_DCGAN_TOOL_H
#define GANTRY_DCGAN_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/image.h"
#include "gantry/imgstore.h"
#include "tool.h"

int dcgan_train(int argc, char **argv);
int dcgan_sample(int argc, char **argv);
int dcgan_score(int argc, char **argv);

/* Open a store and read its images (message and status 1 on failure, also
 * for a store without images). */
int images_open(const char *path, gt_imageset **out);

/* 1 after a message ("WHATSTORE has no class 'x' (it has a,b)") when an
 * item of the comma list classes is not a class of s; else 0. */
int images_check_classes(const gt_imageset *s, const char *store, const char *what,
                         const char *classes);

/* The index of class name in model t (loaded from mpath), or -1 after a
 * message naming the classes it knows (or that it is unconditional). */
int model_class(const gt_tsgan *t, const char *mpath, const char *name);

/* The images of s chosen by file (gt_imageset_select: span lo:hi of each
 * class's files, per_class of them from seed) and, when classes is not
 * NULL, of those classes only (a comma list of names; an unknown name is
 * refused with the known ones).  *idx is malloc'd.  Returns 0 or 1 after a
 * message. */
int images_choose(const gt_imageset *s, const char *store, double lo, double hi, int per_class,
                  uint64_t seed, const char *classes, size_t **idx, size_t *n);

/* The chosen images as floats in [-1, 1] (n, C, S, S); NULL when out of
 * memory. */
float *images_to_float(const gt_imageset *s, const size_t *idx, size_t n);

/* n images of class cls from t (in batches), drawn from rng, as 8-bit
 * pixels (n, C, S, S).  Returns a library code. */
int dcgan_generate(gt_tsgan *t, int cls, size_t n, gt_rng *rng, uint8_t *out);

/* A PNG grid of n images (C, S, S each) in cols columns, written under a
 * temporary name and renamed.  Returns 0 or 1 after a message. */
int write_grid(const uint8_t *pix, size_t n, int channels, int size, int cols, const char *path);

#endif
