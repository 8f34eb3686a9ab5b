/* Shared between classifier.c and classifier_io.c. */
#ifndef GANTRY_CLASSIFIER_INTERNAL_H
#define GANTRY_CLASSIFIER_INTERNAL_H

#include "gantry/classifier.h"

/* The largest image side (window) of a 2D classifier. */
#define GT__CLF_MAX_SIDE 4096

/* The shortest window (1D) or image side (2D). */
int gt__classifier_min_window(int dims);

/* A classifier of configuration c (checked) with its names, statistics and
 * scratch, but no network yet (clf->model NULL). */
int gt__classifier_alloc(gt_classifier **out, const gt_classifier_cfg *c, char *const *classes,
                         char *const *channels, gt_error *err);

#endif
