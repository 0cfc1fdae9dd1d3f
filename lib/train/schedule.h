/* SPDX-License-Identifier: MIT */
/* Learning-rate schedules (torch.optim.lr_scheduler's StepLR, CosineAnnealingLR and
 * ReduceLROnPlateau), each with an optional linear warm-up. */
#ifndef PARN_TRAIN_SCHEDULE_H
#define PARN_TRAIN_SCHEDULE_H

#include "core/core.h"

#include <cjson/cJSON.h>

typedef enum parn_schedule_kind {
    PARN_SCHED_CONSTANT,
    PARN_SCHED_STEP,
    PARN_SCHED_COSINE,
    PARN_SCHED_PLATEAU
} parn_schedule_kind;

typedef struct parn_schedule_config {
    parn_schedule_kind kind;
    int64_t step_size; double gamma;          /* StepLR: lr * gamma^(floor(t/step_size)) */
    int64_t total; double min_lr;             /* CosineAnnealingLR (T_max = total, eta_min = min_lr) */
    double factor; int patience; double threshold; double plateau_min_lr; /* ReduceLROnPlateau (mode min, rel threshold) */
    int64_t warmup;                           /* linear warm-up steps before any kind, 0 = none */
} parn_schedule_config;

/* Constant; the other kinds' fields hold torch's defaults (gamma 0.1, factor 0.1, patience 10,
 * threshold 1e-4) so that choosing a kind in JSON is enough. */
void parn_schedule_config_default(parn_schedule_config *c);
/* {"kind":"step"|"cosine"|"plateau"|"constant", "step_size", "gamma", "total", "min_lr",
 * "factor", "patience", "threshold", "plateau_min_lr", "warmup"}; missing keys keep values. */
parn_status parn_schedule_config_from_json(const cJSON *j, parn_schedule_config *c);
cJSON *parn_schedule_config_to_json(const parn_schedule_config *c);
parn_status parn_schedule_config_check(const parn_schedule_config *c);

/* Plain data so that a checkpoint can hold it field by field. */
typedef struct parn_schedule {
    parn_schedule_config c;
    double base_lr;
    double plateau_lr;   /* ReduceLROnPlateau's current rate */
    double best;         /* best metric so far (HUGE_VAL before the first report) */
    int bad;             /* evaluations since the last improvement */
} parn_schedule;

void parn_schedule_init(parn_schedule *s, const parn_schedule_config *c, double base_lr);
/* The lr for this step (0-based). */
double parn_schedule_lr(const parn_schedule *s, int64_t step);
/* Plateau: after each evaluation (lower is better); no-op for the other kinds. */
void parn_schedule_report(parn_schedule *s, double metric);

#endif
