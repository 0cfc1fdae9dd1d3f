/* SPDX-License-Identifier: MIT */
/* Face detection (tiny at 416 and 608, SSD at 512) in ms/frame and descriptors in ms/face on
 * the CPU, on a photo from the npm package. Usage: bench_faces PHOTO [--threads T] [--iters N] */
#include "parn.h"

#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, const parn_session_t *s)
{
    fprintf(stderr, "bench_faces: %s: %s\n", what, parn_last_error(s));
    return 1;
}

/* The calls timed, as bench_median_ms's arg: a detection stores its count in *faces, and the
 * descriptor describes the first of those faces (the whole photo when there is none). */
typedef struct face_calls {
    parn_session_t *s;
    const parn_frame_t *img;
    float *boxes;
    int *faces;
    float *descriptor;
} face_calls;

static bool detect(void *arg)
{
    face_calls *c = arg;
    return parn_faces_detect(c->s, c->img, c->boxes, 100, c->faces) == PARN_OK;
}

static bool describe(void *arg)
{
    face_calls *c = arg;
    return parn_face_descriptor(c->s, c->img, *c->faces ? c->boxes : NULL, c->descriptor) == PARN_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_faces PHOTO [--threads T] [--iters N]\n");
        return 2;
    }
    int threads = 2, iters = 10;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        if (!strcmp(argv[i], "--iters")) iters = atoi(argv[i + 1]);
    }
    parn_frame_t *img = NULL;
    parn_options_t *o = NULL;
    parn_session_t *s = NULL;
    if (parn_image_load(argv[1], &img) != PARN_OK) return fail("image", NULL);
    parn_options_create(&o);
    parn_options_set_int(o, PARN_OPT_THREADS, threads);
    if (parn_session_create(NULL, o, &s) != PARN_OK) return fail("session", NULL);
    parn_options_destroy(o);
    parn_options_create(&o); /* settings that may change after creation */
    float boxes[500], d[PARN_DESCRIPTOR_SIZE];
    int faces = 0;
    face_calls calls = {s, img, boxes, &faces, d};
    printf("photo %dx%d, %d threads\n", parn_frame_width(img), parn_frame_height(img), threads);
    const struct { const char *kind; int size; } runs[] = {{"tiny", 416}, {"tiny", 608}, {"ssd", 512}};
    for (int r = 0; r < 3; r++) {
        parn_options_set_string(o, PARN_OPT_DETECTOR, runs[r].kind);
        parn_options_set_int(o, PARN_OPT_DETECTOR_INPUT_SIZE, runs[r].kind[0] == 't' ? runs[r].size : 416);
        if (parn_session_configure(s, o) != PARN_OK) return fail("configure", s);
        double ms; /* after one warm-up call */
        if (!bench_median_ms(detect, &calls, 1, iters, &ms)) return fail("detect", s);
        printf("detector %s at %d: %.1f ms/frame (%d faces, median of %d)\n", runs[r].kind, runs[r].size, ms, faces, iters);
    }
    double ms;
    if (!bench_median_ms(describe, &calls, 1, iters, &ms)) return fail("descriptor", s);
    printf("descriptor: %.1f ms/face (median of %d)\n", ms, iters);
    parn_session_destroy(s);
    parn_options_destroy(o);
    parn_frame_free(&img);
    return 0;
}
