/* Bearing defect frequencies from geometry. */
#include <math.h>
#include <stddef.h>
#include <strings.h>

#include "gantry/bearing.h"

/* Dimensions in inches from CWRU's bearing data page (SKF catalogue parts). */
static const gt_bearing presets[] = {
    {"6205-2RS", 9, 0.3126, 1.537, 0.0},
    {"6203-2RS", 8, 0.2656, 1.122, 0.0},
};
#define NPRESETS (sizeof presets / sizeof presets[0])

const char *const *gt_bearing_preset_names(void)
{
    static const char *const names[NPRESETS + 1] = {"6205-2RS", "6203-2RS", NULL};
    return names;
}

int gt_bearing_preset(const char *name, gt_bearing *out, gt_error *err)
{
    for (size_t i = 0; i < NPRESETS; i++)
        if (strcasecmp(name, presets[i].name) == 0) {
            *out = presets[i];
            return GT_OK;
        }
    return gt_error_set(err, GT_EINVAL, "unknown bearing '%s' (known: 6205-2RS, 6203-2RS)",
                        name);
}

int gt_bearing_frequencies(const gt_bearing *b, double shaft_hz, gt_bearing_freqs *out,
                           gt_error *err)
{
    if (b->elements < 1 || !(b->element_diam > 0) || !(b->pitch_diam > b->element_diam) ||
        !(b->contact_deg >= 0 && b->contact_deg < 90))
        return gt_error_set(err, GT_EINVAL,
                            "impossible bearing geometry: %d elements of diameter %g on a pitch "
                            "diameter of %g at %g degrees (need elements >= 1, 0 < d < D, "
                            "0 <= angle < 90)",
                            b->elements, b->element_diam, b->pitch_diam, b->contact_deg);
    if (!(shaft_hz > 0) || !isfinite(shaft_hz))
        return gt_error_set(err, GT_EINVAL, "shaft frequency must be positive, not %g", shaft_hz);
    const double r = b->element_diam / b->pitch_diam * cos(b->contact_deg * 3.14159265358979323846 / 180.0);
    out->ftf = shaft_hz / 2.0 * (1.0 - r);
    out->bpfo = b->elements * shaft_hz / 2.0 * (1.0 - r);
    out->bpfi = b->elements * shaft_hz / 2.0 * (1.0 + r);
    out->bsf = b->pitch_diam * shaft_hz / (2.0 * b->element_diam) * (1.0 - r * r);
    return GT_OK;
}
