/* SPDX-License-Identifier: MIT */
/* face-api.js's SSD MobileNet v1 face detector (../shared/specs/face-models.md section 4):
 * import from TF.js weights, preprocessing, graph (MobileNet v1 backbone, extra layers, six box
 * predictor heads) and box decoding with the anchors stored in the weights. */
#include "faces.h"

#include "model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- architecture ---------------------------------------------------------------------- */

#define N_BLOCKS 13   /* depthwise-separable blocks after conv0 */
#define N_EXTRAS 8
#define N_HEADS 6
#define FEATURE_BLOCK 11 /* the block whose output feeds head 0 */
#define BN_EPS 0.001f    /* TensorFlow's BatchNorm epsilon in this graph (float32 of 1e-3) */

/* Output channels of conv0 (index 0) and of each block's pointwise conv. */
static const int block_out[N_BLOCKS + 1] = {32, 64, 128, 128, 256, 256, 512,
                                            512, 512, 512, 512, 512, 1024, 1024};

static int block_stride(int i)
{
    return i == 2 || i == 4 || i == 6 || i == 12 ? 2 : 1;
}

/* The extra feature layers ("Prediction/Conv2d_j_pointwise"): 1x1 then 3x3 stride 2, twice over. */
typedef struct extra_layer {
    int in, out, kernel, stride;
} extra_layer;

static const extra_layer extras[N_EXTRAS] = {
    {1024, 256, 1, 1}, {256, 512, 3, 2}, {512, 128, 1, 1}, {128, 256, 3, 2},
    {256, 128, 1, 1},  {128, 256, 3, 2}, {256, 64, 1, 1},  {64, 128, 3, 2},
};

/* Heads: input channels and anchors per cell, on [block 11, block 13, extras 1, 3, 5, 7]. */
static const int head_in[N_HEADS] = {512, 1024, 512, 256, 256, 128};
static const int head_anchors[N_HEADS] = {3, 6, 6, 6, 6, 6};
static const int head_grid[N_HEADS] = {32, 16, 8, 4, 2, 1}; /* at the 512 x 512 input */

#define CLASSES 3 /* background, face, unused */
#define FACE_CLASS 1
#define SCALE_YX 10.0f /* TF Object Detection API box coder scales */
#define SCALE_HW 5.0f

parn_face_detect_params parn_face_ssd_defaults(void)
{
    return (parn_face_detect_params){.input_size = PARN_FACE_SSD_INPUT, .score_threshold = 0.5f,
                                     .iou_threshold = 0.5f, .max_faces = 100};
}

/* ---- import ---------------------------------------------------------------------------- */

/* A TF.js entry that must exist with exactly these dims. */
static parn_status tf_entry(const parn_tfjs *w, const char *name, int ndim, const int64_t *dims,
                            parn_tensor *out)
{
    if (parn_tfjs_get(w, name, out) != PARN_OK)
        return parn__fail(PARN_E_FORMAT, "ssd: the weights have no '%s'", name);
    parn_tensor want = {.ndim = ndim};
    memcpy(want.dims, dims, (size_t)ndim * sizeof *dims);
    PARN_RETURN_IF(!parn_tensor_same_dims(out, &want), PARN_E_FORMAT,
                   "ssd: weight '%s' is %s, expected %s", name, parn_tensor_shape_str(out),
                   parn_tensor_shape_str(&want));
    return PARN_OK;
}

/* A new model tensor "detector.ssd.<name>"; *data receives its (zeroed) storage. */
static parn_status new_tensor(parn_model_t *m, const char *name, int ndim, const int64_t *dims,
                              float **data)
{
    char full[160];
    snprintf(full, sizeof full, "detector.ssd.%s", name);
    int idx;
    PARN_TRY(parn_model_add(m, full, ndim, dims, &idx));
    *data = m->tensors[idx].t.data;
    return PARN_OK;
}

/* A vector entry copied as is (biases, folded BN offsets). */
static parn_status import_vector(parn_model_t *m, const parn_tfjs *w, const char *tf_name,
                                 const char *name, int64_t n)
{
    parn_tensor t;
    float *dst;
    PARN_TRY(tf_entry(w, tf_name, 1, &n, &t));
    PARN_TRY(new_tensor(m, name, 1, &n, &dst));
    memcpy(dst, t.data, (size_t)n * sizeof *dst);
    return PARN_OK;
}

/* A regular conv "<tf>/weights" (k x k x ic x oc) -> "<name>.weight" (oc x ic x k x k), and its
 * bias "<tf>/<bias_leaf>" -> "<name>.bias". */
static parn_status import_conv(parn_model_t *m, const parn_tfjs *w, const char *tf, const char *bias_leaf,
                               const char *name, int ic, int oc, int k)
{
    char tf_name[160], my_name[128];
    parn_tensor t;
    float *dst;
    snprintf(tf_name, sizeof tf_name, "%s/weights", tf);
    PARN_TRY(tf_entry(w, tf_name, 4, (int64_t[]){k, k, ic, oc}, &t));
    snprintf(my_name, sizeof my_name, "%s.weight", name);
    PARN_TRY(new_tensor(m, my_name, 4, (int64_t[]){oc, ic, k, k}, &dst));
    for (int o = 0; o < oc; o++)
        for (int i = 0; i < ic; i++)
            for (int p = 0; p < k * k; p++)
                dst[((int64_t)o * ic + i) * k * k + p] = t.data[((int64_t)p * ic + i) * oc + o];
    snprintf(tf_name, sizeof tf_name, "%s/%s", tf, bias_leaf);
    snprintf(my_name, sizeof my_name, "%s.bias", name);
    return import_vector(m, w, tf_name, my_name, oc);
}

/* Depthwise 3x3 of block i with its BatchNorm folded in: weight (C x 1 x 3 x 3) and bias, so that
 * conv(x) + bias = (dw(x) - mean) / sqrt(var + eps) * gamma + beta. */
static parn_status import_depthwise(parn_model_t *m, const parn_tfjs *w, int i, int c)
{
    char tf_name[160], my_name[128];
    const int64_t n = c;
    parn_tensor dw, bn[4];
    static const char *const bn_leaf[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    snprintf(tf_name, sizeof tf_name, "MobilenetV1/Conv2d_%d_depthwise/depthwise_weights", i);
    PARN_TRY(tf_entry(w, tf_name, 4, (int64_t[]){3, 3, c, 1}, &dw));
    for (int k = 0; k < 4; k++) {
        snprintf(tf_name, sizeof tf_name, "MobilenetV1/Conv2d_%d_depthwise/BatchNorm/%s", i, bn_leaf[k]);
        PARN_TRY(tf_entry(w, tf_name, 1, &n, &bn[k]));
    }
    float *weight, *bias;
    snprintf(my_name, sizeof my_name, "backbone.conv%d.depthwise.weight", i);
    PARN_TRY(new_tensor(m, my_name, 4, (int64_t[]){c, 1, 3, 3}, &weight));
    snprintf(my_name, sizeof my_name, "backbone.conv%d.depthwise.bias", i);
    PARN_TRY(new_tensor(m, my_name, 1, &n, &bias));
    for (int ch = 0; ch < c; ch++) {
        float var = bn[3].data[ch] + BN_EPS;
        PARN_RETURN_IF(!(var > 0.0f), PARN_E_FORMAT,
                       "ssd: block %d's BatchNorm variance %g at channel %d is negative", i,
                       (double)bn[3].data[ch], ch);
        float scale = bn[0].data[ch] / sqrtf(var);
        for (int p = 0; p < 9; p++) weight[ch * 9 + p] = dw.data[p * c + ch] * scale;
        bias[ch] = bn[1].data[ch] - bn[2].data[ch] * scale;
    }
    return PARN_OK;
}

/* The anchor table "Output/extra_dim" (1 x 5118 x 4: ymin, xmin, ymax, xmax as fractions of the
 * input) -> "anchors" (5118 x 4), each box finite and of positive size. */
static parn_status import_anchors(parn_model_t *m, const parn_tfjs *w)
{
    parn_tensor t;
    float *dst;
    PARN_TRY(tf_entry(w, "Output/extra_dim", 3, (int64_t[]){1, PARN_FACE_SSD_BOXES, 4}, &t));
    for (int i = 0; i < PARN_FACE_SSD_BOXES; i++) {
        const float *a = t.data + 4 * i;
        PARN_RETURN_IF(!isfinite(a[0]) || !isfinite(a[1]) || !(a[2] > a[0]) || !(a[3] > a[1]) ||
                           !isfinite(a[2]) || !isfinite(a[3]),
                       PARN_E_FORMAT, "ssd: anchor %d (%g, %g, %g, %g) is not a box", i,
                       (double)a[0], (double)a[1], (double)a[2], (double)a[3]);
    }
    PARN_TRY(new_tensor(m, "anchors", 2, (int64_t[]){PARN_FACE_SSD_BOXES, 4}, &dst));
    memcpy(dst, t.data, (size_t)PARN_FACE_SSD_BOXES * 4 * sizeof *dst);
    return PARN_OK;
}

static parn_status import_heads(parn_model_t *m, const parn_tfjs *w)
{
    char tf[128], name[64];
    for (int k = 0; k < N_HEADS; k++) {
        snprintf(tf, sizeof tf, "Prediction/BoxPredictor_%d/BoxEncodingPredictor", k);
        snprintf(name, sizeof name, "heads.%d.box", k);
        PARN_TRY(import_conv(m, w, tf, "biases", name, head_in[k], 4 * head_anchors[k], 1));
        snprintf(tf, sizeof tf, "Prediction/BoxPredictor_%d/ClassPredictor", k);
        snprintf(name, sizeof name, "heads.%d.cls", k);
        PARN_TRY(import_conv(m, w, tf, "biases", name, head_in[k], CLASSES * head_anchors[k], 1));
    }
    return PARN_OK;
}

parn_status parn_face_ssd_import(parn_model_t *m, const parn_tfjs *w)
{
    PARN_RETURN_IF(!m || !w, PARN_E_INVALID_ARG, "ssd import: NULL model or weights");
    char tf[128], name[64];
    PARN_TRY(import_conv(m, w, "MobilenetV1/Conv2d_0_pointwise", "convolution_bn_offset",
                         "backbone.conv0", 3, block_out[0], 3));
    for (int i = 1; i <= N_BLOCKS; i++) {
        PARN_TRY(import_depthwise(m, w, i, block_out[i - 1]));
        snprintf(tf, sizeof tf, "MobilenetV1/Conv2d_%d_pointwise", i);
        snprintf(name, sizeof name, "backbone.conv%d.pointwise", i);
        PARN_TRY(import_conv(m, w, tf, "convolution_bn_offset", name, block_out[i - 1], block_out[i], 1));
    }
    for (int j = 0; j < N_EXTRAS; j++) {
        snprintf(tf, sizeof tf, "Prediction/Conv2d_%d_pointwise", j);
        snprintf(name, sizeof name, "extras.%d", j);
        PARN_TRY(import_conv(m, w, tf, "convolution_bn_offset", name, extras[j].in, extras[j].out,
                             extras[j].kernel));
    }
    PARN_TRY(import_heads(m, w));
    PARN_TRY(import_anchors(m, w));
    m->has[PARN_NET_DETECTOR] = true;
    return PARN_OK;
}

/* ---- preprocessing --------------------------------------------------------------------- */

/* One axis of TF's legacy bilinear resize (align_corners = false, half_pixel_centers = false)
 * from the padded square of side `side` to `size` samples. */
typedef struct axis_sample {
    int lo, hi;
    double frac;
} axis_sample;

static void axis_samples(int side, int size, axis_sample *s)
{
    double step = (double)side / size;
    for (int i = 0; i < size; i++) {
        double src = i * step;
        int lo = (int)floor(src);
        s[i] = (axis_sample){lo, lo + 1 < side ? lo + 1 : side - 1, src - lo};
    }
}

/* Channel c of the padded square at (y, x): the picture, zeros to its right and below. */
static inline double padded(const parn_rgb_image *img, int y, int x, int c)
{
    return y < img->height && x < img->width ? img->data[(size_t)y * img->stride + 3 * x + c] : 0.0;
}

parn_status parn_face_ssd_preprocess(const parn_rgb_image *img, int size, float *out)
{
    PARN_RETURN_IF(!img || !img->data || !out, PARN_E_INVALID_ARG, "ssd preprocess: NULL argument");
    PARN_RETURN_IF(img->width < 1 || img->height < 1 || img->stride < 3 * img->width,
                   PARN_E_INVALID_ARG, "ssd preprocess: bad picture %d x %d, stride %d",
                   img->width, img->height, img->stride);
    PARN_RETURN_IF(size < 1 || size > 8192, PARN_E_INVALID_ARG, "ssd preprocess: bad size %d", size);
    int side = img->width > img->height ? img->width : img->height;
    axis_sample *s = parn__malloc((size_t)size * sizeof *s);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "ssd preprocess: out of memory");
    axis_samples(side, size, s); /* the same table serves rows and columns of the square */
    const int64_t plane = (int64_t)size * size;
#pragma omp parallel for if (plane > 65536)
    for (int oy = 0; oy < size; oy++) {
        const axis_sample *ys = &s[oy];
        for (int ox = 0; ox < size; ox++) {
            const axis_sample *xs = &s[ox];
            for (int c = 0; c < 3; c++) {
                double top = padded(img, ys->lo, xs->lo, c) * (1 - xs->frac) +
                             padded(img, ys->lo, xs->hi, c) * xs->frac;
                double bottom = padded(img, ys->hi, xs->lo, c) * (1 - xs->frac) +
                                padded(img, ys->hi, xs->hi, c) * xs->frac;
                float v = (float)(top * (1 - ys->frac) + bottom * ys->frac);
                out[c * plane + (int64_t)oy * size + ox] = v / 127.5f - 1.0f;
            }
        }
    }
    parn__free(s);
    return PARN_OK;
}

/* ---- graph ----------------------------------------------------------------------------- */

/* conv (groups 1 or depthwise) with TF "SAME" padding for this input, bias, then ReLU6. */
static int conv_relu6(parn_net *net, const char *name, int x, int ic, int oc, int k, int stride,
                      bool depthwise)
{
    const parn_tensor *in = parn_graph_tensor(net->g, x);
    if (!in) return -1;
    parn_conv_attrs a = parn_conv_attrs_default(2);
    for (int d = 0; d < 2; d++) {
        int64_t n = in->dims[2 + d];
        int64_t out = (n + stride - 1) / stride;
        int64_t total = (out - 1) * stride + k - n;
        if (total < 0) total = 0;
        a.stride[d] = stride;
        a.pad_lo[d] = (int)(total / 2);
        a.pad_hi[d] = (int)(total - total / 2);
    }
    if (depthwise) a.groups = ic;
    int y = parn_net_conv(net, name, x, ic, oc, (int[]){k, k}, &a, true);
    return parn_clip(net->g, y, 0.0f, 6.0f);
}

/* A head's 1x1 conv output N x (per * A) x G x G as N x (G * G * A) x per, in (y, x, anchor)
 * order. */
static int head_output(parn_net *net, const char *name, int x, int k, int per)
{
    int64_t n = parn_graph_tensor(net->g, x)->dims[0];
    int a = head_anchors[k], g = head_grid[k];
    parn_conv_attrs attrs = parn_conv_attrs_default(2);
    int y = parn_net_conv(net, name, x, head_in[k], per * a, (int[]){1, 1}, &attrs, true);
    y = parn_permute(net->g, y, (int[]){0, 2, 3, 1});
    return parn_reshape(net->g, y, 3, (int64_t[]){n, (int64_t)g * g * a, per});
}

/* The backbone; *feature receives block 11's output (N x 512 x 32 x 32). */
static int backbone(parn_net *net, int x, int *feature)
{
    int y = conv_relu6(net, "backbone.conv0", x, 3, block_out[0], 3, 2, false);
    char name[64];
    for (int i = 1; i <= N_BLOCKS; i++) {
        snprintf(name, sizeof name, "backbone.conv%d.depthwise", i);
        y = conv_relu6(net, name, y, block_out[i - 1], block_out[i - 1], 3, block_stride(i), true);
        snprintf(name, sizeof name, "backbone.conv%d.pointwise", i);
        y = conv_relu6(net, name, y, block_out[i - 1], block_out[i], 1, 1, false);
        if (i == FEATURE_BLOCK) *feature = y;
    }
    return y;
}

int parn_face_ssd_build(parn_net *net, int x, int *scores)
{
    if (!net || !net->g) return -1;
    parn_graph *g = net->g;
    if (parn_graph_status(g) != PARN_OK) return -1;
    if (!scores) return parn_graph_fail(g, PARN_E_INVALID_ARG, "ssd: scores is NULL");
    const parn_tensor *in = parn_graph_tensor(g, x);
    if (!in) return parn_graph_fail(g, PARN_E_INVALID_ARG, "ssd: no input node %d", x);
    if (in->ndim != 4 || in->dims[1] != 3 || in->dims[2] != PARN_FACE_SSD_INPUT ||
        in->dims[3] != PARN_FACE_SSD_INPUT)
        return parn_graph_fail(g, PARN_E_SHAPE, "ssd: input is %s, expected N x 3 x %d x %d",
                               parn_tensor_shape_str(in), PARN_FACE_SSD_INPUT, PARN_FACE_SSD_INPUT);
    int64_t n = in->dims[0];

    int features[N_HEADS] = {-1};
    int y = backbone(net, x, &features[0]);
    features[1] = y;
    char name[64];
    for (int j = 0; j < N_EXTRAS; j++) {
        snprintf(name, sizeof name, "extras.%d", j);
        y = conv_relu6(net, name, y, extras[j].in, extras[j].out, extras[j].kernel, extras[j].stride, false);
        if (j % 2) features[2 + j / 2] = y;
    }
    if (parn_graph_status(g) != PARN_OK) return -1;

    int boxes[N_HEADS], logits[N_HEADS];
    for (int k = 0; k < N_HEADS; k++) {
        snprintf(name, sizeof name, "heads.%d.box", k);
        boxes[k] = head_output(net, name, features[k], k, 4);
        snprintf(name, sizeof name, "heads.%d.cls", k);
        logits[k] = head_output(net, name, features[k], k, CLASSES);
    }
    int enc = parn_concat(g, N_HEADS, boxes, 1);
    int cls = parn_concat(g, N_HEADS, logits, 1);

    /* Face probability: class 1 of each box. */
    int face = parn_slice(g, cls, (int64_t[]){0, 0, FACE_CLASS}, (int64_t[]){n, PARN_FACE_SSD_BOXES, 1});
    *scores = parn_sigmoid(g, parn_reshape(g, face, 2, (int64_t[]){n, PARN_FACE_SSD_BOXES}));

    /* Each box's anchor next to its encoding, so that decoding needs nothing but the outputs. */
    int anchors = parn_net_tensor(net, "anchors", 2, (int64_t[]){PARN_FACE_SSD_BOXES, 4},
                                  PARN_INIT_CONST, 0.0f, false);
    anchors = parn_reshape(g, anchors, 3, (int64_t[]){1, PARN_FACE_SSD_BOXES, 4});
    if (n > 1) anchors = parn_expand(g, anchors, 3, (int64_t[]){n, PARN_FACE_SSD_BOXES, 4});
    int out = parn_concat(g, 2, (int[]){enc, anchors}, 2);
    if (parn_graph_status(g) != PARN_OK) {
        *scores = -1;
        return -1;
    }
    return out;
}

/* ---- decoding -------------------------------------------------------------------------- */

/* Box i in input pixels from its encoding (ty, tx, th, tw) and anchor (ymin, xmin, ymax, xmax). */
static parn_face_box decode_box(const float *e, float size, float score)
{
    const float *a = e + 4;
    float ha = a[2] - a[0], wa = a[3] - a[1];
    float yc = e[0] / SCALE_YX * ha + (a[0] + 0.5f * ha);
    float xc = e[1] / SCALE_YX * wa + (a[1] + 0.5f * wa);
    float h = expf(e[2] / SCALE_HW) * ha, w = expf(e[3] / SCALE_HW) * wa;
    return (parn_face_box){.x = (xc - 0.5f * w) * size, .y = (yc - 0.5f * h) * size,
                           .w = w * size, .h = h * size, .score = score};
}

int parn_face_ssd_decode(const float *encodings, const float *scores, int input_size,
                         float threshold, parn_face_box *boxes, int cap)
{
    if (!encodings || !scores || !boxes || cap <= 0 || input_size <= 0) return 0;
    int n = 0, worst = 0; /* when full: the index of the lowest score kept */
    for (int i = 0; i < PARN_FACE_SSD_BOXES; i++) {
        float s = scores[i];
        if (!(s > threshold)) continue;
        if (n < cap) {
            boxes[n++] = decode_box(encodings + 8 * i, (float)input_size, s);
        } else {
            if (!(s > boxes[worst].score)) continue;
            boxes[worst] = decode_box(encodings + 8 * i, (float)input_size, s);
        }
        if (n == cap) /* keep the best `cap`: find the new weakest */
            for (int j = 0; j < n; j++)
                if (boxes[j].score < boxes[worst].score) worst = j;
    }
    return n;
}
