/* gantry simulate bearing: a store of simulated bearing vibration, one
 * recording per fault class, and optionally a run to failure. */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gantry/store.h"
#include "gantry/timefmt.h"
#include "tool.h"

static const char help[] =
    "usage: gantry simulate bearing -o SIM.h5 [OPTIONS]\n"
    "\n"
    "Write a gantry store of simulated drive-end bearing vibration (see\n"
    "gantry/sim.h): one recording per fault class, named sim_<class> (class\n"
    "attribute set), channel DE_accel in g, with rate, rpm, t0 and a source\n"
    "naming the command's settings.  Same options and seed, same values.\n"
    "\n"
    "  -o, --output FILE       the store to write (required)\n"
    "  --faults LIST           classes, comma-separated (default\n"
    "                          normal,inner_race,outer_race,ball)\n"
    "  --seconds S             length of each recording (default 10)\n"
    "  --rate HZ               samples per second (default 12000, as CWRU); the\n"
    "                          structural resonance is 3 kHz, or rate / 4 if lower\n"
    "  --rpm R                 shaft speed (default 1797)\n"
    "  --bearing NAME          bearing preset (default 6205-2RS; see gantry bearing)\n"
    "  --seed N                random seed (default 1)\n"
    "  --severity X            impact amplitude of a fault in g (default 1)\n"
    "  --noise X               measurement noise, standard deviation in g\n"
    "                          (default 0.1)\n"
    "  --run-to-failure S      also write sim_run_to_failure, S seconds long, whose\n"
    "                          fault grows from nothing to --severity-end\n"
    "                          (quadratically in time, as spalls spread)\n"
    "  --fault NAME            its fault (default outer_race)\n"
    "  --severity-end X        its final impact amplitude in g (default 2)\n"
    "  --t0 TIME               time of sample 0, ISO 8601 (default\n"
    "                          2026-01-01T00:00:00Z)\n"
    "  --force                 overwrite an existing output\n"
    "  -h, --help              this help\n"
    "\n"
    "The run to failure carries a label track `fault`: 1 from the onset, the\n"
    "first sample where the impact amplitude (severity-end x (t / S)^2, before\n"
    "load-zone modulation) reaches the noise standard deviation, to the end;\n"
    "0 before.  From there a one-second envelope spectrum shows the defect\n"
    "frequency.  With --noise 0 the onset is sample 1; with severity-end not\n"
    "above the noise there is none (all 0).\n"
    "\n"
    "Prints what it wrote: recordings, seconds, defect frequencies.  Refuses\n"
    "an existing output unless --force; a failed run leaves nothing behind.\n"
    "\n"
    "example: gantry simulate bearing -o sim.h5 --seconds 5 --run-to-failure 60\n";

typedef struct sim_opts {
    const char *out, *bearing, *t0;
    gt_fault faults[GT_FAULT_COUNT];
    int nfaults, force;
    float seconds, rate, rpm, severity, noise, rtf_seconds, severity_end;
    gt_fault rtf_fault;
    uint64_t seed;
} sim_opts;

static int parse_faults(sim_opts *o, const char *list)
{
    char buf[256];
    if (strlen(list) >= sizeof buf)
        return tool_fail("--faults: list too long"), 2;
    snprintf(buf, sizeof buf, "%s", list);
    o->nfaults = 0;
    gt_error err = {0};
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        gt_fault f;
        if (gt_fault_parse(tok, &f, &err) < 0)
            return tool_fail("--faults: %s", err.msg), 2;
        for (int i = 0; i < o->nfaults; i++)
            if (o->faults[i] == f)
                return tool_fail("--faults: %s given twice", tok), 2;
        o->faults[o->nfaults++] = f;
    }
    return 0;
}

static int positive(const char *opt, const char *s, float lo, float hi, float *out)
{
    if (tool_float(opt, s, out))
        return 2;
    if (!(*out >= lo && *out <= hi))
        return tool_fail("%s must be from %g to %g, not %s", opt, lo, hi, s), 2;
    return 0;
}

static int parse(sim_opts *o, int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},   {"faults", required_argument, NULL, 'F'},
        {"seconds", required_argument, NULL, 's'},  {"rate", required_argument, NULL, 'r'},
        {"rpm", required_argument, NULL, 'R'},      {"bearing", required_argument, NULL, 'b'},
        {"seed", required_argument, NULL, 'S'},     {"severity", required_argument, NULL, 'v'},
        {"noise", required_argument, NULL, 'n'},    {"run-to-failure", required_argument, NULL, 'T'},
        {"fault", required_argument, NULL, 'f'},    {"severity-end", required_argument, NULL, 'e'},
        {"t0", required_argument, NULL, 't'},       {"force", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    *o = (sim_opts){.bearing = "6205-2RS", .t0 = "2026-01-01T00:00:00Z", .seconds = 10,
                    .rate = 12000, .rpm = 1797, .severity = 1, .noise = 0.1f,
                    .severity_end = 2, .rtf_fault = GT_FAULT_OUTER, .seed = 1};
    for (int i = 0; i < GT_FAULT_COUNT; i++)
        o->faults[o->nfaults++] = (gt_fault)i;
    gt_error err = {0};
    int c, v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'F': if (parse_faults(o, optarg)) return 2; break;
        case 's': if (positive("--seconds", optarg, 0.01f, 86400, &o->seconds)) return 2; break;
        case 'r': if (positive("--rate", optarg, 100, 1e7f, &o->rate)) return 2; break;
        case 'R': if (positive("--rpm", optarg, 1, 1e6f, &o->rpm)) return 2; break;
        case 'b': o->bearing = optarg; break;
        case 'S': if (tool_int("--seed", optarg, 0, 2147483647, &v)) return 2; o->seed = (uint64_t)v; break;
        case 'v': if (positive("--severity", optarg, 0, 1e6f, &o->severity)) return 2; break;
        case 'n': if (positive("--noise", optarg, 0, 1e6f, &o->noise)) return 2; break;
        case 'T': if (positive("--run-to-failure", optarg, 0.01f, 86400, &o->rtf_seconds)) return 2; break;
        case 'f':
            if (gt_fault_parse(optarg, &o->rtf_fault, &err) < 0)
                return tool_fail("--fault: %s", err.msg), 2;
            if (o->rtf_fault == GT_FAULT_NONE)
                return tool_fail("--fault: a run to failure needs a fault, not normal"), 2;
            break;
        case 'e': if (positive("--severity-end", optarg, 0, 1e6f, &o->severity_end)) return 2; break;
        case 't': o->t0 = optarg; break;
        case 'x': o->force = 1; break;
        case 'h': fputs(help, stdout); return -1;
        default: fputs(help, stderr); return 2;
        }
    }
    if (optind >= argc)
        return tool_fail("what to simulate? only `gantry simulate bearing` exists (see --help)"), 2;
    if (strcmp(argv[optind], "bearing") != 0)
        return tool_fail("cannot simulate '%s'; only `bearing` (see --help)", argv[optind]), 2;
    if (optind + 1 < argc)
        return tool_fail("unexpected argument '%s'", argv[optind + 1]), 2;
    if (!o->out)
        return tool_fail("give the output store: -o SIM.h5"), 2;
    if (o->nfaults == 0 && o->rtf_seconds == 0)
        return tool_fail("nothing to simulate: --faults is empty and no --run-to-failure"), 2;
    return 0;
}

/* A seed per recording, so that no two share their noise. */
static uint64_t mix_seed(uint64_t seed, uint64_t k)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ULL + (k + 1) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* One recording of `seconds` with configuration c (values filled). */
static int make_recording(gt_recording **out, const sim_opts *o, const char *name,
                          const gt_sim_bearing_cfg *c, double seconds, uint64_t seed,
                          int64_t t0_ns, gt_error *err)
{
    size_t n = (size_t)llround(seconds * o->rate);
    gt_recording *r = gt_recording_new(name, 1, n);
    if (!r)
        return gt_error_set(err, GT_ENOMEM, "%s: out of memory (%zu samples)", name, n);
    char src[512];
    snprintf(src, sizeof src,
             "gantry simulate bearing seed=%llu fault=%s seconds=%g rate=%g rpm=%g bearing=%s "
             "severity=%g severity_end=%g noise=%g",
             (unsigned long long)o->seed, gt_fault_name(c->fault), seconds, (double)o->rate,
             (double)o->rpm, c->bearing.name, c->severity, c->severity_end, c->noise);
    free(r->source);
    free(r->cls);
    r->source = strdup(src);
    r->cls = strdup(gt_fault_name(c->fault));
    r->channels[0] = strdup("DE_accel");
    r->units[0] = strdup("g");
    r->rate_hz = o->rate;
    r->rpm = o->rpm;
    r->has_t0 = 1;
    r->t0_ns = t0_ns;
    int rc = (!r->source || !r->cls || !r->channels[0] || !r->units[0])
                 ? gt_error_set(err, GT_ENOMEM, "%s: out of memory", name)
                 : gt_sim_bearing(r->values, n, c, seed, err);
    if (rc < 0) {
        gt_recording_free(r);
        return rc;
    }
    *out = r;
    return GT_OK;
}

int cmd_simulate(int argc, char **argv)
{
    sim_opts o;
    int rc = parse(&o, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    gt_error err = {0};
    gt_bearing b;
    if (gt_bearing_preset(o.bearing, &b, &err) < 0)
        return tool_fail("--bearing: %s", err.msg), 2;
    int64_t t0_ns = 0;
    if (gt_time_parse(o.t0, strlen(o.t0), GT_TIME_ISO, &t0_ns) < 0)
        return tool_fail("--t0 needs an ISO 8601 time such as 2026-01-01T00:00:00Z, not '%s'",
                         o.t0), 2;
    const double shaft = o.rpm / 60.0;
    gt_bearing_freqs bf;
    if (gt_bearing_frequencies(&b, shaft, &bf, &err) < 0)
        return tool_fail_err(&err), 2;
    if (3 * bf.bpfi >= o.rate / 2)
        return tool_fail("--rate %g is too low for %g rpm: 3 x BPFI (%.1f Hz) must lie below "
                         "rate / 2", (double)o.rate, (double)o.rpm, 3 * bf.bpfi), 2;
    if (!o.force && path_exists(o.out))
        return tool_fail("%s exists; not overwriting it (use --force)", o.out);

    gt_store *st = NULL;
    if (gt_store_create(&st, o.out, &err) < 0)
        return tool_fail_err(&err);
    double onset_s = -1;
    for (int i = 0; i <= o.nfaults && rc == 0; i++) {
        int rtf = i == o.nfaults;
        if (rtf && o.rtf_seconds == 0)
            break;
        gt_sim_bearing_cfg c = gt_sim_bearing_default(rtf ? o.rtf_fault : o.faults[i]);
        c.rate = o.rate;
        c.shaft_hz = shaft;
        c.bearing = b;
        c.noise = o.noise;
        c.resonance_hz = fmin(c.resonance_hz, 0.25 * o.rate);
        c.severity = c.severity_end = o.severity;
        if (rtf) {
            c.severity = 0;
            c.severity_end = o.severity_end;
        }
        char name[64];
        snprintf(name, sizeof name, "sim_%s", rtf ? "run_to_failure" : gt_fault_name(c.fault));
        double secs = rtf ? o.rtf_seconds : o.seconds;
        gt_recording *r = NULL;
        if (make_recording(&r, &o, name, &c, secs, mix_seed(o.seed, rtf ? 99 : (uint64_t)c.fault),
                           t0_ns, &err) < 0) {
            rc = tool_fail_err(&err);
            break;
        }
        if (rtf) {
            int l = gt_recording_add_label(r, "fault");
            if (l < 0) {
                gt_recording_free(r);
                rc = tool_fail("%s: out of memory adding the label track", name);
                break;
            }
            /* Onset: severity_end (t / T)^2 reaches the noise level. */
            if (o.severity_end > o.noise) {
                onset_s = secs * sqrt(o.noise / o.severity_end);
                size_t i0 = (size_t)ceil(onset_s * o.rate);
                if (i0 == 0)
                    i0 = 1;
                for (size_t k = i0; k < r->n; k++)
                    r->labels[(size_t)l * r->n + k] = 1;
                onset_s = i0 < r->n ? i0 / (double)o.rate : -1;
            }
        }
        if (gt_store_add(st, r, &err) < 0)
            rc = tool_fail_err(&err);
        gt_recording_free(r);
    }
    if (rc) {
        gt_store_abort(st);
        return rc;
    }
    if (gt_store_commit(st, &err) < 0)
        return tool_fail_err(&err);

    printf("wrote %s: bearing %s at %g rpm (shaft %.3f Hz), %g Hz, seed %llu, noise %g g\n",
           o.out, b.name, (double)o.rpm, shaft, (double)o.rate, (unsigned long long)o.seed,
           (double)o.noise);
    printf("  defect frequencies: BPFO %.2f Hz, BPFI %.2f Hz, BSF %.2f Hz (2xBSF %.2f), "
           "FTF %.2f Hz\n", bf.bpfo, bf.bpfi, bf.bsf, 2 * bf.bsf, bf.ftf);
    for (int i = 0; i < o.nfaults; i++) {
        gt_fault f = o.faults[i];
        double at = f == GT_FAULT_INNER ? bf.bpfi : f == GT_FAULT_OUTER ? bf.bpfo
                    : f == GT_FAULT_BALL ? 2 * bf.bsf : 0;
        printf("  sim_%-15s %g s, %zu samples, class %s", gt_fault_name(f), (double)o.seconds,
               (size_t)llround((double)o.seconds * o.rate), gt_fault_name(f));
        if (at > 0)
            printf(", impacts at %.2f Hz, severity %g g", at, (double)o.severity);
        printf("\n");
    }
    if (o.rtf_seconds > 0) {
        printf("  sim_run_to_failure  %g s, %zu samples, %s growing 0 -> %g g", (double)o.rtf_seconds,
               (size_t)llround((double)o.rtf_seconds * o.rate), gt_fault_name(o.rtf_fault),
               (double)o.severity_end);
        if (onset_s >= 0)
            printf(", label fault = 1 from %.3f s\n", onset_s);
        else
            printf(", never above the noise: label fault all 0\n");
    }
    return 0;
}
