/* gantry train, score, detect and synth on simulated bearing data: the files
 * they write, resuming, and what they refuse. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gantry/gantry.h"
#include "testutil.h"

static char out[65536];

#define run(...) gtt_tool_runf(out, sizeof out, __VA_ARGS__)

static size_t count_lines(const char *path, char *first, size_t cap)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char line[4096];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        if (n == 0 && first)
            snprintf(first, cap, "%.255s", line);
        n++;
    }
    fclose(f);
    return n;
}

/* The model file dir/name, loaded (the test fails if it cannot be). */
static gt_tsgan *load_model(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gt_error err = {0};
    gt_tsgan *t = NULL;
    ck_assert_msg(gt_tsgan_load(&t, path, &err) == GT_OK, "%s: %s", path, err.msg);
    return t;
}

/* The anomaly column (the last) of dir/name, which must have n rows after
 * the header. */
static uint8_t *read_flags(const char *dir, const char *name, size_t n)
{
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s", path);
    uint8_t *flag = calloc(n, 1);
    size_t i = 0;
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f)) {
        ck_assert_msg(i < n, "%s: more than %zu rows", path, n);
        flag[i++] = line[strlen(line) - 2] == '1';
    }
    fclose(f);
    ck_assert_uint_eq(i, n);
    return flag;
}

/* A refused run left no dir/name behind. */
static void assert_not_written(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert_msg(access(path, F_OK) != 0, "%s written by a refused run", path);
}

/* Whether dir/a and dir/b hold the same bytes. */
static int files_equal(const char *dir, const char *a, const char *b)
{
    char pa[512], pb[512];
    snprintf(pa, sizeof pa, "%s/%s", dir, a);
    snprintf(pb, sizeof pb, "%s/%s", dir, b);
    FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
    int same = fa && fb, ca, cb;
    while (same && ((ca = getc(fa)) != EOF) | ((cb = getc(fb)) != EOF))
        same = ca == cb;
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

/* Small, quick training settings for window 256. */
#define QUICK "--window 256 --hop 128 --score-hop 128 --width 8 --max-width 32 --nz 8 " \
              "--batch 16 --steps 40 --encoder-steps 30 --quiet --threads 1"

START_TEST(train_score_synth_resume)
{
    char *dir = gtt_tmpdir();
    ck_assert_int_eq(run("simulate bearing -o %s/sim.h5 --seconds 1", dir), 0);
    ck_assert_msg(run("train %s/sim.h5 -o %s/m.h5 --classes normal " QUICK, dir, dir) == 0, "%s",
                  out);
    ck_assert_msg(strstr(out, "trained 40 GAN steps and 30 encoder steps"), "%s", out);
    /* Refuses to overwrite. */
    ck_assert_int_eq(run("train %s/sim.h5 -o %s/m.h5 --classes normal " QUICK, dir, dir), 1);
    ck_assert_msg(strstr(out, "not overwriting"), "%s", out);

    gt_error err = {0};
    char path[512];
    gt_tsgan *t = load_model(dir, "m.h5");
    ck_assert_int_eq(t->cfg.window, 256);
    ck_assert_int_eq(t->cfg.nclasses, 0);
    ck_assert_str_eq(t->channels, "DE_accel");
    ck_assert_str_eq(t->units, "g");
    ck_assert(t->calibrated);
    ck_assert_int_eq((int)t->hist.n, 40);
    ck_assert_double_eq(t->rate_hz, 12000.0);
    gt_tsgan_free(t);

    /* Scores: one row per sample of the four recordings, with names. */
    ck_assert_msg(run("score %s/m.h5 %s/sim.h5 -o %s/s.csv --events %s/e.csv", dir, dir, dir,
                      dir) == 0,
                  "%s", out);
    char head[256];
    snprintf(path, sizeof path, "%s/s.csv", dir);
    ck_assert_int_eq((int)count_lines(path, head, sizeof head), 1 + 4 * 12000);
    ck_assert_str_eq(head, "recording,timestamp,score,anomaly\n");
    snprintf(path, sizeof path, "%s/e.csv", dir);
    count_lines(path, head, sizeof head);
    ck_assert_str_eq(head, "recording,start,end,severity\n");
    /* One recording: the plain header; and gantry eval reads it back. */
    ck_assert_int_eq(run("score %s/m.h5 %s/sim.h5 --recordings sim_ball -o %s/s1.csv", dir, dir,
                         dir),
                     0);
    snprintf(path, sizeof path, "%s/s1.csv", dir);
    ck_assert_int_eq((int)count_lines(path, head, sizeof head), 1 + 12000);
    ck_assert_str_eq(head, "timestamp,score,anomaly\n");

    /* --persist N and --trim N: the flags of the run without them, each
     * recording's runs trimmed (--min-gap 0: no merging after). */
    ck_assert_int_eq(run("score %s/m.h5 %s/sim.h5 -o %s/sa.csv --min-gap 0", dir, dir, dir), 0);
    ck_assert_msg(run("score %s/m.h5 %s/sim.h5 -o %s/sp.csv --min-gap 0 --persist 50", dir, dir,
                      dir) == 0,
                  "%s", out);
    ck_assert_msg(run("score %s/m.h5 %s/sim.h5 -o %s/st.csv --min-gap 0 --trim 20", dir, dir,
                      dir) == 0,
                  "%s", out);
    const size_t nrow = 4 * 12000;
    uint8_t *fa = read_flags(dir, "sa.csv", nrow);
    const char *trimmed[2] = {"sp.csv", "st.csv"};
    const size_t cut_head[2] = {49, 20}, cut_tail[2] = {0, 20};
    for (int k = 0; k < 2; k++) {
        uint8_t *want = malloc(nrow), *got = read_flags(dir, trimmed[k], nrow);
        memcpy(want, fa, nrow);
        for (size_t r = 0; r < 4; r++)
            gt_flags_trim(want + r * 12000, 12000, cut_head[k], cut_tail[k]);
        size_t na = 0, ng = 0;
        for (size_t i = 0; i < nrow; i++) {
            ck_assert_msg(want[i] == got[i], "%s, sample %zu: %d, trimmed %d", trimmed[k], i,
                          got[i], want[i]);
            na += fa[i];
            ng += got[i];
        }
        ck_assert_msg(ng > 0 && ng < na, "%s: %zu flagged, %zu untrimmed", trimmed[k], ng, na);
        free(want);
        free(got);
    }
    free(fa);
    ck_assert_int_eq(run("score %s/m.h5 %s/sim.h5 -o %s/sz.csv --persist 0", dir, dir, dir), 2);
    ck_assert_msg(strstr(out, "--persist"), "%s", out);
    ck_assert_int_eq(run("score %s/m.h5 %s/sim.h5 -o %s/sz.csv --trim -1", dir, dir, dir), 2);
    ck_assert_msg(strstr(out, "--trim"), "%s", out);

    /* Resume: 20 more steps on the same file. */
    ck_assert_msg(run("train %s/sim.h5 -o %s/m.h5 --resume %s/m.h5 --classes normal --steps 20 "
                      "--encoder-steps 10 --quiet --threads 1",
                      dir, dir, dir) == 0,
                  "%s", out);
    t = load_model(dir, "m.h5");
    ck_assert_int_eq((int)t->gan_steps, 60);
    ck_assert_int_eq((int)t->hist.n, 60);
    ck_assert_int_eq((int)t->enc_steps, 40);
    gt_tsgan_free(t);

    /* --d-shift is saved in the model and kept by --resume, which refuses
     * another. */
    ck_assert_msg(run("train %s/sim.h5 -o %s/t.h5 --classes normal --d-shift 16 " QUICK, dir,
                      dir) == 0,
                  "%s", out);
    t = load_model(dir, "t.h5");
    ck_assert_int_eq(t->cfg.d_shift, 16);
    ck_assert_int_eq(t->gan.cfg.shift, 16);
    gt_tsgan_free(t);
    ck_assert_int_eq(run("train %s/sim.h5 -o %s/t2.h5 --resume %s/t.h5 --d-shift 4 --steps 2",
                         dir, dir, dir),
                     2);
    ck_assert_msg(strstr(out, "--d-shift 4") && strstr(out, "16"), "%s", out);
    ck_assert_int_eq(run("train %s/sim.h5 -o %s/t2.h5 --classes normal --d-shift 256 " QUICK,
                         dir, dir),
                     1);
    ck_assert_msg(strstr(out, "0 to 255"), "%s", out);
    /* Without --d-shift: a quarter of the window for the historian preset,
     * none for vibration (sim.h5's 12 kHz picks vibration). */
    const char *shift_opts[3] = {"--preset historian --window 32", "--window 32", ""};
    const int shift_want[3] = {8, 0, 0};
    for (int k = 0; k < 3; k++) {
        ck_assert_msg(run("train %s/sim.h5 -o %s/t3.h5 --classes normal %s --hop 16 --width 8 "
                          "--max-width 16 --nz 4 --batch 8 --steps 2 --encoder-steps 0 --quiet "
                          "--threads 1 --force",
                          dir, dir, shift_opts[k]) == 0,
                      "%s", out);
        t = load_model(dir, "t3.h5");
        ck_assert_msg(t->cfg.d_shift == shift_want[k], "'%s': shift %d, want %d",
                      shift_opts[k], t->cfg.d_shift, shift_want[k]);
        gt_tsgan_free(t);
    }

    /* The hinge loss gets D's input gain from the data (1 / RMS) unless
     * --d-gain gives one; --resume keeps it and refuses another. */
    ck_assert_msg(run("train %s/sim.h5 -o %s/h.h5 --classes normal --loss hinge " QUICK, dir,
                      dir) == 0,
                  "%s", out);
    t = load_model(dir, "h.h5");
    ck_assert_msg(t->cfg.d_gain > 1.5f && t->cfg.d_gain < 50.0f, "gain %g", t->cfg.d_gain);
    ck_assert_int_eq(gt_model_layer(t->d, 0)->kind, GT_LAYER_SCALE);
    gt_tsgan_free(t);
    ck_assert_msg(run("train %s/sim.h5 -o %s/h2.h5 --classes normal --loss hinge --d-gain 2.5 "
                      QUICK, dir, dir) == 0,
                  "%s", out);
    t = load_model(dir, "h2.h5");
    ck_assert_float_eq(t->cfg.d_gain, 2.5f);
    gt_tsgan_free(t);
    /* gantry model tells how the model was trained, then its networks. */
    ck_assert_msg(run("model %s/h2.h5", dir) == 0, "%s", out);
    ck_assert_msg(strstr(out, "time-series GAN (tsgan)") &&
                      strstr(out, "trained 40 GAN steps and 30 encoder steps") &&
                      strstr(out, "loss hinge (D's input x2.5)") &&
                      strstr(out, "classes: none (unconditional)") &&
                      strstr(out, "last 40 steps: D loss") && strstr(out, "1  scale 2.5 "),
                  "%s", out);
    ck_assert_int_eq(run("train %s/sim.h5 -o %s/h3.h5 --resume %s/h2.h5 --d-gain 3 --steps 2",
                         dir, dir, dir),
                     2);
    ck_assert_msg(strstr(out, "--d-gain 3") && strstr(out, "2.5"), "%s", out);
    ck_assert_int_eq(run("train %s/sim.h5 -o %s/h3.h5 --classes normal --d-gain 0 " QUICK, dir,
                         dir),
                     2);
    ck_assert_msg(strstr(out, "above 0"), "%s", out);

    /* Conditional model and synthetic windows in the store's units. */
    ck_assert_msg(run("train %s/sim.h5 -o %s/c.h5 " QUICK, dir, dir) == 0, "%s", out);
    ck_assert_int_eq(run("synth %s/c.h5 -n 3 -o %s/x.h5", dir, dir), 1);
    ck_assert_msg(strstr(out, "ball,inner_race,normal,outer_race"), "%s", out);
    ck_assert_int_eq(run("synth %s/c.h5 --class nope -n 3 -o %s/x.h5", dir, dir), 1);
    ck_assert_msg(strstr(out, "ball,inner_race,normal,outer_race"), "%s", out);
    ck_assert_msg(run("synth %s/c.h5 --class outer_race -n 3 -o %s/x.h5", dir, dir) == 0, "%s",
                  out);
    gt_store *st = NULL;
    snprintf(path, sizeof path, "%s/x.h5", dir);
    ck_assert_msg(gt_store_open(&st, path, &err) == GT_OK, "%s", err.msg);
    gt_recording *r = NULL;
    ck_assert_msg(gt_store_read(st, "synth_outer_race", &r, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq((int)r->n, 3 * 256);
    ck_assert_str_eq(r->cls, "outer_race");
    ck_assert_str_eq(r->units[0], "g");
    ck_assert_double_eq(r->rate_hz, 12000.0);
    /* In g, as the simulator's (|x| up to a few g), not normalised to
     * [-1, 1] around 0 with the minmax statistics' scale. */
    float lo = 1e9f, hi = -1e9f;
    for (size_t i = 0; i < r->n; i++) {
        lo = fminf(lo, r->values[i]);
        hi = fmaxf(hi, r->values[i]);
    }
    ck_assert_msg(hi - lo > 0.05f && hi - lo < 20.0f, "range %g..%g", lo, hi);
    gt_recording_free(r);
    gt_store_close(st);
    ck_assert_msg(run("synth %s/c.h5 --class ball -n 2 --length 700 -o %s/x.csv", dir, dir) == 0,
                  "%s", out);
    snprintf(path, sizeof path, "%s/x.csv", dir);
    ck_assert_int_eq((int)count_lines(path, head, sizeof head), 1 + 2 * 700);
    ck_assert_str_eq(head, "sequence,time_s,DE_accel\n");
    /* The same seed and thread count give the same sequences. */
    ck_assert_int_eq(run("synth %s/c.h5 --class ball -n 2 --length 700 --threads 1 -o %s/t1.csv",
                         dir, dir),
                     0);
    ck_assert_int_eq(run("synth %s/c.h5 --class ball -n 2 --length 700 --threads 1 -o %s/t2.csv",
                         dir, dir),
                     0);
    ck_assert_msg(files_equal(dir, "t1.csv", "t2.csv"), "two runs with --threads 1 differ");
    ck_assert_int_eq(run("synth %s/c.h5 --class ball -n 2 --threads 0 -o %s/t3.csv", dir, dir),
                     2);
    ck_assert_msg(strstr(out, "--threads"), "%s", out);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

/* gantry synth --as-class: the windows stored with another class (real
 * against synthetic for the discriminative score), the name kept. */
START_TEST(synth_as_class)
{
    char *dir = gtt_tmpdir();
    ck_assert_int_eq(run("simulate bearing -o %s/sim.h5 --seconds 1", dir), 0);
    ck_assert_msg(run("train %s/sim.h5 -o %s/c.h5 " QUICK, dir, dir) == 0, "%s", out);
    ck_assert_msg(run("synth %s/c.h5 --class ball --as-class synthetic -n 2 -o %s/x.h5", dir,
                      dir) == 0,
                  "%s", out);
    ck_assert_msg(strstr(out, "of class ball stored as class synthetic"), "%s", out);
    gt_error err = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/x.h5", dir);
    gt_store *st = NULL;
    ck_assert_msg(gt_store_open(&st, path, &err) == GT_OK, "%s", err.msg);
    gt_recording *r = NULL;
    ck_assert_msg(gt_store_read(st, "synth_ball", &r, &err) == GT_OK, "%s", err.msg);
    ck_assert_str_eq(r->cls, "synthetic");
    ck_assert_int_eq((int)r->n, 2 * 256);
    gt_recording_free(r);
    gt_store_close(st);
    /* A CSV holds no class; an empty name or a comma is refused. */
    ck_assert_int_eq(run("synth %s/c.h5 --class ball --as-class s -o %s/x.csv", dir, dir), 2);
    ck_assert_msg(strstr(out, "holds no class"), "%s", out);
    ck_assert_int_eq(run("synth %s/c.h5 --class ball --as-class a,b -o %s/y.h5", dir, dir), 2);
    ck_assert_int_eq(run("synth %s/c.h5 --class ball --as-class '' -o %s/y.h5", dir, dir), 2);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

/* The range [lo, hi] of one recording's first channel over its first n
 * samples (n 0: all). */
static void recording_range(const char *path, const char *name, size_t n, float *lo, float *hi)
{
    gt_error err = {0};
    gt_store *st = NULL;
    gt_recording *r = NULL;
    ck_assert_msg(gt_store_open(&st, path, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(gt_store_read(st, name, &r, &err) == GT_OK, "%s", err.msg);
    *lo = 1e30f;
    *hi = -1e30f;
    for (size_t i = 0; i < (n ? n : r->n); i++) {
        *lo = fminf(*lo, r->values[i]);
        *hi = fmaxf(*hi, r->values[i]);
    }
    gt_recording_free(r);
    gt_store_close(st);
}

/* train --class-norm: minmax statistics per class, kept in the model and
 * through --resume; synth restores each class's own level, so a quiet
 * class's windows stay inside its own range (with one scaling for all
 * classes they reach far outside it). */
START_TEST(class_norm)
{
    char *dir = gtt_tmpdir();
    /* The run to failure (class outer_race) reaches about 4x the level of
     * the normal recording. */
    ck_assert_int_eq(run("simulate bearing -o %s/sim.h5 --seconds 1 --faults normal,ball "
                         "--run-to-failure 2 --severity-end 3",
                         dir),
                     0);
    ck_assert_msg(run("train %s/sim.h5 -o %s/c.h5 --class-norm " QUICK, dir, dir) == 0, "%s",
                  out);
    char path[512];
    snprintf(path, sizeof path, "%s/sim.h5", dir);
    float nlo, nhi, flo, fhi;
    recording_range(path, "sim_normal", 0, &nlo, &nhi);
    recording_range(path, "sim_run_to_failure", 0, &flo, &fhi);
    ck_assert_msg(fhi - flo > 3 * (nhi - nlo), "normal %g..%g, run to failure %g..%g", nlo,
                  nhi, flo, fhi);

    gt_tsgan *t = load_model(dir, "c.h5");
    ck_assert_int_eq(t->norm_by_class, 1);
    ck_assert_str_eq(t->classes, "ball,normal,outer_race");
    const float *ce, *sc;
    gt_tsgan_norm_row(t, 1, &ce, &sc); /* normal: minmax maps its range to [-1, 1] */
    ck_assert_float_eq_tol(ce[0] - sc[0], nlo, 1e-5f);
    ck_assert_float_eq_tol(ce[0] + sc[0], nhi, 1e-5f);
    gt_tsgan_norm_row(t, 2, &ce, &sc); /* outer_race: the run to failure */
    ck_assert_float_eq_tol(ce[0] - sc[0], flo, 1e-5f);
    ck_assert_float_eq_tol(ce[0] + sc[0], fhi, 1e-5f);
    gt_tsgan_free(t);

    /* Synthetic normal windows lie within the normal recording's range. */
    ck_assert_msg(run("synth %s/c.h5 --class normal -n 8 -o %s/n.h5", dir, dir) == 0, "%s", out);
    snprintf(path, sizeof path, "%s/n.h5", dir);
    float slo, shi;
    recording_range(path, "synth_normal", 0, &slo, &shi);
    ck_assert_msg(slo >= nlo - 1e-4f && shi <= nhi + 1e-4f && shi - slo > 0.01f * (nhi - nlo),
                  "synthetic normal %g..%g, real %g..%g", slo, shi, nlo, nhi);
    /* Scoring normalises each recording with its class's row. */
    ck_assert_msg(run("score %s/c.h5 %s/sim.h5 -o %s/s.csv", dir, dir, dir) == 0, "%s", out);
    /* --resume keeps the statistics. */
    ck_assert_msg(run("train %s/sim.h5 -o %s/c.h5 --resume %s/c.h5 --steps 5 --encoder-steps 5 "
                      "--quiet --threads 1",
                      dir, dir, dir) == 0,
                  "%s", out);
    t = load_model(dir, "c.h5");
    ck_assert_int_eq(t->norm_by_class, 1);
    gt_tsgan_norm_row(t, 1, &ce, &sc);
    ck_assert_float_eq_tol(ce[0] + sc[0], nhi, 1e-5f);
    gt_tsgan_free(t);
    /* Statistics per class need classes. */
    ck_assert_int_eq(run("train %s/sim.h5 -o %s/u.h5 --class-norm --unconditional " QUICK, dir,
                         dir),
                     1);
    ck_assert_msg(strstr(out, "--class-norm needs a conditional model"), "%s", out);
    ck_assert_int_eq(gtt_count_tmp_files(dir), 0);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

/* Vibration scores are smoothed over the scoring hop by default: the
 * residual is noise sample by sample, and unsmoothed its spikes flag (and
 * merge into events over) the very recording the model was trained on. */
START_TEST(vibration_scores_are_smoothed)
{
    char *dir = gtt_tmpdir();
    ck_assert_int_eq(run("simulate bearing -o %s/sim.h5 --seconds 2 --faults normal", dir), 0);
    ck_assert_msg(run("train %s/sim.h5 -o %s/m.h5 " QUICK, dir, dir) == 0, "%s", out);
    gt_tsgan *t = load_model(dir, "m.h5");
    ck_assert_int_eq(t->smooth, 128); /* QUICK's --score-hop */
    gt_tsgan_free(t);
    ck_assert_msg(run("score %s/m.h5 %s/sim.h5 -o %s/s.csv", dir, dir, dir) == 0, "%s", out);
    double pct = -1;
    const char *at = strstr(out, "samples, ");
    ck_assert_msg(at && sscanf(at, "samples, %lf %%", &pct) == 1, "%s", out);
    ck_assert_msg(pct < 1.0, "%.2f %% of the training recording flagged: %s", pct, out);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(refuses_what_does_not_fit)
{
    char *dir = gtt_tmpdir();
    ck_assert_int_eq(run("simulate bearing -o %s/sim.h5 --seconds 1 --faults normal", dir), 0);
    ck_assert_int_eq(
        run("simulate bearing -o %s/fast.h5 --seconds 1 --faults normal --rate 24000", dir), 0);
    ck_assert_msg(run("train %s/sim.h5 -o %s/m.h5 " QUICK, dir, dir) == 0, "%s", out);
    /* Another rate. */
    ck_assert_int_eq(run("score %s/m.h5 %s/fast.h5 -o %s/s.csv", dir, dir, dir), 1);
    ck_assert_msg(strstr(out, "24000 Hz") && strstr(out, "12000 Hz"), "%s", out);
    /* Other channels: a CSV store with channel 'x'. */
    char csv[512];
    snprintf(csv, sizeof csv, "%s/x.csv", dir);
    FILE *f = fopen(csv, "w");
    fprintf(f, "x\n");
    for (int i = 0; i < 2000; i++)
        fprintf(f, "%g\n", sin(i * 0.1));
    fclose(f);
    ck_assert_int_eq(run("ingest %s -o %s/x.h5 --rate 12000", csv, dir), 0);
    ck_assert_int_eq(run("score %s/m.h5 %s/x.h5 -o %s/s.csv", dir, dir, dir), 1);
    ck_assert_msg(strstr(out, "no channel DE_accel") && strstr(out, "trained on DE_accel"), "%s",
                  out);
    /* A model trained on something else is not a GAN model. */
    ck_assert_int_eq(run("score %s/sim.h5 %s/x.h5 -o %s/s.csv", dir, dir, dir), 1);
    ck_assert_int_eq(gtt_count_tmp_files(dir), 0);
    /* Nothing was written by the failures. */
    char p[512];
    snprintf(p, sizeof p, "%s/s.csv", dir);
    ck_assert_ptr_null(fopen(p, "r"));
    /* Bad options. */
    ck_assert_int_eq(run("train %s/sim.h5 -o %s/m2.h5 --window 100", dir, dir), 1);
    ck_assert_msg(strstr(out, "power of two"), "%s", out);
    ck_assert_int_eq(run("detect %s/sim.h5 -o %s/d.csv --threshold median", dir, dir), 2);
    ck_assert_msg(strstr(out, "--threshold"), "%s", out);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

/* The score plot: a whole SVG document with a panel titled for the
 * recording, the score and threshold lines, flagged (and labelled) bands,
 * and a new file's usual permissions. */
/* An SVG picture dir/name, whole (it starts and ends the document). */
static const char *read_svg(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "no plot %s", path);
    static char doc[1 << 20];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    ck_assert_msg(!strncmp(doc, "<svg ", 5), "%.80s", doc);
    ck_assert_msg(n > 7 && !strcmp(doc + n - 7, "</svg>\n"), "%s does not end the document",
                  path);
    return doc;
}

static void check_plot(const char *dir, const char *name, const char *rec, const char *labelled)
{
    const char *doc = read_svg(dir, name);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char title[256];
    snprintf(title, sizeof title, "'bold'>%s: ", rec);
    ck_assert_msg(strstr(doc, title), "no panel for %s", rec);
    ck_assert_msg(strstr(doc, ">score</text>") && strstr(doc, ">threshold</text>"),
                  "no score or threshold line");
    size_t lines = 0;
    for (const char *p = doc; (p = strstr(p, "<polyline")); p++)
        lines++;
    ck_assert_msg(lines >= 2, "%zu lines", lines);
    ck_assert_msg(strstr(doc, ">flagged</text>"), "no flagged band");
    if (labelled)
        ck_assert_msg(strstr(doc, labelled), "no '%s' band", labelled);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    mode_t mask = umask(022);
    umask(mask);
    ck_assert_int_eq((int)(st.st_mode & 0777), (int)(0666 & ~mask));
}

/* gantry synth --plot [--compare]: the spectrum against the real windows
 * of the class, and what it refuses. */
START_TEST(synth_plot)
{
    char *dir = gtt_tmpdir();
    ck_assert_int_eq(run("simulate bearing -o %s/sim.h5 --seconds 1", dir), 0);
    ck_assert_msg(run("train %s/sim.h5 -o %s/c.h5 " QUICK, dir, dir) == 0, "%s", out);
    ck_assert_msg(run("synth %s/c.h5 --class ball -n 8 -o %s/x.h5 --plot %s/p.svg --compare "
                      "%s/sim.h5",
                      dir, dir, dir, dir) == 0,
                  "%s", out);
    ck_assert_msg(strstr(out, "plot: "), "%s", out);
    const char *doc = read_svg(dir, "p.svg");
    ck_assert_msg(strstr(doc, "ball, DE_accel: mean power spectrum"), "no spectrum panel");
    ck_assert_msg(strstr(doc, "8 synthetic and real windows"), "window count missing");
    ck_assert_msg(strstr(doc, ">synthetic</text>") && strstr(doc, "sim.h5)</text>"),
                  "no synthetic or real spectrum");
    ck_assert_msg(strstr(doc, ">Hz</text>"), "no frequency axis");
    /* Refused: --compare alone, a class the store lacks, an existing
     * picture; nothing is written then. */
    ck_assert_int_eq(run("synth %s/c.h5 --class ball -o %s/y.h5 --compare %s/sim.h5", dir, dir,
                         dir),
                     2);
    ck_assert_msg(strstr(out, "--compare goes with --plot"), "%s", out);
    ck_assert_int_eq(run("synth %s/c.h5 --class inner_race -o %s/y.h5 --plot %s/q.svg "
                         "--compare %s/x.h5",
                         dir, dir, dir, dir),
                     1);
    ck_assert_msg(strstr(out, "no recording of class inner_race"), "%s", out);
    ck_assert_int_eq(run("synth %s/c.h5 --class ball -o %s/y.h5 --plot %s/p.svg", dir, dir, dir),
                     1);
    ck_assert_msg(strstr(out, "p.svg exists"), "%s", out);
    assert_not_written(dir, "y.h5");
    assert_not_written(dir, "q.svg");
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(detect_flags_the_run_to_failure)
{
    /* Fit on the healthy start of a run to failure, flag the rest: the
     * late, severe part must be flagged, and gantry eval reads the files. */
    char *dir = gtt_tmpdir();
    ck_assert_int_eq(run("simulate bearing -o %s/rtf.h5 --seconds 1 --faults normal "
                         "--run-to-failure 8 --severity-end 3",
                         dir),
                     0);
    ck_assert_msg(run("detect %s/rtf.h5 --recordings sim_run_to_failure --train-rows 24000 "
                      "--threshold quantile:0.99x1.5 -o %s/s.csv --events %s/e.csv "
                      "--plot %s/p.svg " QUICK,
                      dir, dir, dir, dir) == 0,
                  "%s", out);
    ck_assert_msg(strstr(out, "plot: "), "%s", out);
    check_plot(dir, "p.svg", "sim_run_to_failure", "labelled (fault)");
    /* An existing picture is kept, and then nothing is written. */
    ck_assert_int_eq(run("detect %s/rtf.h5 --recordings sim_run_to_failure --train-rows 24000 "
                         "-o %s/s2.csv --plot %s/p.svg " QUICK,
                         dir, dir, dir),
                     1);
    ck_assert_msg(strstr(out, "p.svg exists"), "%s", out);
    assert_not_written(dir, "s2.csv");
    /* --save-models: a missing directory and a model already there are
     * refused before any training; a saved model scores as detect did. */
    ck_assert_int_eq(run("detect %s/rtf.h5 --recordings sim_run_to_failure --train-rows 24000 "
                         "-o %s/s3.csv --save-models %s/models " QUICK,
                         dir, dir, dir),
                     1);
    ck_assert_msg(strstr(out, "models: not a directory"), "%s", out);
    char models[512];
    snprintf(models, sizeof models, "%s/models", dir);
    ck_assert_int_eq(mkdir(models, 0777), 0);
    ck_assert_msg(run("detect %s/rtf.h5 --recordings sim_run_to_failure --train-rows 24000 "
                      "--threshold quantile:0.99x1.5 -o %s/s3.csv --save-models %s " QUICK,
                      dir, dir, models) == 0,
                  "%s", out);
    ck_assert_msg(run("score %s/sim_run_to_failure.h5 %s/rtf.h5 --recordings sim_run_to_failure "
                      "--threshold quantile:0.99x1.5 -o %s/s4.csv --threads 1",
                      models, dir, dir) == 0,
                  "%s", out);
    ck_assert_msg(files_equal(dir, "s.csv", "s4.csv"), "the saved model scores otherwise");
    ck_assert_int_eq(run("detect %s/rtf.h5 --recordings sim_run_to_failure --train-rows 24000 "
                         "-o %s/s5.csv --save-models %s " QUICK,
                         dir, dir, models),
                     1);
    ck_assert_msg(strstr(out, "sim_run_to_failure.h5 exists"), "%s", out);
    assert_not_written(dir, "s5.csv");
    ck_assert_msg(run("eval %s/rtf.h5 --recordings sim_run_to_failure --scores %s/s.csv "
                      "--events %s/e.csv --json",
                      dir, dir, dir) == 0,
                  "%s", out);
    /* The last second (12000 samples) is far gone: mostly flagged. */
    uint8_t *flag = read_flags(dir, "s.csv", 96000);
    const size_t late = 96000 - 84000;
    size_t late_flagged = 0;
    for (size_t row = 84000; row < 96000; row++)
        late_flagged += flag[row];
    free(flag);
    ck_assert_msg(late_flagged > late / 2, "%zu of the last %zu samples flagged", late_flagged,
                  late);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(detect_retries_collapsed_training)
{
    /* A critic that wins outright (the generator all but frozen) collapses
     * the training for most seeds.  detect then trains the recording again
     * from the next seeds, three in all: a retry that succeeds writes what
     * a run started at that seed writes; three collapses end the job, the
     * recording and the seeds named, nothing written. */
    char *dir = gtt_tmpdir();
    ck_assert_int_eq(run("simulate bearing -o %s/sim.h5 --seconds 2 --faults normal", dir), 0);
#define COLLAPSING                                                                                 \
    "--preset historian --window 32 --hop 8 --steps 400 --encoder-steps 10 --lr-g 1e-9 "          \
    "--lr-d 1e-2 --width 8 --max-width 16 --nz 4 --batch 16 --threads 1 --quiet --force"
    int failed = 0, recovered = 0;
    for (int seed = 1; seed <= 8; seed++) {
        char scores[32];
        snprintf(scores, sizeof scores, "r%d.csv", seed);
        int rc = run("detect %s/sim.h5 -o %s/%s --seed %d " COLLAPSING, dir, dir, scores, seed);
        int again = 0;
        char want[128];
        for (int k = 1; k <= 3; k++) {
            snprintf(want, sizeof want, "sim_normal: training again with seed %d\n", seed + k);
            if (!strstr(out, want))
                break;
            again = k;
        }
        ck_assert_msg(again < 3, "seed %d: more than three tries: %s", seed, out);
        if (rc != 0) {
            ck_assert_msg(rc == 4 && again == 2, "seed %d: exit %d after %d retries: %s", seed,
                          rc, again, out);
            snprintf(want, sizeof want, "sim_normal: no model from seeds %d to %d", seed,
                     seed + 2);
            ck_assert_msg(strstr(out, want), "seed %d: %s", seed, out);
            assert_not_written(dir, scores);
            failed++;
        } else if (again) {
            ck_assert_int_eq(run("detect %s/sim.h5 -o %s/d.csv --seed %d " COLLAPSING, dir, dir,
                                 seed + again),
                             0);
            ck_assert_msg(!strstr(out, "again"), "seed %d retried too: %s", seed + again, out);
            ck_assert_msg(files_equal(dir, scores, "d.csv"),
                          "seed %d, retried up to seed %d, scores otherwise", seed, seed + again);
            recovered++;
        }
    }
#undef COLLAPSING
    ck_assert_msg(failed > 0 && recovered > 0, "of seeds 1-8, %d failed, %d recovered", failed,
                  recovered);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

GTT_SUITE(gt_test_tsgan_tool_suite)
{
    Suite *s = suite_create("tsgan_tool");
    TCase *tc = tcase_create("tsgan_tool");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, train_score_synth_resume);
    tcase_add_test(tc, synth_as_class);
    tcase_add_test(tc, class_norm);
    tcase_add_test(tc, vibration_scores_are_smoothed);
    tcase_add_test(tc, refuses_what_does_not_fit);
    tcase_add_test(tc, synth_plot);
    tcase_add_test(tc, detect_flags_the_run_to_failure);
    tcase_add_test(tc, detect_retries_collapsed_training);
    suite_add_tcase(s, tc);
    return s;
}
