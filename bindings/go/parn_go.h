/* SPDX-License-Identifier: MIT */
/* C helpers of the Go binding. cgo forbids C from keeping a Go pointer after a call returns, so
 * a call on a frame in Go memory wraps it, runs and frees the descriptor inside ONE C call.
 * Each helper sets *message to the failing call's message (the session's or the thread's),
 * read before any other libparn call on that thread or session. */
#ifndef PARN_GO_H
#define PARN_GO_H

#include <parn.h>

/* A frame as plain arguments: format, size, up to 3 planes and their strides. */
#define PARN_GO_FRAME(n) int n##_format, int n##_width, int n##_height, uint8_t *n##_p0, \
    uint8_t *n##_p1, uint8_t *n##_p2, int n##_s0, int n##_s1, int n##_s2

parn_status parn_go_faces_detect(parn_session_t *s, PARN_GO_FRAME(in), float *boxes,
                                 int max_faces, int *n_faces, const char **message);
parn_status parn_go_face_descriptor(parn_session_t *s, PARN_GO_FRAME(in), const float *box,
                                    float *descriptor, const char **message);
/* same != 0: out is in (in place); out's arguments are ignored. n_boxes < 0: detect. */
parn_status parn_go_anonymize(parn_session_t *s, PARN_GO_FRAME(in), PARN_GO_FRAME(out), int same,
                              const float *boxes, int n_boxes, float *faces, int max_faces,
                              int *n_faces, const char **message);
parn_status parn_go_classify_push(parn_session_t *s, PARN_GO_FRAME(in), int top_k, int *classes,
                                  float *probs, const char **message);
parn_status parn_go_video_write(parn_video_writer_t *w, PARN_GO_FRAME(in), const char **message);
/* A library-owned copy of a frame (for calls that keep several frames, like classify_clip). */
parn_status parn_go_frame_copy(PARN_GO_FRAME(in), parn_frame_t **out, const char **message);
/* parn_synthetic_clip's frames, freed one by one: index i of an array C allocated. */
parn_frame_t *parn_go_frame_at(parn_frame_t **frames, int i);

/* The log callback calls the Go function registered with SetLogCallback. */
void parn_go_set_log(int on);

#endif
