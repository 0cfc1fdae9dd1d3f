/* SPDX-License-Identifier: MIT */
/* Helpers of the face suites (tests/check_face_*.c, check_tfjs.c): where the face-api.js npm
 * package ($PARN_FACEAPI_DIR, default /tmp/npm/package) and face-api.js's reference data
 * (../shared/data/faceapi_ref) are, importing its weights, pictures, and matching detections
 * with expected faces. */
#ifndef PARN_FACETEST_H
#define PARN_FACETEST_H

#include "optest.h"

#include "models/faces.h"
#include "models/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The package's folder. */
const char *facetest_package_dir(void);

/* <package>/<rel>; the string stays valid for the next three calls. */
const char *facetest_package_file(const char *rel);

/* True when path exists. */
bool facetest_exists(const char *path);

/* True when the package holds every file of the NULL-terminated list; otherwise prints a note
 * that the test is skipped. */
bool facetest_have_package(const char *rel, ...) __attribute__((sentinel));

/* The paths of face-api.js's EXPECTED.md and faces.jpg (buffers of size bytes), found from
 * $PARN_FIXTURES (which points into the source tree) or from the current folder; false, with a
 * note that the test is skipped, when they are absent. */
bool facetest_faceapi_ref(char *expected, char *picture, size_t size);

/* Milliseconds on the monotonic clock. */
double facetest_now_ms(void);

/* A model without tensors. */
parn_model_t *facetest_empty_model(void);

/* The TF.js weights of the manifest at path; fails the test when they do not load. */
parn_tfjs *facetest_load_weights(const char *path);

/* A fresh model holding the weights of the package's manifest rel, imported by import. */
parn_model_t *facetest_import(const char *rel, parn_status (*import)(parn_model_t *, const parn_tfjs *));

/* The synthetic picture of tests/reference/face_*.py: w x h RGB, non-square, every byte value. */
uint8_t *facetest_synthetic_picture(int w, int h);

/* A picture file decoded to RGB; the caller frees frame. */
typedef struct facetest_picture {
    parn_frame_t *frame;
    parn_rgb_image img;
} facetest_picture;

facetest_picture facetest_load_picture(const char *path);

/* A detector runner of kind ("tiny" or "ssd") on m, on the tests' CPU context. */
parn_face_detector *facetest_detector(parn_model_t *m, const char *kind);

/* The largest difference between b's and (x, y, w, h)'s edges and sizes. */
float facetest_box_diff(const parn_face_box *b, float x, float y, float w, float h);

/* A face that face-api.js's tests expect. */
typedef struct facetest_expected {
    float x, y, w, h, score;
} facetest_expected;

/* Checks n detections against n_want expected faces as face-api.js's tests do: both lists
 * sorted by the distance of the top-left corner to the origin, then compared pairwise within
 * box_tol pixels and score_tol. Prints each pair; messages start with label. */
void facetest_match_sorted(const char *label, parn_face_box *got, int n, facetest_expected *want,
                           int n_want, float box_tol, float score_tol);

#endif
