/*
 * gantry/imgstore.h - images in the HDF5 store (gantry/store.h): one set of
 * equally sized square images (or patches), uint8, with their classes,
 * original file names and optional pixel masks.
 *
 * Layout (beside /recordings/, in the same "gantry-store" file):
 *
 *   /images/                  attrs size (S), channels (C), fit ("crop" or
 *                             "tile"), classes (comma list, "" when none),
 *                             source (the folders ingested)
 *       pixels                uint8 [N, C, S, S]
 *       class                 int64 [N]: index into `classes`, -1 for none
 *       file                  int64 [N]: index into `files`
 *       files                 string [F]: original file names, relative to
 *                             the folder they were found in (as given)
 *       origin                int64 [N, 2]: x, y of the patch's top-left
 *                             corner in the (resized) source image; 0, 0
 *                             for crops
 *       masks                 uint8 [N, S, S], 0 or 1 (source masks
 *                             thresholded at > 127), present when masks were
 *                             given
 *
 * A patch or image is "defective" when its mask has any 1.  A store may hold
 * recordings, images, or both.
 */
#ifndef GANTRY_IMGSTORE_H
#define GANTRY_IMGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/common.h"
#include "gantry/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_imageset {
    size_t n;          /* images */
    int size;          /* S */
    int channels;      /* C: 1 or 3 */
    char fit[8];       /* "crop" or "tile" */
    uint8_t *pixels;   /* n * C * S * S */
    int *cls;          /* n: class index or -1 */
    int nclasses;
    char **classes;    /* nclasses names */
    int *file;         /* n: index into files */
    int nfiles;
    char **files;      /* nfiles names */
    int *origin;       /* 2 * n: x, y */
    uint8_t *masks;    /* n * S * S, or NULL */
    char *source;      /* "" when unknown */
} gt_imageset;

/* An empty set of images of size x size x channels (n = 0) to fill with
 * gt_imageset_append; fit "crop" or "tile"; source "" (malloc'd: replace
 * it with a malloc'd string).  NULL when out of memory or an argument is
 * invalid (size 1..65536, channels 1 or 3). */
gt_imageset *gt_imageset_new(int size, int channels, const char *fit);
void gt_imageset_free(gt_imageset *s); /* s may be NULL */
/* Index of a class name, adding it when new (or -1 for NULL/""; a value
 * below -1 when out of memory). */
int gt_imageset_class(gt_imageset *s, const char *name);
/* Index of a file name, adding it when new (GT_ENOMEM when out of
 * memory). */
int gt_imageset_file(gt_imageset *s, const char *name);
/* Append one image (C * S * S pixels, planar), its class index (or -1),
 * file index, origin, and mask (S * S 0/1 values, or NULL: all 0 when the
 * set has masks; the first non-NULL mask makes the set carry masks, the
 * images before it getting all-0 ones; non-zero mask values count as 1).
 * GT_EINVAL for a class or file index out of range.  Only for sets from
 * gt_imageset_new or gt_store_read_images (they keep the arrays' room). */
int gt_imageset_append(gt_imageset *s, const uint8_t *pixels, int cls, int file, int x, int y,
                       const uint8_t *mask, gt_error *err);
/* 1 if image i's mask has a defect pixel (0 without masks). */
int gt_imageset_defective(const gt_imageset *s, size_t i);

/*
 * Choose images by file, class by class, the same way for every tool (so
 * that `gantry dcgan train`, `gantry classify train` and `eval` agree on
 * what was held out): each class's files, in the set's order (ingest
 * sorts them by path), are numbered k = 0 .. m-1 and kept when
 * floor(lo * m) <= k < floor(hi * m) (lo = 0, hi = 1: all); then, when
 * per_class > 0, only per_class of the kept files of each class: the
 * first ones in a shuffle drawn from seed (seed 0: the first ones in
 * order).  Images without a class (-1) form one group of their own.  Every
 * image (patch) of a kept file is chosen.  *idx (malloc'd, ascending) gets
 * the chosen image indices, *n their count.  GT_EINVAL (message) when
 * 0 <= lo < hi <= 1 does not hold.
 */
int gt_imageset_select(const gt_imageset *s, double lo, double hi, int per_class, uint64_t seed,
                       size_t **idx, size_t *n, gt_error *err);

/* Write the set as /images/ of a store being written (once per store:
 * GT_EINVAL the second time; also for class or file indices out of range,
 * or a class name that is empty or holds a comma).  pixels and masks are
 * chunked and gzip-compressed (level 1).  A store with images and no
 * recordings commits. */
int gt_store_add_images(gt_store *st, const gt_imageset *s, gt_error *err);
/* 1 if the store holds images (being written: once they were added). */
int gt_store_has_images(gt_store *st);
/* Read /images/ (GT_EFORMAT with a message naming the store when there are
 * none, or when an array's shape disagrees with the others or with the
 * attributes, or a class or file index is out of range).  *out is NULL on
 * failure; free it with gt_imageset_free. */
int gt_store_read_images(gt_store *st, gt_imageset **out, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
