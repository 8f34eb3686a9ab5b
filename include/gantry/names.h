/*
 * gantry/names.h - lists of names: channels, classes, recordings.
 *
 * Files keep them as comma lists ("normal,inner_race"); code as arrays of
 * malloc'd strings.  These convert between the two and look names up.
 */
#ifndef GANTRY_NAMES_H
#define GANTRY_NAMES_H

#include "gantry/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "a,b,c" into *n malloc'd names (an empty list is one empty name).
 * GT_OK or GT_ENOMEM (then *out is untouched). */
int gt_names_split(const char *list, char ***out, int *n);
/* The comma list of n names, malloc'd; NULL when out of memory. */
char *gt_names_join(char *const *v, int n);
/* Free n names and the array (v may be NULL). */
void gt_names_free(char **v, int n);
/* Index of name among v[0..n), or -1 (NULL entries never match). */
int gt_names_index(char *const *v, int n, const char *name);
/* Index of name among the items of a comma list, or -1 (NULL list or
 * name: -1). */
int gt_names_list_index(const char *list, const char *name);

#ifdef __cplusplus
}
#endif
#endif
