/* The fault classifier: its softmax cross-entropy (finite differences,
 * PyTorch, logits of +-1000), the network spec, training (learning,
 * determinism, class balance), save/load, and `gantry classify train|eval`
 * on simulated bearing data (accuracy on held-out spans, the model file,
 * --per-class, --extra, and the stores it refuses). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/classifier.h"
#include "gantry/gantry.h"
#include "test_classifier.h"
#include "testutil.h"

/* ------------------------------------------------------------- the loss */

typedef struct ce_ctx {
    const float *x;
    const int *y;
    int n, k;
} ce_ctx;

static double ce_fd(void *ctx)
{
    const ce_ctx *c = ctx;
    return gt_loss_softmax_ce(NULL, c->x, c->y, c->n, c->k, 1.0f);
}

/* The textbook formula in double: -log(exp(x_y) / sum exp(x_j)). */
static double ce_ref(const float *x, const int *y, int n, int k, double *grad)
{
    double s = 0;
    for (int i = 0; i < n; i++) {
        double z = 0;
        for (int j = 0; j < k; j++)
            z += exp((double)x[i * k + j]);
        s -= log(exp((double)x[i * k + y[i]]) / z);
        for (int j = 0; j < k; j++)
            grad[i * k + j] = (exp((double)x[i * k + j]) / z - (j == y[i])) / n;
    }
    return s / n;
}

START_TEST(ce_matches_formula_and_finite_differences)
{
    enum { N = 7, K = 5 };
    float x[N * K], g[N * K], g2[N * K], gf[N * K];
    double gr[N * K];
    int y[N] = {0, 4, 2, 2, 1, 3, 0};
    gtt_fill(x, N * K, 11, 2.0f);
    double loss = gt_loss_softmax_ce(g, x, y, N, K, 1.0f);
    double want = ce_ref(x, y, N, K, gr);
    ck_assert_msg(fabs(loss - want) < 1e-12 * (1 + fabs(want)), "loss %.17g, formula %.17g", loss,
                  want);
    for (int i = 0; i < N * K; i++)
        gf[i] = (float)gr[i];
    gtt_assert_close(g, gf, N * K, 1e-7, 1e-6, "ce gradient vs formula");
    /* each row's gradient sums to 0 */
    for (int i = 0; i < N; i++) {
        double s = 0;
        for (int j = 0; j < K; j++)
            s += g[i * K + j];
        ck_assert_msg(fabs(s) < 1e-7, "row %d: gradient sums to %g", i, s);
    }
    ce_ctx c = {x, y, N, K};
    gtt_assert_fd(ce_fd, &c, x, g, N * K, 1e-2f, 1e-4, 1e-2, "ce vs finite differences");
    /* scale multiplies the gradient, not the loss */
    ck_assert(gt_loss_softmax_ce(g2, x, y, N, K, -2.5f) == loss);
    for (int i = 0; i < N * K; i++)
        ck_assert_msg(fabs(g2[i] + 2.5f * g[i]) <= 1e-6f * fabsf(g[i]) + 1e-9f, "scale at %d", i);
    /* NULL grad, n = 0, a label out of range, a NaN logit */
    ck_assert(gt_loss_softmax_ce(NULL, x, y, N, K, 1.0f) == loss);
    ck_assert(gt_loss_softmax_ce(g2, x, y, 0, K, 1.0f) == 0.0);
    int bad[N] = {0, 4, 5, 2, 1, 3, 0};
    ck_assert(isnan(gt_loss_softmax_ce(g2, x, bad, N, K, 1.0f)));
    for (int j = 0; j < K; j++)
        ck_assert(g2[2 * K + j] == 0.0f);
    bad[2] = -1;
    ck_assert(isnan(gt_loss_softmax_ce(NULL, x, bad, N, K, 1.0f)));
    x[3] = NAN;
    ck_assert(isnan(gt_loss_softmax_ce(g2, x, y, N, K, 1.0f)));
}
END_TEST

START_TEST(ce_matches_pytorch)
{
    gtt_fixture *fx = gtt_fixture_load("loss_softmax_ce");
    const gtt_array *lg = gtt_fixture_array(fx, "logits");
    ck_assert_int_eq(lg->ndim, 2);
    const int n = lg->dims[0], k = lg->dims[1];
    size_t nl = 0;
    const float *lab = gtt_fixture_get(fx, "labels", &nl);
    ck_assert_uint_eq(nl, (size_t)n);
    int *y = malloc((size_t)n * sizeof(int));
    float *g = gtt_falloc((size_t)n * k);
    for (int i = 0; i < n; i++)
        y[i] = (int)lab[i];
    float loss = (float)gt_loss_softmax_ce(g, lg->data, y, n, k, 1.0f);
    gtt_check_scaled(&loss, gtt_fixture_get(fx, "loss", NULL), 1, "loss_softmax_ce", "loss");
    gtt_check_scaled(g, gtt_fixture_get(fx, "dlogits", NULL), (size_t)n * k, "loss_softmax_ce",
                     "dlogits");
    free(y);
    free(g);
    gtt_fixture_free(fx);
}
END_TEST

START_TEST(ce_is_stable_for_huge_logits)
{
    /* rows: a sure right answer, a sure wrong one (2000 away), a tie of
     * four at 1000, all at -1000 */
    float x[4 * 4] = {1000, -1000, -1000, -1000, 1000, -1000, 0, 0,
                      1000, 1000, 1000, 1000, -1000, -1000, -1000, -1000};
    int y[4] = {0, 1, 2, 3};
    float g[16];
    for (int row = 0; row < 4; row++) {
        double l = gt_loss_softmax_ce(g, x + 4 * row, y + row, 1, 4, 1.0f);
        const double want[4] = {0.0, 2000.0, log(4.0), log(4.0)};
        ck_assert_msg(fabs(l - want[row]) < 1e-9 * (1 + want[row]), "row %d: loss %.17g", row, l);
        for (int j = 0; j < 4; j++)
            ck_assert_msg(isfinite(g[j]), "row %d: gradient %d is %g", row, j, (double)g[j]);
    }
    gt_loss_softmax_ce(g, x + 4, y + 1, 1, 4, 1.0f);
    ck_assert(g[0] == 1.0f && g[1] == -1.0f && g[2] == 0.0f && g[3] == 0.0f);
    gt_loss_softmax_ce(g, x + 8, y + 2, 1, 4, 1.0f);
    ck_assert(g[0] == 0.25f && g[2] == -0.75f);
}
END_TEST

/* -------------------------------------------------------------- the spec */

START_TEST(spec_halves_down_to_eight)
{
    gt_error err = {0};
    char spec[4096];
    const int wins[3] = {1024, 100, 32};
    for (int s = 0; s < 3; s++)
        for (int in = 0; in < 2; in++) {
            gt_classifier_cfg c = gt_classifier_cfg_default(2, wins[s], 5);
            c.input = (gt_clf_input)in;
            ck_assert_msg(gt_classifier_spec(&c, spec, sizeof spec, &err) == GT_OK, "%s", err.msg);
            gt_model *m = NULL;
            ck_assert_msg(gt_model_parse(&m, spec, &err) == GT_OK, "%s\n%s", err.msg, spec);
            gt_shape i = gt_model_input_shape(m), o = gt_model_output_shape(m);
            ck_assert_int_eq(i.c, 2);
            ck_assert_int_eq(i.w, in ? wins[s] / 2 : wins[s]);
            ck_assert_int_eq(gt_classifier_input_len(&c), i.w);
            ck_assert_int_eq(o.c * o.h * o.w, 5);
            /* the last convolution's output is at most 8 long, the one
             * before longer; widths 8, 16, ... capped at 64 */
            int last = -1, prev = -1, widest = 0;
            for (int l = 0; l < gt_model_nlayers(m); l++)
                if (gt_model_layer(m, l)->kind == GT_LAYER_CONV) {
                    prev = last;
                    last = l;
                    int w = gt_model_layer(m, l)->units;
                    widest = w > widest ? w : widest;
                    ck_assert_int_eq(gt_model_layer(m, l)->sw, 2);
                }
            ck_assert_msg(gt_model_layer_output(m, last).w <= 8, "%s", spec);
            ck_assert_msg(prev < 0 || gt_model_layer_output(m, prev).w > 8, "%s", spec);
            ck_assert_int_eq(gt_model_layer(m, 0)->units, 8);
            ck_assert_int_le(widest, 64);
            ck_assert_msg(strstr(spec, "dropout 0.3") != NULL, "%s", spec);
            gt_model_free(m);
        }
    gt_classifier_cfg c = gt_classifier_cfg_default(1, 16, 3);
    ck_assert_int_eq(gt_classifier_spec(&c, spec, sizeof spec, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "window") != NULL, "%s", err.msg);
    c = gt_classifier_cfg_default(1, 64, 1);
    ck_assert_int_eq(gt_classifier_spec(&c, spec, sizeof spec, &err), GT_EINVAL);
    c = gt_classifier_cfg_default(1, 64, 3);
    ck_assert_int_eq(gt_classifier_spec(&c, spec, 20, &err), GT_EINVAL);
    gt_clf_input in;
    ck_assert_int_eq(gt_clf_input_parse("spectrum", &in, &err), GT_OK);
    ck_assert_int_eq(in, GT_CLF_SPECTRUM);
    ck_assert_int_eq(gt_clf_input_parse("welch", &in, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "raw") && strstr(err.msg, "spectrum"), "%s", err.msg);
}
END_TEST

/* --------------------------------------------------------------- library */

enum { WIN = 64, NCLS = 3 };

/* n windows of class i % NCLS: a tone of 3, 9 or 17 cycles per window at a
 * random phase plus noise (normalised enough as is). */
static void tones(float *x, int *cls, int n, uint64_t seed)
{
    gt_rng r;
    gt_rng_seed(&r, seed);
    const double cycles[NCLS] = {3, 9, 17};
    for (int i = 0; i < n; i++) {
        cls[i] = i % NCLS;
        double ph = 6.283185307179586 * gt_rng_uniform(&r);
        for (int t = 0; t < WIN; t++)
            x[i * WIN + t] = (float)sin(6.283185307179586 * cycles[cls[i]] * t / WIN + ph) +
                             0.3f * gt_rng_normal(&r);
    }
}

static gt_classifier *make(gt_clf_input in)
{
    char *classes[NCLS] = {"high", "low", "mid"}, *chans[1] = {"x"};
    gt_classifier_cfg c = gt_classifier_cfg_default(1, WIN, NCLS);
    c.input = in;
    gt_classifier *clf = NULL;
    gt_error err = {0};
    ck_assert_msg(gt_classifier_create(&clf, &c, classes, chans, &err) == GT_OK, "%s", err.msg);
    return clf;
}

static double accuracy(gt_classifier *clf, const float *x, const int *cls, int n)
{
    int *p = malloc((size_t)n * sizeof(int)), right = 0;
    ck_assert_int_eq(gt_classifier_predict(clf, x, (size_t)n, p, NULL), GT_OK);
    for (int i = 0; i < n; i++)
        right += p[i] == cls[i];
    free(p);
    return (double)right / n;
}

static long calls;
static void count_calls(void *ctx, const gt_classifier_progress *p)
{
    calls++;
    ck_assert_int_eq(p->step, calls);
    ck_assert(isfinite(p->loss) && p->accuracy >= 0 && p->accuracy <= 1);
    ck_assert_ptr_eq(ctx, &calls);
}

START_TEST(learns_tones_deterministically)
{
    enum { NTRAIN = 96, NTEST = 150, TONE_STEPS = 80 };
    float *x = gtt_falloc(NTRAIN * WIN), *xt = gtt_falloc(NTEST * WIN);
    int cls[NTRAIN], ct[NTEST];
    tones(x, cls, NTRAIN, 1);
    tones(xt, ct, NTEST, 2);
    for (int in = 0; in < 2; in++) {
        gt_classifier *a = make((gt_clf_input)in), *b = make((gt_clf_input)in);
        gt_classifier_train_cfg t = gt_classifier_train_default();
        t.steps = TONE_STEPS;
        t.batch = 32;
        t.seed = 5;
        gt_error err = {0};
        calls = 0;
        ck_assert_msg(gt_classifier_train(a, x, cls, NTRAIN, &t, count_calls, &calls, &err) ==
                          GT_OK, "%s", err.msg);
        ck_assert_int_eq(calls, TONE_STEPS);
        ck_assert_msg(gt_classifier_train(b, x, cls, NTRAIN, &t, NULL, NULL, &err) == GT_OK, "%s",
                      err.msg);
        double acc = accuracy(a, xt, ct, NTEST);
        printf("classifier: tones, %s input, %d steps: accuracy %.3f on fresh windows\n",
               in ? "spectrum" : "raw", TONE_STEPS, acc);
        ck_assert_msg(acc > 0.9, "%s input: accuracy %.3f on fresh tones", in ? "spectrum" : "raw",
                      acc);
        /* same seed (and threads): the same model */
        ck_assert_uint_eq(gt_model_nparams(a->model), gt_model_nparams(b->model));
        ck_assert(memcmp(gt_model_params(a->model), gt_model_params(b->model),
                         gt_model_nparams(a->model) * sizeof(float)) == 0);
        ck_assert(memcmp(a->hist_loss, b->hist_loss, TONE_STEPS * sizeof(float)) == 0);
        ck_assert_msg(a->hist_loss[TONE_STEPS - 1] < a->hist_loss[0], "loss %g -> %g",
                      a->hist_loss[0], a->hist_loss[TONE_STEPS - 1]);
        /* another seed: another model */
        t.seed = 6;
        ck_assert(gt_classifier_train(b, x, cls, NTRAIN, &t, NULL, NULL, &err) == GT_OK);
        ck_assert(memcmp(gt_model_params(a->model), gt_model_params(b->model),
                         gt_model_nparams(a->model) * sizeof(float)) != 0);
        gt_classifier_free(a);
        gt_classifier_free(b);
    }
    free(x);
    free(xt);
}
END_TEST

START_TEST(balanced_batches_do_not_ignore_a_scarce_class)
{
    /* 90 windows of "high" and "low", 6 of "mid" */
    enum { N = 186, NTEST = 150 };
    float *x = gtt_falloc(N * WIN), *xt = gtt_falloc(NTEST * WIN);
    int cls[N], ct[NTEST], k = 0;
    tones(xt, ct, NTEST, 3);
    float *tmp = gtt_falloc(270 * WIN);
    int tc[270];
    tones(tmp, tc, 270, 4);
    int have[NCLS] = {0};
    for (int i = 0; i < 270 && k < N; i++)
        if (have[tc[i]] < (tc[i] == 1 ? 6 : 90)) {
            have[tc[i]]++;
            memcpy(x + k * WIN, tmp + i * WIN, WIN * sizeof(float));
            cls[k++] = tc[i];
        }
    ck_assert_int_eq(k, N);
    gt_classifier *clf = make(GT_CLF_RAW);
    gt_classifier_train_cfg t = gt_classifier_train_default();
    t.steps = 40;
    t.batch = 32;
    gt_error err = {0};
    ck_assert(gt_classifier_train(clf, x, cls, N, &t, NULL, NULL, &err) == GT_OK);
    int *p = malloc(NTEST * sizeof(int)), right = 0, total = 0;
    gt_classifier_predict(clf, xt, NTEST, p, NULL);
    for (int i = 0; i < NTEST; i++)
        if (ct[i] == 1) {
            total++;
            right += p[i] == 1;
        }
    ck_assert_msg(right > 0.8 * total, "scarce class: %d of %d recalled", right, total);
    free(p);
    free(x);
    free(xt);
    free(tmp);
    gt_classifier_free(clf);
}
END_TEST

START_TEST(save_load_round_trip)
{
    enum { N = 96 };
    float *x = gtt_falloc(N * WIN);
    int cls[N];
    tones(x, cls, N, 7);
    char *dir = gtt_tmpdir(), path[1100];
    snprintf(path, sizeof path, "%s/clf.h5", dir);
    for (int in = 0; in < 2; in++) {
        gt_classifier *a = make((gt_clf_input)in), *b = NULL;
        a->hop = 17;
        a->rate_hz = 12000;
        a->norm = GT_NORM_ROBUST;
        a->center[0] = 0.5f;
        a->scale[0] = 2.0f;
        gt_classifier_train_cfg t = gt_classifier_train_default();
        t.steps = 8;
        t.seed = 9;
        gt_error err = {0};
        ck_assert(gt_classifier_train(a, x, cls, N, &t, NULL, NULL, &err) == GT_OK);
        ck_assert_msg(gt_classifier_save(a, path, &err) == GT_OK, "%s", err.msg);
        ck_assert_msg(gt_classifier_load(&b, path, &err) == GT_OK, "%s", err.msg);
        ck_assert_int_eq(b->cfg.window, WIN);
        ck_assert_int_eq(b->cfg.input, in);
        ck_assert_int_eq(b->cfg.nclasses, NCLS);
        ck_assert_str_eq(b->classes[2], "mid");
        ck_assert_str_eq(b->channels[0], "x");
        ck_assert_int_eq(b->hop, 17);
        ck_assert(b->rate_hz == 12000 && b->norm == GT_NORM_ROBUST);
        ck_assert(b->center[0] == 0.5f && b->scale[0] == 2.0f);
        ck_assert_int_eq(b->steps, 8);
        ck_assert(b->seed == 9);
        ck_assert(memcmp(a->hist_acc, b->hist_acc, 8 * sizeof(float)) == 0);
        if (in)
            ck_assert(memcmp(a->feat_scale, b->feat_scale, WIN / 2 * sizeof(float)) == 0);
        int pa[N], pb[N];
        float *qa = gtt_falloc(N * NCLS), *qb = gtt_falloc(N * NCLS);
        gt_classifier_predict(a, x, N, pa, qa);
        gt_classifier_predict(b, x, N, pb, qb);
        ck_assert(memcmp(pa, pb, sizeof pa) == 0);
        gtt_assert_close(qb, qa, N * NCLS, 1e-6, 1e-5, "probabilities after load");
        for (int i = 0; i < N; i++) {
            double s = 0;
            for (int j = 0; j < NCLS; j++)
                s += qa[i * NCLS + j];
            ck_assert_msg(fabs(s - 1) < 1e-5, "window %d: probabilities sum to %g", i, s);
        }
        free(qa);
        free(qb);
        gt_classifier_free(a);
        gt_classifier_free(b);
    }
    /* another kind of model file is refused, saying what it holds */
    gt_error err = {0};
    gt_h5 *f = NULL;
    ck_assert(gt_h5_create(&f, path, GT_MODEL_FORMAT, 1, 0, &err) == GT_OK);
    ck_assert(gt_h5_write_attr_str(f, "/", "kind", "gan", &err) == GT_OK);
    ck_assert(gt_h5_commit(f, &err) == GT_OK);
    gt_classifier *c = NULL;
    ck_assert_int_ne(gt_classifier_load(&c, path, &err), GT_OK);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err.msg, "gan") && strstr(err.msg, "classifier"), "%s", err.msg);
    gtt_rmdir(dir);
    free(dir);
    free(x);
}
END_TEST

START_TEST(train_refuses_bad_input)
{
    float x[4 * WIN] = {0};
    int cls[4] = {0, 1, 3, 0};
    gt_classifier *clf = make(GT_CLF_RAW);
    gt_classifier_train_cfg t = gt_classifier_train_default();
    gt_error err = {0};
    ck_assert_int_eq(gt_classifier_train(clf, x, cls, 4, &t, NULL, NULL, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "class 3") != NULL, "%s", err.msg);
    ck_assert_int_eq(gt_classifier_train(clf, x, cls, 0, &t, NULL, NULL, &err), GT_EINVAL);
    cls[2] = 2;
    t.batch = 65;
    ck_assert_int_eq(gt_classifier_train(clf, x, cls, 4, &t, NULL, NULL, &err), GT_EINVAL);
    t = gt_classifier_train_default();
    t.steps = 3;
    x[5] = NAN;
    ck_assert_int_eq(gt_classifier_train(clf, x, cls, 4, &t, NULL, NULL, &err), GT_ENUMERIC);
    ck_assert_msg(strstr(err.msg, "step 1") != NULL, "%s", err.msg);
    gt_classifier_free(clf);
    char *classes[2] = {"a", "a"}, *chans[1] = {"x"};
    gt_classifier_cfg c = gt_classifier_cfg_default(1, WIN, 2);
    ck_assert_int_eq(gt_classifier_create(&clf, &c, classes, chans, &err), GT_EINVAL);
    ck_assert_msg(strstr(err.msg, "twice") != NULL, "%s", err.msg);
    classes[1] = "b,c";
    ck_assert_int_eq(gt_classifier_create(&clf, &c, classes, chans, &err), GT_EINVAL);
}
END_TEST

/* ------------------------------------------------------------- the tool */

/* A store of one recording of noise with the given channel, class and rate. */
static void write_store(const char *path, const char *channel, const char *cls, double rate)
{
    gt_recording *r = gt_recording_new("rec", 1, 4096);
    ck_assert_ptr_nonnull(r);
    r->channels[0] = strdup(channel);
    r->units[0] = strdup("g");
    free(r->cls);
    r->cls = strdup(cls);
    r->rate_hz = rate;
    gtt_fill(r->values, r->n, 3, 1.0f);
    gt_error err = {0};
    gt_store *s = NULL;
    ck_assert_msg(gt_store_create(&s, path, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_add(s, r, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_commit(s, &err) == GT_OK, "%s", err.msg);
    gt_recording_free(r);
}

double json_number(const char *out, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(out, k);
    ck_assert_msg(p != NULL, "no %s in %s", key, out);
    return strtod(p + strlen(k), NULL);
}

char expect_out[16384];

void expect_run(int want, const char *a, const char *b, const char *fmt, ...)
{
    char args[4096], *out = expect_out;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int rc = gtt_tool_run(out, sizeof expect_out, args);
    ck_assert_msg(rc == want, "gantry %s: exit %d, not %d: %s", args, rc, want, out);
    ck_assert_msg((!a || strstr(out, a)) && (!b || strstr(out, b)),
                  "gantry %s: no '%s' or '%s' in: %s", args, a ? a : "", b ? b : "", out);
}

START_TEST(tool_usage)
{
    expect_run(0, "classify train", "classify eval", "classify --help");
    expect_run(0, "--per-class", "--extra", "classify train --help");
    expect_run(0, "--span", "--json", "classify eval --help");
    expect_run(2, NULL, NULL, "classify");
    expect_run(2, "guess", NULL, "classify guess x.h5");
    expect_run(2, NULL, NULL, "classify train");
    expect_run(2, "-o", NULL, "classify train x.h5");
    expect_run(2, "welch", NULL, "classify train x.h5 -o y.h5 --input welch");
    expect_run(2, "0.6:0.2", NULL, "classify train x.h5 -o y.h5 --span 0.6:0.2");
    expect_run(2, "--window", NULL, "classify train x.h5 -o y.h5 --window 16");
    expect_run(2, NULL, NULL, "classify eval clf.h5");
    expect_run(1, "/nonexistent/clf.h5", NULL, "classify eval /nonexistent/clf.h5 x.h5");
}
END_TEST

START_TEST(tool_learns_simulated_faults)
{
    char *dir = gtt_tmpdir(), sim[1100], clf[1100], args[4096], out[16384];
    snprintf(sim, sizeof sim, "%s/sim.h5", dir);
    snprintf(clf, sizeof clf, "%s/clf.h5", dir);
    snprintf(args, sizeof args, "simulate bearing -o %s --seconds 2 --seed 3", sim);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 0);
    /* train on the first half of each recording, evaluate on the second */
    const int steps = 200;
    snprintf(args, sizeof args,
             "classify train %s -o %s --span 0:0.5 --window 512 --steps %d --threads 1 --quiet",
             sim, clf, steps);
    int rc = gtt_tool_run(out, sizeof out, args);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "4 classes") && strstr(out, "wrote"), "%s", out);
    snprintf(args, sizeof args, "classify eval %s %s --span 0.5:1 --json --threads 1", clf, sim);
    rc = gtt_tool_run(out, sizeof out, args);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    double acc = json_number(out, "accuracy");
    printf("classifier: simulated bearing faults, window 512, %d steps: held-out accuracy %.4f "
           "(%g windows)\n", steps, acc, json_number(out, "windows"));
    ck_assert_msg(acc > 0.9, "accuracy %.4f on the held-out halves: %s", acc, out);
    ck_assert_msg(strstr(out, "\"classes\":[\"ball\",\"inner_race\",\"normal\",\"outer_race\"]") &&
                      strstr(out, "\"recall\":{\"ball\":") && strstr(out, "\"confusion\":[["),
                  "%s", out);
    ck_assert(json_number(out, "windows") == 4 * 45);
    /* the text report: accuracy, recall per class, the confusion matrix */
    snprintf(args, sizeof args, "classify eval %s %s --span 0.5:1 --threads 1", clf, sim);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 0);
    ck_assert_msg(strstr(out, "accuracy") && strstr(out, "recall") && strstr(out, "confusion") &&
                      strstr(out, "outer_race"), "%s", out);

    /* the model file */
    gt_error err = {0};
    gt_h5 *f = NULL;
    ck_assert_msg(gt_h5_open(&f, clf, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, NULL, &err) == GT_OK,
                  "%s", err.msg);
    const char *attrs[5][2] = {{"kind", "classifier"},
                               {"classes", "ball,inner_race,normal,outer_race"},
                               {"channels", "DE_accel"},
                               {"input", "raw"},
                               {"normalize", "zscore"}};
    for (int i = 0; i < 5; i++) {
        char *s = NULL;
        ck_assert_msg(gt_h5_read_attr_str(f, "/", attrs[i][0], &s, &err) == GT_OK, "%s", err.msg);
        ck_assert_str_eq(s, attrs[i][1]);
        free(s);
    }
    double v = 0;
    ck_assert(gt_h5_read_attr_double(f, "/", "window", &v, &err) == GT_OK && v == 512);
    ck_assert(gt_h5_read_attr_double(f, "/", "hop", &v, &err) == GT_OK && v == 256);
    ck_assert(gt_h5_read_attr_double(f, "/", "rate_hz", &v, &err) == GT_OK && v == 12000);
    float *h = NULL;
    size_t n = 0;
    ck_assert(gt_h5_read_floats(f, "history/accuracy", &h, &n, NULL, NULL, &err) == GT_OK);
    ck_assert_uint_eq(n, (size_t)steps);
    free(h);
    ck_assert(gt_h5_read_floats(f, "norm/scale", &h, &n, NULL, NULL, &err) == GT_OK);
    ck_assert(n == 1 && h[0] > 0);
    free(h);
    ck_assert(gt_h5_exists(f, "classifier/params"));
    gt_h5_close(f);

    /* not overwritten unasked */
    snprintf(args, sizeof args, "classify train %s -o %s --steps 2 --window 512", sim, clf);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "exists") && strstr(out, "--force"), "%s", out);
    ck_assert_int_eq(gtt_count_tmp_files(dir), 0);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(tool_per_class_extra_and_spectrum)
{
    char *dir = gtt_tmpdir(), sim[1100], sim2[1100], clf[1100], args[4096], out[16384], line[1300];
    snprintf(sim, sizeof sim, "%s/sim.h5", dir);
    snprintf(sim2, sizeof sim2, "%s/sim2.h5", dir);
    snprintf(clf, sizeof clf, "%s/clf.h5", dir);
    snprintf(args, sizeof args, "simulate bearing -o %s --seconds 1 --seed 4", sim);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 0);
    snprintf(args, sizeof args,
             "simulate bearing -o %s --seconds 1 --seed 5 --faults inner_race,normal", sim2);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 0);
    /* 5 windows per class of the store, and all 45 windows (1 s, window
     * 512, hop 256) of each class of the extra store */
    snprintf(args, sizeof args,
             "classify train %s -o %s --window 512 --per-class 5 --extra %s --steps 3 "
             "--input spectrum --threads 1",
             sim, clf, sim2);
    int rc = gtt_tool_run(out, sizeof out, args);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    snprintf(line, sizeof line, "  %-16s %6d  + %d from %s", "ball", 5, 0, sim2);
    ck_assert_msg(strstr(out, line) != NULL, "no '%s' in %s", line, out);
    snprintf(line, sizeof line, "  %-16s %6d  + %d from %s", "inner_race", 5, 45, sim2);
    ck_assert_msg(strstr(out, line) != NULL, "no '%s' in %s", line, out);
    ck_assert_msg(strstr(out, "110 windows") && strstr(out, "spectrum input"), "%s", out);
    /* the same seed draws the same windows; spectrum models evaluate */
    snprintf(args, sizeof args, "classify eval %s %s --json", clf, sim2);
    rc = gtt_tool_run(out, sizeof out, args);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "\"ball\":null") != NULL, "%s", out);
    ck_assert(json_number(out, "windows") == 90);
    /* --per-class larger than a class keeps all its windows */
    snprintf(args, sizeof args,
             "classify train %s -o %s --window 512 --per-class 1000 --steps 1 --force --threads 1",
             sim, clf);
    rc = gtt_tool_run(out, sizeof out, args);
    ck_assert_msg(rc == 0 && strstr(out, "180 windows"), "exit %d: %s", rc, out);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

/* --init: fine-tuning starts from the model's weights (a step of a tiny
 * learning rate keeps its accuracy, where the same step from scratch is
 * near chance), with its window, hop and normalisation; what it fixes is
 * refused, and so are classes it does not know. */
START_TEST(tool_fine_tunes_from_init)
{
    char *dir = gtt_tmpdir(), sim[1100], sim2[1100], two[1100], a[1100], b[1100];
    char out[16384], args[4096];
    snprintf(sim, sizeof sim, "%s/sim.h5", dir);
    snprintf(sim2, sizeof sim2, "%s/sim2.h5", dir);
    snprintf(two, sizeof two, "%s/two.h5", dir);
    snprintf(a, sizeof a, "%s/a.h5", dir);
    snprintf(b, sizeof b, "%s/b.h5", dir);
    expect_run(0, NULL, NULL, "simulate bearing -o %s --seconds 2 --seed 3", sim);
    expect_run(0, NULL, NULL, "simulate bearing -o %s --seconds 1 --seed 9", sim2);
    expect_run(0, NULL, NULL, "classify train %s -o %s --span 0:0.5 --window 512 --steps 200 "
               "--threads 1", sim, a);
    double acc[3];
    for (int k = 0; k < 3; k++) {
        /* k = 0: the model itself; 1: fine-tuned from it; 2: from scratch */
        if (k > 0) {
            snprintf(args, sizeof args, "classify train %s -o %s --steps 1 --lr 1e-9 --threads 1 "
                     "--force %s", sim2, b, k == 1 ? "--init" : "--window 512");
            size_t len = strlen(args);
            if (k == 1)
                snprintf(args + len, sizeof args - len, " %s", a);
            int rc = gtt_tool_run(out, sizeof out, args);
            ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
            ck_assert_msg((k == 1) == (strstr(out, "fine-tuning 1 steps") != NULL), "%s", out);
            /* the model's hop (256) by default */
            ck_assert_msg(strstr(out, "(hop 256)") != NULL, "%s", out);
        }
        snprintf(args, sizeof args, "classify eval %s %s --span 0.5:1 --json --threads 1",
                 k ? b : a, sim);
        int rc = gtt_tool_run(out, sizeof out, args);
        ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
        acc[k] = json_number(out, "accuracy");
    }
    printf("classifier --init: held-out accuracy %.3f trained, %.3f after one fine-tuning step, "
           "%.3f after one step from scratch\n", acc[0], acc[1], acc[2]);
    ck_assert_msg(acc[0] > 0.9 && acc[1] > 0.9 && acc[2] < 0.6, "%.3f %.3f %.3f", acc[0], acc[1],
                  acc[2]);
    /* what the model fixes; a class it does not know; a store as the model */
    expect_run(2, "--window", "--init", "classify train %s -o %s/x.h5 --init %s --window 256",
               sim2, dir, a);
    expect_run(2, "--input", "--init", "classify train %s -o %s/x.h5 --init %s --input spectrum",
               sim2, dir, a);
    expect_run(0, NULL, NULL, "simulate bearing -o %s --seconds 1 --seed 5 "
               "--faults inner_race,normal", two);
    expect_run(0, NULL, NULL, "classify train %s -o %s --window 512 --steps 2 --threads 1 --force",
               two, b);
    expect_run(1, "ball", "inner_race,normal", "classify train %s -o %s/x.h5 --init %s --steps 1",
               sim2, dir, b);
    expect_run(1, "sim.h5", NULL, "classify train %s -o %s/x.h5 --init %s", sim2, dir, sim);
    ck_assert_int_eq(gtt_count_tmp_files(dir), 0);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(tool_refuses_stores_that_do_not_fit)
{
    char *dir = gtt_tmpdir(), sim[1100], clf[1100], p[1100];
    snprintf(sim, sizeof sim, "%s/sim.h5", dir);
    snprintf(clf, sizeof clf, "%s/clf.h5", dir);
    expect_run(0, NULL, NULL, "simulate bearing -o %s --seconds 1 --seed 4", sim);
    expect_run(0, NULL, NULL, "classify train %s -o %s --window 256 --steps 2 --threads 1", sim,
               clf);

    /* another channel: exit 1, naming the missing one */
    snprintf(p, sizeof p, "%s/fe.h5", dir);
    write_store(p, "FE_accel", "normal", 12000);
    expect_run(1, "DE_accel", "fe.h5", "classify eval %s %s", clf, p);
    /* another rate: both named */
    snprintf(p, sizeof p, "%s/rate.h5", dir);
    write_store(p, "DE_accel", "normal", 10000);
    expect_run(1, "10000", "12000", "classify eval %s %s", clf, p);
    /* the same for an --extra store */
    expect_run(1, "10000", "12000", "classify train %s -o %s/x.h5 --window 256 --extra %s", sim,
               dir, p);
    /* a class the model does not know: the known ones listed */
    snprintf(p, sizeof p, "%s/cls.h5", dir);
    write_store(p, "DE_accel", "cracked", 12000);
    expect_run(1, "cracked", "ball,inner_race,normal,outer_race", "classify eval %s %s", clf, p);
    /* recordings without a class: refused for training and evaluation */
    snprintf(p, sizeof p, "%s/none.h5", dir);
    write_store(p, "DE_accel", "", 12000);
    expect_run(1, "no class", NULL, "classify eval %s %s", clf, p);
    expect_run(1, "recording rec", "no class", "classify train %s -o %s/x.h5 --window 256", p, dir);
    /* one class only, a recording that is not there, a model that is a store */
    expect_run(1, "one class", NULL, "classify train %s -o %s/x.h5 --window 256 --recordings "
               "sim_ball", sim, dir);
    expect_run(1, "sim_nothing", NULL, "classify train %s -o %s/x.h5 --recordings sim_nothing",
               sim, dir);
    expect_run(1, "sim.h5", NULL, "classify eval %s %s", sim, sim);
    ck_assert_int_eq(gtt_count_tmp_files(dir), 0);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

GTT_SUITE(gt_test_classifier_suite)
{
    Suite *s = suite_create("classifier");
    TCase *tc = tcase_create("classifier");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, ce_matches_formula_and_finite_differences);
    tcase_add_test(tc, ce_matches_pytorch);
    tcase_add_test(tc, ce_is_stable_for_huge_logits);
    tcase_add_test(tc, spec_halves_down_to_eight);
    tcase_add_test(tc, learns_tones_deterministically);
    tcase_add_test(tc, balanced_batches_do_not_ignore_a_scarce_class);
    tcase_add_test(tc, save_load_round_trip);
    tcase_add_test(tc, train_refuses_bad_input);
    tcase_add_test(tc, tool_usage);
    tcase_add_test(tc, tool_learns_simulated_faults);
    tcase_add_test(tc, tool_per_class_extra_and_spectrum);
    tcase_add_test(tc, tool_refuses_stores_that_do_not_fit);
    tcase_add_test(tc, tool_fine_tunes_from_init);
    suite_add_tcase(s, tc);
    return s;
}
