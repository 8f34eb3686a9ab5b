/* What the classifier's two test files share (defined in
 * test_classifier.c): running the gantry tool with expectations. */
#ifndef GANTRY_TEST_CLASSIFIER_H
#define GANTRY_TEST_CLASSIFIER_H

/* The number after "KEY": in a JSON text (fails the test when absent). */
double json_number(const char *out, const char *key);

/* Run `gantry ARGS...` (printf-style); expect exit status `want` and an
 * output holding `a` and `b` (either may be NULL).  The output stays in
 * expect_out. */
void expect_run(int want, const char *a, const char *b, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
extern char expect_out[16384];

#endif
