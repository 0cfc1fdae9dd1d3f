/* SPDX-License-Identifier: MIT */
/* The trainers behind parn_trainer_t: the trainer's own mutable copy of the model, one
 * parameter group (tensors, gradients, optimizer, schedule) per network it trains, training
 * graphs that bind the model's tensors directly, and the step loop shared by the three phases
 * (trainer_gan.c, trainer_classifier.c, trainer_joint.c). Checkpoints: checkpoint.c. */
#ifndef PARN_TRAINER_H
#define PARN_TRAINER_H

#include "api/session.h"
#include "models/model.h"
#include "train/data/dataset.h"
#include "train/losses.h"
#include "train/optim.h"
#include "train/schedule.h"

#include <cjson/cJSON.h>

typedef enum parn_phase { PARN_PHASE_GAN, PARN_PHASE_CLASSIFIER, PARN_PHASE_JOINT } parn_phase;

/* The trainable networks are parn_net_kind 0..3: generator, discriminator, fem, c3d. */
#define PARN_TRAIN_NETS 4
/* Most crops per GAN item (the discriminator's frames): the generator is unrolled over them. */
#define PARN_TRAIN_MAX_FRAMES 64

const char *parn__phase_name(parn_phase p);

/* ---- configuration (trainer_config.c; keys and defaults in docs/training.md) ---------------- */

typedef struct parn_train_net_config {
    parn_optim_config optim;       /* the pre-training rates (the joint phase scales lr) */
    parn_schedule_config schedule;
} parn_train_net_config;

typedef struct parn_train_config {
    int64_t steps;                 /* the step budget (schedules' horizon; the caller stops) */
    int64_t log_every;             /* for programs: steps between log lines */
    int64_t checkpoint_every;      /* > 0 with checkpoint_path: the trainer writes checkpoints */
    char checkpoint_path[1024];
    int64_t face_batch, clip_batch; /* items per batch (a face item is `frames` crops) */
    int64_t d_every;               /* k: the discriminator learns on one G step in k */
    bool augment;                  /* random crops and flips of the training batches */
    float l_adv, l_feat, l_ssim, l_cls;   /* loss weights of eqs. 7 and 9 */
    float identity_margin;         /* cosine the identity loss tolerates */
    float feature_matching;        /* weight of D feature matching in L_G (0 = off) */
    float fem_l2;                  /* weight of the FEM's L2 term in L_cls */
    double joint_scale;            /* joint phase: every rate times this */
    parn_train_net_config net[PARN_TRAIN_NETS];
} parn_train_config;

/* The paper's defaults (section 4.3) for a phase. */
void parn__train_config_default(parn_train_config *c, parn_phase phase);
/* Applies a JSON object of settings over c; unknown keys and bad values are
 * PARN_E_INVALID_ARG with a message naming the key. resume: only the keys that may change on
 * resume are accepted. */
parn_status parn__train_config_apply(parn_train_config *c, const char *json, bool resume);
/* Every setting as JSON (what a checkpoint keeps). */
cJSON *parn__train_config_to_json(const parn_train_config *c);

/* ---- parameter groups and training graphs ----------------------------------------------- */

typedef struct parn_train_group {
    bool trained;          /* the phase trains this network */
    int n;                 /* trainable tensors, sorted by name */
    int *index;            /* their model tensor indices */
    int64_t *numel;
    float **params;        /* the model's data */
    float **grads;         /* this step's gradients (owned) */
    parn_optim *optim;
    parn_schedule sched;
    double lr, grad_norm;  /* of the last update */
} parn_train_group;

#define PARN_MAX_TERMS 8

/* A graph whose scalar loss has a backward pass: which gradient node belongs to which group
 * tensor, and the loss terms it logs. */
typedef struct parn_step_graph {
    parn_graph *g;
    int *grad[PARN_TRAIN_NETS];    /* per group tensor: its gradient node (-1: none); NULL: the
                                      group gets no gradient here */
    int n_terms;
    int term[PARN_MAX_TERMS];
    const char *term_name[PARN_MAX_TERMS];
    float value[PARN_MAX_TERMS];   /* after a run */
} parn_step_graph;

/* ---- the trainer ------------------------------------------------------------------------- */

struct parn_gan_state;
struct parn_cls_state;
struct parn_paste_state;

struct parn_trainer {
    parn_session_t *s;
    parn_phase phase;
    parn_model_t *model;           /* owned, mutable: the weights being trained */
    parn_train_config cfg;
    parn_train_group group[PARN_TRAIN_NETS];
    parn_dataset_t *faces, *clips; /* borrowed */
    int64_t step;                  /* steps done */
    int64_t d_updates;             /* discriminator updates done */
    parn_rng rng;                  /* noise of the generator */
    parn_rng dropout_rng;          /* the classifier graph's dropout generator between runs */
    parn_model_t *face_model;      /* borrowed from the session: the embedder, or NULL */
    struct parn_gan_state *gan;
    struct parn_cls_state *cls;
    struct parn_paste_state *paste;
    parn_graph *graphs[8];         /* every graph binding model tensors (versions bumped) */
    int n_graphs;
    cJSON *record;                 /* the last step's log record, being built */
    char *log;                     /* its text */
    char *eval;                    /* the last evaluation's text */
};

/* The trainer's error path: a status with a message (parn__fail) copied into the session. */
parn_status parn__trainer_status(parn_trainer_t *t, parn_status st);

/* Creates a trainer from a parsed configuration and a model holding every network the phase
 * needs (taken: freed on failure too). */
parn_status parn__trainer_new(parn_session_t *s, parn_phase phase, parn_model_t *model,
                              const parn_train_config *cfg, uint64_t seed, parn_trainer_t **out);
void parn__trainer_free(parn_trainer_t *t);
parn_status parn__phase_of(const char *name, parn_phase *out);

/* A new model holding owned copies of the trainable networks of each model in srcs (n of
 * them; a network comes from the first that has it), checked and described. */
parn_status parn__trainer_copy_model(const parn_model_t *const *srcs, int n, parn_model_t **out);

/* Registers g so that parameter updates bump the versions of its weight leaves. */
parn_status parn__trainer_add_graph(parn_trainer_t *t, parn_graph *g);

/* Finishes a step graph: backward of loss, the gradient node of every tensor of the groups in
 * `groups` (a bit per parn_net_kind), the logged terms kept, and the plan. */
parn_status parn__step_graph_finish(parn_trainer_t *t, parn_step_graph *sg, int loss,
                                    unsigned groups);
/* Runs it (through the trainer's dropout generator), reads the terms and the gradients. */
parn_status parn__step_graph_run(parn_trainer_t *t, parn_step_graph *sg);
void parn__step_graph_free(parn_step_graph *sg);
/* Adds a logged scalar term to sg (before finish). */
void parn__step_graph_term(parn_step_graph *sg, const char *name, int node);

/* Clips, schedules and applies the updates of the groups in `groups`, then bumps versions. */
parn_status parn__trainer_update(parn_trainer_t *t, unsigned groups);

/* A net on the trainer's model: trainable when train (params with gradients), else frozen;
 * training mode (batch statistics, dropout) when mode_train. */
parn_net parn__trainer_net(parn_trainer_t *t, parn_graph *g, parn_net_kind k, bool train,
                           bool mode_train);

/* The log record of the step being made: term values, learning rates, norms. */
parn_status parn__record_begin(parn_trainer_t *t);
void parn__record_number(parn_trainer_t *t, const char *object, const char *key, double v);
void parn__record_terms(parn_trainer_t *t, const parn_step_graph *sg, const char *prefix);

/* Face batches (GAN, joint) and clip batches (classifier, joint) of the training stream. */
parn_batch_spec parn__face_spec(const parn_trainer_t *t, int n, bool augment);
parn_batch_spec parn__clip_spec(const parn_trainer_t *t, int n, bool augment);

/* ---- phases ------------------------------------------------------------------------------- */

/* Each phase step runs its graphs on batch b of the training stream and sets *groups to the
 * networks (a bit per parn_net_kind) that received gradients; parn__trainer_update applies them. */

/* trainer_gan.c */
parn_status parn__gan_step(parn_trainer_t *t, int64_t b, unsigned *groups);
parn_status parn__gan_evaluate(parn_trainer_t *t, parn_dataset_t *d, int64_t max_items, cJSON *out);
void parn__gan_free(struct parn_gan_state *g);
/* The embedder's model for the identity loss and the evaluation (the session's face model). */
parn_status parn__gan_face_model(parn_trainer_t *t);

/* trainer_classifier.c: the loss is multiplied by weight; paste: the clips' faces are replaced
 * by the generator's output first (joint phase). */
parn_status parn__cls_step(parn_trainer_t *t, int64_t b, float weight, bool paste, unsigned *groups);
parn_status parn__cls_evaluate(parn_trainer_t *t, parn_dataset_t *d, int64_t max_items, cJSON *out);
void parn__cls_free(struct parn_cls_state *c);

/* trainer_joint.c: replaces the face regions of a clip batch (n x 3 x frames x crop x crop,
 * face_boxes n x frames x 4) by the generator's output, in place (no gradient reaches G). */
parn_status parn__paste_faces(parn_trainer_t *t, float *clips, const float *face_boxes, int n);
void parn__paste_free(struct parn_paste_state *p);
parn_status parn__joint_step(parn_trainer_t *t, int64_t b, unsigned *groups);

#endif
