/* SPDX-License-Identifier: MIT */
/* The pretrained face networks of face-api.js (../shared/specs/face-models.md): import from
 * TF.js weights into model tensors, graph builders, and runners that take an RGB picture to
 * boxes or descriptors. Tensors: "detector.tiny.*", "detector.ssd.*", "embedder.*". */
#ifndef PARN_FACES_H
#define PARN_FACES_H

#include "backend/backend.h"
#include "io/tfjs.h"
#include "net.h"

/* A face in picture pixels. */
typedef struct parn_face_box {
    float x, y, w, h, score;
} parn_face_box;

/* An RGB24 picture (packed, `stride` bytes per row), borrowed. */
typedef struct parn_rgb_image {
    const uint8_t *data;
    int width, height, stride;
} parn_rgb_image;

typedef struct parn_face_detect_params {
    int input_size;          /* network input side (tiny: multiple of 32; ssd: 512 fixed) */
    float score_threshold;   /* keep boxes scoring at least this */
    float iou_threshold;     /* non-maximum suppression overlap */
    int max_faces;           /* at most this many, best first */
} parn_face_detect_params;

/* Converters: TF.js weights -> model tensors in PyTorch layouts under the network's prefix. */
parn_status parn_face_tiny_import(parn_model_t *m, const parn_tfjs *w);
parn_status parn_face_ssd_import(parn_model_t *m, const parn_tfjs *w);
parn_status parn_face_embedder_import(parn_model_t *m, const parn_tfjs *w);

/* Builders on a net whose prefix is "detector.tiny." / "detector.ssd." / "embedder.". */
int parn_face_tiny_build(parn_net *net, int x);          /* N x 3 x S x S -> N x 25 x S/32 x S/32 */
int parn_face_ssd_build(parn_net *net, int x, int *scores); /* returns box encodings; *scores */
int parn_face_embedder_build(parn_net *net, int x);      /* N x 3 x 150 x 150 -> N x 128 */

/* Decoders for the detector runner: raw outputs of one picture -> candidate boxes in network
 * input pixels (before non-maximum suppression); return the number written (<= cap). */
/* tiny: out is one picture's 25 x grid x grid output (plain); when more than cap boxes pass the
 * threshold, the cap best are kept. */
int parn_face_tiny_decode(const float *out, int grid, float threshold, parn_face_box *boxes, int cap);
int parn_face_ssd_decode(const float *encodings, const float *scores, int input_size,
                         float threshold, parn_face_box *boxes, int cap);

/* SSD specifics (face_ssd.c). The graph takes N x 3 x 512 x 512 and has PARN_FACE_SSD_BOXES
 * boxes per picture: parn_face_ssd_build returns N x BOXES x 8 (the box encoding ty, tx, th, tw,
 * then the box's anchor ymin, xmin, ymax, xmax as fractions of the input, from the weights) and
 * sets *scores to N x BOXES face probabilities; parn_face_ssd_decode reads one picture's rows
 * of both. Its boxes are not clipped: face-api.js suppresses the unclipped boxes, then clips them
 * to the input square. */
#define PARN_FACE_SSD_INPUT 512
#define PARN_FACE_SSD_BOXES 5118
/* face-api.js's defaults: input 512, minConfidence 0.5, IoU 0.5, 100 faces. */
parn_face_detect_params parn_face_ssd_defaults(void);
/* The SSD's input for a picture: zero-padded right and bottom to a square, resized to
 * size x size with TF's legacy bilinear sampling (src = dst * side / size), scaled to p / 127.5 - 1;
 * written planar (3 x size x size floats, RGB) to out. */
parn_status parn_face_ssd_preprocess(const parn_rgb_image *img, int size, float *out);

/* Tiny detector specifics (face_tiny.c): face-api.js's defaults (input 416, score 0.5, IoU 0.4,
 * 100 faces), and its input for a picture: parn_face_letterbox with mean RGB (117.001, 114.697,
 * 97.404) and scale 1 / 255, written planar to out (3 x size x size floats). */
parn_face_detect_params parn_face_tiny_defaults(void);
parn_status parn_face_tiny_preprocess(const parn_rgb_image *img, int size, float *out);

/* Greedy non-maximum suppression in place, best score first; *n is updated. */
void parn_face_nms(parn_face_box *boxes, int *n, float iou_threshold);
/* The detectors' input as face-api.js makes it: the picture padded with black at the right or
 * bottom to a square, resized to size x size by TensorFlow's legacy bilinear sampling (source =
 * destination * side / size), then (p - mean[c]) * scale. dst: 3 x size x size, plain. */
void parn_face_letterbox(const parn_rgb_image *img, int size, const float mean[3], float scale,
                         float *dst);

/* Runners: a graph built once per input size on a backend context, reused per picture. */
typedef struct parn_face_detector parn_face_detector;
/* kind: "tiny" or "ssd" */
parn_status parn_face_detector_create(parn_model_t *m, const char *kind, const parn_backend *be,
                                      parn_backend_ctx *ctx, parn_face_detector **out);
void parn_face_detector_destroy(parn_face_detector *d);
/* Detects faces; writes up to cap boxes (best first) and the count found (<= cap).
 * p NULL: the kind's defaults (parn_face_tiny_defaults, parn_face_ssd_defaults); input_size 0
 * or a negative threshold: the kind's default for that field (the SSD always runs at 512);
 * max_faces <= 0: no limit but cap. Boxes are in picture pixels, clamped to the picture. The
 * detector borrows m, be and ctx: destroy it before them. */
parn_status parn_face_detect(parn_face_detector *d, const parn_rgb_image *img,
                             const parn_face_detect_params *p, parn_face_box *boxes, int cap,
                             int *count);

typedef struct parn_face_embedder parn_face_embedder;
parn_status parn_face_embedder_create(parn_model_t *m, const parn_backend *be,
                                      parn_backend_ctx *ctx, parn_face_embedder **out);
void parn_face_embedder_destroy(parn_face_embedder *e);
/* 128-d descriptor of the face in box (picture pixels), or of the whole picture when box is
 * NULL, computed as face-api.js does (crop, resize to 150 x 150, normalise). */
parn_status parn_face_describe(parn_face_embedder *e, const parn_rgb_image *img,
                               const float *box, float descriptor[128]);

#endif
