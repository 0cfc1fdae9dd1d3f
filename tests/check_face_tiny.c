/* SPDX-License-Identifier: MIT */
/* The tiny face detector and the detector runner: decoding, NMS and the input conversion on
 * hand-computed values; import (layouts, wrong weights); the network on a synthetic picture
 * against the numpy reference (tests/reference/face_tiny.py); detections on the package's demo
 * photos at inputs 416 and 608, and on face-api.js's own test picture with its tolerances
 * (../shared/data/faceapi_ref/EXPECTED.md); misuse. The weights come from the face-api npm
 * package ($PARN_FACEAPI_DIR, default /tmp/npm/package); tests that need it or ../shared/data
 * print a note and pass when it is absent. */
#include "common/facetest.h"

#include "backend/backend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CAP 1024

#define MANIFEST "model/tiny_face_detector_model-weights_manifest.json"

static bool have_package(void)
{
    return facetest_have_package(MANIFEST, "demo/sample1.jpg", NULL);
}

/* ---- decoding and suppression by hand ------------------------------------------------------ */

START_TEST(decode_by_hand)
{
    enum { G = 2, P = G * G };
    float out[25 * P];
    for (int i = 0; i < 25 * P; i++) out[i] = 0;
    for (int a = 0; a < 5; a++)
        for (int i = 0; i < P; i++) out[(a * 5 + 4) * P + i] = -10.0f; /* objectness ~ 0 */
    /* anchor 1 at row 1, column 0: centre offsets 0.5, width doubled, confident */
    int cell = 1 * G + 0;
    out[(1 * 5 + 2) * P + cell] = logf(2.0f);
    out[(1 * 5 + 4) * P + cell] = 3.0f;
    parn_face_box b[32];
    ck_assert_int_eq(parn_face_tiny_decode(out, G, 0.5f, b, 32), 1);
    float w = 2 * 6.041143f * 32, h = 7.080126f * 32;
    ck_assert_float_eq_tol(b[0].x, 16 - w / 2, 1e-3);
    ck_assert_float_eq_tol(b[0].y, 48 - h / 2, 1e-3);
    ck_assert_float_eq_tol(b[0].w, w, 1e-3);
    ck_assert_float_eq_tol(b[0].h, h, 1e-3);
    ck_assert_float_eq_tol(b[0].score, 1 / (1 + expf(-3.0f)), 1e-6);
    /* everything passes threshold 0; with room for 3 the confident box is among them */
    ck_assert_int_eq(parn_face_tiny_decode(out, G, 0.0f, b, 32), 5 * P);
    ck_assert_int_eq(parn_face_tiny_decode(out, G, 0.0f, b, 3), 3);
    bool found = false;
    for (int i = 0; i < 3; i++) found |= b[i].score > 0.9f;
    ck_assert(found);
    ck_assert_int_eq(parn_face_tiny_decode(NULL, G, 0.5f, b, 32), 0);
    ck_assert_int_eq(parn_face_tiny_decode(out, G, 0.5f, NULL, 32), 0);
    ck_assert_int_eq(parn_face_tiny_decode(out, 0, 0.5f, b, 32), 0);
    ck_assert_int_eq(parn_face_tiny_decode(out, G, 0.5f, b, 0), 0);
}
END_TEST

START_TEST(nms_by_hand)
{
    parn_face_box b[] = {
        {0, 0, 10, 10, 0.9f},   /* A */
        {1, 1, 10, 10, 0.8f},   /* IoU with A 81/119: goes */
        {20, 20, 5, 5, 0.95f},  /* apart: stays, first */
        {0, 0, 10, 10, 0.7f},   /* A again: goes */
        {5, 0, 10, 10, 0.85f},  /* IoU with A 1/3: stays at 0.4, goes at 0.3 */
    };
    parn_face_box c[5];
    memcpy(c, b, sizeof b);
    int n = 5;
    parn_face_nms(c, &n, 0.4f);
    ck_assert_int_eq(n, 3);
    ck_assert(c[0].score == 0.95f && c[1].score == 0.9f && c[2].score == 0.85f);
    memcpy(c, b, sizeof b);
    n = 5;
    parn_face_nms(c, &n, 0.3f);
    ck_assert_int_eq(n, 2);
    n = 0;
    parn_face_nms(c, &n, 0.4f);
    ck_assert_int_eq(n, 0);
    parn_face_nms(NULL, &n, 0.4f);
    parn_face_nms(c, NULL, 0.4f);
}
END_TEST

/* ---- the input conversion -------------------------------------------------------------------- */

#define PIC_W 300
#define PIC_H 200

START_TEST(preprocess_matches_numpy)
{
    static const struct {
        int c, y, x;
        float v;
    } probes[] = {
        /* rows >= 278 of 416 are padding, (0 - mean) / 255 */
        {0, 0, 0, -0.4588274f},  {1, 100, 201, 0.08663902f}, {2, 277, 415, -0.3602947f},
        {0, 278, 10, -0.4588274f}, {1, 415, 415, -0.4497921f}, {2, 57, 333, 0.053479f},
    };
    uint8_t *pic = facetest_synthetic_picture(PIC_W, PIC_H);
    parn_rgb_image img = {pic, PIC_W, PIC_H, 3 * PIC_W};
    float *x = malloc(3 * 416 * 416 * sizeof *x);
    ck_assert_int_eq(parn_face_tiny_preprocess(&img, 416, x), PARN_OK);
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++)
        ck_assert_msg(fabsf(x[(probes[i].c * 416 + probes[i].y) * 416 + probes[i].x] - probes[i].v) < 2e-6,
                      "probe %zu: %.7g vs numpy %.7g", i,
                      (double)x[(probes[i].c * 416 + probes[i].y) * 416 + probes[i].x], (double)probes[i].v);
    /* A padded row stride changes nothing. */
    uint8_t *wide = calloc((size_t)PIC_H * (3 * PIC_W + 5), 1);
    for (int y = 0; y < PIC_H; y++) memcpy(wide + (size_t)y * (3 * PIC_W + 5), pic + (size_t)y * 3 * PIC_W, 3 * PIC_W);
    float *x2 = malloc(3 * 416 * 416 * sizeof *x2);
    parn_rgb_image img2 = {wide, PIC_W, PIC_H, 3 * PIC_W + 5};
    ck_assert_int_eq(parn_face_tiny_preprocess(&img2, 416, x2), PARN_OK);
    ck_assert_int_eq(memcmp(x, x2, 3 * 416 * 416 * sizeof *x), 0);
    /* misuse */
    ck_assert_int_eq(parn_face_tiny_preprocess(NULL, 416, x), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_tiny_preprocess(&img, 416, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_tiny_preprocess(&img, 0, x), PARN_E_INVALID_ARG);
    parn_rgb_image bad = {pic, PIC_W, PIC_H, 3 * PIC_W - 1};
    ck_assert_int_eq(parn_face_tiny_preprocess(&bad, 416, x), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "stride"));
    free(x2);
    free(wide);
    free(x);
    free(pic);
}
END_TEST

/* ---- import ---------------------------------------------------------------------------------- */

static parn_model_t *import_tiny(void)
{
    return facetest_import(MANIFEST, parn_face_tiny_import);
}

static const parn_tensor *model_tensor(const parn_model_t *m, const char *name, int ndim,
                                       const int64_t *dims)
{
    int i = parn_model_find(m, name);
    ck_assert_msg(i >= 0, "model has no '%s'", name);
    const parn_tensor *t = &m->tensors[i].t;
    ck_assert_int_eq(t->ndim, ndim);
    for (int d = 0; d < ndim; d++) ck_assert_int_eq(t->dims[d], dims[d]);
    return t;
}

/* TF H x W x IC x OC against the model's OC x IC x H x W, element by element. */
static void expect_filter(const parn_model_t *m, const parn_tfjs *w, const char *tf, const char *name)
{
    parn_tensor s;
    ck_assert_int_eq(parn_tfjs_get(w, tf, &s), PARN_OK);
    int64_t kh = s.dims[0], kw = s.dims[1], ic = s.dims[2], oc = s.dims[3];
    bool depthwise = oc == 1 && strstr(name, "depthwise");
    const parn_tensor *t = model_tensor(m, name, 4,
                                        depthwise ? (int64_t[]){ic, 1, kh, kw} : (int64_t[]){oc, ic, kh, kw});
    for (int64_t o = 0; o < oc; o++)
        for (int64_t i = 0; i < ic; i++)
            for (int64_t y = 0; y < kh; y++)
                for (int64_t x = 0; x < kw; x++)
                    ck_assert(t->data[((o * ic + i) * kh + y) * kw + x] ==
                              s.data[((y * kw + x) * ic + i) * oc + o]);
}

START_TEST(import_converts_layouts)
{
    if (!have_package()) return;
    parn_tfjs *w = facetest_load_weights(facetest_package_file(MANIFEST));
    parn_model_t *m = facetest_empty_model();
    ck_assert_msg(parn_face_tiny_import(m, w) == PARN_OK, "%s", parn_last_error(NULL));
    ck_assert(m->has[PARN_NET_DETECTOR]);
    ck_assert_int_eq(m->n_tensors, 19);
    expect_filter(m, w, "conv0/filters", "detector.tiny.conv0.weight");
    expect_filter(m, w, "conv3/depthwise_filter", "detector.tiny.conv3.depthwise.weight");
    expect_filter(m, w, "conv5/pointwise_filter", "detector.tiny.conv5.pointwise.weight");
    expect_filter(m, w, "conv8/filters", "detector.tiny.conv8.weight");
    parn_tensor b;
    ck_assert_int_eq(parn_tfjs_get(w, "conv2/bias", &b), PARN_OK);
    const parn_tensor *t = model_tensor(m, "detector.tiny.conv2.pointwise.bias", 1, (int64_t[]){64});
    ck_assert_int_eq(memcmp(t->data, b.data, 64 * sizeof(float)), 0);
    model_tensor(m, "detector.tiny.conv8.bias", 1, (int64_t[]){25});

    /* A second import would duplicate the tensors. */
    ck_assert_int_eq(parn_face_tiny_import(m, w), PARN_E_STATE);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "already has"));
    ck_assert_int_eq(parn_face_tiny_import(NULL, w), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_tiny_import(m, NULL), PARN_E_INVALID_ARG);
    parn_tfjs_free(w);
    parn_model_destroy(m);
}
END_TEST

/* Writes a manifest of the tiny weights with conv0/filters' shape replaced by `shape` and one
 * extra leading tensor when `extra`; returns its path (in dir). */
static const char *edited_tiny(const char *dir, const char *shape, bool extra)
{
    static char path[512];
    char bin_path[512];
    FILE *f = fopen(facetest_package_file(MANIFEST), "rb");
    ck_assert_ptr_nonnull(f);
    char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    const char *was = "\"shape\":[3,3,3,16]";
    char *at = strstr(text, was);
    ck_assert_ptr_nonnull(at);
    const char *add = "{\"name\":\"extra\",\"shape\":[1],\"dtype\":\"float32\"},";
    char *first = strchr(strstr(text, "\"weights\""), '{');
    char out[17000];
    snprintf(out, sizeof out, "%.*s%s%.*s%s%s", (int)(first - text), text, extra ? add : "",
             (int)(at - first), first, shape, at + strlen(was));
    snprintf(path, sizeof path, "%s/tiny_face_detector_model-weights_manifest.json", dir);
    f = fopen(path, "wb");
    fputs(out, f);
    fclose(f);
    /* the weights file, with 4 leading bytes for the extra tensor */
    f = fopen(facetest_package_file("model/tiny_face_detector_model.bin"), "rb");
    ck_assert_ptr_nonnull(f);
    static uint8_t bin[200000];
    size_t nb = fread(bin + 4, 1, sizeof bin - 4, f);
    fclose(f);
    snprintf(bin_path, sizeof bin_path, "%s/tiny_face_detector_model.bin", dir);
    f = fopen(bin_path, "wb");
    fwrite(extra ? bin : bin + 4, 1, nb + (extra ? 4 : 0), f);
    fclose(f);
    return path;
}

static void expect_import_failure(const char *manifest_path, parn_status want, const char *word)
{
    parn_tfjs *w = facetest_load_weights(manifest_path);
    parn_model_t *m = facetest_empty_model();
    ck_assert_int_eq(parn_face_tiny_import(m, w), want);
    ck_assert_msg(strstr(parn_last_error(NULL), word), "'%s' lacks '%s'", parn_last_error(NULL), word);
    ck_assert_int_eq(m->n_tensors, 0); /* nothing added on failure */
    ck_assert(!m->has[PARN_NET_DETECTOR]);
    parn_model_destroy(m);
    parn_tfjs_free(w);
}

START_TEST(import_rejects_wrong_weights)
{
    if (!have_package()) return;
    expect_import_failure(facetest_package_file("model/ssd_mobilenetv1_model-weights_manifest.json"),
                          PARN_E_NOT_FOUND, "conv0/filters");
    char dir[] = "/tmp/parn-tiny-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* 3x3x3x16 = 432 bytes either way round, so only the shape check can catch it */
    expect_import_failure(edited_tiny(dir, "\"shape\":[3,3,16,3]", false), PARN_E_SHAPE, "[3, 3, 16, 3]");
    expect_import_failure(edited_tiny(dir, "\"shape\":[3,3,3,16]", true), PARN_E_FORMAT, "20 tensors");
    char p[600];
    snprintf(p, sizeof p, "%s/tiny_face_detector_model-weights_manifest.json", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/tiny_face_detector_model.bin", dir);
    unlink(p);
    rmdir(dir);
}
END_TEST

/* ---- the network ----------------------------------------------------------------------------- */

START_TEST(build_misuse_is_an_error)
{
    if (!have_package()) return;
    parn_model_t *m = import_tiny();
    static const int64_t bad[][4] = {{1, 3, 100, 100}, {1, 4, 416, 416}, {1, 3, 416, 384}};
    for (int i = 0; i < 3; i++) {
        parn_graph *g = parn_graph_create();
        parn_net net = parn_net_make(g, m, "detector.tiny.", false);
        int x = parn_graph_input(g, "x", 4, bad[i]);
        int y = parn_face_tiny_build(&net, x);
        parn_net_release(&net);
        optest_expect_failure(g, y, PARN_E_SHAPE, "tiny");
    }
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, "detector.tiny.", false);
    optest_expect_failure(g, parn_face_tiny_build(&net, 7), PARN_E_INVALID_ARG, "tiny");
    parn_net_release(&net);
    parn_model_t *empty = facetest_empty_model();
    g = parn_graph_create();
    net = parn_net_make(g, empty, "detector.tiny.", false);
    int y = parn_face_tiny_build(&net, parn_graph_input(g, "x", 4, (int64_t[]){1, 3, 416, 416}));
    parn_net_release(&net);
    optest_expect_failure(g, y, PARN_E_NOT_FOUND, "detector.tiny.conv0.weight");
    parn_model_destroy(empty);
    parn_model_destroy(m);
}
END_TEST

/* numpy's raw output for the synthetic picture: input size, cell row, column, 25 channels. */
static const struct raw_probe {
    int size, row, col;
    float v[25];
} raw_probes[] = {
    {416, 0, 0, {0.571355f, -0.249265f, -0.185113f, -0.665864f, -9.02465f, 1.52728f, -0.770812f, 0.0655795f, -0.16354f, -29.2765f, -0.359747f, -0.59074f, 0.190309f, -0.096765f, -17.7725f, 0.025018f, -0.388983f, 0.0771779f, -0.251095f, -21.2751f, 0.666409f, -1.80918f, -0.389182f, 0.52181f, -37.2739f}},
    {416, 6, 4, {1.37856f, -0.751969f, -0.189198f, -0.512631f, -7.33213f, 0.530498f, -1.32022f, 0.0654892f, -0.0914f, -26.6566f, 0.377799f, -2.06572f, 0.243534f, -0.188907f, -9.97976f, 0.617705f, -2.52603f, -0.0620922f, -0.285613f, -14.0115f, 1.42857f, -1.1025f, 0.0810769f, 0.521187f, -33.332f}},
    {416, 4, 12, {-1.39239f, -0.285624f, -0.370121f, -0.461238f, -9.06341f, -0.607092f, -0.853189f, 0.192518f, 0.0774627f, -22.819f, -1.28846f, -0.751222f, 0.152461f, -0.162236f, -14.8832f, -2.99853f, -0.0522574f, 0.000982661f, -0.125712f, -17.9113f, -0.222921f, -0.528826f, 0.0610115f, 0.231811f, -28.3199f}},
    {608, 0, 0, {0.355281f, -0.982071f, -0.0138424f, -0.581855f, -9.26073f, 0.664843f, -0.156086f, 0.0436611f, -0.163663f, -28.6394f, -0.330943f, -0.26209f, 0.177973f, -0.0790875f, -18.1359f, 0.254135f, 0.0351351f, 0.0435944f, -0.166129f, -18.533f, 2.93999f, -3.24576f, -0.075073f, 0.764031f, -35.2497f}},
    {608, 9, 6, {0.66303f, -0.934221f, -0.264791f, -0.476063f, -9.21296f, 1.50522f, -0.539511f, 0.00609287f, -0.0995875f, -26.5373f, 0.810915f, -1.33095f, 0.178058f, -0.186002f, -11.2667f, 1.42036f, -2.07807f, -0.0154022f, -0.188796f, -13.2782f, 0.462225f, -0.843213f, -0.0359588f, 0.433988f, -30.7361f}},
    {608, 6, 18, {-1.114f, 0.0478174f, -0.407217f, -0.417485f, -11.8594f, 0.180572f, -1.46911f, -0.0564607f, -0.0742587f, -21.5323f, -1.74303f, -0.583511f, 0.172133f, -0.0724408f, -14.2226f, -2.31962f, -0.911852f, 0.0400982f, -0.211076f, -14.8557f, -0.301453f, -0.10669f, 0.0848708f, 0.0917298f, -27.3024f}},
};
/* sum of |output| over the whole 25 x G x G output */
static const struct {
    int size;
    double sum_abs;
} raw_sums[] = {{416, 17862.473}, {608, 39623.555}};

START_TEST(network_matches_numpy)
{
    if (!have_package()) return;
    parn_model_t *m = import_tiny();
    uint8_t *pic = facetest_synthetic_picture(PIC_W, PIC_H);
    parn_rgb_image img = {pic, PIC_W, PIC_H, 3 * PIC_W};
    for (int k = 0; k < 2; k++) {
        int size = raw_sums[k].size, grid = size / 32;
        parn_graph *g = parn_graph_create();
        parn_net net = parn_net_make(g, m, "detector.tiny.", false);
        net.frozen = true;
        int x = parn_graph_input(g, "x", 4, (int64_t[]){1, 3, size, size});
        int y = parn_face_tiny_build(&net, x);
        parn_net_release(&net);
        ck_assert_msg(y >= 0, "build: %s", parn_graph_error(g));
        const parn_tensor *t = parn_graph_tensor(g, y);
        ck_assert(t->ndim == 4 && t->dims[0] == 1 && t->dims[1] == 25 && t->dims[2] == grid &&
                  t->dims[3] == grid);
        float *in = malloc((size_t)3 * size * size * sizeof *in);
        float *out = malloc((size_t)25 * grid * grid * sizeof *out);
        ck_assert_int_eq(parn_face_tiny_preprocess(&img, size, in), PARN_OK);
        parn_graph_bind(g, x, in);
        parn_graph_keep(g, y);
        ck_assert_msg(parn_graph_run(g, parn_backend_cpu(), optest_cpu()) == PARN_OK, "%s",
                      parn_last_error(NULL));
        ck_assert_int_eq(parn_graph_read(g, y, out), PARN_OK);
        double sum = 0, worst = 0;
        for (int i = 0; i < 25 * grid * grid; i++) sum += fabs(out[i]);
        for (size_t p = 0; p < sizeof raw_probes / sizeof *raw_probes; p++) {
            const struct raw_probe *r = &raw_probes[p];
            if (r->size != size) continue;
            for (int c = 0; c < 25; c++) {
                float got = out[(c * grid + r->row) * grid + r->col];
                double err = fabs(got - r->v[c]) / fmax(1.0, fabs(r->v[c]));
                worst = fmax(worst, err);
                ck_assert_msg(err < 1e-4, "size %d cell (%d, %d) channel %d: %.6g vs numpy %.6g",
                              size, r->row, r->col, c, (double)got, (double)r->v[c]);
            }
        }
        ck_assert_msg(fabs(sum - raw_sums[k].sum_abs) < 1e-5 * raw_sums[k].sum_abs,
                      "size %d: sum |out| %.8g vs numpy %.8g", size, sum, raw_sums[k].sum_abs);
        printf("synthetic picture at %d: worst relative difference to numpy %.2g\n", size, worst);
        free(in);
        free(out);
        parn_graph_destroy(g);
    }
    free(pic);
    parn_model_destroy(m);
}
END_TEST

/* ---- the runner on photos -------------------------------------------------------------------- */

static parn_face_detector *tiny_detector(parn_model_t *m)
{
    return facetest_detector(m, "tiny");
}

static int detect(parn_face_detector *d, const parn_rgb_image *img, int size, float threshold,
                  parn_face_box *b)
{
    parn_face_detect_params p = parn_face_tiny_defaults();
    p.input_size = size;
    p.score_threshold = threshold;
    int n = -1;
    parn_status st = parn_face_detect(d, img, &p, b, CAP, &n);
    ck_assert_msg(st == PARN_OK, "detect: %s", parn_last_error(NULL));
    ck_assert(n >= 0 && n < CAP);
    for (int i = 0; i < n; i++) { /* inside the picture, best first */
        ck_assert(b[i].x >= 0 && b[i].y >= 0 && b[i].w > 0 && b[i].h > 0);
        ck_assert(b[i].x + b[i].w <= img->width + 1e-3f && b[i].y + b[i].h <= img->height + 1e-3f);
        ck_assert(i == 0 || b[i].score <= b[i - 1].score);
    }
    return n;
}

/* numpy's detections on the demo photos (decoded by PIL): input size, photo, score, x, y, w, h. */
static const struct demo_face {
    int size, photo;
    float score, x, y, w, h;
} demo_faces[] = {
    {416, 1, 0.7790f, 775.90f, 445.10f, 313.13f, 256.34f}, {416, 1, 0.7737f, 1422.38f, 214.61f, 306.77f, 282.78f},
    {416, 1, 0.7203f, 336.63f, 396.79f, 305.31f, 251.10f}, {416, 2, 0.8514f, 1403.47f, 173.40f, 276.62f, 263.77f},
    {416, 3, 0.8075f, 1004.86f, 253.30f, 324.61f, 276.43f}, {416, 3, 0.7832f, 525.40f, 371.29f, 313.37f, 271.97f},
    {416, 3, 0.6843f, 1444.29f, 343.51f, 289.13f, 271.07f}, {416, 4, 0.8329f, 625.00f, 98.22f, 253.05f, 228.98f},
    {416, 4, 0.6391f, 225.02f, 234.34f, 274.45f, 244.07f}, {416, 4, 0.6183f, 924.80f, 225.26f, 267.63f, 231.24f},
    {416, 5, 0.8815f, 312.70f, 897.13f, 315.96f, 312.65f}, {416, 5, 0.8257f, 1346.27f, 416.56f, 304.56f, 282.97f},
    {416, 5, 0.7670f, 533.01f, 435.26f, 286.36f, 242.21f}, {416, 5, 0.7531f, 1057.94f, 242.37f, 279.77f, 247.69f},
    {416, 5, 0.6644f, 734.19f, 133.80f, 237.47f, 195.82f}, {416, 6, 0.8526f, 1431.95f, 313.77f, 298.58f, 290.20f},
    {416, 6, 0.8348f, 615.61f, 378.23f, 294.65f, 275.36f}, {416, 6, 0.7966f, 1092.04f, 360.37f, 295.72f, 275.01f},
    {416, 6, 0.7824f, 186.63f, 517.96f, 335.10f, 288.82f}, {416, 6, 0.5382f, 1264.91f, 336.59f, 293.33f, 295.98f},
    {608, 1, 0.8136f, 811.20f, 446.14f, 263.88f, 250.27f}, {608, 1, 0.6852f, 1422.53f, 206.51f, 280.82f, 270.65f},
    {608, 1, 0.5071f, 405.05f, 408.36f, 236.09f, 226.17f}, {608, 2, 0.7342f, 856.32f, 273.53f, 212.36f, 198.11f},
    {608, 2, 0.6294f, 1428.56f, 192.15f, 252.14f, 232.68f}, {608, 3, 0.8556f, 1015.29f, 236.29f, 301.91f, 286.58f},
    {608, 3, 0.7512f, 536.05f, 349.43f, 272.03f, 279.85f}, {608, 4, 0.8715f, 944.07f, 223.60f, 242.11f, 223.01f},
    {608, 4, 0.8149f, 646.10f, 106.10f, 238.09f, 230.74f}, {608, 4, 0.7648f, 215.29f, 243.34f, 228.56f, 219.32f},
    {608, 4, 0.5690f, 1251.05f, 226.68f, 196.70f, 189.63f}, {608, 5, 0.8582f, 753.09f, 147.25f, 206.73f, 200.08f},
    {608, 5, 0.8366f, 567.43f, 459.95f, 242.71f, 234.87f}, {608, 5, 0.8302f, 1073.59f, 234.27f, 247.99f, 231.89f},
    {608, 5, 0.8091f, 325.06f, 919.42f, 266.10f, 275.11f}, {608, 5, 0.6648f, 1375.24f, 431.12f, 248.34f, 254.04f},
    {608, 6, 0.8717f, 196.88f, 536.82f, 285.83f, 261.61f}, {608, 6, 0.8162f, 1444.07f, 319.67f, 270.76f, 274.31f},
    {608, 6, 0.7879f, 1126.03f, 357.84f, 263.11f, 260.78f}, {608, 6, 0.6346f, 615.01f, 391.91f, 271.68f, 273.75f},
};
/* FFmpeg and PIL decode these JPEGs slightly differently (pixels differ by 0.4 on average, 4 at
 * most): measured 3.0 px and 0.023 in score at worst, where PIL's pixels agree with numpy to
 * 0.01 px and 1e-4. A face that scores within DEMO_SCORE_TOL of the threshold may appear on one
 * side only. */
#define DEMO_BOX_TOL 5.0f
#define DEMO_SCORE_TOL 0.03f
#define THRESHOLD 0.5f

/* Every expected face has a distinct detection within tolerance, and every detection clearly
 * above the threshold is an expected face. */
static void match_demo(int size, int photo, const parn_face_box *got, int n, double *worst_box,
                       double *worst_score)
{
    bool used[CAP] = {false};
    for (size_t i = 0; i < sizeof demo_faces / sizeof *demo_faces; i++) {
        const struct demo_face *e = &demo_faces[i];
        if (e->photo != photo || e->size != size) continue;
        int best = -1;
        for (int j = 0; j < n; j++)
            if (!used[j] && (best < 0 || facetest_box_diff(&got[j], e->x, e->y, e->w, e->h) <
                                             facetest_box_diff(&got[best], e->x, e->y, e->w, e->h)))
                best = j;
        if (best < 0 && e->score < THRESHOLD + DEMO_SCORE_TOL) continue;
        ck_assert_msg(best >= 0, "sample%d at %d: face at (%g, %g) not found", photo, size,
                      (double)e->x, (double)e->y);
        used[best] = true;
        float db = facetest_box_diff(&got[best], e->x, e->y, e->w, e->h), ds = fabsf(got[best].score - e->score);
        *worst_box = fmax(*worst_box, db), *worst_score = fmax(*worst_score, ds);
        ck_assert_msg(db <= DEMO_BOX_TOL && ds <= DEMO_SCORE_TOL,
                      "sample%d at %d: (%.1f, %.1f, %.1f, %.1f) %.3f vs numpy (%.1f, %.1f, %.1f, %.1f) %.3f",
                      photo, size, (double)got[best].x, (double)got[best].y, (double)got[best].w,
                      (double)got[best].h, (double)got[best].score, (double)e->x, (double)e->y,
                      (double)e->w, (double)e->h, (double)e->score);
    }
    for (int j = 0; j < n; j++)
        ck_assert_msg(used[j] || got[j].score < THRESHOLD + DEMO_SCORE_TOL,
                      "sample%d at %d: extra face (%.1f, %.1f) %.3f", photo, size, (double)got[j].x,
                      (double)got[j].y, (double)got[j].score);
}

START_TEST(demo_photos_match_numpy)
{
    if (!have_package()) return;
    parn_model_t *m = import_tiny();
    parn_face_detector *d = tiny_detector(m);
    facetest_picture pics[6];
    for (int k = 0; k < 6; k++) {
        char rel[64];
        snprintf(rel, sizeof rel, "demo/sample%d.jpg", k + 1);
        pics[k] = facetest_load_picture(facetest_package_file(rel));
    }
    parn_face_box *b = malloc(CAP * sizeof *b);
    static const int sizes[] = {416, 608};
    for (int s = 0; s < 2; s++) {
        double worst_box = 0, worst_score = 0;
        int faces = 0;
        detect(d, &pics[0].img, sizes[s], THRESHOLD, b); /* the first run creates the primitives */
        double t0 = facetest_now_ms();
        for (int k = 0; k < 6; k++) {
            int n = detect(d, &pics[k].img, sizes[s], THRESHOLD, b);
            match_demo(sizes[s], k + 1, b, n, &worst_box, &worst_score);
            faces += n;
        }
        printf("demo photos at %d: %d faces as numpy, worst box difference %.2f px, score %.4f; "
               "detector (preprocess, network, decode, NMS) %.1f ms per 1920-px photo, %d threads\n",
               sizes[s], faces, worst_box, worst_score, (facetest_now_ms() - t0) / 6, 2);
    }
    free(b);
    for (int k = 0; k < 6; k++) parn_frame_free(&pics[k].frame);
    parn_face_detector_destroy(d);
    parn_model_destroy(m);
}
END_TEST

/* More input sizes than the runner keeps graphs for: rebuilt graphs give the same faces. */
START_TEST(input_sizes_come_and_go)
{
    if (!have_package()) return;
    parn_model_t *m = import_tiny();
    parn_face_detector *d = tiny_detector(m);
    facetest_picture p = facetest_load_picture(facetest_package_file("demo/sample5.jpg"));
    parn_face_box *first = malloc(CAP * sizeof *first), *b = malloc(CAP * sizeof *b);
    int n = detect(d, &p.img, 416, THRESHOLD, first);
    ck_assert_int_eq(n, 5);
    static const int sizes[] = {128, 160, 224, 320, 512, 608, 1024, 32};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) detect(d, &p.img, sizes[i], 0.3f, b);
    ck_assert_int_eq(detect(d, &p.img, 416, THRESHOLD, b), n);
    ck_assert_int_eq(memcmp(first, b, (size_t)n * sizeof *b), 0);
    /* input_size 0 and NULL parameters mean the defaults: 416, 0.5, 0.4 */
    parn_face_detect_params zero = {0, 0.5f, 0.4f, 0};
    int k = -1;
    ck_assert_int_eq(parn_face_detect(d, &p.img, &zero, b, CAP, &k), PARN_OK);
    ck_assert_int_eq(k, n);
    ck_assert_int_eq(parn_face_detect(d, &p.img, NULL, b, CAP, &k), PARN_OK);
    ck_assert_int_eq(k, n);
    ck_assert_int_eq(memcmp(first, b, (size_t)n * sizeof *b), 0);
    /* max_faces and cap keep the best */
    parn_face_detect_params two = parn_face_tiny_defaults();
    two.max_faces = 2;
    ck_assert_int_eq(parn_face_detect(d, &p.img, &two, b, CAP, &k), PARN_OK);
    ck_assert_int_eq(k, 2);
    ck_assert_int_eq(memcmp(first, b, 2 * sizeof *b), 0);
    ck_assert_int_eq(parn_face_detect(d, &p.img, NULL, b, 3, &k), PARN_OK);
    ck_assert_int_eq(k, 3);
    ck_assert_int_eq(parn_face_detect(d, &p.img, NULL, NULL, 0, &k), PARN_OK);
    ck_assert_int_eq(k, 0);
    free(first);
    free(b);
    parn_frame_free(&p.frame);
    parn_face_detector_destroy(d);
    parn_model_destroy(m);
}
END_TEST

/* The picture padded with black to a square by hand gives the network the same input, so the
 * same scores; the boxes differ only by face-api.js's rounding of the picture's size inside the
 * input (at most 0.5 / 277 of 1920 px here), once clamped to the picture. */
static void expect_same_as_square(parn_face_detector *d, const parn_rgb_image *img)
{
    int side = img->width > img->height ? img->width : img->height;
    uint8_t *sq = calloc((size_t)side * side * 3, 1);
    for (int y = 0; y < img->height; y++)
        memcpy(sq + (size_t)y * side * 3, img->data + (size_t)y * img->stride, 3 * (size_t)img->width);
    parn_rgb_image si = {sq, side, side, 3 * side};
    parn_face_box *a = malloc(CAP * sizeof *a), *b = malloc(CAP * sizeof *b);
    int na = detect(d, img, 416, THRESHOLD, a), nb = detect(d, &si, 416, THRESHOLD, b);
    ck_assert_int_ge(na, 1);
    ck_assert_int_eq(na, nb);
    for (int i = 0; i < na; i++) {
        float x1 = fminf(b[i].x + b[i].w, (float)img->width), y1 = fminf(b[i].y + b[i].h, (float)img->height);
        float diff = facetest_box_diff(&a[i], b[i].x, b[i].y, x1 - b[i].x, y1 - b[i].y);
        ck_assert_msg(diff < 4.0f && a[i].score == b[i].score, "%dx%d face %d: (%.1f, %.1f, %.1f, %.1f) %.4f "
                      "vs square (%.1f, %.1f, %.1f, %.1f) %.4f", img->width, img->height, i, (double)a[i].x,
                      (double)a[i].y, (double)a[i].w, (double)a[i].h, (double)a[i].score, (double)b[i].x,
                      (double)b[i].y, (double)(x1 - b[i].x), (double)(y1 - b[i].y), (double)b[i].score);
    }
    free(a);
    free(b);
    free(sq);
}

START_TEST(padding_goes_right_or_bottom)
{
    if (!have_package()) return;
    parn_model_t *m = import_tiny();
    parn_face_detector *d = tiny_detector(m);
    facetest_picture p = facetest_load_picture(facetest_package_file("demo/sample3.jpg"));
    expect_same_as_square(d, &p.img); /* landscape: padded at the bottom */
    parn_rgb_image portrait = {p.img.data + 900 * 3, 800, p.img.height, p.img.stride};
    expect_same_as_square(d, &portrait); /* portrait: padded at the right */
    parn_frame_free(&p.frame);
    parn_face_detector_destroy(d);
    parn_model_destroy(m);
}
END_TEST

/* ---- face-api.js's own test picture (../shared/data/faceapi_ref, EXPECTED.md) ------------ */

/* The paragraph of EXPECTED.md that starts "Tiny face detector, inputSize <size>": boxes
 * "(x, y, w, h) ~score" and its tolerances. Returns the count. */
static int read_expected(const char *path, int size, facetest_expected *e, int cap, float *box_tol,
                         float *score_tol)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[512], head[64];
    snprintf(head, sizeof head, "Tiny face detector, inputSize %d", size);
    int n = 0;
    bool in = false;
    *box_tol = *score_tol = -1;
    while (fgets(line, sizeof line, f)) {
        if (!in) {
            char *t = strstr(line, "tolerance ");
            in = strncmp(line, head, strlen(head)) == 0 && t &&
                 sscanf(t, "tolerance %f px, score %f", box_tol, score_tol) == 2;
            continue;
        }
        if (line[0] != '(') break;
        for (char *p = line; (p = strchr(p, '(')) && n < cap; p++) {
            facetest_expected *x = &e[n];
            if (sscanf(p, "(%f, %f, %f, %f) ~%f", &x->x, &x->y, &x->w, &x->h, &x->score) == 5) n++;
        }
    }
    fclose(f);
    ck_assert_msg(n == 6 && *box_tol > 0 && *score_tol > 0, "%s: paragraph '%s' not understood", path, head);
    return n;
}

START_TEST(faceapi_test_picture)
{
    char expected[1024], path[1024];
    if (!facetest_faceapi_ref(expected, path, sizeof expected) || !have_package()) return;
    parn_model_t *m = import_tiny();
    parn_face_detector *d = tiny_detector(m);
    facetest_picture pic = facetest_load_picture(path);
    static const int sizes[] = {416, 320};
    for (int s = 0; s < 2; s++) {
        facetest_expected e[8];
        float tol, score_tol;
        int ne = read_expected(expected, sizes[s], e, 8, &tol, &score_tol);
        parn_face_box b[CAP];
        int n = detect(d, &pic.img, sizes[s], THRESHOLD, b);
        char label[64];
        snprintf(label, sizeof label, "faces.jpg at %d", sizes[s]);
        facetest_match_sorted(label, b, n, e, ne, tol, score_tol);
    }
    parn_frame_free(&pic.frame);
    parn_face_detector_destroy(d);
    parn_model_destroy(m);
}
END_TEST

/* ---- misuse ---------------------------------------------------------------------------------- */

START_TEST(runner_misuse)
{
    parn_face_detector *d = (parn_face_detector *)0x1;
    parn_model_t *empty = facetest_empty_model();
    const parn_backend *be = parn_backend_cpu();
    ck_assert_int_eq(parn_face_detector_create(NULL, "tiny", be, optest_cpu(), &d), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_detector_create(empty, NULL, be, optest_cpu(), &d), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_detector_create(empty, "tiny", NULL, optest_cpu(), &d), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_detector_create(empty, "tiny", be, NULL, &d), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_detector_create(empty, "tiny", be, optest_cpu(), NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_detector_create(empty, "yolo", be, optest_cpu(), &d), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "yolo"));
    ck_assert_ptr_null(d);
    /* a model without the weights */
    ck_assert_int_eq(parn_face_detector_create(empty, "tiny", be, optest_cpu(), &d), PARN_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "detector.tiny.conv0.weight"));
    ck_assert_int_ne(parn_face_detector_create(empty, "ssd", be, optest_cpu(), &d), PARN_OK);
    ck_assert_str_ne(parn_last_error(NULL), "");
    ck_assert_ptr_null(d);
    parn_face_detector_destroy(NULL);
    parn_model_destroy(empty);
    if (!have_package()) return;

    parn_model_t *m = import_tiny();
    d = tiny_detector(m);
    uint8_t px[4 * 3 * 3] = {0};
    parn_rgb_image img = {px, 4, 3, 12};
    parn_face_box b[4];
    int n = -1;
    ck_assert_int_eq(parn_face_detect(d, &img, NULL, b, 4, &n), PARN_OK); /* a tiny black picture */
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(parn_face_detect(NULL, &img, NULL, b, 4, &n), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_detect(d, NULL, NULL, b, 4, &n), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_detect(d, &img, NULL, b, 4, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_detect(d, &img, NULL, NULL, 4, &n), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_detect(d, &img, NULL, b, -1, &n), PARN_E_INVALID_ARG);
    parn_rgb_image bad[] = {{NULL, 4, 3, 12}, {px, 0, 3, 12}, {px, 4, -1, 12}, {px, 4, 3, 11},
                            {px, 100000, 3, 300000}};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_ne(parn_face_detect(d, &bad[i], NULL, b, 4, &n), PARN_OK);
        ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "face detector"));
    }
    parn_face_detect_params p[] = {{100, 0.5f, 0.4f, 10}, {416, 1.5f, 0.4f, 10}, {416, 0.5f, 2.0f, 10},
                                   {416, NAN, 0.4f, 10}, {-32, 0.5f, 0.4f, 10}, {8192, 0.5f, 0.4f, 10}};
    for (size_t i = 0; i < sizeof p / sizeof *p; i++) {
        ck_assert_int_eq(parn_face_detect(d, &img, &p[i], b, 4, &n), PARN_E_INVALID_ARG);
        ck_assert_int_eq(n, 0);
    }
    parn_face_detector_destroy(d);
    parn_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("face_tiny");
    TCase *unit = tcase_create("unit");
    tcase_add_test(unit, decode_by_hand);
    tcase_add_test(unit, nms_by_hand);
    tcase_add_test(unit, preprocess_matches_numpy);
    suite_add_tcase(s, unit);
    TCase *misuse = tcase_create("misuse");
    tcase_set_timeout(misuse, 120);
    tcase_add_test(misuse, import_rejects_wrong_weights);
    tcase_add_test(misuse, build_misuse_is_an_error);
    tcase_add_test(misuse, runner_misuse);
    suite_add_tcase(s, misuse);
    TCase *network = tcase_create("network");
    tcase_set_timeout(network, 300);
    tcase_add_test(network, import_converts_layouts);
    tcase_add_test(network, network_matches_numpy);
    tcase_add_test(network, demo_photos_match_numpy);
    tcase_add_test(network, input_sizes_come_and_go);
    tcase_add_test(network, padding_goes_right_or_bottom);
    tcase_add_test(network, faceapi_test_picture);
    suite_add_tcase(s, network);
    return optest_main(s);
}
