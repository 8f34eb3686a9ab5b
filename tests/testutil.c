#include "testutil.h"

#include "gantry/signal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/wait.h>

int gtt_quick(void)
{
    const char *q = getenv("GT_TEST_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

static int read_u32(FILE *f, uint32_t *v)
{
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4)
        return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

gtt_fixture *gtt_fixture_load(const char *name)
{
    const char *dir = getenv("GANTRY_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.gtfx", dir ? dir : "tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open fixture %s (run tests from the repository root)", path);
    char magic[4];
    uint32_t version = 0, count = 0;
    ck_assert_msg(fread(magic, 1, 4, f) == 4 && memcmp(magic, "GTFX", 4) == 0,
                  "%s: not a fixture file", path);
    ck_assert_msg(read_u32(f, &version) == 0 && version == 1, "%s: bad version", path);
    ck_assert_msg(read_u32(f, &count) == 0 && count < 4096, "%s: bad count", path);
    gtt_fixture *fx = calloc(1, sizeof *fx);
    fx->arrays = calloc(count ? count : 1, sizeof *fx->arrays);
    fx->count = (int)count;
    for (uint32_t i = 0; i < count; i++) {
        gtt_array *a = &fx->arrays[i];
        uint32_t len = 0, ndim = 0;
        ck_assert_msg(read_u32(f, &len) == 0 && len < sizeof a->name, "%s: bad name", path);
        ck_assert_msg(fread(a->name, 1, len, f) == len, "%s: truncated", path);
        a->name[len] = 0;
        ck_assert_msg(read_u32(f, &ndim) == 0 && ndim <= 8, "%s: bad ndim", path);
        a->ndim = (int)ndim;
        a->n = 1;
        for (uint32_t d = 0; d < ndim; d++) {
            uint32_t v = 0;
            ck_assert_msg(read_u32(f, &v) == 0, "%s: truncated", path);
            a->dims[d] = (int)v;
            a->n *= v;
        }
        a->data = malloc((a->n ? a->n : 1) * sizeof(float));
        ck_assert_msg(fread(a->data, sizeof(float), a->n, f) == a->n, "%s: truncated data in %s",
                      path, a->name);
    }
    fclose(f);
    return fx;
}

int gtt_fixture_has(const gtt_fixture *fx, const char *name)
{
    for (int i = 0; i < fx->count; i++)
        if (strcmp(fx->arrays[i].name, name) == 0)
            return 1;
    return 0;
}

const gtt_array *gtt_fixture_array(const gtt_fixture *fx, const char *name)
{
    for (int i = 0; i < fx->count; i++)
        if (strcmp(fx->arrays[i].name, name) == 0)
            return &fx->arrays[i];
    ck_abort_msg("fixture has no array '%s'", name);
    return NULL;
}

const float *gtt_fixture_get(const gtt_fixture *fx, const char *name, size_t *n)
{
    const gtt_array *a = gtt_fixture_array(fx, name);
    if (n)
        *n = a->n;
    return a->data;
}

void gtt_check_scaled(const float *got, const float *want, size_t n, const char *cname,
                      const char *what)
{
    double m = 1.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)want[i]));
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %s", cname, what);
    gtt_assert_close(got, want, n, 1e-5 * m, 1e-4, msg);
}

float *gtt_falloc(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    ck_assert_ptr_nonnull(p);
    return p;
}

void gtt_fill_const(float *x, size_t n, float v)
{
    for (size_t i = 0; i < n; i++)
        x[i] = v;
}

void gtt_to_cnhw(float *dst, const float *src, int N, int C, int HW)
{
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            memcpy(dst + ((size_t)c * N + n) * HW, src + ((size_t)n * C + c) * HW,
                   (size_t)HW * sizeof *dst);
}

void gtt_from_cnhw(float *dst, const float *src, int N, int C, int HW)
{
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            memcpy(dst + ((size_t)n * C + c) * HW, src + ((size_t)c * N + n) * HW,
                   (size_t)HW * sizeof *dst);
}

void gtt_fixture_free(gtt_fixture *fx)
{
    if (!fx)
        return;
    for (int i = 0; i < fx->count; i++)
        free(fx->arrays[i].data);
    free(fx->arrays);
    free(fx);
}

double gtt_close_ratio(const float *a, const float *b, size_t n, double atol,
                       double rtol, size_t *where)
{
    double worst = 0;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        double r = d / (atol + rtol * fabs((double)b[i]));
        if (!(r <= worst)) { /* also catches NaN */
            worst = isnan(r) ? INFINITY : r;
            w = i;
        }
    }
    if (where)
        *where = w;
    return worst;
}

void gtt_fill(float *x, size_t n, uint64_t seed, float scale)
{
    gt_rng r;
    gt_rng_seed(&r, seed);
    gt_rng_fill_uniform(&r, x, n, -scale, scale);
}

double gtt_fd_check(double (*loss)(void *ctx), void *ctx, float *x,
                    const float *grad, size_t n, float h, size_t max_coords,
                    double atol, double rtol, size_t *where, double *fd_out,
                    uint64_t seed)
{
    gt_rng r;
    gt_rng_seed(&r, seed);
    double worst = 0;
    size_t count = n <= max_coords ? n : max_coords;
    for (size_t k = 0; k < count; k++) {
        size_t i = n <= max_coords ? k : gt_rng_below(&r, (uint32_t)n);
        float saved = x[i];
        x[i] = saved + h;
        double lp = loss(ctx);
        x[i] = saved - h;
        double lm = loss(ctx);
        x[i] = saved;
        double fd = (lp - lm) / (2.0 * (double)h);
        double an = grad[i];
        double ratio = fabs(fd - an) / (atol + rtol * fmax(fabs(fd), fabs(an)));
        if (!(ratio <= worst)) {
            worst = isnan(ratio) ? INFINITY : ratio;
            if (where)
                *where = i;
            if (fd_out)
                *fd_out = fd;
        }
    }
    return worst;
}

int gtt_dataset_path(char *buf, size_t cap, const char *relpath)
{
    const char *root = getenv("GANTRY_DATASETS");
    snprintf(buf, cap, "%s/%s", root && *root ? root : "../shared/datasets", relpath);
    if (access(buf, R_OK) == 0)
        return 0;
    const char *ci = getenv("CI");
    if (ci && strcmp(ci, "true") == 0)
        ck_abort_msg("dataset file %s is missing (CI=true; set GANTRY_DATASETS)", buf);
    fprintf(stderr, "SKIP: dataset file %s not found (set GANTRY_DATASETS)\n", buf);
    return -1;
}

void gtt_mean_envelope(float *acc, const float *x, size_t n, double rate, double lo, double hi)
{
    float *p = gtt_falloc(GTT_ENV_SEG / 2 + 1);
    gtt_fill_const(acc, GTT_ENV_SEG / 2 + 1, 0.0f);
    gt_error err = {0};
    int segs = 0;
    for (size_t s = 0; s + GTT_ENV_SEG <= n; s += GTT_ENV_SEG / 2, segs++) {
        ck_assert_msg(gt_envelope_spectrum(p, x + s, GTT_ENV_SEG, rate, lo, hi, &err) == GT_OK,
                      "%s", err.msg);
        for (int k = 0; k <= GTT_ENV_SEG / 2; k++)
            acc[k] += p[k];
    }
    ck_assert_int_gt(segs, 0);
    free(p);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

double gtt_prominence(const float *acc, double rate, double f)
{
    const double hz = rate / GTT_ENV_SEG;
    int k0 = (int)(10 / hz), k1 = (int)(500 / hz);
    float *tmp = gtt_falloc((size_t)(k1 - k0));
    memcpy(tmp, acc + k0, sizeof(float) * (size_t)(k1 - k0));
    qsort(tmp, (size_t)(k1 - k0), sizeof *tmp, cmp_float);
    double med = tmp[(k1 - k0) / 2], best = 0;
    free(tmp);
    for (int h = 1; h <= 3; h++) {
        int c = (int)lround(h * f / hz);
        for (int d = -1; d <= 1; d++)
            best = fmax(best, acc[c + d] / med);
    }
    return best;
}

/* ------------------------------------------------------- the gantry tool */

const char *gtt_tool(void)
{
    const char *t = getenv("GANTRY_TOOL");
    return t && *t ? t : "build/gantry";
}

int gtt_tool_run(char *out, size_t cap, const char *args)
{
    size_t need = strlen(gtt_tool()) + strlen(args) + 16;
    char *cmd = malloc(need);
    ck_assert_ptr_nonnull(cmd);
    snprintf(cmd, need, "%s %s 2>&1", gtt_tool(), args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t len = fread(out, 1, cap - 1, p);
    out[len] = 0;
    char sink[4096];
    while (fread(sink, 1, sizeof sink, p) > 0) /* drain what did not fit */
        ;
    int st = pclose(p);
    ck_assert_msg(WIFEXITED(st), "%s did not exit normally", cmd);
    free(cmd);
    return WEXITSTATUS(st);
}

int gtt_tool_runf(char *out, size_t cap, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    ck_assert_msg(n >= 0 && (size_t)n < sizeof args, "tool arguments too long: %s", fmt);
    return gtt_tool_run(out, cap, args);
}

char *gtt_tmpdir(void)
{
    char tmpl[] = "/tmp/gantry-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(d);
    return strdup(d);
}

void gtt_rmdir(const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

int gtt_count_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, ".tmp-") != NULL;
    closedir(d);
    return n;
}

void gtt_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}
