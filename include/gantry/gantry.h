/*
 * gantry/gantry.h - the umbrella header: include this one.
 *
 * Gantry brings generative adversarial networks to predictive maintenance:
 * a small engine (layers with hand-written backward passes over OpenBLAS),
 * models described in a short text spec, GAN training, and HDF5 files that
 * name their format and version.
 *
 *     #include <gantry/gantry.h>
 *
 *     char gs[4096], ds[4096];
 *     gt_preset_cfg pc = gt_preset_default(1, 256, 1);   // 1D, window 256
 *     gt_preset_dcgan(&pc, gs, sizeof gs, ds, sizeof ds, &err);
 *     gt_model_parse(&g, gs, &err);  gt_model_finalize(g, 64, &err);
 *     gt_model_parse(&d, ds, &err);  gt_model_finalize(d, 64, &err);
 *     gt_model_init(g, GT_INIT_DCGAN, 1);  gt_model_init(d, GT_INIT_DCGAN, 2);
 *     gt_gan_cfg cfg = gt_gan_cfg_default();
 *     gt_gan gan;  gt_gan_init(&gan, g, d, &cfg, 3, &err);
 *     for (step...) gt_gan_step(&gan, real_batch, NULL, NULL, 64, &stats);
 *
 * Conventions: functions return GT_OK (0) or a negative GT_E* status and
 * explain failures through a gt_error; the library never prints or exits;
 * whoever creates an object frees it.  See each header for details.
 */
#ifndef GANTRY_GANTRY_H
#define GANTRY_GANTRY_H

#include "gantry/bearing.h"
#include "gantry/classifier.h"
#include "gantry/common.h"
#include "gantry/csv.h"
#include "gantry/dataset.h"
#include "gantry/detect.h"
#include "gantry/features.h"
#include "gantry/gan.h"
#include "gantry/h5.h"
#include "gantry/image.h"
#include "gantry/imgstore.h"
#include "gantry/kernels.h"
#include "gantry/labels.h"
#include "gantry/loss.h"
#include "gantry/mat.h"
#include "gantry/model.h"
#include "gantry/names.h"
#include "gantry/optim.h"
#include "gantry/preset.h"
#include "gantry/resample_rate.h"
#include "gantry/rng.h"
#include "gantry/signal.h"
#include "gantry/sim.h"
#include "gantry/spec_match.h"
#include "gantry/store.h"
#include "gantry/timefmt.h"
#include "gantry/tmpfile.h"
#include "gantry/tsgan.h"
#include "gantry/version.h"

#endif
