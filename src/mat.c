/* MATLAB .mat vectors and scalars through libmatio (v5, compressed or not,
 * and v7.3, which libmatio reads through HDF5). */
#include <hdf5.h>
#include <matio.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/mat.h"

static int name_matches(const char *want, const char *have)
{
    if (want[0] != '*')
        return strcmp(want, have) == 0;
    size_t ls = strlen(want + 1), lh = strlen(have);
    return lh >= ls && strcmp(have + lh - ls, want + 1) == 0;
}

/* Append the names of the file's variables to buf (for "not found"). */
static void list_names(mat_t *mat, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    Mat_Rewind(mat);
    matvar_t *v;
    while ((v = Mat_VarReadNextInfo(mat)) != NULL) {
        if (v->name && len + strlen(v->name) + 3 < cap)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", v->name);
        Mat_VarFree(v);
    }
}

static int to_float(float *dst, const matvar_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (v->data_type) {
        case MAT_T_DOUBLE: dst[i] = (float)((const double *)v->data)[i]; break;
        case MAT_T_SINGLE: dst[i] = ((const float *)v->data)[i]; break;
        case MAT_T_INT8: dst[i] = ((const int8_t *)v->data)[i]; break;
        case MAT_T_UINT8: dst[i] = ((const uint8_t *)v->data)[i]; break;
        case MAT_T_INT16: dst[i] = ((const int16_t *)v->data)[i]; break;
        case MAT_T_UINT16: dst[i] = ((const uint16_t *)v->data)[i]; break;
        case MAT_T_INT32: dst[i] = (float)((const int32_t *)v->data)[i]; break;
        case MAT_T_UINT32: dst[i] = (float)((const uint32_t *)v->data)[i]; break;
        case MAT_T_INT64: dst[i] = (float)((const int64_t *)v->data)[i]; break;
        case MAT_T_UINT64: dst[i] = (float)((const uint64_t *)v->data)[i]; break;
        default: return -1;
        }
    }
    return 0;
}

static uint32_t u32(const unsigned char *b, int swap)
{
    return swap ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
                : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/*
 * A level-5 MAT file is a 128-byte header and a sequence of data elements,
 * each an 8-byte tag (type, byte count) and its bytes.  libmatio inflates a
 * cut-off compressed element without complaint, so walk the tags and refuse
 * a file whose last element runs past its end.  Returns 0 if complete (or
 * not level 5: v7.3 files are HDF5, which checks itself), -1 if truncated.
 */
static int v5_truncated(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char hdr[128], tag[8];
    int truncated = 0;
    if (fread(hdr, 1, 128, f) == 128 && (hdr[126] == 'I' || hdr[126] == 'M') &&
        (hdr[127] == 'M' || hdr[127] == 'I') && memcmp(hdr, "MATLAB 7.3", 10) != 0) {
        int swap = hdr[126] == 'M';
        if (fseek(f, 0, SEEK_END) == 0) {
            long size = ftell(f);
            long pos = 128;
            while (pos + 8 <= size) {
                if (fseek(f, pos, SEEK_SET) != 0 || fread(tag, 1, 8, f) != 8)
                    break;
                pos += 8 + (long)u32(tag + 4, swap);
                if (u32(tag, swap) == 14 /* miMATRIX */)
                    pos = (pos + 7) & ~7L;
            }
            truncated = pos > size || (pos < size && size - pos < 8);
        }
    }
    fclose(f);
    return truncated ? -1 : 0;
}

/* libmatio and HDF5 print their complaints on stderr by default; the library
 * never prints, so both are silenced (the errors come back as status codes). */
static void quiet_log(int level, char *message)
{
    (void)level;
    (void)message;
}

static void quiet(void)
{
    Mat_LogInitFunc("gantry", quiet_log);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/*
 * Open path for reading, refusing what libmatio would read without complaint
 * or half-read: a level-5 file cut short (v5_truncated), and a v7.3 file whose
 * HDF5 container does not open (libmatio then returns an empty file).
 */
static int open_mat(const char *path, mat_t **out, gt_error *err)
{
    *out = NULL;
    quiet();
    FILE *f = fopen(path, "rb");
    if (!f)
        return gt_error_set(err, GT_EIO, "%s: cannot open: %s", path, strerror(errno));
    char hdr[10] = {0};
    size_t got = fread(hdr, 1, sizeof hdr, f);
    fclose(f);
    if (v5_truncated(path) < 0)
        return gt_error_set(err, GT_EFORMAT,
                            "%s: truncated MAT file (a data element runs past the end)", path);
    if (got == sizeof hdr && memcmp(hdr, "MATLAB 7.3", 10) == 0) {
        hid_t h = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (h < 0)
            return gt_error_set(err, GT_EFORMAT,
                                "%s: v7.3 MAT file whose HDF5 container cannot be opened "
                                "(truncated or damaged)", path);
        H5Fclose(h);
    }
    mat_t *mat = Mat_Open(path, MAT_ACC_RDONLY);
    if (!mat)
        return gt_error_set(err, GT_EFORMAT,
                            "%s: cannot open as a MAT file (not a MAT file, or truncated)", path);
    *out = mat;
    return GT_OK;
}

/* Find the variable `name` (or "*SUFFIX") and put its full name in vname. */
static int find_var(mat_t *mat, const char *path, const char *name, char *vname, size_t cap,
                    gt_error *err)
{
    matvar_t *info;
    vname[0] = 0;
    Mat_Rewind(mat);
    while ((info = Mat_VarReadNextInfo(mat)) != NULL) {
        int hit = info->name && name_matches(name, info->name);
        if (hit)
            snprintf(vname, cap, "%s", info->name);
        Mat_VarFree(info);
        if (hit)
            return GT_OK;
    }
    char names[1024];
    list_names(mat, names, sizeof names);
    return gt_error_set(err, GT_EINVAL, "%s: no variable %s%s (the file has: %s)", path,
                        name[0] == '*' ? "ending in " : "", name[0] == '*' ? name + 1 : name,
                        names[0] ? names : "none");
}

static int is_numeric_class(enum matio_classes c)
{
    switch (c) {
    case MAT_C_DOUBLE: case MAT_C_SINGLE: case MAT_C_INT8: case MAT_C_UINT8:
    case MAT_C_INT16: case MAT_C_UINT16: case MAT_C_INT32: case MAT_C_UINT32:
    case MAT_C_INT64: case MAT_C_UINT64:
        return 1;
    default:
        return 0;
    }
}

/* Elements of v, and how many of its dimensions exceed 1. */
static size_t var_len(const matvar_t *v, int *nonsingleton)
{
    size_t len = 1;
    *nonsingleton = 0;
    for (int d = 0; d < v->rank; d++) {
        len *= v->dims[d];
        *nonsingleton += v->dims[d] > 1;
    }
    return len;
}

int gt_mat_list(const char *path, char ***names, int *count, gt_error *err)
{
    *names = NULL;
    *count = 0;
    mat_t *mat = NULL;
    int rc = open_mat(path, &mat, err);
    if (rc < 0)
        return rc;
    char **list = NULL;
    int n = 0, cap = 0;
    matvar_t *info;
    while ((info = Mat_VarReadNextInfo(mat)) != NULL) {
        int ns = 0;
        size_t len = var_len(info, &ns);
        if (info->name && is_numeric_class(info->class_type) && !info->isComplex &&
            !info->isLogical && ns == 1 && len >= 2) {
            if (n == cap) {
                int ncap = cap ? 2 * cap : 8;
                char **grown = realloc(list, (size_t)ncap * sizeof *grown);
                if (!grown) {
                    Mat_VarFree(info);
                    goto oom;
                }
                list = grown;
                cap = ncap;
            }
            list[n] = strdup(info->name);
            if (!list[n]) {
                Mat_VarFree(info);
                goto oom;
            }
            n++;
        }
        Mat_VarFree(info);
    }
    Mat_Close(mat);
    *names = list;
    *count = n;
    return GT_OK;
oom:
    gt_mat_names_free(list, n);
    Mat_Close(mat);
    return gt_error_set(err, GT_ENOMEM, "%s: out of memory listing variables", path);
}

void gt_mat_names_free(char **names, int count)
{
    for (int i = 0; names && i < count; i++)
        free(names[i]);
    free(names);
}

/* Open path and read the variable `name` (or "*SUFFIX"), whose name goes
 * to vname.  On success the caller frees *var and closes *mat; on failure
 * both are closed. */
static int read_named(const char *path, const char *name, mat_t **mat, matvar_t **var,
                      char *vname, size_t cap, gt_error *err)
{
    *var = NULL;
    int rc = open_mat(path, mat, err);
    if (rc < 0)
        return rc;
    rc = find_var(*mat, path, name, vname, cap, err);
    if (rc >= 0) {
        *var = Mat_VarRead(*mat, vname);
        if (!*var || !(*var)->data)
            rc = gt_error_set(err, GT_EFORMAT, "%s: variable %s cannot be read (truncated file?)",
                              path, vname);
    }
    if (rc < 0) {
        if (*var)
            Mat_VarFree(*var);
        *var = NULL;
        Mat_Close(*mat);
        *mat = NULL;
    }
    return rc;
}

int gt_mat_read_scalar(const char *path, const char *name, double *value, gt_error *err)
{
    mat_t *mat = NULL;
    matvar_t *var = NULL;
    char vname[256];
    int rc = read_named(path, name, &mat, &var, vname, sizeof vname, err);
    if (rc < 0)
        return rc;
    int ns = 0;
    size_t len = var_len(var, &ns);
    if (!is_numeric_class(var->class_type) || var->isComplex || len != 1) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: variable %s is not a real numeric scalar (%zu values)",
                          path, vname, len);
        goto out;
    }
    double v;
    switch (var->data_type) {
    case MAT_T_DOUBLE: v = ((const double *)var->data)[0]; break;
    case MAT_T_SINGLE: v = ((const float *)var->data)[0]; break;
    case MAT_T_INT8: v = ((const int8_t *)var->data)[0]; break;
    case MAT_T_UINT8: v = ((const uint8_t *)var->data)[0]; break;
    case MAT_T_INT16: v = ((const int16_t *)var->data)[0]; break;
    case MAT_T_UINT16: v = ((const uint16_t *)var->data)[0]; break;
    case MAT_T_INT32: v = ((const int32_t *)var->data)[0]; break;
    case MAT_T_UINT32: v = ((const uint32_t *)var->data)[0]; break;
    case MAT_T_INT64: v = (double)((const int64_t *)var->data)[0]; break;
    case MAT_T_UINT64: v = (double)((const uint64_t *)var->data)[0]; break;
    default:
        rc = gt_error_set(err, GT_EFORMAT, "%s: variable %s has an unsupported numeric type", path,
                          vname);
        goto out;
    }
    *value = v;
out:
    if (var)
        Mat_VarFree(var);
    Mat_Close(mat);
    return rc;
}

int gt_mat_read_vector(const char *path, const char *name, float **x, size_t *n, char *found,
                       size_t found_cap, gt_error *err)
{
    *x = NULL;
    *n = 0;
    mat_t *mat = NULL;
    matvar_t *var = NULL;
    char vname[256] = "";
    int rc = read_named(path, name, &mat, &var, vname, sizeof vname, err);
    if (rc < 0)
        return rc;
    int nonsingleton = 0;
    size_t len = var_len(var, &nonsingleton);
    if (var->isComplex || !is_numeric_class(var->class_type) || nonsingleton > 1 || len == 0) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: variable %s is not a real numeric vector", path,
                          vname);
        goto out;
    }
    float *buf = malloc(len * sizeof *buf);
    if (!buf) {
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory reading %s (%zu values)", path, vname,
                          len);
        goto out;
    }
    if (to_float(buf, var, len) < 0) {
        free(buf);
        rc = gt_error_set(err, GT_EFORMAT, "%s: variable %s has an unsupported numeric type", path,
                          vname);
        goto out;
    }
    *x = buf;
    *n = len;
    if (found && found_cap)
        snprintf(found, found_cap, "%s", vname);
out:
    if (var)
        Mat_VarFree(var);
    Mat_Close(mat);
    return rc;
}
