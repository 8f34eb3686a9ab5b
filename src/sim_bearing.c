/* The bearing vibration simulator (see gantry/sim.h). */
#include <math.h>
#include <string.h>

#include "gantry/rng.h"
#include "gantry/sim.h"

static const char *const fault_names[] = {"normal", "inner_race", "outer_race", "ball"};
_Static_assert(sizeof fault_names / sizeof fault_names[0] == GT_FAULT_COUNT,
               "every fault needs a name");

static const double two_pi = 6.283185307179586;

const char *gt_fault_name(gt_fault fault)
{
    return (unsigned)fault < GT_FAULT_COUNT ? fault_names[fault] : "?";
}

int gt_fault_parse(const char *name, gt_fault *out, gt_error *err)
{
    for (int i = 0; i < GT_FAULT_COUNT; i++)
        if (strcmp(name, fault_names[i]) == 0) {
            *out = (gt_fault)i;
            return GT_OK;
        }
    return gt_error_set(err, GT_EINVAL,
                        "unknown fault class '%s' (known: normal, inner_race, outer_race, ball)",
                        name);
}

gt_sim_bearing_cfg gt_sim_bearing_default(gt_fault fault)
{
    gt_sim_bearing_cfg c;
    memset(&c, 0, sizeof c);
    c.rate = 12000;
    c.shaft_hz = 1797.0 / 60.0;
    gt_bearing_preset("6205-2RS", &c.bearing, NULL);
    c.fault = fault;
    c.severity = c.severity_end = 1.0;
    c.resonance_hz = 3000;
    c.decay_s = 0.0015;
    c.slip = 0.01;
    c.modulation = 0.6;
    c.shaft_amp = 0.05;
    c.noise = 0.1;
    return c;
}

int gt_sim_bearing(float *x, size_t n, const gt_sim_bearing_cfg *c, uint64_t seed, gt_error *err)
{
    gt_bearing_freqs f;
    if (!(c->rate > 0) || !(c->resonance_hz > 0) || c->resonance_hz >= c->rate / 2 ||
        !(c->decay_s > 0) || c->slip < 0 || c->slip > 0.2 || c->modulation < 0 ||
        c->modulation > 1 || c->noise < 0 || (unsigned)c->fault >= GT_FAULT_COUNT)
        return gt_error_set(err, GT_EINVAL,
                            "simulator: need rate > 0, 0 < resonance < rate/2, decay > 0, "
                            "slip in [0, 0.2], modulation in [0, 1], noise >= 0");
    int rc = gt_bearing_frequencies(&c->bearing, c->shaft_hz, &f, err);
    if (rc < 0)
        return rc;
    gt_rng r;
    gt_rng_seed(&r, seed);
    const double dt = 1.0 / c->rate;
    const double ph1 = two_pi * gt_rng_uniform(&r), ph2 = two_pi * gt_rng_uniform(&r);
    for (size_t i = 0; i < n; i++) {
        double t = i * dt;
        x[i] = (float)(c->shaft_amp * sin(two_pi * c->shaft_hz * t + ph1) +
                       0.5 * c->shaft_amp * sin(two_pi * 2 * c->shaft_hz * t + ph2));
    }
    if (c->fault != GT_FAULT_NONE) {
        double rate_hz = c->fault == GT_FAULT_INNER   ? f.bpfi
                         : c->fault == GT_FAULT_OUTER ? f.bpfo
                                                      : 2 * f.bsf;
        /* inner race: modulated by the shaft turning; ball: by the cage */
        double mod_hz = c->fault == GT_FAULT_INNER ? c->shaft_hz
                        : c->fault == GT_FAULT_BALL ? f.ftf
                                                    : 0;
        const double total = n * dt, mod_ph = two_pi * gt_rng_uniform(&r);
        const size_t ring = (size_t)(8 * c->decay_s * c->rate) + 1;
        for (double t0 = gt_rng_uniform(&r) / rate_hz; t0 < total;
             t0 += (1.0 + c->slip * gt_rng_normal(&r)) / rate_hz) {
            double u = t0 / total;
            double amp = c->severity + (c->severity_end - c->severity) * u * u;
            if (mod_hz > 0)
                amp *= 1.0 - c->modulation * 0.5 * (1.0 - cos(two_pi * mod_hz * t0 + mod_ph));
            size_t i0 = (size_t)ceil(t0 * c->rate);
            for (size_t i = i0; i < n && i < i0 + ring; i++) {
                double tau = i * dt - t0;
                x[i] += (float)(amp * exp(-tau / c->decay_s) * sin(two_pi * c->resonance_hz * tau));
            }
        }
    }
    for (size_t i = 0; c->noise > 0 && i < n; i++)
        x[i] += (float)(c->noise * gt_rng_normal(&r));
    return GT_OK;
}
