/* SPDX-License-Identifier: MIT */
/* parn-train: trains one phase of PARN (the GAN, the classifier or both jointly) with
 * checkpoints, resume, a JSON-lines log and periodic evaluation. */
#include "parn.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: parn-train gan|classifier|joint [options]\n"
    "       parn-train --resume FILE [options]\n"
    "Data:\n"
    "  --faces DIR               face pictures (gan, joint); --faces-kind faces|face-videos\n"
    "  --actions DIR             action videos (classifier, joint);\n"
    "  --actions-kind KIND       actions (HMDB51/UCF101 layout), hollywood2, or synthetic\n"
    "                            (generated clips, no DIR needed)\n"
    "  --dataset-config JSON     dataset settings (split, subset, sizes, seed; docs/training.md)\n"
    "  --eval DIR|test           held-out data of the same kind (test: the training data's\n"
    "                            test subset); --eval-every N steps (default: at the end only),\n"
    "                            --eval-items N (default: all)\n"
    "Model and training:\n"
    "  --model FILE              initial weights (networks it lacks start fresh)\n"
    "  --classes N               action classes (default: the action data's)\n"
    "  --model-config JSON       architecture of fresh networks (docs/models.md)\n"
    "  --config JSON             training settings (rates, schedules, loss weights, batches)\n"
    "  --steps N                 train until step N (default: the config's, 10000)\n"
    "  --seed N                  seed of weights, noise and data order\n"
    "Output:\n"
    "  --out FILE                final model (weights of every trained network)\n"
    "  --checkpoint FILE         checkpoint at the end and every --checkpoint-every N steps\n"
    "  --resume FILE             continue a checkpointed run (same data flags)\n"
    "  --log FILE.jsonl          one JSON line per logged step (--log-every N, default 10) and\n"
    "                            per evaluation\n"
    "  --device cpu|cuda:N, --threads N, --quiet (no progress bar)\n"
    "Ctrl-C stops after the current step and still writes the checkpoint and --out.\n";

typedef struct args {
    const char *phase, *faces, *faces_kind, *actions, *actions_kind, *dataset_config, *config;
    const char *model, *model_config, *out, *checkpoint, *resume, *log, *eval, *device;
    int64_t classes, steps, checkpoint_every, log_every, eval_every, eval_items, threads, seed;
    bool quiet;
} args;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int fail(const char *what, const char *msg)
{
    fprintf(stderr, "parn-train: %s%s%s\n", what ? what : "", what ? ": " : "", msg);
    return 1;
}

/* The failure's text: trainer calls record it on the session, the others on the thread. */
static const char *message(const parn_session_t *s)
{
    const char *m = s ? parn_last_error(s) : NULL;
    return m && *m ? m : parn_last_error(NULL);
}

/* A whole number in [lo, hi]; returns 0 on success. */
static int whole(const char *flag, const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < lo || x > hi) {
        fprintf(stderr, "parn-train: %s needs a whole number in [%lld, %lld], got '%s'\n", flag,
                (long long)lo, (long long)hi, v);
        return 1;
    }
    *out = x;
    return 0;
}

static int parse_value(args *a, const char *k, const char *v)
{
    static const struct { const char *flag; size_t offset; } strings[] = {
        {"--faces", offsetof(args, faces)}, {"--faces-kind", offsetof(args, faces_kind)},
        {"--actions", offsetof(args, actions)}, {"--actions-kind", offsetof(args, actions_kind)},
        {"--dataset-config", offsetof(args, dataset_config)}, {"--config", offsetof(args, config)},
        {"--model", offsetof(args, model)}, {"--model-config", offsetof(args, model_config)},
        {"--out", offsetof(args, out)}, {"--checkpoint", offsetof(args, checkpoint)},
        {"--resume", offsetof(args, resume)}, {"--log", offsetof(args, log)},
        {"--eval", offsetof(args, eval)}, {"--device", offsetof(args, device)},
    };
    static const struct { const char *flag; size_t offset; int64_t lo, hi; } numbers[] = {
        {"--classes", offsetof(args, classes), 1, 1024},
        {"--steps", offsetof(args, steps), 1, 1000000000000LL},
        {"--checkpoint-every", offsetof(args, checkpoint_every), 1, 1000000000000LL},
        {"--log-every", offsetof(args, log_every), 1, 1000000000000LL},
        {"--eval-every", offsetof(args, eval_every), 1, 1000000000000LL},
        {"--eval-items", offsetof(args, eval_items), 1, 1000000000000LL},
        {"--threads", offsetof(args, threads), 1, 1024},
        {"--seed", offsetof(args, seed), 0, 9007199254740992LL},
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (!strcmp(k, strings[i].flag)) {
            *(const char **)((char *)a + strings[i].offset) = v;
            return 0;
        }
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (!strcmp(k, numbers[i].flag))
            return whole(k, v, numbers[i].lo, numbers[i].hi, (int64_t *)((char *)a + numbers[i].offset));
    fprintf(stderr, "parn-train: unknown option %s\n%s", k, usage);
    return 2;
}

/* Returns 0 to go on, -1 after --help, else the exit code. */
static int parse(int argc, char **argv, args *a)
{
    a->seed = -1;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        if (!strcmp(k, "--help") || !strcmp(k, "-h")) return fputs(usage, stdout), -1;
        if (!strcmp(k, "--quiet") || !strcmp(k, "-q")) {
            a->quiet = true;
            continue;
        }
        if (k[0] != '-') {
            if (a->phase) return fprintf(stderr, "parn-train: two phases ('%s', '%s')\n%s", a->phase, k, usage), 2;
            a->phase = k;
            continue;
        }
        if (i + 1 >= argc) return fprintf(stderr, "parn-train: %s needs a value\n", k), 2;
        int rc = parse_value(a, k, argv[++i]);
        if (rc) return rc;
    }
    if (!a->phase && !a->resume)
        return fprintf(stderr, "parn-train: name a phase (gan, classifier, joint) or --resume FILE\n%s", usage), 2;
    if (a->phase && strcmp(a->phase, "gan") && strcmp(a->phase, "classifier") && strcmp(a->phase, "joint"))
        return fprintf(stderr, "parn-train: unknown phase '%s' (gan, classifier, joint)\n", a->phase), 2;
    return 0;
}

/* ---- settings --------------------------------------------------------------------------- */

/* obj (a JSON object's text) with the members in extra ("\"k\":v,...") added first (front:
 * for parsers where the first of two equal keys wins) or last (where the last wins). NULL when
 * obj is not an object (or out of memory). */
static char *json_with(const char *obj, const char *extra, bool front)
{
    size_t n = strlen(obj);
    while (n > 0 && strchr(" \t\r\n", obj[n - 1])) n--;
    size_t lead = strspn(obj, " \t\r\n");
    if (n < lead + 2 || obj[lead] != '{' || obj[n - 1] != '}') return NULL;
    const char *body = obj + lead + 1; /* after '{', up to the closing '}' */
    int body_len = (int)(n - 1 - (lead + 1));
    bool empty = strspn(body, " \t\r\n") == (size_t)body_len;
    const char *comma = empty || !*extra ? "" : ",";
    size_t size = n + strlen(extra) + 3;
    char *json = malloc(size);
    if (json && front) snprintf(json, size, "{%s%s%.*s}", extra, comma, body_len, body);
    else if (json) snprintf(json, size, "{%.*s%s%s}", body_len, body, comma, extra);
    return json;
}

/* The training JSON: --config with the flags' keys. */
static char *train_json(const args *a)
{
    char extra[96] = "";
    if (a->steps) snprintf(extra, sizeof extra, "\"steps\":%lld", (long long)a->steps);
    if (a->log_every)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%s\"log_every\":%lld",
                 a->steps ? "," : "", (long long)a->log_every);
    return json_with(a->config ? a->config : "{}", extra, false); /* the trainer: last wins */
}

/* A dataset of kind at root with the dataset config; test: its "subset" set to "test". */
static parn_status open_data(const args *a, const char *kind, const char *root, bool test,
                             parn_dataset_t **out)
{
    const char *base = a->dataset_config ? a->dataset_config : "{}";
    char *cfg = test ? json_with(base, "\"subset\":\"test\"", true) : NULL; /* first wins */
    parn_options_t *o = NULL;
    parn_status st = parn_options_create(&o);
    /* a config that is not an object goes as is: the library says what is wrong */
    if (st == PARN_OK) st = parn_options_set_string(o, PARN_OPT_DATASET_CONFIG, cfg ? cfg : base);
    if (st == PARN_OK && a->seed >= 0) st = parn_options_set_int(o, PARN_OPT_SEED, a->seed);
    if (st == PARN_OK) st = parn_dataset_open(kind, root, o, out);
    free(cfg);
    parn_options_destroy(o);
    return st;
}

/* Class names of the action data, comma-separated, for the model's metadata. */
static char *class_names(const parn_dataset_t *d)
{
    size_t len = 1;
    int n = parn_dataset_num_classes(d);
    for (int i = 0; i < n; i++) len += strlen(parn_dataset_class_name(d, i)) + 1;
    char *s = calloc(len, 1);
    for (int i = 0; s && i < n; i++) {
        if (i) strcat(s, ",");
        strcat(s, parn_dataset_class_name(d, i));
    }
    return s;
}

/* ---- the run ---------------------------------------------------------------------------- */

typedef struct run_state {
    const args *a;
    parn_session_t *s;
    parn_trainer_t *t;
    parn_dataset_t *faces, *actions, *eval;
    FILE *log;
    int64_t steps, log_every;
    bool tty;
} run_state;

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The "losses" object of a log record as "name value" pairs. */
static void losses_text(const char *rec, char *out, size_t size)
{
    out[0] = 0;
    const char *p = strstr(rec, "\"losses\":");
    p = p ? strchr(p, '{') : NULL;
    size_t used = 0;
    while (p && *p && *p != '}' && used + 1 < size) {
        const char *k = strchr(p, '"'), *ke = k ? strchr(k + 1, '"') : NULL;
        const char *end = strchr(p, '}');
        if (!ke || !end || ke > end) break;
        char *num_end;
        double v = strtod(ke + 2, &num_end);
        used += (size_t)snprintf(out + used, size - used, "%s%.*s %.4g", used ? "  " : "",
                                 (int)(ke - k - 1), k + 1, v);
        p = num_end;
    }
}

static void progress(const run_state *r, int64_t step, int64_t first, double start)
{
    double el = seconds() - start, rate = el > 0 ? (double)(step - first) / el : 0;
    double eta = rate > 0 ? (double)(r->steps - step) / rate : 0;
    enum { WIDTH = 24 };
    int filled = (int)(WIDTH * (double)step / (double)r->steps);
    char bar[WIDTH + 1], losses[256];
    for (int i = 0; i < WIDTH; i++) bar[i] = i < filled ? '#' : '.';
    bar[WIDTH] = 0;
    losses_text(parn_trainer_log(r->t), losses, sizeof losses);
    fprintf(stderr, "\r[%s] %lld/%lld  %s  %.2f steps/s  ETA %dm%02ds \033[K", bar, (long long)step,
            (long long)r->steps, losses, rate, (int)(eta / 60), (int)eta % 60);
}

static int evaluate(run_state *r)
{
    const char *json;
    parn_status st = parn_trainer_evaluate(r->t, r->eval, r->a->eval_items, &json);
    if (st != PARN_OK) return fail("evaluation", message(r->s));
    long long step = (long long)parn_trainer_step_count(r->t);
    if (r->log) fprintf(r->log, "{\"step\":%lld,\"eval\":%s}\n", step, json), fflush(r->log);
    if (!r->a->quiet) fprintf(stderr, "%sstep %lld: evaluation %s\n", r->tty ? "\r\033[K" : "", step, json);
    return 0;
}

static int checkpoint(run_state *r)
{
    if (parn_trainer_checkpoint(r->t, r->a->checkpoint) != PARN_OK)
        return fail(r->a->checkpoint, message(r->s));
    return 0;
}

/* After step: the log line, the checkpoint and the evaluation that fall on it. */
static int after_step(run_state *r, int64_t step)
{
    const args *a = r->a;
    if (r->log && (step % r->log_every == 0 || step == r->steps))
        fprintf(r->log, "%s\n", parn_trainer_log(r->t)), fflush(r->log);
    if (a->checkpoint && a->checkpoint_every && step % a->checkpoint_every == 0 && checkpoint(r)) return 1;
    if (r->eval && a->eval_every && step % a->eval_every == 0 && evaluate(r)) return 1;
    return 0;
}

static int train(run_state *r)
{
    const args *a = r->a;
    int64_t first = parn_trainer_step_count(r->t), step = first;
    double start = seconds();
    bool bar = r->tty && !a->quiet;
    int rc = 0;
    while (!rc && step < r->steps && !stop_requested) {
        if (parn_trainer_step(r->t) != PARN_OK) {
            if (bar) fputc('\n', stderr);
            return fail("training", message(r->s));
        }
        step = parn_trainer_step_count(r->t);
        if (bar) progress(r, step, first, start);
        rc = after_step(r, step);
    }
    if (bar) fputc('\n', stderr);
    if (rc) return rc;
    if (r->eval && !(a->eval_every && step % a->eval_every == 0 && step > first) && evaluate(r)) return 1;
    if (a->checkpoint && !(a->checkpoint_every && step % a->checkpoint_every == 0 && step > first) &&
        checkpoint(r))
        return 1;
    if (a->out) {
        parn_model_t *m = NULL;
        parn_status st = parn_trainer_export(r->t, &m);
        if (st == PARN_OK) st = parn_model_save(m, a->out);
        parn_model_destroy(m);
        if (st != PARN_OK) return fail(a->out, message(r->s));
    }
    if (!a->quiet)
        fprintf(stderr, "parn-train: %s at step %lld (%.1f s)\n", stop_requested ? "stopped" : "done",
                (long long)step, seconds() - start);
    return stop_requested ? 130 : 0;
}

/* ---- setup ------------------------------------------------------------------------------ */

static parn_status session_of(const args *a, parn_session_t **s)
{
    parn_options_t *o;
    parn_status st = parn_options_create(&o);
    if (st != PARN_OK) return st;
    if (a->device) st = parn_options_set_string(o, PARN_OPT_DEVICE, a->device);
    if (st == PARN_OK && a->threads) st = parn_options_set_int(o, PARN_OPT_THREADS, a->threads);
    if (st == PARN_OK && a->seed >= 0) st = parn_options_set_int(o, PARN_OPT_SEED, a->seed);
    if (st == PARN_OK) st = parn_session_create(NULL, o, s);
    parn_options_destroy(o);
    return st;
}

/* The datasets the phase needs; the phase is unknown on resume, so any given data is opened. */
static int open_datasets(run_state *r)
{
    const args *a = r->a;
    const char *ph = a->phase ? a->phase : "";
    bool want_faces = a->faces || !strcmp(ph, "gan") || !strcmp(ph, "joint");
    bool synthetic = a->actions_kind && !strcmp(a->actions_kind, "synthetic");
    bool want_actions = a->actions || synthetic || !strcmp(ph, "classifier") || !strcmp(ph, "joint");
    const char *fk = a->faces_kind ? a->faces_kind : "faces";
    const char *ak = a->actions_kind ? a->actions_kind : "actions";
    if (want_faces && !a->faces) return fail(NULL, "this phase needs --faces DIR"), 2;
    if (want_actions && !a->actions && !synthetic)
        return fail(NULL, "this phase needs --actions DIR (or --actions-kind synthetic)"), 2;
    if (want_faces && open_data(a, fk, a->faces, false, &r->faces) != PARN_OK)
        return fail(a->faces, parn_last_error(NULL));
    if (want_actions && open_data(a, ak, synthetic ? NULL : a->actions, false, &r->actions) != PARN_OK)
        return fail(synthetic ? "synthetic actions" : a->actions, parn_last_error(NULL));
    if (a->eval) {
        bool on_faces = !r->actions;
        bool test = !strcmp(a->eval, "test");
        const char *root = test ? (on_faces ? a->faces : (synthetic ? NULL : a->actions)) : a->eval;
        if (!test && synthetic && !on_faces) return fail(NULL, "--eval with synthetic actions must be 'test'"), 2;
        if (open_data(a, on_faces ? fk : ak, root, test, &r->eval) != PARN_OK)
            return fail(a->eval, parn_last_error(NULL));
    }
    return 0;
}

static parn_status trainer_options(const args *a, const parn_dataset_t *actions, parn_options_t **out)
{
    char *json = train_json(a), *names = NULL;
    if (!json) return fprintf(stderr, "parn-train: --config must be a JSON object\n"), PARN_E_INVALID_ARG;
    parn_options_t *o;
    parn_status st = parn_options_create(&o);
    if (st == PARN_OK) st = parn_options_set_string(o, PARN_OPT_TRAIN_CONFIG, json);
    if (st == PARN_OK && a->seed >= 0) st = parn_options_set_int(o, PARN_OPT_SEED, a->seed);
    if (st == PARN_OK && a->model_config) st = parn_options_set_string(o, PARN_OPT_MODEL_CONFIG, a->model_config);
    int64_t classes = a->classes ? a->classes : actions ? parn_dataset_num_classes(actions) : 0;
    if (st == PARN_OK && classes > 0) st = parn_options_set_int(o, PARN_OPT_CLASSES, classes);
    if (st == PARN_OK && actions && classes == parn_dataset_num_classes(actions) && (names = class_names(actions)))
        st = parn_options_set_string(o, PARN_OPT_CLASS_NAMES, names);
    free(names);
    free(json);
    if (st != PARN_OK) parn_options_destroy(o), o = NULL;
    *out = o;
    return st;
}

/* The trainer: resumed from a checkpoint, or created for the phase. */
static int trainer_of(run_state *r)
{
    const args *a = r->a;
    if (a->resume) {
        char *json = train_json(a);
        if (!json) return fail(NULL, "--config must be a JSON object");
        parn_options_t *o = NULL;
        parn_status st = parn_options_create(&o);
        if (st == PARN_OK) st = parn_options_set_string(o, PARN_OPT_TRAIN_CONFIG, json);
        if (st == PARN_OK) st = parn_trainer_resume(r->s, a->resume, o, &r->t);
        parn_options_destroy(o);
        free(json);
        if (st != PARN_OK) return fail(a->resume, message(r->s));
    } else {
        parn_model_t *init = NULL;
        if (a->model && parn_model_load(a->model, &init) != PARN_OK) return fail(a->model, parn_last_error(NULL));
        parn_options_t *o = NULL;
        parn_status st = trainer_options(a, r->actions, &o);
        if (st == PARN_OK) st = parn_trainer_create(r->s, a->phase, init, o, &r->t);
        parn_options_destroy(o);
        parn_model_destroy(init);
        if (st != PARN_OK) return fail(NULL, message(r->s));
    }
    if ((r->faces && parn_trainer_set_data(r->t, r->faces) != PARN_OK) ||
        (r->actions && parn_trainer_set_data(r->t, r->actions) != PARN_OK))
        return fail("data", message(r->s));
    return 0;
}

/* A whole-number setting of the checkpoint's training configuration ("parn.train" metadata, a
 * JSON string inside the safetensors header); 0 when it cannot be read. */
static int64_t checkpoint_setting(const char *path, const char *name)
{
    FILE *f = fopen(path, "rb");
    unsigned char len[8];
    uint64_t n = 0;
    if (f && fread(len, 1, 8, f) == 8)
        for (int i = 0; i < 8; i++) n |= (uint64_t)len[i] << (8 * i);
    char *h = n > 0 && n < (1u << 26) ? malloc(n + 1) : NULL;
    int64_t v = 0;
    if (h && fread(h, 1, n, f) == n) {
        h[n] = 0;
        char key[64];
        snprintf(key, sizeof key, "\\\"%s\\\":", name); /* escaped quotes: \"name\": */
        const char *p = strstr(h, "\"parn.train\"");
        if (p && (p = strstr(p, key))) v = strtoll(p + strlen(key), NULL, 10);
    }
    free(h);
    if (f) fclose(f);
    return v > 0 ? v : 0;
}

/* A whole-number training setting: the flag, else --config's key, else the checkpoint's on
 * --resume, else the trainer's default (docs/training.md). */
static int64_t setting(const args *a, int64_t flag, const char *name, int64_t fallback)
{
    if (flag) return flag;
    char key[64];
    snprintf(key, sizeof key, "\"%s\"", name);
    const char *c = a->config ? strstr(a->config, key) : NULL;
    if (c && (c = strchr(c, ':'))) {
        long long v = strtoll(c + 1, NULL, 10);
        if (v > 0) return v;
    }
    int64_t resumed = a->resume ? checkpoint_setting(a->resume, name) : 0;
    return resumed ? resumed : fallback;
}

int main(int argc, char **argv)
{
    args a = {0};
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    run_state r = {.a = &a, .tty = isatty(2) != 0, .steps = setting(&a, a.steps, "steps", 10000),
                   .log_every = setting(&a, a.log_every, "log_every", 10)};
    if (a.log && !(r.log = fopen(a.log, a.resume ? "a" : "w"))) rc = fail(a.log, "cannot open for writing");
    if (!rc && session_of(&a, &r.s) != PARN_OK) rc = fail(NULL, parn_last_error(NULL));
    if (!rc) rc = open_datasets(&r);
    if (!rc) rc = trainer_of(&r);
    if (!rc) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        rc = train(&r);
    }
    parn_trainer_destroy(r.t);
    parn_dataset_destroy(r.eval);
    parn_dataset_destroy(r.actions);
    parn_dataset_destroy(r.faces);
    parn_session_destroy(r.s);
    if (r.log) fclose(r.log);
    return rc;
}
