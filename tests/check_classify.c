/* SPDX-License-Identifier: MIT */
/* Action classification: the preprocessing against independent computations and PyTorch,
 * FEM + C3D probabilities against PyTorch, clip and streaming calls, pixel formats, the
 * streaming cadence, misuse and allocation failures. Frames are synthetic (a formula repeated
 * in tests/reference/classify.py), so every check runs on any machine. */
#include "common/optest.h"

#include "core/core.h"
#include "models/model.h"
#include "pipeline/clip.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIP 16
#define CLASSES 5
#define MAX_CLIP 32
/* FEM after conv1 (8 channels) of a small C3D: 16 x 32 x 32 clips. */
static const char *const small_config =
    "{\"c3d\": {\"frames\": 16, \"crop\": 32, \"fc\": 16, \"classes\": 5, \"base\": 8},"
    " \"fem\": {\"channels\": 8, \"reduction\": 4, \"privacy_hidden\": 4, \"spatial_kernel\": 3}}";

/* ---- models, sessions, reference data --------------------------------------------------------- */

static parn_model_t *model_of(const char *networks)
{
    parn_options_t *o = NULL;
    parn_model_t *m = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    parn_options_set_string(o, PARN_OPT_NETWORKS, networks);
    parn_options_set_string(o, PARN_OPT_MODEL_CONFIG, small_config);
    parn_options_set_int(o, PARN_OPT_SEED, 7);
    ck_assert_msg(parn_model_create(o, &m) == PARN_OK, "%s", parn_last_error(NULL));
    parn_options_destroy(o);
    return m;
}

/* A 2-thread CPU session; stride 0 keeps the default. */
static parn_session_t *session_of(const parn_model_t *m, int stride)
{
    parn_options_t *o = NULL;
    parn_session_t *s = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    parn_options_set_int(o, PARN_OPT_THREADS, 2);
    if (stride) ck_assert_int_eq(parn_options_set_int(o, PARN_OPT_CLIP_STRIDE, stride), PARN_OK);
    ck_assert_msg(parn_session_create(m, o, &s) == PARN_OK, "%s", parn_last_error(NULL));
    parn_options_destroy(o);
    return s;
}

static char path_buf[1024];

static const char *reference_file(const char *name)
{
    const char *fix = getenv("PARN_FIXTURES");
    snprintf(path_buf, sizeof path_buf, "%s/%s", fix ? fix : "tests/reference/fixtures", name);
    return path_buf;
}

/* tests/reference/classify.json, parsed. */
static cJSON *reference(void)
{
    FILE *fp = fopen(reference_file("../classify.json"), "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path_buf);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = '\0';
    cJSON *j = cJSON_Parse(text);
    ck_assert_msg(j != NULL, "%s is not JSON", path_buf);
    return j;
}

static double json_num(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    ck_assert_msg(cJSON_IsNumber(v), "reference: no number '%s'", key);
    return v->valuedouble;
}

/* ---- pictures ------------------------------------------------------------------------------- */

/* The reference picture (classify.py's picture()): a red ramp, a green texture that moves with
 * t, a blue checkerboard. */
static void picture_rgb(int w, int h, int t, int x, int y, uint8_t rgb[3])
{
    (void)h;
    rgb[0] = (uint8_t)(x * 255 / (w > 1 ? w - 1 : 1));
    rgb[1] = (uint8_t)((x * 7 + y * 13 + t * 29) % 256);
    rgb[2] = (uint8_t)(((x / 4 + y / 4 + t) % 2) * 200 + 30);
}

typedef void (*rgb_fn)(int w, int h, int t, int x, int y, uint8_t rgb[3]);

/* Stores one pixel in a packed RGB format (RGBA's alpha varies: it must be ignored). */
static void put_packed(parn_frame_t *f, int x, int y, const uint8_t rgb[3])
{
    uint8_t *row = parn_frame_plane(f, 0) + (size_t)y * (size_t)parn_frame_stride(f, 0);
    switch (parn_frame_format(f)) {
    case PARN_PIX_RGB24: memcpy(row + 3 * x, rgb, 3); break;
    case PARN_PIX_BGR24: row[3 * x] = rgb[2], row[3 * x + 1] = rgb[1], row[3 * x + 2] = rgb[0]; break;
    case PARN_PIX_RGBA: memcpy(row + 4 * x, rgb, 3), row[4 * x + 3] = (uint8_t)(x * 31 + y); break;
    default: ck_abort_msg("not a packed format");
    }
}

static parn_frame_t *packed_frame(parn_pixel_format format, int w, int h, int t, rgb_fn fn)
{
    parn_frame_t *f = NULL;
    ck_assert_int_eq(parn_frame_alloc(format, w, h, &f), PARN_OK);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t rgb[3];
            fn(w, h, t, x, y, rgb);
            put_packed(f, x, y, rgb);
        }
    return f;
}

static parn_frame_t *picture(int w, int h, int t)
{
    return packed_frame(PARN_PIX_RGB24, w, h, t, picture_rgb);
}

static void free_frames(parn_frame_t **f, int n)
{
    for (int i = 0; i < n; i++) parn_frame_free(&f[i]);
}

/* ---- preprocessing -------------------------------------------------------------------------- */

/* Preprocesses one frame at this crop into 3 planes (freed by the caller). */
static float *prep(const parn_frame_t *f, int crop)
{
    parn_clip_prep *p = parn_clip_prep_create();
    ck_assert_ptr_nonnull(p);
    size_t area = (size_t)crop * (size_t)crop;
    float *out = malloc(3 * area * sizeof(float));
    ck_assert_msg(parn_clip_prep_frame(p, f, crop, out, area) == PARN_OK, "%s", parn_last_error(NULL));
    parn_clip_prep_destroy(p);
    return out;
}

static uint8_t constant_rgb[3];

static void constant_picture(int w, int h, int t, int x, int y, uint8_t rgb[3])
{
    (void)w, (void)h, (void)t, (void)x, (void)y;
    memcpy(rgb, constant_rgb, 3);
}

START_TEST(constant_colour_gives_a_constant_tensor)
{
    const int sizes[][2] = {{200, 150}, {40, 30}, {1, 1}, {1920, 1080}};
    const parn_pixel_format formats[] = {PARN_PIX_RGB24, PARN_PIX_BGR24, PARN_PIX_RGBA};
    memcpy(constant_rgb, (uint8_t[]){10, 128, 250}, 3);
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (size_t k = 0; k < 3; k++) {
            parn_frame_t *f = packed_frame(formats[k], sizes[i][0], sizes[i][1], 0, constant_picture);
            float *out = prep(f, 112);
            for (int c = 0; c < 3; c++)
                for (int j = 0; j < 112 * 112; j++)
                    ck_assert_msg(fabsf(out[c * 112 * 112 + j] - constant_rgb[c] / 255.0f) < 1e-6f,
                                  "%dx%d format %d: channel %d pixel %d is %g", sizes[i][0],
                                  sizes[i][1], formats[k], c, j, out[c * 112 * 112 + j]);
            free(out);
            parn_frame_free(&f);
        }
}
END_TEST

/* Gray and YUV pictures go through libswscale: constant in, constant (and gray) out. */
START_TEST(gray_and_yuv_frames_are_converted)
{
    const parn_pixel_format formats[] = {PARN_PIX_GRAY8, PARN_PIX_YUV420P, PARN_PIX_NV12};
    for (size_t k = 0; k < 3; k++) {
        parn_frame_t *f = NULL;
        ck_assert_int_eq(parn_frame_alloc(formats[k], 90, 61, &f), PARN_OK);
        for (int i = 0; i < parn_pixel_format_planes(formats[k]); i++) /* Y 126, neutral chroma */
            memset(parn_frame_plane(f, i), i ? 128 : 126,
                   (size_t)parn_frame_stride(f, i) * (i ? 31 : 61));
        /* luma 126: full range in GRAY8, video range (16..235) in YUV */
        float want = formats[k] == PARN_PIX_GRAY8 ? 126.0f / 255 : (126.0f - 16) / 219;
        float *out = prep(f, 32);
        for (int j = 0; j < 3 * 32 * 32; j++)
            ck_assert_msg(fabsf(out[j] - want) <= 1.5f / 255, "format %d: value %d is %g, not %g",
                          formats[k], j, out[j], want);
        free(out);
        parn_frame_free(&f);
    }
}
END_TEST

static void ramps(int w, int h, int t, int x, int y, uint8_t rgb[3])
{
    int step = 256 / w; /* 1 for 256 x 256, 4 for 64 x 64 */
    (void)h, (void)t;
    rgb[0] = (uint8_t)(step * x);
    rgb[1] = (uint8_t)(step * y);
    rgb[2] = (uint8_t)(255 - step * x);
}

/* Linear ramps stay linear through the resize (in the crop, away from the picture's edges): the
 * value at an output pixel is the ramp at its centre mapped back to the source, (o + 0.5) *
 * in / out - 0.5, with o counted in the 128 x 171 picture (crop origin 8, 29). Shrinking 256
 * to 171 samples the widened triangle unevenly, hence a tolerance of 0.05 levels there; a
 * pixel's shift would cost at least 1 level. */
START_TEST(ramps_follow_the_geometry_of_the_paper)
{
    const int sides[] = {256, 64};
    for (int i = 0; i < 2; i++) {
        int side = sides[i], step = 256 / side;
        parn_frame_t *f = packed_frame(PARN_PIX_RGB24, side, side, 0, ramps);
        float *out = prep(f, 112);
        for (int y = 0; y < 112; y++)
            for (int x = 0; x < 112; x++) {
                double sx = (x + 29 + 0.5) * side / 171.0 - 0.5;
                double sy = (y + 8 + 0.5) * side / 128.0 - 0.5;
                double want[3] = {step * sx, step * sy, 255 - step * sx};
                for (int c = 0; c < 3; c++) {
                    double got = out[(c * 112 + y) * 112 + x] * 255.0;
                    ck_assert_msg(fabs(got - want[c]) < 0.05,
                                  "side %d: channel %d at (%d, %d) is %g, not %g", side, c, x, y,
                                  got, want[c]);
                }
            }
        free(out);
        parn_frame_free(&f);
    }
}
END_TEST

/* classify.py's sample positions: the same LCG. */
static void sample_position(uint64_t *state, int crop, int *c, int *y, int *x)
{
    *state = (*state * 1103515245u + 12345u) % (1u << 31);
    *c = (int)(*state % 3);
    *y = (int)((*state >> 8) % (uint64_t)crop);
    *x = (int)((*state >> 16) % (uint64_t)crop);
}

static void check_case(const cJSON *cs)
{
    int w = (int)json_num(cs, "width"), h = (int)json_num(cs, "height");
    int crop = (int)json_num(cs, "crop");
    parn_frame_t *f = picture(w, h, 0);
    float *out = prep(f, crop);
    size_t area = (size_t)crop * (size_t)crop;
    const cJSON *sum = cJSON_GetObjectItem(cs, "sum"), *wsum = cJSON_GetObjectItem(cs, "weighted_sum");
    for (int c = 0; c < 3; c++) {
        double s = 0, ws = 0;
        for (int y = 0; y < crop; y++)
            for (int x = 0; x < crop; x++) {
                double v = out[c * area + (size_t)y * crop + x];
                s += v;
                ws += v * ((y * crop + x) % 13 - 6);
            }
        ck_assert_msg(fabs(s - cJSON_GetArrayItem(sum, c)->valuedouble) < 1e-3,
                      "%dx%d crop %d: channel %d sums to %.6f, PyTorch %.6f", w, h, crop, c, s,
                      cJSON_GetArrayItem(sum, c)->valuedouble);
        ck_assert_msg(fabs(ws - cJSON_GetArrayItem(wsum, c)->valuedouble) < 1e-3,
                      "%dx%d crop %d: channel %d weighted sum %.6f, PyTorch %.6f", w, h, crop, c,
                      ws, cJSON_GetArrayItem(wsum, c)->valuedouble);
    }
    uint64_t state = 12345;
    const cJSON *sample;
    cJSON_ArrayForEach(sample, cJSON_GetObjectItem(cs, "samples"))
    {
        int c, y, x;
        sample_position(&state, crop, &c, &y, &x);
        ck_assert_int_eq(c, cJSON_GetArrayItem(sample, 0)->valueint);
        ck_assert_int_eq(y, cJSON_GetArrayItem(sample, 1)->valueint);
        ck_assert_int_eq(x, cJSON_GetArrayItem(sample, 2)->valueint);
        double want = cJSON_GetArrayItem(sample, 3)->valuedouble;
        double got = out[c * area + (size_t)y * crop + x];
        ck_assert_msg(fabs(got - want) < 2e-6, "%dx%d crop %d: (%d, %d, %d) is %.7f, PyTorch %.7f",
                      w, h, crop, c, y, x, got, want);
    }
    free(out);
    parn_frame_free(&f);
}

START_TEST(preprocessing_matches_pytorch)
{
    cJSON *ref = reference();
    const cJSON *cs;
    int n = 0;
    cJSON_ArrayForEach(cs, cJSON_GetObjectItem(ref, "preprocess"))
    {
        check_case(cs);
        n++;
    }
    ck_assert_int_ge(n, 5);
    cJSON_Delete(ref);
}
END_TEST

START_TEST(geometry_for_large_crops)
{
    parn_clip_geometry g = parn_clip_geometry_for(112);
    ck_assert(g.height == 128 && g.width == 171 && g.top == 8 && g.left == 29);
    g = parn_clip_geometry_for(160); /* the height reaches the crop: 160 x 214 */
    ck_assert(g.height == 160 && g.width == 214 && g.top == 0 && g.left == 27);
}
END_TEST

/* ---- classification --------------------------------------------------------------------------- */

/* Classifies n frames (top CLASSES) and insists on success. */
static void classify_ok(parn_session_t *s, parn_frame_t **f, int n, int *cls, float *p)
{
    parn_status st = parn_classify_clip(s, (const parn_frame_t *const *)f, n, CLASSES, cls, p);
    ck_assert_msg(st == PARN_OK, "%s", parn_last_error(s));
}

/* Classifies frames t0 .. t0 + CLIP - 1 of the reference picture at w x h. */
static parn_status classify_pictures(parn_session_t *s, int w, int h, int t0, int top_k, int *cls,
                                     float *p)
{
    parn_frame_t *f[CLIP];
    for (int t = 0; t < CLIP; t++) f[t] = picture(w, h, t0 + t);
    parn_status st = parn_classify_clip(s, (const parn_frame_t *const *)f, CLIP, top_k, cls, p);
    free_frames(f, CLIP);
    return st;
}

/* Probabilities are a distribution, sorted, and top-k is a prefix of the full ranking. */
static void check_ranking(parn_session_t *s)
{
    int cls[CLASSES], cls_k[CLASSES];
    float p[CLASSES], p_k[CLASSES];
    ck_assert_msg(classify_pictures(s, 48, 36, 0, CLASSES, cls, p) == PARN_OK, "%s",
                  parn_last_error(s));
    double sum = 0;
    int seen = 0;
    for (int i = 0; i < CLASSES; i++) {
        sum += p[i];
        ck_assert(p[i] > 0 && p[i] < 1);
        if (i) ck_assert_float_ge(p[i - 1], p[i]);
        ck_assert(cls[i] >= 0 && cls[i] < CLASSES);
        seen |= 1 << cls[i];
    }
    ck_assert_msg(fabs(sum - 1) < 1e-5, "probabilities sum to %.7f", sum);
    ck_assert_int_eq(seen, (1 << CLASSES) - 1);
    for (int k = 1; k <= 3; k++) {
        ck_assert_int_eq(classify_pictures(s, 48, 36, 0, k, cls_k, p_k), PARN_OK);
        for (int i = 0; i < k; i++) {
            ck_assert_int_eq(cls_k[i], cls[i]);
            ck_assert_float_eq(p_k[i], p[i]);
        }
    }
}

START_TEST(probabilities_are_sorted_and_sum_to_one)
{
    const char *networks[] = {"fem,c3d", "c3d"};
    for (int i = 0; i < 2; i++) {
        parn_model_t *m = model_of(networks[i]);
        parn_session_t *s = session_of(m, 0);
        check_ranking(s);
        parn_session_destroy(s);
        parn_model_destroy(m);
    }
}
END_TEST

/* Equal probabilities rank by the lower class index: fc8's weights are zeroed and its biases
 * chosen, so the logits are the biases whatever the clip. */
START_TEST(ties_rank_by_the_lower_index)
{
    parn_model_t *m = model_of("fem,c3d");
    parn_tensor *w = &m->tensors[parn_model_find(m, "c3d.fc8.weight")].t;
    parn_tensor *b = &m->tensors[parn_model_find(m, "c3d.fc8.bias")].t;
    memset(w->data, 0, (size_t)parn_tensor_numel(w) * sizeof(float));
    memcpy(b->data, (const float[CLASSES]){1, 2, 2, 0, 2}, CLASSES * sizeof(float));
    w->version++, b->version++;
    parn_session_t *s = session_of(m, 0);
    int cls[CLASSES];
    float p[CLASSES];
    ck_assert_int_eq(classify_pictures(s, 40, 30, 0, CLASSES, cls, p), PARN_OK);
    const int want[CLASSES] = {1, 2, 4, 0, 3};
    double e = exp(1.0), total = 3 * e * e + e + 1;
    const double want_p[CLASSES] = {e * e / total, e * e / total, e * e / total, e / total, 1 / total};
    for (int i = 0; i < CLASSES; i++) {
        ck_assert_int_eq(cls[i], want[i]);
        ck_assert_double_eq_tol(p[i], want_p[i], 1e-6);
    }
    ck_assert(p[0] == p[1] && p[1] == p[2]);
    parn_session_destroy(s);
    parn_model_destroy(m);
}
END_TEST

/* The FEM + C3D fixture of models/c3d.py (32 frames, crop 32, FEM after block 2) on pictures
 * of two sizes against classify.py's PyTorch run of the same preprocessing and network. */
START_TEST(clip_matches_pytorch)
{
    cJSON *ref = reference();
    const cJSON *clip = cJSON_GetObjectItem(ref, "clip");
    parn_model_t *m = NULL;
    const char *file = reference_file(cJSON_GetObjectItem(clip, "model")->valuestring);
    ck_assert_msg(parn_model_load(file, &m) == PARN_OK, "%s", parn_last_error(NULL));
    parn_session_t *s = session_of(m, 0);
    const cJSON *sizes = cJSON_GetObjectItem(clip, "sizes");
    parn_frame_t *f[MAX_CLIP];
    for (int t = 0; t < MAX_CLIP; t++) {
        const cJSON *size = cJSON_GetArrayItem(sizes, t % 2);
        f[t] = picture(cJSON_GetArrayItem(size, 0)->valueint, cJSON_GetArrayItem(size, 1)->valueint, t);
    }
    int cls[CLASSES];
    float p[CLASSES];
    classify_ok(s, f, MAX_CLIP, cls, p);
    /* This random network's probabilities hardly move with the input (a clip laid out frame
     * by frame instead of channel by channel moves them by 2e-6), float rounding by 1e-8. */
    const cJSON *want = cJSON_GetObjectItem(clip, "probs");
    for (int i = 0; i < CLASSES; i++) {
        double w = cJSON_GetArrayItem(want, cls[i])->valuedouble;
        ck_assert_msg(fabs(p[i] - w) < 1e-7, "class %d: probability %.7f, PyTorch %.7f", cls[i],
                      p[i], w);
    }
    free_frames(f, MAX_CLIP);
    parn_session_destroy(s);
    parn_model_destroy(m);
    cJSON_Delete(ref);
}
END_TEST

static void expect_same(const int *cls_a, const float *p_a, const int *cls_b, const float *p_b,
                        const char *what)
{
    for (int i = 0; i < CLASSES; i++)
        ck_assert_msg(cls_a[i] == cls_b[i] && p_a[i] == p_b[i],
                      "%s: rank %d is class %d (%.8f), not %d (%.8f)", what, i, cls_b[i], p_b[i],
                      cls_a[i], p_a[i]);
}

START_TEST(clip_call_and_pushes_agree)
{
    parn_model_t *m = model_of("fem,c3d");
    parn_session_t *s = session_of(m, 0);
    int cls[CLASSES], cls_push[CLASSES];
    float p[CLASSES], p_push[CLASSES];
    ck_assert_int_eq(classify_pictures(s, 48, 36, 0, CLASSES, cls, p), PARN_OK);
    cls_push[0] = -1;
    for (int t = 0; t < CLIP; t++) {
        parn_frame_t *f = picture(48, 36, t);
        parn_status st = parn_classify_push(s, f, CLASSES, cls_push, p_push);
        ck_assert_int_eq(st, t == CLIP - 1 ? PARN_OK : PARN_AGAIN);
        ck_assert_str_eq(parn_last_error(s), ""); /* PARN_AGAIN is not an error */
        if (st == PARN_AGAIN) ck_assert_int_eq(cls_push[0], -1); /* nor an output */
        parn_frame_free(&f);
    }
    expect_same(cls, p, cls_push, p_push, "16 pushes");
    parn_session_destroy(s);
    parn_model_destroy(m);
}
END_TEST

/* A clip of one picture in a given packed format (row padding: stride pad bytes past the row). */
static void classify_as(parn_session_t *s, parn_pixel_format format, int pad, int *cls, float *p)
{
    parn_frame_t *f[CLIP], *src = packed_frame(format, 50, 40, 3, picture_rgb);
    uint8_t *buf = NULL;
    if (pad) {
        int bpp = format == PARN_PIX_RGBA ? 4 : 3, stride = bpp * 50 + pad;
        buf = malloc((size_t)stride * 40);
        for (int y = 0; y < 40; y++)
            memcpy(buf + (size_t)y * stride,
                   parn_frame_plane(src, 0) + (size_t)y * parn_frame_stride(src, 0), (size_t)bpp * 50);
        parn_frame_free(&src);
        uint8_t *const planes[] = {buf};
        ck_assert_int_eq(parn_frame_wrap(format, 50, 40, planes, (const int[]){stride}, &src), PARN_OK);
    }
    for (int t = 0; t < CLIP; t++) f[t] = src;
    classify_ok(s, f, CLIP, cls, p);
    parn_frame_free(&src);
    free(buf);
}

/* A clip of one YUV picture (a smooth pattern), planar or semi-planar. */
static void classify_yuv(parn_session_t *s, parn_pixel_format format, int *cls, float *p)
{
    parn_frame_t *f[CLIP], *src = NULL;
    ck_assert_int_eq(parn_frame_alloc(format, 50, 40, &src), PARN_OK);
    uint8_t *y = parn_frame_plane(src, 0), *u = parn_frame_plane(src, 1);
    for (int r = 0; r < 40; r++)
        for (int x = 0; x < 50; x++) y[r * parn_frame_stride(src, 0) + x] = (uint8_t)(16 + 4 * x);
    for (int r = 0; r < 20; r++)
        for (int x = 0; x < 25; x++) {
            uint8_t cb = (uint8_t)(64 + 5 * r), cr = (uint8_t)(200 - 4 * x);
            if (format == PARN_PIX_NV12) {
                u[r * parn_frame_stride(src, 1) + 2 * x] = cb;
                u[r * parn_frame_stride(src, 1) + 2 * x + 1] = cr;
            } else {
                u[r * parn_frame_stride(src, 1) + x] = cb;
                parn_frame_plane(src, 2)[r * parn_frame_stride(src, 2) + x] = cr;
            }
        }
    for (int t = 0; t < CLIP; t++) f[t] = src;
    classify_ok(s, f, CLIP, cls, p);
    parn_frame_free(&src);
}

START_TEST(pixel_formats_agree)
{
    parn_model_t *m = model_of("fem,c3d");
    parn_session_t *s = session_of(m, 0);
    int cls[CLASSES], other_cls[CLASSES];
    float p[CLASSES], other[CLASSES];
    /* packed formats are read as they are: the same picture gives the same numbers exactly */
    classify_as(s, PARN_PIX_RGB24, 0, cls, p);
    classify_as(s, PARN_PIX_BGR24, 0, other_cls, other);
    expect_same(cls, p, other_cls, other, "BGR24");
    classify_as(s, PARN_PIX_RGBA, 0, other_cls, other);
    expect_same(cls, p, other_cls, other, "RGBA");
    classify_as(s, PARN_PIX_RGB24, 13, other_cls, other);
    expect_same(cls, p, other_cls, other, "RGB24 with padded rows");
    classify_as(s, PARN_PIX_RGBA, 8, other_cls, other);
    expect_same(cls, p, other_cls, other, "RGBA with padded rows");
    /* YUV420P and NV12 hold the same samples: equal within the conversion's rounding */
    classify_yuv(s, PARN_PIX_YUV420P, cls, p);
    classify_yuv(s, PARN_PIX_NV12, other_cls, other);
    for (int i = 0; i < CLASSES; i++)
        ck_assert_msg(cls[i] == other_cls[i] && fabsf(p[i] - other[i]) < 1e-4f,
                      "NV12: rank %d is class %d (%.6f), YUV420P %d (%.6f)", i, other_cls[i],
                      other[i], cls[i], p[i]);
    parn_session_destroy(s);
    parn_model_destroy(m);
}
END_TEST

/* Results come exactly on frames 16, 16 + stride, ...; each is the clip of the last 16 frames,
 * oldest first (a clip call in between leaves the stream alone). */
static void check_cadence(const parn_model_t *m, int stride, int n_push)
{
    parn_session_t *s = session_of(m, stride);
    int effective = stride ? stride : CLIP, results = 0;
    for (int n = 1; n <= n_push; n++) {
        parn_frame_t *f = picture(48, 36, n);
        int cls[CLASSES], want_cls[CLASSES];
        float p[CLASSES], want[CLASSES];
        parn_status st = parn_classify_push(s, f, CLASSES, cls, p);
        parn_frame_free(&f);
        bool due = n >= CLIP && (n - CLIP) % effective == 0;
        ck_assert_msg(st == (due ? PARN_OK : PARN_AGAIN), "stride %d, frame %d: status %d (%s)",
                      stride, n, st, parn_last_error(s));
        if (!due) continue;
        results++;
        ck_assert_int_eq(classify_pictures(s, 48, 36, n - CLIP + 1, CLASSES, want_cls, want), PARN_OK);
        expect_same(want_cls, want, cls, p, "stream");
    }
    ck_assert_int_eq(results, n_push < CLIP ? 0 : (n_push - CLIP) / effective + 1);
    parn_session_destroy(s);
}

START_TEST(streaming_cadence)
{
    parn_model_t *m = model_of("fem,c3d");
    check_cadence(m, 0, 40);   /* the default stride, 16: frames 16 and 32 */
    check_cadence(m, 1, 20);
    check_cadence(m, 4, 29);
    check_cadence(m, 20, 57);  /* 16, 36, 56 */
    parn_model_destroy(m);
}
END_TEST

/* ---- misuse --------------------------------------------------------------------------------- */

static void expect(parn_session_t *s, parn_status got, parn_status want, const char *word)
{
    ck_assert_msg(got == want, "status %d, expected %d (%s)", got, want, parn_last_error(s));
    ck_assert_msg(strstr(parn_last_error(s), word), "message '%s' lacks '%s'", parn_last_error(s),
                  word);
}

START_TEST(misuse_is_reported)
{
    parn_model_t *m = model_of("fem,c3d");
    parn_session_t *s = session_of(m, 0);
    parn_frame_t *f[CLIP + 1];
    for (int t = 0; t <= CLIP; t++) f[t] = picture(20, 20, t);
    const parn_frame_t *const *clip = (const parn_frame_t *const *)f;
    int cls[CLASSES + 1];
    float p[CLASSES + 1];

    ck_assert_int_eq(parn_classify_clip(NULL, clip, CLIP, 1, cls, p), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_classify_push(NULL, f[0], 1, cls, p), PARN_E_INVALID_ARG);
    expect(s, parn_classify_clip(s, NULL, CLIP, 1, cls, p), PARN_E_INVALID_ARG, "NULL");
    expect(s, parn_classify_clip(s, clip, CLIP, 1, NULL, p), PARN_E_INVALID_ARG, "NULL");
    expect(s, parn_classify_clip(s, clip, CLIP, 1, cls, NULL), PARN_E_INVALID_ARG, "NULL");
    expect(s, parn_classify_clip(s, clip, CLIP, 0, cls, p), PARN_E_INVALID_ARG, "top_k 0");
    expect(s, parn_classify_clip(s, clip, CLIP, CLASSES + 1, cls, p), PARN_E_INVALID_ARG, "top_k 6");
    expect(s, parn_classify_clip(s, clip, CLIP - 1, 1, cls, p), PARN_E_SHAPE, "have 16");
    expect(s, parn_classify_clip(s, clip, CLIP + 1, 1, cls, p), PARN_E_SHAPE, "17 frames");
    expect(s, parn_classify_clip(s, clip, -1, 1, cls, p), PARN_E_SHAPE, "-1 frames");
    parn_frame_t *keep = f[5];
    f[5] = NULL;
    expect(s, parn_classify_clip(s, clip, CLIP, 1, cls, p), PARN_E_INVALID_ARG, "frame 5");
    f[5] = keep;
    ck_assert_int_eq(parn_classify_clip(s, clip, CLIP, 1, cls, p), PARN_OK);

    /* failed pushes add no frame: the first result still comes on the 16th good one */
    expect(s, parn_classify_push(s, NULL, 1, cls, p), PARN_E_INVALID_ARG, "NULL");
    for (int t = 0; t < CLIP; t++) {
        expect(s, parn_classify_push(s, f[t], 0, cls, p), PARN_E_INVALID_ARG, "top_k");
        expect(s, parn_classify_push(s, f[t], 1, NULL, p), PARN_E_INVALID_ARG, "NULL");
        ck_assert_int_eq(parn_classify_push(s, f[t], 1, cls, p), t == CLIP - 1 ? PARN_OK : PARN_AGAIN);
    }
    parn_session_destroy(s);

    /* no C3D: a FEM-only model, and a session without a model */
    parn_model_t *fem_only = model_of("fem");
    s = session_of(fem_only, 0);
    expect(s, parn_classify_clip(s, clip, CLIP, 1, cls, p), PARN_E_NOT_FOUND, "C3D");
    expect(s, parn_classify_push(s, f[0], 1, cls, p), PARN_E_NOT_FOUND, "C3D");
    parn_session_destroy(s);
    s = session_of(NULL, 0);
    expect(s, parn_classify_clip(s, clip, CLIP, 1, cls, p), PARN_E_NOT_FOUND, "C3D");
    parn_session_destroy(s);
    parn_model_destroy(fem_only);
    free_frames(f, CLIP + 1);
    parn_model_destroy(m);
}
END_TEST

/* Pushes until a result comes; returns how many pushes that took. */
static int pushes_to_result(parn_session_t *s, const parn_frame_t *f)
{
    int cls[1], n = 1;
    float p[1];
    for (parn_status st; (st = parn_classify_push(s, f, 1, cls, p)) != PARN_OK; n++)
        ck_assert_msg(st == PARN_AGAIN && n <= CLIP, "push %d: %d (%s)", n, st, parn_last_error(s));
    return n;
}

/* Every allocation of a call may fail: building the classifier on the first push, and the
 * first run (kernel states) on the 16th. The call says NOMEM, nothing leaks, and the session
 * works afterwards: a push that fails before storing its frame adds none, and a result that
 * fails comes on the next push (not a stride later). */
START_TEST(allocation_failures_are_clean)
{
    parn_model_t *m = model_of("fem,c3d");
    parn_frame_t *f = packed_frame(PARN_PIX_BGR24, 30, 20, 0, picture_rgb);
    int cls[1];
    float p[1];
    for (int phase = 0; phase < 2; phase++) {
        parn_status st = PARN_E_NOMEM;
        int k = 0;
        for (; st == PARN_E_NOMEM; k++) {
            parn_session_t *s = session_of(m, 4);
            for (int t = 0; t < (phase ? CLIP - 1 : 0); t++)
                ck_assert_int_eq(parn_classify_push(s, f, 1, cls, p), PARN_AGAIN);
            parn__test_fail_alloc_after(k);
            st = parn_classify_push(s, f, 1, cls, p);
            parn__test_fail_alloc_after(-1);
            parn_status ok = phase ? PARN_OK : PARN_AGAIN;
            ck_assert_msg(st == ok || st == PARN_E_NOMEM, "phase %d, after %d allocations: %d (%s)",
                          phase, k, st, parn_last_error(s));
            int pending = phase ? 0 : CLIP - 1;   /* frames still missing for a result */
            if (st == PARN_E_NOMEM) pending++;
            if (st != PARN_OK) ck_assert_int_eq(pushes_to_result(s, f), pending);
            parn_session_destroy(s);
        }
        ck_assert_msg(k > 10, "phase %d: only %d allocations", phase, k);
    }
    parn_frame_free(&f);
    parn_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("classify");
    TCase *pre = tcase_create("preprocess");
    tcase_add_test(pre, constant_colour_gives_a_constant_tensor);
    tcase_add_test(pre, gray_and_yuv_frames_are_converted);
    tcase_add_test(pre, ramps_follow_the_geometry_of_the_paper);
    tcase_add_test(pre, preprocessing_matches_pytorch);
    tcase_add_test(pre, geometry_for_large_crops);
    suite_add_tcase(s, pre);
    TCase *cls = tcase_create("classify");
    tcase_set_timeout(cls, 300);
    tcase_add_test(cls, probabilities_are_sorted_and_sum_to_one);
    tcase_add_test(cls, ties_rank_by_the_lower_index);
    tcase_add_test(cls, clip_matches_pytorch);
    tcase_add_test(cls, clip_call_and_pushes_agree);
    tcase_add_test(cls, pixel_formats_agree);
    tcase_add_test(cls, streaming_cadence);
    suite_add_tcase(s, cls);
    TCase *bad = tcase_create("misuse");
    tcase_set_timeout(bad, 300);
    tcase_add_test(bad, misuse_is_reported);
    tcase_add_test(bad, allocation_failures_are_clean);
    suite_add_tcase(s, bad);
    return optest_main(s);
}
