/* Files written under a temporary name and renamed into place. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gantry/tmpfile.h"

/* The process's umask, read without changing it (Linux); 022 otherwise. */
static mode_t current_umask(void)
{
    mode_t mask = 022;
    FILE *fp = fopen("/proc/self/status", "r");
    if (!fp)
        return mask;
    char line[256];
    while (fgets(line, sizeof line, fp)) {
        unsigned int u;
        if (sscanf(line, "Umask: %o", &u) == 1) {
            mask = (mode_t)(u & 0777);
            break;
        }
    }
    fclose(fp);
    return mask;
}

int gt_tmpfile_create(const char *path, char **tmp)
{
    static const char suffix[] = ".tmp-XXXXXX";
    size_t len = strlen(path);
    *tmp = malloc(len + sizeof suffix);
    if (!*tmp) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(*tmp, path, len);
    memcpy(*tmp + len, suffix, sizeof suffix);
    int fd = mkstemp(*tmp);
    if (fd < 0) {
        int e = errno;
        free(*tmp);
        *tmp = NULL;
        errno = e;
        return -1;
    }
    /* mkstemp makes it 0600; give it the target's permissions, or the
     * usual ones for a new file. */
    struct stat st;
    mode_t mode = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (st.st_mode & 07777)
                                                              : (0666 & ~current_umask());
    (void)fchmod(fd, mode);
    return fd;
}

/* Flush a file's data to disk; 0 or -1. */
static int sync_path(const char *path, int dir)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int gt_tmpfile_commit(const char *tmp, const char *path, const char **what)
{
    if (sync_path(tmp, 0) < 0) {
        *what = "flush";
        return -1;
    }
    if (rename(tmp, path) < 0) {
        *what = "rename";
        return -1;
    }
    /* The rename is durable once the directory is flushed (best effort). */
    const char *slash = strrchr(path, '/');
    size_t n = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (dir) {
        memcpy(dir, slash ? path : ".", n);
        dir[n] = 0;
        (void)sync_path(dir, 1);
        free(dir);
    }
    return 0;
}
