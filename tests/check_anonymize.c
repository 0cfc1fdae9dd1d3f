/* SPDX-License-Identifier: MIT */
/* The anonymization pipeline: synthetic frames in every format and stride prove that only the
 * covered regions change and that they change a lot, in place too; the tracker's memory and ids;
 * failing closed; misuse. With the face model (skipped when absent): the npm demo photo, and the
 * generator of a fresh model. */
#include "common/optest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARGIN 0.25f

/* ---- frames in caller memory ----------------------------------------------------------------- */

/* A frame wrapped around caller buffers whose rows have `pad` spare bytes (filled too, so that
 * writes past a row show). */
typedef struct test_frame {
    parn_frame_t *f;
    parn_pixel_format format;
    int w, h, planes;
    uint8_t *mem[3];
    int strides[3], rows[3], row_bytes[3];
} test_frame;

static void plane_geometry(parn_pixel_format f, int w, int h, int i, int *row_bytes, int *rows)
{
    int cw = (w + 1) / 2;
    *rows = i == 0 ? h : (h + 1) / 2;
    switch (f) {
    case PARN_PIX_RGB24:
    case PARN_PIX_BGR24: *row_bytes = 3 * w; break;
    case PARN_PIX_RGBA: *row_bytes = 4 * w; break;
    case PARN_PIX_GRAY8: *row_bytes = w; break;
    case PARN_PIX_NV12: *row_bytes = i == 0 ? w : 2 * cw; break;
    default: *row_bytes = i == 0 ? w : cw; break;
    }
}

static uint32_t rng_state = 12345;

static uint8_t next_byte(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (uint8_t)(rng_state >> 24);
}

/* Random pixels (noise: every blur, pixelation or mask changes it a lot). */
static test_frame frame_new(parn_pixel_format format, int w, int h, int pad)
{
    test_frame t = {.format = format, .w = w, .h = h, .planes = parn_pixel_format_planes(format)};
    uint8_t *planes[3] = {0};
    for (int i = 0; i < t.planes; i++) {
        plane_geometry(format, w, h, i, &t.row_bytes[i], &t.rows[i]);
        t.strides[i] = t.row_bytes[i] + pad;
        size_t n = (size_t)t.strides[i] * (size_t)t.rows[i];
        t.mem[i] = malloc(n);
        for (size_t k = 0; k < n; k++) t.mem[i][k] = next_byte();
        planes[i] = t.mem[i];
    }
    ck_assert_int_eq(parn_frame_wrap(format, w, h, planes, t.strides, &t.f), PARN_OK);
    return t;
}

/* Same layout, same bytes. */
static test_frame frame_clone(const test_frame *src)
{
    test_frame t = *src;
    uint8_t *planes[3] = {0};
    for (int i = 0; i < t.planes; i++) {
        size_t n = (size_t)t.strides[i] * (size_t)t.rows[i];
        t.mem[i] = malloc(n);
        memcpy(t.mem[i], src->mem[i], n);
        planes[i] = t.mem[i];
    }
    t.f = NULL;
    ck_assert_int_eq(parn_frame_wrap(t.format, t.w, t.h, planes, t.strides, &t.f), PARN_OK);
    return t;
}

static void frame_drop(test_frame *t)
{
    parn_frame_free(&t->f);
    for (int i = 0; i < t->planes; i++) free(t->mem[i]);
}

static bool same_bytes(const test_frame *a, const test_frame *b)
{
    for (int i = 0; i < a->planes; i++)
        if (memcmp(a->mem[i], b->mem[i], (size_t)a->strides[i] * (size_t)a->rows[i])) return false;
    return true;
}

static bool is_yuv(parn_pixel_format f)
{
    return f == PARN_PIX_YUV420P || f == PARN_PIX_NV12;
}

/* Bytes per pixel of the first plane. */
static int bytes_per_pixel(parn_pixel_format f)
{
    return f == PARN_PIX_RGBA ? 4 : f == PARN_PIX_RGB24 || f == PARN_PIX_BGR24 ? 3 : 1;
}

/* Copies src's pixel rows into dst (same layout), leaving dst's row padding. */
static void copy_rows(test_frame *dst, const test_frame *src)
{
    for (int i = 0; i < src->planes; i++)
        for (int y = 0; y < src->rows[i]; y++) {
            size_t at = (size_t)y * (size_t)src->strides[i];
            memcpy(dst->mem[i] + at, src->mem[i] + at, (size_t)src->row_bytes[i]);
        }
}

/* The caller's boxes, no records. */
static parn_status cover(parn_session_t *s, const test_frame *in, test_frame *out,
                         const float *boxes, int n)
{
    return parn_anonymize_frame_boxes(s, in->f, out->f, boxes, n, NULL, 0, NULL);
}

/* ---- regions ------------------------------------------------------------------------------- */

/* The pixels a box may cover with the margin: its bounding rectangle, clipped; YUV rounded out
 * to even corners (whole chroma blocks). */
typedef struct rect {
    int x0, y0, x1, y1;
} rect;

static rect covered_rect(const float *box, float margin, const test_frame *t)
{
    float cx = box[0] + box[2] / 2, cy = box[1] + box[3] / 2;
    float rx = box[2] / 2 * (1 + 2 * margin), ry = box[3] / 2 * (1 + 2 * margin);
    rect r = {(int)floorf(cx - rx), (int)floorf(cy - ry), (int)ceilf(cx + rx), (int)ceilf(cy + ry)};
    if (is_yuv(t->format)) r.x0 &= ~1, r.y0 &= ~1, r.x1 += r.x1 & 1, r.y1 += r.y1 & 1;
    r.x0 = r.x0 < 0 ? 0 : r.x0, r.y0 = r.y0 < 0 ? 0 : r.y0;
    r.x1 = r.x1 > t->w ? t->w : r.x1, r.y1 = r.y1 > t->h ? t->h : r.y1;
    return r;
}

/* True when pixel (x, y) is inside none of the boxes' regions: outside their rectangles, or, for
 * ellipses on packed formats, clearly outside the ellipse itself. */
static bool outside(int x, int y, const float *boxes, int n, float margin, bool ellipse,
                    const test_frame *t)
{
    for (int i = 0; i < n; i++) {
        const float *b = boxes + 4 * i;
        rect r = covered_rect(b, margin, t);
        if (x < r.x0 || x >= r.x1 || y < r.y0 || y >= r.y1) continue;
        if (!ellipse || is_yuv(t->format)) return false;
        float ux = (x + 0.5f - b[0] - b[2] / 2) / (b[2] / 2 * (1 + 2 * margin));
        float uy = (y + 0.5f - b[1] - b[3] / 2) / (b[3] / 2 * (1 + 2 * margin));
        if (ux * ux + uy * uy < 1.001f) return false;
    }
    return true;
}

/* Every byte outside the regions (and every row's padding) equals in's; with YUV, the chroma
 * samples of blocks outside. */
static void expect_outside_unchanged(const test_frame *in, const test_frame *out,
                                     const float *boxes, int n, float margin, bool ellipse)
{
    for (int i = 0; i < in->planes; i++)
        for (int y = 0; y < in->rows[i]; y++)
            for (int b = 0; b < in->strides[i]; b++) {
                size_t k = (size_t)y * (size_t)in->strides[i] + (size_t)b;
                bool padding = b >= in->row_bytes[i];
                int px = b / bytes_per_pixel(in->format), py = y;
                if (is_yuv(in->format) && i > 0) /* a chroma block's top-left pixel */
                    px = in->format == PARN_PIX_NV12 ? 2 * (b / 2) : 2 * b, py = 2 * y;
                if (!padding && !outside(px, py, boxes, n, margin, ellipse, in)) continue;
                if (in->mem[i][k] != out->mem[i][k]) /* (ck_assert costs a pipe write per call) */
                    ck_abort_msg("format %d plane %d byte %d row %d (pixel %d,%d) changed: %d -> %d",
                                 in->format, i, b, y, px, py, in->mem[i][k], out->mem[i][k]);
            }
}

/* Mean absolute change of the first plane over a box's interior pixels. */
static double mean_change(const test_frame *in, const test_frame *out, const float *box)
{
    int bpp = bytes_per_pixel(in->format), channels = bpp == 4 ? 3 : bpp;
    double sum = 0;
    long n = 0;
    for (int y = (int)ceilf(box[1]); y < (int)(box[1] + box[3]) && y < in->h; y++)
        for (int x = (int)ceilf(box[0]); x < (int)(box[0] + box[2]) && x < in->w; x++)
            for (int c = 0; c < channels; c++) {
                size_t k = (size_t)y * (size_t)in->strides[0] + (size_t)(x * bpp + c);
                sum += fabs((double)in->mem[0][k] - out->mem[0][k]);
                n++;
            }
    return n ? sum / (double)n : 0;
}

/* ---- sessions ------------------------------------------------------------------------------- */

static parn_session_t *session_with(const parn_model_t *m, const char *mode, const char *shape,
                                    int memory)
{
    parn_options_t *o = NULL;
    parn_options_create(&o);
    parn_options_set_int(o, PARN_OPT_THREADS, 2);
    if (mode) parn_options_set_string(o, PARN_OPT_ANON_MODE, mode);
    if (shape) parn_options_set_string(o, PARN_OPT_FACE_SHAPE, shape);
    if (memory >= 0) parn_options_set_int(o, PARN_OPT_TRACK_MEMORY, memory);
    parn_session_t *s = NULL;
    ck_assert_msg(parn_session_create(m, o, &s) == PARN_OK, "%s", parn_last_error(NULL));
    parn_options_destroy(o);
    return s;
}

static void configure_string(parn_session_t *s, parn_option key, const char *value)
{
    parn_options_t *o = NULL;
    parn_options_create(&o);
    parn_options_set_string(o, key, value);
    ck_assert_int_eq(parn_session_configure(s, o), PARN_OK);
    parn_options_destroy(o);
}

static const char *const modes[] = {"blur", "pixelate", "mask"};
static const char *const shapes[] = {"ellipse", "box"};

/* One face inside, one cut by the frame's bottom-right corner, one tiny (x, y, width, height). */
static const float two_faces[] = {30, 20, 40, 50, 128, 90, 40, 40, 100, 10, 6, 5};
#define N_FACES 3

/* Every mode and shape on one format: outside exact, faces changed, records right. */
static void check_format(parn_pixel_format format, int w, int h, int pad)
{
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++)
        for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
            parn_session_t *s = session_with(NULL, modes[m], shapes[k], -1);
            test_frame in = frame_new(format, w, h, pad), before = frame_clone(&in);
            test_frame out = frame_new(format, w, h, pad), out_before = frame_clone(&out);
            float faces[PARN_FACE_RECORD * 4];
            int n = -1;
            parn_status st =
                parn_anonymize_frame_boxes(s, in.f, out.f, two_faces, N_FACES, faces, 4, &n);
            ck_assert_msg(st == PARN_OK, "%s", parn_last_error(s));
            ck_assert_msg(same_bytes(&in, &before), "in changed");
            ck_assert_int_eq(n, N_FACES);
            for (int i = 0; i < n; i++) {
                const float *f = faces + PARN_FACE_RECORD * i;
                ck_assert_float_eq(f[4], 0.0f);            /* the caller's boxes have no score */
                ck_assert_float_eq(f[5], (float)(i + 1));   /* ids in order of appearance */
                ck_assert_float_eq(f[6], 1.0f);
            }
            /* the face cut by the frame's edge is reported as given */
            ck_assert_float_eq(faces[PARN_FACE_RECORD + 2], 40.0f);
            copy_rows(&out_before, &in); /* out's row padding stays out's own */
            expect_outside_unchanged(&out_before, &out, two_faces, N_FACES, MARGIN, k == 0);
            for (int i = 0; i < 2; i++) {
                double change = mean_change(&in, &out, two_faces + 4 * i);
                ck_assert_msg(change > 30, "format %d, %s, %s: face %d changed by only %.1f",
                              format, modes[m], shapes[k], i, change);
            }
            frame_drop(&in), frame_drop(&before), frame_drop(&out), frame_drop(&out_before);
            parn_session_destroy(s);
        }
}

START_TEST(packed_formats_change_only_the_faces)
{
    const parn_pixel_format formats[] = {PARN_PIX_RGB24, PARN_PIX_BGR24, PARN_PIX_RGBA,
                                         PARN_PIX_GRAY8};
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
        check_format(formats[i], 160, 120, 0);
        check_format(formats[i], 161, 121, 13);
    }
}
END_TEST

START_TEST(yuv_formats_change_only_the_faces)
{
    check_format(PARN_PIX_YUV420P, 160, 120, 0);
    check_format(PARN_PIX_YUV420P, 161, 121, 7);
    check_format(PARN_PIX_NV12, 160, 120, 0);
    check_format(PARN_PIX_NV12, 161, 121, 5);
}
END_TEST

START_TEST(in_place_equals_out_of_place)
{
    const parn_pixel_format formats[] = {PARN_PIX_RGB24, PARN_PIX_RGBA, PARN_PIX_GRAY8,
                                         PARN_PIX_YUV420P, PARN_PIX_NV12};
    const float boxes[8] = {10, 10, 30, 30, 50, 31, 30, 33}; /* their regions overlap */
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        for (size_t m = 0; m < sizeof modes / sizeof *modes; m++) {
            parn_session_t *a = session_with(NULL, modes[m], NULL, -1);
            parn_session_t *b = session_with(NULL, modes[m], NULL, -1);
            test_frame in = frame_new(formats[i], 97, 75, 3), out = frame_clone(&in);
            test_frame same = frame_clone(&in);
            ck_assert_int_eq(cover(a, &in, &out, boxes, 2), PARN_OK);
            ck_assert_int_eq(cover(b, &same, &same, boxes, 2), PARN_OK);
            ck_assert_msg(same_bytes(&out, &same), "format %d %s: in place differs", formats[i],
                          modes[m]);
            ck_assert_msg(!same_bytes(&in, &same), "nothing changed");
            frame_drop(&in), frame_drop(&out), frame_drop(&same);
            parn_session_destroy(a), parn_session_destroy(b);
        }
}
END_TEST

/* ---- tracking ------------------------------------------------------------------------------- */

/* The caller's boxes with up to 8 records; returns how many. */
static int run_boxes(parn_session_t *s, const test_frame *in, test_frame *out, const float *boxes,
                     int n, float *faces)
{
    int got = -1;
    parn_status st = parn_anonymize_frame_boxes(s, in->f, out->f, boxes, n, faces, 8, &got);
    ck_assert_msg(st == PARN_OK, "%s", parn_last_error(s));
    return got;
}

START_TEST(a_missed_face_stays_covered_for_the_memory_then_goes)
{
    const int memory = 3;
    parn_session_t *s = session_with(NULL, "mask", NULL, memory);
    test_frame in = frame_new(PARN_PIX_RGB24, 120, 90, 0), out = frame_clone(&in);
    const float box[4] = {40, 30, 30, 30};
    float faces[PARN_FACE_RECORD * 8];
    ck_assert_int_eq(run_boxes(s, &in, &out, box, 1, faces), 1);
    ck_assert_float_eq(faces[5], 1.0f);
    ck_assert_float_eq(faces[6], 1.0f);
    for (int f = 1; f <= memory; f++) {
        ck_assert_int_eq(run_boxes(s, &in, &out, NULL, 0, faces), 1);
        ck_assert_msg(mean_change(&in, &out, box) > 30, "frame %d: the face is uncovered", f);
        ck_assert_float_eq(faces[0], 40.0f);  /* at its last box */
        ck_assert_float_eq(faces[5], 1.0f);   /* same id */
        ck_assert_float_eq(faces[6], 0.0f);   /* carried */
    }
    ck_assert_int_eq(run_boxes(s, &in, &out, NULL, 0, faces), 0);
    ck_assert_msg(same_bytes(&in, &out), "released face still covered");
    /* the same place again is a new face */
    ck_assert_int_eq(run_boxes(s, &in, &out, box, 1, faces), 1);
    ck_assert_float_eq(faces[5], 2.0f);
    frame_drop(&in), frame_drop(&out);
    parn_session_destroy(s);

    /* memory 0: released at once */
    s = session_with(NULL, "mask", NULL, 0);
    in = frame_new(PARN_PIX_RGB24, 120, 90, 0), out = frame_clone(&in);
    ck_assert_int_eq(run_boxes(s, &in, &out, box, 1, faces), 1);
    ck_assert_int_eq(run_boxes(s, &in, &out, NULL, 0, faces), 0);
    ck_assert(same_bytes(&in, &out));
    frame_drop(&in), frame_drop(&out);
    parn_session_destroy(s);
}
END_TEST

START_TEST(ids_are_stable_and_distinct)
{
    parn_session_t *s = session_with(NULL, "blur", NULL, 2);
    test_frame in = frame_new(PARN_PIX_RGB24, 200, 120, 0), out = frame_clone(&in);
    float faces[PARN_FACE_RECORD * 8];
    float boxes[8] = {10, 10, 40, 40, 120, 20, 50, 50};
    ck_assert_int_eq(run_boxes(s, &in, &out, boxes, 2, faces), 2);
    ck_assert_float_eq(faces[5], 1.0f);
    ck_assert_float_eq(faces[PARN_FACE_RECORD + 5], 2.0f);
    /* both move a little (IoU > 0.3), reported in the other order */
    float moved[8] = {125, 24, 50, 50, 14, 12, 40, 40};
    ck_assert_int_eq(run_boxes(s, &in, &out, moved, 2, faces), 2);
    ck_assert_float_eq(faces[5], 1.0f);
    ck_assert_float_eq(faces[0], 14.0f);
    ck_assert_float_eq(faces[PARN_FACE_RECORD + 5], 2.0f);
    ck_assert_float_eq(faces[PARN_FACE_RECORD + 0], 125.0f);
    /* a jump (no overlap) is a new face; the old one is carried */
    float jumped[4] = {70, 60, 40, 40};
    ck_assert_int_eq(run_boxes(s, &in, &out, jumped, 1, faces), 3);
    for (int i = 0; i < 3; i++) {
        const float *f = faces + PARN_FACE_RECORD * i;
        ck_assert_float_eq(f[5], (float)(i + 1));
        ck_assert_float_eq(f[6], i == 2 ? 1.0f : 0.0f);
    }
    /* max_faces limits the records, not the covering */
    int n = -1;
    ck_assert_int_eq(parn_anonymize_frame_boxes(s, in.f, out.f, jumped, 1, faces, 1, &n), PARN_OK);
    ck_assert_int_eq(n, 1);
    ck_assert(mean_change(&in, &out, moved) > 30);
    ck_assert_int_eq(parn_anonymize_frame_boxes(s, in.f, out.f, jumped, 1, NULL, 0, &n), PARN_OK);
    ck_assert_int_eq(n, 0);
    frame_drop(&in), frame_drop(&out);
    parn_session_destroy(s);
}
END_TEST

/* ---- failures ------------------------------------------------------------------------------- */

static void expect_black(const test_frame *t)
{
    for (int i = 0; i < t->planes; i++)
        for (int y = 0; y < t->rows[i]; y++)
            for (int b = 0; b < t->row_bytes[i]; b++) {
                int v = t->mem[i][(size_t)y * t->strides[i] + b];
                int want = t->format == PARN_PIX_RGBA && b % 4 == 3 ? 255 : 0; /* opaque */
                if (is_yuv(t->format)) want = i == 0 ? 16 : 128;
                if (v != want)
                    ck_abort_msg("format %d plane %d (%d, %d) is %d, not black", t->format, i, b,
                                 y, v);
            }
}

START_TEST(failures_after_the_arguments_black_out_the_frame)
{
    const parn_pixel_format formats[] = {PARN_PIX_RGB24, PARN_PIX_RGBA, PARN_PIX_GRAY8,
                                         PARN_PIX_NV12, PARN_PIX_YUV420P};
    const float box[4] = {10, 10, 20, 20};
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
        test_frame in = frame_new(formats[i], 64, 48, 5), out = frame_clone(&in);
        /* gan without a generator */
        parn_session_t *s = session_with(NULL, "gan", NULL, -1);
        int n = -1;
        ck_assert_int_eq(parn_anonymize_frame_boxes(s, in.f, out.f, box, 1, NULL, 0, &n),
                         PARN_E_NOT_FOUND);
        ck_assert_ptr_nonnull(strstr(parn_last_error(s), "generator"));
        ck_assert_int_eq(n, 0);
        expect_black(&out);
        /* in place too */
        test_frame same = frame_clone(&in);
        ck_assert_int_eq(cover(s, &same, &same, box, 1), PARN_E_NOT_FOUND);
        expect_black(&same);
        frame_drop(&same);
        /* a mode or shape that does not exist */
        configure_string(s, PARN_OPT_ANON_MODE, "sparkles");
        ck_assert_int_eq(cover(s, &in, &out, box, 1), PARN_E_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(parn_last_error(s), "sparkles"));
        expect_black(&out);
        configure_string(s, PARN_OPT_ANON_MODE, "blur");
        configure_string(s, PARN_OPT_FACE_SHAPE, "star");
        ck_assert_int_eq(cover(s, &in, &out, box, 1), PARN_E_INVALID_ARG);
        expect_black(&out);
        parn_session_destroy(s);
        /* a detector that cannot load */
        parn_options_t *o = NULL;
        parn_options_create(&o);
        parn_options_set_string(o, PARN_OPT_FACE_MODEL, "/nonexistent/faces.safetensors");
        parn_options_set_string(o, PARN_OPT_ANON_MODE, "blur");
        ck_assert_int_eq(parn_session_create(NULL, o, &s), PARN_OK);
        parn_options_destroy(o);
        frame_drop(&out);
        out = frame_clone(&in);
        ck_assert_int_eq(parn_anonymize_frame(s, in.f, out.f, NULL, 0, &n), PARN_E_IO);
        expect_black(&out);
        /* out of memory */
        frame_drop(&out);
        out = frame_clone(&in);
        parn__test_fail_alloc_after(0);
        parn_status st = cover(s, &in, &out, box, 1);
        parn__test_fail_alloc_after(-1);
        ck_assert_int_eq(st, PARN_E_NOMEM);
        expect_black(&out);
        parn_session_destroy(s);
        frame_drop(&in), frame_drop(&out);
    }
}
END_TEST

/* parn_anonymize_frame_boxes with room for one record. */
static parn_status cover_one(parn_session_t *s, const test_frame *in, const test_frame *out,
                             const float *boxes, int n, int max_faces)
{
    float faces[PARN_FACE_RECORD];
    int got = 0;
    return parn_anonymize_frame_boxes(s, in ? in->f : NULL, out ? out->f : NULL, boxes, n, faces,
                                      max_faces, &got);
}

START_TEST(bad_arguments_leave_out_alone)
{
    parn_session_t *s = session_with(NULL, "blur", NULL, -1);
    test_frame in = frame_new(PARN_PIX_RGB24, 64, 48, 0);
    test_frame out = frame_new(PARN_PIX_RGB24, 64, 48, 0);
    test_frame small = frame_new(PARN_PIX_RGB24, 63, 48, 0);
    test_frame gray = frame_new(PARN_PIX_GRAY8, 64, 48, 0);
    test_frame out_was = frame_clone(&out), small_was = frame_clone(&small);
    test_frame gray_was = frame_clone(&gray);
    const float box[4] = {10, 10, 20, 20};
    float faces[PARN_FACE_RECORD];
    int n = 0;
    const parn_status bad = PARN_E_INVALID_ARG;
    ck_assert_int_eq(cover_one(NULL, &in, &out, box, 1, 1), bad);
    ck_assert_int_eq(parn_anonymize_frame(NULL, in.f, out.f, faces, 1, &n), bad);
    ck_assert_int_eq(cover_one(s, NULL, &out, box, 1, 1), bad);
    ck_assert_int_eq(cover_one(s, &in, NULL, box, 1, 1), bad);
    ck_assert_int_eq(parn_anonymize_frame(s, NULL, out.f, faces, 1, &n), bad);
    ck_assert_int_eq(cover_one(s, &in, &small, box, 1, 1), bad);
    ck_assert_ptr_nonnull(strstr(parn_last_error(s), "does not match"));
    ck_assert_int_eq(cover_one(s, &in, &gray, box, 1, 1), bad);
    ck_assert_int_eq(parn_anonymize_frame(s, in.f, gray.f, faces, 1, &n), bad);
    ck_assert_int_eq(cover_one(s, &in, &out, box, 1, -1), bad);
    ck_assert_int_eq(cover_one(s, &in, &out, box, -1, 1), bad);
    ck_assert_ptr_nonnull(strstr(parn_last_error(s), "negative"));
    ck_assert_int_eq(cover_one(s, &in, &out, NULL, 1, 1), bad);
    const float wrong[][4] = {{NAN, 10, 20, 20}, {10, 10, 0, 20}, {10, 10, 20, -1},
                              {10, INFINITY, 20, 20}};
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        ck_assert_int_eq(cover_one(s, &in, &out, wrong[i], 1, 1), bad);
        ck_assert_ptr_nonnull(strstr(parn_last_error(s), "box 0"));
    }
    ck_assert(same_bytes(&out, &out_was));
    ck_assert(same_bytes(&small, &small_was));
    ck_assert(same_bytes(&gray, &gray_was));
    /* the session still works, and no boxes at all is a plain copy */
    ck_assert_int_eq(cover(s, &in, &out, NULL, 0), PARN_OK);
    ck_assert(same_bytes(&in, &out));
    /* a box wholly outside the frame covers nothing */
    const float away[4] = {500, 500, 20, 20};
    ck_assert_int_eq(parn_anonymize_frame_boxes(s, in.f, out.f, away, 1, faces, 1, &n), PARN_OK);
    ck_assert_int_eq(n, 0);
    ck_assert(same_bytes(&in, &out));
    /* one far larger than the frame covers all of it */
    configure_string(s, PARN_OPT_ANON_MODE, "mask");
    const float huge[4] = {-1e30f, -1e30f, 3e38f, 3e38f};
    ck_assert_int_eq(cover(s, &in, &out, huge, 1), PARN_OK);
    expect_black(&out);
    frame_drop(&in), frame_drop(&out), frame_drop(&small), frame_drop(&gray);
    frame_drop(&out_was), frame_drop(&small_was), frame_drop(&gray_was);
    parn_session_destroy(s);
}
END_TEST

/* ---- with the face model -------------------------------------------------------------------- */

static bool have_face_model(void)
{
    if (parn_default_face_model()) return true;
    printf("anonymize: no face model (run .ci/install-deps); skipping\n");
    return false;
}

/* The demo photo as a test_frame (RGB24). */
static test_frame demo_photo(void)
{
    char p[1024];
    const char *pkg = getenv("PARN_FACEAPI_DIR");
    snprintf(p, sizeof p, "%s/demo/sample1.jpg", pkg ? pkg : "");
    parn_frame_t *img = NULL;
    ck_assert_msg(parn_image_load(p, &img) == PARN_OK, "%s", parn_last_error(NULL));
    test_frame t = frame_new(PARN_PIX_RGB24, parn_frame_width(img), parn_frame_height(img), 0);
    for (int y = 0; y < t.h; y++) {
        const uint8_t *row = parn_frame_plane(img, 0) + (size_t)y * parn_frame_stride(img, 0);
        memcpy(t.mem[0] + (size_t)y * t.strides[0], row, (size_t)t.row_bytes[0]);
    }
    parn_frame_free(&img);
    return t;
}

/* The detecting call with up to 64 records; returns how many. */
static int run_detect(parn_session_t *s, const test_frame *in, test_frame *out, float *faces)
{
    int n = -1;
    parn_status st = parn_anonymize_frame(s, in->f, out->f, faces, 64, &n);
    ck_assert_msg(st == PARN_OK, "%s", parn_last_error(s));
    return n;
}

/* Anonymizes the photo with the detector; checks every face changed and nothing else. */
static void check_photo(parn_session_t *s, double min_change)
{
    test_frame in = demo_photo(), out = frame_clone(&in);
    float faces[PARN_FACE_RECORD * 64], boxes[4 * 64];
    int n = run_detect(s, &in, &out, faces);
    ck_assert_int_ge(n, 1);
    for (int i = 0; i < n; i++) {
        const float *f = faces + PARN_FACE_RECORD * i;
        ck_assert(f[4] >= 0.5f && f[6] == 1.0f);
        memcpy(boxes + 4 * i, f, 4 * sizeof(float));
        double change = mean_change(&in, &out, f);
        ck_assert_msg(change > min_change, "face %d at %.0f,%.0f %.0fx%.0f changed by only %.2f",
                      i, f[0], f[1], f[2], f[3], change);
    }
    expect_outside_unchanged(&in, &out, boxes, n, MARGIN, true);
    frame_drop(&in), frame_drop(&out);
}

START_TEST(demo_photo_faces_are_covered)
{
    if (!have_face_model()) return;
    parn_session_t *s = session_with(NULL, NULL, NULL, -1); /* auto: no generator, so blur */
    check_photo(s, 5.0);
    configure_string(s, PARN_OPT_ANON_MODE, "pixelate");
    check_photo(s, 5.0);
    parn_session_destroy(s);

    /* detection every 3rd frame: the others carry the tracks without ageing them */
    s = session_with(NULL, "mask", NULL, 0);
    parn_options_t *o = NULL;
    parn_options_create(&o);
    parn_options_set_int(o, PARN_OPT_DETECT_EVERY, 3);
    ck_assert_int_eq(parn_session_configure(s, o), PARN_OK);
    parn_options_destroy(o);
    test_frame in = demo_photo(), out = frame_clone(&in);
    float faces[PARN_FACE_RECORD * 64];
    int first = run_detect(s, &in, &out, faces);
    for (int f = 1; f < 4; f++) {
        ck_assert_int_eq(run_detect(s, &in, &out, faces), first);
        for (int i = 0; i < first; i++) {
            ck_assert_float_eq(faces[PARN_FACE_RECORD * i + 5], (float)(i + 1));
            ck_assert_float_eq(faces[PARN_FACE_RECORD * i + 6], f % 3 == 0 ? 1.0f : 0.0f);
        }
    }
    frame_drop(&in), frame_drop(&out);
    parn_session_destroy(s);
}
END_TEST

START_TEST(gan_with_a_fresh_generator)
{
    parn_options_t *o = NULL;
    parn_options_create(&o);
    parn_options_set_string(o, PARN_OPT_NETWORKS, "generator");
    parn_model_t *m = NULL;
    ck_assert_msg(parn_model_create(o, &m) == PARN_OK, "%s", parn_last_error(NULL));
    parn_options_destroy(o);
    parn_session_t *s = session_with(m, NULL, NULL, -1); /* auto: the generator */
    /* two frames each: the second has the first's output as its temporal input */
    const parn_pixel_format formats[] = {PARN_PIX_RGB24, PARN_PIX_GRAY8, PARN_PIX_NV12};
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
        test_frame in = frame_new(formats[i], 160, 120, 3), out = frame_clone(&in);
        for (int f = 0; f < 2; f++) {
            ck_assert_msg(cover(s, &in, &out, two_faces, 2) == PARN_OK, "%s", parn_last_error(s));
            expect_outside_unchanged(&in, &out, two_faces, 2, MARGIN, true);
            for (int k = 0; k < 2; k++) ck_assert(mean_change(&in, &out, two_faces + 4 * k) > 30);
        }
        frame_drop(&in), frame_drop(&out);
    }
    parn_session_destroy(s);
    if (have_face_model()) {
        s = session_with(m, NULL, NULL, -1); /* no tracks left from the frames above */
        check_photo(s, 5.0);
        parn_session_destroy(s);
    }
    parn_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("anonymize");
    TCase *tc = tcase_create("anonymize");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, packed_formats_change_only_the_faces);
    tcase_add_test(tc, yuv_formats_change_only_the_faces);
    tcase_add_test(tc, in_place_equals_out_of_place);
    tcase_add_test(tc, a_missed_face_stays_covered_for_the_memory_then_goes);
    tcase_add_test(tc, ids_are_stable_and_distinct);
    tcase_add_test(tc, failures_after_the_arguments_black_out_the_frame);
    tcase_add_test(tc, bad_arguments_leave_out_alone);
    tcase_add_test(tc, demo_photo_faces_are_covered);
    tcase_add_test(tc, gan_with_a_fresh_generator);
    suite_add_tcase(s, tc);
    return optest_main(s);
}
