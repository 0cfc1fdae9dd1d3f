/* SPDX-License-Identifier: MIT */
/* face-api.js TinyFaceDetector (separable Tiny-YOLOv2): TF.js import, graph, decoding. */
#include "faces.h"
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PREFIX "detector.tiny."
#define N_LAYERS 6          /* conv0 (plain) and the separable conv1..conv5 */
#define N_ANCHORS 5
#define HEAD_CHANNELS (N_ANCHORS * 5)
#define CELL 32             /* input pixels per output cell */

/* Channels entering each layer and, last, leaving conv5. */
static const int channels[N_LAYERS + 1] = {3, 16, 32, 64, 128, 256, 512};

/* Anchor (width, height) in cells. */
static const float anchors[N_ANCHORS][2] = {
    {1.603231f, 2.094468f}, {6.041143f, 7.080126f}, {2.882459f, 3.518061f},
    {4.266906f, 5.178857f}, {9.041765f, 10.66308f}};

parn_face_detect_params parn_face_tiny_defaults(void)
{
    return (parn_face_detect_params){.input_size = 416, .score_threshold = 0.5f,
                                     .iou_threshold = 0.4f, .max_faces = 100};
}

parn_status parn_face_tiny_preprocess(const parn_rgb_image *img, int size, float *out)
{
    static const float mean[3] = {117.001f, 114.697f, 97.404f};
    PARN_RETURN_IF(!img || !img->data || !out, PARN_E_INVALID_ARG, "tiny preprocess: NULL argument");
    PARN_RETURN_IF(img->width < 1 || img->height < 1 || img->stride < 3 * img->width,
                   PARN_E_INVALID_ARG, "tiny preprocess: bad picture %d x %d, stride %d",
                   img->width, img->height, img->stride);
    PARN_RETURN_IF(size < 1, PARN_E_INVALID_ARG, "tiny preprocess: bad size %d", size);
    parn_face_letterbox(img, size, mean, 1.0f / 255.0f, out);
    return PARN_OK;
}

/* ---- import ---------------------------------------------------------------------------------- */

typedef enum layout { VECTOR, FILTER } layout; /* FILTER: TF H x W x IC x OC -> OC x IC x H x W */

/* One TF.js tensor and the model tensor it becomes. */
typedef struct tiny_tensor {
    char tf[40], name[48];
    int ndim;
    int64_t tf_dims[4];
    layout kind;
} tiny_tensor;

#define N_TENSORS (2 + 3 * (N_LAYERS - 1) + 2)

static tiny_tensor filter(const char *tf, const char *name, int k, int ic, int oc)
{
    tiny_tensor t = {.ndim = 4, .tf_dims = {k, k, ic, oc}, .kind = FILTER};
    snprintf(t.tf, sizeof t.tf, "%s", tf);
    snprintf(t.name, sizeof t.name, "%s", name);
    return t;
}

static tiny_tensor vector(const char *tf, const char *name, int n)
{
    tiny_tensor t = {.ndim = 1, .tf_dims = {n}, .kind = VECTOR};
    snprintf(t.tf, sizeof t.tf, "%s", tf);
    snprintf(t.name, sizeof t.name, "%s", name);
    return t;
}

/* The 19 tensors of the network. Depthwise filters (H x W x C x 1) take the FILTER route with
 * OC = 1, which lays them out as C x 1 x H x W. */
static void tensor_table(tiny_tensor *t)
{
    int n = 0;
    t[n++] = filter("conv0/filters", "conv0.weight", 3, channels[0], channels[1]);
    t[n++] = vector("conv0/bias", "conv0.bias", channels[1]);
    for (int i = 1; i < N_LAYERS; i++) {
        int ic = channels[i], oc = channels[i + 1];
        char tf[40], name[48];
        snprintf(tf, sizeof tf, "conv%d/depthwise_filter", i);
        snprintf(name, sizeof name, "conv%d.depthwise.weight", i);
        t[n++] = filter(tf, name, 3, ic, 1);
        snprintf(tf, sizeof tf, "conv%d/pointwise_filter", i);
        snprintf(name, sizeof name, "conv%d.pointwise.weight", i);
        t[n++] = filter(tf, name, 1, ic, oc);
        snprintf(tf, sizeof tf, "conv%d/bias", i);
        snprintf(name, sizeof name, "conv%d.pointwise.bias", i);
        t[n++] = vector(tf, name, oc);
    }
    t[n++] = filter("conv8/filters", "conv8.weight", 1, channels[N_LAYERS], HEAD_CHANNELS);
    t[n++] = vector("conv8/bias", "conv8.bias", HEAD_CHANNELS);
}

/* The TF.js tensor for t, checked against its expected shape. */
static parn_status find_source(const parn_tfjs *w, const tiny_tensor *t, parn_tensor *src)
{
    if (parn_tfjs_get(w, t->tf, src) != PARN_OK)
        return parn__fail(PARN_E_NOT_FOUND, "tiny: the weights have no '%s' (not a tiny face "
                          "detector manifest?)", t->tf);
    parn_tensor want = {.ndim = t->ndim};
    memcpy(want.dims, t->tf_dims, sizeof t->tf_dims);
    PARN_RETURN_IF(!parn_tensor_same_dims(src, &want), PARN_E_SHAPE,
                   "tiny: weight '%s' is %s, the network needs %s", t->tf,
                   parn_tensor_shape_str(src), parn_tensor_shape_str(&want));
    return PARN_OK;
}

static void hwio_to_oihw(const float *src, const int64_t *d, float *dst)
{
    int64_t kh = d[0], kw = d[1], ic = d[2], oc = d[3];
    for (int64_t o = 0; o < oc; o++)
        for (int64_t i = 0; i < ic; i++)
            for (int64_t y = 0; y < kh; y++)
                for (int64_t x = 0; x < kw; x++)
                    dst[((o * ic + i) * kh + y) * kw + x] = src[((y * kw + x) * ic + i) * oc + o];
}

static parn_status add_converted(parn_model_t *m, const tiny_tensor *t, const parn_tensor *src)
{
    char full[96];
    snprintf(full, sizeof full, PREFIX "%s", t->name);
    const int64_t *d = t->tf_dims;
    int64_t dims[4] = {d[3], d[2], d[0], d[1]};
    if (t->kind == FILTER && d[3] == 1) { /* depthwise: C x 1 x H x W */
        dims[0] = d[2];
        dims[1] = 1;
    }
    int idx;
    PARN_TRY(parn_model_add(m, full, t->ndim, t->kind == FILTER ? dims : d, &idx));
    float *dst = m->tensors[idx].t.data;
    if (t->kind == FILTER)
        hwio_to_oihw(src->data, d, dst);
    else
        memcpy(dst, src->data, (size_t)d[0] * sizeof *dst);
    return PARN_OK;
}

parn_status parn_face_tiny_import(parn_model_t *m, const parn_tfjs *w)
{
    PARN_RETURN_IF(!m || !w, PARN_E_INVALID_ARG, "parn_face_tiny_import: NULL argument");
    tiny_tensor table[N_TENSORS];
    parn_tensor src[N_TENSORS];
    tensor_table(table);
    /* Everything is checked before the model changes. */
    for (int i = 0; i < N_TENSORS; i++) PARN_TRY(find_source(w, &table[i], &src[i]));
    PARN_RETURN_IF(parn_tfjs_count(w) != N_TENSORS, PARN_E_FORMAT,
                   "tiny: the weights hold %d tensors, the network has %d (not a tiny face "
                   "detector manifest?)", parn_tfjs_count(w), N_TENSORS);
    for (int i = 0; i < N_TENSORS; i++) {
        char full[96];
        snprintf(full, sizeof full, PREFIX "%s", table[i].name);
        PARN_RETURN_IF(parn_model_find(m, full) >= 0, PARN_E_STATE,
                       "tiny: the model already has '%s'", full);
    }
    for (int i = 0; i < N_TENSORS; i++) PARN_TRY(add_converted(m, &table[i], &src[i]));
    m->has[PARN_NET_DETECTOR] = true;
    return PARN_OK;
}

/* ---- graph ----------------------------------------------------------------------------------- */

/* Max pooling with TensorFlow's SAME padding: the extra row/column goes after, and padded
 * positions never win (oneDNN's max pooling ignores padding). */
static int max_pool_same(parn_graph *g, int x, int stride)
{
    const parn_tensor *t = parn_graph_tensor(g, x);
    if (!t) return -1;
    parn_pool_attrs a = parn_pool_attrs_default(2, true, 2);
    for (int i = 0; i < 2; i++) {
        int64_t in = t->dims[2 + i], out = (in + stride - 1) / stride;
        int64_t total = (out - 1) * stride + 2 - in;
        total = total > 0 ? total : 0;
        a.stride[i] = stride;
        a.pad_lo[i] = (int)(total / 2);
        a.pad_hi[i] = (int)(total - total / 2);
    }
    return parn_pool(g, x, &a);
}

/* conv k x k (+ bias when it has one); pad on every side, groups as given. */
static int conv(parn_net *net, const char *name, int x, int ic, int oc, int k, int pad,
                int groups, bool bias)
{
    parn_conv_attrs a = parn_conv_attrs_default(2);
    a.groups = groups;
    for (int i = 0; i < 2; i++) a.pad_lo[i] = a.pad_hi[i] = pad;
    return parn_net_conv(net, name, x, ic, oc, (const int[]){k, k}, &a, bias);
}

/* Depthwise 3 x 3 (zero padding 1, no bias) then pointwise 1 x 1 with bias. */
static int separable(parn_net *net, int layer, int x, int ic, int oc)
{
    char dw[32], pw[32];
    snprintf(dw, sizeof dw, "conv%d.depthwise", layer);
    snprintf(pw, sizeof pw, "conv%d.pointwise", layer);
    int y = conv(net, dw, x, ic, ic, 3, 1, ic, false);
    return conv(net, pw, y, ic, oc, 1, 0, 1, true);
}

int parn_face_tiny_build(parn_net *net, int x)
{
    if (!net || !net->g) return -1;
    parn_graph *g = net->g;
    if (parn_graph_status(g) != PARN_OK) return -1;
    const parn_tensor *t = parn_graph_tensor(g, x);
    if (!t) return parn_graph_fail(g, PARN_E_INVALID_ARG, "tiny: input %d is not a node", x);
    if (t->ndim != 4 || t->dims[1] != 3 || t->dims[2] != t->dims[3] || t->dims[2] % CELL != 0)
        return parn_graph_fail(g, PARN_E_SHAPE, "tiny: the input is %s, not N x 3 x S x S with "
                               "S a multiple of %d", parn_tensor_shape_str(t), CELL);
    int y = conv(net, "conv0", x, channels[0], channels[1], 3, 0, 1, true);
    y = max_pool_same(g, parn_leaky_relu(g, y, 0.1f), 2);
    for (int i = 1; i < N_LAYERS; i++) {
        y = parn_leaky_relu(g, separable(net, i, y, channels[i], channels[i + 1]), 0.1f);
        y = max_pool_same(g, y, i < N_LAYERS - 1 ? 2 : 1);
    }
    return conv(net, "conv8", y, channels[N_LAYERS], HEAD_CHANNELS, 1, 0, 1, true);
}

/* ---- decoding -------------------------------------------------------------------------------- */

static float sigmoid(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

/* Appends b, or when full replaces the lowest-scoring box if b scores higher. */
static int keep_best(parn_face_box *boxes, int n, int cap, parn_face_box b)
{
    if (n < cap) {
        boxes[n] = b;
        return n + 1;
    }
    int low = 0;
    for (int i = 1; i < n; i++)
        if (boxes[i].score < boxes[low].score) low = i;
    if (b.score > boxes[low].score) boxes[low] = b;
    return n;
}

/* out: the 25 x grid x grid output of one picture (plain); channel a * 5 + k holds anchor a's
 * k = tx, ty, tw, th, objectness. Boxes are in pixels of the grid * 32 square input. */
int parn_face_tiny_decode(const float *out, int grid, float threshold, parn_face_box *boxes, int cap)
{
    if (!out || !boxes || grid <= 0 || cap <= 0) return 0;
    int64_t plane = (int64_t)grid * grid;
    int n = 0;
    for (int row = 0; row < grid; row++)
        for (int col = 0; col < grid; col++)
            for (int a = 0; a < N_ANCHORS; a++) {
                const float *v = out + (int64_t)a * 5 * plane + (int64_t)row * grid + col;
                float score = sigmoid(v[4 * plane]);
                if (!(score >= threshold)) continue;
                float cx = (col + sigmoid(v[0])) * CELL, cy = (row + sigmoid(v[plane])) * CELL;
                float w = expf(v[2 * plane]) * anchors[a][0] * CELL;
                float h = expf(v[3 * plane]) * anchors[a][1] * CELL;
                n = keep_best(boxes, n, cap,
                              (parn_face_box){cx - w / 2, cy - h / 2, w, h, score});
            }
    return n;
}
