/* SPDX-License-Identifier: MIT */
/* The joint phase (paper 3.4 eq. 9, 4.3): every network at one tenth of its rate; a GAN step's
 * L_total on a face batch plus l_cls * L_cls on a clip batch whose faces the current generator
 * has replaced, as the anonymizer does at inference: the face box grown by the session's
 * margin, the covered ellipse masked out, the generator run in inference mode frame after frame
 * with its previous output, the result blended back with the feathered edge.
 *
 * The paste is not differentiable: boxes differ per clip and frame, and a crop-resize-paste at
 * varying places has no fixed-shape graph form, so L_cls trains FEM + C3D on anonymized clips
 * while the generator learns from L_total alone (documented in docs/training.md). */
#include "trainer.h"

#include "core/options.h"
#include "pipeline/region.h"
#include "pipeline/resample.h"

#include <math.h>
#include <string.h>

struct parn_paste_state {
    int64_t n, c, s, z;
    parn_graph *g;
    int out;
    float *masked, *mask, *prev, *noise, *result;
    float *alpha, *patch;      /* one face: coverage and the resized output, at most crop^2 */
    bool *valid;
    parn_region *regions;
};

void parn__paste_free(struct parn_paste_state *p)
{
    if (!p) return;
    parn_graph_destroy(p->g);
    parn__free(p->masked);
    parn__free(p->mask);
    parn__free(p->prev);
    parn__free(p->noise);
    parn__free(p->result);
    parn__free(p->alpha);
    parn__free(p->patch);
    parn__free(p->valid);
    parn__free(p->regions);
    parn__free(p);
}

/* A picture plane of floats: element (x, y) at data[y * row + x]. */
static parn_fview plane_of(float *data, int w, int h, size_t row)
{
    return (parn_fview){data, w, h, row, 1, 0};
}

static float *buffer(size_t n)
{
    float *p = parn__aligned_alloc((n ? n : 1) * sizeof(float));
    if (p) memset(p, 0, (n ? n : 1) * sizeof(float));
    return p;
}

static int bound(parn_graph *g, const char *name, int ndim, const int64_t *dims, float *data)
{
    int id = parn_graph_input(g, name, ndim, dims);
    if (id >= 0) parn_graph_bind(g, id, data);
    return id;
}

static parn_status build(parn_trainer_t *t, struct parn_paste_state *p)
{
    const parn_generator_config *gc = &t->model->generator;
    int64_t n = p->n, c = p->c, s = p->s, z = p->z;
    p->g = parn_graph_create();
    PARN_RETURN_IF(!p->g, PARN_E_NOMEM, "trainer: out of memory");
    parn_graph *g = p->g;
    int masked = bound(g, "masked", 4, (int64_t[]){n, c, s, s}, p->masked);
    int mask = bound(g, "mask", 4, (int64_t[]){n, 1, s, s}, p->mask);
    int prev = gc->temporal ? bound(g, "prev", 4, (int64_t[]){n, c, s, s}, p->prev) : -1;
    int noise = z > 0 ? bound(g, "noise", 2, (int64_t[]){n, z}, p->noise) : -1;
    parn_net net = parn__trainer_net(t, g, PARN_NET_GENERATOR, false, false);
    p->out = parn_generator_build(&net, gc, masked, mask, prev, noise);
    parn_net_release(&net);
    parn_status st = parn_graph_status(g);
    PARN_RETURN_IF(st != PARN_OK, st, "trainer: building the face paste: %s", parn_graph_error(g));
    PARN_TRY(parn_graph_keep(g, p->out));
    PARN_TRY(parn__trainer_add_graph(t, g));
    return parn_graph_plan(g, t->s->backend, t->s->ctx);
}

static parn_status state_of(parn_trainer_t *t, int n, struct parn_paste_state **out)
{
    if (!t->paste) {
        const parn_generator_config *gc = &t->model->generator;
        int64_t crop = t->model->c3d.crop;
        struct parn_paste_state *p = parn__calloc(1, sizeof *p);
        PARN_RETURN_IF(!p, PARN_E_NOMEM, "trainer: out of memory");
        t->paste = p;
        *p = (struct parn_paste_state){.n = n, .c = gc->channels, .s = gc->size, .z = gc->noise_dim};
        size_t image = (size_t)(p->c * p->s * p->s), side = (size_t)(p->s * p->s);
        p->masked = buffer((size_t)n * image);
        p->mask = buffer((size_t)n * side);
        p->prev = buffer((size_t)n * image);
        p->noise = buffer((size_t)(n * p->z));
        p->result = buffer((size_t)n * image);
        p->alpha = buffer((size_t)(crop * crop));
        p->patch = buffer((size_t)(3 * crop * crop));
        p->valid = parn__calloc((size_t)n, sizeof *p->valid);
        p->regions = parn__calloc((size_t)n, sizeof *p->regions);
        PARN_RETURN_IF(!p->masked || !p->mask || !p->prev || !p->noise || !p->result || !p->alpha ||
                           !p->patch || !p->valid || !p->regions,
                       PARN_E_NOMEM, "trainer: out of memory for the face paste");
        PARN_TRY(build(t, p));
    }
    *out = t->paste;
    return PARN_OK;
}

typedef struct clip_view {
    float *data;              /* n x 3 x frames x crop x crop */
    int64_t frames, crop;
} clip_view;

/* Channel k of frame f of clip i. */
static parn_fview frame_plane(const clip_view *v, int64_t i, int k, int64_t f)
{
    size_t area = (size_t)(v->crop * v->crop);
    return plane_of(v->data + (((size_t)i * 3 + (size_t)k) * (size_t)v->frames + (size_t)f) * area,
                    (int)v->crop, (int)v->crop, (size_t)v->crop);
}

/* The generator's inputs for item i at frame f: its face patch resized to the crop, with what
 * the region covers masked out. */
static void fill_item(struct parn_paste_state *p, const clip_view *v, int64_t i, int64_t f)
{
    const parn_region *r = &p->regions[i];
    int w = r->x1 - r->x0, h = r->y1 - r->y0;
    size_t side = (size_t)(p->s * p->s);
    float *mask = p->mask + (size_t)i * side;
    parn_region_crop_mask(r, r->x0, r->y0, w, h, (int)p->s, mask);
    for (int k = 0; k < 3; k++) {
        parn_fview src = frame_plane(v, i, k, f);
        src.data += (size_t)r->y0 * src.row + (size_t)r->x0;
        src.w = w, src.h = h;
        float *dst = p->masked + ((size_t)i * 3 + (size_t)k) * side;
        parn_fview crop = plane_of(dst, (int)p->s, (int)p->s, (size_t)p->s);
        parn_fview_resize(&src, &crop, 1, 1.0f);
        for (size_t j = 0; j < side; j++) dst[j] *= 1.0f - mask[j];
    }
}

/* Blends the generator's output for item i back into frame f with the region's feathered edge. */
static void blend_item(struct parn_paste_state *p, const clip_view *v, int64_t i, int64_t f)
{
    const parn_region *r = &p->regions[i];
    int w = r->x1 - r->x0, h = r->y1 - r->y0;
    size_t side = (size_t)(p->s * p->s);
    parn_region_alpha(r, r->x0, r->y0, w, h, p->alpha);
    for (int k = 0; k < 3; k++) {
        parn_fview out = plane_of(p->result + ((size_t)i * (size_t)p->c + (size_t)(p->c == 1 ? 0 : k)) * side,
                                  (int)p->s, (int)p->s, (size_t)p->s);
        parn_fview patch = plane_of(p->patch, w, h, (size_t)w);
        parn_fview_resize(&out, &patch, 1, 1.0f);
        parn_fview dst = frame_plane(v, i, k, f);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float *px = dst.data + (size_t)(r->y0 + y) * dst.row + (size_t)(r->x0 + x);
                float a = p->alpha[(size_t)y * (size_t)w + (size_t)x];
                *px = a * p->patch[(size_t)y * (size_t)w + (size_t)x] + (1 - a) * *px;
            }
    }
}

parn_status parn__paste_faces(parn_trainer_t *t, float *clips, const float *face_boxes, int n)
{
    struct parn_paste_state *p = NULL;
    PARN_TRY(state_of(t, n, &p));
    float margin = (float)parn__opt_float(t->s->opts, PARN_OPT_FACE_MARGIN);
    bool ellipse = strcmp(parn__opt_string(t->s->opts, PARN_OPT_FACE_SHAPE), "box") != 0;
    clip_view v = {clips, t->model->c3d.frames, t->model->c3d.crop};
    size_t image = (size_t)(p->c * p->s * p->s);
    memset(p->prev, 0, (size_t)n * image * sizeof(float));
    int64_t pasted = 0;
    for (int64_t f = 0; f < v.frames; f++) {
        bool any = false;
        for (int64_t i = 0; i < n; i++) {
            const float *b = face_boxes + ((size_t)i * (size_t)v.frames + (size_t)f) * 4;
            parn_face_box box = {b[0], b[1], b[2], b[3], 0.0f};
            p->valid[i] = b[2] > 0 && b[3] > 0 &&
                          parn_region_make(&box, margin, ellipse, (int)v.crop, (int)v.crop, &p->regions[i]);
            if (p->valid[i]) fill_item(p, &v, i, f);
            else memset(p->prev + (size_t)i * image, 0, image * sizeof(float)); /* a track ends */
            any = any || p->valid[i];
        }
        if (!any) continue;
        for (int64_t i = 0; i < n * p->z; i++) p->noise[i] = parn__rng_normal(&t->rng);
        PARN_TRY(parn_graph_run(p->g, t->s->backend, t->s->ctx));
        PARN_TRY(parn_graph_read(p->g, p->out, p->result));
        for (int64_t i = 0; i < n; i++) {
            if (!p->valid[i]) continue;
            blend_item(p, &v, i, f);
            pasted++;
            memcpy(p->prev + (size_t)i * image, p->result + (size_t)i * image, image * sizeof(float));
        }
    }
    parn__record_number(t, NULL, "pasted_faces", (double)pasted);
    return PARN_OK;
}

parn_status parn__joint_step(parn_trainer_t *t, int64_t b, unsigned *groups)
{
    unsigned gan = 0, cls = 0;
    PARN_TRY(parn__gan_step(t, b, &gan));
    PARN_TRY(parn__cls_step(t, b, t->cfg.l_cls, true, &cls));
    *groups = gan | cls;
    /* L_total = L_G (weighted) + L_D on the steps that train D; L_final adds l_cls L_cls */
    const cJSON *losses = cJSON_GetObjectItemCaseSensitive(t->record, "losses");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(losses, "g_total");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(losses, "d");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(losses, "cls");
    if (cJSON_IsNumber(g) && cJSON_IsNumber(c)) {
        double total = g->valuedouble + (cJSON_IsNumber(d) ? d->valuedouble : 0.0);
        parn__record_number(t, "losses", "total", total);
        parn__record_number(t, "losses", "final", total + t->cfg.l_cls * c->valuedouble);
    }
    return PARN_OK;
}
