/* The gantry command: exit codes, messages, files written whole, nothing
 * overwritten unasked.  The binary comes from GANTRY_TOOL (the Makefile sets
 * it), default build/gantry. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gantry/gantry.h"
#include "testutil.h"

START_TEST(version_and_usage)
{
    char out[4096];
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "version"), 0);
    ck_assert_msg(strstr(out, GT_VERSION_STRING) != NULL, "version output: %s", out);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "frobnicate"), 2);
    ck_assert_msg(strstr(out, "unknown command 'frobnicate'") != NULL, "%s", out);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "toy --help"), 0);
    ck_assert_msg(strstr(out, "usage: gantry toy") != NULL, "%s", out);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "toy --window 100"), 2);
    ck_assert_msg(strstr(out, "power of two") != NULL, "%s", out);
    /* CWRU's drive-end bearing at 1797 rpm: BPFI = 5.4152 x 29.95 Hz. */
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "bearing --preset 6205-2RS --rpm 1797"), 0);
    ck_assert_msg(strstr(out, "BPFI") && strstr(out, "162.19"), "%s", out);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "bearing --preset 6206 --rpm 1797"), 2);
    ck_assert_msg(strstr(out, "known: 6205-2RS"), "%s", out);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "bearing --preset 6205-2RS"), 2);
    ck_assert_msg(strstr(out, "--rpm"), "%s", out);
}
END_TEST

START_TEST(model_command_names_the_bad_line)
{
    char *dir = gtt_tmpdir(), path[1024], args[1200], out[8192];
    snprintf(path, sizeof path, "%s/d.txt", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("input 1x64\nconv 8 k4 s2 p1\nlrelu 0.2\nconv 8 k4 q9\n", f);
    fclose(f);
    snprintf(args, sizeof args, "model %s", path);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "line 4") && strstr(out, "q9") && strstr(out, path),
                  "message does not name file, line and word: %s", out);
    /* A preset's table: the 1024 window's D ends in one logit. */
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, "model --window 1024 --part d"), 0);
    ck_assert_msg(strstr(out, "output 1") != NULL, "%s", out);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(toy_writes_whole_files_and_never_overwrites)
{
    char *dir = gtt_tmpdir(), args[1200], out[8192], path[1100];
    snprintf(args, sizeof args, "toy -o %s/run --steps 3 --window 16 --batch 4 --threads 1 --quiet",
             dir);
    int rc = gtt_tool_run(out, sizeof out, args);
    /* 3 steps learn nothing: exit 3 says so, but the files are written. */
    ck_assert_msg(rc == 3, "exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "NOT learned") != NULL, "%s", out);
    snprintf(path, sizeof path, "%s/run", dir);
    ck_assert_int_eq(gtt_count_tmp_files(path), 0);

    /* The model file holds both networks and the history. */
    snprintf(path, sizeof path, "%s/run/model.h5", dir);
    gt_error err = {0};
    gt_h5 *f = NULL;
    ck_assert_msg(gt_h5_open(&f, path, GT_MODEL_FORMAT, GT_MODEL_FORMAT_MAJOR, NULL, &err) == GT_OK,
                  "%s", err.msg);
    gt_model *g = NULL;
    ck_assert_msg(gt_h5_read_model(f, "generator", 4, &g, &err) == GT_OK, "%s", err.msg);
    ck_assert_int_eq(gt_model_output_shape(g).w, 16);
    float *hist = NULL;
    size_t n = 0;
    ck_assert_int_eq(gt_h5_read_floats(f, "history/loss_d", &hist, &n, NULL, NULL, &err), GT_OK);
    ck_assert_uint_eq(n, 3);
    free(hist);
    gt_model_free(g);
    gt_h5_close(f);

    /* gantry model shows what the file holds. */
    char margs[1200];
    snprintf(margs, sizeof margs, "model %s", path);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, margs), 0);
    ck_assert_msg(strstr(out, "gantry-model 1.0") && strstr(out, "generator: input 32") &&
                      strstr(out, "discriminator: input 1x16"),
                  "%s", out);

    /* A second run into the same place refuses and changes nothing. */
    struct stat before, after;
    ck_assert_int_eq(stat(path, &before), 0);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 1);
    ck_assert_msg(strstr(out, "exists") && strstr(out, "--force"), "%s", out);
    ck_assert_int_eq(stat(path, &after), 0);
    ck_assert(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
              before.st_mtim.tv_nsec == after.st_mtim.tv_nsec && before.st_size == after.st_size);
    /* --force replaces it. */
    strncat(args, " --force", sizeof args - strlen(args) - 1);
    ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 3);
    snprintf(path, sizeof path, "%s/run", dir);
    ck_assert_int_eq(gtt_count_tmp_files(path), 0);
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(toy_is_deterministic)
{
    char *dir = gtt_tmpdir(), args[1200], out[8192], a[1100], b[1100];
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args,
                 "toy -o %s/r%d --steps 5 --window 16 --batch 4 --threads 1 --seed 7 --quiet", dir,
                 i);
        ck_assert_int_eq(gtt_tool_run(out, sizeof out, args), 3);
    }
    snprintf(a, sizeof a, "%s/r0/spectrum.csv", dir);
    snprintf(b, sizeof b, "%s/r1/spectrum.csv", dir);
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    ck_assert_msg(system(cmd) == 0, "same seed and threads gave different spectra");
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

GTT_SUITE(gt_test_tool_suite)
{
    Suite *s = suite_create("tool");
    TCase *tc = tcase_create("gantry");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, version_and_usage);
    tcase_add_test(tc, model_command_names_the_bad_line);
    tcase_add_test(tc, toy_writes_whole_files_and_never_overwrites);
    tcase_add_test(tc, toy_is_deterministic);
    suite_add_tcase(s, tc);
    return s;
}
