/* SPDX-License-Identifier: MIT */
/* The face detector runner: picture -> network input -> graph -> boxes -> NMS -> picture pixels. */
#include "models/faces.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GRAPH_SLOTS 4       /* input sizes kept built at once (least recently used goes) */
#define MAX_PICTURE_SIDE 65536

typedef enum detector_kind { KIND_TINY, KIND_SSD } detector_kind;

/* Per kind: its name, network prefix, defaults and input conversion. */
typedef struct kind_info {
    const char *name, *prefix;
    parn_face_detect_params (*defaults)(void);
    parn_status (*preprocess)(const parn_rgb_image *img, int size, float *out);
} kind_info;

static const kind_info kinds[] = {
    [KIND_TINY] = {"tiny", "detector.tiny.", parn_face_tiny_defaults, parn_face_tiny_preprocess},
    [KIND_SSD] = {"ssd", "detector.ssd.", parn_face_ssd_defaults, parn_face_ssd_preprocess},
};

/* The graph of one input size with its buffers. */
typedef struct size_graph {
    int size;                /* 0: empty slot */
    parn_graph *g;
    int input, out, scores;  /* nodes; scores only for the SSD */
    float *input_data;       /* 3 x size x size, bound to input */
    float *out_data, *scores_data;
    parn_face_box *cand;     /* one candidate per anchor */
    int cand_cap;
    uint64_t last_used;
} size_graph;

struct parn_face_detector {
    parn_model_t *model;
    const parn_backend *be;
    parn_backend_ctx *ctx;
    detector_kind kind;
    size_graph slots[GRAPH_SLOTS];
    uint64_t clock;
};

/* ---- picture to network input --------------------------------------------------------------- */

static inline float pixel(const parn_rgb_image *img, int y, int x, int c)
{
    return y < img->height && x < img->width
               ? (float)img->data[(size_t)y * (size_t)img->stride + 3 * (size_t)x + (size_t)c]
               : 0.0f; /* the black padding */
}

void parn_face_letterbox(const parn_rgb_image *img, int size, const float mean[3], float scale,
                         float *dst)
{
    if (!img || !img->data || !mean || !dst || size <= 0 || img->width <= 0 || img->height <= 0)
        return;
    int side = img->width > img->height ? img->width : img->height;
    double step = (double)side / size;
    size_t plane = (size_t)size * (size_t)size;
#pragma omp parallel for if (plane > 16384)
    for (int oy = 0; oy < size; oy++) {
        double sy = oy * step;
        int y0 = (int)sy, y1 = y0 + 1 < side ? y0 + 1 : side - 1;
        float fy = (float)(sy - y0);
        for (int ox = 0; ox < size; ox++) {
            double sx = ox * step;
            int x0 = (int)sx, x1 = x0 + 1 < side ? x0 + 1 : side - 1;
            float fx = (float)(sx - x0);
            for (int c = 0; c < 3; c++) {
                float top = pixel(img, y0, x0, c) * (1 - fx) + pixel(img, y0, x1, c) * fx;
                float bottom = pixel(img, y1, x0, c) * (1 - fx) + pixel(img, y1, x1, c) * fx;
                float v = top * (1 - fy) + bottom * fy;
                dst[c * plane + (size_t)oy * size + ox] = (v - mean[c]) * scale;
            }
        }
    }
}

/* ---- graphs per input size ------------------------------------------------------------------- */

static void release_graph(size_graph *s)
{
    parn_graph_destroy(s->g);
    parn__free(s->input_data);
    parn__free(s->out_data);
    parn__free(s->scores_data);
    parn__free(s->cand);
    memset(s, 0, sizeof *s);
}

static float *output_buffer(const parn_graph *g, int node)
{
    size_t n = (size_t)parn_tensor_numel(parn_graph_tensor(g, node));
    return parn__aligned_alloc(n * sizeof(float));
}

/* Appends the network on a 1 x 3 x size x size input; the graph's sticky status tells. */
static void append_network(const parn_face_detector *d, size_graph *s)
{
    parn_net net = parn_net_make(s->g, d->model, kinds[d->kind].prefix, false);
    net.frozen = true;
    s->input = parn_graph_input(s->g, "picture", 4, (const int64_t[]){1, 3, s->size, s->size});
    s->scores = -1;
    s->out = d->kind == KIND_TINY ? parn_face_tiny_build(&net, s->input)
                                  : parn_face_ssd_build(&net, s->input, &s->scores);
    parn_net_release(&net);
    if (d->kind == KIND_SSD && s->out >= 0 && s->scores < 0)
        parn_graph_fail(s->g, PARN_E_INTERNAL, "ssd: the builder gave no scores node");
}

/* The candidate capacity: one box per anchor (tiny: 5 channels per box; SSD: one score per box). */
static int candidates_of(const parn_face_detector *d, const size_graph *s)
{
    if (d->kind == KIND_SSD) return (int)parn_tensor_numel(parn_graph_tensor(s->g, s->scores));
    return (int)(parn_tensor_numel(parn_graph_tensor(s->g, s->out)) / 5);
}

static parn_status build_graph(const parn_face_detector *d, int size, size_graph *s)
{
    memset(s, 0, sizeof *s);
    s->size = size;
    s->g = parn_graph_create();
    PARN_RETURN_IF(!s->g, PARN_E_NOMEM, "face detector: out of memory");
    append_network(d, s);
    parn_status st = parn_graph_status(s->g);
    if (st != PARN_OK) {
        st = parn__fail(st, "face detector (%s, input %d): %s", kinds[d->kind].name, size,
                        parn_graph_error(s->g));
        release_graph(s);
        return st;
    }
    parn_graph_keep(s->g, s->out);
    if (s->scores >= 0) parn_graph_keep(s->g, s->scores);
    s->input_data = parn__aligned_alloc((size_t)3 * size * size * sizeof(float));
    s->out_data = output_buffer(s->g, s->out);
    s->scores_data = s->scores >= 0 ? output_buffer(s->g, s->scores) : NULL;
    s->cand_cap = candidates_of(d, s);
    s->cand = parn__calloc((size_t)(s->cand_cap > 0 ? s->cand_cap : 1), sizeof *s->cand);
    if (!s->input_data || !s->out_data || (s->scores >= 0 && !s->scores_data) || !s->cand)
        st = parn__fail(PARN_E_NOMEM, "face detector: out of memory");
    if (st == PARN_OK) st = parn_graph_bind(s->g, s->input, s->input_data);
    if (st == PARN_OK) st = parn_graph_plan(s->g, d->be, d->ctx);
    if (st != PARN_OK) release_graph(s);
    return st;
}

/* The graph for this input size: kept, or built in an empty or the least recently used slot. */
static parn_status graph_for(parn_face_detector *d, int size, size_graph **out)
{
    size_graph *slot = NULL;
    for (int i = 0; i < GRAPH_SLOTS; i++) {
        size_graph *s = &d->slots[i];
        if (s->size == size) {
            slot = s;
            break;
        }
        if (!slot || (slot->size && (!s->size || s->last_used < slot->last_used))) slot = s;
    }
    if (slot->size != size) {
        release_graph(slot);
        PARN_TRY(build_graph(d, size, slot));
    }
    slot->last_used = ++d->clock;
    *out = slot;
    return PARN_OK;
}

/* ---- runner ---------------------------------------------------------------------------------- */

parn_status parn_face_detector_create(parn_model_t *m, const char *kind, const parn_backend *be,
                                      parn_backend_ctx *ctx, parn_face_detector **out)
{
    PARN_RETURN_IF(!m || !kind || !be || !ctx || !out, PARN_E_INVALID_ARG,
                   "parn_face_detector_create: NULL argument");
    *out = NULL;
    int k = strcmp(kind, "tiny") == 0 ? KIND_TINY : strcmp(kind, "ssd") == 0 ? KIND_SSD : -1;
    PARN_RETURN_IF(k < 0, PARN_E_INVALID_ARG, "face detector: unknown kind '%s' (tiny, ssd)", kind);
    parn_face_detector *d = parn__calloc(1, sizeof *d);
    PARN_RETURN_IF(!d, PARN_E_NOMEM, "face detector: out of memory");
    *d = (parn_face_detector){.model = m, .be = be, .ctx = ctx, .kind = (detector_kind)k};
    /* Building the default size now reports missing or misshapen weights at once. */
    size_graph *s;
    parn_status st = graph_for(d, kinds[k].defaults().input_size, &s);
    if (st != PARN_OK) {
        parn_face_detector_destroy(d);
        return st;
    }
    *out = d;
    return PARN_OK;
}

void parn_face_detector_destroy(parn_face_detector *d)
{
    if (!d) return;
    for (int i = 0; i < GRAPH_SLOTS; i++) release_graph(&d->slots[i]);
    parn__free(d);
}

/* The parameters to run with: zeros and negatives take the kind's defaults (see faces.h). */
static parn_status check_params(detector_kind kind, const parn_face_detect_params *p,
                                parn_face_detect_params *out)
{
    parn_face_detect_params def = kinds[kind].defaults();
    *out = p ? *p : def;
    if (out->input_size == 0 || kind == KIND_SSD) out->input_size = def.input_size;
    if (out->score_threshold < 0) out->score_threshold = def.score_threshold;
    if (out->iou_threshold < 0) out->iou_threshold = def.iou_threshold;
    if (out->max_faces <= 0) out->max_faces = INT32_MAX;
    int s = out->input_size;
    PARN_RETURN_IF(s < 32 || s > 4096 || s % 32 != 0, PARN_E_INVALID_ARG,
                   "face detector (%s): input size %d is not a multiple of 32 in 32..4096",
                   kinds[kind].name, s);
    PARN_RETURN_IF(!(out->score_threshold <= 1), PARN_E_INVALID_ARG,
                   "face detector: score threshold %g is not in [0, 1]", out->score_threshold);
    PARN_RETURN_IF(!(out->iou_threshold <= 1), PARN_E_INVALID_ARG,
                   "face detector: IoU threshold %g is not in [0, 1]", out->iou_threshold);
    return PARN_OK;
}

static parn_status check_image(const parn_rgb_image *img)
{
    PARN_RETURN_IF(!img->data, PARN_E_INVALID_ARG, "face detector: the picture has no data");
    PARN_RETURN_IF(img->width < 1 || img->height < 1 || img->width > MAX_PICTURE_SIDE ||
                       img->height > MAX_PICTURE_SIDE,
                   PARN_E_SHAPE, "face detector: picture size %d x %d is not in 1..%d", img->width,
                   img->height, MAX_PICTURE_SIDE);
    PARN_RETURN_IF(img->stride < 3 * img->width, PARN_E_SHAPE,
                   "face detector: row stride %d is below 3 x width (%d)", img->stride,
                   3 * img->width);
    return PARN_OK;
}

static float clampf(float v, float hi)
{
    return v < 0 ? 0 : v > hi ? hi : v;
}

/* Network-input boxes -> picture pixels, undoing the padding the way face-api.js does
 * (scale by side / round(side * size / longest side)), clamped to the picture; boxes left
 * empty are dropped. Returns how many remain (at most limit). */
static int to_picture(parn_face_box *b, int n, int size, int width, int height, int limit)
{
    double longest = width > height ? width : height;
    double rw = floor(width * (size / longest) + 0.5), rh = floor(height * (size / longest) + 0.5);
    float sx = (float)(width / (rw > 1 ? rw : 1)), sy = (float)(height / (rh > 1 ? rh : 1));
    int k = 0;
    for (int i = 0; i < n && k < limit; i++) {
        float x0 = clampf(b[i].x * sx, (float)width);
        float x1 = clampf((b[i].x + b[i].w) * sx, (float)width);
        float y0 = clampf(b[i].y * sy, (float)height);
        float y1 = clampf((b[i].y + b[i].h) * sy, (float)height);
        if (x1 > x0 && y1 > y0) b[k++] = (parn_face_box){x0, y0, x1 - x0, y1 - y0, b[i].score};
    }
    return k;
}

parn_status parn_face_detect(parn_face_detector *d, const parn_rgb_image *img,
                             const parn_face_detect_params *p, parn_face_box *boxes, int cap,
                             int *count)
{
    PARN_RETURN_IF(!d || !img || !count || (cap > 0 && !boxes) || cap < 0, PARN_E_INVALID_ARG,
                   "parn_face_detect: NULL argument or negative capacity");
    *count = 0;
    parn_face_detect_params prm;
    PARN_TRY(check_params(d->kind, p, &prm));
    PARN_TRY(check_image(img));
    size_graph *s;
    PARN_TRY(graph_for(d, prm.input_size, &s));

    if (d->be->ctx_enter) d->be->ctx_enter(d->ctx); /* the preprocessing's threads, too */
    PARN_TRY(kinds[d->kind].preprocess(img, s->size, s->input_data));
    PARN_TRY(parn_graph_run(s->g, d->be, d->ctx));
    PARN_TRY(parn_graph_read(s->g, s->out, s->out_data));
    int n;
    if (d->kind == KIND_TINY) {
        n = parn_face_tiny_decode(s->out_data, s->size / 32, prm.score_threshold, s->cand,
                                  s->cand_cap);
    } else {
        PARN_TRY(parn_graph_read(s->g, s->scores, s->scores_data));
        n = parn_face_ssd_decode(s->out_data, s->scores_data, s->size, prm.score_threshold, s->cand,
                                 s->cand_cap);
    }
    parn_face_nms(s->cand, &n, prm.iou_threshold);
    int limit = cap < prm.max_faces ? cap : prm.max_faces;
    n = to_picture(s->cand, n, s->size, img->width, img->height, limit);
    if (n > 0) memcpy(boxes, s->cand, (size_t)n * sizeof *boxes);
    *count = n;
    return PARN_OK;
}

/* ---- non-maximum suppression ----------------------------------------------------------------- */

static float iou(const parn_face_box *a, const parn_face_box *b)
{
    float iw = fminf(a->x + a->w, b->x + b->w) - fmaxf(a->x, b->x);
    float ih = fminf(a->y + a->h, b->y + b->h) - fmaxf(a->y, b->y);
    if (iw <= 0 || ih <= 0) return 0;
    float inter = iw * ih, uni = a->w * a->h + b->w * b->h - inter;
    return uni > 0 ? inter / uni : 0;
}

/* Best score first; ties by position so that the order never depends on the sort. */
static int by_score(const void *pa, const void *pb)
{
    const parn_face_box *a = pa, *b = pb;
    const float ka[5] = {-a->score, a->x, a->y, a->w, a->h};
    const float kb[5] = {-b->score, b->x, b->y, b->w, b->h};
    for (int i = 0; i < 5; i++)
        if (ka[i] != kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
}

void parn_face_nms(parn_face_box *boxes, int *n, float iou_threshold)
{
    if (!boxes || !n || *n <= 0) return;
    qsort(boxes, (size_t)*n, sizeof *boxes, by_score);
    /* A box survives when no better box that survived overlaps it too much: greedy NMS. */
    int kept = 0;
    for (int i = 0; i < *n; i++) {
        bool keep = true;
        for (int j = 0; j < kept && keep; j++) keep = !(iou(&boxes[j], &boxes[i]) > iou_threshold);
        if (keep) boxes[kept++] = boxes[i];
    }
    *n = kept;
}
