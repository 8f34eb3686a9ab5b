/*
 * gantry/tmpfile.h - files written under a temporary name beside their
 * target and renamed into place, so that a failed or interrupted write
 * never leaves a partial file under the target's name (the library's
 * stores, models and PNGs; the tools' CSV and SVG outputs).
 */
#ifndef GANTRY_TMPFILE_H
#define GANTRY_TMPFILE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Create "<path>.tmp-XXXXXX" beside path (so that rename(2) is atomic) with
 * the permissions the target will have: an existing target's own, or 0666
 * less the umask.  Returns the open descriptor and sets *tmp (malloc'd);
 * -1 with errno set (and *tmp NULL) on failure. */
int gt_tmpfile_create(const char *path, char **tmp);

/* Flush tmp to disk, rename it onto path, then flush the directory (best
 * effort).  0, or -1 with errno set and *what ("flush" or "rename") saying
 * which step failed; tmp is left for the caller to remove. */
int gt_tmpfile_commit(const char *tmp, const char *path, const char **what);

#ifdef __cplusplus
}
#endif

#endif
