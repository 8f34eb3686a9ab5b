/* Shared pieces of the gantry command: subcommands, messages, progress,
 * and output files written under a temporary name. */
#ifndef GANTRY_TOOL_H
#define GANTRY_TOOL_H

#include <stdio.h>

#include "gantry/gantry.h"

/* Each subcommand lives in its own tools/cmd_*.c. */
int cmd_version(int argc, char **argv);
int cmd_bearing(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_toy(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_featurize(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_dcgan(int argc, char **argv);

/* The program name for messages ("gantry SUBCOMMAND"). */
extern const char *tool_name;

/* "gantry toy: message\n" on stderr; returns 1 (the exit status to use). */
int tool_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same for a library error. */
int tool_fail_err(const gt_error *err);

/* Comma-separated option lists ("a,b,c"): the next item at *p, as *item and
 * *len (not NUL-terminated; empty between two commas), with *p moved past
 * it and its comma.  Returns 0 when the list is used up (p may be NULL). */
int tool_list_next(const char **p, const char **item, size_t *len);
/* 1 if name is an item of list (list NULL: everything is). */
int tool_list_has(const char *list, const char *name);

/* A JSON string literal of s on stdout (quotes, backslashes and control
 * characters escaped); null for NULL. */
void tool_json_str(const char *s);

/* Parse an int / float option value or fail with a message naming it. */
int tool_int(const char *opt, const char *s, int lo, int hi, int *out);
int tool_float(const char *opt, const char *s, float *out);

/* Progress on stderr: redrawn in place on a terminal, silent when stderr is
 * not a terminal unless forced (then one line per tenth of the work). */
typedef struct tool_progress {
    long total;
    int enabled, tty;
    double t0, last_draw;
    long last_line_step;
} tool_progress;
void progress_start(tool_progress *p, long total, int mode /* -1 auto, 0 off, 1 on */);
/* `what` is the caller's status text for this step (losses etc.). */
void progress_update(tool_progress *p, long step, const char *what);
void progress_end(tool_progress *p);
double tool_now(void);

/* An output file written as <path>.tmp-XXXXXX and renamed on commit, so a
 * failed run leaves nothing behind and never damages an existing file. */
typedef struct tool_out {
    FILE *f;
    char path[4096], tmp[4096];
} tool_out;
/* Refuses an existing path unless force. Returns 0 or 1 (after a message). */
int out_open(tool_out *o, const char *path, int force);
int out_commit(tool_out *o);
/* Close and remove the temporary file (o->f may be NULL: nothing to do). */
void out_abort(tool_out *o);
/* 1 if the file name s is longer than suffix and ends in it (".h5"). */
int tool_ends_with(const char *s, const char *suffix);
/* 1 if path exists. */
int path_exists(const char *path);

#endif
