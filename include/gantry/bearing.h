/*
 * gantry/bearing.h - rolling-element bearing defect frequencies.
 *
 * From the geometry (n rolling elements of diameter d on a pitch circle of
 * diameter D, contact angle phi) and the shaft frequency fr, with
 * r = (d / D) cos(phi):
 *     FTF  = fr / 2 (1 - r)               cage (fundamental train)
 *     BPFO = n fr / 2 (1 - r)             ball pass, outer race
 *     BPFI = n fr / 2 (1 + r)             ball pass, inner race
 *     BSF  = D fr / (2 d) (1 - r^2)       ball spin
 * A ball defect strikes both races once per spin, so its envelope spectrum
 * often peaks at 2 x BSF; CWRU's tables list that value as "BSF".
 */
#ifndef GANTRY_BEARING_H
#define GANTRY_BEARING_H

#include "gantry/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_bearing {
    const char *name;
    int elements;          /* number of balls or rollers */
    double element_diam;   /* d, any length unit */
    double pitch_diam;     /* D, same unit */
    double contact_deg;    /* contact angle in degrees */
} gt_bearing;

typedef struct gt_bearing_freqs {
    double ftf, bpfo, bpfi, bsf; /* Hz (or orders when shaft_hz = 1) */
} gt_bearing_freqs;

/* Named presets: "6205-2RS" (SKF 6205-2RS JEM, CWRU's drive end) and
 * "6203-2RS" (SKF 6203-2RS JEM, CWRU's fan end).  Matching ignores case.
 * Returns GT_OK, or GT_EINVAL listing the known names in err. */
int gt_bearing_preset(const char *name, gt_bearing *out, gt_error *err);

/* The preset names, NULL-terminated. */
const char *const *gt_bearing_preset_names(void);

/* Defect frequencies at shaft frequency shaft_hz (rpm / 60).  Refuses
 * impossible geometry (d >= D, no elements, angle outside [0, 90)). */
int gt_bearing_frequencies(const gt_bearing *b, double shaft_hz,
                           gt_bearing_freqs *out, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
