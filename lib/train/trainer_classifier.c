/* SPDX-License-Identifier: MIT */
/* The classifier phase (paper 3.2, 3.3, 4.3): clip batches through FEM + C3D in training mode
 * (dropout; batch statistics where a network has BatchNorm), cross-entropy plus the FEM's L2
 * term, one backward pass whose gradients go to two optimizers (the FEM's Adam and C3D's SGD).
 * Evaluation runs the same networks in inference mode on centre crops. */
#include "trainer.h"

#include <math.h>
#include <string.h>

struct parn_cls_state {
    int64_t n;                 /* clips per batch */
    parn_step_graph step;
    int logits;                /* kept: the batch accuracy */
    float *x, *labels, *boxes, *out;
    /* evaluation */
    parn_graph *eval;
    int eval_logits;
};

void parn__cls_free(struct parn_cls_state *c)
{
    if (!c) return;
    parn__step_graph_free(&c->step);
    parn_graph_destroy(c->eval);
    parn__free(c->x);
    parn__free(c->labels);
    parn__free(c->boxes);
    parn__free(c->out);
    parn__free(c);
}

static parn_status state_of(parn_trainer_t *t, struct parn_cls_state **out)
{
    if (!t->cls) {
        const parn_c3d_config *c = &t->model->c3d;
        struct parn_cls_state *st = parn__calloc(1, sizeof *st);
        PARN_RETURN_IF(!st, PARN_E_NOMEM, "trainer: out of memory");
        t->cls = st;
        st->n = t->cfg.clip_batch;
        size_t clip = (size_t)3 * (size_t)c->frames * (size_t)c->crop * (size_t)c->crop;
        st->x = parn__aligned_alloc((size_t)st->n * clip * sizeof(float));
        st->labels = parn__aligned_alloc((size_t)st->n * sizeof(float));
        st->boxes = parn__aligned_alloc((size_t)st->n * (size_t)c->frames * 4 * sizeof(float));
        st->out = parn__aligned_alloc((size_t)st->n * (size_t)c->classes * sizeof(float));
        PARN_RETURN_IF(!st->x || !st->labels || !st->boxes || !st->out, PARN_E_NOMEM,
                       "trainer: out of memory for the clip batch");
    }
    *out = t->cls;
    return PARN_OK;
}

/* clip -> FEM + C3D -> logits, on a graph (train: trainable, training mode). */
static int classify(parn_trainer_t *t, struct parn_cls_state *st, parn_graph *g, bool train, int *l2)
{
    const parn_c3d_config *c = &t->model->c3d;
    int x = parn_graph_input(g, "clips", 5, (int64_t[]){st->n, 3, c->frames, c->crop, c->crop});
    if (x >= 0) parn_graph_bind(g, x, st->x);
    parn_net c3d = parn__trainer_net(t, g, PARN_NET_C3D, train, train);
    parn_net fem = parn__trainer_net(t, g, PARN_NET_FEM, train, train);
    bool with_fem = t->model->has[PARN_NET_FEM] && c->fem_after > 0;
    int logits = parn_c3d_build(&c3d, c, x, with_fem ? &fem : NULL, &t->model->fem, l2);
    parn_net_release(&c3d);
    parn_net_release(&fem);
    return logits;
}

static parn_status build_step(parn_trainer_t *t, struct parn_cls_state *st, float weight)
{
    parn_step_graph *sg = &st->step;
    parn_graph *g = sg->g = parn_graph_create();
    PARN_RETURN_IF(!g, PARN_E_NOMEM, "trainer: out of memory");
    int l2 = -1;
    st->logits = classify(t, st, g, true, &l2);
    int labels = parn_graph_input(g, "labels", 1, (int64_t[]){st->n});
    if (labels >= 0) parn_graph_bind(g, labels, st->labels);
    int cls = parn_loss_classifier(g, st->logits, labels, l2, t->cfg.fem_l2);
    parn__step_graph_term(sg, "cls", cls);
    int loss = weight == 1.0f ? cls : parn_affine(g, cls, weight, 0.0f);
    if (st->logits >= 0) PARN_TRY(parn_graph_keep(g, st->logits));
    return parn__step_graph_finish(t, sg, loss, (1u << PARN_NET_FEM) | (1u << PARN_NET_C3D));
}

/* Top-1 hits and summed cross-entropy of the first `items` rows of logits (ties: lower index). */
static void score(const float *logits, const float *labels, int64_t items, int classes, int64_t *hits,
                  double *loss)
{
    for (int64_t i = 0; i < items; i++) {
        const float *row = logits + i * classes;
        int best = 0;
        float top = row[0];
        for (int k = 1; k < classes; k++)
            if (row[k] > top) top = row[best = k];
        double sum = 0;
        for (int k = 0; k < classes; k++) sum += exp((double)row[k] - (double)top);
        int label = (int)labels[i];
        *hits += best == label;
        if (label >= 0 && label < classes) *loss += log(sum) + (double)top - (double)row[label];
    }
}

parn_status parn__cls_step(parn_trainer_t *t, int64_t b, float weight, bool paste, unsigned *groups)
{
    struct parn_cls_state *st = NULL;
    PARN_TRY(state_of(t, &st));
    parn_batch_spec spec = parn__clip_spec(t, (int)st->n, t->cfg.augment);
    PARN_TRY(parn__dataset_batch(t->clips, &spec, b, st->x, st->labels, paste ? st->boxes : NULL));
    if (paste) PARN_TRY(parn__paste_faces(t, st->x, st->boxes, (int)st->n));
    if (!st->step.g) PARN_TRY(build_step(t, st, weight));
    PARN_TRY(parn__step_graph_run(t, &st->step));
    PARN_TRY(parn_graph_read(st->step.g, st->logits, st->out));
    parn__record_terms(t, &st->step, NULL);
    int64_t hits = 0;
    double loss = 0;
    score(st->out, st->labels, st->n, t->model->c3d.classes, &hits, &loss);
    parn__record_number(t, NULL, "batch_accuracy", (double)hits / (double)st->n);
    *groups = (1u << PARN_NET_FEM) | (1u << PARN_NET_C3D);
    return PARN_OK;
}

static parn_status build_eval(parn_trainer_t *t, struct parn_cls_state *st)
{
    parn_graph *g = st->eval = parn_graph_create();
    PARN_RETURN_IF(!g, PARN_E_NOMEM, "trainer: out of memory");
    st->eval_logits = classify(t, st, g, false, NULL);
    parn_status s = parn_graph_status(g);
    PARN_RETURN_IF(s != PARN_OK, s, "trainer: building the classifier evaluation: %s", parn_graph_error(g));
    PARN_TRY(parn_graph_keep(g, st->eval_logits));
    PARN_TRY(parn__trainer_add_graph(t, g));
    return parn_graph_plan(g, t->s->backend, t->s->ctx);
}

parn_status parn__cls_evaluate(parn_trainer_t *t, parn_dataset_t *data, int64_t max_items, cJSON *out)
{
    struct parn_cls_state *st = NULL;
    PARN_TRY(state_of(t, &st));
    if (!st->eval) PARN_TRY(build_eval(t, st));
    int64_t total = parn_dataset_size(data), n = st->n, hits = 0;
    if (max_items > 0 && max_items < total) total = max_items;
    parn_batch_spec spec = parn__clip_spec(t, (int)n, false);
    double loss = 0;
    for (int64_t b = 0, done = 0; done < total; b++, done += n) {
        PARN_TRY(parn__dataset_batch(data, &spec, b, st->x, st->labels, NULL));
        PARN_TRY(parn_graph_run(st->eval, t->s->backend, t->s->ctx));
        PARN_TRY(parn_graph_read(st->eval, st->eval_logits, st->out));
        score(st->out, st->labels, total - done < n ? total - done : n, t->model->c3d.classes, &hits, &loss);
    }
    double mean = total ? loss / (double)total : 0.0;
    cJSON_AddNumberToObject(out, "accuracy", total ? (double)hits / (double)total : 0.0);
    cJSON_AddNumberToObject(out, "loss", mean);
    cJSON_AddNumberToObject(out, "items", (double)total);
    /* ReduceLROnPlateau follows the evaluation loss */
    for (int k = PARN_NET_FEM; k <= PARN_NET_C3D; k++)
        if (t->group[k].trained) parn_schedule_report(&t->group[k].sched, mean);
    return PARN_OK;
}
