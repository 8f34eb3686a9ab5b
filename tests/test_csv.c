/* The historian CSV reader: numbers equal (float)strtod, timestamps, quality
 * words, wide and long layouts, every detection, errors that name the line,
 * skip_bad, chunked parsing equal to one pass, resampling, appending and the
 * real datasets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_internal.h"
#include "gantry/csv.h"
#include "gantry/rng.h"
#include "gantry/store.h"
#include "gantry/timefmt.h"
#include "testutil.h"

static gt_table *parse_o(const char *text, const gt_csv_opts *o)
{
    gt_table *t = NULL;
    gt_error err = {0};
    int rc = gt_csv_parse(text, strlen(text), "t.csv", o, &t, &err);
    ck_assert_msg(rc == GT_OK, "parse failed: %s", err.msg);
    ck_assert_ptr_nonnull(t);
    return t;
}

static gt_table *parse(const char *text)
{
    return parse_o(text, NULL);
}

/* Parse expecting failure; returns the message (static). */
static const char *parse_fail_o(const char *text, const gt_csv_opts *o)
{
    static gt_error err;
    memset(&err, 0, sizeof err);
    gt_table *t = (gt_table *)1;
    int rc = gt_csv_parse(text, strlen(text), "t.csv", o, &t, &err);
    ck_assert_msg(rc < 0, "parse of %s succeeded", text);
    ck_assert_int_eq(rc, err.code);
    ck_assert_ptr_null(t);
    return err.msg;
}

static const char *parse_fail(const char *text)
{
    return parse_fail_o(text, NULL);
}

#define assert_has(msg, sub) ck_assert_msg(strstr((msg), (sub)), "'%s' lacks '%s'", (msg), (sub))

static float V(const gt_table *t, int c, size_t r)
{
    return t->values[(size_t)c * t->nrows + r];
}

static int Q(const gt_table *t, int c, size_t r)
{
    return t->quality[(size_t)c * t->nrows + r];
}

static int64_t T(const char *iso)
{
    int64_t ns = 0;
    ck_assert_int_eq(gt_time_parse(iso, strlen(iso), GT_TIME_AUTO, &ns), GT_OK);
    return ns;
}

/* ---------------------------------------------------------------- numbers */

static void check_num(const char *s)
{
    float got = 0;
    int r = gt__parse_f32(s, strlen(s), 0, &got);
    float want = (float)strtod(s, NULL);
    if (isinf(want)) {
        ck_assert_msg(r == GT__NUM_RANGE, "%s: expected out of range, got %d", s, r);
        return;
    }
    ck_assert_msg(r == 0, "%s: not parsed (%d)", s, r);
    ck_assert_msg(memcmp(&got, &want, sizeof got) == 0, "%s: got %.9g want %.9g", s,
                  (double)got, (double)want);
}

START_TEST(numbers_equal_strtod)
{
    static const char *const edge[] = {
        "0", "-0", "+0", "0.0", "1", "-1", "3.14", "1e10", "1E-10", "1e+5", ".5", "5.", "-.5",
        "123456789", "1234567890123456789", "12345678901234567890123", "0.1", "0.2", "0.3",
        "3.4028235e38", "3.4028236e38", "3.40282357e38", "1e38", "1e-38", "1.17549435e-38",
        "1e-45", "1.4e-45", "7e-46", "1e-50", "9007199254740993", "9007199254740992",
        "0.10414785878216577", "0.09951311099174552", "16777217", "16777216.5",
        "33554435", "1.00000005960464477539", "1.0000000596046447753906250001",
        "0.000000000000000000000000000001", "4.2066", "123.1965", "-0.0007", "2388.06",
        "100.00", "8138.62", "1e22", "1e23", "1e-22", "1e-23", "123e-40", "9.999999e-41",
        "000000123.4500000", "1.5e0000000000000000010", "0.00000000000000000000000001e30"};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
        check_num(edge[i]);
    gt_rng g;
    gt_rng_seed(&g, 99);
    int n = gtt_quick() ? 100000 : 400000;
    char buf[64];
    for (int i = 0; i < n; i++) {
        uint32_t kind = gt_rng_below(&g, 6);
        if (kind == 0) { /* short decimals, as historians write them */
            snprintf(buf, sizeof buf, "%s%u.%0*u", gt_rng_below(&g, 2) ? "-" : "",
                     gt_rng_below(&g, 100000), (int)gt_rng_below(&g, 6) + 1,
                     gt_rng_below(&g, 1000000));
        } else if (kind == 1) { /* float printed with 9 digits */
            uint32_t bits = (uint32_t)gt_rng_next(&g);
            float f;
            memcpy(&f, &bits, 4);
            if (!isfinite(f)) {
                i--;
                continue;
            }
            snprintf(buf, sizeof buf, "%.9g", (double)f);
        } else if (kind == 2) { /* a float's exact midpoint neighbours (ties) */
            uint32_t bits = (uint32_t)gt_rng_next(&g) & 0x7effffffu;
            float f;
            memcpy(&f, &bits, 4);
            double mid = ((double)f + (double)nextafterf(f, INFINITY)) / 2;
            snprintf(buf, sizeof buf, "%.17g", mid);
        } else if (kind == 3) { /* long digit strings */
            int nd = 1 + (int)gt_rng_below(&g, 24), k = 0;
            for (int j = 0; j < nd; j++)
                buf[k++] = (char)('0' + gt_rng_below(&g, 10));
            if (gt_rng_below(&g, 2)) {
                int pos = (int)gt_rng_below(&g, (uint32_t)nd + 1);
                memmove(buf + pos + 1, buf + pos, (size_t)(k - pos));
                buf[pos] = '.';
                k++;
            }
            k += snprintf(buf + k, sizeof buf - (size_t)k, "e%d", (int)gt_rng_below(&g, 90) - 50);
            buf[k] = 0;
            if (buf[0] == '.' && (buf[1] == 'e' || buf[1] == 0)) {
                i--;
                continue;
            }
        } else if (kind == 4) { /* doubles with 17 digits */
            double d = (gt_rng_uniform(&g) - 0.5) * pow(10.0, (double)gt_rng_below(&g, 40) - 20);
            snprintf(buf, sizeof buf, "%.17g", d);
        } else { /* doubles with 6..19 digits */
            double d = gt_rng_uniform(&g) * pow(10.0, (double)gt_rng_below(&g, 12) - 3);
            snprintf(buf, sizeof buf, "%.*e", 5 + (int)gt_rng_below(&g, 14), d);
        }
        check_num(buf);
    }
}
END_TEST

START_TEST(numbers_reject_text_and_nonfinite)
{
    float v;
    static const char *const bad[] = {"", "abc", "1.2.3", "1e", "1e+", "--1", "+-1", "0x10",
                                      "1,5", "1 2", ".", "-", "e5", "1d", "١"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(gt__parse_f32(bad[i], strlen(bad[i]), 0, &v) == GT__NUM_BAD, "%s",
                      bad[i]);
    static const char *const nf[] = {"nan", "NaN", "-nan", "inf", "-Inf", "INFINITY"};
    for (size_t i = 0; i < sizeof nf / sizeof *nf; i++)
        ck_assert_msg(gt__parse_f32(nf[i], strlen(nf[i]), 0, &v) == GT__NUM_NONFINITE, "%s",
                      nf[i]);
    ck_assert_int_eq(gt__parse_f32("1e39", 4, 0, &v), GT__NUM_RANGE);
    ck_assert_int_eq(gt__parse_f32("3,25", 4, 1, &v), 0);
    ck_assert(v == 3.25f);
}
END_TEST

/* ---------------------------------------------------------------- times */

START_TEST(time_formats)
{
    int64_t ns;
    const int64_t base = 1704164645LL * 1000000000LL; /* 2024-01-02T03:04:05Z */
    static const struct {
        const char *s;
        int64_t off;
    } ok[] = {{"2024-01-02T03:04:05Z", 0},
              {"2024-01-02 03:04:05", 0},
              {"2024-01-02T03:04:05", 0},
              {"2024-01-02T03:04:05.5Z", 500000000},
              {"2024-01-02T03:04:05.123456789Z", 123456789},
              {"2024-01-02T03:04:05,25", 250000000},
              {"2024-01-02T04:04:05+01:00", 0},
              {"2024-01-02T04:34:05+0130", 0},
              {"2024-01-02T01:04:05-02:00", 0},
              {"2024-01-02T05:04:05+02", 0},
              {"2024.01.02.03.04.05", 0},
              {"1704164645", 0},
              {"1704164645.25", 250000000},
              {"1704164645000", 0},
              {"1704164645250", 250000000}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        ck_assert_msg(gt_time_parse(ok[i].s, strlen(ok[i].s), GT_TIME_AUTO, &ns) == GT_OK, "%s",
                      ok[i].s);
        ck_assert_msg(ns == base + ok[i].off, "%s: %lld", ok[i].s, (long long)(ns - base));
    }
    ck_assert_int_eq(gt_time_parse("2024-01-02", 10, GT_TIME_ISO, &ns), GT_OK);
    ck_assert(ns == 1704153600LL * 1000000000LL);
    ck_assert_int_eq(gt_time_parse("1500", 4, GT_TIME_EPOCH_MS, &ns), GT_OK);
    ck_assert(ns == 1500000000LL);
    ck_assert_int_eq(gt_time_parse("-1.5", 4, GT_TIME_EPOCH_S, &ns), GT_OK);
    ck_assert(ns == -1500000000LL);
    static const char *const bad[] = {"2024-13-01",          "2024-02-30T00:00:00",
                                      "2023-02-29",          "2024-01-02T24:00:00",
                                      "2024-01-02T03:60",    "2024-01-02T03:04:05.",
                                      "2024-01-02T03:04:05.1234567891",
                                      "2024-01-02X03:04:05", "2024-01-02T03:04:05+1",
                                      "2024-01-02T03:04:05Zx", "24-01-02", "abc", "",
                                      "2024.01.02.03.04",   "1e9"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(gt_time_parse(bad[i], strlen(bad[i]), GT_TIME_AUTO, &ns) == GT_EFORMAT,
                      "%s parsed", bad[i]);
    ck_assert_int_eq(gt_time_parse("2024.01.02.03.04.05", 19, GT_TIME_ISO, &ns), GT_EFORMAT);
    ck_assert_int_eq(gt_time_detect("2024-01-02T03:04:05Z", 20), GT_TIME_ISO);
    ck_assert_int_eq(gt_time_detect("2024-01-02", 10), GT_TIME_ISO);
    ck_assert_int_eq(gt_time_detect("2003.10.22.12.06.24", 19), GT_TIME_DOTTED);
    ck_assert_int_eq(gt_time_detect("1700000000", 10), GT_TIME_EPOCH_S);
    ck_assert_int_eq(gt_time_detect("1700000000000", 13), GT_TIME_EPOCH_MS);
    ck_assert_int_eq(gt_time_detect("Pump1", 5), GT_TIME_AUTO);
    /* leap years and the whole range, both ways */
    char buf[64];
    gt_rng g;
    gt_rng_seed(&g, 3);
    for (int i = 0; i < 20000; i++) {
        int64_t t = (int64_t)(gt_rng_next(&g) % 8000000000000000000ULL) - 4000000000000000000LL;
        if (i % 3 == 0)
            t -= t % 1000000000LL;
        gt_time_format_iso(t, buf, sizeof buf);
        int64_t back;
        ck_assert_msg(gt_time_parse(buf, strlen(buf), GT_TIME_ISO, &back) == GT_OK, "%s", buf);
        ck_assert_msg(back == t, "%s: %lld != %lld", buf, (long long)back, (long long)t);
    }
    gt_time_format_iso(0, buf, sizeof buf);
    ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
    gt_time_format_iso(-1, buf, sizeof buf);
    ck_assert_str_eq(buf, "1969-12-31T23:59:59.999999999Z");
    gt_time_format_iso(T("2024-02-29T12:00:00.250Z"), buf, sizeof buf);
    ck_assert_str_eq(buf, "2024-02-29T12:00:00.25Z");
}
END_TEST

START_TEST(durations)
{
    static const struct {
        const char *s;
        int64_t ns;
    } ok[] = {{"250ms", 250000000},       {"1s", 1000000000},        {"1.5s", 1500000000},
              {"5min", 300000000000LL},   {"2h", 7200000000000LL},   {"1d", 86400000000000LL},
              {"100us", 100000},          {"10ns", 10},              {"3", 3000000000LL},
              {"0.001", 1000000},         {"2 s", 2000000000},       {"0", 0}};
    gt_error err = {0};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t ns = -1;
        ck_assert_msg(gt_duration_parse(ok[i].s, &ns, &err) == GT_OK, "%s: %s", ok[i].s, err.msg);
        ck_assert_msg(ns == ok[i].ns, "%s: %lld", ok[i].s, (long long)ns);
    }
    static const char *const bad[] = {"", "s", "1x", "-1s", "1.2.3s", "abc", "1e3s",
                                      "99999999999999999999s"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t ns;
        memset(&err, 0, sizeof err);
        ck_assert_msg(gt_duration_parse(bad[i], &ns, &err) == GT_EINVAL, "%s parsed", bad[i]);
        ck_assert_msg(strstr(err.msg, "duration"), "%s", err.msg);
    }
}
END_TEST

START_TEST(quality_words_and_codes)
{
    static const struct {
        const char *s;
        int q;
    } cases[] = {{"", GT_Q_GOOD},
                 {"Good", GT_Q_GOOD},
                 {"GOOD", GT_Q_GOOD},
                 {" ok ", GT_Q_GOOD},
                 {"Valid", GT_Q_GOOD},
                 {"192", GT_Q_GOOD},
                 {"255", GT_Q_GOOD},
                 {"192.0", GT_Q_GOOD},
                 {"Uncertain", GT_Q_UNCERTAIN},
                 {"questionable", GT_Q_UNCERTAIN},
                 {"Substituted", GT_Q_UNCERTAIN},
                 {"Manual", GT_Q_UNCERTAIN},
                 {"64", GT_Q_UNCERTAIN},
                 {"191", GT_Q_UNCERTAIN},
                 {"Bad", GT_Q_BAD},
                 {"I/O Timeout", GT_Q_BAD},
                 {"i/o timeout", GT_Q_BAD},
                 {"Comm Fail", GT_Q_BAD},
                 {"Shutdown", GT_Q_BAD},
                 {"Not Connected", GT_Q_BAD},
                 {"Out of Service", GT_Q_BAD},
                 {"Device Failure", GT_Q_BAD},
                 {"Sensor Failure", GT_Q_BAD},
                 {"Configure", GT_Q_BAD},
                 {"Scan Off", GT_Q_BAD},
                 {"Calc Failed", GT_Q_BAD},
                 {"No Data", GT_Q_BAD},
                 {"0", GT_Q_BAD},
                 {"63", GT_Q_BAD},
                 {"256", -1},
                 {"Goodish", -1},
                 {"-1", -1},
                 {"Pump1", -1}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        ck_assert_msg(gt_quality_parse(cases[i].s, strlen(cases[i].s)) == cases[i].q, "%s",
                      cases[i].s);
    ck_assert_str_eq(gt_quality_name(GT_Q_GOOD), "good");
    ck_assert_str_eq(gt_quality_name(GT_Q_INTERP), "interpolated");
    ck_assert_str_eq(gt_quality_name(GT_Q_MISSING), "missing");
}
END_TEST

/* ---------------------------------------------------------------- wide */

START_TEST(wide_basic)
{
    gt_table *t = parse("time,Pressure,Temp\n"
                        "2024-01-01T00:00:00Z,1.5,20\n"
                        "2024-01-01T00:00:01Z,,21\n"
                        "2024-01-01T00:00:02Z,2.5,22.25\n");
    ck_assert_int_eq(t->layout, GT_CSV_WIDE);
    ck_assert_int_eq(t->delim, ',');
    ck_assert_uint_eq(t->nrows, 3);
    ck_assert_int_eq(t->ncols, 2);
    ck_assert_str_eq(t->names[0], "Pressure");
    ck_assert_str_eq(t->names[1], "Temp");
    ck_assert(t->time_ns[0] == T("2024-01-01T00:00:00Z"));
    ck_assert(t->time_ns[2] - t->time_ns[0] == 2000000000LL);
    ck_assert(V(t, 0, 0) == 1.5f && V(t, 1, 2) == 22.25f);
    ck_assert(isnan(V(t, 0, 1)) && Q(t, 0, 1) == GT_Q_MISSING);
    ck_assert_int_eq(Q(t, 0, 0), GT_Q_GOOD);
    ck_assert_uint_eq(t->lines, 3);
    ck_assert_uint_eq(t->skipped, 0);
    ck_assert_int_eq(t->nlabels, 0);
    gt_table_free(t);
}
END_TEST

START_TEST(wide_variants_read_the_same)
{
    /* one table written many ways */
    static const char *const texts[] = {
        "time,a,b\n2024-01-01 00:00:00,1.5,-2\n2024-01-01 00:00:01,3,4e1\n",
        "time,a,b\r\n2024-01-01 00:00:00,1.5,-2\r\n2024-01-01 00:00:01,3,4e1\r\n",
        "\xEF\xBB\xBFtime,a,b\n2024-01-01 00:00:00,1.5,-2\n2024-01-01 00:00:01,3,4e1",
        "time,a,b\n2024-01-01 00:00:00,1.5,-2\n2024-01-01 00:00:01,3,4e1\n\n\n  \n",
        "time;a;b\n2024-01-01 00:00:00;1.5;-2\n2024-01-01 00:00:01;3;4e1\n",
        "time;a;b\n2024-01-01 00:00:00;1,5;-2\n2024-01-01 00:00:01;3;40,0\n",
        "time\ta\tb\n2024-01-01 00:00:00\t1.5\t-2\n2024-01-01 00:00:01\t3\t4e1\n",
        "\"time\",\"a\",\"b\"\n\"2024-01-01 00:00:00\",\"1.5\",-2\n2024-01-01 00:00:01, 3 ,\"4e1\"\n",
        "time , a , b\n2024-01-01T00:00:00Z , 1.5 , -2\n2024-01-01T00:00:01Z,3,40\n",
        "Time,a,b\n2024-01-01T01:00:00+01:00,1.5,-2\n2024-01-01T00:00:01.000Z,3,40\n",
        "date,a,b\n2024.01.01.00.00.00,1.5,-2\n2024.01.01.00.00.01,3,40\n",
        "timestamp,a,b\n1704067200,1.5,-2\n1704067201,3,40\n",
        "timestamp,a,b\n1704067200000,1.5,-2\n1704067201000,3,40\n",
        ",time,a,b\n0,2024-01-01 00:00:00,1.5,-2\n1,2024-01-01 00:00:01,3,40\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        gt_csv_opts o = gt_csv_opts_default();
        o.decimal_comma = i == 5;
        gt_table *t = parse_o(texts[i], &o);
        ck_assert_msg(t->nrows == 2 && t->ncols == 2, "text %zu: %zux%d", i, t->nrows, t->ncols);
        ck_assert_msg(!strcmp(t->names[0], "a") && !strcmp(t->names[1], "b"), "text %zu: %s %s", i,
                      t->names[0], t->names[1]);
        ck_assert_msg(t->time_ns && t->time_ns[0] == T("2024-01-01T00:00:00Z") &&
                          t->time_ns[1] == T("2024-01-01T00:00:01Z"),
                      "text %zu: times", i);
        ck_assert_msg(V(t, 0, 0) == 1.5f && V(t, 1, 0) == -2.0f && V(t, 0, 1) == 3.0f &&
                          V(t, 1, 1) == 40.0f,
                      "text %zu: values %g %g %g %g", i, (double)V(t, 0, 0), (double)V(t, 1, 0),
                      (double)V(t, 0, 1), (double)V(t, 1, 1));
        gt_table_free(t);
    }
}
END_TEST

START_TEST(wide_without_time_or_header)
{
    /* C-MAPSS style: space-separated, trailing blanks, no header; the
     * integer first column is not a time */
    gt_table *t = parse("1 1 -0.0007 518.67  \n1 2 0.0019 518.67  \n2 1 0.5 1.0  \n");
    ck_assert_int_eq(t->delim, ' ');
    ck_assert_ptr_null(t->time_ns);
    ck_assert_uint_eq(t->nrows, 3);
    ck_assert_int_eq(t->ncols, 4);
    ck_assert_str_eq(t->names[0], "c1");
    ck_assert_str_eq(t->names[3], "c4");
    ck_assert(V(t, 2, 0) == -0.0007f && V(t, 0, 2) == 2.0f);
    gt_table_free(t);
    /* named header, no time column */
    t = parse("x,y\n1,2\n3,4\n");
    ck_assert_ptr_null(t->time_ns);
    ck_assert_str_eq(t->names[1], "y");
    gt_table_free(t);
    /* header forced off: the first row is data */
    gt_csv_opts o = gt_csv_opts_default();
    o.header = 0;
    o.time_col = "none";
    t = parse_o("5,6\n7,8\n", &o);
    ck_assert_uint_eq(t->nrows, 2);
    gt_table_free(t);
    /* a single column with trailing blanks (RUL files) */
    t = parse("112 \n98 \n69 \n");
    ck_assert_uint_eq(t->nrows, 3);
    ck_assert_int_eq(t->ncols, 1);
    ck_assert(V(t, 0, 2) == 69.0f);
    gt_table_free(t);
    /* epoch numbers become a time column when asked for */
    o = gt_csv_opts_default();
    o.time_format = GT_TIME_EPOCH_MS;
    t = parse_o("t0,v\n1000,1\n2000,2\n", &o);
    ck_assert_ptr_nonnull(t->time_ns);
    ck_assert(t->time_ns[1] == 2000000000LL);
    gt_table_free(t);
    o = gt_csv_opts_default();
    o.time_col = "2";
    t = parse_o("v,when\n1,2024-01-01\n2,2024-01-02\n", &o);
    ck_assert_int_eq(t->ncols, 1);
    ck_assert_str_eq(t->names[0], "v");
    ck_assert(t->time_ns[1] - t->time_ns[0] == 86400000000000LL);
    gt_table_free(t);
}
END_TEST

START_TEST(wide_labels_and_quality)
{
    gt_table *t = parse("datetime;P;anomaly;changepoint\n"
                        "2020-02-08 13:30:47;1;0.0;0.0\n"
                        "2020-02-08 13:30:48;2;1.0;0.0\n"
                        "2020-02-08 13:30:49;3;1;1\n");
    ck_assert_int_eq(t->ncols, 1);
    ck_assert_int_eq(t->nlabels, 2);
    ck_assert_str_eq(t->label_names[0], "anomaly");
    ck_assert_str_eq(t->label_names[1], "changepoint");
    ck_assert_int_eq(t->labels[0], 0);
    ck_assert_int_eq(t->labels[1], 1);
    ck_assert_int_eq(t->labels[2], 1);
    ck_assert_int_eq(t->labels[3 + 2], 1);
    ck_assert_int_eq(t->labels[3 + 1], 0);
    gt_table_free(t);
    /* own label list; "" turns them off */
    gt_csv_opts o = gt_csv_opts_default();
    o.label_cols = "fault";
    t = parse_o("time,x,fault,anomaly\n2024-01-01,1,true,0\n2024-01-02,2,false,1\n", &o);
    ck_assert_int_eq(t->ncols, 2);
    ck_assert_int_eq(t->nlabels, 1);
    ck_assert_int_eq(t->labels[0], 1);
    ck_assert_int_eq(t->labels[1], 0);
    gt_table_free(t);
    o.label_cols = "";
    t = parse_o("time,x,anomaly\n2024-01-01,1,0\n2024-01-02,2,1\n", &o);
    ck_assert_int_eq(t->ncols, 2);
    ck_assert_int_eq(t->nlabels, 0);
    gt_table_free(t);
    /* a row quality column of words */
    t = parse("time,a,b,quality\n2024-01-01,1,2,Good\n2024-01-02,3,,Bad\n2024-01-03,5,6,"
              "Uncertain\n");
    ck_assert_int_eq(t->ncols, 2);
    ck_assert_int_eq(Q(t, 0, 0), GT_Q_GOOD);
    ck_assert_int_eq(Q(t, 0, 1), GT_Q_BAD);
    ck_assert_int_eq(Q(t, 1, 1), GT_Q_MISSING);
    ck_assert_int_eq(Q(t, 1, 2), GT_Q_UNCERTAIN);
    gt_table_free(t);
    /* a text column beside many numeric ones is ignored (a machine state) */
    t = parse("timestamp,s1,s2,s3,machine_status\n2018-04-01 00:00:00,1,2,3,NORMAL\n"
              "2018-04-01 00:01:00,4,5,6,BROKEN\n");
    ck_assert_int_eq(t->layout, GT_CSV_WIDE);
    ck_assert_int_eq(t->ncols, 3);
    ck_assert_str_eq(t->names[2], "s3");
    gt_table_free(t);
    /* a numeric "status" is a channel, not quality */
    t = parse("time,a,status\n2024-01-01,1,0\n2024-01-02,3,1\n");
    ck_assert_int_eq(t->ncols, 2);
    ck_assert_str_eq(t->names[1], "status");
    gt_table_free(t);
}
END_TEST

/* ---------------------------------------------------------------- long */

START_TEST(long_pivot)
{
    /* out of order, a missing reading, quality words and codes */
    gt_table *t = parse("timestamp,tag,value,quality\n"
                        "2024-01-01T00:00:01Z,P1,2.0,Good\n"
                        "2024-01-01T00:00:00Z,P1,1.0,Good\n"
                        "2024-01-01T00:00:00Z,T1,10,Bad\n"
                        "2024-01-01T00:00:02Z,T1,12,I/O Timeout\n"
                        "2024-01-01T00:00:02Z,P1,3.0,192\n"
                        "2024-01-01T00:00:01.5Z,\"Q,x\",7,64\n"
                        "2024-01-01T00:00:02Z,\"Q,x\",,Good\n");
    ck_assert_int_eq(t->layout, GT_CSV_LONG);
    ck_assert_int_eq(t->ncols, 3);
    ck_assert_str_eq(t->names[0], "P1");
    ck_assert_str_eq(t->names[1], "T1");
    ck_assert_str_eq(t->names[2], "Q,x");
    ck_assert_uint_eq(t->nrows, 4);
    ck_assert(t->time_ns[0] == T("2024-01-01T00:00:00Z"));
    ck_assert(t->time_ns[2] == T("2024-01-01T00:00:01.5Z"));
    ck_assert(V(t, 0, 0) == 1.0f && V(t, 0, 1) == 2.0f && V(t, 0, 3) == 3.0f);
    ck_assert(isnan(V(t, 0, 2)) && Q(t, 0, 2) == GT_Q_MISSING);
    ck_assert(V(t, 1, 0) == 10.0f && Q(t, 1, 0) == GT_Q_BAD);
    ck_assert(isnan(V(t, 1, 1)) && Q(t, 1, 1) == GT_Q_MISSING);
    ck_assert_int_eq(Q(t, 1, 3), GT_Q_BAD);
    ck_assert(V(t, 2, 2) == 7.0f && Q(t, 2, 2) == GT_Q_UNCERTAIN);
    ck_assert(isnan(V(t, 2, 3)) && Q(t, 2, 3) == GT_Q_MISSING); /* empty value */
    ck_assert_uint_eq(t->lines, 7);
    gt_table_free(t);
    /* no header: position (time, tag, value, quality) */
    t = parse("2024-01-01T00:00:00Z,A,1,Good\n2024-01-01T00:00:00Z,B,2,Bad\n"
              "2024-01-01T00:00:01Z,A,3,Good\n");
    ck_assert_int_eq(t->layout, GT_CSV_LONG);
    ck_assert_int_eq(t->ncols, 2);
    ck_assert_uint_eq(t->nrows, 2);
    ck_assert_int_eq(Q(t, 1, 0), GT_Q_BAD);
    ck_assert_int_eq(Q(t, 1, 1), GT_Q_MISSING);
    gt_table_free(t);
    /* named columns in another order, an extra column ignored */
    assert_has(parse_fail("Value;Units;TagName;Time\n1,5;bar;P;2024-01-01 00:00:00\n"),
               "t.csv:2: value '1,5' of tag P is not a number");
    gt_csv_opts o = gt_csv_opts_default();
    o.decimal_comma = 1;
    t = parse_o("Value;Units;TagName;Time\n1,5;bar;P;2024-01-01 00:00:00\n2,5;bar;P;2024-01-01 "
                "00:00:01\n",
                &o);
    ck_assert_int_eq(t->ncols, 1);
    ck_assert_str_eq(t->names[0], "P");
    ck_assert(V(t, 0, 1) == 2.5f);
    gt_table_free(t);
    /* labels in long: max over a timestamp's readings */
    t = parse("time,tag,value,anomaly\n2024-01-01,a,1,0\n2024-01-01,b,2,1\n2024-01-02,a,3,0\n");
    ck_assert_int_eq(t->nlabels, 1);
    ck_assert_int_eq(t->labels[0], 1);
    ck_assert_int_eq(t->labels[1], 0);
    gt_table_free(t);
    /* forced layout and columns by number */
    o = gt_csv_opts_default();
    o.layout = GT_CSV_LONG;
    o.tag_col = "2";
    o.value_col = "3";
    t = parse_o("time,id,v\n2024-01-01,101,1\n2024-01-01,102,2\n", &o);
    ck_assert_int_eq(t->ncols, 2);
    ck_assert_str_eq(t->names[1], "102");
    gt_table_free(t);
}
END_TEST

/* ---------------------------------------------------------------- errors */

START_TEST(errors_name_the_line)
{
    assert_has(parse_fail(""), "t.csv: empty file");
    assert_has(parse_fail("\n\n  \r\n"), "t.csv: empty file");
    assert_has(parse_fail("time,a,b\n"), "t.csv: no data rows");
    assert_has(parse_fail("time,a\n2024-01-01,1\n2024-01-02,abc\n"),
               "t.csv:3: value 'abc' in column a is not a number");
    assert_has(parse_fail("time,a\n2024-01-01,1\n2024-01-02,nan\n"), "t.csv:3: value 'nan'");
    assert_has(parse_fail("time,a\n2024-01-01,1\n2024-01-02,-Inf\n"), "not finite");
    assert_has(parse_fail("time,a\n2024-01-01,1\n2024-01-02,1e40\n"), "float32");
    assert_has(parse_fail("time,a,b,c,d\n2024-01-01,1,2,3,4\n2024-01-02,1,2\n"),
               "t.csv:3: 3 fields, the header has 5");
    assert_has(parse_fail("time,a\n2024-01-01 00:00:06,1\n2024-01-01 00:00:05,2\n"),
               "t.csv:3: timestamp 2024-01-01T00:00:05Z goes backwards (previous "
               "2024-01-01T00:00:06Z)");
    assert_has(parse_fail("time,a\n2024-01-01,1\n\n2024-01-01,2\n"),
               "t.csv:4: timestamp 2024-01-01T00:00:00Z repeats");
    assert_has(parse_fail("time,a\n2024-01-01,1\n2024-01-41,2\n"),
               "t.csv:3: timestamp '2024-01-41' is not an ISO 8601 time");
    assert_has(parse_fail("time,a\n2024-01-01,1\n,2\n"), "t.csv:3: empty timestamp");
    assert_has(parse_fail("time,a\n2024-01-01,\"1\n2024-01-02,2\n"), "t.csv:2: unterminated");
    assert_has(parse_fail("time,a\n2024-01-01,\"1\"x\n"), "t.csv:2: text after a closing");
    assert_has(parse_fail("time,tag,value\n2024-01-01,P,1\n2024-01-02,P,2\n2024-01-01,P,3\n"),
               "t.csv:4: tag P at 2024-01-01T00:00:00Z already has a reading on line 2");
    assert_has(parse_fail("time,tag,value,quality\n2024-01-01,P,1,Good\n2024-01-02,P,2,Meh\n"),
               "t.csv:3: quality 'Meh' of tag P is not recognised");
    assert_has(parse_fail("time,tag,value\n2024-01-01,P,1\n2024-01-02,P,x1\n"),
               "t.csv:3: value 'x1' of tag P is not a number");
    assert_has(parse_fail("time,a,anomaly\n2024-01-01,1,maybe\n"), "label 'maybe'");
    assert_has(parse_fail("tag,value\nP,1\nQ,2\n"), "needs a time column");
    gt_csv_opts o = gt_csv_opts_default();
    o.time_col = "when";
    assert_has(parse_fail_o("time,a\n2024-01-01,1\n", &o), "no column 'when'");
    o = gt_csv_opts_default();
    o.delim = '|';
    assert_has(parse_fail_o("a|b\n1|2\n", &o), "delimiter");
    assert_has(parse_fail("time,a,a\n2024-01-01,1,2\n"), "appears twice");
    gt_table *t = (gt_table *)1;
    gt_error err = {0};
    ck_assert_int_eq(gt_csv_read("/nonexistent/x.csv", NULL, &t, &err), GT_EIO);
    ck_assert_ptr_null(t);
    assert_has(err.msg, "/nonexistent/x.csv");
}
END_TEST

START_TEST(skip_bad_counts_and_keeps_the_first)
{
    gt_csv_opts o = gt_csv_opts_default();
    o.skip_bad = 1;
    gt_table *t = parse_o("time,a,b\n"
                          "2024-01-01 00:00:01,1,2\n"
                          "2024-01-01 00:00:02,x,2\n"    /* 3: not a number */
                          "2024-01-01 00:00:03,3\n"      /* 4: fields */
                          "2024-01-01 00:00:01,4,4\n"    /* 5: backwards */
                          "2024-01-01 00:00:04,5,nan\n"  /* 6: NaN */
                          "2024-01-01 00:00:05,6,6\n",
                          &o);
    ck_assert_uint_eq(t->nrows, 2);
    ck_assert_uint_eq(t->skipped, 4);
    ck_assert_uint_eq(t->lines, 6);
    assert_has(t->first_skip, "t.csv:3: value 'x' in column a is not a number");
    ck_assert(V(t, 0, 1) == 6.0f);
    gt_table_free(t);
    t = parse_o("time,tag,value\n2024-01-01,P,1\n2024-01-01,P,2\n2024-01-02,P,x\n2024-01-03,P,3\n",
                &o);
    ck_assert_uint_eq(t->nrows, 2);
    ck_assert_uint_eq(t->skipped, 2);
    assert_has(t->first_skip, "t.csv:3: tag P at 2024-01-01T00:00:00Z already has a reading on "
                              "line 2");
    ck_assert(V(t, 0, 0) == 1.0f && V(t, 0, 1) == 3.0f);
    gt_table_free(t);
    assert_has(parse_fail_o("time,a\n2024-01-01,x\n2024-01-02,1e99\n", &o),
               "no data rows (all 2 skipped; the first: t.csv:2: value 'x'");
}
END_TEST

/* ---------------------------------------------------------------- chunks */

static int tables_equal(const gt_table *a, const gt_table *b, char *why, size_t cap)
{
#define DIFF(...) return snprintf(why, cap, __VA_ARGS__), 0
    if (a->nrows != b->nrows || a->ncols != b->ncols || a->nlabels != b->nlabels)
        DIFF("shape %zux%d/%d vs %zux%d/%d", a->nrows, a->ncols, a->nlabels, b->nrows, b->ncols,
             b->nlabels);
    if (a->lines != b->lines || a->skipped != b->skipped)
        DIFF("lines %zu/%zu skipped %zu/%zu", a->lines, b->lines, a->skipped, b->skipped);
    if (strcmp(a->first_skip, b->first_skip))
        DIFF("first skip '%.150s' vs '%.150s'", a->first_skip, b->first_skip);
    if (!a->time_ns != !b->time_ns)
        DIFF("time presence");
    for (size_t r = 0; r < a->nrows && a->time_ns; r++)
        if (a->time_ns[r] != b->time_ns[r])
            DIFF("time %zu", r);
    for (int c = 0; c < a->ncols; c++)
        if (strcmp(a->names[c], b->names[c]))
            DIFF("name %d", c);
    size_t n = a->nrows * (size_t)a->ncols;
    if (n && memcmp(a->quality, b->quality, n))
        DIFF("quality");
    for (size_t i = 0; i < n; i++)
        if (!(a->values[i] == b->values[i] || (isnan(a->values[i]) && isnan(b->values[i]))))
            DIFF("value %zu", i);
    if (a->nlabels && memcmp(a->labels, b->labels, a->nrows * (size_t)a->nlabels))
        DIFF("labels");
    return 1;
#undef DIFF
}

/* Random messy text: long or wide, shuffled or not, with bad lines. */
static char *random_csv(gt_rng *g, int is_long, int rows, int bad_rate)
{
    size_t cap = (size_t)rows * 96 + 256, k = 0;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    k += (size_t)snprintf(s + k, cap - k, is_long ? "time,tag,value,quality,anomaly\n"
                                                  : "time,a,b,quality,anomaly\n");
    int64_t t = 1704067200;
    for (int i = 0; i < rows; i++) {
        int frac = (int)gt_rng_below(g, 1000);
        if (is_long) {
            if (gt_rng_below(g, 3) == 0)
                t += 1;
            int64_t tt = t - (gt_rng_below(g, 5) == 0 ? (int64_t)gt_rng_below(g, 4) : 0);
            char iso[48];
            gt_time_format_iso(tt * 1000000000LL, iso, sizeof iso);
            k += (size_t)snprintf(s + k, cap - k, "%s,T%u,%d.%03d,%s,%u\n", iso,
                                  gt_rng_below(g, 5), (int)gt_rng_below(g, 200) - 100, frac,
                                  gt_rng_below(g, 10) ? "Good" : "Bad", gt_rng_below(g, 2));
        } else {
            t += 1 + (gt_rng_below(g, 50) == 0 ? 100 : 0);
            int64_t tt = t - (bad_rate && gt_rng_below(g, (uint32_t)bad_rate * 3) == 0 ? 3 : 0);
            char iso[48];
            gt_time_format_iso(tt * 1000000000LL, iso, sizeof iso);
            k += (size_t)snprintf(s + k, cap - k, "%s,%d.%03d,%s,%s,%u\r\n", iso,
                                  (int)gt_rng_below(g, 200) - 100, frac,
                                  gt_rng_below(g, 7) ? "1.25e2" : "", "Good", gt_rng_below(g, 2));
        }
        if (gt_rng_below(g, 40) == 0)
            k += (size_t)snprintf(s + k, cap - k, "\n");
        if (bad_rate && gt_rng_below(g, (uint32_t)bad_rate) == 0)
            k += (size_t)snprintf(s + k, cap - k, "%s\n",
                                  gt_rng_below(g, 2) ? "2024-01-01T00:00:00Z,1" : "x,y,z,w,v");
    }
    s[k] = 0;
    return s;
}

START_TEST(chunked_equals_one_pass)
{
    gt_rng g;
    gt_rng_seed(&g, 11);
    int trials = gtt_quick() ? 12 : 40;
    for (int trial = 0; trial < trials; trial++) {
        int is_long = trial % 2, bad = (trial / 2) % 3 == 0 ? 0 : 20;
        char *s = random_csv(&g, is_long, 200 + (int)gt_rng_below(&g, 3000), bad);
        for (int skip = 0; skip < 2; skip++) {
            gt_csv_opts o = gt_csv_opts_default();
            o.skip_bad = skip;
            gt_table *ref = NULL;
            gt_error e1 = {0};
            int rc1 = gt__csv_parse_chunked(s, strlen(s), "r.csv", &o, 1, &ref, &e1);
            for (int nk = 2; nk <= 9; nk += 1 + (int)gt_rng_below(&g, 3)) {
                gt_table *t = NULL;
                gt_error e2 = {0};
                int rc2 = gt__csv_parse_chunked(s, strlen(s), "r.csv", &o, nk, &t, &e2);
                ck_assert_msg(rc1 == rc2, "trial %d chunks %d: rc %d vs %d (%s / %s)", trial, nk,
                              rc1, rc2, e1.msg, e2.msg);
                if (rc1 == GT_OK) {
                    char why[400];
                    ck_assert_msg(tables_equal(ref, t, why, sizeof why), "trial %d chunks %d: %s",
                                  trial, nk, why);
                } else if (!is_long || !strstr(e1.msg, "already has")) {
                    ck_assert_msg(strcmp(e1.msg, e2.msg) == 0, "trial %d chunks %d: '%s' vs '%s'",
                                  trial, nk, e1.msg, e2.msg);
                }
                gt_table_free(t);
            }
            if (skip)
                ck_assert_msg(rc1 == GT_OK, "trial %d: %s", trial, e1.msg);
            gt_table_free(ref);
        }
        free(s);
    }
}
END_TEST

/* The long pivot against a direct computation on random readings. */
START_TEST(long_pivot_matches_direct)
{
    gt_rng g;
    gt_rng_seed(&g, 5);
    enum { NT = 6, NTIME = 400 };
    static float want[NT][NTIME];
    static int have[NT][NTIME];
    for (int shuffled = 0; shuffled < 2; shuffled++) {
        memset(have, 0, sizeof have);
        /* readings (time, tag) in random presence; then written in time order
         * or shuffled */
        int n = 0;
        static int rt[NT * NTIME], rg[NT * NTIME];
        for (int i = 0; i < NTIME; i++)
            for (int j = 0; j < NT; j++)
                if (gt_rng_below(&g, 4)) {
                    rt[n] = i;
                    rg[n] = j;
                    want[j][i] = (float)((int)gt_rng_below(&g, 20000) - 10000) / 8.0f;
                    have[j][i] = 1;
                    n++;
                }
        if (shuffled)
            for (int i = n - 1; i > 0; i--) {
                int k = (int)gt_rng_below(&g, (uint32_t)i + 1), a = rt[i], b = rg[i];
                rt[i] = rt[k], rg[i] = rg[k], rt[k] = a, rg[k] = b;
            }
        size_t cap = (size_t)n * 64 + 64, k = 0;
        char *s = malloc(cap);
        k += (size_t)snprintf(s, cap, "time,tag,value\n");
        for (int i = 0; i < n; i++)
            k += (size_t)snprintf(s + k, cap - k, "%d,tag%d,%.4f\n", 1000 + rt[i] * 7, rg[i],
                                  (double)want[rg[i]][rt[i]]);
        gt_csv_opts o = gt_csv_opts_default();
        o.time_format = GT_TIME_EPOCH_S;
        for (int nk = 1; nk <= 4; nk++) {
            gt_table *t = NULL;
            gt_error err = {0};
            ck_assert_msg(gt__csv_parse_chunked(s, k, "p.csv", &o, nk, &t, &err) == GT_OK, "%s",
                          err.msg);
            ck_assert_int_eq(t->ncols, NT);
            int rows = 0;
            for (int i = 0; i < NTIME; i++) {
                int any = 0;
                for (int j = 0; j < NT; j++)
                    any |= have[j][i];
                if (!any)
                    continue;
                ck_assert(t->time_ns[rows] == (int64_t)(1000 + i * 7) * 1000000000LL);
                for (int c = 0; c < NT; c++) {
                    int j = t->names[c][3] - '0';
                    if (have[j][i])
                        ck_assert(V(t, c, (size_t)rows) == want[j][i] &&
                                  Q(t, c, (size_t)rows) == GT_Q_GOOD);
                    else
                        ck_assert(isnan(V(t, c, (size_t)rows)) &&
                                  Q(t, c, (size_t)rows) == GT_Q_MISSING);
                }
                rows++;
            }
            ck_assert_uint_eq(t->nrows, (size_t)rows);
            gt_table_free(t);
        }
        free(s);
    }
}
END_TEST

/* ---------------------------------------------------------------- resample */

static gt_table *mk_table(int n, const int64_t *tm, const float *v, const uint8_t *q)
{
    gt_table *t = gt__table_new();
    t->nrows = (size_t)n;
    t->ncols = 1;
    t->names = malloc(sizeof *t->names);
    t->names[0] = strdup("x");
    t->time_ns = malloc((size_t)n * sizeof *t->time_ns);
    t->values = malloc((size_t)n * sizeof *t->values);
    t->quality = malloc((size_t)n);
    memcpy(t->time_ns, tm, (size_t)n * sizeof *tm);
    memcpy(t->values, v, (size_t)n * sizeof *v);
    memcpy(t->quality, q, (size_t)n);
    t->nlabels = 1;
    t->label_names = malloc(sizeof *t->label_names);
    t->label_names[0] = strdup("anomaly");
    t->labels = calloc((size_t)n, 1);
    return t;
}

#define S_ 1000000000LL

START_TEST(resample_methods)
{
    /* readings at 0.5, 1.2, 1.7, 4.1 s (1.7 BAD), 5.0 missing; step 1 s */
    const int64_t tm[] = {S_ / 2, 12 * S_ / 10, 17 * S_ / 10, 41 * S_ / 10, 5 * S_};
    const float v[] = {1, 2, 100, 6, NAN};
    const uint8_t q[] = {GT_Q_GOOD, GT_Q_UNCERTAIN, GT_Q_BAD, GT_Q_GOOD, GT_Q_MISSING};
    gt_error err = {0};
    for (int m = 0; m < 3; m++) {
        gt_table *t = mk_table(5, tm, v, q);
        t->labels[2] = 1;
        ck_assert_int_eq(gt_table_resample(t, S_, (gt_resample_method)m, 0, &err), GT_OK);
        ck_assert_uint_eq(t->nrows, 6); /* 0..5 s */
        for (int k = 0; k < 6; k++)
            ck_assert(t->time_ns[k] == k * S_);
        /* bin [0,1): reading 1 at 0.5 */
        ck_assert_int_eq(Q(t, 0, 0), GT_Q_GOOD);
        /* bin [1,2): 2 (uncertain) and a BAD one: worst of the good = UNCERTAIN */
        ck_assert_int_eq(Q(t, 0, 1), GT_Q_UNCERTAIN);
        /* bins [2,3) [3,4): empty -> INTERP */
        ck_assert_int_eq(Q(t, 0, 2), GT_Q_INTERP);
        ck_assert_int_eq(Q(t, 0, 3), GT_Q_INTERP);
        ck_assert_int_eq(Q(t, 0, 4), GT_Q_GOOD);
        /* bin [5,6) only a MISSING: filled */
        ck_assert_int_eq(Q(t, 0, 5), GT_Q_INTERP);
        if (m == GT_RESAMPLE_HOLD) {
            ck_assert(V(t, 0, 0) == 1 && V(t, 0, 1) == 2 && V(t, 0, 2) == 2 && V(t, 0, 3) == 2 &&
                      V(t, 0, 4) == 6 && V(t, 0, 5) == 6);
        } else if (m == GT_RESAMPLE_MEAN) {
            ck_assert(V(t, 0, 0) == 1 && V(t, 0, 1) == 2 && V(t, 0, 4) == 6);
        } else {
            /* t=0: before the first reading, the bin's own reading */
            ck_assert(V(t, 0, 0) == 1);
            /* t=1: between 0.5 (1) and 1.2 (2) */
            ck_assert_msg(fabsf(V(t, 0, 1) - (1 + 0.5f / 0.7f)) < 1e-5f, "%g", (double)V(t, 0, 1));
            /* t=3: between 1.2 (2) and 4.1 (6) */
            ck_assert(fabsf(V(t, 0, 3) - (2 + 4 * 1.8f / 2.9f)) < 1e-5f);
            ck_assert(V(t, 0, 5) == 6);
        }
        ck_assert_int_eq(t->labels[0], 0);
        ck_assert_int_eq(t->labels[1], 1); /* max over the bin */
        ck_assert_int_eq(t->labels[2], 1); /* held */
        ck_assert_int_eq(t->labels[3], 1);
        ck_assert_int_eq(t->labels[4], 0);
        gt_table_free(t);
    }
    /* max gap: 1.5 s leaves bins 2 and 3 (gaps to 1.2 and 4.1 of 0.8/1.1 and
     * 1.8/1.1) ... bin at 3 is 1.1 s from 4.1: kept; with 1 s: missing */
    gt_table *t = mk_table(5, tm, v, q);
    ck_assert_int_eq(gt_table_resample(t, S_, GT_RESAMPLE_HOLD, S_, &err), GT_OK);
    ck_assert_int_eq(Q(t, 0, 2), GT_Q_INTERP); /* 0.8 s after 1.2 */
    ck_assert_int_eq(Q(t, 0, 3), GT_Q_MISSING);
    ck_assert(isnan(V(t, 0, 3)));
    gt_table_free(t);
    /* a bin with only BAD readings is BAD, value filled; before the first
     * good reading: MISSING */
    const int64_t tm2[] = {S_ / 2, 15 * S_ / 10, 25 * S_ / 10};
    const float v2[] = {9, 1, 3};
    const uint8_t q2[] = {GT_Q_BAD, GT_Q_GOOD, GT_Q_BAD};
    t = mk_table(3, tm2, v2, q2);
    ck_assert_int_eq(gt_table_resample(t, S_, GT_RESAMPLE_HOLD, 0, &err), GT_OK);
    ck_assert_uint_eq(t->nrows, 3);
    ck_assert_int_eq(Q(t, 0, 0), GT_Q_MISSING);
    ck_assert(isnan(V(t, 0, 0)));
    ck_assert_int_eq(Q(t, 0, 1), GT_Q_GOOD);
    ck_assert_int_eq(Q(t, 0, 2), GT_Q_BAD);
    ck_assert(V(t, 0, 2) == 1);
    gt_table_free(t);
    /* aligned to multiples of the step since the epoch */
    const int64_t tm3[] = {1700000000123456789LL, 1700000001123456789LL};
    t = mk_table(2, tm3, v2, (const uint8_t[]){0, 0});
    ck_assert_int_eq(gt_table_resample(t, 250000000LL, GT_RESAMPLE_LINEAR, 0, &err), GT_OK);
    ck_assert(t->time_ns[0] == 1700000000000000000LL);
    ck_assert_uint_eq(t->nrows, 5);
    gt_table_free(t);
    /* refusals */
    t = mk_table(2, tm3, v2, (const uint8_t[]){0, 0});
    ck_assert_int_eq(gt_table_resample(t, 0, GT_RESAMPLE_HOLD, 0, &err), GT_EINVAL);
    ck_assert_int_eq(gt_table_resample(t, 1, GT_RESAMPLE_HOLD, 0, &err), GT_EINVAL);
    assert_has(err.msg, "points");
    free(t->time_ns);
    t->time_ns = NULL;
    ck_assert_int_eq(gt_table_resample(t, S_, GT_RESAMPLE_HOLD, 0, &err), GT_EINVAL);
    assert_has(err.msg, "no time column");
    gt_table_free(t);
}
END_TEST

START_TEST(append_tables)
{
    gt_table *a = parse("time,x,y,anomaly\n2024-01-01 00:00:00,1,2,0\n2024-01-01 00:00:01,3,4,1\n");
    gt_table *b = parse("time,y,x\n2024-01-01 00:00:01,9,9\n2024-01-01 00:00:02,5,6\n"
                        "2024-01-01 00:00:03,7,8\n");
    size_t ov = 99;
    int64_t o0 = 0, o1 = 0;
    gt_error err = {0};
    ck_assert_int_eq(gt_table_append(a, b, &ov, &o0, &o1, &err), GT_OK);
    ck_assert_uint_eq(ov, 1);
    ck_assert(o0 == T("2024-01-01T00:00:01Z") && o1 == o0);
    ck_assert_uint_eq(a->nrows, 4);
    ck_assert(V(a, 0, 2) == 6 && V(a, 1, 2) == 5 && V(a, 0, 3) == 8);
    ck_assert(V(a, 0, 1) == 3);
    ck_assert_int_eq(a->labels[1], 1);
    ck_assert_int_eq(a->labels[2], 0);
    ck_assert(a->time_ns[3] == T("2024-01-01T00:00:03Z"));
    gt_table_free(b);
    /* a column b lacks is MISSING there */
    b = parse("time,y\n2024-01-01 00:00:05,1\n");
    ck_assert_int_eq(gt_table_append(a, b, &ov, NULL, NULL, &err), GT_OK);
    ck_assert_uint_eq(ov, 0);
    ck_assert_uint_eq(a->nrows, 5);
    ck_assert(isnan(V(a, 0, 4)) && Q(a, 0, 4) == GT_Q_MISSING && V(a, 1, 4) == 1);
    gt_table_free(b);
    /* a new column is refused, a is unchanged */
    b = parse("time,z\n2024-01-01 00:00:09,1\n");
    ck_assert_int_eq(gt_table_append(a, b, &ov, NULL, NULL, &err), GT_ESHAPE);
    assert_has(err.msg, "'z'");
    ck_assert_uint_eq(a->nrows, 5);
    gt_table_free(b);
    gt_table_free(a);
}
END_TEST

/* ---------------------------------------------------------------- files */

START_TEST(read_file_matches_parse)
{
    char *dir = gtt_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/h.csv", dir);
    gtt_write_file(path, "timestamp,tag,value,quality\n"
                         "2024-01-01T00:00:00.250Z,A,1.5,Good\n"
                         "2024-01-01T00:00:00.250Z,B,2.5,Bad\n");
    gt_table *t = NULL;
    gt_error err = {0};
    ck_assert_msg(gt_csv_read(path, NULL, &t, &err) == GT_OK, "%s", err.msg);
    ck_assert_uint_eq(t->nrows, 1);
    ck_assert_int_eq(t->ncols, 2);
    ck_assert(t->time_ns[0] == T("2024-01-01T00:00:00.25Z"));
    gt_table_free(t);
    gtt_write_file(path, "time,a\n2024-01-01,1\n2024-01-02,zz\n");
    ck_assert_int_eq(gt_csv_read(path, NULL, &t, &err), GT_EFORMAT);
    char want[600];
    snprintf(want, sizeof want, "%s:3: value 'zz'", path);
    assert_has(err.msg, want);
    gtt_write_file(path, "");
    ck_assert_int_eq(gt_csv_read(path, NULL, &t, &err), GT_EFORMAT);
    assert_has(err.msg, "empty file");
    gtt_rmdir(dir);
    free(dir);
}
END_TEST

/* ---------------------------------------------------------------- datasets */

/* Lines with non-blank content, and the first line's fields, counted simply. */
static size_t count_lines(const char *path, char *first, size_t cap, char *second, size_t cap2)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char line[8192];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        int blank = 1;
        for (char *p = line; *p; p++)
            if (*p != ' ' && *p != '\r' && *p != '\n' && *p != '\t')
                blank = 0;
        if (blank)
            continue;
        if (n == 0 && first)
            snprintf(first, cap, "%s", line);
        if (n == 1 && second)
            snprintf(second, cap2, "%s", line);
        n++;
    }
    fclose(f);
    return n;
}

static int count_fields(const char *line, char delim)
{
    int n = 0, in = 0;
    if (delim == ' ') {
        for (const char *p = line; *p; p++) {
            int b = *p == ' ' || *p == '\r' || *p == '\n';
            if (!b && !in)
                n++;
            in = !b;
        }
        return n;
    }
    n = 1;
    for (const char *p = line; *p; p++)
        n += *p == delim;
    return n;
}

/* The k-th field of a line (simple: no quotes in these files). */
static double field(const char *line, char delim, int k)
{
    const char *p = line;
    if (delim == ' ') {
        for (int i = 0;; i++) {
            while (*p == ' ')
                p++;
            if (i == k)
                return strtod(p, NULL);
            while (*p && *p != ' ')
                p++;
        }
    }
    for (int i = 0; i < k; i++)
        p = strchr(p, delim) + 1;
    return strtod(p, NULL);
}

static void check_dataset(const char *rel, char delim, int header, int ignored, int time,
                          int labels)
{
    char path[1024];
    if (gtt_dataset_path(path, sizeof path, rel) != 0)
        return;
    char first[8192], second[8192];
    size_t lines = count_lines(path, first, sizeof first, second, sizeof second);
    int fields = count_fields(first, delim);
    gt_table *t = NULL;
    gt_error err = {0};
    ck_assert_msg(gt_csv_read(path, NULL, &t, &err) == GT_OK, "%s", err.msg);
    ck_assert_msg(t->delim == delim, "%s: delim '%c'", rel, t->delim);
    ck_assert_int_eq(t->layout, GT_CSV_WIDE);
    ck_assert_msg(t->nrows == lines - (size_t)header, "%s: %zu rows, %zu lines", rel, t->nrows,
                  lines);
    ck_assert_uint_eq(t->lines, lines - (size_t)header);
    ck_assert_msg(t->ncols == fields - ignored - time - labels, "%s: %d columns of %d fields",
                  rel, t->ncols, fields);
    ck_assert_int_eq(t->nlabels, labels);
    ck_assert_msg(!t->time_ns == !time, "%s: time column", rel);
    /* the first data row's values */
    const char *row = header ? second : first;
    for (int c = 0; c < t->ncols; c++) {
        float want = (float)field(row, delim, c + ignored + time);
        ck_assert_msg(t->values[(size_t)c * t->nrows] == want, "%s: column %d: %g vs %g", rel, c,
                      (double)t->values[(size_t)c * t->nrows], (double)want);
    }
    for (size_t i = 0; i < (size_t)t->ncols * t->nrows; i++)
        ck_assert_msg(t->quality[i] == GT_Q_GOOD && isfinite(t->values[i]), "%s: cell %zu", rel, i);
    for (size_t i = 1; t->time_ns && i < t->nrows; i++)
        ck_assert(t->time_ns[i] > t->time_ns[i - 1]);
    gt_table_free(t);
}

START_TEST(real_datasets)
{
    static const char *const nab[] = {
        "artificialNoAnomaly/art_daily_no_noise.csv",
        "artificialNoAnomaly/art_daily_perfect_square_wave.csv",
        "artificialNoAnomaly/art_daily_small_noise.csv",
        "artificialNoAnomaly/art_flatline.csv",
        "artificialNoAnomaly/art_noisy.csv",
        "artificialWithAnomaly/art_daily_flatmiddle.csv",
        "artificialWithAnomaly/art_daily_jumpsdown.csv",
        "artificialWithAnomaly/art_daily_jumpsup.csv",
        "artificialWithAnomaly/art_daily_nojump.csv",
        "artificialWithAnomaly/art_increase_spike_density.csv",
        "artificialWithAnomaly/art_load_balancer_spikes.csv",
        "realKnownCause/ambient_temperature_system_failure.csv",
        "realKnownCause/cpu_utilization_asg_misconfiguration.csv",
        "realKnownCause/nyc_taxi.csv",
        "realKnownCause/rogue_agent_key_hold.csv",
        "realKnownCause/rogue_agent_key_updown.csv"};
    char rel[256];
    for (size_t i = 0; i < sizeof nab / sizeof *nab; i++) {
        snprintf(rel, sizeof rel, "nab/data/%s", nab[i]);
        check_dataset(rel, ',', 1, 0, 1, 0);
    }
    check_dataset("skab/data/anomaly-free/anomaly-free.csv", ';', 1, 0, 1, 0);
    for (int i = 0; i <= 15; i++) {
        snprintf(rel, sizeof rel, "skab/data/valve1/%d.csv", i);
        check_dataset(rel, ';', 1, 0, 1, 2);
    }
    check_dataset("ims_features/1st_test_resmaple_10minutes.csv", ',', 1, 1, 1, 0);
    check_dataset("ims_features/2nd_test_resmaple_10minutes.csv", ',', 1, 1, 1, 0);
    check_dataset("ims_features/3rd_test_resmaple_10minutes.csv", ',', 1, 1, 1, 0);
    check_dataset("cmapss/train_FD001.txt", ' ', 0, 0, 0, 0);
    check_dataset("cmapss/test_FD001.txt", ' ', 0, 0, 0, 0);
    check_dataset("cmapss/RUL_FD001.txt", ' ', 0, 0, 0, 0);
}
END_TEST

/* Two NAB files have clock faults (a DST repeat, an hour back): errors that
 * name the line, or with skip_bad, the rows a strictly increasing reading
 * keeps. */
static void check_nab_fault(const char *rel, const char *msg, size_t want_skipped)
{
    char path[1024];
    if (gtt_dataset_path(path, sizeof path, rel) != 0)
        return;
    gt_table *t = NULL;
    gt_error err = {0};
    ck_assert_int_eq(gt_csv_read(path, NULL, &t, &err), GT_EFORMAT);
    assert_has(err.msg, msg);
    /* independent count: keep a row when its time is above every earlier one */
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    char maxt[64] = "";
    size_t kept = 0, skipped = 0, n = 0;
    while (fgets(line, sizeof line, f)) {
        if (n++ == 0)
            continue;
        line[19] = 0;
        if (strcmp(line, maxt) > 0) {
            strcpy(maxt, line);
            kept++;
        } else {
            skipped++;
        }
    }
    fclose(f);
    ck_assert_uint_eq(skipped, want_skipped);
    gt_csv_opts o = gt_csv_opts_default();
    o.skip_bad = 1;
    ck_assert_msg(gt_csv_read(path, &o, &t, &err) == GT_OK, "%s", err.msg);
    ck_assert_uint_eq(t->nrows, kept);
    ck_assert_uint_eq(t->skipped, skipped);
    assert_has(t->first_skip, msg);
    gt_table_free(t);
}

START_TEST(real_datasets_with_clock_faults)
{
    check_nab_fault("nab/data/realKnownCause/ec2_request_latency_system_failure.csv",
                    ":559: timestamp 2014-03-09T03:00:00Z repeats", 11);
    check_nab_fault("nab/data/realKnownCause/machine_temperature_system_failure.csv",
                    ":10151: timestamp 2014-01-07T02:00:00Z goes backwards (previous "
                    "2014-01-07T02:55:00Z)",
                    12);
}
END_TEST

GTT_SUITE(gt_test_csv_suite)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, numbers_equal_strtod);
    tcase_add_test(tc, numbers_reject_text_and_nonfinite);
    tcase_add_test(tc, time_formats);
    tcase_add_test(tc, durations);
    tcase_add_test(tc, quality_words_and_codes);
    tcase_add_test(tc, wide_basic);
    tcase_add_test(tc, wide_variants_read_the_same);
    tcase_add_test(tc, wide_without_time_or_header);
    tcase_add_test(tc, wide_labels_and_quality);
    tcase_add_test(tc, long_pivot);
    tcase_add_test(tc, errors_name_the_line);
    tcase_add_test(tc, skip_bad_counts_and_keeps_the_first);
    tcase_add_test(tc, chunked_equals_one_pass);
    tcase_add_test(tc, long_pivot_matches_direct);
    tcase_add_test(tc, resample_methods);
    tcase_add_test(tc, append_tables);
    tcase_add_test(tc, read_file_matches_parse);
    tcase_add_test(tc, real_datasets);
    tcase_add_test(tc, real_datasets_with_clock_faults);
    suite_add_tcase(s, tc);
    return s;
}
