/* SPDX-License-Identifier: MIT */
/* C helpers of the Go binding (see parn_go.h). */
#include "parn_go.h"

#include <string.h>

#include "_cgo_export.h"

#define FRAME_ARGS(n) n##_format, n##_width, n##_height, n##_p0, n##_p1, n##_p2, n##_s0, \
    n##_s1, n##_s2

static parn_status wrap(int format, int width, int height, uint8_t *p0, uint8_t *p1, uint8_t *p2,
                        int s0, int s1, int s2, parn_frame_t **out)
{
    uint8_t *const planes[3] = {p0, p1, p2};
    const int strides[3] = {s0, s1, s2};
    return parn_frame_wrap((parn_pixel_format)format, width, height, planes, strides, out);
}

/* The message of a failure: the session's for calls on one, else the thread's. */
static parn_status done(parn_status st, const parn_session_t *s, const char **message)
{
    if (st != PARN_OK && st != PARN_AGAIN && st != PARN_EOF) *message = parn_last_error(s);
    return st;
}

parn_status parn_go_faces_detect(parn_session_t *s, PARN_GO_FRAME(in), float *boxes,
                                 int max_faces, int *n_faces, const char **message)
{
    parn_frame_t *f = NULL;
    parn_status st = wrap(FRAME_ARGS(in), &f);
    if (st != PARN_OK) return done(st, NULL, message);
    st = parn_faces_detect(s, f, boxes, max_faces, n_faces);
    parn_frame_free(&f);
    return done(st, s, message);
}

parn_status parn_go_face_descriptor(parn_session_t *s, PARN_GO_FRAME(in), const float *box,
                                    float *descriptor, const char **message)
{
    parn_frame_t *f = NULL;
    parn_status st = wrap(FRAME_ARGS(in), &f);
    if (st != PARN_OK) return done(st, NULL, message);
    st = parn_face_descriptor(s, f, box, descriptor);
    parn_frame_free(&f);
    return done(st, s, message);
}

parn_status parn_go_anonymize(parn_session_t *s, PARN_GO_FRAME(in), PARN_GO_FRAME(out), int same,
                              const float *boxes, int n_boxes, float *faces, int max_faces,
                              int *n_faces, const char **message)
{
    parn_frame_t *fi = NULL, *fo = NULL;
    parn_status st = wrap(FRAME_ARGS(in), &fi);
    if (st == PARN_OK && !same) st = wrap(FRAME_ARGS(out), &fo);
    if (st != PARN_OK) {
        parn_frame_free(&fi);
        return done(st, NULL, message);
    }
    parn_frame_t *dst = same ? fi : fo;
    st = n_boxes < 0 ? parn_anonymize_frame(s, fi, dst, faces, max_faces, n_faces)
                     : parn_anonymize_frame_boxes(s, fi, dst, boxes, n_boxes, faces, max_faces,
                                                  n_faces);
    parn_frame_free(&fi);
    parn_frame_free(&fo);
    return done(st, s, message);
}

parn_status parn_go_classify_push(parn_session_t *s, PARN_GO_FRAME(in), int top_k, int *classes,
                                  float *probs, const char **message)
{
    parn_frame_t *f = NULL;
    parn_status st = wrap(FRAME_ARGS(in), &f);
    if (st != PARN_OK) return done(st, NULL, message);
    st = parn_classify_push(s, f, top_k, classes, probs);
    parn_frame_free(&f);
    return done(st, s, message);
}

parn_status parn_go_video_write(parn_video_writer_t *w, PARN_GO_FRAME(in), const char **message)
{
    parn_frame_t *f = NULL;
    parn_status st = wrap(FRAME_ARGS(in), &f);
    if (st == PARN_OK) st = parn_video_write(w, f);
    parn_frame_free(&f);
    return done(st, NULL, message);
}

/* Bytes in one row of plane i (the pixel formats' layouts are part of the ABI). */
static size_t row_bytes(int format, int width, int i)
{
    size_t w = (size_t)width, cw = (w + 1) / 2;
    switch (format) {
    case PARN_PIX_RGB24:
    case PARN_PIX_BGR24: return 3 * w;
    case PARN_PIX_RGBA: return 4 * w;
    case PARN_PIX_NV12: return i == 0 ? w : 2 * cw;
    case PARN_PIX_YUV420P: return i == 0 ? w : cw;
    default: return w;
    }
}

parn_status parn_go_frame_copy(PARN_GO_FRAME(in), parn_frame_t **out, const char **message)
{
    parn_frame_t *src = NULL, *dst = NULL;
    parn_status st = wrap(FRAME_ARGS(in), &src);
    if (st == PARN_OK) st = parn_frame_alloc((parn_pixel_format)in_format, in_width, in_height, &dst);
    if (st != PARN_OK) {
        parn_frame_free(&src);
        return done(st, NULL, message);
    }
    for (int i = 0; i < parn_pixel_format_planes((parn_pixel_format)in_format); i++) {
        int rows = i == 0 ? in_height : (in_height + 1) / 2;
        for (int y = 0; y < rows; y++)
            memcpy(parn_frame_plane(dst, i) + (size_t)y * (size_t)parn_frame_stride(dst, i),
                   parn_frame_plane(src, i) + (size_t)y * (size_t)parn_frame_stride(src, i),
                   row_bytes(in_format, in_width, i));
    }
    parn_frame_free(&src);
    *out = dst;
    return PARN_OK;
}

parn_frame_t *parn_go_frame_at(parn_frame_t **frames, int i)
{
    return frames[i];
}

static void log_to_go(void *user, parn_log_level level, const char *message)
{
    (void)user;
    parnGoLog((int)level, (char *)message);
}

void parn_go_set_log(int on)
{
    parn_set_log_callback(on ? log_to_go : NULL, NULL);
}
