/* gantry ingest, image mode: image files and folders (walked recursively,
 * in path order) into a store's /images/, as centred crops or patches,
 * with classes from folders or file names and optional pixel masks. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest_images.h"
#include "tool.h"

#define MAX_DEPTH 64

/* One file found: where, and what it is to the ingest. */
typedef struct entry {
    char *path; /* as opened */
    char *rel;  /* below its folder, or as given */
    int root;   /* index of the input it came from */
    int dir;    /* found in a folder input */
    int mask;   /* index of its mask's entry, or -1 */
    int is_mask;
} entry;

typedef struct found {
    entry *v;
    int n, cap;
} found;

/* Per-class tallies for the summary. */
typedef struct tally {
    size_t images, patches;
} tally;

typedef struct run {
    const img_opts *o;
    gt_imageset *set;
    tally *per_class; /* set->nclasses */
    int ncounted;
    size_t images, skipped, no_patch, no_mask, defective_images;
    char first_small[512];
    uint8_t *zero_mask;
} run;

int ingest_is_image_input(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 1;
    return gt_image_is_image_path(path);
}

const char *ingest_class_map(const char *map, const char *name, size_t *len)
{
    const char *item;
    size_t k;
    while (tool_list_next(&map, &item, &k)) {
        const char *eq = memchr(item, '=', k);
        if (eq && !strncmp(name, item, (size_t)(eq - item))) {
            *len = (size_t)(item + k - eq - 1);
            return eq + 1;
        }
    }
    return NULL;
}

static char *xasprintf2(const char *a, const char *sep, const char *b)
{
    size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, sep, b);
    return s;
}

static int add_entry(found *f, char *path, char *rel, int root, int dir)
{
    if (!path || !rel) {
        free(path);
        free(rel);
        return tool_fail("out of memory");
    }
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 256;
        entry *v = realloc(f->v, (size_t)cap * sizeof *v);
        if (!v) {
            free(path);
            free(rel);
            return tool_fail("out of memory");
        }
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n++] = (entry){path, rel, root, dir, -1, 0};
    return 0;
}

/* Image files below dir (rel: their path below the input folder). */
static int walk(found *f, const char *dir, const char *rel, int root, int depth)
{
    if (depth > MAX_DEPTH)
        return tool_fail("%s: folders nested deeper than %d (a link loop?)", dir, MAX_DEPTH);
    DIR *d = opendir(dir);
    if (!d)
        return tool_fail("%s: %s", dir, strerror(errno));
    int rc = 0;
    struct dirent *de;
    while (!rc && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *p = xasprintf2(dir, "/", de->d_name);
        char *r = *rel ? xasprintf2(rel, "/", de->d_name) : strdup(de->d_name);
        struct stat st;
        if (!p || !r || stat(p, &st) != 0) {
            free(p);
            free(r);
            if (!p || !r)
                rc = tool_fail("out of memory");
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = walk(f, p, r, root, depth + 1);
            free(p);
            free(r);
        } else if (S_ISREG(st.st_mode) && gt_image_is_image_path(p)) {
            rc = add_entry(f, p, r, root, 1);
        } else {
            free(p);
            free(r);
        }
    }
    closedir(d);
    return rc;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->root != y->root)
        return (x->root > y->root) - (x->root < y->root);
    return strcmp(x->rel, y->rel);
}

/* A path with its entry's index, to look masks up by path. */
typedef struct by_path {
    const char *path;
    int i;
} by_path;

static int cmp_by_path(const void *a, const void *b)
{
    return strcmp(((const by_path *)a)->path, ((const by_path *)b)->path);
}

/* The input folder without trailing slashes (malloc'd). */
static char *trim_slashes(const char *s)
{
    char *t = strdup(s);
    size_t n = t ? strlen(t) : 0;
    while (t && n > 1 && t[n - 1] == '/')
        t[--n] = 0;
    return t;
}

/* Every image file of the inputs, in order, masks paired. */
static int collect(found *f, char *const *inputs, int n, const char *suffix)
{
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        struct stat st;
        if (stat(inputs[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            char *root = trim_slashes(inputs[i]);
            rc = root ? walk(f, root, "", i, 0) : tool_fail("out of memory");
            free(root);
        } else {
            rc = add_entry(f, strdup(inputs[i]), strdup(inputs[i]), i, 0);
        }
    }
    if (rc || !f->n)
        return rc;
    qsort(f->v, (size_t)f->n, sizeof *f->v, cmp_entry);
    if (!suffix)
        return 0;
    /* X's mask is the file named stem(X) + SUFFIX in X's folder. */
    by_path *idx = malloc((size_t)f->n * sizeof *idx);
    if (!idx)
        return tool_fail("out of memory");
    for (int i = 0; i < f->n; i++)
        idx[i] = (by_path){f->v[i].path, i};
    qsort(idx, (size_t)f->n, sizeof *idx, cmp_by_path);
    for (int i = 0; i < f->n && !rc; i++) {
        const char *p = f->v[i].path, *slash = strrchr(p, '/'), *dot = strrchr(p, '.');
        size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - p) : strlen(p);
        by_path key = {malloc(stem + strlen(suffix) + 1), -1};
        if (!key.path) {
            rc = tool_fail("out of memory");
            break;
        }
        memcpy((char *)key.path, p, stem);
        strcpy((char *)key.path + stem, suffix);
        const by_path *m = bsearch(&key, idx, (size_t)f->n, sizeof *idx, cmp_by_path);
        if (m && m->i != i) {
            f->v[i].mask = m->i;
            f->v[m->i].is_mask = 1;
        }
        free((char *)key.path);
    }
    free(idx);
    return rc;
}

static void found_free(found *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->v[i].path);
        free(f->v[i].rel);
    }
    free(f->v);
}

/* ---------------------------------------------------------------- classes */

/* NEU's "rolled-in_scale_3.jpg" -> "rolled-in_scale": the file name up to
 * its last "_<digits>"; "" when it has none. */
static void prefix_class(const char *rel, char *buf, size_t cap)
{
    const char *b = strrchr(rel, '/');
    b = b ? b + 1 : rel;
    size_t end = 0;
    for (size_t i = 1; b[i]; i++)
        if (b[i - 1] == '_' && b[i] >= '0' && b[i] <= '9')
            end = i - 1;
    snprintf(buf, cap, "%.*s", (int)(end < cap ? end : cap - 1), b);
}

/* The class name of entry e (buf; "" for none), mapped by --class-map. */
static void class_of(const img_opts *o, const entry *e, char *buf, size_t cap)
{
    buf[0] = 0;
    if (o->cls)
        snprintf(buf, cap, "%s", o->cls);
    else if (o->class_from == IMG_CLASS_FOLDER && e->dir && strchr(e->rel, '/'))
        snprintf(buf, cap, "%.*s", (int)(strchr(e->rel, '/') - e->rel), e->rel);
    else if (o->class_from != IMG_CLASS_NONE)
        prefix_class(e->rel, buf, cap);
    size_t len;
    const char *to = o->class_map && *buf ? ingest_class_map(o->class_map, buf, &len) : NULL;
    if (to)
        snprintf(buf, cap, "%.*s", (int)len, to);
    for (char *p = buf; *p; p++) /* class lists are comma-separated */
        if (*p == ',')
            *p = '_';
}

/* ----------------------------------------------------------- the pieces */

/* A grey image as RGB (replicated), replacing *im. */
static int to_rgb(gt_image **im)
{
    gt_image *g = gt_image_new((*im)->w, (*im)->h, 3);
    if (!g)
        return -1;
    const size_t n = (size_t)g->w * (size_t)g->h;
    for (int k = 0; k < 3; k++)
        memcpy(g->pix + (size_t)k * n, (*im)->pix, n);
    gt_image_free(*im);
    *im = g;
    return 0;
}

/* The set, grey so far, as RGB (the first colour image came in). */
static int promote(run *r)
{
    gt_imageset *s = r->set, *t = gt_imageset_new(s->size, 3, s->fit);
    const size_t ss = (size_t)s->size * (size_t)s->size;
    uint8_t *pix = malloc(3 * ss);
    gt_error err = {0};
    int rc = t && pix ? 0 : -1;
    for (int k = 0; !rc && k < s->nclasses; k++)
        rc = gt_imageset_class(t, s->classes[k]) == k ? 0 : -1;
    for (int k = 0; !rc && k < s->nfiles; k++)
        rc = gt_imageset_file(t, s->files[k]) == k ? 0 : -1;
    for (size_t i = 0; !rc && i < s->n; i++) {
        for (int k = 0; k < 3; k++)
            memcpy(pix + (size_t)k * ss, s->pixels + i * ss, ss);
        rc = gt_imageset_append(t, pix, s->cls[i], s->file[i], s->origin[2 * i],
                                s->origin[2 * i + 1], s->masks ? s->masks + i * ss : NULL, &err);
    }
    free(pix);
    if (rc) {
        gt_imageset_free(t);
        return tool_fail("out of memory");
    }
    gt_imageset_free(s);
    r->set = t;
    return 0;
}

/* The mask's patch thresholded in place (> 127 -> 1). */
static void threshold(gt_image *m)
{
    const size_t n = (size_t)m->w * (size_t)m->h;
    for (size_t i = 0; i < n; i++)
        m->pix[i] = m->pix[i] > 127;
}

/* Crops or patches of one image (and its mask, or NULL) into the set. */
static int add_pieces(run *r, gt_image *im, gt_image *mask, int cls, int file, size_t *added)
{
    const img_opts *o = r->o;
    gt_error err = {0};
    gt_image **p = NULL, **mp = NULL, *one = NULL, *mone = NULL;
    int *xs = NULL, *ys = NULL, n = 0, mn = 0, rc = 0, x0 = 0, y0 = 0;
    *added = 0;
    if (!o->tile) {
        rc = gt_image_fit_crop(im, o->size, &one, &err) ||
             (mask && gt_image_fit_crop(mask, o->size, &mone, &err));
        p = &one;
        mp = &mone;
        n = 1;
        xs = &x0;
        ys = &y0;
    } else {
        rc = gt_image_tile(im, o->size, &p, &xs, &ys, &n, &err) ||
             (mask && gt_image_tile(mask, o->size, &mp, NULL, NULL, &mn, &err));
        if (!rc && mask && mn != n) /* cannot happen: the sizes were checked */
            rc = gt_error_set(&err, GT_ESHAPE, "mask and image differ") < 0;
    }
    for (int i = 0; !rc && i < n; i++) {
        const uint8_t *m = r->zero_mask;
        if (mask) {
            threshold(mp[i]);
            m = mp[i]->pix;
        }
        rc = gt_imageset_append(r->set, p[i]->pix, cls, file, xs[i], ys[i], m, &err) < 0;
        *added += !rc;
    }
    if (rc)
        tool_fail_err(&err);
    if (o->tile) {
        gt_image_list_free(p, n);
        gt_image_list_free(mp, mn);
        free(xs);
        free(ys);
    } else {
        gt_image_free(one);
        gt_image_free(mone);
    }
    return rc;
}

/* A file that cannot be used: skipped with a warning, or (--strict) the
 * end of the run. */
static int bad_file(run *r, const char *msg)
{
    if (r->o->strict)
        return tool_fail("%s (--strict: nothing written)", msg);
    fprintf(stderr, "%s: warning: skipping %s\n", tool_name, msg);
    r->skipped++;
    return 0;
}

/* Read an image (and its mask) and resize it for tiling with --scale. */
static int load(run *r, const found *f, const entry *e, gt_image **im, gt_image **mask,
                int *usable)
{
    const img_opts *o = r->o;
    gt_error err = {0};
    *usable = 0;
    if (gt_image_read(im, e->path, o->channels, &err) < 0)
        return err.code == GT_ENOMEM ? tool_fail_err(&err) : bad_file(r, err.msg);
    if (e->mask >= 0) {
        const char *mp = f->v[e->mask].path;
        if (gt_image_read(mask, mp, 1, &err) < 0) {
            char msg[2400];
            snprintf(msg, sizeof msg, "%s (the mask of %s)", err.msg, e->path);
            return err.code == GT_ENOMEM ? tool_fail_err(&err) : bad_file(r, msg);
        }
        if ((*mask)->w != (*im)->w || (*mask)->h != (*im)->h) {
            char msg[2400];
            snprintf(msg, sizeof msg, "%s: the mask is %d x %d, the image %s %d x %d", mp,
                     (*mask)->w, (*mask)->h, e->path, (*im)->w, (*im)->h);
            return bad_file(r, msg);
        }
    }
    if (o->scale > 0 && o->scale != 1) {
        int w = (int)((*im)->w * o->scale + 0.5), h = (int)((*im)->h * o->scale + 0.5);
        gt_image *a = NULL, *b = NULL;
        if (gt_image_resize(*im, w < 1 ? 1 : w, h < 1 ? 1 : h, &a, &err) < 0 ||
            (*mask && gt_image_resize(*mask, a->w, a->h, &b, &err) < 0)) {
            gt_image_free(a);
            return tool_fail_err(&err);
        }
        gt_image_free(*im);
        *im = a;
        if (b) {
            gt_image_free(*mask);
            *mask = b;
        }
    }
    *usable = 1;
    return 0;
}

/* Entry e into the set: its class, file name, pieces, tallies. */
static int ingest_one(run *r, const found *f, const entry *e, char *const *inputs)
{
    const img_opts *o = r->o;
    gt_image *im = NULL, *mask = NULL;
    int usable, rc = load(r, f, e, &im, &mask, &usable);
    if (rc || !usable)
        goto out;
    if (!r->set) {
        int c = o->channels ? o->channels : im->c;
        if (!(r->set = gt_imageset_new(o->size, c, o->tile ? "tile" : "crop"))) {
            rc = tool_fail("out of memory");
            goto out;
        }
    }
    if (im->c == 1 && r->set->channels == 3 && to_rgb(&im) < 0) {
        rc = tool_fail("out of memory");
        goto out;
    }
    if (im->c == 3 && r->set->channels == 1 && (rc = promote(r)))
        goto out;
    char name[512];
    class_of(o, e, name, sizeof name);
    int cls = gt_imageset_class(r->set, name);
    /* A name two folders share is kept apart by its folder. */
    int before = r->set->nfiles, file = gt_imageset_file(r->set, e->rel);
    if (file >= 0 && file < before && e->dir) {
        char *full = xasprintf2(inputs[e->root], "/", e->rel);
        file = full ? gt_imageset_file(r->set, full) : -1;
        free(full);
    }
    if (cls < -1 || file < 0) {
        rc = tool_fail("out of memory");
        goto out;
    }
    if (cls >= r->ncounted) {
        tally *t = realloc(r->per_class, (size_t)(cls + 1) * sizeof *t);
        if (!t) {
            rc = tool_fail("out of memory");
            goto out;
        }
        memset(t + r->ncounted, 0, (size_t)(cls + 1 - r->ncounted) * sizeof *t);
        r->per_class = t;
        r->ncounted = cls + 1;
    }
    size_t n0 = r->set->n, added;
    if ((rc = add_pieces(r, im, mask, cls, file, &added)))
        goto out;
    r->images++;
    r->no_mask += o->masks && !mask;
    if (!added && !r->no_patch++)
        snprintf(r->first_small, sizeof r->first_small, "%s (%d x %d)", e->path, im->w, im->h);
    int defective = 0;
    for (size_t i = n0; i < r->set->n && !defective; i++)
        defective = gt_imageset_defective(r->set, i);
    r->defective_images += defective;
    if (cls >= 0) {
        r->per_class[cls].images++;
        r->per_class[cls].patches += added;
    }
out:
    gt_image_free(im);
    gt_image_free(mask);
    return rc;
}

/* "folder,folder2": the input folders (a file's own folder when given
 * directly), each once. */
static char *sources(char *const *inputs, int n)
{
    char **v = calloc((size_t)n + 1, sizeof *v);
    int k = 0;
    for (int i = 0; v && i < n; i++) {
        char *s = trim_slashes(inputs[i]);
        if (!s)
            break;
        struct stat st;
        if (stat(s, &st) != 0 || !S_ISDIR(st.st_mode)) {
            char *slash = strrchr(s, '/');
            if (slash && slash > s)
                *slash = 0;
            else
                strcpy(s, slash ? "/" : ".");
        }
        for (char *p = s; *p; p++) /* a comma list */
            if (*p == ',')
                *p = '_';
        if (gt_names_index(v, k, s) >= 0)
            free(s);
        else
            v[k++] = s;
    }
    char *j = v ? gt_names_join(v, k) : NULL;
    gt_names_free(v, k);
    return j;
}

static void print_summary(const run *r, const char *out)
{
    const gt_imageset *s = r->set;
    printf("%s: %zu image%s, %zu %s of %d x %d x %d (%s)", out, r->images,
           r->images == 1 ? "" : "s", s->n, r->o->tile ? "patches" : "crops", s->channels,
           s->size, s->size, s->fit);
    for (int k = 0; k < s->nclasses; k++) {
        printf("%s%s %zu", k ? ", " : "; classes: ", s->classes[k], r->per_class[k].images);
        if (r->o->tile)
            printf(" (%zu patches)", r->per_class[k].patches);
    }
    if (r->skipped)
        printf("; %zu file%s skipped", r->skipped, r->skipped == 1 ? "" : "s");
    putchar('\n');
    if (r->o->masks) {
        size_t bad = 0;
        for (size_t i = 0; i < s->n; i++)
            bad += gt_imageset_defective(s, i) != 0;
        printf("masks: %zu of %zu %s defective, from %zu of %zu images", bad, s->n,
               r->o->tile ? "patches" : "crops", r->defective_images, r->images);
        if (r->no_mask)
            printf("; %zu image%s had no mask (all 0)", r->no_mask, r->no_mask == 1 ? "" : "s");
        putchar('\n');
    }
    printf("see what is in it: gantry inspect %s\n", out);
}

int ingest_images(char *const *inputs, int n, const char *out, const img_opts *o)
{
    found f = {0};
    run r = {0};
    r.o = o;
    int rc = collect(&f, inputs, n, o->masks), nimages = 0;
    for (int i = 0; i < f.n; i++)
        nimages += !f.v[i].is_mask;
    if (!rc && !nimages)
        rc = tool_fail("no image files (.png, .jpg, .jpeg) in %s%s", inputs[0],
                       n > 1 ? " and the other inputs" : "");
    if (!rc && o->masks && !(r.zero_mask = calloc((size_t)o->size * (size_t)o->size, 1)))
        rc = tool_fail("out of memory");
    tool_progress prog;
    progress_start(&prog, nimages, rc ? 0 : o->progress);
    for (int i = 0, done = 0; i < f.n && !rc; i++) {
        if (f.v[i].is_mask)
            continue;
        rc = ingest_one(&r, &f, &f.v[i], inputs);
        progress_update(&prog, ++done, f.v[i].rel);
    }
    progress_end(&prog);
    if (!rc && r.no_patch)
        fprintf(stderr, "%s: warning: %zu image%s smaller than %d pixels on a side gave no "
                "patches (the first: %s)\n", tool_name, r.no_patch, r.no_patch == 1 ? "" : "s",
                o->size, r.first_small);
    if (!rc && (!r.set || !r.set->n))
        rc = tool_fail("no images to write (%zu read, %zu skipped)", r.images, r.skipped);
    gt_error err = {0};
    gt_store *st = NULL;
    if (!rc) {
        free(r.set->source);
        if (!(r.set->source = sources(inputs, n)))
            rc = tool_fail("out of memory");
    }
    if (!rc && (gt_store_create(&st, out, &err) < 0 || gt_store_add_images(st, r.set, &err) < 0)) {
        rc = tool_fail_err(&err);
        gt_store_abort(st);
    } else if (!rc && gt_store_commit(st, &err) < 0) {
        rc = tool_fail_err(&err);
    }
    if (!rc)
        print_summary(&r, out);
    gt_imageset_free(r.set);
    free(r.per_class);
    free(r.zero_mask);
    found_free(&f);
    return rc;
}
