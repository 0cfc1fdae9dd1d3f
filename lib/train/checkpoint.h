/* SPDX-License-Identifier: MIT */
/* Checkpoints: one safetensors file that is also a model file. The model's tensors under their
 * names, the optimizers' buffers as "train.optim.<network>.<k>.<tensor name>", and in the
 * metadata, beside the model's, "parn.train": phase, step, every setting, optimizer step counts,
 * schedule states and random generator states, so that a resumed run continues exactly. */
#ifndef PARN_CHECKPOINT_H
#define PARN_CHECKPOINT_H

#include "trainer.h"

/* Writes t's state to path atomically (temporary file, fsync, rename); stale temporary files
 * that a killed writer left beside path are removed first. */
parn_status parn__checkpoint_write(parn_trainer_t *t, const char *path);

/* Recreates a trainer on s from the checkpoint at path; overrides: NULL or a JSON object of
 * the settings that may change on resume. PARN_E_FORMAT for anything that is not a complete
 * checkpoint. */
parn_status parn__checkpoint_read(parn_session_t *s, const char *path, const char *overrides,
                                  parn_trainer_t **out);

#endif
