/* SPDX-License-Identifier: MIT */
/* Face regeneration with the MS-GAN generator: patch -> crop + mask + previous output + noise
 * -> graph -> patch. */
#include "gan.h"
#include "resample.h"

#include "models/model.h"

#include <math.h>
#include <string.h>

struct parn_gan {
    parn_generator_config c;
    const parn_backend *be;
    parn_backend_ctx *ctx;
    parn_graph *g;
    int out;
    size_t plane;                       /* size * size */
    float *crop;                        /* 3 planes: the patch resized, [0, 1] */
    float *masked, *mask, *prev, *noise; /* bound to the graph's inputs */
    float *result;                      /* channels planes */
};

static float clamp01(float v)
{
    return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

void parn_gan_destroy(parn_gan *gan)
{
    if (!gan) return;
    parn_graph_destroy(gan->g);
    parn__free(gan->crop);
    parn__free(gan->masked);
    parn__free(gan->mask);
    parn__free(gan->prev);
    parn__free(gan->noise);
    parn__free(gan->result);
    parn__free(gan);
}

/* Inputs 1 x C x S x S (masked, prev), 1 x 1 x S x S (mask), 1 x Z (noise) bound to buffers. */
static int bound_input(parn_gan *gan, const char *name, int ndim, const int64_t *dims, float **buf,
                       size_t n)
{
    *buf = parn__aligned_alloc(n * sizeof(float));
    if (!*buf) return parn_graph_fail(gan->g, PARN_E_NOMEM, "generator: out of memory");
    memset(*buf, 0, n * sizeof(float));
    int id = parn_graph_input(gan->g, name, ndim, dims);
    if (id >= 0 && parn_graph_bind(gan->g, id, *buf) != PARN_OK) return -1;
    return id;
}

static parn_status build(parn_gan *gan, const parn_model_t *m)
{
    const parn_generator_config *c = &gan->c;
    int64_t side = c->size, ch = c->channels;
    gan->g = parn_graph_create();
    PARN_RETURN_IF(!gan->g, PARN_E_NOMEM, "generator: out of memory");
    gan->crop = parn__aligned_alloc(3 * gan->plane * sizeof(float));
    gan->result = parn__aligned_alloc((size_t)ch * gan->plane * sizeof(float));
    PARN_RETURN_IF(!gan->crop || !gan->result, PARN_E_NOMEM, "generator: out of memory");
    const int64_t image[4] = {1, ch, side, side}, cond[4] = {1, 1, side, side};
    const int64_t noise_dims[2] = {1, c->noise_dim};
    size_t image_n = (size_t)ch * gan->plane;
    int masked = bound_input(gan, "masked", 4, image, &gan->masked, image_n);
    int mask = bound_input(gan, "mask", 4, cond, &gan->mask, gan->plane);
    int prev = c->temporal ? bound_input(gan, "prev", 4, image, &gan->prev, image_n) : -1;
    int noise = c->noise_dim > 0
                    ? bound_input(gan, "noise", 2, noise_dims, &gan->noise, (size_t)c->noise_dim)
                    : -1;
    /* the weights are only read: the model stays immutable */
    parn_net net = parn_net_make(gan->g, (parn_model_t *)m, "generator.", false);
    net.frozen = true;
    gan->out = parn_generator_build(&net, c, masked, mask, prev, noise);
    parn_net_release(&net);
    parn_status st = parn_graph_status(gan->g);
    PARN_RETURN_IF(st != PARN_OK, st, "generator: %s", parn_graph_error(gan->g));
    PARN_TRY(parn_graph_keep(gan->g, gan->out));
    return parn_graph_plan(gan->g, gan->be, gan->ctx);
}

parn_status parn_gan_create(const parn_model_t *m, const parn_backend *be, parn_backend_ctx *ctx,
                            parn_gan **out)
{
    PARN_RETURN_IF(!m || !be || !ctx || !out, PARN_E_INVALID_ARG, "generator: NULL argument");
    PARN_RETURN_IF(!m->has[PARN_NET_GENERATOR], PARN_E_NOT_FOUND, "the model has no generator");
    PARN_RETURN_IF(m->generator.channels != 1 && m->generator.channels != 3, PARN_E_UNSUPPORTED,
                   "anonymize: a generator of %d channels cannot regenerate RGB or gray faces",
                   m->generator.channels);
    parn_gan *gan = parn__calloc(1, sizeof *gan);
    PARN_RETURN_IF(!gan, PARN_E_NOMEM, "generator: out of memory");
    gan->c = m->generator;
    gan->be = be;
    gan->ctx = ctx;
    gan->plane = (size_t)gan->c.size * (size_t)gan->c.size;
    parn_status st = build(gan, m);
    if (st != PARN_OK) {
        parn_gan_destroy(gan);
        return st;
    }
    *out = gan;
    return PARN_OK;
}

/* The generator's inputs: the crop (luma for one channel) with the covered part zeroed, the mask
 * of what region r covers at each crop pixel's frame position, the previous output, the noise. */
static void fill_inputs(parn_gan *gan, int x, int y, int w, int h, const parn_region *r,
                        const float *prev, parn_rng *rng)
{
    int side = gan->c.size;
    parn_region_crop_mask(r, x, y, w, h, side, gan->mask);
    const float *cr = gan->crop, *cg = cr + gan->plane, *cb = cg + gan->plane;
    for (size_t k = 0; k < gan->plane; k++) {
        float keep = 1.0f - gan->mask[k];
        if (gan->c.channels == 1) {
            gan->masked[k] = keep * clamp01(0.299f * cr[k] + 0.587f * cg[k] + 0.114f * cb[k]);
            continue;
        }
        for (size_t c = 0; c < 3; c++)
            gan->masked[c * gan->plane + k] = keep * clamp01(gan->crop[c * gan->plane + k]);
    }
    size_t image = (size_t)gan->c.channels * gan->plane;
    if (gan->c.temporal) memcpy(gan->prev, prev, image * sizeof(float));
    for (int i = 0; i < gan->c.noise_dim; i++) gan->noise[i] = parn__rng_normal(rng);
}

parn_status parn_gan_run(parn_gan *gan, float *rgb, int x, int y, int w, int h,
                         const parn_region *r, float **prev, parn_rng *rng)
{
    PARN_RETURN_IF(!gan || !rgb || !r || !prev || !rng || w < 1 || h < 1, PARN_E_INVALID_ARG,
                   "generator: bad arguments");
    size_t image = (size_t)gan->c.channels * gan->plane;
    if (!*prev) {
        *prev = parn__aligned_alloc(image * sizeof(float));
        PARN_RETURN_IF(!*prev, PARN_E_NOMEM, "generator: out of memory");
        memset(*prev, 0, image * sizeof(float)); /* a track's first frame */
    }
    int side = gan->c.size;
    parn_fview patch = {rgb, w, h, 3 * (size_t)w, 3, 1};
    parn_fview crop = {gan->crop, side, side, (size_t)side, 1, gan->plane};
    parn_fview_resize(&patch, &crop, 3, 1.0f / 255.0f);
    fill_inputs(gan, x, y, w, h, r, *prev, rng);
    PARN_TRY(parn_graph_run(gan->g, gan->be, gan->ctx));
    PARN_TRY(parn_graph_read(gan->g, gan->out, gan->result));
    memcpy(*prev, gan->result, image * sizeof(float));
    /* one channel: every colour reads the same plane */
    parn_fview result = {gan->result, side, side, (size_t)side, 1, gan->c.channels == 1 ? 0 : gan->plane};
    parn_fview_resize(&result, &patch, 3, 255.0f);
    return PARN_OK;
}
