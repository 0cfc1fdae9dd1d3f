/* SPDX-License-Identifier: MIT */
/* face-api.js FaceRecognitionNet (dlib's 29-conv ResNet, 128-d descriptors): TF.js import,
 * graph builder and a runner that preprocesses a face crop as face-api.js does. */
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
#define FR_ENTRIES (4 * FR_CONVS + 1)   /* filters, bias, scale weights, scale biases; fc */

/* ---- import: TF.js tensors -> model tensors in PyTorch layouts ---------------------------- */

typedef enum fr_layout { FR_VECTOR, FR_HWIO, FR_DENSE } fr_layout;

/* One tensor: its TF.js name and dims, and its name in the model ("conv32_1.conv1.conv.weight"). */
typedef struct fr_entry {
    char tf[64], torch[64];
    fr_layout layout;
    int ndim;
    int64_t tf_dims[4];
} fr_entry;

/* The conv layer "conv32_1/conv1" (TF.js) = "conv32_1.conv1" (model): filters, conv bias and the
 * per-channel scale (dlib's affine layer, a folded batch norm). */
static fr_entry *add_conv_entries(fr_entry *e, const char *tf, const char *torch, int k, int in_c,
                                  int out_c)
{
    static const char *const tf_leaf[] = {"conv/filters", "conv/bias", "scale/weights", "scale/biases"};
    static const char *const torch_leaf[] = {"conv.weight", "conv.bias", "scale.weight", "scale.bias"};
    for (int i = 0; i < 4; i++, e++) {
        snprintf(e->tf, sizeof e->tf, "%s/%s", tf, tf_leaf[i]);
        snprintf(e->torch, sizeof e->torch, "%s.%s", torch, torch_leaf[i]);
        e->layout = i == 0 ? FR_HWIO : FR_VECTOR;
        e->ndim = i == 0 ? 4 : 1;
        int64_t hwio[] = {k, k, in_c, out_c};
        memcpy(e->tf_dims, i == 0 ? hwio : (int64_t[]){out_c}, (size_t)e->ndim * sizeof(int64_t));
    }
    return e;
}

/* Every tensor of the network, in manifest order. */
static void list_entries(fr_entry *e)
{
    e = add_conv_entries(e, "conv32_down", "conv32_down", FR_STEM_KERNEL, 3, 32);
    for (int b = 0; b < FR_BLOCKS; b++) {
        const fr_block *bl = &fr_blocks[b];
        for (int c = 1; c <= 2; c++) {
            char tf[48], torch[48];
            snprintf(tf, sizeof tf, "%s/conv%d", bl->name, c);
            snprintf(torch, sizeof torch, "%s.conv%d", bl->name, c);
            e = add_conv_entries(e, tf, torch, 3, c == 1 ? bl->in_c : bl->out_c, bl->out_c);
        }
    }
    *e = (fr_entry){.tf = "fc", .torch = "fc.weight", .layout = FR_DENSE, .ndim = 2,
                    .tf_dims = {2 * FR_DIM, FR_DIM}};
}

static bool same_dims(const parn_tensor *t, const fr_entry *e)
{
    if (t->ndim != e->ndim) return false;
    for (int i = 0; i < e->ndim; i++)
        if (t->dims[i] != e->tf_dims[i]) return false;
    return true;
}

/* The entry's TF.js tensor, checked against the architecture. */
static parn_status find_tf(const parn_tfjs *w, const fr_entry *e, parn_tensor *t)
{
    parn_status st = parn_tfjs_get(w, e->tf, t);
    PARN_RETURN_IF(st == PARN_E_NOT_FOUND, PARN_E_FORMAT, "embedder: the weights have no '%s'", e->tf);
    PARN_TRY(st);
    parn_tensor want = {.ndim = e->ndim};
    memcpy(want.dims, e->tf_dims, sizeof e->tf_dims);
    PARN_RETURN_IF(!same_dims(t, e), PARN_E_FORMAT, "embedder: '%s' is %s, FaceRecognitionNet needs %s",
                   e->tf, parn_tensor_shape_str(t), parn_tensor_shape_str(&want));
    return PARN_OK;
}

/* Model dims: OIHW for filters, (out, in) for the dense layer. */
static int torch_dims(const fr_entry *e, int64_t *dims)
{
    const int64_t *d = e->tf_dims;
    switch (e->layout) {
    case FR_HWIO: memcpy(dims, (int64_t[]){d[3], d[2], d[0], d[1]}, 4 * sizeof *dims); return 4;
    case FR_DENSE: memcpy(dims, (int64_t[]){d[1], d[0]}, 2 * sizeof *dims); return 2;
    default: dims[0] = d[0]; return 1;
    }
}

/* Copies src (TF layout, plain) into dst (model layout). */
static void convert(const fr_entry *e, const float *src, float *dst)
{
    const int64_t *d = e->tf_dims;
    if (e->layout == FR_VECTOR) {
        memcpy(dst, src, (size_t)d[0] * sizeof *dst);
    } else if (e->layout == FR_DENSE) {         /* in x out -> out x in */
        for (int64_t i = 0; i < d[0]; i++)
            for (int64_t o = 0; o < d[1]; o++) dst[o * d[0] + i] = src[i * d[1] + o];
    } else {                                    /* kh x kw x in x out -> out x in x kh x kw */
        int64_t kh = d[0], kw = d[1], in_c = d[2], out_c = d[3];
        for (int64_t y = 0; y < kh; y++)
            for (int64_t x = 0; x < kw; x++)
                for (int64_t i = 0; i < in_c; i++)
                    for (int64_t o = 0; o < out_c; o++)
                        dst[((o * in_c + i) * kh + y) * kw + x] = src[((y * kw + x) * in_c + i) * out_c + o];
    }
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

static parn_status add_entry_tensor(parn_model_t *m, const fr_entry *e, const parn_tensor *src)
{
    char name[96];
    snprintf(name, sizeof name, "%s.%s", parn_net_name(PARN_NET_EMBEDDER), e->torch);
    int64_t dims[4];
    int ndim = torch_dims(e, dims), idx;
    PARN_TRY(parn_model_add(m, name, ndim, dims, &idx));
    convert(e, src->data, m->tensors[idx].t.data);
    return PARN_OK;
}

parn_status parn_face_embedder_import(parn_model_t *m, const parn_tfjs *w)
{
    PARN_RETURN_IF(!m || !w, PARN_E_INVALID_ARG, "embedder import: NULL model or weights");
    PARN_RETURN_IF(m->has[PARN_NET_EMBEDDER], PARN_E_INVALID_ARG, "embedder import: the model already has an embedder");
    fr_entry *entries = parn__malloc(FR_ENTRIES * sizeof *entries);
    PARN_RETURN_IF(!entries, PARN_E_NOMEM, "embedder import: out of memory");
    list_entries(entries);
    parn_status st = PARN_OK;
    parn_tensor t;
    for (int i = 0; i < FR_ENTRIES && st == PARN_OK; i++) st = find_tf(w, &entries[i], &t);
    int first = m->n_tensors;
    for (int i = 0; i < FR_ENTRIES && st == PARN_OK; i++) {
        st = parn_tfjs_get(w, entries[i].tf, &t);
        if (st == PARN_OK) st = add_entry_tensor(m, &entries[i], &t);
    }
    parn__free(entries);
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

/* A per-channel vector of the model as 1 x C x 1 x 1, to broadcast over N x C x H x W. */
static int channel_vector(parn_net *net, const char *name, int64_t c)
{
    int v = parn_net_tensor(net, name, 1, &c, PARN_INIT_CONST, 0.0f, true);
    return parn_reshape(net->g, v, 4, (int64_t[]){1, c, 1, 1});
}

/* conv (+ bias), then the scale layer y * weight + bias, then ReLU when asked. */
static int conv_scale(parn_net *net, const char *name, int x, int k, int in_c, int out_c, int stride,
                      int pad, bool relu)
{
    parn_graph *g = net->g;
    parn_conv_attrs a = parn_conv_attrs_default(2);
    for (int i = 0; i < 2; i++) {
        a.stride[i] = stride;
        a.pad_lo[i] = a.pad_hi[i] = pad;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%s.conv", name);
    int y = parn_net_conv(net, buf, x, in_c, out_c, (int[]){k, k}, &a, true);
    snprintf(buf, sizeof buf, "%s.scale.weight", name);
    int scale = channel_vector(net, buf, out_c);
    snprintf(buf, sizeof buf, "%s.scale.bias", name);
    int shift = channel_vector(net, buf, out_c);
    y = parn_add(g, parn_mul(g, y, scale), shift);
    return relu ? parn_relu(g, y) : y;
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
    int y = conv_scale(net, name, x, 3, b->in_c, b->out_c, b->down ? 2 : 1, b->down ? 0 : 1, true);
    snprintf(name, sizeof name, "%s.conv2", b->name);
    y = conv_scale(net, name, y, 3, b->out_c, b->out_c, 1, 1, false);
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
    int y = conv_scale(net, "conv32_down", x, FR_STEM_KERNEL, 3, 32, 2, 0, true);
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
