/* gantry dcgan score: per-image defect scores from a trained image GAN,
 * with AUROC when labels are known. */
#include <math.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "dcgan_tool.h"

static const char help[] =
    "usage: gantry dcgan score MODEL.h5 STORE.h5 -o SCORES.csv [options]\n"
    "\n"
    "Defect scores of the store's images (or patches): the discriminator's score\n"
    "and the encoder's reconstruction error, each standardised on the training\n"
    "images and combined as for time series (--alpha when training weighs\n"
    "them).  SCORES.csv has one row per image or patch:\n"
    "    file,x,y,class,critic,recon,score,defect\n"
    "(defect: 1 or 0 when known, else empty).  An image's score is the largest\n"
    "of its patches'.  With labels, the AUROC of patches and of whole images is\n"
    "printed.\n"
    "\n"
    "  -o, --output FILE      the scores (refused if it exists, unless --force)\n"
    "  --span LO:HI           only this part of each class's files (e.g. 0.5:1,\n"
    "                         the part training left out with --span 0:0.5)\n"
    "  --classes LIST         only images of these classes\n"
    "  --normal LIST          classes without defects (e.g. MT_Free): an image of\n"
    "                         any other class is defective.  Without it, a patch\n"
    "                         is defective when its mask has a defect pixel, and\n"
    "                         an image when any of its patches is\n"
    "  --class NAME           condition a conditional model on NAME (default: each\n"
    "                         image's own class)\n"
    "  --json                 the summary as JSON on stdout\n"
    "  --threads N            threads (default: all cores; the same count gives the\n"
    "                         same scores)\n"
    "  --force                overwrite an existing output\n";

enum { O_SPAN = 3000, O_CLASSES, O_NORMAL, O_CLASS, O_JSON, O_FORCE };

/* Per file: the largest score of its images, and its label (-1 unknown). */
static void per_file(const gt_imageset *s, const size_t *idx, size_t n, const float *score,
                     const int8_t *lab, const int8_t *flab, float *fs, int8_t *fl, char *seen)
{
    for (int f = 0; f < s->nfiles; f++) {
        fs[f] = -INFINITY;
        fl[f] = -1;
        seen[f] = 0;
    }
    for (size_t i = 0; i < n; i++) {
        int f = s->file[idx[i]];
        seen[f] = 1;
        if (score[i] > fs[f])
            fs[f] = score[i];
        if (flab[i] >= 0)
            fl[f] = flab[i];
        else if (lab[i] >= 0)
            fl[f] = (int8_t)(fl[f] == 1 || lab[i] == 1);
    }
}

static double auroc_of(const float *score, const int8_t *lab, size_t n, size_t *npos, size_t *nneg)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    uint8_t *l = malloc(n ? n : 1);
    size_t m = 0;
    *npos = *nneg = 0;
    if (!v || !l) {
        free(v);
        free(l);
        return NAN;
    }
    for (size_t i = 0; i < n; i++)
        if (lab[i] >= 0) {
            v[m] = score[i];
            l[m++] = (uint8_t)lab[i];
            (*npos) += lab[i] == 1;
            (*nneg) += lab[i] == 0;
        }
    double a = m ? gt_auroc(v, l, m) : NAN;
    free(v);
    free(l);
    return a;
}

int dcgan_score(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"span", required_argument, NULL, O_SPAN},
                                         {"classes", required_argument, NULL, O_CLASSES},
                                         {"normal", required_argument, NULL, O_NORMAL},
                                         {"class", required_argument, NULL, O_CLASS},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"force", no_argument, NULL, O_FORCE},
                                         {"threads", required_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL, *classes = NULL, *normal = NULL, *cname = NULL;
    double lo = 0, hi = 1;
    int json = 0, force = 0, threads = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case O_SPAN: {
            char *end;
            lo = strtod(optarg, &end);
            hi = *end == ':' ? strtod(end + 1, &end) : -1;
            if (*end || !(lo >= 0 && lo < hi && hi <= 1))
                return tool_fail("--span must be LO:HI with 0 <= LO < HI <= 1, not '%s'", optarg),
                       2;
            break;
        }
        case O_CLASSES: classes = optarg; break;
        case O_NORMAL: normal = optarg; break;
        case O_CLASS: cname = optarg; break;
        case O_JSON: json = 1; break;
        case O_FORCE: force = 1; break;
        case 'T': if (tool_int("--threads", optarg, 1, 1024, &threads)) return 2; break;
        case 'h': fputs(help, stdout); return 0;
        default: fputs(help, stderr); return 2;
        }
    }
    if (optind + 2 != argc || !out)
        return tool_fail("need MODEL.h5, STORE.h5 and -o SCORES.csv (see --help)"), 2;
    const char *mpath = argv[optind], *spath = argv[optind + 1];
    if (!force && path_exists(out))
        return tool_fail("%s exists; not overwriting it (use --force)", out);
    gt_threads_set(threads);
    gt_error err = {0};
    gt_tsgan *t = NULL;
    gt_imageset *s = NULL;
    size_t *idx = NULL, n = 0;
    float *x = NULL, *crit = NULL, *rec = NULL, *score = NULL, *fs = NULL;
    int *cls = NULL, rc = 1;
    int8_t *lab = NULL, *flab = NULL, *fl = NULL;
    char *seen = NULL;
    tool_out so = {0};
    if (gt_tsgan_load(&t, mpath, &err) < 0)
        return tool_fail_err(&err);
    if (t->cfg.dims != 2) {
        tool_fail("%s is a time-series GAN; use gantry score", mpath);
        goto out;
    }
    if (!t->calibrated) {
        tool_fail("%s is not calibrated (a checkpoint of an unfinished training?)", mpath);
        goto out;
    }
    if (images_open(spath, &s))
        goto out;
    if (s->size != t->cfg.window || s->channels != t->cfg.nch) {
        tool_fail("%s holds images of %d x %d x %d; %s was trained on %d x %d x %d", spath,
                  s->channels, s->size, s->size, mpath, t->cfg.nch, t->cfg.window, t->cfg.window);
        goto out;
    }
    if (normal && images_check_classes(s, spath, "--normal: ", normal))
        goto out;
    if (images_choose(s, spath, lo, hi, 0, 0, classes, &idx, &n))
        goto out;
    x = images_to_float(s, idx, n);
    crit = malloc(n * sizeof *crit);
    rec = malloc(n * sizeof *rec);
    score = malloc(n * sizeof *score);
    cls = calloc(n, sizeof *cls);
    lab = malloc(n);
    flab = malloc(n);
    size_t nf = (size_t)(s->nfiles > 0 ? s->nfiles : 1);
    fs = malloc(nf * sizeof *fs);
    fl = malloc(nf);
    seen = malloc(nf);
    if (!x || !crit || !rec || !score || !cls || !lab || !flab || !fs || !fl || !seen) {
        tool_fail("out of memory");
        goto out;
    }
    int forced = -1;
    if (cname && (forced = model_class(t, mpath, cname)) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        size_t j = idx[i];
        const char *name = s->cls[j] >= 0 ? s->classes[s->cls[j]] : "";
        if (t->cfg.nclasses) {
            cls[i] = forced >= 0 ? forced : gt_names_list_index(t->classes, name);
            if (cls[i] < 0) {
                tool_fail("%s has class '%s', which %s does not know (it knows %s; or use "
                          "--class)",
                          s->files[s->file[j]], name, mpath, t->classes);
                goto out;
            }
        }
        /* labels: a patch by its mask, else by class; an image by class,
         * else by its patches */
        int by_class = normal ? !tool_list_has(normal, name) : -1;
        lab[i] = (int8_t)(s->masks ? gt_imageset_defective(s, j) : by_class);
        flab[i] = (int8_t)by_class;
    }
    if (gt_tsgan_score_samples(t, x, t->cfg.nclasses ? cls : NULL, n, crit, rec, score, &err) <
        0) {
        tool_fail_err(&err);
        goto out;
    }
    if (out_open(&so, out, force))
        goto out;
    fputs("file,x,y,class,critic,recon,score,defect\n", so.f);
    for (size_t i = 0; i < n; i++) {
        size_t j = idx[i];
        fprintf(so.f, "%s,%d,%d,%s,%.6g,%.6g,%.6g,", s->files[s->file[j]], s->origin[2 * j],
                s->origin[2 * j + 1], s->cls[j] >= 0 ? s->classes[s->cls[j]] : "", crit[i],
                rec[i], score[i]);
        if (lab[i] >= 0)
            fprintf(so.f, "%d", lab[i]);
        fputc('\n', so.f);
    }
    if (out_commit(&so))
        goto out;
    per_file(s, idx, n, score, lab, flab, fs, fl, seen);
    size_t m = 0;
    for (int f = 0; f < s->nfiles; f++)
        if (seen[f]) {
            fs[m] = fs[f];
            fl[m++] = fl[f];
        }
    size_t pp, pn, ip, in;
    double pa = auroc_of(score, lab, n, &pp, &pn), ia = auroc_of(fs, fl, m, &ip, &in);
    double ca = auroc_of(crit, lab, n, &pp, &pn);
    for (size_t i = 0; i < n; i++) /* the critic counts both ways, as in the score */
        crit[i] = fabsf(crit[i] - t->c_center);
    double cab = auroc_of(crit, lab, n, &pp, &pn);
    if (json) {
        printf("{\"images\":%zu,\"files\":%zu,\"defective_patches\":%zu,\"clean_patches\":%zu,"
               "\"defective_files\":%zu,\"clean_files\":%zu",
               n, m, pp, pn, ip, in);
        printf(",\"auroc_patch\":%.6g,\"auroc_image\":%.6g,\"auroc_patch_critic\":%.6g,"
               "\"auroc_patch_critic_abs\":%.6g,\"scores\":",
               pa, ia, ca, cab);
        tool_json_str(out);
        printf("}\n");
    } else {
        printf("scored %zu %s of %zu files from %s -> %s\n", n,
               !strcmp(s->fit, "tile") ? "patches" : "images", m, spath, out);
        if (pp && pn)
            printf("AUROC %s: %.4f (%zu defective, %zu clean; critic alone %.4f, two-sided "
                   "%.4f)\n",
                   !strcmp(s->fit, "tile") ? "of patches" : "", pa, pp, pn, ca, cab);
        if (ip && in && !strcmp(s->fit, "tile"))
            printf("AUROC of images (largest patch score): %.4f (%zu defective, %zu clean)\n", ia,
                   ip, in);
        if (!(pp && pn) && !(ip && in))
            printf("no AUROC: the images are not labelled both ways (give --normal, or "
                   "ingest masks)\n");
    }
    rc = 0;
out:
    out_abort(&so);
    free(idx);
    free(x);
    free(crit);
    free(rec);
    free(score);
    free(cls);
    free(lab);
    free(flab);
    free(fs);
    free(fl);
    free(seen);
    gt_imageset_free(s);
    gt_tsgan_free(t);
    return rc;
}
