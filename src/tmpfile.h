/* Internal: files written under a temporary name beside their target and
 * renamed into place (h5.c's stores and models, image.c's PNGs). */
#ifndef GANTRY_TMPFILE_H
#define GANTRY_TMPFILE_H

/* Create "<path>.tmp-XXXXXX" beside path (so that rename(2) is atomic) with
 * the permissions the target will have: an existing target's own, or 0666
 * less the umask.  Returns the open descriptor and sets *tmp (malloc'd);
 * -1 with errno set (and *tmp NULL) on failure. */
int gt__tmp_create(const char *path, char **tmp);

/* Flush tmp to disk, rename it onto path, then flush the directory (best
 * effort).  0, or -1 with errno set and *what ("flush" or "rename") saying
 * which step failed; tmp is left for the caller to remove. */
int gt__tmp_commit(const char *tmp, const char *path, const char **what);

#endif
