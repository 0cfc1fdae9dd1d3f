/* SPDX-License-Identifier: MIT */
/* The PARN networks: their configurations (every hyper-parameter, JSON in model files) and
 * the functions that append them to a graph. One network per file in lib/models/. */
#ifndef PARN_MODELS_H
#define PARN_MODELS_H

#include "net.h"

#include <cjson/cJSON.h>

typedef enum parn_net_kind {
    PARN_NET_GENERATOR,
    PARN_NET_DISCRIMINATOR,
    PARN_NET_FEM,
    PARN_NET_C3D,
    PARN_NET_DETECTOR,
    PARN_NET_EMBEDDER,
    PARN_NET__COUNT
} parn_net_kind;

/* "generator", "discriminator", "fem", "c3d", "detector", "embedder"; the tensor prefix adds ".". */
const char *parn_net_name(parn_net_kind kind);

/* ---- generator.c: MS-GAN multi-scale feature-fusion U-Net (paper 3.1) ---- */
typedef struct parn_generator_config {
    int size;            /* square crop side, default 128; a multiple of 2^depth */
    int channels;        /* image channels, default 3 */
    int base;            /* channels of the first encoder block, default 32 (doubling, capped at max_channels) */
    int depth;           /* stride-2 encoder blocks, default 4 (128 -> 8 at the bottleneck) */
    int noise_dim;       /* length of the noise vector Z, default 128; 0 disables noise */
    int fusion_channels; /* channels of each multi-scale fusion branch, default 256 */
    float gamma;         /* softmax temperature of eqs. 3-4, default 1 */
    bool temporal;       /* previous generated crop as an input, default true */
    int max_channels;    /* cap of the encoder's doubling channels, default 256 */
} parn_generator_config;

/* ---- discriminator.c: spatio-temporal discriminator ---- */
typedef struct parn_discriminator_config {
    int size;            /* crop side, default 128 */
    int channels;        /* default 3 */
    int base;            /* PatchGAN first-layer channels, default 64 */
    int frames;          /* T consecutive crops for the temporal branch, default 4 */
    int temporal_base;   /* first 3-D conv channels, default 32 */
} parn_discriminator_config;

/* ---- fem.c: feature enhancement module (paper 3.2) ---- */
typedef struct parn_fem_config {
    int channels;        /* channels of the features it enhances, default 64 (C3D after pool1) */
    int reduction;       /* channel-attention bottleneck ratio, default 16 */
    int privacy_hidden;  /* channels of the privacy branch's 1x1/3x3 convs, default 32 */
    int spatial_kernel;  /* spatial-attention conv kernel, default 7 */
} parn_fem_config;

/* ---- c3d.c: action classifier (paper 3.3) ---- */
#define PARN_MAX_CLASSES 1024
typedef struct parn_c3d_config {
    int variant;         /* 5 (the paper's, default) or 8 (the original C3D) conv layers */
    int classes;         /* default 101 */
    char **class_names;  /* classes strings (owned by the config), or NULL for "class_<i>" */
    int frames;          /* clip length, default 16 */
    int crop;            /* square crop side, default 112 (from frames resized to 128x171) */
    int fc;              /* width of the two fully connected layers, default 2048 */
    float dropout;       /* dropout after each FC layer when training, default 0.5 */
    int fem_after;       /* FEM goes after this conv block (1 = after conv1/pool1), 0 = none */
    bool kaiming;        /* "init": "kaiming": fresh weights He-normal, biases 0 (trains from
                            scratch far better); "torch" (default): torch.nn's initialisation */
    int base;            /* channels of conv1, default 64; the later convs have fixed multiples:
                            x2, x4, x4, x4 (variant 8: x2, x4, x4, x8, x8, x8, x8) */
} parn_c3d_config;

/* For each network: defaults, JSON round trip (missing keys keep defaults; every value is
 * validated with a message), and the graph builder. Builders return the output node or -1
 * (the graph's sticky error says why). */
void parn_generator_default(parn_generator_config *c);
parn_status parn_generator_from_json(const cJSON *j, parn_generator_config *c);
cJSON *parn_generator_to_json(const parn_generator_config *c);
/* masked, prev: N x channels x size x size; mask: N x 1 x size x size; noise: N x noise_dim
 * (-1 when noise_dim is 0; prev -1 when not temporal). Output N x channels x size x size in [0, 1]. */
int parn_generator_build(parn_net *net, const parn_generator_config *c, int masked, int mask,
                         int prev, int noise);

void parn_discriminator_default(parn_discriminator_config *c);
parn_status parn_discriminator_from_json(const cJSON *j, parn_discriminator_config *c);
cJSON *parn_discriminator_to_json(const parn_discriminator_config *c);
/* crops: N x channels x frames x size x size (a clip of consecutive face crops). patch (out):
 * N*frames x 1 x 30 x 30 (for size 128) per-frame PatchGAN logits; returns the temporal branch's
 * N x 1 logit. */
int parn_discriminator_build(parn_net *net, const parn_discriminator_config *c, int crops,
                             int *patch);

void parn_fem_default(parn_fem_config *c);
parn_status parn_fem_from_json(const cJSON *j, parn_fem_config *c);
cJSON *parn_fem_to_json(const parn_fem_config *c);
/* features: N x channels x D x H x W (or N x channels x H x W). Returns the recalibrated
 * features (same dims); l2 (out, may be NULL): scalar node, the L2 penalty on FC1's output. */
int parn_fem_build(parn_net *net, const parn_fem_config *c, int features, int *l2);

void parn_c3d_default(parn_c3d_config *c);
parn_status parn_c3d_from_json(const cJSON *j, parn_c3d_config *c);
cJSON *parn_c3d_to_json(const parn_c3d_config *c);
void parn_c3d_config_free(parn_c3d_config *c);   /* frees class_names */
/* clip: N x 3 x frames x crop x crop. fem: the FEM's net and config, or NULL for none (then
 * c->fem_after is ignored); fem_l2 (out, may be NULL) as in parn_fem_build. Returns logits
 * N x classes. */
int parn_c3d_build(parn_net *net, const parn_c3d_config *c, int clip, parn_net *fem,
                   const parn_fem_config *fem_cfg, int *fem_l2);

#endif
