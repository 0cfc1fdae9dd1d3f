/* SPDX-License-Identifier: MIT */
/* parn-anonymize: replaces every face in a video and writes a new video (audio kept). */
#include "parn.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: parn-anonymize IN -o OUT [--mode auto|gan|blur|pixelate|mask] [--threshold T]\n"
    "                      [--detect-every N] [--boxes-out FILE.jsonl] [--model FILE]\n"
    "                      [--device cpu|cuda:N] [--threads N]\n"
    "Finds and tracks faces in IN and writes OUT with every face replaced (the GAN when --model\n"
    "holds a generator, else blurred), keeping the frame rate, duration and audio. The face\n"
    "detector installed by the setup step is used (PARN_FACE_MODEL points elsewhere).\n";

typedef struct args {
    const char *in, *out, *boxes_out, *model;
    parn_options_t *opts;
} args;

/* Parses a number option into opts; returns 0 on success. */
static int number(parn_options_t *o, parn_option key, const char *v, int is_float)
{
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end) return fprintf(stderr, "parn-anonymize: '%s' is not a number\n", v), 1;
    parn_status st = is_float ? parn_options_set_float(o, key, x) : parn_options_set_int(o, key, (int64_t)x);
    if (st != PARN_OK) return fprintf(stderr, "parn-anonymize: %s\n", parn_last_error(NULL)), 1;
    return 0;
}

static int parse(int argc, char **argv, args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--help") || !strcmp(k, "-h")) return fputs(usage, stdout), -1;
        if (k[0] != '-') {
            if (a->in) return fprintf(stderr, "parn-anonymize: two inputs\n%s", usage), 2;
            a->in = k;
            continue;
        }
        if (!v) return fprintf(stderr, "parn-anonymize: %s needs a value\n", k), 2;
        i++;
        int bad = 0;
        if (!strcmp(k, "-o")) a->out = v;
        else if (!strcmp(k, "--boxes-out")) a->boxes_out = v;
        else if (!strcmp(k, "--model")) a->model = v;
        else if (!strcmp(k, "--mode")) bad = parn_options_set_string(a->opts, PARN_OPT_ANON_MODE, v) != PARN_OK;
        else if (!strcmp(k, "--device")) bad = parn_options_set_string(a->opts, PARN_OPT_DEVICE, v) != PARN_OK;
        else if (!strcmp(k, "--threshold")) bad = number(a->opts, PARN_OPT_DETECTOR_THRESHOLD, v, 1);
        else if (!strcmp(k, "--detect-every")) bad = number(a->opts, PARN_OPT_DETECT_EVERY, v, 0);
        else if (!strcmp(k, "--threads")) bad = number(a->opts, PARN_OPT_THREADS, v, 0);
        else return fprintf(stderr, "parn-anonymize: unknown option %s\n%s", k, usage), 2;
        if (bad) return 2;
    }
    if (!a->in || !a->out) return fprintf(stderr, "parn-anonymize: needs IN and -o OUT\n%s", usage), 2;
    return 0;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(int64_t done, int64_t total, double start)
{
    double el = seconds() - start, fps = el > 0 ? done / el : 0;
    if (total > 0)
        fprintf(stderr, "\r%lld/%lld frames  %.1f fps  ETA %.0f s   ", (long long)done, (long long)total, fps,
                fps > 0 ? (total - done) / fps : 0);
    else
        fprintf(stderr, "\r%lld frames  %.1f fps   ", (long long)done, fps);
}

static void write_boxes(FILE *fp, int64_t frame, const float *faces, int n)
{
    fprintf(fp, "{\"frame\": %lld, \"faces\": [", (long long)frame);
    for (int i = 0; i < n; i++) {
        const float *f = faces + PARN_FACE_RECORD * i;
        fprintf(fp, "%s{\"x\": %.1f, \"y\": %.1f, \"w\": %.1f, \"h\": %.1f, \"score\": %.3f, \"track\": %d, \"detected\": %s}",
                i ? ", " : "", f[0], f[1], f[2], f[3], f[4], (int)f[5], f[6] > 0 ? "true" : "false");
    }
    fputs("]}\n", fp);
}

static int fail(const char *msg)
{
    fprintf(stderr, "parn-anonymize: %s\n", msg);
    return 1;
}

/* The frame loop: read, anonymize in place, write; returns the exit code. */
static int run(const args *a, parn_session_t *s, parn_video_reader_t *r, FILE *boxes)
{
    parn_video_writer_t *w = NULL;
    if (parn_video_writer_open(a->out, r, &w) != PARN_OK) return fail(parn_last_error(NULL));
    int64_t total = -1, done = 0;
    parn_video_info(r, NULL, NULL, NULL, &total, NULL, NULL);
    bool tty = isatty(2);
    double start = seconds();
    float faces[PARN_FACE_RECORD * 256];
    parn_frame_t *frame;
    parn_status st;
    int rc = 0;
    while (!rc && (st = parn_video_read(r, &frame)) == PARN_OK) {
        int n = 0;
        if (parn_anonymize_frame(s, frame, frame, faces, 256, &n) != PARN_OK) rc = fail(parn_last_error(s));
        else if (parn_video_write(w, frame) != PARN_OK) rc = fail(parn_last_error(NULL));
        else if (boxes) write_boxes(boxes, done, faces, n);
        if (++done % 5 == 0 && tty) progress(done, total, start);
    }
    if (tty) progress(done, total, start), fputc('\n', stderr);
    if (!rc && st != PARN_EOF) rc = fail(parn_last_error(NULL));
    if (!rc && parn_video_writer_close(w) != PARN_OK) return fail(parn_last_error(NULL));
    if (rc) parn_video_writer_destroy(w); /* fail closed: no partial output is left behind */
    return rc;
}

int main(int argc, char **argv)
{
    args a = {0};
    if (parn_options_create(&a.opts) != PARN_OK) return 1;
    int rc = parse(argc, argv, &a);
    parn_model_t *m = NULL;
    parn_session_t *s = NULL;
    parn_video_reader_t *r = NULL;
    FILE *boxes = NULL;
    if (!rc && a.boxes_out && !(boxes = fopen(a.boxes_out, "w"))) {
        fprintf(stderr, "parn-anonymize: cannot write %s\n", a.boxes_out);
        rc = 1;
    }
    if (!rc && ((a.model && parn_model_load(a.model, &m) != PARN_OK) || parn_session_create(m, a.opts, &s) != PARN_OK ||
                parn_video_open(a.in, &r) != PARN_OK)) {
        fprintf(stderr, "parn-anonymize: %s\n", parn_last_error(NULL));
        rc = 1;
    }
    if (!rc) rc = run(&a, s, r, boxes);
    if (boxes) fclose(boxes);
    parn_video_close(r);
    parn_session_destroy(s);
    parn_model_destroy(m);
    parn_options_destroy(a.opts);
    return rc < 0 ? 0 : rc;
}
