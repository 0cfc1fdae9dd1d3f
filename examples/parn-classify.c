/* SPDX-License-Identifier: MIT */
/* parn-classify: classifies the actions in a video, one line per clip. */
#include "parn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: parn-classify IN --model FILE [--top-k K] [--json] [--stride N] [--threads N]\n"
    "Prints one line per clip of the model's length (16 frames by default): its time range and\n"
    "the most probable classes. --model is any file with a C3D (parn-model create, parn-train).\n";

static int fail(const char *msg)
{
    fprintf(stderr, "parn-classify: %s\n", msg);
    return 1;
}

static void print_clip(const parn_model_t *m, double t0, double t1, const int *cls, const float *p, int k, int json)
{
    if (json) printf("{\"start\": %.3f, \"end\": %.3f, \"classes\": [", t0, t1);
    else printf("%8.2f-%.2f s:", t0, t1);
    for (int i = 0; i < k; i++) {
        const char *name = parn_model_class_name(m, cls[i]);
        if (json) printf("%s{\"class\": \"%s\", \"p\": %.4f}", i ? ", " : "", name, p[i]);
        else printf(" %s (%.3f)", name, p[i]);
    }
    puts(json ? "]}" : "");
}

int main(int argc, char **argv)
{
    const char *in = NULL, *model = NULL;
    int top_k = 3, json = 0;
    parn_options_t *o = NULL;
    parn_options_create(&o);
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(k, "--help") || !strcmp(k, "-h")) return fputs(usage, stdout), 0;
        if (!strcmp(k, "--json")) json = 1;
        else if (!strcmp(k, "--model")) model = v, i++;
        else if (!strcmp(k, "--top-k")) top_k = atoi(v), i++;
        else if (!strcmp(k, "--stride") || !strcmp(k, "--threads")) {
            parn_option key = !strcmp(k, "--stride") ? PARN_OPT_CLIP_STRIDE : PARN_OPT_THREADS;
            if (parn_options_set_int(o, key, atoi(v)) != PARN_OK) return fail(parn_last_error(NULL));
            i++;
        } else if (k[0] != '-' && !in) in = k;
        else return fprintf(stderr, "parn-classify: unexpected '%s'\n%s", k, usage), 2;
    }
    if (!in || !model) return fprintf(stderr, "parn-classify: needs IN and --model FILE\n%s", usage), 2;
    parn_model_t *m = NULL;
    parn_session_t *s = NULL;
    parn_video_reader_t *r = NULL;
    double fps = 25;
    if (parn_model_load(model, &m) != PARN_OK || parn_session_create(m, o, &s) != PARN_OK ||
        parn_video_open(in, &r) != PARN_OK)
        return fail(parn_last_error(NULL));
    parn_video_info(r, NULL, NULL, &fps, NULL, NULL, NULL);
    if (top_k < 1 || top_k > parn_model_num_classes(m)) top_k = parn_model_num_classes(m) < 3 ? parn_model_num_classes(m) : 3;
    int *cls = malloc(sizeof(int) * (size_t)top_k);
    float *p = malloc(sizeof(float) * (size_t)top_k);
    parn_frame_t *frame;
    parn_status st;
    int rc = 0, clip = parn_model_clip_length(m);
    for (int64_t n = 1; !rc && (st = parn_video_read(r, &frame)) == PARN_OK; n++) {
        st = parn_classify_push(s, frame, top_k, cls, p);
        if (st == PARN_OK) print_clip(m, (n - clip) / fps, n / fps, cls, p, top_k, json);
        else if (st != PARN_AGAIN) rc = fail(parn_last_error(s));
    }
    if (!rc && st != PARN_EOF) rc = fail(parn_last_error(NULL));
    free(cls);
    free(p);
    parn_video_close(r);
    parn_session_destroy(s);
    parn_model_destroy(m);
    parn_options_destroy(o);
    return rc;
}
