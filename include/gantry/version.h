/* gantry/version.h - the library's version (semantic versioning). */
#ifndef GANTRY_VERSION_H
#define GANTRY_VERSION_H

#define GT_VERSION_MAJOR 0
#define GT_VERSION_MINOR 1
#define GT_VERSION_PATCH 0
#define GT_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* The version the library was built as (may differ from the header's). */
const char *gt_version(void);

#ifdef __cplusplus
}
#endif
#endif
