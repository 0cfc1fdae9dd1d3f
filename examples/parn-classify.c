/* SPDX-License-Identifier: MIT */
/* parn-classify: classifies the actions in a video, one line per clip. */
#include "parn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: parn-classify IN --model FILE [--top-k K] [--json] [--stride N] [--threads N]\n"
    "                     [--device cpu|cuda:N]\n"
    "Prints one line per clip of the model's length (16 frames by default): its time range and\n"
    "the most probable classes. --model is any file with a C3D (parn-model create, parn-train).\n";

static int fail(const char *msg)
{
    fprintf(stderr, "parn-classify: %s\n", msg);
    return 1;
}

/* A JSON string (class names are the model's, any text). */
static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void print_clip(const parn_model_t *m, double t0, double t1, const int *cls, const float *p, int k, int json)
{
    if (json) printf("{\"start\": %.3f, \"end\": %.3f, \"classes\": [", t0, t1);
    else printf("%8.2f-%.2f s:", t0, t1);
    for (int i = 0; i < k; i++) {
        const char *name = parn_model_class_name(m, cls[i]);
        if (json) {
            printf("%s{\"class\": ", i ? ", " : "");
            print_json_string(name);
            printf(", \"p\": %.4f}", p[i]);
        }
        else printf(" %s (%.3f)", name, p[i]);
    }
    puts(json ? "]}" : "");
}

/* A whole-number flag value; returns 0 on success. */
static int whole(const char *flag, const char *v, long lo, long hi, long *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < lo || x > hi)
        return fprintf(stderr, "parn-classify: %s needs a whole number in [%ld, %ld], not '%s'\n", flag, lo, hi, v), 2;
    *out = x;
    return 0;
}

static int parse(int argc, char **argv, parn_options_t *o, const char **in, const char **model, long *top_k,
                 int *json)
{
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        if (!strcmp(k, "--help") || !strcmp(k, "-h")) return fputs(usage, stdout), -1;
        if (!strcmp(k, "--json")) {
            *json = 1;
            continue;
        }
        if (k[0] != '-') {
            if (*in) return fprintf(stderr, "parn-classify: two inputs\n%s", usage), 2;
            *in = k;
            continue;
        }
        if (i + 1 >= argc) return fprintf(stderr, "parn-classify: %s needs a value\n", k), 2;
        const char *v = argv[++i];
        long x = 0;
        int bad = 0;
        if (!strcmp(k, "--model")) *model = v;
        else if (!strcmp(k, "--top-k")) bad = whole(k, v, 1, 1024, top_k);
        else if (!strcmp(k, "--stride")) bad = whole(k, v, 1, 1024, &x) || parn_options_set_int(o, PARN_OPT_CLIP_STRIDE, x);
        else if (!strcmp(k, "--threads")) bad = whole(k, v, 0, 1024, &x) || parn_options_set_int(o, PARN_OPT_THREADS, x);
        else if (!strcmp(k, "--device")) bad = parn_options_set_string(o, PARN_OPT_DEVICE, v) != PARN_OK;
        else return fprintf(stderr, "parn-classify: unknown option %s\n%s", k, usage), 2;
        if (bad) return 2;
    }
    if (!*in || !*model) return fprintf(stderr, "parn-classify: needs IN and --model FILE\n%s", usage), 2;
    return 0;
}

/* The frame loop: push every frame, print each clip's result. */
static int run(parn_session_t *s, const parn_model_t *m, parn_video_reader_t *r, int top_k, int json)
{
    double fps = 25;
    parn_video_info(r, NULL, NULL, &fps, NULL, NULL, NULL);
    int cls[1024];
    float p[1024];
    parn_frame_t *frame;
    parn_status st;
    int clip = parn_model_clip_length(m);
    for (int64_t n = 1; (st = parn_video_read(r, &frame)) == PARN_OK; n++) {
        st = parn_classify_push(s, frame, top_k, cls, p);
        if (st == PARN_OK) print_clip(m, (double)(n - clip) / fps, (double)n / fps, cls, p, top_k, json);
        else if (st != PARN_AGAIN) return fail(parn_last_error(s));
    }
    return st == PARN_EOF ? 0 : fail(parn_last_error(NULL));
}

int main(int argc, char **argv)
{
    parn_options_t *o = NULL;
    if (parn_options_create(&o) != PARN_OK) return fail(parn_last_error(NULL));
    const char *in = NULL, *model = NULL;
    long top_k = 0;
    int json = 0;
    int rc = parse(argc, argv, o, &in, &model, &top_k, &json);
    parn_model_t *m = NULL;
    parn_session_t *s = NULL;
    parn_video_reader_t *r = NULL;
    if (!rc && (parn_model_load(model, &m) != PARN_OK || parn_session_create(m, o, &s) != PARN_OK ||
                parn_video_open(in, &r) != PARN_OK))
        rc = fail(parn_last_error(NULL));
    int classes = m ? parn_model_num_classes(m) : 0;
    if (!rc && classes < 1) rc = fail("the model has no C3D classifier");
    if (!rc && top_k > classes) {
        fprintf(stderr, "parn-classify: --top-k %ld exceeds the model's %d classes\n", top_k, classes);
        rc = 1;
    }
    if (!rc) rc = run(s, m, r, top_k ? (int)top_k : (classes < 3 ? classes : 3), json);
    parn_video_close(r);
    parn_session_destroy(s);
    parn_model_destroy(m);
    parn_options_destroy(o);
    return rc < 0 ? 0 : rc;
}
