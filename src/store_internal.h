/* Internals shared by store.c and imgstore.c. */
#ifndef GANTRY_STORE_INTERNAL_H
#define GANTRY_STORE_INTERNAL_H

#include "gantry/h5.h"
#include "gantry/store.h"

/* The store's HDF5 file (being written, or opened for reading); owned by
 * the store. */
gt_h5 *gt__store_h5(gt_store *s);
/* 1 if the store is being written (gt_store_create), 0 if read. */
int gt__store_writing(const gt_store *s);

#endif
