/*
 * Gantry's HDF5 files: format/version attributes, writing through a
 * temporary file that is renamed into place, string and number attributes,
 * float32 datasets.  (Models are in h5_model.c.)
 *
 * Resource handling follows HDF5's high-level examples: every hid_t starts
 * at -1 and one `out:` label closes whatever was opened.  HDF5's automatic
 * error printing is switched off in every entry point; failures come back
 * through gt_error, naming the file and the object.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "gantry/h5.h"
#include "h5_internal.h"
#include "gantry/tmpfile.h"

#define GT_H5_MAX_DIMS 8

struct gt_h5 {
    hid_t file;
    char *path; /* the target (what messages name) */
    char *tmp;  /* the temporary file while writing; NULL when reading */
};

/* Silence HDF5's own error printing (the library never prints). */
static void quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

const char *gt__h5_path(const gt_h5 *f)
{
    return f->path;
}

/* An object path as messages show it: always with one leading '/'. */
static const char *shown(const char *obj)
{
    return obj[0] == '/' ? obj + 1 : obj;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void h5_free(gt_h5 *f)
{
    if (!f)
        return;
    free(f->path);
    free(f->tmp);
    free(f);
}

/* A file access property list that closes every object with the file and
 * does not fail on file systems without locks (NFS, Lustre). */
static hid_t make_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return -1;
    if (H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0
#if H5_VERSION_GE(1, 10, 7)
        || H5Pset_file_locking(fapl, 1, 1) < 0
#endif
    ) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

/* "MAJOR.MINOR" into two non-negative ints. */
static int parse_version(const char *s, int *major, int *minor)
{
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '.' || errno || a < 0 || a > INT_MAX)
        return -1;
    const char *p = end + 1;
    long b = strtol(p, &end, 10);
    if (end == p || *end || errno || b < 0 || b > INT_MAX)
        return -1;
    *major = (int)a;
    *minor = (int)b;
    return 0;
}

/* --------------------------------------------------------- create/commit */

int gt_h5_create(gt_h5 **out, const char *path, const char *format, int major,
                 int minor, gt_error *err)
{
    quiet();
    *out = NULL;
    if (!path || !*path || !format || major < 0 || minor < 0)
        return gt_error_set(err, GT_EINVAL, "gt_h5_create: invalid arguments");
    gt_h5 *f = calloc(1, sizeof *f);
    if (!f || !(f->path = dup_str(path))) {
        h5_free(f);
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
    }
    f->file = -1;
    /* The temporary file beside the target, so that rename(2) is atomic. */
    int fd = gt_tmpfile_create(path, &f->tmp);
    if (fd < 0) {
        int e = errno;
        h5_free(f);
        return gt_error_set(err, GT_EIO, "%s: cannot create a temporary file beside it: %s",
                            path, strerror(e));
    }
    close(fd);

    int rc = GT_OK;
    char version[32];
    hid_t fapl = make_fapl();
    if (fapl < 0) {
        rc = gt_error_set(err, GT_EIO, "%s: HDF5 could not set up file access", path);
        goto out;
    }
    f->file = H5Fcreate(f->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (f->file < 0) {
        rc = gt_error_set(err, GT_EIO, "%s: HDF5 cannot create the temporary file %s", path,
                          f->tmp);
        goto out;
    }
    snprintf(version, sizeof version, "%d.%d", major, minor);
    if ((rc = gt_h5_write_attr_str(f, "/", "format", format, err)) < 0 ||
        (rc = gt_h5_write_attr_str(f, "/", "format_version", version, err)) < 0)
        goto out;
out:
    if (fapl >= 0)
        H5Pclose(fapl);
    if (rc < 0) {
        gt_h5_abort(f);
        return rc;
    }
    *out = f;
    return GT_OK;
}

int gt_h5_commit(gt_h5 *f, gt_error *err)
{
    quiet();
    if (!f)
        return gt_error_set(err, GT_EINVAL, "gt_h5_commit: no file");
    if (!f->tmp) {
        gt_h5_close(f);
        return gt_error_set(err, GT_EINVAL, "gt_h5_commit: file is open for reading");
    }
    int rc = GT_OK;
    herr_t st = H5Fclose(f->file);
    f->file = -1;
    if (st < 0) {
        rc = gt_error_set(err, GT_EIO, "%s: HDF5 could not finish writing %s", f->path,
                          f->tmp);
        goto out;
    }
    const char *what = "";
    if (gt_tmpfile_commit(f->tmp, f->path, &what) < 0) {
        int e = errno;
        rc = !strcmp(what, "rename")
                 ? gt_error_set(err, GT_EIO, "%s: cannot rename %s onto it: %s", f->path, f->tmp,
                                strerror(e))
                 : gt_error_set(err, GT_EIO, "%s: cannot flush %s to disk: %s", f->path, f->tmp,
                                strerror(e));
        goto out;
    }
    free(f->tmp);
    f->tmp = NULL;
out:
    if (f->tmp)
        remove(f->tmp);
    h5_free(f);
    return rc;
}

void gt_h5_abort(gt_h5 *f)
{
    quiet();
    if (!f)
        return;
    if (f->file >= 0)
        H5Fclose(f->file);
    if (f->tmp)
        remove(f->tmp);
    h5_free(f);
}

/* ------------------------------------------------------------ open/close */

int gt_h5_open(gt_h5 **out, const char *path, const char *format, int major,
               int *minor_out, gt_error *err)
{
    quiet();
    *out = NULL;
    if (!path || !format)
        return gt_error_set(err, GT_EINVAL, "gt_h5_open: invalid arguments");
    /* Say why a file cannot be opened before HDF5 tries. */
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return gt_error_set(err, GT_EIO, "%s: %s", path, strerror(errno));
    close(fd);

    gt_h5 *f = calloc(1, sizeof *f);
    if (!f || !(f->path = dup_str(path))) {
        h5_free(f);
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory", path);
    }
    f->file = -1;
    int rc = GT_OK, fmajor = 0, fminor = 0;
    char *fmt = NULL, *ver = NULL;
    gt_error sub;
    hid_t fapl = make_fapl();
    if (fapl < 0) {
        rc = gt_error_set(err, GT_EIO, "%s: HDF5 could not set up file access", path);
        goto out;
    }
    f->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (f->file < 0) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: not an HDF5 file (or truncated)", path);
        goto out;
    }
    if (H5Aexists(f->file, "format") <= 0) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: no 'format' attribute; not a %s file", path,
                          format);
        goto out;
    }
    if ((rc = gt_h5_read_attr_str(f, "/", "format", &fmt, &sub)) < 0) {
        rc = gt_error_set(err, GT_EFORMAT, "%s", sub.msg);
        goto out;
    }
    if (strcmp(fmt, format) != 0) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: format '%.64s' is not %s", path, fmt, format);
        goto out;
    }
    if (H5Aexists(f->file, "format_version") <= 0 ||
        gt_h5_read_attr_str(f, "/", "format_version", &ver, &sub) < 0 ||
        parse_version(ver, &fmajor, &fminor) < 0) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: %s file without a valid 'format_version'",
                          path, format);
        goto out;
    }
    if (fmajor > major) {
        rc = gt_error_set(err, GT_EVERSION,
                          "%s: format version %d.%d is newer than this gantry reads (%d.x)",
                          path, fmajor, fminor, major);
        goto out;
    }
    if (minor_out)
        *minor_out = fminor;
out:
    free(fmt);
    free(ver);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (rc < 0) {
        gt_h5_close(f);
        return rc;
    }
    *out = f;
    return GT_OK;
}

void gt_h5_close(gt_h5 *f)
{
    quiet();
    if (!f)
        return;
    if (f->tmp) { /* a file being written that was never committed */
        gt_h5_abort(f);
        return;
    }
    if (f->file >= 0)
        H5Fclose(f->file);
    h5_free(f);
}

/* --------------------------------------------------------------- objects */

int gt_h5_exists(gt_h5 *f, const char *path)
{
    quiet();
    if (!f || !path)
        return 0;
    /* H5Lexists needs every intermediate link to exist: walk them. */
    size_t n = strlen(path);
    char *p = malloc(n + 1);
    if (!p)
        return 0;
    memcpy(p, path, n + 1);
    int found = 1;
    for (size_t i = 1; i <= n && found; i++) {
        if (i < n && p[i] != '/')
            continue;
        char c = p[i];
        p[i] = 0;
        const char *q = shown(p);
        if (*q && H5Lexists(f->file, q, H5P_DEFAULT) <= 0)
            found = 0;
        p[i] = c;
    }
    if (found && *shown(path))
        found = H5Oexists_by_name(f->file, shown(path), H5P_DEFAULT) > 0;
    free(p);
    return found;
}

/* Open the object at obj ("/" is the root), creating it as a group (with
 * intermediate groups) when `create` is set and it does not exist. */
static hid_t open_object(gt_h5 *f, const char *obj, int create)
{
    const char *name = shown(obj);
    if (!*name)
        return H5Oopen(f->file, "/", H5P_DEFAULT);
    if (gt_h5_exists(f, obj))
        return H5Oopen(f->file, name, H5P_DEFAULT);
    if (!create)
        return -1;
    hid_t lcpl = -1, g = -1;
    if ((lcpl = H5Pcreate(H5P_LINK_CREATE)) < 0 ||
        H5Pset_create_intermediate_group(lcpl, 1) < 0)
        goto out;
    g = H5Gcreate2(f->file, name, lcpl, H5P_DEFAULT, H5P_DEFAULT);
out:
    if (lcpl >= 0)
        H5Pclose(lcpl);
    return g;
}

/* Open object obj for an attribute operation, with a message on failure. */
static int open_for_attr(gt_h5 *f, const char *obj, int create, hid_t *o, gt_error *err)
{
    if (!f || !obj)
        return gt_error_set(err, GT_EINVAL, "gt_h5 attribute: invalid arguments");
    if (create && !f->tmp)
        return gt_error_set(err, GT_EINVAL, "%s: opened for reading, cannot write /%s",
                            f->path, shown(obj));
    *o = open_object(f, obj, create);
    if (*o < 0)
        return gt_error_set(err, create ? GT_EIO : GT_EFORMAT,
                            create ? "%s: cannot create /%s" : "%s: no object /%s", f->path,
                            shown(obj));
    return GT_OK;
}

/* Create attribute `name` on o (replacing one of that name). */
static hid_t create_attr(hid_t o, const char *name, hid_t type, hid_t space)
{
    htri_t ex = H5Aexists(o, name);
    if (ex < 0 || (ex > 0 && H5Adelete(o, name) < 0))
        return -1;
    return H5Acreate2(o, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
}

int gt_h5_write_attr_str(gt_h5 *f, const char *obj, const char *name, const char *value,
                         gt_error *err)
{
    quiet();
    hid_t o = -1, type = -1, space = -1, attr = -1;
    int rc = open_for_attr(f, obj, 1, &o, err);
    if (rc < 0)
        return rc;
    /* A fixed-length, NUL-terminated string (h5py reads it as bytes). */
    if ((type = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(type, strlen(value) + 1) < 0 ||
        H5Tset_strpad(type, H5T_STR_NULLTERM) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0 ||
        (space = H5Screate(H5S_SCALAR)) < 0 || (attr = create_attr(o, name, type, space)) < 0 ||
        H5Awrite(attr, type, value) < 0)
        rc = gt_error_set(err, GT_EIO, "%s: cannot write attribute '%s' of /%s", f->path, name,
                          shown(obj));
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    H5Oclose(o);
    return rc;
}

int gt_h5_write_attr_double(gt_h5 *f, const char *obj, const char *name, double value,
                            gt_error *err)
{
    quiet();
    hid_t o = -1, space = -1, attr = -1;
    int rc = open_for_attr(f, obj, 1, &o, err);
    if (rc < 0)
        return rc;
    if ((space = H5Screate(H5S_SCALAR)) < 0 ||
        (attr = create_attr(o, name, H5T_IEEE_F64LE, space)) < 0 ||
        H5Awrite(attr, H5T_NATIVE_DOUBLE, &value) < 0)
        rc = gt_error_set(err, GT_EIO, "%s: cannot write attribute '%s' of /%s", f->path, name,
                          shown(obj));
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    H5Oclose(o);
    return rc;
}

/* Open attribute `name` of o holding a single value, with a message. */
static int open_attr(gt_h5 *f, hid_t o, const char *obj, const char *name, hid_t *attr,
                     gt_error *err)
{
    hid_t space = -1;
    int rc = GT_OK;
    htri_t ex = H5Aexists(o, name);
    if (ex <= 0)
        return gt_error_set(err, GT_EFORMAT, "%s: /%s has no attribute '%s'", f->path,
                            shown(obj), name);
    if ((*attr = H5Aopen(o, name, H5P_DEFAULT)) < 0)
        return gt_error_set(err, GT_EFORMAT, "%s: cannot open attribute '%s' of /%s", f->path,
                            name, shown(obj));
    if ((space = H5Aget_space(*attr)) < 0 || H5Sget_simple_extent_npoints(space) != 1)
        rc = gt_error_set(err, GT_EFORMAT, "%s: attribute '%s' of /%s is not a single value",
                          f->path, name, shown(obj));
    if (space >= 0)
        H5Sclose(space);
    if (rc < 0) {
        H5Aclose(*attr);
        *attr = -1;
    }
    return rc;
}

int gt_h5_read_attr_str(gt_h5 *f, const char *obj, const char *name, char **value,
                        gt_error *err)
{
    quiet();
    *value = NULL;
    hid_t o = -1, attr = -1, ftype = -1, mtype = -1, space = -1;
    char *s = NULL;
    int rc = open_for_attr(f, obj, 0, &o, err);
    if (rc < 0)
        return rc;
    if ((rc = open_attr(f, o, obj, name, &attr, err)) < 0)
        goto out;
    if ((ftype = H5Aget_type(attr)) < 0 || H5Tget_class(ftype) != H5T_STRING) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: attribute '%s' of /%s is not a string",
                          f->path, name, shown(obj));
        goto out;
    }
    htri_t vlen = H5Tis_variable_str(ftype);
    /* HDF5 does not convert between character sets: read in the file's. */
    H5T_cset_t cset = H5Tget_cset(ftype);
    int ok = vlen >= 0 && cset >= 0 && (mtype = H5Tcopy(H5T_C_S1)) >= 0 &&
             H5Tset_cset(mtype, cset) >= 0;
    if (ok && vlen) { /* as h5py writes str attributes */
        char *v = NULL;
        ok = H5Tset_size(mtype, H5T_VARIABLE) >= 0 && (space = H5Aget_space(attr)) >= 0 &&
             H5Aread(attr, mtype, &v) >= 0;
        if (ok && !(s = dup_str(v ? v : "")))
            rc = GT_ENOMEM;
        if (ok)
            H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, &v);
    } else if (ok) {
        /* A NUL-terminated memory type one longer than the stored one, so
         * that nothing is cut whatever the file's padding. */
        size_t n = H5Tget_size(ftype);
        ok = n > 0 && n < ((size_t)1 << 30) && H5Tset_size(mtype, n + 1) >= 0 &&
             H5Tset_strpad(mtype, H5T_STR_NULLTERM) >= 0;
        if (ok && !(s = calloc(1, n + 1)))
            rc = GT_ENOMEM;
        else if (ok)
            ok = H5Aread(attr, mtype, s) >= 0;
    }
    if (rc == GT_ENOMEM)
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory reading attribute '%s' of /%s",
                          f->path, name, shown(obj));
    else if (!ok)
        rc = gt_error_set(err, GT_EFORMAT, "%s: cannot read attribute '%s' of /%s", f->path,
                          name, shown(obj));
    else {
        *value = s;
        s = NULL;
    }
out:
    free(s);
    if (space >= 0)
        H5Sclose(space);
    if (mtype >= 0)
        H5Tclose(mtype);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (attr >= 0)
        H5Aclose(attr);
    H5Oclose(o);
    return rc;
}

int gt_h5_read_attr_double(gt_h5 *f, const char *obj, const char *name, double *value,
                           gt_error *err)
{
    quiet();
    hid_t o = -1, attr = -1, ftype = -1;
    int rc = open_for_attr(f, obj, 0, &o, err);
    if (rc < 0)
        return rc;
    if ((rc = open_attr(f, o, obj, name, &attr, err)) < 0)
        goto out;
    H5T_class_t cls = H5T_NO_CLASS;
    if ((ftype = H5Aget_type(attr)) >= 0)
        cls = H5Tget_class(ftype);
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: attribute '%s' of /%s is not a number",
                          f->path, name, shown(obj));
        goto out;
    }
    if (H5Aread(attr, H5T_NATIVE_DOUBLE, value) < 0)
        rc = gt_error_set(err, GT_EFORMAT, "%s: cannot read attribute '%s' of /%s", f->path,
                          name, shown(obj));
out:
    if (ftype >= 0)
        H5Tclose(ftype);
    if (attr >= 0)
        H5Aclose(attr);
    H5Oclose(o);
    return rc;
}

/* -------------------------------------------------------------- datasets */

/* A dataset of ndim dims stored as ftype, written from memory of mtype;
 * with deflate > 0 (and no dimension 0), chunked by the first dimension
 * and compressed at that gzip level. */
static int write_array_z(gt_h5 *f, const char *path, hid_t ftype, hid_t mtype, const void *x,
                         int ndim, const size_t *dims, int deflate, gt_error *err)
{
    quiet();
    if (!f || !path || !*shown(path) || (!x && ndim > 0) || ndim < 1 ||
        ndim > GT_H5_MAX_DIMS || !dims)
        return gt_error_set(err, GT_EINVAL, "gt_h5 write /%s: invalid arguments", path ? shown(path) : "?");
    if (!f->tmp)
        return gt_error_set(err, GT_EINVAL, "%s: opened for reading, cannot write /%s",
                            f->path, shown(path));
    if (gt_h5_exists(f, path))
        return gt_error_set(err, GT_EINVAL, "%s: /%s already exists", f->path, shown(path));
    hsize_t hd[GT_H5_MAX_DIMS], chunk[GT_H5_MAX_DIMS];
    size_t row = H5Tget_size(ftype); /* bytes per index of the first dimension */
    for (int i = 0; i < ndim; i++) {
        hd[i] = chunk[i] = (hsize_t)dims[i];
        if (i > 0)
            row *= dims[i];
        if (!dims[i])
            deflate = 0;
    }
    if (deflate > 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0)
        deflate = 0;
    if (deflate > 0) { /* chunks of about 1 MiB, whole along the other axes */
        size_t k = row ? ((size_t)1 << 20) / row : 1;
        chunk[0] = k < 1 ? 1 : k > dims[0] ? (hsize_t)dims[0] : (hsize_t)k;
    }
    hid_t space = -1, lcpl = -1, dcpl = -1, dset = -1;
    int rc = GT_OK;
    if ((space = H5Screate_simple(ndim, hd, NULL)) < 0 ||
        (lcpl = H5Pcreate(H5P_LINK_CREATE)) < 0 ||
        H5Pset_create_intermediate_group(lcpl, 1) < 0 ||
        (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 ||
        (deflate > 0 && (H5Pset_chunk(dcpl, ndim, chunk) < 0 ||
                         H5Pset_deflate(dcpl, (unsigned)deflate) < 0)) ||
        (dset = H5Dcreate2(f->file, shown(path), ftype, space, lcpl, dcpl, H5P_DEFAULT)) < 0 ||
        (H5Sget_simple_extent_npoints(space) > 0 &&
         H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) < 0))
        rc = gt_error_set(err, GT_EIO, "%s: cannot write dataset /%s", f->path, shown(path));
    if (dset >= 0)
        H5Dclose(dset);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (lcpl >= 0)
        H5Pclose(lcpl);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static int write_array(gt_h5 *f, const char *path, hid_t ftype, hid_t mtype, const void *x,
                       int ndim, const size_t *dims, gt_error *err)
{
    return write_array_z(f, path, ftype, mtype, x, ndim, dims, 0, err);
}

/* Open the dataset at path with its dataspace and type (all -1 and a
 * message on failure; the caller closes what it gets). */
static int open_dataset(gt_h5 *f, const char *path, hid_t *dset, hid_t *space, hid_t *type,
                        gt_error *err)
{
    *dset = *space = *type = -1;
    if (!gt_h5_exists(f, path))
        return gt_error_set(err, GT_EFORMAT, "%s: no dataset /%s", f->path, shown(path));
    int rc = GT_OK;
    if ((*dset = H5Oopen(f->file, shown(path), H5P_DEFAULT)) >= 0 &&
        H5Iget_type(*dset) != H5I_DATASET)
        rc = gt_error_set(err, GT_EFORMAT, "%s: /%s is not a dataset", f->path, shown(path));
    else if (*dset < 0 || (*space = H5Dget_space(*dset)) < 0 ||
             (*type = H5Dget_type(*dset)) < 0)
        rc = gt_error_set(err, GT_EFORMAT, "%s: cannot open dataset /%s", f->path, shown(path));
    if (rc < 0) {
        if (*type >= 0)
            H5Tclose(*type);
        if (*space >= 0)
            H5Sclose(*space);
        if (*dset >= 0)
            H5Oclose(*dset);
        *dset = *space = *type = -1;
    }
    return rc;
}

/* Read a whole numeric dataset converted to mtype (elements of esize bytes). */
static int read_array(gt_h5 *f, const char *path, hid_t mtype, size_t esize, void **x,
                      size_t *n, int *ndim, size_t *dims, gt_error *err)
{
    quiet();
    *x = NULL;
    *n = 0;
    if (!f || !path || !*shown(path))
        return gt_error_set(err, GT_EINVAL, "gt_h5 read: invalid arguments");
    hid_t dset = -1, space = -1, type = -1;
    hsize_t hd[GT_H5_MAX_DIMS];
    void *buf = NULL;
    int rc, nd = 0;
    size_t count = 1;
    if ((rc = open_dataset(f, path, &dset, &space, &type, err)) < 0)
        goto out;
    H5T_class_t cls = H5Tget_class(type);
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: /%s does not hold numbers", f->path,
                          shown(path));
        goto out;
    }
    nd = H5Sget_simple_extent_ndims(space);
    if (nd < 0 || nd > GT_H5_MAX_DIMS || H5Sget_simple_extent_dims(space, hd, NULL) < 0) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: /%s has more than %d dimensions", f->path,
                          shown(path), GT_H5_MAX_DIMS);
        goto out;
    }
    for (int i = 0; i < nd; i++) {
        if (hd[i] > SIZE_MAX / esize ||
            (hd[i] && count > SIZE_MAX / esize / hd[i])) {
            rc = gt_error_set(err, GT_EFORMAT, "%s: /%s is too large", f->path, shown(path));
            goto out;
        }
        count *= (size_t)hd[i];
    }
    if (!(buf = malloc(count ? count * esize : 1))) {
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory reading /%s (%zu values)",
                          f->path, shown(path), count);
        goto out;
    }
    if (count && H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: cannot read dataset /%s (damaged file?)",
                          f->path, shown(path));
        goto out;
    }
    *x = buf;
    buf = NULL;
    *n = count;
    if (ndim)
        *ndim = nd;
    for (int i = 0; dims && i < nd; i++)
        dims[i] = (size_t)hd[i];
out:
    free(buf);
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    if (dset >= 0)
        H5Oclose(dset);
    return rc;
}

int gt_h5_write_floats(gt_h5 *f, const char *path, const float *x, int ndim,
                       const size_t *dims, gt_error *err)
{
    return write_array(f, path, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, x, ndim, dims, err);
}

int gt_h5_read_floats(gt_h5 *f, const char *path, float **x, size_t *n, int *ndim,
                      size_t *dims, gt_error *err)
{
    return read_array(f, path, H5T_NATIVE_FLOAT, sizeof(float), (void **)x, n, ndim, dims,
                      err);
}

int gt_h5_write_u8(gt_h5 *f, const char *path, const uint8_t *x, int ndim, const size_t *dims,
                   gt_error *err)
{
    return write_array(f, path, H5T_STD_U8LE, H5T_NATIVE_UINT8, x, ndim, dims, err);
}

int gt_h5_read_u8(gt_h5 *f, const char *path, uint8_t **x, size_t *n, int *ndim, size_t *dims,
                  gt_error *err)
{
    return read_array(f, path, H5T_NATIVE_UINT8, 1, (void **)x, n, ndim, dims, err);
}

int gt_h5_write_i64(gt_h5 *f, const char *path, const int64_t *x, int ndim,
                    const size_t *dims, gt_error *err)
{
    return write_array(f, path, H5T_STD_I64LE, H5T_NATIVE_INT64, x, ndim, dims, err);
}

int gt_h5_read_i64(gt_h5 *f, const char *path, int64_t **x, size_t *n, int *ndim,
                   size_t *dims, gt_error *err)
{
    return read_array(f, path, H5T_NATIVE_INT64, sizeof(int64_t), (void **)x, n, ndim, dims,
                      err);
}

int gt__h5_write_u8_z(gt_h5 *f, const char *path, const uint8_t *x, int ndim,
                      const size_t *dims, int level, gt_error *err)
{
    return write_array_z(f, path, H5T_STD_U8LE, H5T_NATIVE_UINT8, x, ndim, dims, level, err);
}

/* ------------------------------------------------------- string datasets */

/* A variable-length string type in character set cset. */
static hid_t vlen_str_type(H5T_cset_t cset)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, cset) < 0)) {
        H5Tclose(t);
        t = -1;
    }
    return t;
}

int gt_h5_write_strs(gt_h5 *f, const char *path, char *const *s, size_t n, gt_error *err)
{
    quiet();
    if (n && !s)
        return gt_error_set(err, GT_EINVAL, "gt_h5_write_strs: no strings");
    /* NULL entries are written as "" (HDF5 would store a null string). */
    const char **v = malloc((n ? n : 1) * sizeof *v);
    hid_t type = vlen_str_type(H5T_CSET_UTF8);
    int rc;
    if (!v || type < 0) {
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory writing /%s",
                          f ? f->path : "?", path ? shown(path) : "?");
    } else {
        for (size_t i = 0; i < n; i++)
            v[i] = s[i] ? s[i] : "";
        size_t dims[1] = {n};
        rc = write_array(f, path, type, type, v, 1, dims, err);
    }
    if (type >= 0)
        H5Tclose(type);
    free(v);
    return rc;
}

/* Read n fixed-length strings of the file type ftype into v (malloc'd). */
static int read_fixed_strs(hid_t dset, hid_t ftype, H5T_cset_t cset, char **v, size_t n)
{
    /* NUL-terminated in memory, one longer than stored: nothing is cut. */
    size_t len = H5Tget_size(ftype);
    hid_t mtype = H5Tcopy(H5T_C_S1);
    char *buf = NULL;
    int ok = len > 0 && len < ((size_t)1 << 20) && n <= SIZE_MAX / (len + 1) && mtype >= 0 &&
             H5Tset_size(mtype, len + 1) >= 0 && H5Tset_strpad(mtype, H5T_STR_NULLTERM) >= 0 &&
             H5Tset_cset(mtype, cset) >= 0 && (buf = calloc(n * (len + 1), 1)) != NULL &&
             H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = (v[i] = dup_str(buf + i * (len + 1))) != NULL;
    free(buf);
    if (mtype >= 0)
        H5Tclose(mtype);
    return ok ? 0 : -1;
}

/* Read n variable-length strings of the dataset into v (malloc'd). */
static int read_vlen_strs(hid_t dset, hid_t space, H5T_cset_t cset, char **v, size_t n)
{
    hid_t mtype = vlen_str_type(cset);
    char **raw = calloc(n, sizeof *raw);
    int ok = mtype >= 0 && raw && H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0;
    if (ok) {
        for (size_t i = 0; ok && i < n; i++)
            ok = (v[i] = dup_str(raw[i] ? raw[i] : "")) != NULL;
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, raw);
    }
    free(raw);
    if (mtype >= 0)
        H5Tclose(mtype);
    return ok ? 0 : -1;
}

int gt_h5_read_strs(gt_h5 *f, const char *path, char ***s, size_t *n, gt_error *err)
{
    quiet();
    *s = NULL;
    *n = 0;
    if (!f || !path || !*shown(path))
        return gt_error_set(err, GT_EINVAL, "gt_h5_read_strs: invalid arguments");
    hid_t dset, space, type;
    hsize_t count = 0;
    char **v = NULL;
    int rc = open_dataset(f, path, &dset, &space, &type, err);
    if (rc < 0)
        return rc;
    if (H5Tget_class(type) != H5T_STRING) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: /%s does not hold strings", f->path, shown(path));
        goto out;
    }
    if (H5Sget_simple_extent_ndims(space) != 1 ||
        H5Sget_simple_extent_dims(space, &count, NULL) < 0 || count > SIZE_MAX / sizeof(char *)) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: /%s is not a list of strings", f->path,
                          shown(path));
        goto out;
    }
    if (!(v = calloc(count ? (size_t)count : 1, sizeof *v))) {
        rc = gt_error_set(err, GT_ENOMEM, "%s: out of memory reading /%s", f->path, shown(path));
        goto out;
    }
    /* HDF5 does not convert between character sets: read in the file's. */
    htri_t vlen = H5Tis_variable_str(type);
    H5T_cset_t cset = H5Tget_cset(type);
    if (count && (vlen < 0 || cset < 0 ||
                  (vlen ? read_vlen_strs(dset, space, cset, v, (size_t)count)
                        : read_fixed_strs(dset, type, cset, v, (size_t)count)) < 0)) {
        rc = gt_error_set(err, GT_EFORMAT, "%s: cannot read the strings of /%s", f->path,
                          shown(path));
        goto out;
    }
    *s = v;
    *n = (size_t)count;
    v = NULL;
out:
    if (v)
        gt_h5_strs_free(v, (size_t)count);
    H5Tclose(type);
    H5Sclose(space);
    H5Oclose(dset);
    return rc;
}

void gt_h5_strs_free(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

/* ------------------------------------------------------------- listings */

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)g;
    (void)info;
    struct {
        char **v;
        int n, cap;
    } *l = data;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, sizeof(char *) * (size_t)cap);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = dup_str(name)))
        return -1;
    l->n++;
    return 0;
}

int gt_h5_list(gt_h5 *f, const char *group, char ***names, int *count, gt_error *err)
{
    quiet();
    *names = NULL;
    *count = 0;
    if (!f || !group)
        return gt_error_set(err, GT_EINVAL, "gt_h5_list: invalid arguments");
    struct {
        char **v;
        int n, cap;
    } l = {0};
    hid_t g = open_object(f, group, 0);
    if (g < 0)
        return gt_error_set(err, GT_EFORMAT, "%s: no group /%s", f->path, shown(group));
    hsize_t idx = 0;
    herr_t st = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, list_cb, &l);
    H5Oclose(g);
    if (st < 0) {
        gt_h5_names_free(l.v, l.n);
        return gt_error_set(err, GT_ENOMEM, "%s: cannot list /%s", f->path, shown(group));
    }
    *names = l.v;
    *count = l.n;
    return GT_OK;
}

void gt_h5_names_free(char **names, int count)
{
    for (int i = 0; i < count; i++)
        free(names[i]);
    free(names);
}
