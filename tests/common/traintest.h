/* SPDX-License-Identifier: MIT */
/* Helpers of the trainer suites (check_trainer.c, check_checkpoint.c): tiny networks, CPU
 * sessions, synthetic clips, a folder of drawn face pictures, trainers and their log records. */
#ifndef PARN_TRAINTEST_H
#define PARN_TRAINTEST_H

#include "common/optest.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TT_CLASSES 4

/* Every network small: C3D on 16 x 32 x 32 clips (base 8, fc 64) with the FEM after conv1, a
 * generator on 32 x 32 faces, a discriminator over clips of 2 faces. */
static const char *const tt_tiny_config =
    "{\"c3d\": {\"frames\": 16, \"crop\": 32, \"fc\": 64, \"base\": 8, \"dropout\": 0, \"classes\": 4},"
    " \"fem\": {\"channels\": 8, \"reduction\": 4, \"privacy_hidden\": 4, \"spatial_kernel\": 3},"
    " \"generator\": {\"size\": 32, \"base\": 8, \"depth\": 2, \"noise_dim\": 8,"
    " \"fusion_channels\": 16, \"max_channels\": 32},"
    " \"discriminator\": {\"size\": 32, \"base\": 8, \"frames\": 2, \"temporal_base\": 8}}";

static inline parn_options_t *tt_options(void)
{
    parn_options_t *o = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    return o;
}

static inline parn_session_t *tt_session(int threads)
{
    parn_options_t *o = tt_options();
    parn_options_set_int(o, PARN_OPT_THREADS, threads);
    parn_session_t *s = NULL;
    ck_assert_msg(parn_session_create(NULL, o, &s) == PARN_OK, "%s", parn_last_error(NULL));
    parn_options_destroy(o);
    return s;
}

/* `clips` synthetic clips of the first TT_CLASSES actions. */
static inline parn_dataset_t *tt_synthetic(int clips, int64_t seed)
{
    char cfg[128];
    snprintf(cfg, sizeof cfg, "{\"classes\": %d, \"clips\": %d}", TT_CLASSES, clips);
    parn_options_t *o = tt_options();
    parn_options_set_string(o, PARN_OPT_DATASET_CONFIG, cfg);
    parn_options_set_int(o, PARN_OPT_SEED, seed);
    parn_dataset_t *d = NULL;
    ck_assert_msg(parn_dataset_open("synthetic", NULL, o, &d) == PARN_OK, "%s", parn_last_error(NULL));
    parn_options_destroy(o);
    return d;
}

/* One 48 x 56 PPM picture of a drawn face (skin ellipse, eyes, mouth) on a gradient; person p
 * and picture k move the features a little. */
static inline void tt_write_face(const char *path, int p, int k)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    const int w = 48, h = 56;
    fprintf(f, "P6\n%d %d\n255\n", w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float dx = ((float)x - 24.0f - (float)k) / 16.0f, dy = ((float)y - 28.0f) / 21.0f;
            bool face = dx * dx + dy * dy < 1.0f;
            bool eye = (abs(x - 18 - k) < 3 || abs(x - 30 - k) < 3) && abs(y - 24) < 2;
            bool mouth = abs(x - 24 - k) < 6 && abs(y - 38 - p) < 2;
            unsigned char rgb[3] = {(unsigned char)(40 + 30 * p + x), (unsigned char)(60 + y),
                                    (unsigned char)(90 + 20 * k)};
            if (face) rgb[0] = 220, rgb[1] = (unsigned char)(170 + 10 * p), rgb[2] = 140;
            if (eye || mouth) rgb[0] = rgb[1] = rgb[2] = (unsigned char)(20 + 40 * p);
            fwrite(rgb, 1, 3, f);
        }
    fclose(f);
}

/* A temporary folder <dir>/person<p>/<k>.ppm of `people` x `each` faces; dir receives its path. */
static inline void tt_make_faces(char *dir, size_t size, int people, int each)
{
    snprintf(dir, size, "/tmp/parn_tt_faces_%d_XXXXXX", (int)getpid());
    ck_assert_ptr_nonnull(mkdtemp(dir));
    for (int p = 0; p < people; p++) {
        char sub[512], path[600];
        snprintf(sub, sizeof sub, "%s/person%d", dir, p);
        ck_assert_int_eq(mkdir(sub, 0755), 0);
        for (int k = 0; k < each; k++) {
            snprintf(path, sizeof path, "%s/%d.ppm", sub, k);
            tt_write_face(path, p, k);
        }
    }
}

/* Removes what tt_make_faces made. */
static inline void tt_remove_faces(const char *dir, int people, int each)
{
    char path[600];
    for (int p = 0; p < people; p++) {
        for (int k = 0; k < each; k++) {
            snprintf(path, sizeof path, "%s/person%d/%d.ppm", dir, p, k);
            unlink(path);
        }
        snprintf(path, sizeof path, "%s/person%d", dir, p);
        rmdir(path);
    }
    rmdir(dir);
}

/* The "faces" dataset of a folder (no detection: the pictures are faces). */
static inline parn_dataset_t *tt_faces(const char *dir)
{
    parn_options_t *o = tt_options();
    parn_options_set_string(o, PARN_OPT_DATASET_CONFIG, "{\"detect\": false}");
    parn_dataset_t *d = NULL;
    ck_assert_msg(parn_dataset_open("faces", dir, o, &d) == PARN_OK, "%s", parn_last_error(NULL));
    parn_options_destroy(o);
    return d;
}

/* A trainer of fresh networks (seed 3) of a model config, with a train config (may be NULL). */
static inline parn_trainer_t *tt_trainer_with(parn_session_t *s, const char *phase, const char *model_config,
                                              const char *train_config)
{
    parn_options_t *o = tt_options();
    parn_options_set_string(o, PARN_OPT_MODEL_CONFIG, model_config);
    parn_options_set_int(o, PARN_OPT_CLASSES, TT_CLASSES);
    parn_options_set_int(o, PARN_OPT_SEED, 3);
    if (train_config) parn_options_set_string(o, PARN_OPT_TRAIN_CONFIG, train_config);
    parn_trainer_t *t = NULL;
    ck_assert_msg(parn_trainer_create(s, phase, NULL, o, &t) == PARN_OK, "%s", parn_last_error(s));
    parn_options_destroy(o);
    return t;
}

/* A trainer of the tiny networks. */
static inline parn_trainer_t *tt_trainer(parn_session_t *s, const char *phase, const char *train_config)
{
    return tt_trainer_with(s, phase, tt_tiny_config, train_config);
}

static inline void tt_step(parn_session_t *s, parn_trainer_t *t)
{
    ck_assert_msg(parn_trainer_step(t) == PARN_OK, "step: %s", parn_last_error(s));
}

/* A number in a JSON text: key of the object `object` (NULL: the top level); booleans are 0/1;
 * NAN when absent. */
static inline double tt_json_number(const char *json, const char *object, const char *key)
{
    cJSON *j = cJSON_Parse(json);
    ck_assert_msg(j != NULL, "not JSON: %s", json);
    const cJSON *o = object ? cJSON_GetObjectItem(j, object) : j;
    const cJSON *v = cJSON_GetObjectItem(o, key);
    double r = cJSON_IsNumber(v) ? v->valuedouble : cJSON_IsBool(v) ? (double)cJSON_IsTrue(v) : NAN;
    cJSON_Delete(j);
    return r;
}

/* A number of the trainer's last log record. */
static inline double tt_logged(parn_trainer_t *t, const char *object, const char *key)
{
    return tt_json_number(parn_trainer_log(t), object, key);
}

#endif
