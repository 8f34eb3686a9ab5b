/*
 * gantry/sim.h - the bearing vibration simulator (the built-in data source
 * of the demo and the tests).
 *
 * Acceleration at a bearing housing, sampled at `rate`:
 *   - shaft harmonics at 1x and 2x the shaft frequency (imbalance and
 *     misalignment);
 *   - for a local fault, impacts at the defect frequency (BPFO for the outer
 *     race, BPFI for the inner race, 2 x BSF for a ball, which strikes both
 *     races), each ringing a structural resonance that decays exponentially;
 *     the intervals jitter by a few per cent (rolling elements slip);
 *   - amplitude modulation where the physics has it: an inner-race defect
 *     turns with the shaft through the load zone (modulation at the shaft
 *     frequency), a ball defect with the cage (at FTF); an outer-race defect
 *     sits still in the load zone;
 *   - white measurement noise.
 * A run to failure lets the impact amplitude grow from `severity` to
 * `severity_end` over the record (quadratically, as spalls spread).
 * Seeded and deterministic.
 */
#ifndef GANTRY_SIM_H
#define GANTRY_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/bearing.h"
#include "gantry/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gt_fault {
    GT_FAULT_NONE,
    GT_FAULT_INNER,
    GT_FAULT_OUTER,
    GT_FAULT_BALL,
    GT_FAULT_COUNT
} gt_fault;

/* "normal", "inner_race", "outer_race", "ball" */
const char *gt_fault_name(gt_fault fault);
/* Returns GT_OK and sets *out, or GT_EINVAL naming the known classes. */
int gt_fault_parse(const char *name, gt_fault *out, gt_error *err);

typedef struct gt_sim_bearing_cfg {
    double rate;          /* samples per second (12000, as CWRU) */
    double shaft_hz;      /* 1797 rpm / 60 */
    gt_bearing bearing;   /* 6205-2RS by default */
    gt_fault fault;
    double severity;      /* impact amplitude (g) at the start */
    double severity_end;  /* ... and at the end (= severity: constant) */
    double resonance_hz;  /* structural resonance the impacts excite */
    double decay_s;       /* its decay time constant */
    double slip;          /* relative jitter of impact intervals */
    double modulation;    /* depth of the load-zone modulation, 0..1 */
    double shaft_amp;     /* amplitude of the 1x shaft line (2x: half) */
    double noise;         /* standard deviation of the noise */
} gt_sim_bearing_cfg;

gt_sim_bearing_cfg gt_sim_bearing_default(gt_fault fault);

/* n samples of the simulated signal into x. */
int gt_sim_bearing(float *x, size_t n, const gt_sim_bearing_cfg *cfg,
                   uint64_t seed, gt_error *err);

#ifdef __cplusplus
}
#endif
#endif
