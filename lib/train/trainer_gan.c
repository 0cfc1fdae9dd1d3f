/* SPDX-License-Identifier: MIT */
/* The GAN phase (paper 3.1, 3.4, 4.3): each item of a face batch is T consecutive crops (the
 * discriminator's clip). Frame by frame the generator sees the crop with the inscribed ellipse
 * masked out (what the anonymizer covers at inference), the mask, its own previous output for
 * the same item (zeros first, no gradient through it) and noise; its output is composited into
 * the crop (mask * G + (1 - mask) * x). The discriminator judges each composite (PatchGAN) and
 * the clip of T composites (temporal branch).
 *
 * Two step graphs share the generator part: "G" (the generator's loss against a frozen D) and,
 * on one step in d_every, "G+D", which adds D's loss on real clips and on the detached
 * composites; one backward pass of L_G + L_D then gives each network its own gradient (D's
 * params see only L_D, G's only L_G), so both update from the same step: simultaneous updates
 * rather than pix2pix's D-first order. */
#include "trainer.h"

#include <stdio.h>
#include <string.h>

#define EMBED_SIZE 150
/* face-api.js's per-channel RGB means, as the embedder's runner subtracts them (/ 255). */
static const float embed_mean[3] = {122.782f / 255.0f, 117.001f / 255.0f, 104.298f / 255.0f};

typedef struct gan_dims {
    int64_t n, t, c, s, z;
    bool temporal;
} gan_dims;

struct parn_gan_state {
    gan_dims d;
    parn_step_graph step[2];       /* [0]: G only; [1]: G and D */
    float *x, *labels, *noise;     /* the batch, n x T noise vectors */
    float *mask, *keep, *zeros;    /* n copies of the ellipse, 1 - ellipse, the first prev */
    float mean[3];
    /* evaluation */
    parn_graph *eval;
    int eval_x, *eval_ssim, eval_ex, eval_ef;
    bool eval_identity;
};

parn_status parn__gan_face_model(parn_trainer_t *t)
{
    if (t->face_model) return PARN_OK;
    parn_model_t *m = NULL;
    parn_status st = parn__session_face_model(t->s, PARN_NET_EMBEDDER, &m);
    PARN_RETURN_IF(st != PARN_OK, PARN_E_NOT_FOUND,
                   "trainer: the identity loss needs the face embedder: %s", parn__thread_error());
    t->face_model = m;
    return PARN_OK;
}

void parn__gan_free(struct parn_gan_state *g)
{
    if (!g) return;
    for (int i = 0; i < 2; i++) parn__step_graph_free(&g->step[i]);
    parn_graph_destroy(g->eval);
    parn__free(g->eval_ssim);
    parn__free(g->x);
    parn__free(g->labels);
    parn__free(g->noise);
    parn__free(g->mask);
    parn__free(g->keep);
    parn__free(g->zeros);
    parn__free(g);
}

/* ---- state ----------------------------------------------------------------------------------- */

static float *zeroed(size_t n)
{
    float *p = parn__aligned_alloc((n ? n : 1) * sizeof(float));
    if (p) memset(p, 0, (n ? n : 1) * sizeof(float));
    return p;
}

/* The disc inscribed in the s x s crop: what the anonymizer's ellipse region covers of a
 * square crop (pixel centres strictly inside). */
static void fill_masks(struct parn_gan_state *g)
{
    int64_t s = g->d.s, plane = s * s;
    for (int64_t v = 0; v < s; v++)
        for (int64_t u = 0; u < s; u++) {
            double dx = ((double)u + 0.5) / (double)s * 2.0 - 1.0;
            double dy = ((double)v + 0.5) / (double)s * 2.0 - 1.0;
            float m = dx * dx + dy * dy < 1.0 ? 1.0f : 0.0f;
            g->keep[v * s + u] = 1.0f - m;
            for (int64_t i = 0; i < g->d.n; i++) g->mask[i * plane + v * s + u] = m;
        }
}

static parn_status state_of(parn_trainer_t *t, struct parn_gan_state **out)
{
    if (t->gan) {
        *out = t->gan;
        return PARN_OK;
    }
    const parn_generator_config *gc = &t->model->generator;
    struct parn_gan_state *g = parn__calloc(1, sizeof *g);
    PARN_RETURN_IF(!g, PARN_E_NOMEM, "trainer: out of memory");
    t->gan = g;
    g->d = (gan_dims){.n = t->cfg.face_batch, .t = t->model->discriminator.frames, .c = gc->channels,
                      .s = gc->size, .z = gc->noise_dim, .temporal = gc->temporal};
    size_t image = (size_t)(g->d.c * g->d.s * g->d.s), plane = (size_t)(g->d.s * g->d.s);
    g->x = zeroed((size_t)(g->d.n * g->d.t) * image);
    g->labels = zeroed((size_t)g->d.n);
    g->noise = zeroed((size_t)(g->d.t * g->d.n * g->d.z));
    g->mask = zeroed((size_t)g->d.n * plane);
    g->keep = zeroed(plane);
    g->zeros = zeroed((size_t)g->d.n * image);
    PARN_RETURN_IF(!g->x || !g->labels || !g->noise || !g->mask || !g->keep || !g->zeros,
                   PARN_E_NOMEM, "trainer: out of memory for the face batch");
    memcpy(g->mean, embed_mean, sizeof g->mean);
    fill_masks(g);
    *out = g;
    return PARN_OK;
}

/* ---- graphs -------------------------------------------------------------------------------- */

static int bound(parn_graph *g, const char *name, int ndim, const int64_t *dims, float *data)
{
    int id = parn_graph_input(g, name, ndim, dims);
    if (id >= 0) parn_graph_bind(g, id, data);
    return id;
}

/* The generator over the T frames of the batch (x: n x T x C x S x S), frame by frame with its
 * previous output; returns the composites n x T x C x S x S. */
static int generate(parn_trainer_t *t, struct parn_gan_state *st, parn_graph *g, int x, bool train)
{
    const gan_dims *d = &st->d;
    const parn_generator_config *gc = &t->model->generator;
    int mask = bound(g, "mask", 4, (int64_t[]){d->n, 1, d->s, d->s}, st->mask);
    int keep = bound(g, "keep", 4, (int64_t[]){1, 1, d->s, d->s}, st->keep);
    int prev = d->temporal ? bound(g, "prev", 4, (int64_t[]){d->n, d->c, d->s, d->s}, st->zeros) : -1;
    parn_net net = parn__trainer_net(t, g, PARN_NET_GENERATOR, train, train);
    int comps[PARN_TRAIN_MAX_FRAMES];
    for (int64_t f = 0; f < d->t; f++) {
        int xt = parn_slice(g, x, (int64_t[]){0, f, 0, 0, 0}, (int64_t[]){d->n, 1, d->c, d->s, d->s});
        xt = parn_reshape(g, xt, 4, (int64_t[]){d->n, d->c, d->s, d->s});
        int masked = parn_mul(g, xt, keep);
        char name[16];
        snprintf(name, sizeof name, "noise%d", (int)f);
        int noise = d->z > 0 ? bound(g, name, 2, (int64_t[]){d->n, d->z}, st->noise + f * d->n * d->z) : -1;
        int out = parn_generator_build(&net, gc, masked, mask, prev, noise);
        if (d->temporal) prev = parn_loss_detach(g, out);
        int comp = parn_add(g, masked, parn_mul(g, out, mask));
        comps[f] = parn_reshape(g, comp, 5, (int64_t[]){d->n, 1, d->c, d->s, d->s});
    }
    parn_net_release(&net);
    return d->t == 1 ? comps[0] : parn_concat(g, (int)d->t, comps, 1);
}

/* n x T x C x S x S -> n x C x T x S x S, the discriminator's clip. */
static int as_clip(parn_graph *g, int frames)
{
    return parn_permute(g, frames, (const int[]){0, 2, 1, 3, 4});
}

/* (n T) x C x S x S images: the frames one after the other. */
static int as_images(parn_graph *g, const gan_dims *d, int frames)
{
    return parn_reshape(g, frames, 4, (int64_t[]){d->n * d->t, d->c, d->s, d->s});
}

/* The embedder's descriptors of images in [0, 1]: resized to 150 x 150 (bilinear, half-pixel
 * centres: face-api.js uses TF's legacy sampling, a sub-pixel shift) and normalised as its
 * runner does. */
static int embed(parn_trainer_t *t, struct parn_gan_state *st, parn_graph *g, int images)
{
    int mean = bound(g, "embed_mean", 4, (int64_t[]){1, 3, 1, 1}, st->mean);
    int x = parn_resize_bilinear(g, images, EMBED_SIZE, EMBED_SIZE, false);
    parn_net net = parn_net_make(g, t->face_model, "embedder.", false);
    net.frozen = true;
    int e = parn_face_embedder_build(&net, parn_sub(g, x, mean));
    parn_net_release(&net);
    return e;
}

/* The discriminator (net) on a clip; features (may be NULL) receive its LeakyReLU outputs. One
 * net per role and graph, so that every application shares the same weight leaves. */
static int discriminate(parn_trainer_t *t, parn_net *net, int clip, int *patch, int *features,
                        int *n_features)
{
    parn_graph *g = net->g;
    int first = parn_graph_size(g);
    int logit = parn_discriminator_build(net, &t->model->discriminator, clip, patch);
    for (int i = first; features && i < parn_graph_size(g) && *n_features < 16; i++)
        if (parn_graph_node(g, i)->op == PARN_OP_ACT) features[(*n_features)++] = i;
    return logit;
}

/* Mean of the adversarial terms of the two branches. */
static int both_branches(parn_graph *g, int patch_term, int clip_term)
{
    return parn_loss_weighted_sum(g, 2, (int[]){patch_term, clip_term}, (float[]){0.5f, 0.5f});
}

static parn_status build_step(parn_trainer_t *t, struct parn_gan_state *st, bool with_d)
{
    const gan_dims *d = &st->d;
    const parn_train_config *c = &t->cfg;
    parn_step_graph *sg = &st->step[with_d];
    parn_graph *g = sg->g = parn_graph_create();
    PARN_RETURN_IF(!g, PARN_E_NOMEM, "trainer: out of memory");
    int x = bound(g, "faces", 5, (int64_t[]){d->n, d->t, d->c, d->s, d->s}, st->x);
    int fake = generate(t, st, g, x, true);
    int fake_clip = as_clip(g, fake), real_clip = as_clip(g, x);
    /* D frozen for L_G, trainable for L_D */
    parn_net frozen = parn__trainer_net(t, g, PARN_NET_DISCRIMINATOR, false, true);
    parn_net trained = parn__trainer_net(t, g, PARN_NET_DISCRIMINATOR, true, true);
    int fake_patch, feats_fake[16], n_fake = 0;
    int fake_logit = discriminate(t, &frozen, fake_clip, &fake_patch, feats_fake, &n_fake);
    int adv = both_branches(g, parn_loss_g_adversarial(g, fake_patch), parn_loss_g_adversarial(g, fake_logit));
    int real_img = as_images(g, d, x), fake_img = as_images(g, d, fake);
    int ssim = parn_loss_ssim_term(g, real_img, fake_img);
    int identity = c->l_feat > 0 ? parn_loss_identity(g, embed(t, st, g, real_img), embed(t, st, g, fake_img),
                                                      c->identity_margin)
                                 : -1;
    int fm = -1;
    if (c->feature_matching > 0) {
        int real_patch, feats_real[16], n_real = 0;
        discriminate(t, &frozen, real_clip, &real_patch, feats_real, &n_real);
        fm = parn_loss_feature_matching(g, n_real < n_fake ? n_real : n_fake, feats_real, feats_fake);
    }
    int l_g = parn_loss_weighted_sum(g, 4, (int[]){adv, ssim, identity, fm},
                                     (float[]){c->l_adv, c->l_ssim, c->l_feat, c->feature_matching});
    parn__step_graph_term(sg, "g_adv", adv);
    parn__step_graph_term(sg, "ssim_loss", ssim);
    parn__step_graph_term(sg, "identity", identity);
    parn__step_graph_term(sg, "feature_matching", fm);
    parn__step_graph_term(sg, "g_total", l_g);
    int loss = l_g;
    if (with_d) {
        int rp, fp;
        int rl = discriminate(t, &trained, real_clip, &rp, NULL, NULL);
        int fl = discriminate(t, &trained, parn_loss_detach(g, fake_clip), &fp, NULL, NULL);
        int l_d = both_branches(g, parn_loss_d_adversarial(g, rp, fp), parn_loss_d_adversarial(g, rl, fl));
        parn__step_graph_term(sg, "d", l_d);
        loss = parn_add(g, l_g, l_d);
    }
    parn_net_release(&frozen);
    parn_net_release(&trained);
    unsigned groups = (1u << PARN_NET_GENERATOR) | (with_d ? 1u << PARN_NET_DISCRIMINATOR : 0);
    return parn__step_graph_finish(t, sg, loss, groups);
}

/* ---- the step -------------------------------------------------------------------------------- */

static void draw_noise(parn_rng *rng, struct parn_gan_state *st)
{
    int64_t n = st->d.t * st->d.n * st->d.z;
    for (int64_t i = 0; i < n; i++) st->noise[i] = parn__rng_normal(rng);
}

parn_status parn__gan_step(parn_trainer_t *t, int64_t b, unsigned *groups)
{
    struct parn_gan_state *st = NULL;
    PARN_TRY(state_of(t, &st));
    parn_batch_spec spec = parn__face_spec(t, (int)st->d.n, t->cfg.augment);
    PARN_TRY(parn__dataset_batch(t->faces, &spec, b, st->x, st->labels, NULL));
    draw_noise(&t->rng, st);
    bool with_d = t->step % t->cfg.d_every == 0;
    parn_step_graph *sg = &st->step[with_d];
    if (!sg->g) PARN_TRY(build_step(t, st, with_d));
    PARN_TRY(parn__step_graph_run(t, sg));
    parn__record_terms(t, sg, NULL);
    if (with_d) t->d_updates++;
    if (t->record) {
        cJSON_AddBoolToObject(t->record, "d_update", with_d);
        cJSON_AddNumberToObject(t->record, "d_updates", (double)t->d_updates);
    }
    *groups = (1u << PARN_NET_GENERATOR) | (with_d ? 1u << PARN_NET_DISCRIMINATOR : 0);
    return PARN_OK;
}

/* ---- evaluation ------------------------------------------------------------------------------ */

/* The generator in inference mode (running statistics, frozen) on the batch; per item the SSIM
 * of its T crops with their composites, and the descriptors of both when the embedder is there. */
static parn_status build_eval(parn_trainer_t *t, struct parn_gan_state *st)
{
    const gan_dims *d = &st->d;
    parn_graph *g = st->eval = parn_graph_create();
    st->eval_ssim = parn__calloc((size_t)d->n, sizeof(int));
    PARN_RETURN_IF(!g || !st->eval_ssim, PARN_E_NOMEM, "trainer: out of memory");
    st->eval_x = bound(g, "faces", 5, (int64_t[]){d->n, d->t, d->c, d->s, d->s}, st->x);
    int fake = generate(t, st, g, st->eval_x, false);
    int real_img = as_images(g, d, st->eval_x), fake_img = as_images(g, d, fake);
    for (int64_t i = 0; i < d->n; i++) {
        int64_t start[4] = {i * d->t, 0, 0, 0}, size[4] = {d->t, d->c, d->s, d->s};
        st->eval_ssim[i] = parn_ssim(g, parn_slice(g, real_img, start, size),
                                     parn_slice(g, fake_img, start, size), 11, 1.5f);
        parn_graph_keep(g, st->eval_ssim[i]);
    }
    st->eval_identity = parn__gan_face_model(t) == PARN_OK;
    if (st->eval_identity) {
        st->eval_ex = embed(t, st, g, real_img);
        st->eval_ef = embed(t, st, g, fake_img);
        parn_graph_keep(g, st->eval_ex);
        parn_graph_keep(g, st->eval_ef);
    }
    parn_status s = parn_graph_status(g);
    PARN_RETURN_IF(s != PARN_OK, s, "trainer: building the GAN evaluation: %s", parn_graph_error(g));
    PARN_TRY(parn__trainer_add_graph(t, g));
    return parn_graph_plan(g, t->s->backend, t->s->ctx);
}

/* Sums of one batch's first `items` items: SSIM and the mean descriptor distance per item. */
static parn_status eval_batch(parn_trainer_t *t, struct parn_gan_state *st, int64_t items,
                              float *ex, float *ef, double *ssim, double *dist)
{
    PARN_TRY(parn_graph_run(st->eval, t->s->backend, t->s->ctx));
    for (int64_t i = 0; i < items; i++) {
        float v;
        PARN_TRY(parn_graph_read(st->eval, st->eval_ssim[i], &v));
        *ssim += v;
    }
    if (!st->eval_identity) return PARN_OK;
    PARN_TRY(parn_graph_read(st->eval, st->eval_ex, ex));
    PARN_TRY(parn_graph_read(st->eval, st->eval_ef, ef));
    for (int64_t i = 0; i < items * st->d.t; i++)
        *dist += parn_descriptor_distance(ex + i * PARN_DESCRIPTOR_SIZE, ef + i * PARN_DESCRIPTOR_SIZE) /
                 (double)st->d.t;
    return PARN_OK;
}

parn_status parn__gan_evaluate(parn_trainer_t *t, parn_dataset_t *data, int64_t max_items, cJSON *out)
{
    struct parn_gan_state *st = NULL;
    PARN_TRY(state_of(t, &st));
    if (!st->eval) PARN_TRY(build_eval(t, st));
    int64_t total = parn_dataset_size(data), n = st->d.n;
    if (max_items > 0 && max_items < total) total = max_items;
    size_t desc = (size_t)(n * st->d.t) * PARN_DESCRIPTOR_SIZE;
    float *ex = parn__malloc(desc * sizeof(float)), *ef = parn__malloc(desc * sizeof(float));
    parn_status s = ex && ef ? PARN_OK : parn__fail(PARN_E_NOMEM, "trainer: out of memory");
    parn_rng rng; /* its own noise: evaluating leaves the training stream as it was */
    parn__rng_seed(&rng, 0x5eed);
    parn_batch_spec spec = parn__face_spec(t, (int)n, false);
    double ssim = 0, dist = 0;
    for (int64_t b = 0, done = 0; s == PARN_OK && done < total; b++, done += n) {
        s = parn__dataset_batch(data, &spec, b, st->x, st->labels, NULL);
        draw_noise(&rng, st);
        int64_t items = total - done < n ? total - done : n;
        if (s == PARN_OK) s = eval_batch(t, st, items, ex, ef, &ssim, &dist);
    }
    parn__free(ex);
    parn__free(ef);
    PARN_TRY(s);
    cJSON_AddNumberToObject(out, "ssim", total ? ssim / (double)total : 0.0);
    if (st->eval_identity) cJSON_AddNumberToObject(out, "identity_distance", total ? dist / (double)total : 0.0);
    else cJSON_AddNullToObject(out, "identity_distance");
    cJSON_AddNumberToObject(out, "items", (double)total);
    return PARN_OK;
}
