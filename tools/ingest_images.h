/* gantry ingest's image mode (tools/ingest_images.c), called by
 * cmd_ingest.c when the inputs are image files or folders. */
#ifndef GANTRY_INGEST_IMAGES_H
#define GANTRY_INGEST_IMAGES_H

#include <stddef.h>

enum { IMG_CLASS_FOLDER, IMG_CLASS_PREFIX, IMG_CLASS_NONE };

typedef struct img_opts {
    int size;              /* S: 8..1024 */
    int tile;              /* --fit tile (else crop) */
    int channels;          /* 1 or 3; 0: 1 if every image is grey, else 3 */
    int class_from;        /* IMG_CLASS_* */
    const char *cls;       /* --class: every image's class, or NULL */
    const char *class_map; /* --class-map P=C,... (checked), or NULL */
    const char *masks;     /* --masks SUFFIX, or NULL */
    double scale;          /* --scale (tile): resize by this first; 0: no */
    int strict;            /* refuse bad files instead of skipping them */
    int progress;          /* -1 auto, 0 off, 1 on */
} img_opts;

/* 1 if path is a folder or names an image file (.png, .jpg, .jpeg). */
int ingest_is_image_input(const char *path);

/* Build the image set from inputs and write it as the store `out` (which
 * the caller has checked may be written).  Returns the exit status. */
int ingest_images(char *const *inputs, int n, const char *out, const img_opts *o);

/* --class-map P=C,...: the class C of the first item whose P begins name,
 * as a pointer into map with its length in *len; NULL when none matches.
 * (The items were checked to be P=C when the option was read.) */
const char *ingest_class_map(const char *map, const char *name, size_t *len);

#endif
