/* SPDX-License-Identifier: MIT */
/* The public ABI through libparn.so: versions, statuses, errors, logging, options, devices,
 * sessions and frames, including every kind of misuse. */
#include "parn.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

START_TEST(versions_agree)
{
    ck_assert_int_eq(parn_version_number(), PARN_VERSION_NUMBER);
    ck_assert_str_eq(parn_version_string(), PARN_VERSION_STRING);
    ck_assert_str_eq(PARN_VERSION_STRING, PARN_MESON_VERSION);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", PARN_VERSION_MAJOR, PARN_VERSION_MINOR, PARN_VERSION_PATCH);
    ck_assert_str_eq(expect, PARN_VERSION_STRING);
    ck_assert_int_eq(PARN_ABI_VERSION, PARN_MESON_ABI);
    ck_assert_int_eq(parn_init_check(PARN_ABI_VERSION), PARN_OK);
    ck_assert_int_eq(parn_init_check(PARN_ABI_VERSION + 1), PARN_E_ABI);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "ABI"));
    ck_assert_ptr_nonnull(strstr(parn_build_info(), "cpu (oneDNN"));
}
END_TEST

START_TEST(status_strings)
{
    const parn_status all[] = {PARN_OK, PARN_E_INVALID_ARG, PARN_E_NOMEM, PARN_E_UNSUPPORTED,
                               PARN_E_SHAPE, PARN_E_DEVICE, PARN_E_IO, PARN_E_FORMAT, PARN_E_STATE,
                               PARN_E_BACKEND, PARN_E_INTERNAL, PARN_E_NOT_FOUND, PARN_E_ABI,
                               PARN_AGAIN, PARN_EOF};
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_ne(parn_status_string(all[i]), "unknown status");
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(parn_status_string(all[i]), parn_status_string(all[j]));
    }
    ck_assert_str_eq(parn_status_string((parn_status)12345), "unknown status");
}
END_TEST

START_TEST(options_validate_keys_types_and_ranges)
{
    ck_assert_int_eq(parn_options_create(NULL), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "out is NULL"));
    parn_options_t *o = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    int64_t v = -1;
    ck_assert_int_eq(parn_options_get_int(o, PARN_OPT_THREADS, &v), PARN_OK);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(parn_options_set_int(o, PARN_OPT_THREADS, 2), PARN_OK);
    ck_assert_int_eq(parn_options_get_int(o, PARN_OPT_THREADS, &v), PARN_OK);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(parn_options_set_int(o, PARN_OPT_THREADS, -1), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "threads"));
    ck_assert_int_eq(parn_options_set_int(o, PARN_OPT_THREADS, 5000), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_THREADS, "2"), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_options_set_float(o, PARN_OPT_THREADS, 2.0), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_options_set_int(o, (parn_option)999, 1), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "unknown option"));
    ck_assert_int_eq(parn_options_set_int(NULL, PARN_OPT_THREADS, 1), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_DEVICE, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_options_get_int(o, PARN_OPT_THREADS, NULL), PARN_E_INVALID_ARG);
    const char *s = NULL;
    ck_assert_int_eq(parn_options_get_string(o, PARN_OPT_DEVICE, &s), PARN_OK);
    ck_assert_str_eq(s, "cpu");
    ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_DEVICE, "cuda:1"), PARN_OK);
    ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_DEVICE, "cpu"), PARN_OK); /* replaces */
    ck_assert_int_eq(parn_options_get_string(o, PARN_OPT_DEVICE, &s), PARN_OK);
    ck_assert_str_eq(s, "cpu");
    parn_options_destroy(o);
    parn_options_destroy(NULL);

    const char *name;
    parn_option_type type;
    double lo, hi;
    ck_assert_int_eq(parn_option_info(PARN_OPT_THREADS, &name, &type, &lo, &hi), PARN_OK);
    ck_assert_str_eq(name, "threads");
    ck_assert_int_eq(type, PARN_OPT_TYPE_INT);
    ck_assert(lo == 0 && hi == 1024);
    ck_assert_int_eq(parn_option_info((parn_option)0, NULL, NULL, NULL, NULL), PARN_E_INVALID_ARG);
}
END_TEST

static parn_status session_on(const char *device, int threads, parn_session_t **s)
{
    parn_options_t *o = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    ck_assert_int_eq(parn_options_set_string(o, PARN_OPT_DEVICE, device), PARN_OK);
    ck_assert_int_eq(parn_options_set_int(o, PARN_OPT_THREADS, threads), PARN_OK);
    parn_status st = parn_session_create(NULL, o, s);
    parn_options_destroy(o);
    return st;
}

START_TEST(sessions_and_devices)
{
    parn_session_t *s = NULL;
    ck_assert_int_eq(parn_session_create(NULL, NULL, &s), PARN_OK);
    ck_assert_str_eq(parn_session_device(s), "cpu");
    ck_assert_int_ge(parn_session_threads(s), 1);
    ck_assert_str_eq(parn_last_error(s), "");
    parn_session_destroy(s);

    s = NULL;
    ck_assert_int_eq(session_on("cpu", 3, &s), PARN_OK);
    ck_assert_int_eq(parn_session_threads(s), 3);
    parn_session_destroy(s);

    int count = -1;
    ck_assert_int_eq(parn_device_count("cpu", &count), PARN_OK);
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(parn_device_count("cuda", &count), PARN_OK);
    ck_assert_int_eq(parn_device_count("tpu", &count), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_device_count(NULL, &count), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_device_count("cpu", NULL), PARN_E_INVALID_ARG);

    s = NULL;
    ck_assert_int_eq(session_on("gpu", 1, &s), PARN_E_INVALID_ARG);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "gpu"));
    ck_assert_int_eq(session_on("cuda:x", 1, &s), PARN_E_INVALID_ARG);
    ck_assert_int_eq(session_on("cpu:1", 1, &s), PARN_E_INVALID_ARG);
    ck_assert_int_eq(session_on("", 1, &s), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_device_count("cuda", &count), PARN_OK);
    if (count == 0) {
        ck_assert_int_eq(session_on("cuda:0", 1, &s), PARN_E_DEVICE);
        ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "CUDA"));
        ck_assert_ptr_null(s);
    }
    ck_assert_int_eq(parn_session_create(NULL, NULL, NULL), PARN_E_INVALID_ARG);
    parn_session_destroy(NULL);
    ck_assert_ptr_null(parn_session_device(NULL));
    ck_assert_int_eq(parn_session_threads(NULL), 0);
}
END_TEST

START_TEST(frames_are_validated)
{
    static uint8_t pixels[64 * 48 * 4];
    uint8_t *planes[3] = {pixels, pixels, pixels};
    int strides[3] = {64 * 3, 32, 32};
    parn_frame_t *f = NULL;
    ck_assert_int_eq(parn_frame_wrap(PARN_PIX_RGB24, 64, 48, planes, strides, &f), PARN_OK);
    ck_assert_int_eq(parn_frame_width(f), 64);
    ck_assert_int_eq(parn_frame_height(f), 48);
    ck_assert_int_eq(parn_frame_format(f), PARN_PIX_RGB24);
    ck_assert_ptr_eq(parn_frame_plane(f, 0), pixels);
    ck_assert_ptr_null(parn_frame_plane(f, 1));
    ck_assert_int_eq(parn_frame_stride(f, 0), 192);
    parn_frame_free(&f);
    ck_assert_ptr_null(f);
    parn_frame_free(&f);
    parn_frame_free(NULL);

    strides[0] = 64 * 3 - 1;
    ck_assert_int_eq(parn_frame_wrap(PARN_PIX_RGB24, 64, 48, planes, strides, &f), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "stride"));
    ck_assert_ptr_null(f);
    strides[0] = 64;
    ck_assert_int_eq(parn_frame_wrap(PARN_PIX_GRAY8, 64, 48, planes, strides, &f), PARN_OK);
    parn_frame_free(&f);
    ck_assert_int_eq(parn_frame_wrap(PARN_PIX_GRAY8, 0, 48, planes, strides, &f), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_frame_wrap(PARN_PIX_GRAY8, 64, -2, planes, strides, &f), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_frame_wrap(PARN_PIX_GRAY8, 20000, 4, planes, strides, &f), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_frame_wrap((parn_pixel_format)42, 64, 48, planes, strides, &f), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_frame_wrap(PARN_PIX_GRAY8, 64, 48, NULL, strides, &f), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_frame_wrap(PARN_PIX_GRAY8, 64, 48, planes, NULL, &f), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_frame_wrap(PARN_PIX_GRAY8, 64, 48, planes, strides, NULL), PARN_E_INVALID_ARG);
    uint8_t *missing[3] = {pixels, NULL, pixels};
    int yuv_strides[3] = {64, 32, 32};
    ck_assert_int_eq(parn_frame_wrap(PARN_PIX_YUV420P, 64, 48, missing, yuv_strides, &f), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "plane 1"));
    yuv_strides[1] = 31;
    ck_assert_int_eq(parn_frame_wrap(PARN_PIX_YUV420P, 64, 48, planes, yuv_strides, &f), PARN_E_INVALID_ARG);

    /* odd sizes: chroma rounds up */
    ck_assert_int_eq(parn_frame_alloc(PARN_PIX_YUV420P, 33, 17, &f), PARN_OK);
    ck_assert_int_ge(parn_frame_stride(f, 0), 33);
    ck_assert_int_ge(parn_frame_stride(f, 1), 17);
    ck_assert_int_ge(parn_frame_stride(f, 2), 17);
    ck_assert_int_eq(parn_frame_plane(f, 0)[0], 0);
    parn_frame_free(&f);
    ck_assert_int_eq(parn_frame_alloc(PARN_PIX_NV12, 33, 17, &f), PARN_OK);
    ck_assert_int_ge(parn_frame_stride(f, 1), 34);
    ck_assert_ptr_null(parn_frame_plane(f, 2));
    parn_frame_free(&f);
    ck_assert_int_eq(parn_frame_alloc(PARN_PIX_RGBA, 0, 1, &f), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_pixel_format_planes(PARN_PIX_YUV420P), 3);
    ck_assert_int_eq(parn_pixel_format_planes((parn_pixel_format)0), 0);
    ck_assert_int_eq(parn_frame_width(NULL), 0);
    ck_assert_ptr_null(parn_frame_plane(NULL, 0));
}
END_TEST

static int log_calls;
static char log_last[256];
static void on_log(void *user, parn_log_level level, const char *msg)
{
    (void)level;
    *(int *)user += 1;
    snprintf(log_last, sizeof log_last, "%s", msg);
}

START_TEST(log_callback_receives_failures)
{
    parn_set_log_callback(on_log, &log_calls);
    parn_options_t *o = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    ck_assert_int_eq(parn_options_set_int(o, PARN_OPT_THREADS, -5), PARN_E_INVALID_ARG);
    ck_assert_int_ge(log_calls, 1);
    ck_assert_ptr_nonnull(strstr(log_last, "threads"));
    parn_set_log_callback(NULL, NULL);
    int before = log_calls;
    ck_assert_int_eq(parn_options_set_int(o, PARN_OPT_THREADS, -5), PARN_E_INVALID_ARG);
    ck_assert_int_eq(log_calls, before);
    parn_options_destroy(o);
}
END_TEST

static void *fail_in_thread(void *arg)
{
    (void)arg;
    parn_options_create(NULL);
    return NULL;
}

START_TEST(errors_are_per_thread)
{
    parn_options_t *o = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    ck_assert_int_eq(parn_options_set_int(o, PARN_OPT_THREADS, 99999), PARN_E_INVALID_ARG);
    char mine[512];
    snprintf(mine, sizeof mine, "%s", parn_last_error(NULL));
    pthread_t t;
    pthread_create(&t, NULL, fail_in_thread, NULL);
    pthread_join(t, NULL);
    ck_assert_str_eq(parn_last_error(NULL), mine);
    parn_options_destroy(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("public");
    tcase_add_test(tc, versions_agree);
    tcase_add_test(tc, status_strings);
    tcase_add_test(tc, options_validate_keys_types_and_ranges);
    tcase_add_test(tc, sessions_and_devices);
    tcase_add_test(tc, frames_are_validated);
    tcase_add_test(tc, log_callback_receives_failures);
    tcase_add_test(tc, errors_are_per_thread);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
