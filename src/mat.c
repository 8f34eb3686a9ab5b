/* MATLAB .mat vectors through libmatio. */
#include <matio.h>
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

int gt_mat_read_vector(const char *path, const char *name, float **x, size_t *n, char *found,
                       size_t found_cap, gt_error *err)
{
    *x = NULL;
    *n = 0;
    if (v5_truncated(path) < 0)
        return gt_error_set(err, GT_EFORMAT, "%s: truncated MAT file (a data element runs past the end)",
                            path);
    mat_t *mat = Mat_Open(path, MAT_ACC_RDONLY);
    if (!mat)
        return gt_error_set(err, GT_EFORMAT, "%s: cannot open as a MAT file (missing, not a MAT file, or truncated)",
                            path);
    int rc = GT_OK;
    matvar_t *info = NULL, *var = NULL;
    char vname[256] = "";
    while ((info = Mat_VarReadNextInfo(mat)) != NULL) {
        int hit = info->name && name_matches(name, info->name);
        if (hit)
            snprintf(vname, sizeof vname, "%s", info->name);
        Mat_VarFree(info);
        if (hit)
            break;
    }
    if (!vname[0]) {
        char names[1024];
        list_names(mat, names, sizeof names);
        rc = gt_error_set(err, GT_EINVAL, "%s: no variable %s%s (the file has: %s)", path,
                          name[0] == '*' ? "ending in " : "", name[0] == '*' ? name + 1 : name,
                          names[0] ? names : "none");
        goto out;
    }
    var = Mat_VarRead(mat, vname);
    if (!var || !var->data) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: variable %s cannot be read (truncated file?)", path,
                          vname);
        goto out;
    }
    size_t len = 1;
    int nonsingleton = 0;
    for (int d = 0; d < var->rank; d++) {
        len *= var->dims[d];
        nonsingleton += var->dims[d] > 1;
    }
    if (var->isComplex || var->class_type == MAT_C_CHAR || var->class_type == MAT_C_CELL ||
        var->class_type == MAT_C_STRUCT || nonsingleton > 1 || len == 0) {
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
