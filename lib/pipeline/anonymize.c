/* SPDX-License-Identifier: MIT */
/* STUB: the anonymization pipeline is being written. */
#include "pipeline.h"

void parn__anonymizer_destroy(struct parn_anonymizer *a) { (void)a; }
parn_status parn_anonymize_frame(parn_session_t *s, const parn_frame_t *in, parn_frame_t *out, float *faces, int max_faces, int *n_faces)
{ (void)s; (void)in; (void)out; (void)faces; (void)max_faces; (void)n_faces; return parn__fail(PARN_E_UNSUPPORTED, "anonymize: not implemented"); }
parn_status parn_anonymize_frame_boxes(parn_session_t *s, const parn_frame_t *in, parn_frame_t *out, const float *boxes, int n_boxes, float *faces, int max_faces, int *n_faces)
{ (void)s; (void)in; (void)out; (void)boxes; (void)n_boxes; (void)faces; (void)max_faces; (void)n_faces; return parn__fail(PARN_E_UNSUPPORTED, "anonymize: not implemented"); }
