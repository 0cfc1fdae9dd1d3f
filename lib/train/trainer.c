/* SPDX-License-Identifier: MIT */
/* The machinery every trainer shares: the trainer's copy of the model, one parameter group per
 * trained network (gradients, optimizer, schedule), step graphs (backward pass, gradient nodes,
 * logged terms), the updates with their version bumps, and the JSON log record. */
#include "trainer.h"

#include <stdio.h>
#include <string.h>

static const char *const phase_names[] = {"gan", "classifier", "joint"};
static const char *const prefixes[PARN_TRAIN_NETS] = {"generator.", "discriminator.", "fem.", "c3d."};

const char *parn__phase_name(parn_phase p)
{
    return phase_names[p];
}

parn_status parn__phase_of(const char *name, parn_phase *out)
{
    for (int p = 0; name && p < 3; p++)
        if (strcmp(name, phase_names[p]) == 0) {
            *out = (parn_phase)p;
            return PARN_OK;
        }
    return parn__fail(PARN_E_INVALID_ARG, "trainer: unknown phase '%s' (gan, classifier, joint)",
                      name ? name : "(null)");
}

parn_status parn__trainer_status(parn_trainer_t *t, parn_status st)
{
    return parn__session_status(t ? t->s : NULL, st);
}

/* ---- parameter groups ------------------------------------------------------------------ */

static bool is_running_stat(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcmp(dot, ".running_mean") == 0 || strcmp(dot, ".running_var") == 0);
}

/* The trainable tensors of network k (everything but BatchNorm's running statistics), sorted
 * by name so that the order (and so clipping's sums) does not depend on how the model was made. */
static parn_status list_tensors(parn_trainer_t *t, parn_train_group *gr, int k)
{
    const parn_model_t *m = t->model;
    size_t len = strlen(prefixes[k]);
    gr->index = parn__malloc((size_t)(m->n_tensors + 1) * sizeof *gr->index);
    PARN_RETURN_IF(!gr->index, PARN_E_NOMEM, "trainer: out of memory");
    for (int i = 0; i < m->n_tensors; i++) {
        const char *name = m->tensors[i].name;
        if (strncmp(name, prefixes[k], len) != 0 || is_running_stat(name)) continue;
        int j = gr->n++; /* insertion sort: a network has at most a few hundred tensors */
        for (; j > 0 && strcmp(m->tensors[gr->index[j - 1]].name, name) > 0; j--)
            gr->index[j] = gr->index[j - 1];
        gr->index[j] = i;
    }
    return PARN_OK;
}

static parn_status make_group(parn_trainer_t *t, int k)
{
    parn_train_group *gr = &t->group[k];
    PARN_TRY(list_tensors(t, gr, k));
    int n = gr->n ? gr->n : 1;
    gr->numel = parn__calloc((size_t)n, sizeof *gr->numel);
    gr->params = parn__calloc((size_t)n, sizeof *gr->params);
    gr->grads = parn__calloc((size_t)n, sizeof *gr->grads);
    PARN_RETURN_IF(!gr->numel || !gr->params || !gr->grads, PARN_E_NOMEM, "trainer: out of memory");
    for (int i = 0; i < gr->n; i++) {
        parn_tensor *tt = &t->model->tensors[gr->index[i]].t;
        gr->numel[i] = parn_tensor_numel(tt);
        gr->params[i] = tt->data;
        gr->grads[i] = parn__aligned_alloc((size_t)gr->numel[i] * sizeof(float));
        PARN_RETURN_IF(!gr->grads[i], PARN_E_NOMEM, "trainer: out of memory for gradients");
        memset(gr->grads[i], 0, (size_t)gr->numel[i] * sizeof(float));
    }
    parn_optim_config oc = t->cfg.net[k].optim;
    if (t->phase == PARN_PHASE_JOINT) oc.lr *= t->cfg.joint_scale;
    PARN_TRY(parn_optim_create(&oc, gr->n, gr->numel, &gr->optim));
    parn_schedule_init(&gr->sched, &t->cfg.net[k].schedule, oc.lr);
    gr->lr = oc.lr;
    return PARN_OK;
}

static void free_group(parn_train_group *gr)
{
    for (int i = 0; gr->grads && i < gr->n; i++) parn__free(gr->grads[i]);
    parn__free(gr->grads);
    parn__free(gr->params);
    parn__free(gr->numel);
    parn__free(gr->index);
    parn_optim_destroy(gr->optim);
    memset(gr, 0, sizeof *gr);
}

/* ---- the trainer --------------------------------------------------------------------------- */

/* Which networks a phase trains: the GAN's pair, the classifier's pair (the FEM when C3D uses
 * it), or all of them. */
static void trained_networks(const parn_trainer_t *t, bool *trained)
{
    bool gan = t->phase != PARN_PHASE_CLASSIFIER, cls = t->phase != PARN_PHASE_GAN;
    trained[PARN_NET_GENERATOR] = trained[PARN_NET_DISCRIMINATOR] = gan;
    trained[PARN_NET_C3D] = cls;
    trained[PARN_NET_FEM] = cls && t->model->has[PARN_NET_FEM] && t->model->c3d.fem_after > 0;
}

/* The phase's networks must fit each other and the data the trainers make. */
static parn_status check_networks(const parn_trainer_t *t)
{
    const parn_model_t *m = t->model;
    if (t->phase != PARN_PHASE_CLASSIFIER) {
        const parn_generator_config *g = &m->generator;
        const parn_discriminator_config *d = &m->discriminator;
        PARN_RETURN_IF(g->channels != 3 || d->channels != 3, PARN_E_INVALID_ARG,
                       "trainer: the GAN trains on RGB faces: generator and discriminator need 3 "
                       "channels (they have %d and %d)", g->channels, d->channels);
        PARN_RETURN_IF(g->size != d->size, PARN_E_INVALID_ARG,
                       "trainer: generator size %d and discriminator size %d differ", g->size, d->size);
        PARN_RETURN_IF(d->frames > PARN_TRAIN_MAX_FRAMES, PARN_E_INVALID_ARG,
                       "trainer: the GAN trains on at most %d frames per clip (discriminator frames %d)",
                       PARN_TRAIN_MAX_FRAMES, d->frames);
    }
    return PARN_OK;
}

parn_status parn__trainer_copy_model(const parn_model_t *const *srcs, int n, parn_model_t **out)
{
    parn_model_t *m = parn_model_alloc();
    PARN_RETURN_IF(!m, PARN_E_NOMEM, "trainer: out of memory");
    parn_status st = PARN_OK;
    for (int k = 0; st == PARN_OK && k < PARN_TRAIN_NETS; k++)
        for (int i = 0; i < n; i++)
            if (srcs[i] && srcs[i]->has[k]) {
                st = parn_model_copy_network(m, srcs[i], (parn_net_kind)k);
                break;
            }
    if (st == PARN_OK) st = parn_model_finish(m);
    if (st != PARN_OK) {
        parn_model_destroy(m);
        return st;
    }
    *out = m;
    return PARN_OK;
}

static uint64_t mix(uint64_t seed, uint64_t salt)
{
    return seed * 0x9E3779B97F4A7C15ull ^ salt;
}

parn_status parn__trainer_new(parn_session_t *s, parn_phase phase, parn_model_t *model,
                              const parn_train_config *cfg, uint64_t seed, parn_trainer_t **out)
{
    parn_trainer_t *t = parn__calloc(1, sizeof *t);
    if (!t) {
        parn_model_destroy(model);
        return parn__fail(PARN_E_NOMEM, "trainer: out of memory");
    }
    t->s = s;
    t->phase = phase;
    t->model = model;
    t->cfg = *cfg;
    parn__rng_seed(&t->rng, mix(seed, 1));
    parn__rng_seed(&t->dropout_rng, mix(seed, 2));
    parn_status st = check_networks(t);
    bool trained[PARN_TRAIN_NETS];
    trained_networks(t, trained);
    for (int k = 0; st == PARN_OK && k < PARN_TRAIN_NETS; k++) {
        t->group[k].trained = trained[k];
        if (trained[k]) st = make_group(t, k);
    }
    if (st == PARN_OK && phase != PARN_PHASE_CLASSIFIER && cfg->l_feat > 0) st = parn__gan_face_model(t);
    if (st == PARN_OK) {
        t->log = parn__strdup("{}");
        t->eval = parn__strdup("{}");
        if (!t->log || !t->eval) st = parn__fail(PARN_E_NOMEM, "trainer: out of memory");
    }
    if (st != PARN_OK) {
        parn__trainer_free(t);
        return st;
    }
    *out = t;
    return PARN_OK;
}

void parn__trainer_free(parn_trainer_t *t)
{
    if (!t) return;
    parn__gan_free(t->gan);
    parn__cls_free(t->cls);
    parn__paste_free(t->paste);
    for (int k = 0; k < PARN_TRAIN_NETS; k++) free_group(&t->group[k]);
    parn_model_destroy(t->model);
    cJSON_Delete(t->record);
    parn__free(t->log);
    parn__free(t->eval);
    parn__free(t);
}

parn_status parn__trainer_add_graph(parn_trainer_t *t, parn_graph *g)
{
    int cap = (int)(sizeof t->graphs / sizeof t->graphs[0]);
    PARN_RETURN_IF(t->n_graphs >= cap, PARN_E_INTERNAL, "trainer: more than %d graphs", cap);
    t->graphs[t->n_graphs++] = g;
    return PARN_OK;
}

parn_net parn__trainer_net(parn_trainer_t *t, parn_graph *g, parn_net_kind k, bool train,
                           bool mode_train)
{
    parn_net net = parn_net_make(g, t->model, prefixes[k], mode_train);
    net.frozen = !train;
    return net;
}

parn_batch_spec parn__face_spec(const parn_trainer_t *t, int n, bool augment)
{
    return (parn_batch_spec){.n = n, .size = t->model->generator.size,
                             .frames = t->model->discriminator.frames, .augment = augment};
}

parn_batch_spec parn__clip_spec(const parn_trainer_t *t, int n, bool augment)
{
    return (parn_batch_spec){.n = n, .size = t->model->c3d.crop, .frames = t->model->c3d.frames,
                             .augment = augment};
}

/* ---- step graphs ---------------------------------------------------------------------------- */

void parn__step_graph_term(parn_step_graph *sg, const char *name, int node)
{
    if (node < 0 || sg->n_terms >= PARN_MAX_TERMS) return;
    sg->term_name[sg->n_terms] = name;
    sg->term[sg->n_terms++] = node;
}

/* The gradient node of the parameter leaf holding model tensor `name` (-1: none). A second
 * leaf of the same tensor would take part of the gradient unseen: a builder's bug. */
static parn_status grad_of(parn_graph *g, const char *name, int *out)
{
    *out = -1;
    int found = -1;
    for (int i = 0; i < parn_graph_size(g); i++) {
        const parn_node *n = parn_graph_node(g, i);
        if (n->op != PARN_OP_PARAM || strcmp(n->name, name) != 0) continue;
        PARN_RETURN_IF(found >= 0, PARN_E_INTERNAL, "trainer: '%s' has two parameter leaves", name);
        found = i;
    }
    if (found >= 0) *out = parn_graph_grad(g, found);
    return PARN_OK;
}

parn_status parn__step_graph_finish(parn_trainer_t *t, parn_step_graph *sg, int loss,
                                    unsigned groups)
{
    parn_graph *g = sg->g;
    parn_status st = parn_graph_status(g);
    PARN_RETURN_IF(st != PARN_OK || loss < 0, st != PARN_OK ? st : PARN_E_INTERNAL,
                   "trainer: building the step graph: %s", parn_graph_error(g));
    PARN_TRY(parn_graph_backward(g, loss, -1));
    for (int k = 0; k < PARN_TRAIN_NETS; k++) {
        const parn_train_group *gr = &t->group[k];
        if (!(groups & (1u << k)) || !gr->trained) continue;
        sg->grad[k] = parn__malloc((size_t)(gr->n + 1) * sizeof(int));
        PARN_RETURN_IF(!sg->grad[k], PARN_E_NOMEM, "trainer: out of memory");
        for (int i = 0; i < gr->n; i++) PARN_TRY(grad_of(g, t->model->tensors[gr->index[i]].name, &sg->grad[k][i]));
    }
    for (int i = 0; i < sg->n_terms; i++) PARN_TRY(parn_graph_keep(g, sg->term[i]));
    PARN_TRY(parn__trainer_add_graph(t, g));
    return parn_graph_plan(g, t->s->backend, t->s->ctx);
}

parn_status parn__step_graph_run(parn_trainer_t *t, parn_step_graph *sg)
{
    parn_rng *rng = parn_graph_rng(sg->g);
    *rng = t->dropout_rng;
    PARN_TRY(parn_graph_run(sg->g, t->s->backend, t->s->ctx));
    t->dropout_rng = *rng;
    for (int i = 0; i < sg->n_terms; i++) PARN_TRY(parn_graph_read(sg->g, sg->term[i], &sg->value[i]));
    for (int k = 0; k < PARN_TRAIN_NETS; k++) {
        const parn_train_group *gr = &t->group[k];
        for (int i = 0; sg->grad[k] && i < gr->n; i++) {
            if (sg->grad[k][i] >= 0) PARN_TRY(parn_graph_read(sg->g, sg->grad[k][i], gr->grads[i]));
            else memset(gr->grads[i], 0, (size_t)gr->numel[i] * sizeof(float));
        }
    }
    return PARN_OK;
}

void parn__step_graph_free(parn_step_graph *sg)
{
    parn_graph_destroy(sg->g);
    for (int k = 0; k < PARN_TRAIN_NETS; k++) parn__free(sg->grad[k]);
    memset(sg, 0, sizeof *sg);
}

/* ---- updates ------------------------------------------------------------------------------- */

static bool is_weight_leaf(const parn_node *n)
{
    if (n->op != PARN_OP_INPUT && n->op != PARN_OP_PARAM) return false;
    for (int k = 0; k < PARN_TRAIN_NETS; k++)
        if (strncmp(n->name, prefixes[k], strlen(prefixes[k])) == 0) return true;
    return false;
}

/* Weights changed outside the graphs: their leaves' versions move on, so that the backends
 * refresh what they cached from them (oneDNN's reordered weights). */
static void bump_versions(parn_trainer_t *t)
{
    for (int i = 0; i < t->n_graphs; i++)
        for (int j = 0; j < parn_graph_size(t->graphs[i]); j++) {
            parn_node *n = parn_graph_node(t->graphs[i], j);
            if (is_weight_leaf(n)) n->out.version++;
        }
}

parn_status parn__trainer_update(parn_trainer_t *t, unsigned groups)
{
    for (int k = 0; k < PARN_TRAIN_NETS; k++) {
        parn_train_group *gr = &t->group[k];
        if (!(groups & (1u << k)) || !gr->trained) continue;
        gr->lr = parn_schedule_lr(&gr->sched, t->step);
        parn_optim_clip(gr->optim, gr->grads, &gr->grad_norm);
        PARN_TRY(parn_optim_step(gr->optim, gr->params, gr->grads, gr->lr));
        parn__record_number(t, "lr", parn_net_name((parn_net_kind)k), gr->lr);
        parn__record_number(t, "grad_norm", parn_net_name((parn_net_kind)k), gr->grad_norm);
    }
    bump_versions(t);
    return PARN_OK;
}

/* ---- the log record ---------------------------------------------------------------------- */

parn_status parn__record_begin(parn_trainer_t *t)
{
    cJSON_Delete(t->record);
    t->record = cJSON_CreateObject();
    bool ok = t->record && cJSON_AddNumberToObject(t->record, "step", (double)(t->step + 1)) &&
              cJSON_AddStringToObject(t->record, "phase", parn__phase_name(t->phase)) &&
              cJSON_AddObjectToObject(t->record, "losses");
    PARN_RETURN_IF(!ok, PARN_E_NOMEM, "trainer: out of memory for the log");
    return PARN_OK;
}

void parn__record_number(parn_trainer_t *t, const char *object, const char *key, double v)
{
    if (!t->record) return;
    cJSON *o = t->record;
    if (object) {
        o = cJSON_GetObjectItemCaseSensitive(t->record, object);
        if (!o) o = cJSON_AddObjectToObject(t->record, object);
        if (!o) return;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddNumberToObject(o, key, v);
}

void parn__record_terms(parn_trainer_t *t, const parn_step_graph *sg, const char *prefix)
{
    for (int i = 0; i < sg->n_terms; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s%s", prefix ? prefix : "", sg->term_name[i]);
        parn__record_number(t, "losses", key, sg->value[i]);
    }
}
