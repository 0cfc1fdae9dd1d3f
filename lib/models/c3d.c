/* SPDX-License-Identifier: MIT */
/* C3D action classifier (paper 3.3): the paper's 5-conv network or the original 8-conv C3D
 * (Tran et al. 2015), its JSON configuration, and the builder with the FEM hook. */
#include "models.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define C3D_BLOCKS 5
#define MAX_SIDE 4096       /* frames and crop */
#define MAX_WIDTH 65536     /* fc and the conv channels */
#define MAX_NAME 256        /* bytes of a class name */

/* A conv block: one or two 3x3x3 convs (padding 1) + ReLU, then a max pool with stride =
 * kernel 1x2x2 (block 1) or 2x2x2, padded in H and W by pool_pad. */
typedef struct c3d_block {
    const char *conv[2];    /* layer names; conv[1] NULL for a single conv */
    int mult;               /* channels = base * mult */
    int pool_depth;         /* pool kernel along time */
    int pool_pad;           /* pool padding of H and W on each side */
} c3d_block;

static const c3d_block paper_blocks[C3D_BLOCKS] = {
    {{"conv1", NULL}, 1, 1, 0}, {{"conv2", NULL}, 2, 2, 0}, {{"conv3", NULL}, 4, 2, 0},
    {{"conv4", NULL}, 4, 2, 0}, {{"conv5", NULL}, 4, 2, 0},
};
/* The original keeps pool5's padding (0, 1, 1): at 16x112x112 it leaves 512 x 1 x 4 x 4. */
static const c3d_block original_blocks[C3D_BLOCKS] = {
    {{"conv1a", NULL}, 1, 1, 0},     {{"conv2a", NULL}, 2, 2, 0},
    {{"conv3a", "conv3b"}, 4, 2, 0}, {{"conv4a", "conv4b"}, 8, 2, 0},
    {{"conv5a", "conv5b"}, 8, 2, 1},
};

static const c3d_block *blocks_of(int variant)
{
    return variant == 8 ? original_blocks : paper_blocks;
}

static const char *const config_keys[] = {"variant", "classes", "class_names", "frames", "crop",
                                          "fc", "dropout", "fem_after", "base", "init"};

void parn_c3d_default(parn_c3d_config *c)
{
    *c = (parn_c3d_config){.variant = 5, .classes = 101, .class_names = NULL, .frames = 16,
                           .crop = 112, .fc = 2048, .dropout = 0.5f, .fem_after = 1, .base = 64};
}

void parn_c3d_config_free(parn_c3d_config *c)
{
    if (!c || !c->class_names) return;
    for (int i = 0; i < c->classes; i++) parn__free(c->class_names[i]);
    parn__free(c->class_names);
    c->class_names = NULL;
}

/* ---- geometry -------------------------------------------------------------------------- */

/* Dims (D, H, W) of a frames x side x side clip after `count` conv blocks; false when a pool
 * finds its input smaller than its kernel. */
static bool dims_after(int variant, int64_t frames, int64_t side, int count, int64_t *dhw)
{
    const c3d_block *b = blocks_of(variant);
    dhw[0] = frames;
    dhw[1] = dhw[2] = side;
    for (int k = 0; k < count; k++) {
        int kernel[3] = {b[k].pool_depth, 2, 2}, pad[3] = {0, b[k].pool_pad, b[k].pool_pad};
        for (int i = 0; i < 3; i++) {
            int64_t span = dhw[i] + 2 * pad[i];
            if (span < kernel[i]) return false;
            dhw[i] = (span - kernel[i]) / kernel[i] + 1;
        }
    }
    return true;
}

/* The smallest clip length (axis 0) or crop (axis 1) that the five pools accept. */
static int64_t min_side(int variant, int axis)
{
    int64_t dhw[3];
    for (int64_t s = 1;; s++)
        if (dims_after(variant, axis == 0 ? s : MAX_SIDE, axis == 0 ? MAX_SIDE : s, C3D_BLOCKS, dhw))
            return s;
}

static int channels_of(const parn_c3d_config *c, int block)
{
    return c->base * blocks_of(c->variant)[block].mult;
}

/* Every field in range, and a clip large enough for the pools. */
static parn_status validate(const parn_c3d_config *c)
{
    PARN_RETURN_IF(c->variant != 5 && c->variant != 8, PARN_E_INVALID_ARG,
                   "c3d: variant %d is not 5 (the paper's) or 8 (the original C3D)", c->variant);
    PARN_RETURN_IF(c->classes < 1 || c->classes > PARN_MAX_CLASSES, PARN_E_INVALID_ARG,
                   "c3d: classes %d is not in [1, %d]", c->classes, PARN_MAX_CLASSES);
    PARN_RETURN_IF(c->frames < 1 || c->frames > MAX_SIDE, PARN_E_INVALID_ARG,
                   "c3d: frames %d is not in [1, %d]", c->frames, MAX_SIDE);
    PARN_RETURN_IF(c->crop < 1 || c->crop > MAX_SIDE, PARN_E_INVALID_ARG,
                   "c3d: crop %d is not in [1, %d]", c->crop, MAX_SIDE);
    PARN_RETURN_IF(c->fc < 1 || c->fc > MAX_WIDTH, PARN_E_INVALID_ARG,
                   "c3d: fc %d is not in [1, %d]", c->fc, MAX_WIDTH);
    PARN_RETURN_IF(c->base < 1 || c->base > MAX_WIDTH / 8, PARN_E_INVALID_ARG,
                   "c3d: base %d is not in [1, %d]", c->base, MAX_WIDTH / 8);
    PARN_RETURN_IF(!(c->dropout >= 0.0f && c->dropout < 1.0f), PARN_E_INVALID_ARG,
                   "c3d: dropout %g is not in [0, 1)", c->dropout);
    PARN_RETURN_IF(c->fem_after < 0 || c->fem_after > C3D_BLOCKS, PARN_E_INVALID_ARG,
                   "c3d: fem_after %d is not in [0, %d] (0 = no FEM)", c->fem_after, C3D_BLOCKS);
    int64_t dhw[3];
    PARN_RETURN_IF(!dims_after(c->variant, c->frames, c->crop, C3D_BLOCKS, dhw), PARN_E_INVALID_ARG,
                   "c3d: a clip of %d frames x %d x %d is too small for the pools of variant %d "
                   "(it needs frames >= %lld and crop >= %lld)",
                   c->frames, c->crop, c->crop, c->variant, (long long)min_side(c->variant, 0),
                   (long long)min_side(c->variant, 1));
    return PARN_OK;
}

/* ---- JSON ------------------------------------------------------------------------------ */

static parn_status check_keys(const cJSON *j)
{
    for (const cJSON *it = j->child; it; it = it->next) {
        bool known = false;
        for (size_t k = 0; k < sizeof config_keys / sizeof *config_keys; k++)
            known = known || strcmp(it->string, config_keys[k]) == 0;
        PARN_RETURN_IF(!known, PARN_E_INVALID_ARG, "c3d config: unknown key '%s'", it->string);
    }
    return PARN_OK;
}

/* An integer field; absent keeps *out. The range is checked by validate(). */
static parn_status get_int(const cJSON *j, const char *key, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v) return PARN_OK;
    PARN_RETURN_IF(!cJSON_IsNumber(v), PARN_E_INVALID_ARG, "c3d config: '%s' is not a number", key);
    PARN_RETURN_IF(v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 1e9,
                   PARN_E_INVALID_ARG, "c3d config: '%s' is %g, not an integer", key, v->valuedouble);
    *out = (int)v->valuedouble;
    return PARN_OK;
}

static parn_status get_float(const cJSON *j, const char *key, float *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v) return PARN_OK;
    PARN_RETURN_IF(!cJSON_IsNumber(v), PARN_E_INVALID_ARG, "c3d config: '%s' is not a number", key);
    *out = (float)v->valuedouble;
    return PARN_OK;
}

/* c->classes names: from the JSON array when given (its length must be c->classes), else
 * class_<i>. */
static parn_status get_names(const cJSON *j, parn_c3d_config *c)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "class_names");
    PARN_RETURN_IF(arr && !cJSON_IsArray(arr), PARN_E_INVALID_ARG,
                   "c3d config: 'class_names' is not an array of strings");
    PARN_RETURN_IF(arr && cJSON_GetArraySize(arr) != c->classes, PARN_E_INVALID_ARG,
                   "c3d config: 'class_names' has %d names for %d classes", cJSON_GetArraySize(arr),
                   c->classes);
    c->class_names = parn__calloc((size_t)c->classes, sizeof *c->class_names);
    PARN_RETURN_IF(!c->class_names, PARN_E_NOMEM, "c3d config: out of memory");
    const cJSON *it = arr ? arr->child : NULL;
    for (int i = 0; i < c->classes; i++, it = it ? it->next : NULL) {
        char fallback[32];
        snprintf(fallback, sizeof fallback, "class_%d", i);
        PARN_RETURN_IF(arr && !cJSON_IsString(it), PARN_E_INVALID_ARG,
                       "c3d config: 'class_names'[%d] is not a string", i);
        const char *name = arr ? it->valuestring : fallback;
        size_t len = strlen(name);
        PARN_RETURN_IF(len == 0 || len >= MAX_NAME, PARN_E_INVALID_ARG,
                       "c3d config: 'class_names'[%d] has %zu bytes, not 1 to %d", i, len, MAX_NAME - 1);
        c->class_names[i] = parn__strdup(name);
        PARN_RETURN_IF(!c->class_names[i], PARN_E_NOMEM, "c3d config: out of memory");
    }
    return PARN_OK;
}

static parn_status get_init(const cJSON *j, bool *kaiming)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "init");
    if (!v) return PARN_OK;
    PARN_RETURN_IF(!cJSON_IsString(v) || (strcmp(v->valuestring, "torch") && strcmp(v->valuestring, "kaiming")),
                   PARN_E_INVALID_ARG, "c3d config: init must be \"torch\" or \"kaiming\"");
    *kaiming = strcmp(v->valuestring, "kaiming") == 0;
    return PARN_OK;
}

static parn_status parse(const cJSON *j, parn_c3d_config *c)
{
    PARN_RETURN_IF(!cJSON_IsObject(j), PARN_E_INVALID_ARG, "c3d config: not a JSON object");
    PARN_TRY(check_keys(j));
    PARN_TRY(get_int(j, "variant", &c->variant));
    PARN_TRY(get_int(j, "classes", &c->classes));
    PARN_TRY(get_int(j, "frames", &c->frames));
    PARN_TRY(get_int(j, "crop", &c->crop));
    PARN_TRY(get_int(j, "fc", &c->fc));
    PARN_TRY(get_int(j, "fem_after", &c->fem_after));
    PARN_TRY(get_int(j, "base", &c->base));
    PARN_TRY(get_float(j, "dropout", &c->dropout));
    PARN_TRY(get_init(j, &c->kaiming));
    PARN_TRY(validate(c));
    return get_names(j, c);
}

/* Starts from the defaults: *c must hold no class names (parn_c3d_config_free it first). On
 * success class_names is always set (class_<i> when the JSON has none); on failure *c holds
 * the defaults. */
parn_status parn_c3d_from_json(const cJSON *j, parn_c3d_config *c)
{
    PARN_RETURN_IF(!c, PARN_E_INVALID_ARG, "c3d config: NULL config");
    parn_c3d_default(c);
    parn_status st = parse(j, c);
    if (st != PARN_OK) {
        parn_c3d_config_free(c);
        parn_c3d_default(c);
    }
    return st;
}

static bool add_names(cJSON *o, const parn_c3d_config *c)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "class_names");
    for (int i = 0; arr && i < c->classes; i++) {
        char fallback[32];
        snprintf(fallback, sizeof fallback, "class_%d", i);
        if (!cJSON_AddItemToArray(arr, cJSON_CreateString(c->class_names ? c->class_names[i] : fallback)))
            return false;
    }
    return arr != NULL;
}

cJSON *parn_c3d_to_json(const parn_c3d_config *c)
{
    cJSON *o = c ? cJSON_CreateObject() : NULL;
    bool ok = o && cJSON_AddNumberToObject(o, "variant", c->variant) &&
              cJSON_AddNumberToObject(o, "classes", c->classes) && add_names(o, c) &&
              cJSON_AddNumberToObject(o, "frames", c->frames) &&
              cJSON_AddNumberToObject(o, "crop", c->crop) && cJSON_AddNumberToObject(o, "fc", c->fc) &&
              cJSON_AddNumberToObject(o, "dropout", c->dropout) &&
              cJSON_AddNumberToObject(o, "fem_after", c->fem_after) &&
              cJSON_AddNumberToObject(o, "base", c->base) &&
              (!c->kaiming || cJSON_AddStringToObject(o, "init", "kaiming"));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* ---- builder --------------------------------------------------------------------------- */

static int conv_relu(parn_net *net, const char *name, int x, int64_t in_c, int64_t out_c)
{
    parn_conv_attrs a = parn_conv_attrs_default(3);
    for (int i = 0; i < 3; i++) a.pad_lo[i] = a.pad_hi[i] = 1;
    return parn_relu(net->g, parn_net_conv(net, name, x, in_c, out_c, (const int[]){3, 3, 3}, &a, true));
}

static int max_pool(parn_graph *g, int x, const c3d_block *b)
{
    parn_pool_attrs a = parn_pool_attrs_default(3, true, 2);
    a.kernel[0] = a.stride[0] = b->pool_depth;
    for (int i = 1; i < 3; i++) a.pad_lo[i] = a.pad_hi[i] = b->pool_pad;
    return parn_pool(g, x, &a);
}

/* Linear, then ReLU and (training only) dropout. */
static int fc_relu_dropout(parn_net *net, const char *name, int x, int64_t in, int64_t out, float p)
{
    int y = parn_relu(net->g, parn_net_linear(net, name, x, in, out, true));
    return net->training ? parn_dropout(net->g, y, p, true) : y;
}

/* The FEM on the output of block `block` (1-based), when the config places it there. */
static int fem_hook(parn_net *net, const parn_c3d_config *c, int block, int x, parn_net *fem,
                    const parn_fem_config *fem_cfg, int *fem_l2)
{
    if (!fem || c->fem_after != block) return x;
    if (!fem_cfg) return parn_graph_fail(net->g, PARN_E_INVALID_ARG, "c3d: FEM net without a FEM config");
    if (fem->g != net->g)
        return parn_graph_fail(net->g, PARN_E_INVALID_ARG, "c3d: the FEM net is on another graph");
    int channels = channels_of(c, block - 1);
    if (fem_cfg->channels != channels)
        return parn_graph_fail(net->g, PARN_E_INVALID_ARG,
                               "c3d: FEM has %d channels but conv block %d (fem_after) gives %d",
                               fem_cfg->channels, block, channels);
    return parn_fem_build(fem, fem_cfg, x, fem_l2);
}

/* Checks the clip against the configuration before any layer is appended. */
static int check_clip(parn_net *net, const parn_c3d_config *c, int clip)
{
    if (clip < 0 || clip >= parn_graph_size(net->g))
        return parn_graph_fail(net->g, PARN_E_INVALID_ARG, "c3d: clip is not a node (%d)", clip);
    const parn_tensor *t = parn_graph_tensor(net->g, clip);
    if (t->ndim != 5 || t->dims[1] != 3 || t->dims[2] != c->frames || t->dims[3] != c->crop ||
        t->dims[4] != c->crop)
        return parn_graph_fail(net->g, PARN_E_SHAPE,
                               "c3d: clip %s is not N x 3 x %d x %d x %d (frames x crop x crop)",
                               parn_tensor_shape_str(t), c->frames, c->crop, c->crop);
    return clip;
}

int parn_c3d_build(parn_net *net, const parn_c3d_config *c, int clip, parn_net *fem,
                   const parn_fem_config *fem_cfg, int *fem_l2)
{
    if (fem_l2) *fem_l2 = -1;
    if (!net || !net->g) return -1;
    if (parn_graph_status(net->g) != PARN_OK) return -1;
    if (!c) return parn_graph_fail(net->g, PARN_E_INVALID_ARG, "c3d: NULL config");
    if (validate(c) != PARN_OK) return parn_graph_fail(net->g, PARN_E_INVALID_ARG, "%s", parn__thread_error());
    net->kaiming = c->kaiming; /* only matters while the model is being created */
    int x = check_clip(net, c, clip);
    const c3d_block *blocks = blocks_of(c->variant);
    int64_t in_c = 3;
    for (int k = 0; k < C3D_BLOCKS && x >= 0; k++) {
        int64_t out_c = channels_of(c, k);
        for (int j = 0; j < 2 && blocks[k].conv[j]; j++, in_c = out_c)
            x = conv_relu(net, blocks[k].conv[j], x, in_c, out_c);
        x = fem_hook(net, c, k + 1, max_pool(net->g, x, &blocks[k]), fem, fem_cfg, fem_l2);
    }
    int64_t dhw[3];
    dims_after(c->variant, c->frames, c->crop, C3D_BLOCKS, dhw);
    int64_t flat = in_c * dhw[0] * dhw[1] * dhw[2];
    int64_t n = x >= 0 ? parn_graph_tensor(net->g, x)->dims[0] : 1;
    x = parn_reshape(net->g, x, 2, (const int64_t[]){n, flat});
    x = fc_relu_dropout(net, "fc6", x, flat, c->fc, c->dropout);
    x = fc_relu_dropout(net, "fc7", x, c->fc, c->fc, c->dropout);
    return parn_net_linear(net, "fc8", x, c->fc, c->classes, true);
}
