/* SPDX-License-Identifier: MIT */
/* The SSD MobileNet v1 face detector: decoding and preprocessing on hand-computed values, the
 * network on a synthetic picture against the numpy reference (tests/reference/face_ssd.py),
 * detections on the package's demo photos (decode + face-api.js's postprocessing here, and the
 * detector runner) and on face-api.js's own test picture, misuse. The
 * weights come from the face-api npm package ($PARN_FACEAPI_DIR, default /tmp/npm/package);
 * tests that need it or ../shared/data print a note and pass when it is absent. */
#include "common/facetest.h"

#include "backend/backend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S PARN_FACE_SSD_INPUT
#define NB PARN_FACE_SSD_BOXES

/* ---- the model ----------------------------------------------------------------------------- */

#define MANIFEST "model/ssd_mobilenetv1_model-weights_manifest.json"

static bool have_package(void)
{
    return facetest_have_package(MANIFEST, "demo/sample1.jpg", NULL);
}

static parn_model_t *import_ssd(void)
{
    parn_model_t *m = facetest_import(MANIFEST, parn_face_ssd_import);
    ck_assert(m->has[PARN_NET_DETECTOR]);
    return m;
}

/* The network on an n x 3 x 512 x 512 input, with both outputs kept. */
typedef struct ssd_graph {
    parn_graph *g;
    parn_net net;
    int x, enc, scores;
    float *input;
    int n;
} ssd_graph;

static void ssd_graph_make(ssd_graph *r, parn_model_t *m, int n)
{
    r->n = n;
    r->g = parn_graph_create();
    r->net = parn_net_make(r->g, m, "detector.ssd.", false);
    r->net.frozen = true;
    r->x = parn_graph_input(r->g, "x", 4, (int64_t[]){n, 3, S, S});
    r->enc = parn_face_ssd_build(&r->net, r->x, &r->scores);
    ck_assert_msg(r->enc >= 0, "build: %s", parn_graph_error(r->g));
    const parn_tensor *e = parn_graph_tensor(r->g, r->enc), *s = parn_graph_tensor(r->g, r->scores);
    ck_assert_int_eq(e->ndim, 3);
    ck_assert(e->dims[0] == n && e->dims[1] == NB && e->dims[2] == 8);
    ck_assert(s->ndim == 2 && s->dims[0] == n && s->dims[1] == NB);
    parn_graph_keep(r->g, r->enc);
    parn_graph_keep(r->g, r->scores);
    r->input = malloc((size_t)n * 3 * S * S * sizeof(float));
    ck_assert_ptr_nonnull(r->input);
    parn_graph_bind(r->g, r->x, r->input);
}

/* Runs the graph; enc (n x NB x 8) and scores (n x NB) receive the outputs. */
static void ssd_graph_run(ssd_graph *r, float *enc, float *scores)
{
    parn_status st = parn_graph_run(r->g, parn_backend_cpu(), optest_cpu());
    ck_assert_msg(st == PARN_OK, "run: %s", parn_last_error(NULL));
    ck_assert_int_eq(parn_graph_read(r->g, r->enc, enc), PARN_OK);
    ck_assert_int_eq(parn_graph_read(r->g, r->scores, scores), PARN_OK);
}

static void ssd_graph_free(ssd_graph *r)
{
    parn_net_release(&r->net);
    parn_graph_destroy(r->g);
    free(r->input);
}

/* ---- decoding --------------------------------------------------------------------------------- */

/* Encodings with anchor k at (0.1 k, 0.2, 0.1 k + 0.2, 0.5) and encoding zero. */
static float *fake_encodings(void)
{
    float *e = calloc((size_t)NB * 8, sizeof *e);
    ck_assert_ptr_nonnull(e);
    for (int k = 0; k < NB; k++) {
        float *a = e + 8 * k + 4;
        a[0] = 0.1f * (k % 8), a[1] = 0.2f, a[2] = a[0] + 0.2f, a[3] = 0.5f;
    }
    return e;
}

START_TEST(decode_zero_encoding_is_the_anchor)
{
    float *e = fake_encodings(), *s = calloc(NB, sizeof *s);
    s[3] = 0.9f, s[100] = 0.6f, s[NB - 1] = 0.75f, s[7] = 0.5f; /* 0.5 is not above 0.5 */
    parn_face_box b[8];
    ck_assert_int_eq(parn_face_ssd_decode(e, s, S, 0.5f, b, 8), 3);
    const int idx[3] = {3, 100, NB - 1};
    for (int i = 0; i < 3; i++) {
        const float *a = e + 8 * idx[i] + 4;
        ck_assert_float_eq_tol(b[i].x, a[1] * S, 1e-3f);
        ck_assert_float_eq_tol(b[i].y, a[0] * S, 1e-3f);
        ck_assert_float_eq_tol(b[i].w, (a[3] - a[1]) * S, 1e-3f);
        ck_assert_float_eq_tol(b[i].h, (a[2] - a[0]) * S, 1e-3f);
        ck_assert_float_eq(b[i].score, s[idx[i]]);
    }
    free(e);
    free(s);
}
END_TEST

/* The TF box coder: centre moves by t / 10 anchor sizes, size scales by exp(t / 5). */
START_TEST(decode_applies_the_box_coder)
{
    float *e = fake_encodings(), *s = calloc(NB, sizeof *s);
    float *r = e + 8 * 9; /* anchor (0.1, 0.2)-(0.3, 0.5): h 0.2, w 0.3, centre (0.2, 0.35) */
    r[0] = 1.0f, r[1] = -2.0f, r[2] = 5.0f * logf(2.0f), r[3] = -5.0f * logf(2.0f);
    s[9] = 0.8f;
    parn_face_box b;
    ck_assert_int_eq(parn_face_ssd_decode(e, s, 100, 0.5f, &b, 1), 1);
    float yc = 0.2f + 0.1f * 0.2f, xc = 0.35f - 0.2f * 0.3f, h = 0.4f, w = 0.15f;
    ck_assert_float_eq_tol(b.x, (xc - w / 2) * 100, 1e-3f);
    ck_assert_float_eq_tol(b.y, (yc - h / 2) * 100, 1e-3f);
    ck_assert_float_eq_tol(b.w, w * 100, 1e-3f);
    ck_assert_float_eq_tol(b.h, h * 100, 1e-3f);
    free(e);
    free(s);
}
END_TEST

/* With more candidates than room, the best ones are kept; bad arguments give no boxes. */
START_TEST(decode_keeps_the_best_when_full)
{
    float *e = fake_encodings(), *s = calloc(NB, sizeof *s);
    for (int k = 0; k < 50; k++) s[k * 100] = 0.51f + 0.009f * (float)((k * 37) % 50);
    parn_face_box b[5];
    ck_assert_int_eq(parn_face_ssd_decode(e, s, S, 0.5f, b, 5), 5);
    float min = 1.0f;
    for (int i = 0; i < 5; i++) min = fminf(min, b[i].score);
    ck_assert_float_eq_tol(min, 0.51f + 0.009f * 45, 1e-6f);
    ck_assert_int_eq(parn_face_ssd_decode(NULL, s, S, 0.5f, b, 5), 0);
    ck_assert_int_eq(parn_face_ssd_decode(e, NULL, S, 0.5f, b, 5), 0);
    ck_assert_int_eq(parn_face_ssd_decode(e, s, S, 0.5f, NULL, 5), 0);
    ck_assert_int_eq(parn_face_ssd_decode(e, s, S, 0.5f, b, 0), 0);
    ck_assert_int_eq(parn_face_ssd_decode(e, s, 0, 0.5f, b, 5), 0);
    free(e);
    free(s);
}
END_TEST

/* ---- preprocessing ------------------------------------------------------------------------ */

/* A 3 x 2 picture -> 4 x 4: the square is 3 x 3 (a zero row below), sampled at 0, 0.75, 1.5,
 * 2.25 along both axes (TF's legacy bilinear), then p / 127.5 - 1. */
START_TEST(preprocess_pads_resizes_and_scales)
{
    uint8_t data[2 * 10] = {0}; /* stride 10 > 9 */
    for (int y = 0; y < 2; y++)
        for (int i = 0; i < 9; i++) data[10 * y + i] = (uint8_t)(10 + 10 * (9 * y + i));
    parn_rgb_image img = {data, 3, 2, 10};
    float out[3 * 16];
    ck_assert_int_eq(parn_face_ssd_preprocess(&img, 4, out), PARN_OK);
    const double pos[4] = {0, 0.75, 1.5, 2.25};
    for (int c = 0; c < 3; c++)
        for (int oy = 0; oy < 4; oy++)
            for (int ox = 0; ox < 4; ox++) {
                double y = pos[oy], x = pos[ox];
                int y0 = (int)y, x0 = (int)x, y1 = y0 + 1 < 3 ? y0 + 1 : 2, x1 = x0 + 1 < 3 ? x0 + 1 : 2;
                double dy = y - y0, dx = x - x0;
#define P(yy, xx) ((yy) < 2 ? (double)data[10 * (yy) + 3 * (xx) + c] : 0.0)
                double v = (P(y0, x0) * (1 - dx) + P(y0, x1) * dx) * (1 - dy) +
                           (P(y1, x0) * (1 - dx) + P(y1, x1) * dx) * dy;
#undef P
                ck_assert_float_eq_tol(out[c * 16 + oy * 4 + ox], (float)(v / 127.5 - 1), 1e-6f);
            }
    ck_assert_float_eq_tol(out[0], 10 / 127.5f - 1, 1e-6f);
    ck_assert_float_eq_tol(out[12], -1.0f, 1e-6f); /* row 3 samples 2.25: only padding */
}
END_TEST

START_TEST(preprocess_misuse)
{
    uint8_t data[12] = {0};
    float out[3 * 4];
    parn_rgb_image ok = {data, 2, 2, 6};
    ck_assert_int_eq(parn_face_ssd_preprocess(NULL, 2, out), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_ssd_preprocess(&ok, 2, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_ssd_preprocess(&ok, 0, out), PARN_E_INVALID_ARG);
    parn_rgb_image bad[] = {{NULL, 2, 2, 6}, {data, 0, 2, 6}, {data, 2, -1, 6}, {data, 2, 2, 5}};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(parn_face_ssd_preprocess(&bad[i], 2, out), PARN_E_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "ssd"));
    }
    parn_face_detect_params p = parn_face_ssd_defaults();
    ck_assert_int_eq(p.input_size, 512);
    ck_assert_float_eq(p.score_threshold, 0.5f);
    ck_assert_float_eq(p.iou_threshold, 0.5f);
    ck_assert_int_eq(p.max_faces, 100);
}
END_TEST

/* ---- misuse of import and build ------------------------------------------------------------ */

/* Writes a one-tensor manifest (float32 zeros of shape dims) into a fresh folder. */
static const char *write_manifest(const char *name, const int *dims, int ndim)
{
    static char dir[256], path[512];
    snprintf(dir, sizeof dir, "/tmp/parn_face_ssd_%d", (int)getpid());
    mkdir(dir, 0700);
    int64_t n = 1;
    char shape[128] = "";
    for (int i = 0; i < ndim; i++) {
        n *= dims[i];
        snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%d", i ? "," : "", dims[i]);
    }
    snprintf(path, sizeof path, "%s/w.bin", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    float zero = 0.0f;
    for (int64_t i = 0; i < n; i++) fwrite(&zero, sizeof zero, 1, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/m.json", dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "[{\"paths\": [\"w.bin\"], \"weights\": [{\"name\": \"%s\", \"shape\": [%s], "
               "\"dtype\": \"float32\"}]}]", name, shape);
    fclose(f);
    return path;
}

static void remove_manifest(const char *path)
{
    char bin[512];
    snprintf(bin, sizeof bin, "%.*s/w.bin", (int)(strrchr(path, '/') - path), path);
    remove(bin);
    remove(path);
    *strrchr(bin, '/') = 0;
    rmdir(bin);
}

/* Weights that lack a tensor or hold it with other dims are PARN_E_FORMAT naming it. */
START_TEST(import_rejects_wrong_weights)
{
    struct {
        const char *name;
        int dims[4], ndim;
        const char *word;
    } cases[] = {
        {"MobilenetV1/Conv2d_0_pointwise/weights", {3, 3, 3, 16}, 4, "[3, 3, 3, 16]"},
        {"unrelated", {2}, 1, "MobilenetV1/Conv2d_0_pointwise/weights"},
    };
    for (int i = 0; i < 2; i++) {
        const char *path = write_manifest(cases[i].name, cases[i].dims, cases[i].ndim);
        parn_tfjs *w = facetest_load_weights(path);
        parn_model_t *m = parn__calloc(1, sizeof *m);
        ck_assert_int_eq(parn_face_ssd_import(m, w), PARN_E_FORMAT);
        ck_assert_msg(strstr(parn_last_error(NULL), cases[i].word), "message: %s", parn_last_error(NULL));
        ck_assert(!m->has[PARN_NET_DETECTOR]);
        parn_model_destroy(m);
        parn_tfjs_free(w);
        remove_manifest(path);
    }
    ck_assert_int_eq(parn_face_ssd_import(NULL, NULL), PARN_E_INVALID_ARG);
}
END_TEST

START_TEST(build_misuse_is_an_error)
{
    parn_model_t *m = parn__calloc(1, sizeof *m);
    const int64_t dims[][4] = {{1, 3, 256, 256}, {1, 4, 512, 512}, {1, 3, 512, 511}};
    for (int i = 0; i < 3; i++) {
        parn_graph *g = parn_graph_create();
        parn_net net = parn_net_make(g, m, "detector.ssd.", false);
        int x = parn_graph_input(g, "x", 4, dims[i]), scores;
        int y = parn_face_ssd_build(&net, x, &scores);
        parn_net_release(&net);
        optest_expect_failure(g, y, PARN_E_SHAPE, "ssd");
    }
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, "detector.ssd.", false);
    int x = parn_graph_input(g, "x", 4, (int64_t[]){1, 3, S, S}), scores;
    int y = parn_face_ssd_build(&net, x, NULL);
    parn_net_release(&net);
    optest_expect_failure(g, y, PARN_E_INVALID_ARG, "scores");
    /* An empty model: the first weight is missing. */
    g = parn_graph_create();
    net = parn_net_make(g, m, "detector.ssd.", false);
    x = parn_graph_input(g, "x", 4, (int64_t[]){1, 3, S, S});
    y = parn_face_ssd_build(&net, x, &scores);
    parn_net_release(&net);
    optest_expect_failure(g, y, PARN_E_NOT_FOUND, "detector.ssd.backbone.conv0.weight");
    parn_model_destroy(m);
}
END_TEST

/* ---- the network against the numpy reference ------------------------------------------------ */

/* Output of numpy at chosen anchors (first and last of each head, a few inside). */
static const struct probe {
    int anchor;
    float enc[4];
    float logit;
} probes[] = {
    {0, {1.13047f, 1.09295f, -7.80621f, -8.10581f}, -4.29881f},
    {1, {1.14253f, -0.386798f, -1.11055f, 0.212239f}, -5.95344f},
    {1500, {2.27346f, 2.83381f, -7.85951f, -9.21118f}, -4.20835f},
    {3071, {-0.630247f, -1.11929f, -0.420262f, -1.8707f}, -7.64858f},
    {3072, {0.696713f, -0.104208f, -0.391257f, -1.83172f}, -5.86378f},
    {4000, {-0.353211f, -0.136394f, 0.88519f, -0.546581f}, -5.13401f},
    {4607, {-1.65864f, -0.359571f, -1.94837f, -1.33366f}, -6.02285f},
    {4608, {0.637059f, 0.723408f, -0.117179f, -0.907613f}, -6.24716f},
    {4991, {-0.613879f, -0.947439f, -1.08778f, 0.361387f}, -4.89417f},
    {4992, {1.25246f, 1.94426f, -0.548086f, -0.504157f}, -6.34529f},
    {5087, {-0.99764f, -0.734228f, -1.24006f, 0.290563f}, -4.92869f},
    {5088, {-0.203278f, 0.541267f, -0.385381f, -1.14165f}, -4.25825f},
    {5111, {-1.47309f, -0.17103f, -2.59078f, 1.05457f}, -5.02851f},
    {5112, {-0.715901f, -0.207726f, 0.132524f, -1.58525f}, -2.3974f},
    {5117, {-0.174141f, 0.895862f, -2.21732f, 0.358059f}, -4.36132f},
};
#define SUM_ABS_ENCODINGS 27404.119
#define SUM_SCORES 38.642072

/* One picture's outputs against numpy; the anchors must be the model's. */
static void check_outputs(const float *enc, const float *scores, const parn_model_t *m)
{
    double sum_abs = 0, sum_scores = 0, worst = 0;
    for (int k = 0; k < NB; k++) {
        for (int j = 0; j < 4; j++) sum_abs += fabs(enc[8 * k + j]);
        sum_scores += scores[k];
    }
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
        const struct probe *p = &probes[i];
        for (int j = 0; j < 4; j++) {
            double err = fabs(enc[8 * p->anchor + j] - p->enc[j]) / (1 + fabs(p->enc[j]));
            worst = fmax(worst, err);
            ck_assert_msg(err < 1e-3, "anchor %d encoding %d: %g, numpy %g", p->anchor, j,
                          (double)enc[8 * p->anchor + j], (double)p->enc[j]);
        }
        double want = 1 / (1 + exp(-(double)p->logit));
        ck_assert_msg(fabs(scores[p->anchor] - want) < 1e-3 * want, "anchor %d score %g, numpy %g",
                      p->anchor, (double)scores[p->anchor], want);
    }
    printf("network vs numpy: worst probe error %.2g, sum |enc| %.3f (numpy %.3f), sum scores %.5f (numpy %.5f)\n",
           worst, sum_abs, SUM_ABS_ENCODINGS, sum_scores, SUM_SCORES);
    ck_assert(fabs(sum_abs / SUM_ABS_ENCODINGS - 1) < 1e-4);
    ck_assert(fabs(sum_scores / SUM_SCORES - 1) < 1e-4);
    const float *anchors = m->tensors[parn_model_find(m, "detector.ssd.anchors")].t.data;
    for (int k = 0; k < NB; k++)
        ck_assert(memcmp(enc + 8 * k + 4, anchors + 4 * k, 4 * sizeof(float)) == 0);
}

/* A batch of two (the synthetic picture, then a black one) matches numpy on the first and
 * is independent per picture. */
START_TEST(network_matches_numpy)
{
    if (!have_package()) return;
    parn_model_t *m = import_ssd();
    int w = 300, h = 200;
    uint8_t *pic = facetest_synthetic_picture(w, h);
    parn_rgb_image img = {pic, w, h, 3 * w};
    ssd_graph r;
    ssd_graph_make(&r, m, 2);
    ck_assert_int_eq(parn_face_ssd_preprocess(&img, S, r.input), PARN_OK);
    for (int i = 0; i < 3 * S * S; i++) r.input[3 * S * S + i] = -1.0f;
    float *enc = malloc(2 * NB * 8 * sizeof *enc), *scores = malloc(2 * NB * sizeof *scores);
    ssd_graph_run(&r, enc, scores);
    check_outputs(enc, scores, m);
    bool differ = false;
    for (int k = 0; k < NB * 8 && !differ; k++) differ = enc[k] != enc[NB * 8 + k];
    ck_assert_msg(differ, "the second picture's outputs equal the first's");
    for (int k = 0; k < NB; k++)
        ck_assert(memcmp(enc + NB * 8 + 8 * k + 4, enc + 8 * k + 4, 4 * sizeof(float)) == 0);
    free(enc);
    free(scores);
    free(pic);
    ssd_graph_free(&r);
    parn_model_destroy(m);
}
END_TEST

/* ---- detection: decode, then what face-api.js does after it -------------------------------- */

static float iou(const parn_face_box *a, const parn_face_box *b)
{
    float iw = fminf(a->x + a->w, b->x + b->w) - fmaxf(a->x, b->x);
    float ih = fminf(a->y + a->h, b->y + b->h) - fmaxf(a->y, b->y);
    float inter = fmaxf(iw, 0) * fmaxf(ih, 0), u = a->w * a->h + b->w * b->h - inter;
    return u > 0 ? inter / u : 0;
}

/* Greedy NMS (stable order for ties), at most max results; then clipped to the input square
 * and mapped to picture pixels as face-api.js does. Returns the count. */
static int postprocess(parn_face_box *b, int n, float iou_thr, int max, int width, int height)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && b[j].score > b[j - 1].score; j--) {
            parn_face_box t = b[j];
            b[j] = b[j - 1], b[j - 1] = t;
        }
    int kept = 0;
    for (int i = 0; i < n && kept < max; i++) {
        bool ok = true;
        for (int j = 0; j < kept && ok; j++) ok = iou(&b[i], &b[j]) <= iou_thr;
        if (ok) b[kept++] = b[i];
    }
    int side = width > height ? width : height;
    float sx = (float)S / (float)lround((double)width * S / side) * (float)width;
    float sy = (float)S / (float)lround((double)height * S / side) * (float)height;
    for (int i = 0; i < kept; i++) {
        float x0 = fmaxf(b[i].x / S, 0), y0 = fmaxf(b[i].y / S, 0);
        float x1 = fminf((b[i].x + b[i].w) / S, 1), y1 = fminf((b[i].y + b[i].h) / S, 1);
        b[i] = (parn_face_box){x0 * sx, y0 * sy, (x1 - x0) * sx, (y1 - y0) * sy, b[i].score};
    }
    return kept;
}

#define CAP 256

typedef struct detector {
    parn_model_t *m;
    ssd_graph r;
    float *enc, *scores;
    double net_ms;           /* time in the network, after the first run */
    int runs;
} detector;

static void detector_make(detector *d)
{
    d->m = import_ssd();
    ssd_graph_make(&d->r, d->m, 1);
    d->enc = malloc(NB * 8 * sizeof *d->enc);
    d->scores = malloc(NB * sizeof *d->scores);
    d->net_ms = 0;
    d->runs = 0;
}

static void detector_free(detector *d)
{
    free(d->enc);
    free(d->scores);
    ssd_graph_free(&d->r);
    parn_model_destroy(d->m);
}

/* Faces in a picture file, in picture pixels, best first; returns the count. */
static int detect_file(detector *d, const char *path, float min_conf, parn_face_box *out,
                       int *width, int *height)
{
    facetest_picture p = facetest_load_picture(path);
    ck_assert_int_eq(parn_face_ssd_preprocess(&p.img, S, d->r.input), PARN_OK);
    double t0 = facetest_now_ms();
    ssd_graph_run(&d->r, d->enc, d->scores);
    if (d->runs++ > 0) d->net_ms += facetest_now_ms() - t0; /* the first run creates the primitives */
    int n = parn_face_ssd_decode(d->enc, d->scores, S, min_conf, out, CAP);
    ck_assert_int_lt(n, CAP);
    *width = p.img.width, *height = p.img.height;
    parn_frame_free(&p.frame);
    return postprocess(out, n, 0.5f, 100, *width, *height);
}

/* numpy's detections on the demo photos (decoded by PIL): photo, score, x, y, w, h. */
static const struct demo_face {
    int photo;
    float score, x, y, w, h;
} demo_faces[] = {
    {1, 0.9953f, 414.12f, 354.79f, 177.29f, 239.75f},  {1, 0.9935f, 838.05f, 420.74f, 186.40f, 227.81f},
    {1, 0.9888f, 1476.15f, 199.49f, 203.01f, 240.77f}, {2, 0.9892f, 1447.04f, 153.43f, 193.52f, 242.48f},
    {2, 0.8835f, 901.54f, 219.84f, 151.00f, 233.09f},  {2, 0.7565f, 360.98f, 125.68f, 152.73f, 259.44f},
    {3, 0.9888f, 585.29f, 329.21f, 199.11f, 271.01f},  {3, 0.9633f, 1514.40f, 291.64f, 169.52f, 279.58f},
    {3, 0.6223f, 1075.40f, 214.82f, 219.91f, 299.12f}, {4, 0.9845f, 664.37f, 52.63f, 186.71f, 257.73f},
    {4, 0.9697f, 257.46f, 185.20f, 161.93f, 245.20f},  {4, 0.9571f, 988.62f, 180.01f, 169.18f, 227.22f},
    {4, 0.6981f, 1276.83f, 143.68f, 145.36f, 243.63f}, {5, 0.9925f, 787.28f, 108.83f, 156.06f, 211.86f},
    {5, 0.9774f, 1112.77f, 198.13f, 158.36f, 236.39f}, {5, 0.9385f, 1406.38f, 389.70f, 165.40f, 271.50f},
    {5, 0.9383f, 597.87f, 414.94f, 166.17f, 248.86f},  {5, 0.9048f, 376.74f, 859.34f, 172.20f, 300.95f},
    {6, 0.9509f, 680.77f, 320.86f, 159.57f, 306.82f},  {6, 0.9474f, 1180.45f, 304.50f, 188.30f, 279.98f},
    {6, 0.9271f, 1487.03f, 262.71f, 211.88f, 295.91f}, {6, 0.8598f, 249.51f, 467.62f, 210.03f, 290.99f},
};
/* FFmpeg and PIL decode JPEG slightly differently: a few pixels at 1920 px, about 0.01 in score. */
#define DEMO_BOX_TOL 4.0f
#define DEMO_SCORE_TOL 0.02f

/* Every expected face has a distinct detection within tolerance, and there are no others. */
static void match_demo(int photo, const parn_face_box *got, int n, double *worst_box, double *worst_score)
{
    bool used[CAP] = {false};
    int expected = 0;
    for (size_t i = 0; i < sizeof demo_faces / sizeof *demo_faces; i++) {
        const struct demo_face *e = &demo_faces[i];
        if (e->photo != photo) continue;
        expected++;
        int best = -1;
        for (int j = 0; j < n; j++)
            if (!used[j] && (best < 0 || facetest_box_diff(&got[j], e->x, e->y, e->w, e->h) <
                                             facetest_box_diff(&got[best], e->x, e->y, e->w, e->h)))
                best = j;
        ck_assert_msg(best >= 0, "sample%d: face at (%g, %g) not found", photo, (double)e->x, (double)e->y);
        used[best] = true;
        float db = facetest_box_diff(&got[best], e->x, e->y, e->w, e->h), ds = fabsf(got[best].score - e->score);
        *worst_box = fmax(*worst_box, db), *worst_score = fmax(*worst_score, ds);
        ck_assert_msg(db <= DEMO_BOX_TOL && ds <= DEMO_SCORE_TOL,
                      "sample%d: (%.1f, %.1f, %.1f, %.1f) %.3f vs numpy (%.1f, %.1f, %.1f, %.1f) %.3f",
                      photo, (double)got[best].x, (double)got[best].y, (double)got[best].w,
                      (double)got[best].h, (double)got[best].score, (double)e->x, (double)e->y,
                      (double)e->w, (double)e->h, (double)e->score);
    }
    ck_assert_msg(n == expected, "sample%d: %d faces, numpy found %d", photo, n, expected);
}

START_TEST(demo_photos_match_numpy)
{
    if (!have_package()) return;
    detector d;
    detector_make(&d);
    parn_face_box *b = malloc(CAP * sizeof *b);
    double worst_box = 0, worst_score = 0, ms = 0;
    int faces = 0;

    for (int photo = 1; photo <= 6; photo++) {
        char rel[64];
        snprintf(rel, sizeof rel, "demo/sample%d.jpg", photo);
        int w, h;
        double t0 = facetest_now_ms();
        int n = detect_file(&d, facetest_package_file(rel), 0.5f, b, &w, &h);
        if (photo > 1) ms += facetest_now_ms() - t0; /* the first run creates the primitives */
        match_demo(photo, b, n, &worst_box, &worst_score);
        faces += n;
    }
    printf("demo photos: %d faces as numpy, worst box difference %.2f px, worst score difference "
           "%.4f; per photo (2 threads): network %.1f ms, all (JPEG decode, preprocess, network, "
           "postprocess) %.1f ms\n", faces, worst_box, worst_score, d.net_ms / (d.runs - 1), ms / 5);
    free(b);
    detector_free(&d);
}
END_TEST

/* ---- face-api.js's own test picture (../shared/data/faceapi_ref, EXPECTED.md) ------------ */

/* The SSD paragraph of EXPECTED.md: boxes "(x, y, w, h) ~score", the box tolerance at
 * minConfidence 0.5, and the one of the "With minConfidence 0.7" line. Returns the count. */
static int read_expected(const char *path, facetest_expected *e, int cap, float *tol5, float *tol7,
                         float *score_tol)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    int n = 0;
    bool in_ssd = false;
    *tol5 = *tol7 = *score_tol = -1;
    while (fgets(line, sizeof line, f)) {
        if (!in_ssd) {
            char *t = strstr(line, "tolerance ");
            if (strncmp(line, "SSD MobileNet v1", 16) == 0 && t) {
                in_ssd = sscanf(t, "tolerance %f px, score %f", tol5, score_tol) == 2;
            }
            continue;
        }
        if (strncmp(line, "With", 4) == 0) {
            char *t = strstr(line, "tolerance ");
            ck_assert(t && sscanf(t, "tolerance %f", tol7) == 1);
            break;
        }
        for (char *p = strchr(line, '('); p && n < cap; p = strchr(p + 1, '(')) {
            facetest_expected *x = &e[n];
            if (sscanf(p, "(%f, %f, %f, %f) ~%f", &x->x, &x->y, &x->w, &x->h, &x->score) == 5) n++;
        }
    }
    fclose(f);
    ck_assert_msg(n == 6 && *tol5 > 0 && *tol7 > 0 && *score_tol > 0,
                  "%s: SSD paragraph not understood", path);
    return n;
}

/* The faces of the picture at min_conf, matched with the expected ones above it. */
static void check_faces_jpg(detector *d, const char *picture, const facetest_expected *all, int n_all,
                            float min_conf, float tol, float score_tol)
{
    facetest_expected e[8];
    int n = 0;
    for (int i = 0; i < n_all; i++)
        if (all[i].score > min_conf) e[n++] = all[i];
    parn_face_box b[CAP];
    int w, h;
    int got = detect_file(d, picture, min_conf, b, &w, &h);
    char label[64];
    snprintf(label, sizeof label, "faces.jpg at minConfidence %.1f", (double)min_conf);
    facetest_match_sorted(label, b, got, e, n, tol, score_tol);
}

START_TEST(faceapi_test_picture)
{
    char expected[1024], picture[1024];
    if (!facetest_faceapi_ref(expected, picture, sizeof expected) || !have_package()) return;
    facetest_expected e[8];
    float tol5, tol7, score_tol;
    int n = read_expected(expected, e, 8, &tol5, &tol7, &score_tol);
    detector d;
    detector_make(&d);
    check_faces_jpg(&d, picture, e, n, 0.5f, tol5, score_tol);
    check_faces_jpg(&d, picture, e, n, 0.7f, tol7, score_tol);
    detector_free(&d);
}
END_TEST

/* ---- the detector runner with kind "ssd" ---------------------------------------------------- */

START_TEST(runner_matches_numpy)
{
    if (!have_package()) return;
    parn_model_t *m = import_ssd();
    parn_face_detector *det = facetest_detector(m, "ssd");
    parn_face_detect_params p = parn_face_ssd_defaults();
    parn_face_box b[CAP];
    double worst_box = 0, worst_score = 0;
    for (int photo = 1; photo <= 6; photo++) {
        char rel[64];
        snprintf(rel, sizeof rel, "demo/sample%d.jpg", photo);
        facetest_picture pic = facetest_load_picture(facetest_package_file(rel));
        int n = -1;
        parn_status st = parn_face_detect(det, &pic.img, &p, b, CAP, &n);
        ck_assert_msg(st == PARN_OK, "detect: %s", parn_last_error(NULL));
        match_demo(photo, b, n, &worst_box, &worst_score);
        parn_frame_free(&pic.frame);
    }
    printf("runner: worst box difference %.2f px, score %.4f\n", worst_box, worst_score);
    parn_face_detector_destroy(det);
    parn_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("face_ssd");
    TCase *unit = tcase_create("unit");
    tcase_add_test(unit, decode_zero_encoding_is_the_anchor);
    tcase_add_test(unit, decode_applies_the_box_coder);
    tcase_add_test(unit, decode_keeps_the_best_when_full);
    tcase_add_test(unit, preprocess_pads_resizes_and_scales);
    suite_add_tcase(s, unit);
    TCase *misuse = tcase_create("misuse");
    tcase_add_test(misuse, preprocess_misuse);
    tcase_add_test(misuse, import_rejects_wrong_weights);
    tcase_add_test(misuse, build_misuse_is_an_error);
    suite_add_tcase(s, misuse);
    TCase *network = tcase_create("network");
    tcase_set_timeout(network, 300);
    tcase_add_test(network, network_matches_numpy);
    tcase_add_test(network, demo_photos_match_numpy);
    tcase_add_test(network, faceapi_test_picture);
    tcase_add_test(network, runner_matches_numpy);
    suite_add_tcase(s, network);
    return optest_main(s);
}
