/* SPDX-License-Identifier: MIT */
/* Helpers of the face suites (see facetest.h). */
#include "facetest.h"

#include "backend/backend.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

const char *facetest_package_dir(void)
{
    const char *dir = getenv("PARN_FACEAPI_DIR");
    return dir && *dir ? dir : "/tmp/npm/package";
}

const char *facetest_package_file(const char *rel)
{
    static char path[4][1024];
    static int turn;
    char *p = path[turn++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", facetest_package_dir(), rel);
    return p;
}

bool facetest_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool facetest_have_package(const char *rel, ...)
{
    bool all = true;
    va_list ap;
    va_start(ap, rel);
    for (const char *r = rel; r && all; r = va_arg(ap, const char *))
        all = facetest_exists(facetest_package_file(r));
    va_end(ap);
    if (!all)
        printf("note: no face-api package at %s (set PARN_FACEAPI_DIR); skipped\n", facetest_package_dir());
    return all;
}

/* ../shared/data/faceapi_ref/<name> beside the repository, or from the current folder. */
static bool ref_file(const char *name, char *path, size_t size)
{
    const char *fix = getenv("PARN_FIXTURES");
    if (fix) {
        snprintf(path, size, "%s/../../../../shared/data/faceapi_ref/%s", fix, name);
        if (facetest_exists(path)) return true;
    }
    snprintf(path, size, "../shared/data/faceapi_ref/%s", name);
    return facetest_exists(path);
}

bool facetest_faceapi_ref(char *expected, char *picture, size_t size)
{
    if (ref_file("EXPECTED.md", expected, size) && ref_file("faces.jpg", picture, size)) return true;
    printf("note: no ../shared/data/faceapi_ref; skipped\n");
    return false;
}

double facetest_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

parn_model_t *facetest_empty_model(void)
{
    parn_model_t *m = parn__calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    return m;
}

parn_tfjs *facetest_load_weights(const char *path)
{
    parn_tfjs *w = NULL;
    parn_status st = parn_tfjs_load(path, &w);
    ck_assert_msg(st == PARN_OK, "tfjs load %s: %s", path, parn_last_error(NULL));
    return w;
}

parn_model_t *facetest_import(const char *rel, parn_status (*import)(parn_model_t *, const parn_tfjs *))
{
    parn_tfjs *w = facetest_load_weights(facetest_package_file(rel));
    parn_model_t *m = facetest_empty_model();
    parn_status st = import(m, w);
    parn_tfjs_free(w);
    ck_assert_msg(st == PARN_OK, "import %s: %s", rel, parn_last_error(NULL));
    return m;
}

uint8_t *facetest_synthetic_picture(int w, int h)
{
    uint8_t *p = malloc((size_t)w * h * 3);
    ck_assert_ptr_nonnull(p);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                p[((size_t)y * w + x) * 3 + c] = (uint8_t)((x * 3 + y * 5 + c * 85 + ((x * y) % 7) * 9) % 256);
    return p;
}

facetest_picture facetest_load_picture(const char *path)
{
    facetest_picture p = {0};
    ck_assert_msg(parn_image_load(path, &p.frame) == PARN_OK, "%s: %s", path, parn_last_error(NULL));
    p.img = (parn_rgb_image){parn_frame_plane(p.frame, 0), parn_frame_width(p.frame),
                             parn_frame_height(p.frame), parn_frame_stride(p.frame, 0)};
    return p;
}

parn_face_detector *facetest_detector(parn_model_t *m, const char *kind)
{
    parn_face_detector *d = NULL;
    parn_status st = parn_face_detector_create(m, kind, parn_backend_cpu(), optest_cpu(), &d);
    ck_assert_msg(st == PARN_OK, "create: %s", parn_last_error(NULL));
    return d;
}

float facetest_box_diff(const parn_face_box *b, float x, float y, float w, float h)
{
    return fmaxf(fmaxf(fabsf(b->x - x), fabsf(b->y - y)), fmaxf(fabsf(b->w - w), fabsf(b->h - h)));
}

static int by_origin_box(const void *a, const void *b)
{
    const parn_face_box *p = a, *q = b;
    float da = hypotf(p->x, p->y), db = hypotf(q->x, q->y);
    return (da > db) - (da < db);
}

static int by_origin_expected(const void *a, const void *b)
{
    const facetest_expected *p = a, *q = b;
    float da = hypotf(p->x, p->y), db = hypotf(q->x, q->y);
    return (da > db) - (da < db);
}

void facetest_match_sorted(const char *label, parn_face_box *got, int n, facetest_expected *want,
                           int n_want, float box_tol, float score_tol)
{
    ck_assert_msg(n == n_want, "%s: %d faces, expected %d", label, n, n_want);
    qsort(got, (size_t)n, sizeof *got, by_origin_box);
    qsort(want, (size_t)n_want, sizeof *want, by_origin_expected);
    for (int i = 0; i < n; i++) {
        const parn_face_box *b = &got[i];
        const facetest_expected *e = &want[i];
        float diff = facetest_box_diff(b, e->x, e->y, e->w, e->h);
        printf("%s: (%.1f, %.1f, %.1f, %.1f) %.3f, expected (%g, %g, %g, %g) ~%.2f: %.1f px\n", label,
               (double)b->x, (double)b->y, (double)b->w, (double)b->h, (double)b->score, (double)e->x,
               (double)e->y, (double)e->w, (double)e->h, (double)e->score, (double)diff);
        ck_assert_msg(diff <= box_tol, "face %d is %.1f px off (tolerance %g)", i, (double)diff, (double)box_tol);
        ck_assert_msg(fabsf(b->score - e->score) < score_tol, "face %d scores %.3f, expected %.2f", i,
                      (double)b->score, (double)e->score);
    }
}
