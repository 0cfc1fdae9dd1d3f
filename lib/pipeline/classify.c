/* SPDX-License-Identifier: MIT */
/* STUB: the classification pipeline is being written. */
#include "pipeline.h"

void parn__classifier_destroy(struct parn_classifier *c) { (void)c; }
parn_status parn_classify_clip(parn_session_t *s, const parn_frame_t *const *frames, int n_frames, int top_k, int *classes, float *probs)
{ (void)s; (void)frames; (void)n_frames; (void)top_k; (void)classes; (void)probs; return parn__fail(PARN_E_UNSUPPORTED, "classify: not implemented"); }
parn_status parn_classify_push(parn_session_t *s, const parn_frame_t *frame, int top_k, int *classes, float *probs)
{ (void)s; (void)frame; (void)top_k; (void)classes; (void)probs; return parn__fail(PARN_E_UNSUPPORTED, "classify: not implemented"); }
