/* SPDX-License-Identifier: MIT */
/* The public face calls and image loading: pictures read with FFmpeg, detection and
 * descriptors through a session on the converted face-api.js model, and misuse. The face model
 * is the one the build converted from the npm package (.ci/install-deps fetches it); the tests
 * that need it skip when the package is absent. */
#include "common/optest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path_buf[1024];

static const char *tmp_file(const char *name)
{
    snprintf(path_buf, sizeof path_buf, "/tmp/parn-faces-%d-%s", (int)getpid(), name);
    return path_buf;
}

START_TEST(images_load_through_ffmpeg)
{
    const char *p = tmp_file("a.ppm");
    FILE *fp = fopen(p, "wb");
    fprintf(fp, "P6\n3 2\n255\n");
    const uint8_t px[18] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90};
    fwrite(px, 1, sizeof px, fp);
    fclose(fp);
    parn_frame_t *f = NULL;
    ck_assert_msg(parn_image_load(p, &f) == PARN_OK, "%s", parn_last_error(NULL));
    ck_assert_int_eq(parn_frame_width(f), 3);
    ck_assert_int_eq(parn_frame_height(f), 2);
    ck_assert_int_eq(parn_frame_format(f), PARN_PIX_RGB24);
    for (int y = 0; y < 2; y++)
        ck_assert_int_eq(memcmp(parn_frame_plane(f, 0) + y * parn_frame_stride(f, 0), px + 9 * y, 9), 0);
    parn_frame_free(&f);

    fp = fopen(p, "wb");
    fputs("this is not a picture at all", fp);
    fclose(fp);
    ck_assert_int_ne(parn_image_load(p, &f), PARN_OK);
    ck_assert_ptr_null(f);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), p));
    unlink(p);
    ck_assert_int_eq(parn_image_load("/nonexistent/x.png", &f), PARN_E_IO);
    ck_assert_int_eq(parn_image_load(NULL, &f), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_image_load(p, NULL), PARN_E_INVALID_ARG);
}
END_TEST

START_TEST(distance_and_misuse_without_a_model)
{
    float a[PARN_DESCRIPTOR_SIZE] = {0}, b[PARN_DESCRIPTOR_SIZE] = {0};
    a[0] = 3, b[1] = 4;
    ck_assert_float_eq_tol(parn_descriptor_distance(a, b), 5.0f, 1e-6);
    ck_assert_float_lt(parn_descriptor_distance(NULL, b), 0);
    /* no face networks in the session's model, and a face model that is not there */
    parn_options_t *missing = NULL;
    parn_options_create(&missing);
    parn_options_set_string(missing, PARN_OPT_FACE_MODEL, "/nonexistent/faces.safetensors");
    parn_session_t *s = NULL;
    ck_assert_int_eq(parn_session_create(NULL, missing, &s), PARN_OK);
    parn_options_destroy(missing);
    parn_frame_t *f = NULL;
    ck_assert_int_eq(parn_frame_alloc(PARN_PIX_RGB24, 64, 48, &f), PARN_OK);
    float boxes[5];
    int n = -1;
    ck_assert_int_eq(parn_faces_detect(s, f, boxes, 1, &n), PARN_E_IO);
    ck_assert_ptr_nonnull(strstr(parn_last_error(s), "/nonexistent/faces.safetensors"));
    ck_assert_int_eq(parn_face_descriptor(s, f, NULL, a), PARN_E_IO);
    ck_assert_int_eq(parn_faces_detect(NULL, f, boxes, 1, &n), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_faces_detect(s, NULL, boxes, 1, &n), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_faces_detect(s, f, NULL, 1, &n), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_faces_detect(s, f, boxes, -1, &n), PARN_E_INVALID_ARG);

    parn_options_t *o = NULL;
    parn_options_create(&o);
    parn_options_set_string(o, PARN_OPT_DETECTOR, "yolo9000");
    ck_assert_int_eq(parn_session_configure(s, o), PARN_E_INVALID_ARG);
    parn_options_set_string(o, PARN_OPT_DETECTOR, "ssd");
    ck_assert_int_eq(parn_session_configure(s, o), PARN_OK);
    ck_assert_int_eq(parn_options_set_int(o, PARN_OPT_DETECTOR_INPUT_SIZE, 400), PARN_OK);
    ck_assert_int_eq(parn_session_configure(s, o), PARN_E_INVALID_ARG); /* not a multiple of 32 */
    ck_assert_int_eq(parn_options_set_int(o, PARN_OPT_DETECTOR_INPUT_SIZE, 2048), PARN_E_INVALID_ARG);
    parn_options_destroy(o);
    parn_options_create(&o);
    parn_options_set_int(o, PARN_OPT_THREADS, 1);
    ck_assert_int_eq(parn_session_configure(s, o), PARN_E_INVALID_ARG);
    parn_options_destroy(o);
    parn_frame_free(&f);
    parn_session_destroy(s);
}
END_TEST

/* The session on the converted face model, or NULL (with a note) when it is not there. */
static parn_model_t *face_model(void)
{
    const char *path = parn_default_face_model();
    const char *pkg = getenv("PARN_FACEAPI_DIR");
    if (!path) {
        /* the setup step fetched the package, so the build must have converted it */
        ck_assert_msg(!pkg || access(pkg, R_OK) != 0, "the face-api package is at %s but no face model was built", pkg);
        printf("faces: no face model (run .ci/install-deps); skipping\n");
        return NULL;
    }
    parn_model_t *m = NULL;
    ck_assert_msg(parn_model_load(path, &m) == PARN_OK, "%s", parn_last_error(NULL));
    return m;
}

static parn_frame_t *demo_photo(const char *name)
{
    char p[1024];
    const char *pkg = getenv("PARN_FACEAPI_DIR");
    snprintf(p, sizeof p, "%s/demo/%s", pkg ? pkg : "", name);
    parn_frame_t *f = NULL;
    ck_assert_msg(parn_image_load(p, &f) == PARN_OK, "%s", parn_last_error(NULL));
    return f;
}

START_TEST(detect_and_describe_demo_photos)
{
    parn_model_t *m = face_model();
    if (!m) return;
    ck_assert(parn_model_has_network(m, "detector") && parn_model_has_network(m, "embedder"));
    parn_session_t *s = NULL;
    ck_assert_int_eq(parn_session_create(m, NULL, &s), PARN_OK);
    parn_frame_t *f = demo_photo("sample1.jpg");
    float boxes[5 * 64];
    int n = 0;
    ck_assert_msg(parn_faces_detect(s, f, boxes, 64, &n) == PARN_OK, "%s", parn_last_error(s));
    ck_assert_int_ge(n, 1);
    for (int i = 0; i < n; i++) {
        const float *b = boxes + 5 * i;
        ck_assert(b[0] >= 0 && b[1] >= 0 && b[2] > 0 && b[3] > 0);
        ck_assert(b[0] + b[2] <= parn_frame_width(f) + 0.5f && b[1] + b[3] <= parn_frame_height(f) + 0.5f);
        ck_assert(b[4] >= 0.5f && b[4] <= 1.0f);
        if (i) ck_assert(b[4] <= boxes[5 * (i - 1) + 4]);
    }
    /* the same face twice gives the same descriptor; another face a different one */
    float d1[PARN_DESCRIPTOR_SIZE], d2[PARN_DESCRIPTOR_SIZE];
    ck_assert_msg(parn_face_descriptor(s, f, boxes, d1) == PARN_OK, "%s", parn_last_error(s));
    ck_assert_int_eq(parn_face_descriptor(s, f, boxes, d2), PARN_OK);
    ck_assert_float_eq(parn_descriptor_distance(d1, d2), 0.0f);
    float bad_box[4] = {-5, 0, 10, 10};
    ck_assert_int_eq(parn_face_descriptor(s, f, bad_box, d2), PARN_E_INVALID_ARG);
    /* the SSD finds the same strongest face */
    parn_options_t *o = NULL;
    parn_options_create(&o);
    parn_options_set_string(o, PARN_OPT_DETECTOR, "ssd");
    ck_assert_int_eq(parn_session_configure(s, o), PARN_OK);
    parn_options_destroy(o);
    float ssd[5 * 64];
    int n_ssd = 0;
    ck_assert_msg(parn_faces_detect(s, f, ssd, 64, &n_ssd) == PARN_OK, "%s", parn_last_error(s));
    ck_assert_int_ge(n_ssd, 1);
    parn_frame_free(&f);
    parn_session_destroy(s);
    parn_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("faces");
    TCase *tc = tcase_create("faces");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, images_load_through_ffmpeg);
    tcase_add_test(tc, distance_and_misuse_without_a_model);
    tcase_add_test(tc, detect_and_describe_demo_photos);
    suite_add_tcase(s, tc);
    return optest_main(s);
}
