/* SPDX-License-Identifier: MIT */
/* face-api.js FaceRecognitionNet (dlib's 29-conv ResNet, 128-d descriptors): TF.js import
 * (scale layers folded into the convolutions), graph builder, and a runner that preprocesses a
 * face crop as face-api.js does. */
#include "faces.h"
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FR_SIZE 150         /* the network's input side */
#define FR_DIM 128          /* descriptor length */
#define FR_STEM_KERNEL 7

/* The per-channel RGB means face-api.js subtracts before dividing by 255. */
static const float fr_mean[3] = {122.782f, 117.001f, 104.298f};

/* Residual blocks in network order: two 3x3 convs each; "down" blocks halve the size with a
 * stride-2 first conv and an average-pooled shortcut. */
typedef struct fr_block {
    const char *name;
    int in_c, out_c;
    bool down;
} fr_block;

static const fr_block fr_blocks[] = {
    {"conv32_1", 32, 32, false},     {"conv32_2", 32, 32, false},     {"conv32_3", 32, 32, false},
    {"conv64_down", 32, 64, true},   {"conv64_1", 64, 64, false},     {"conv64_2", 64, 64, false},
    {"conv64_3", 64, 64, false},     {"conv128_down", 64, 128, true}, {"conv128_1", 128, 128, false},
    {"conv128_2", 128, 128, false},  {"conv256_down", 128, 256, true}, {"conv256_1", 256, 256, false},
    {"conv256_2", 256, 256, false},  {"conv256_down_out", 256, 256, true},
};
#define FR_BLOCKS ((int)(sizeof fr_blocks / sizeof fr_blocks[0]))
#define FR_CONVS (1 + 2 * FR_BLOCKS)

/* ---- import: TF.js tensors -> model tensors in PyTorch layouts ---------------------------- */

/* A conv layer: "conv32_1/conv1" in TF.js, "conv32_1.conv1" in the model. */
typedef struct fr_conv {
    char tf[48], torch[48];
    int k, in_c, out_c;
} fr_conv;

/* Every conv layer in network order. */
static void list_convs(fr_conv *c)
{
    *c++ = (fr_conv){"conv32_down", "conv32_down", FR_STEM_KERNEL, 3, 32};
    for (int b = 0; b < FR_BLOCKS; b++) {
        const fr_block *bl = &fr_blocks[b];
        for (int i = 1; i <= 2; i++, c++) {
            snprintf(c->tf, sizeof c->tf, "%s/conv%d", bl->name, i);
            snprintf(c->torch, sizeof c->torch, "%s.conv%d", bl->name, i);
            c->k = 3;
            c->in_c = i == 1 ? bl->in_c : bl->out_c;
            c->out_c = bl->out_c;
        }
    }
}

/* The TF.js tensor prefix/leaf, checked against the architecture's dims. */
static parn_status get_tf(const parn_tfjs *w, const char *prefix, const char *leaf, int ndim,
                          const int64_t *dims, parn_tensor *t)
{
    char name[96];
    int len = snprintf(name, sizeof name, "%s%s%s", prefix, *leaf ? "/" : "", leaf);
    PARN_RETURN_IF(len < 0 || len >= (int)sizeof name, PARN_E_INVALID_ARG, "embedder: name too long");
    parn_status st = parn_tfjs_get(w, name, t);
    PARN_RETURN_IF(st == PARN_E_NOT_FOUND, PARN_E_FORMAT, "embedder: the weights have no '%s'", name);
    PARN_TRY(st);
    parn_tensor want = {.ndim = ndim};
    memcpy(want.dims, dims, (size_t)ndim * sizeof *dims);
    PARN_RETURN_IF(!parn_tensor_same_dims(t, &want), PARN_E_FORMAT,
                   "embedder: '%s' is %s, FaceRecognitionNet needs %s", name, parn_tensor_shape_str(t),
                   parn_tensor_shape_str(&want));
    return PARN_OK;
}

/* Adds the model tensor "embedder.<name>"; *data receives its zeroed storage. */
static parn_status add_tensor(parn_model_t *m, const char *name, int ndim, const int64_t *dims, float **data)
{
    char full[96];
    snprintf(full, sizeof full, "%s.%s", parn_net_name(PARN_NET_EMBEDDER), name);
    int idx;
    PARN_TRY(parn_model_add(m, full, ndim, dims, &idx));
    *data = m->tensors[idx].t.data;
    return PARN_OK;
}

/* One conv layer: filters (kh x kw x in x out), conv bias, and the scale layer (dlib's affine
 * layer, a folded batch norm: y * weights + biases). The scale is folded into the convolution
 * as batch norms are for inference, so the model holds "<layer>.weight" (out x in x kh x kw)
 * and "<layer>.bias". Without m, only checks the tensors. */
static parn_status import_conv(parn_model_t *m, const parn_tfjs *w, const fr_conv *c)
{
    parn_tensor f, b, s, sb;
    int64_t k = c->k, in_c = c->in_c, out_c = c->out_c;
    PARN_TRY(get_tf(w, c->tf, "conv/filters", 4, (int64_t[]){k, k, in_c, out_c}, &f));
    PARN_TRY(get_tf(w, c->tf, "conv/bias", 1, &out_c, &b));
    PARN_TRY(get_tf(w, c->tf, "scale/weights", 1, &out_c, &s));
    PARN_TRY(get_tf(w, c->tf, "scale/biases", 1, &out_c, &sb));
    if (!m) return PARN_OK;
    char name[64];
    float *weight, *bias;
    snprintf(name, sizeof name, "%s.weight", c->torch);
    PARN_TRY(add_tensor(m, name, 4, (int64_t[]){out_c, in_c, k, k}, &weight));
    snprintf(name, sizeof name, "%s.bias", c->torch);
    PARN_TRY(add_tensor(m, name, 1, &out_c, &bias));
    for (int64_t o = 0; o < out_c; o++) {
        bias[o] = (float)((double)b.data[o] * s.data[o] + sb.data[o]);
        for (int64_t i = 0; i < in_c; i++)
            for (int64_t y = 0; y < k; y++)
                for (int64_t x = 0; x < k; x++)
                    weight[((o * in_c + i) * k + y) * k + x] = f.data[((y * k + x) * in_c + i) * out_c + o] * s.data[o];
    }
    return PARN_OK;
}

/* The final dense layer, in x out -> out x in ("fc.weight"). */
static parn_status import_fc(parn_model_t *m, const parn_tfjs *w)
{
    parn_tensor fc;
    int64_t in = fr_blocks[FR_BLOCKS - 1].out_c;
    PARN_TRY(get_tf(w, "fc", "", 2, (int64_t[]){in, FR_DIM}, &fc));
    if (!m) return PARN_OK;
    float *dst;
    PARN_TRY(add_tensor(m, "fc.weight", 2, (int64_t[]){FR_DIM, in}, &dst));
    for (int64_t i = 0; i < in; i++)
        for (int64_t o = 0; o < FR_DIM; o++) dst[o * in + i] = fc.data[i * FR_DIM + o];
    return PARN_OK;
}

/* Removes the tensors added after the first n (a failed import leaves the model as it was). */
static void drop_tensors_after(parn_model_t *m, int n)
{
    while (m->n_tensors > n) {
        parn_model_tensor *t = &m->tensors[--m->n_tensors];
        if (t->owned) parn__free(t->t.data);
        parn__free(t->name);
    }
}

/* Every layer: checked only (m NULL), or added to m. */
static parn_status import_all(parn_model_t *m, const parn_tfjs *w)
{
    fr_conv convs[FR_CONVS];
    list_convs(convs);
    for (int i = 0; i < FR_CONVS; i++) PARN_TRY(import_conv(m, w, &convs[i]));
    return import_fc(m, w);
}

parn_status parn_face_embedder_import(parn_model_t *m, const parn_tfjs *w)
{
    PARN_RETURN_IF(!m || !w, PARN_E_INVALID_ARG, "embedder import: NULL model or weights");
    PARN_RETURN_IF(m->has[PARN_NET_EMBEDDER], PARN_E_INVALID_ARG, "embedder import: the model already has an embedder");
    PARN_TRY(import_all(NULL, w));
    int first = m->n_tensors;
    parn_status st = import_all(m, w);
    if (st != PARN_OK) {
        drop_tensors_after(m, first);
        return st;
    }
    m->has[PARN_NET_EMBEDDER] = true;
    return PARN_OK;
}

/* ---- graph ------------------------------------------------------------------------------- */

static int64_t dim_of(parn_net *net, int node, int i)
{
    return parn_graph_tensor(net->g, node)->dims[i];
}

/* A conv layer with its bias (the scale layer folded in at import), then ReLU when asked. */
static int conv_layer(parn_net *net, const char *name, int x, int k, int in_c, int out_c, int stride,
                      int pad, bool relu)
{
    parn_conv_attrs a = parn_conv_attrs_default(2);
    for (int i = 0; i < 2; i++) {
        a.stride[i] = stride;
        a.pad_lo[i] = a.pad_hi[i] = pad;
    }
    int y = parn_net_conv(net, name, x, in_c, out_c, (int[]){k, k}, &a, true);
    return relu ? parn_relu(net->g, y) : y;
}

/* A residual block. Down blocks: the conv branch is stride 2 without padding, the shortcut a 2x2
 * average pool; the conv branch is zero-extended at the bottom/right when it comes out smaller
 * (odd sizes) and the shortcut gets zero channels when the block doubles them, as dlib adds
 * tensors of different sizes. */
static int residual(parn_net *net, const fr_block *b, int x)
{
    parn_graph *g = net->g;
    char name[48];
    snprintf(name, sizeof name, "%s.conv1", b->name);
    int y = conv_layer(net, name, x, 3, b->in_c, b->out_c, b->down ? 2 : 1, b->down ? 0 : 1, true);
    snprintf(name, sizeof name, "%s.conv2", b->name);
    y = conv_layer(net, name, y, 3, b->out_c, b->out_c, 1, 1, false);
    int shortcut = x;
    if (b->down) {
        parn_pool_attrs pa = parn_pool_attrs_default(2, false, 2);
        shortcut = parn_pool(g, x, &pa);
        if (y < 0 || shortcut < 0) return -1;
        int64_t zero[4] = {0}, grow_y[4] = {0, 0, dim_of(net, shortcut, 2) - dim_of(net, y, 2),
                                             dim_of(net, shortcut, 3) - dim_of(net, y, 3)};
        if (grow_y[2] > 0 || grow_y[3] > 0) y = parn_pad(g, y, zero, grow_y, 0.0f);
        if (b->out_c > b->in_c)
            shortcut = parn_pad(g, shortcut, zero, (int64_t[]){0, b->out_c - b->in_c, 0, 0}, 0.0f);
    }
    return parn_relu(g, parn_add(g, y, shortcut));
}

int parn_face_embedder_build(parn_net *net, int x)
{
    if (!net || !net->g) return -1;
    parn_graph *g = net->g;
    if (parn_graph_status(g) != PARN_OK) return -1;
    const parn_tensor *t = parn_graph_tensor(g, x);
    if (!t) return parn_graph_fail(g, PARN_E_INVALID_ARG, "embedder: input is not a node (%d)", x);
    if (t->ndim != 4 || t->dims[1] != 3 || t->dims[2] != FR_SIZE || t->dims[3] != FR_SIZE)
        return parn_graph_fail(g, PARN_E_SHAPE, "embedder: input %s is not N x 3 x %d x %d",
                               parn_tensor_shape_str(t), FR_SIZE, FR_SIZE);
    int64_t n = t->dims[0];   /* t moves as the graph grows */
    int y = conv_layer(net, "conv32_down", x, FR_STEM_KERNEL, 3, 32, 2, 0, true);
    parn_pool_attrs pa = parn_pool_attrs_default(2, true, 3);
    pa.stride[0] = pa.stride[1] = 2;
    y = parn_pool(g, y, &pa);
    for (int b = 0; b < FR_BLOCKS; b++) y = residual(net, &fr_blocks[b], y);
    y = parn_global_pool(g, y, false);
    int64_t c = fr_blocks[FR_BLOCKS - 1].out_c;
    y = parn_reshape(g, y, 2, (int64_t[]){n, c});
    return parn_net_linear(net, "fc", y, c, FR_DIM, false);
}

/* ---- runner ------------------------------------------------------------------------------ */

struct parn_face_embedder {
    parn_graph *g;
    const parn_backend *be;
    parn_backend_ctx *ctx;
    int input, output;
    float *pixels;          /* the preprocessed face, 1 x 3 x 150 x 150, bound to input */
};

void parn_face_embedder_destroy(parn_face_embedder *e)
{
    if (!e) return;
    parn_graph_destroy(e->g);
    parn__free(e->pixels);
    parn__free(e);
}

static parn_status build_runner(parn_face_embedder *e, parn_model_t *m)
{
    e->g = parn_graph_create();
    e->pixels = parn__aligned_alloc(3 * FR_SIZE * FR_SIZE * sizeof(float));
    PARN_RETURN_IF(!e->g || !e->pixels, PARN_E_NOMEM, "embedder: out of memory");
    parn_net net = parn_net_make(e->g, m, "embedder.", false);
    net.frozen = true;
    e->input = parn_graph_input(e->g, "face", 4, (int64_t[]){1, 3, FR_SIZE, FR_SIZE});
    e->output = parn_face_embedder_build(&net, e->input);
    parn_net_release(&net);
    parn_status st = parn_graph_status(e->g);
    PARN_RETURN_IF(st != PARN_OK, st, "%s", parn_graph_error(e->g));
    PARN_TRY(parn_graph_bind(e->g, e->input, e->pixels));
    PARN_TRY(parn_graph_keep(e->g, e->output));
    return parn_graph_plan(e->g, e->be, e->ctx);
}

parn_status parn_face_embedder_create(parn_model_t *m, const parn_backend *be, parn_backend_ctx *ctx,
                                      parn_face_embedder **out)
{
    PARN_RETURN_IF(!m || !be || !ctx || !out, PARN_E_INVALID_ARG, "embedder: NULL argument");
    PARN_RETURN_IF(!m->has[PARN_NET_EMBEDDER], PARN_E_NOT_FOUND, "embedder: the model has no face embedder");
    parn_face_embedder *e = parn__calloc(1, sizeof *e);
    PARN_RETURN_IF(!e, PARN_E_NOMEM, "embedder: out of memory");
    e->be = be;
    e->ctx = ctx;
    parn_status st = build_runner(e, m);
    if (st != PARN_OK) {
        parn_face_embedder_destroy(e);
        return st;
    }
    *out = e;
    return PARN_OK;
}

/* The face region in whole pixels: the box floored and clipped to the picture. */
typedef struct fr_region {
    int x0, y0, x1, y1;
} fr_region;

static parn_status face_region(const parn_rgb_image *img, const float *box, fr_region *r)
{
    if (!box) {
        *r = (fr_region){0, 0, img->width, img->height};
        return PARN_OK;
    }
    for (int i = 0; i < 4; i++)
        PARN_RETURN_IF(!isfinite(box[i]) || fabsf(box[i]) > 1e8f, PARN_E_INVALID_ARG,
                       "embedder: box coordinate %d is %g", i, box[i]);
    double x0 = fmax(floor(box[0]), 0), y0 = fmax(floor(box[1]), 0);
    double x1 = fmin(floor((double)box[0] + box[2]), img->width);
    double y1 = fmin(floor((double)box[1] + box[3]), img->height);
    PARN_RETURN_IF(x1 <= x0 || y1 <= y0, PARN_E_INVALID_ARG,
                   "embedder: box %g,%g %gx%g holds no pixel of the %dx%d picture", box[0], box[1],
                   box[2], box[3], img->width, img->height);
    *r = (fr_region){(int)x0, (int)y0, (int)x1, (int)y1};
    return PARN_OK;
}

/* One channel of the padded square at (row, col), 0 in the padding. */
static inline double square_at(const parn_rgb_image *img, const fr_region *r, int pad_top, int pad_left,
                               int row, int col, int c)
{
    int y = row - pad_top, x = col - pad_left;
    if (y < 0 || x < 0 || y >= r->y1 - r->y0 || x >= r->x1 - r->x0) return 0.0;
    return img->data[(size_t)(r->y0 + y) * (size_t)img->stride + (size_t)(r->x0 + x) * 3 + (size_t)c];
}

/* face-api.js preprocessing: the region padded to a centred square with zeros (the shorter side
 * gets round(diff / 2) after and the rest before), resized to 150 x 150 with TF's legacy bilinear
 * sampling (source = destination * in / out), then (p - mean) / 255 per channel, NCHW. */
static void preprocess(const parn_rgb_image *img, const fr_region *r, float *dst)
{
    int w = r->x1 - r->x0, h = r->y1 - r->y0, side = w > h ? w : h, diff = abs(w - h);
    int after = (diff + 1) / 2, before = diff - after;    /* JS Math.round(diff / 2) */
    int pad_top = h < w ? before : 0, pad_left = w < h ? before : 0;
    double step = (double)side / FR_SIZE;
    const int plane = FR_SIZE * FR_SIZE;
    for (int oy = 0; oy < FR_SIZE; oy++) {
        double sy = oy * step;
        int y0 = (int)sy, y1 = y0 + 1 < side ? y0 + 1 : side - 1;
        double dy = sy - y0;
        for (int ox = 0; ox < FR_SIZE; ox++) {
            double sx = ox * step;
            int x0 = (int)sx, x1 = x0 + 1 < side ? x0 + 1 : side - 1;
            double dx = sx - x0;
            for (int c = 0; c < 3; c++) {
                double top = square_at(img, r, pad_top, pad_left, y0, x0, c) * (1 - dx) +
                             square_at(img, r, pad_top, pad_left, y0, x1, c) * dx;
                double bottom = square_at(img, r, pad_top, pad_left, y1, x0, c) * (1 - dx) +
                                square_at(img, r, pad_top, pad_left, y1, x1, c) * dx;
                float v = (float)(top * (1 - dy) + bottom * dy);
                dst[c * plane + oy * FR_SIZE + ox] = (v - fr_mean[c]) / 255.0f;
            }
        }
    }
}

parn_status parn_face_describe(parn_face_embedder *e, const parn_rgb_image *img, const float *box,
                               float descriptor[128])
{
    PARN_RETURN_IF(!e || !img || !descriptor, PARN_E_INVALID_ARG, "embedder: NULL argument");
    PARN_RETURN_IF(!img->data || img->width < 1 || img->height < 1 || img->stride < 3 * img->width,
                   PARN_E_INVALID_ARG, "embedder: picture %dx%d with stride %d is not RGB24",
                   img->width, img->height, img->stride);
    fr_region r = {0};
    PARN_TRY(face_region(img, box, &r));
    preprocess(img, &r, e->pixels);
    PARN_TRY(parn_graph_run(e->g, e->be, e->ctx));
    return parn_graph_read(e->g, e->output, descriptor);
}
