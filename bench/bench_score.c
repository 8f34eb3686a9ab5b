/*
 * bench_score - anomaly-scoring throughput of the time-series GAN with the
 * `vibration` preset (window 1024, 1 channel, latent 32, widths 8 to 128,
 * batch 32): windows per second of the full per-window score,
 * gt_tsgan_score_windows with the reconstruction (critic -D(x), encoder
 * E(x), G(E(x)), squared residual at every time), the call `gantry score`
 * and `gantry detect` make on every batch of windows.
 *
 *     bench_score --prepare DIR        build the model from a fixed seed, train
 *                                      it a few steps (realistic weights and
 *                                      batch-norm statistics), write
 *                                      DIR/score-model.h5 (gt_tsgan_save) and
 *                                      DIR/score-parity.h5 (windows and their
 *                                      scores, for bench/torch_score.py --check)
 *     bench_score [--model FILE] [--threads N] [--quick] [--no-peak]
 *                                      time scoring (FILE: a saved model;
 *                                      default: built as --prepare does)
 *
 * Output: JSON lines on stdout ("kind": "spec", "sgemm_peak", "result");
 * progress goes to stderr.  See bench/README.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/gantry.h"

#include "bench_util.h"

/* The vibration preset (tools/tsgan_tool.c, apply_preset). */
#define WINDOW 1024
#define NCH 1
#define NZ 32
#define WIDTH 8
#define MAX_WIDTH 128
#define BATCH 32
#define SEED 1
/* Training before anything is measured or dumped: enough steps to move the
 * weights and batch-norm running statistics away from their initial
 * values, so that the parity check means something. */
#define TRAIN_WINDOWS 256
#define TRAIN_STEPS 20
#define ENC_STEPS 20
/* Distinct input batches cycled through while timing. */
#define POOL 4
#define PARITY_N BATCH

typedef struct timing_rule {
    int warmup;      /* untimed batches first */
    double min_time; /* keep timing until this many seconds have passed ... */
    int max_calls;   /* ... or this many batches, whichever comes first, */
    int min_calls;   /* but never fewer than this */
} timing_rule;

static const timing_rule rule_full = {3, 3.0, 400, 10};
static const timing_rule rule_quick = {1, 0.3, 20, 3};
/* Each part of the score alone (D, E, G). */
static const timing_rule rule_parts = {2, 1.0, 200, 5};

static void die(const char *what, const gt_error *err)
{
    fprintf(stderr, "bench_score: %s%s%s\n", what, err ? ": " : "", err ? err->msg : "");
    exit(1);
}

static float *falloc(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p)
        die("out of memory", NULL);
    return p;
}

/* Random windows in [-1, 1], the range of minmax-normalised data. */
static float *random_windows(size_t n, uint64_t seed)
{
    float *x = falloc(n * WINDOW * NCH);
    gt_rng rng;
    gt_rng_seed(&rng, seed);
    gt_rng_fill_uniform(&rng, x, n * WINDOW * NCH, -1.0f, 1.0f);
    return x;
}

/* The preset's model from the fixed seed, trained TRAIN_STEPS GAN steps and
 * ENC_STEPS encoder steps on random windows. */
static gt_tsgan *build_model(void)
{
    gt_tsgan_cfg cfg = gt_tsgan_cfg_default(WINDOW, NCH);
    cfg.nz = NZ;
    cfg.width = WIDTH;
    cfg.max_width = MAX_WIDTH;
    cfg.batch = BATCH;
    cfg.seed = SEED;
    gt_error err = {0};
    gt_tsgan *t;
    if (gt_tsgan_create(&t, &cfg, &err) < 0)
        die("gt_tsgan_create", &err);
    float *x = random_windows(TRAIN_WINDOWS, 11);
    if (gt_tsgan_train_gan(t, x, NULL, TRAIN_WINDOWS, TRAIN_STEPS, NULL, NULL, &err) < 0 ||
        gt_tsgan_train_encoder(t, x, NULL, TRAIN_WINDOWS, ENC_STEPS, NULL, NULL, &err) < 0)
        die("training", &err);
    free(x);
    return t;
}

static double window_flops(const gt_tsgan *t)
{
    return gt_model_flops(t->d, 1) + gt_model_flops(t->e, 1) + gt_model_flops(t->g, 1);
}

static void print_model_spec(FILE *f, const char *part, const gt_model *m)
{
    size_t len = gt_model_spec(m, NULL, 0);
    char *s = malloc(len + 1);
    if (!s)
        die("out of memory", NULL);
    gt_model_spec(m, s, len + 1);
    fprintf(f, ",\"%s_params\":%zu,\"%s_flops\":%.6g,\"%s_spec\":", part, gt_model_nparams(m),
            part, gt_model_flops(m, 1), part);
    bench_put_json_str(f, s);
    free(s);
}

/* One JSON line describing the model: its configuration, the three specs,
 * parameters and FLOPs per window. */
static void print_spec(const gt_tsgan *t, const char *source)
{
    const gt_tsgan_cfg *c = &t->cfg;
    printf("{\"kind\":\"spec\",\"config\":\"vibration-1024x1\",\"source\":");
    bench_put_json_str(stdout, source);
    printf(",\"window\":%d,\"channels\":%d,\"nz\":%d,\"width\":%d,\"max_width\":%d,"
           "\"batch\":%d,\"seed\":%llu,\"train_steps\":%ld,\"encoder_steps\":%ld,"
           "\"window_flops\":%.6g",
           c->window, c->nch, c->nz, c->width, c->max_width, c->batch,
           (unsigned long long)c->seed, t->gan_steps, t->enc_steps, window_flops(t));
    print_model_spec(stdout, "g", t->g);
    print_model_spec(stdout, "d", t->d);
    print_model_spec(stdout, "e", t->e);
    fputs("}\n", stdout);
    fflush(stdout);
}

/* --- parity dump ---------------------------------------------------------- */

static void write_array(gt_h5 *f, const char *name, const float *x, int ndim, const size_t *dims)
{
    gt_error err = {0};
    if (gt_h5_write_floats(f, name, x, ndim, dims, &err) < 0) {
        gt_h5_abort(f);
        die("writing the parity file", &err);
    }
}

/* DIR/score-model.h5 and DIR/score-parity.h5: PARITY_N windows x (n, C, L),
 * and what gt_tsgan_score_windows makes of them: critic (n), recon (n, L),
 * the reconstructions xr (n, C, L), and E's latents z (n, nz). */
static void prepare(const char *dir)
{
    gt_tsgan *t = build_model();
    print_spec(t, "built");
    char path[4096];
    gt_error err = {0};
    snprintf(path, sizeof path, "%s/score-model.h5", dir);
    remove(path);
    if (gt_tsgan_save(t, path, &err) < 0)
        die("gt_tsgan_save", &err);
    fprintf(stderr, "bench_score: wrote %s\n", path);

    const size_t n = PARITY_N, S = (size_t)WINDOW * NCH;
    float *x = random_windows(n, 12);
    float *critic = falloc(n), *recon = falloc(n * WINDOW), *xr = falloc(n * S);
    float *z = falloc(n * NZ);
    if (gt_tsgan_score_windows(t, x, NULL, (int)n, critic, recon, xr) < 0 ||
        gt_model_infer(t->e, x, NULL, (int)n, z) < 0)
        die("scoring failed", NULL);
    snprintf(path, sizeof path, "%s/score-parity.h5", dir);
    remove(path);
    gt_h5 *f;
    if (gt_h5_create(&f, path, "gantry-bench-score", 1, 0, &err) < 0)
        die("creating the parity file", &err);
    size_t dx[3] = {n, NCH, WINDOW}, dr[2] = {n, WINDOW}, dz[2] = {n, NZ};
    write_array(f, "x", x, 3, dx);
    write_array(f, "critic", critic, 1, &n);
    write_array(f, "recon", recon, 2, dr);
    write_array(f, "xr", xr, 3, dx);
    write_array(f, "z", z, 2, dz);
    if (gt_h5_commit(f, &err) < 0)
        die("writing the parity file", &err);
    fprintf(stderr, "bench_score: wrote %s (%zu windows)\n", path, n);
    free(x);
    free(critic);
    free(recon);
    free(xr);
    free(z);
    gt_tsgan_free(t);
}

/* --- timing ---------------------------------------------------------------- */

typedef struct scorer {
    gt_tsgan *t;
    const float *pool; /* POOL batches of BATCH windows */
    float *critic, *recon, *z, *out;
} scorer;

typedef enum part { PART_SCORE, PART_D, PART_E, PART_G } part;
static const char *const part_names[] = {"score", "d", "e", "g"};

static int run_part(scorer *s, part p, int call)
{
    const int n = s->t->cfg.batch;
    const float *x = s->pool + (size_t)(call % POOL) * n * WINDOW * NCH;
    switch (p) {
    case PART_SCORE:
        return gt_tsgan_score_windows(s->t, x, NULL, n, s->critic, s->recon, NULL);
    case PART_D: /* the networks' inference, as gt_tsgan_score_windows runs them */
        return gt_model_infer(s->t->d, x, NULL, n, s->critic);
    case PART_E:
        return gt_model_infer(s->t->e, x, NULL, n, s->z);
    case PART_G:
        return gt_model_infer(s->t->g, s->z, NULL, n, s->out);
    }
    return GT_EINVAL;
}

typedef struct timing {
    int calls;
    double total_s, median_ms, min_ms, max_ms, mean_ms;
    double cpu_median_ms; /* CPU time per batch (all threads) */
    double load_before, load_after, self_cpus, others_cpus, steal_cpus;
} timing;

static timing time_part(scorer *s, part p, const timing_rule *rule)
{
    timing r;
    memset(&r, 0, sizeof r);
    double *ms = malloc((size_t)(rule->max_calls + rule->min_calls) * sizeof *ms);
    double *cpu = malloc((size_t)(rule->max_calls + rule->min_calls) * sizeof *cpu);
    if (!ms || !cpu)
        die("out of memory", NULL);
    r.load_before = bench_load1();
    int call = 0;
    for (int i = 0; i < rule->warmup; i++)
        if (run_part(s, p, call++) < 0)
            die("scoring failed", NULL);
    bench_cpu_mark m0 = bench_cpu_mark_now();
    double t0 = bench_now();
    for (;;) {
        double elapsed = bench_now() - t0;
        if (r.calls >= rule->min_calls &&
            (elapsed >= rule->min_time || r.calls >= rule->max_calls))
            break;
        double a = bench_now(), c = bench_cpu_now();
        if (run_part(s, p, call++) < 0)
            die("scoring failed", NULL);
        cpu[r.calls] = 1e3 * (bench_cpu_now() - c);
        ms[r.calls++] = 1e3 * (bench_now() - a);
    }
    r.total_s = bench_now() - t0;
    bench_cpu_mark m1 = bench_cpu_mark_now();
    r.min_ms = r.max_ms = ms[0];
    double sum = 0;
    for (int i = 0; i < r.calls; i++) {
        r.min_ms = ms[i] < r.min_ms ? ms[i] : r.min_ms;
        r.max_ms = ms[i] > r.max_ms ? ms[i] : r.max_ms;
        sum += ms[i];
    }
    r.mean_ms = sum / r.calls;
    r.median_ms = bench_median(ms, r.calls);
    r.cpu_median_ms = bench_median(cpu, r.calls);
    r.load_after = bench_load1();
    r.self_cpus = bench_self_cpus(m0, m1);
    r.others_cpus = bench_others_cpus(m0, m1);
    r.steal_cpus = bench_steal_cpus(m0, m1);
    free(ms);
    free(cpu);
    return r;
}

static void bench(gt_tsgan *t, int threads, int quick)
{
    const int n = t->cfg.batch;
    if (t->cfg.window != WINDOW || t->cfg.nch != NCH || t->cfg.nclasses)
        die("the model is not an unconditional 1024x1 window model", NULL);
    scorer s = {t, random_windows((size_t)POOL * n, 13), falloc((size_t)n),
                falloc((size_t)n * WINDOW), falloc((size_t)n * t->cfg.nz),
                falloc((size_t)n * WINDOW * NCH)};
    timing r = time_part(&s, PART_SCORE, quick ? &rule_quick : &rule_full);
    double flops = window_flops(t) * n;
    printf("{\"kind\":\"result\",\"impl\":\"gantry\",\"config\":\"vibration-1024x1\","
           "\"threads\":%d,\"batch\":%d,\"calls\":%d,\"total_s\":%.3f,\"median_ms\":%.3f,"
           "\"min_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f,\"cpu_median_ms\":%.3f,"
           "\"windows_per_s\":%.1f,\"batch_flops\":%.6g,\"gflops\":%.3f,\"load_before\":%.2f,"
           "\"load_after\":%.2f,\"self_cpus\":%.2f,\"others_cpus\":%.2f,\"steal_cpus\":%.2f,"
           "\"parts_ms\":{",
           threads, n, r.calls, r.total_s, r.median_ms, r.min_ms, r.max_ms, r.mean_ms,
           r.cpu_median_ms, n / (r.median_ms * 1e-3), flops, flops / (r.median_ms * 1e-3) / 1e9,
           r.load_before, r.load_after, r.self_cpus, r.others_cpus, r.steal_cpus);
    fflush(stdout);
    fprintf(stderr,
            "gantry  score threads %d: %8.3f ms per batch of %d, %8.1f windows/s "
            "(median of %d; other processes used %.2f CPUs)\n",
            threads, r.median_ms, n, n / (r.median_ms * 1e-3), r.calls, r.others_cpus);
    /* The parts alone: D(x), E(x), G(z) (z from the last E call); wall and
     * CPU medians. */
    timing q[PART_G + 1];
    for (part p = PART_D; p <= PART_G; p++)
        q[p] = time_part(&s, p, quick ? &rule_quick : &rule_parts);
    for (int cpu = 0; cpu < 2; cpu++) {
        fputs(cpu ? ",\"parts_cpu_ms\":{" : "", stdout);
        for (part p = PART_D; p <= PART_G; p++)
            printf("%s\"%s\":%.3f", p == PART_D ? "" : ",", part_names[p],
                   cpu ? q[p].cpu_median_ms : q[p].median_ms);
        fputs("}", stdout);
    }
    fputs("}\n", stdout);
    fflush(stdout);
    free((void *)s.pool);
    free(s.critic);
    free(s.recon);
    free(s.z);
    free(s.out);
}

/* --- main ------------------------------------------------------------------ */

static void usage(void)
{
    fputs("usage: bench_score [--model FILE] [--threads N] [--quick] [--no-peak]\n"
          "       bench_score --prepare DIR\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    int threads = 1, quick = 0, peak = 1;
    const char *model = NULL, *prep = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            if ((threads = bench_parse_threads(argv[++i])) < 0)
                usage();
        } else if (strcmp(a, "--quick") == 0) {
            quick = 1;
        } else if (strcmp(a, "--no-peak") == 0) {
            peak = 0;
        } else if (strcmp(a, "--model") == 0 && i + 1 < argc) {
            model = argv[++i];
        } else if (strcmp(a, "--prepare") == 0 && i + 1 < argc) {
            prep = argv[++i];
        } else {
            usage();
        }
    }
    gt_threads_set(threads);
    if (prep) {
        prepare(prep);
        return 0;
    }
    if (peak && bench_sgemm_peak(threads, 2048, quick ? 2 : 5) < 0)
        die("out of memory", NULL);
    gt_tsgan *t;
    if (model) {
        gt_error err = {0};
        if (gt_tsgan_load(&t, model, &err) < 0)
            die("gt_tsgan_load", &err);
    } else {
        t = build_model();
        print_spec(t, "built");
    }
    bench(t, threads, quick);
    gt_tsgan_free(t);
    return 0;
}
