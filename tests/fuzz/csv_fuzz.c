/*
 * libFuzzer target: gt_csv_parse on arbitrary bytes with a few option sets
 * (detected everything; forced long with skip_bad; decimal comma with ';';
 * forced wide, no header, space delimiter), at 1 and 3 chunks, checking that
 * the chunked result equals the one-pass result, that a failure leaves
 * *out NULL with a message, and that a table's invariants hold.
 * Build and run with tests/fuzz/run.sh.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_internal.h"
#include "gantry/csv.h"
#include "gantry/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const gt_table *t)
{
    if (t->nrows == 0 || t->ncols < 0 || t->nlabels < 0)
        abort();
    for (size_t i = 1; t->time_ns && i < t->nrows; i++)
        if (t->time_ns[i] <= t->time_ns[i - 1])
            abort();
    size_t n = t->nrows * (size_t)t->ncols;
    for (size_t i = 0; i < n; i++) {
        if (t->quality[i] > GT_Q_MISSING)
            abort();
        if ((t->quality[i] == GT_Q_MISSING) != isnan(t->values[i]))
            abort();
        if (isinf(t->values[i]))
            abort();
    }
    for (size_t i = 0; i < t->nrows * (size_t)t->nlabels; i++)
        if (t->labels[i] > 1)
            abort();
    for (int c = 0; c < t->ncols; c++)
        if (!t->names[c])
            abort();
    if (t->skipped > t->lines)
        abort();
}

static int same(const gt_table *a, const gt_table *b)
{
    if (a->nrows != b->nrows || a->ncols != b->ncols || a->nlabels != b->nlabels ||
        a->skipped != b->skipped || a->lines != b->lines || strcmp(a->first_skip, b->first_skip))
        return 0;
    size_t n = a->nrows * (size_t)a->ncols;
    if (n && (memcmp(a->quality, b->quality, n) ||
              memcmp(a->values, b->values, n * sizeof(float))))
        return 0;
    if (a->time_ns && memcmp(a->time_ns, b->time_ns, a->nrows * sizeof(int64_t)))
        return 0;
    for (int c = 0; c < a->ncols; c++)
        if (strcmp(a->names[c], b->names[c]))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so that reading past the end is caught */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    for (int variant = 0; variant < 4; variant++) {
        gt_csv_opts o = gt_csv_opts_default();
        if (variant == 1) {
            o.layout = GT_CSV_LONG;
            o.skip_bad = 1;
        } else if (variant == 2) {
            o.decimal_comma = 1;
            o.delim = ';';
            o.skip_bad = 1;
            o.time_format = GT_TIME_EPOCH_S;
        } else if (variant == 3) {
            o.layout = GT_CSV_WIDE;
            o.header = 0;
            o.delim = ' ';
            o.label_cols = "";
        }
        gt_table *a = (gt_table *)1, *b = (gt_table *)1;
        gt_error ea = {0}, eb = {0};
        int ra = gt__csv_parse_chunked(buf, size, "f.csv", &o, 1, &a, &ea);
        int rb = gt__csv_parse_chunked(buf, size, "f.csv", &o, 3, &b, &eb);
        if (ra != rb)
            abort();
        if (ra == GT_OK) {
            check_table(a);
            if (!same(a, b))
                abort();
            /* resampling must not fail on what the reader returns */
            uint64_t span = a->time_ns && a->nrows > 1 ? (uint64_t)a->time_ns[a->nrows - 1] -
                                                             (uint64_t)a->time_ns[0]
                                                       : 0;
            if (span > 0 && span < 1000000000000ULL && a->time_ns[0] > INT64_MIN / 2) {
                gt_error er = {0};
                int64_t step = (int64_t)(span / 64 + 1);
                if (gt_table_resample(a, step, (gt_resample_method)variant % 3, 0, &er) != GT_OK)
                    abort();
                check_table(a);
            }
        } else {
            if (a != NULL || b != NULL || ea.msg[0] == 0 || ea.code != ra)
                abort();
        }
        gt_table_free(a);
        gt_table_free(b);
    }
    free(buf);
    return 0;
}
