/* SPDX-License-Identifier: MIT */
/* Face detection (tiny at 416 and 608, SSD at 512) in ms/frame and descriptors in ms/face on
 * the CPU, on a photo from the npm package. Usage: bench_faces PHOTO [--threads T] [--iters N] */
#include "parn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int fail(const char *what, const parn_session_t *s)
{
    fprintf(stderr, "bench_faces: %s: %s\n", what, parn_last_error(s));
    return 1;
}

/* Median ms of `iters` detections after one warm-up; *faces gets the last count. */
static double time_detect(parn_session_t *s, const parn_frame_t *img, int iters, float *boxes, int *faces)
{
    double *t = malloc(sizeof(double) * (size_t)iters);
    for (int i = -1; i < iters; i++) {
        double t0 = now_ms();
        if (parn_faces_detect(s, img, boxes, 100, faces) != PARN_OK) return -1;
        if (i >= 0) t[i] = now_ms() - t0;
    }
    qsort(t, (size_t)iters, sizeof *t, cmp);
    double m = t[iters / 2];
    free(t);
    return m;
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
    float boxes[500];
    int faces = 0;
    printf("photo %dx%d, %d threads\n", parn_frame_width(img), parn_frame_height(img), threads);
    const struct { const char *kind; int size; } runs[] = {{"tiny", 416}, {"tiny", 608}, {"ssd", 512}};
    for (int r = 0; r < 3; r++) {
        parn_options_set_string(o, PARN_OPT_DETECTOR, runs[r].kind);
        parn_options_set_int(o, PARN_OPT_DETECTOR_INPUT_SIZE, runs[r].kind[0] == 't' ? runs[r].size : 416);
        if (parn_session_configure(s, o) != PARN_OK) return fail("configure", s);
        double ms = time_detect(s, img, iters, boxes, &faces);
        if (ms < 0) return fail("detect", s);
        printf("detector %s at %d: %.1f ms/frame (%d faces, median of %d)\n", runs[r].kind, runs[r].size, ms, faces, iters);
    }
    float d[PARN_DESCRIPTOR_SIZE];
    double *t = malloc(sizeof(double) * (size_t)iters);
    for (int i = -1; i < iters; i++) {
        double t0 = now_ms();
        if (parn_face_descriptor(s, img, faces ? boxes : NULL, d) != PARN_OK) return fail("descriptor", s);
        if (i >= 0) t[i] = now_ms() - t0;
    }
    qsort(t, (size_t)iters, sizeof *t, cmp);
    printf("descriptor: %.1f ms/face (median of %d)\n", t[iters / 2], iters);
    free(t);
    parn_session_destroy(s);
    parn_options_destroy(o);
    parn_frame_free(&img);
    return 0;
}
