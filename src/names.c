/* Lists of names: comma lists and arrays of strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/names.h"

void gt_names_free(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

int gt_names_split(const char *list, char ***out, int *n)
{
    int count = 1;
    for (const char *p = list; *p; p++)
        count += *p == ',';
    char **v = calloc((size_t)count, sizeof *v);
    if (!v)
        return GT_ENOMEM;
    const char *p = list;
    for (int i = 0; i < count; i++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (!(v[i] = strndup(p, len))) {
            gt_names_free(v, count);
            return GT_ENOMEM;
        }
        p += len + (e != NULL);
    }
    *out = v;
    *n = count;
    return GT_OK;
}

char *gt_names_join(char *const *v, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *s = malloc(len), *at = s;
    if (!s)
        return NULL;
    *s = 0;
    for (int i = 0; i < n; i++)
        at += sprintf(at, "%s%s", i ? "," : "", v[i]);
    return s;
}

int gt_names_index(char *const *v, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (v[i] && !strcmp(v[i], name))
            return i;
    return -1;
}

int gt_names_list_index(const char *list, const char *name)
{
    if (!list || !name)
        return -1;
    size_t len = strlen(name);
    int at = 0;
    for (const char *p = list;; at++) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == len && !strncmp(p, name, k))
            return at;
        if (!e)
            return -1;
        p = e + 1;
    }
}
