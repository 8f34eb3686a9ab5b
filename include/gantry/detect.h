/*
 * gantry/detect.h - from anomaly scores to flags, events and the field's
 * metrics.
 *
 * Scores are per sample, higher = more anomalous.  A threshold turns them
 * into per-sample flags; runs of flags become events with a severity; the
 * metrics compare flags, events and scores with labelled truth the ways
 * the literature does:
 *   - overlap-segment (Orion, orion.evaluation.contextual, weighted=False):
 *     a true event is a true positive when any detected event overlaps it,
 *     a false negative otherwise; a detected event overlapping no true
 *     event is a false positive.  Counts are summed over signals before F1.
 *   - weighted segment (Orion's default, weighted=True): the same confusion
 *     counted in samples (time) over the segments the event boundaries cut
 *     the signal into; tn counted too.
 *   - point-wise (SKAB): per sample; F1, false alarm rate FAR =
 *     fp / (fp + tn) and missed alarm rate MAR = fn / (fn + tp).
 *   - AUROC of scores against per-sample (or per-window) labels.
 *   - detection delay: samples from a true event's start to the first
 *     flagged sample inside it.
 * Everything here is pure computation: nothing prints, nothing exits.
 */
#ifndef GANTRY_DETECT_H
#define GANTRY_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- thresholds ---------------------------------------------------------- */

typedef enum gt_thresh_kind {
    GT_THRESH_FIXED = 0, /* flag score > value */
    GT_THRESH_QUANTILE,  /* flag score > factor * quantile(ref, value) */
    GT_THRESH_DYNAMIC    /* Orion's find_anomalies: sliding windows, each
                          * with its own threshold; see gt_thresh_apply */
} gt_thresh_kind;

typedef struct gt_thresh_cfg {
    gt_thresh_kind kind;
    double value;       /* FIXED: the threshold; QUANTILE: q in (0, 1) */
    double factor;      /* QUANTILE: multiplier (default 1) */
    double window;      /* DYNAMIC: window length as a fraction of n when
                         * <= 1 (Orion's window_size_portion, default 0.33),
                         * else in samples */
    double step;        /* DYNAMIC: step between windows as a fraction of
                         * the window length when <= 1 (Orion's
                         * window_step_size_portion, default 0.1), else in
                         * samples */
    double z;           /* DYNAMIC: 0 = search z in [2, 10] minimising
                         * Hundman's cost (Orion fixed_threshold=False);
                         * > 0: threshold mean + z * std per window (Orion's
                         * fixed_threshold=True uses 4, the default) */
    double min_percent; /* DYNAMIC: Hundman's pruning (default 0.1) */
    size_t padding;     /* DYNAMIC: samples added on both sides of each run
                         * (Orion's anomaly_padding, default 50) */
} gt_thresh_cfg;

/* The defaults above for a kind. */
gt_thresh_cfg gt_thresh_default(gt_thresh_kind kind);
/*
 * Parse "fixed:V", "quantile:Q" or "quantile:QxF" (e.g. "quantile:0.99x1.5"),
 * "dynamic", "dynamic:Z", "dynamic:Z:WINDOW:STEP".  GT_EINVAL with a message
 * saying what is accepted.
 */
int gt_thresh_parse(const char *s, gt_thresh_cfg *c, gt_error *err);
/* The canonical text of c (what gt_thresh_parse reads back). */
void gt_thresh_format(const gt_thresh_cfg *c, char *buf, size_t cap);

/*
 * Flag n scores: flag[i] = 1 where anomalous.  ref (nref reference scores,
 * e.g. the training data's) is needed for QUANTILE and ignored otherwise.
 * thr (n values, may be NULL) gets the threshold that applied at each
 * sample (for DYNAMIC the lowest of the windows covering it).  NaN scores
 * are never flagged and are left out of statistics.  Allocates scratch.
 * GT_EINVAL with a message for a bad configuration or an empty ref.
 */
int gt_thresh_apply(const gt_thresh_cfg *c, const float *score, size_t n, const float *ref,
                    size_t nref, uint8_t *flag, float *thr, gt_error *err);

/* The q-quantile (0 <= q <= 1) of the finite values of x, interpolated
 * linearly as numpy's default; NaN when none.  Allocates a copy. */
double gt_quantile(const float *x, size_t n, double q);

/* ---- events ----------------------------------------------------------------- */

typedef struct gt_event {
    size_t start, end; /* samples [start, end) */
    double severity;
} gt_event;

/*
 * Runs of flagged samples as events: runs separated by fewer than min_gap
 * unflagged samples are merged, runs shorter than min_len samples dropped.
 * severity = max over the event of (score - thr) (thr may be NULL: 0), the
 * peak excess over the threshold in score units.  Writes at most cap
 * events and returns how many there are (call with cap 0 to count).
 */
size_t gt_events_from_flags(const uint8_t *flag, const float *score, const float *thr, size_t n,
                            size_t min_gap, size_t min_len, gt_event *ev, size_t cap);
/* Runs of label[i] != 0 (truth events; severity 0).  Same return rule. */
size_t gt_events_from_labels(const uint8_t *label, size_t n, gt_event *ev, size_t cap);
/* Flags from events: flag[i] = 1 inside any event, else 0. */
void gt_events_to_flags(const gt_event *ev, size_t nev, uint8_t *flag, size_t n);
/* Trim every run of flagged samples in place: its first head and last tail
 * samples are unflagged, and a run of head + tail samples or fewer goes
 * whole (non-zero flags left become 1).  head = N - 1, tail = 0 is an
 * alarm's on-delay of N samples (causal: flag[i] then stays set only where
 * flag[i - N + 1 .. i] all are); head = tail = h keeps flag[i] only where
 * flag[i - h .. i + h] all are, a centred minimum filter.  Samples outside
 * the signal count as unflagged. */
void gt_flags_trim(uint8_t *flag, size_t n, size_t head, size_t tail);

/* ---- metrics ---------------------------------------------------------------- */

/* Confusion counts (samples, or events for overlap-segment: tn stays 0). */
typedef struct gt_counts {
    double tp, fp, fn, tn;
} gt_counts;

/* Orion's overlap-segment counts of one signal, added into *acc.  Events
 * overlap when they share at least one sample. */
void gt_overlap_segment(const gt_event *truth, size_t nt, const gt_event *pred, size_t np,
                        gt_counts *acc);
/* Orion's weighted-segment counts (in samples) of one signal of n samples,
 * added into *acc. */
void gt_weighted_segment(const gt_event *truth, size_t nt, const gt_event *pred, size_t np,
                         size_t n, gt_counts *acc);
/* Point-wise counts, added into *acc. */
void gt_pointwise(const uint8_t *truth, const uint8_t *pred, size_t n, gt_counts *acc);

/* Precision, recall, F1 (0 when undefined, as sklearn's zero_division=0),
 * FAR = fp / (fp + tn), MAR = fn / (fn + tp) (NaN when undefined). */
double gt_precision(const gt_counts *c);
double gt_recall(const gt_counts *c);
double gt_f1(const gt_counts *c);
double gt_far(const gt_counts *c);
double gt_mar(const gt_counts *c);

/* Area under the ROC curve of scores against labels (label != 0 is
 * positive), ties counted half (the Mann-Whitney statistic); NaN scores
 * left out; NaN when either class is empty.  Allocates. */
double gt_auroc(const float *score, const uint8_t *label, size_t n);

/* Per true event: delay[i] = samples from truth[i].start to the first
 * flagged sample in [start, end) (pred flags, n samples), or -1 when it was
 * never flagged inside the event.  Returns how many were detected. */
size_t gt_detection_delays(const gt_event *truth, size_t nt, const uint8_t *pred, size_t n,
                           long *delay);

#ifdef __cplusplus
}
#endif
#endif
