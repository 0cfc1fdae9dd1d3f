/* SPDX-License-Identifier: MIT */
/* The trainers through the public API: the classifier (FEM + C3D) overfits synthetic clips, the
 * GAN phase runs with finite, falling losses and D learning on one step in k, the identity loss
 * runs the face embedder, the joint step moves every network, misuse gives the documented
 * errors, and an exported model saves, loads and classifies. Tiny networks keep each test to
 * seconds. */
#include "common/traintest.h"

#include "models/model.h"

#define PEOPLE 3
#define EACH 2

/* Same tensors with the same contents. */
static bool same_weights(const parn_model_t *a, const parn_model_t *b, const char *prefix)
{
    int n = 0;
    for (int i = 0; i < a->n_tensors; i++) {
        const char *name = a->tensors[i].name;
        if (prefix && strncmp(name, prefix, strlen(prefix)) != 0) continue;
        int j = parn_model_find(b, name);
        ck_assert_msg(j >= 0, "%s is missing", name);
        const parn_tensor *x = &a->tensors[i].t, *y = &b->tensors[j].t;
        ck_assert_int_eq(parn_tensor_numel(x), parn_tensor_numel(y));
        if (memcmp(x->data, y->data, (size_t)parn_tensor_numel(x) * sizeof(float)) != 0) return false;
        n++;
    }
    ck_assert_int_gt(n, 0);
    return true;
}

static parn_model_t *snapshot(parn_session_t *s, parn_trainer_t *t)
{
    parn_model_t *m = NULL;
    ck_assert_msg(parn_trainer_export(t, &m) == PARN_OK, "%s", parn_last_error(s));
    return m;
}

/* ---- classifier -------------------------------------------------------------------------- */

START_TEST(classifier_overfits)
{
    /* fc 256: the wider head memorises faster; full batches, no augmentation, Adam for both */
    char config[1024];
    snprintf(config, sizeof config, "%s", tt_tiny_config);
    memcpy(strstr(config, "\"fc\": 64, "), "\"fc\": 256,", 10);
    parn_session_t *s = tt_session(2);
    parn_dataset_t *d = tt_synthetic(32, 5);
    parn_trainer_t *t = tt_trainer_with(s, "classifier", config,
                                        "{\"clip_batch\": 32, \"augment\": false,"
                                        " \"fem\": {\"optim\": {\"lr\": 0.002, \"weight_decay\": 0}},"
                                        " \"c3d\": {\"optim\": {\"kind\": \"adam\", \"lr\": 0.002, \"weight_decay\": 0}}}");
    ck_assert_int_eq(parn_trainer_set_data(t, d), PARN_OK);
    const char *json = NULL;
    double first = NAN, acc = 0;
    int steps = 0;
    while (steps < 150 && acc < 1.0) {
        tt_step(s, t);
        steps++;
        if (isnan(first)) first = tt_logged(t, "losses", "cls");
        /* a full batch is the whole set: its accuracy (before the update) says when to look */
        if (tt_logged(t, NULL, "batch_accuracy") < 1.0) continue;
        ck_assert_int_eq(parn_trainer_evaluate(t, d, 0, &json), PARN_OK);
        acc = tt_json_number(json, NULL, "accuracy");
    }
    printf("classifier: %s after %d steps (first loss %g)\n", json, steps, first);
    ck_assert_msg(acc == 1.0, "training accuracy %g after %d steps: %s", acc, steps, json);
    ck_assert_double_eq(tt_json_number(json, NULL, "items"), 32);
    ck_assert(tt_json_number(json, NULL, "loss") < first);
    ck_assert_int_eq(parn_trainer_step_count(t), steps);
    /* both optimizers ran: each network has a learning rate and a gradient norm in the log */
    ck_assert(tt_logged(t, "lr", "fem") == 0.002 && tt_logged(t, "lr", "c3d") == 0.002);
    ck_assert(tt_logged(t, "grad_norm", "fem") > 0 && tt_logged(t, "grad_norm", "c3d") > 0);
    parn_trainer_destroy(t);
    parn_dataset_destroy(d);
    parn_session_destroy(s);
}
END_TEST

/* ---- GAN ------------------------------------------------------------------------------------- */

START_TEST(gan_runs)
{
    char dir[256];
    tt_make_faces(dir, sizeof dir, PEOPLE, EACH);
    parn_session_t *s = tt_session(2);
    parn_dataset_t *d = tt_faces(dir);
    parn_trainer_t *t = tt_trainer(s, "gan",
                                   "{\"face_batch\": 3, \"d_every\": 3, \"l_feat\": 0, \"augment\": false,"
                                   " \"generator\": {\"optim\": {\"lr\": 0.002}},"
                                   " \"discriminator\": {\"optim\": {\"lr\": 0.002}}}");
    ck_assert_int_eq(parn_trainer_set_data(t, d), PARN_OK);
    enum { STEPS = 24 };
    double ssim[STEPS], g_total[STEPS], l_d[STEPS], d_min = INFINITY;
    int d_steps = 0;
    for (int i = 0; i < STEPS; i++) {
        tt_step(s, t);
        ssim[i] = tt_logged(t, "losses", "ssim_loss");
        g_total[i] = tt_logged(t, "losses", "g_total");
        bool update = tt_logged(t, NULL, "d_update") == 1;
        /* D learns on steps 0, k, 2k, ... and only then is L_D computed and logged */
        ck_assert_int_eq(update, i % 3 == 0);
        ck_assert_int_eq(isnan(tt_logged(t, "losses", "d")), !update);
        ck_assert_int_eq(isnan(tt_logged(t, "lr", "discriminator")), !update);
        if (update) l_d[d_steps++] = tt_logged(t, "losses", "d");
        if (update && d_steps > 1 && l_d[d_steps - 1] < d_min) d_min = l_d[d_steps - 1];
        ck_assert_msg(isfinite(ssim[i]) && isfinite(g_total[i]) && isfinite(tt_logged(t, "losses", "g_adv")),
                      "step %d: %s", i, parn_trainer_log(t));
    }
    ck_assert_int_eq(d_steps, STEPS / 3);
    ck_assert_int_eq((int)tt_logged(t, NULL, "d_updates"), STEPS / 3);
    printf("gan: 1-SSIM %.4f -> %.4f, L_G %.4f -> %.4f, L_D %.4f -> min %.4f -> %.4f\n", ssim[0],
           ssim[STEPS - 1], g_total[0], g_total[STEPS - 1], l_d[0], d_min, l_d[d_steps - 1]);
    ck_assert_msg(ssim[STEPS - 1] < 0.5 * ssim[0], "1 - SSIM does not fall");
    ck_assert_msg(g_total[STEPS - 1] < g_total[0], "L_G does not fall");
    ck_assert_msg(d_min < l_d[0], "L_D never falls below its first value");
    const char *json = NULL;
    ck_assert_int_eq(parn_trainer_evaluate(t, d, 4, &json), PARN_OK);
    printf("gan evaluation: %s\n", json);
    double v = tt_json_number(json, NULL, "ssim");
    ck_assert(v > 0 && v <= 1);
    ck_assert_double_eq(tt_json_number(json, NULL, "items"), 4);
    parn_trainer_destroy(t);
    parn_dataset_destroy(d);
    parn_session_destroy(s);
    tt_remove_faces(dir, PEOPLE, EACH);
}
END_TEST

/* Against a generator that does not learn (rate 0), the discriminator's updates lower L_D step
 * after step and it calls the composites fake more and more (L_adv(G) rises). */
START_TEST(gan_discriminator_learns)
{
    char dir[256];
    tt_make_faces(dir, sizeof dir, PEOPLE, EACH);
    parn_session_t *s = tt_session(2);
    parn_dataset_t *d = tt_faces(dir);
    parn_trainer_t *t = tt_trainer(s, "gan",
                                   "{\"face_batch\": 3, \"d_every\": 1, \"l_feat\": 0, \"augment\": false,"
                                   " \"generator\": {\"optim\": {\"lr\": 0}},"
                                   " \"discriminator\": {\"optim\": {\"lr\": 0.005}}}");
    ck_assert_int_eq(parn_trainer_set_data(t, d), PARN_OK);
    enum { STEPS = 8 };
    double l_d[STEPS], g_adv[STEPS];
    for (int i = 0; i < STEPS; i++) {
        tt_step(s, t);
        l_d[i] = tt_logged(t, "losses", "d");
        g_adv[i] = tt_logged(t, "losses", "g_adv");
    }
    printf("gan, fixed G: L_D %.4f -> %.4f, L_adv(G) %.4f -> %.4f\n", l_d[0], l_d[STEPS - 1], g_adv[0],
           g_adv[STEPS - 1]);
    ck_assert_msg(l_d[STEPS - 1] < l_d[0] && l_d[STEPS / 2] < l_d[0], "L_D does not fall");
    ck_assert_msg(g_adv[STEPS - 1] > g_adv[0], "D does not learn to reject the composites");
    parn_trainer_destroy(t);
    parn_dataset_destroy(d);
    parn_session_destroy(s);
    tt_remove_faces(dir, PEOPLE, EACH);
}
END_TEST

/* The identity loss runs the face embedder on crops and composites; without a face model the
 * trainer refuses to start. */
START_TEST(gan_identity)
{
    parn_session_t *s = tt_session(2);
    if (!parn_default_face_model()) {
        parn_options_t *o = tt_options();
        parn_trainer_t *t = NULL;
        ck_assert_int_eq(parn_trainer_create(s, "gan", NULL, o, &t), PARN_E_NOT_FOUND);
        ck_assert_ptr_nonnull(strstr(parn_last_error(s), "embedder"));
        parn_options_destroy(o);
        parn_session_destroy(s);
        printf("gan_identity: no face model (run the setup step), only the error is checked\n");
        return;
    }
    char dir[256];
    tt_make_faces(dir, sizeof dir, PEOPLE, EACH);
    parn_dataset_t *d = tt_faces(dir);
    parn_trainer_t *t = tt_trainer(s, "gan", "{\"face_batch\": 2, \"identity_margin\": 0.2}");
    ck_assert_int_eq(parn_trainer_set_data(t, d), PARN_OK);
    tt_step(s, t);
    double id = tt_logged(t, "losses", "identity");
    ck_assert_msg(id >= 0 && id <= 0.8 + 1e-6, "identity term %g outside [0, 1 - margin]", id);
    const char *json = NULL;
    ck_assert_int_eq(parn_trainer_evaluate(t, d, 2, &json), PARN_OK);
    printf("gan identity: term %g, evaluation %s\n", id, json);
    ck_assert(tt_json_number(json, NULL, "identity_distance") > 0);
    parn_trainer_destroy(t);
    parn_dataset_destroy(d);
    parn_session_destroy(s);
    tt_remove_faces(dir, PEOPLE, EACH);
}
END_TEST

/* ---- joint --------------------------------------------------------------------------------- */

START_TEST(joint_moves_every_network)
{
    char dir[256];
    tt_make_faces(dir, sizeof dir, PEOPLE, EACH);
    parn_session_t *s = tt_session(2);
    parn_dataset_t *f = tt_faces(dir), *c = tt_synthetic(8, 2);
    /* 96 x 96 crops: the figures' faces fall inside them */
    char config[1024];
    snprintf(config, sizeof config, "%s", tt_tiny_config);
    memcpy(strstr(config, "\"crop\": 32"), "\"crop\": 96", 10);
    parn_trainer_t *t = tt_trainer_with(s, "joint", config, "{\"face_batch\": 2, \"clip_batch\": 2, \"l_feat\": 0}");
    ck_assert_int_eq(parn_trainer_set_data(t, f), PARN_OK);
    ck_assert_int_eq(parn_trainer_step(t), PARN_E_STATE); /* the clips are missing */
    ck_assert_int_eq(parn_trainer_set_data(t, c), PARN_OK);
    parn_model_t *before = snapshot(s, t);
    tt_step(s, t);
    parn_model_t *after = snapshot(s, t);
    printf("joint: %s\n", parn_trainer_log(t));
    static const char *const nets[] = {"generator.", "discriminator.", "fem.", "c3d."};
    for (int k = 0; k < 4; k++)
        ck_assert_msg(!same_weights(before, after, nets[k]), "the %s weights did not change", nets[k]);
    /* the rates are one tenth of the pre-training ones; the synthetic clips' faces were replaced */
    ck_assert_double_eq_tol(tt_logged(t, "lr", "generator"), 1e-5, 1e-12);
    ck_assert_double_eq_tol(tt_logged(t, "lr", "c3d"), 5e-5, 1e-12);
    ck_assert(tt_logged(t, NULL, "pasted_faces") > 0);
    double total = tt_logged(t, "losses", "g_total") + tt_logged(t, "losses", "d");
    ck_assert_double_eq_tol(tt_logged(t, "losses", "total"), total, 1e-6);
    ck_assert_double_eq_tol(tt_logged(t, "losses", "final"), total + tt_logged(t, "losses", "cls"), 1e-6);
    parn_model_destroy(before);
    parn_model_destroy(after);
    parn_trainer_destroy(t);
    parn_dataset_destroy(f);
    parn_dataset_destroy(c);
    parn_session_destroy(s);
    tt_remove_faces(dir, PEOPLE, EACH);
}
END_TEST

/* ---- misuse --------------------------------------------------------------------------------- */

static void expect_create_error(parn_session_t *s, const char *phase, const char *config, parn_status want,
                                const char *word)
{
    parn_options_t *o = tt_options();
    parn_options_set_string(o, PARN_OPT_MODEL_CONFIG, tt_tiny_config);
    if (config) parn_options_set_string(o, PARN_OPT_TRAIN_CONFIG, config);
    parn_trainer_t *t = NULL;
    ck_assert_int_eq(parn_trainer_create(s, phase, NULL, o, &t), want);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(parn_last_error(s), word) != NULL, "'%s' does not mention '%s'", parn_last_error(s), word);
    parn_options_destroy(o);
}

START_TEST(misuse)
{
    parn_session_t *s = tt_session(1);
    parn_trainer_t *t = NULL;
    ck_assert_int_eq(parn_trainer_create(NULL, "gan", NULL, NULL, &t), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_trainer_create(s, "gan", NULL, NULL, NULL), PARN_E_INVALID_ARG);
    expect_create_error(s, "dance", NULL, PARN_E_INVALID_ARG, "dance");
    expect_create_error(s, NULL, NULL, PARN_E_INVALID_ARG, "NULL");
    expect_create_error(s, "classifier", "{\"bogus\": 1}", PARN_E_INVALID_ARG, "bogus");
    expect_create_error(s, "classifier", "[1, 2]", PARN_E_INVALID_ARG, "object");
    expect_create_error(s, "classifier", "{not json", PARN_E_INVALID_ARG, "JSON");
    expect_create_error(s, "classifier", "{\"clip_batch\": 0}", PARN_E_INVALID_ARG, "clip_batch");
    expect_create_error(s, "classifier", "{\"steps\": 2.5}", PARN_E_INVALID_ARG, "steps");
    expect_create_error(s, "classifier", "{\"augment\": 1}", PARN_E_INVALID_ARG, "augment");
    expect_create_error(s, "gan", "{\"identity_margin\": 2}", PARN_E_INVALID_ARG, "identity_margin");
    expect_create_error(s, "classifier", "{\"c3d\": {\"optim\": {\"lr\": -1}}}", PARN_E_INVALID_ARG, "lr");
    expect_create_error(s, "classifier", "{\"c3d\": {\"optim\": {\"kind\": \"rmsprop\"}}}", PARN_E_INVALID_ARG, "c3d");
    expect_create_error(s, "classifier", "{\"fem\": {\"momentum\": 1}}", PARN_E_INVALID_ARG, "fem.momentum");
    expect_create_error(s, "classifier", "{\"c3d\": {\"schedule\": {\"kind\": \"sometimes\"}}}", PARN_E_INVALID_ARG, "schedule");
    /* a face model that does not exist: the identity loss cannot run */
    parn_options_t *o = tt_options();
    parn_options_set_string(o, PARN_OPT_FACE_MODEL, "/nonexistent/faces.safetensors");
    parn_session_t *nofaces = NULL;
    ck_assert_int_eq(parn_session_create(NULL, o, &nofaces), PARN_OK);
    parn_options_destroy(o);
    expect_create_error(nofaces, "gan", NULL, PARN_E_NOT_FOUND, "embedder");
    parn_session_destroy(nofaces);
    /* data of the wrong kind, no data, NULLs */
    char dir[256];
    tt_make_faces(dir, sizeof dir, 1, 1);
    parn_dataset_t *faces = tt_faces(dir), *clips = tt_synthetic(4, 1);
    t = tt_trainer(s, "classifier", NULL);
    ck_assert_int_eq(parn_trainer_step(t), PARN_E_STATE);
    ck_assert_ptr_nonnull(strstr(parn_last_error(s), "parn_trainer_set_data"));
    ck_assert_int_eq(parn_trainer_set_data(t, faces), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_trainer_set_data(t, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_trainer_set_data(NULL, clips), PARN_E_INVALID_ARG);
    const char *json = NULL;
    ck_assert_int_eq(parn_trainer_evaluate(t, faces, 0, &json), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_trainer_evaluate(t, clips, 0, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_trainer_checkpoint(t, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_trainer_checkpoint(t, "/nonexistent/dir/x.safetensors"), PARN_E_IO);
    ck_assert_int_eq(parn_trainer_step(NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_trainer_step_count(NULL), -1);
    ck_assert_int_eq(parn_trainer_step_count(t), 0);
    ck_assert_str_eq(parn_trainer_log(t), "{}");
    ck_assert_ptr_null(parn_trainer_log(NULL));
    ck_assert_int_eq(parn_trainer_export(NULL, NULL), PARN_E_INVALID_ARG);
    parn_trainer_destroy(t);
    t = tt_trainer(s, "gan", "{\"l_feat\": 0}");
    ck_assert_int_eq(parn_trainer_set_data(t, clips), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_trainer_step(t), PARN_E_STATE);
    parn_trainer_destroy(t);
    parn_trainer_destroy(NULL);
    parn_dataset_destroy(faces);
    parn_dataset_destroy(clips);
    parn_session_destroy(s);
    tt_remove_faces(dir, 1, 1);
}
END_TEST

/* A model from init keeps init's weights; networks init lacks come fresh from the options. */
START_TEST(starts_from_init)
{
    parn_session_t *s = tt_session(1);
    parn_options_t *o = tt_options();
    parn_options_set_string(o, PARN_OPT_NETWORKS, "c3d");
    parn_options_set_string(o, PARN_OPT_MODEL_CONFIG, tt_tiny_config);
    parn_options_set_int(o, PARN_OPT_SEED, 11);
    parn_model_t *init = NULL;
    ck_assert_int_eq(parn_model_create(o, &init), PARN_OK);
    parn_trainer_t *t = NULL;
    ck_assert_msg(parn_trainer_create(s, "classifier", init, o, &t) == PARN_OK, "%s", parn_last_error(s));
    parn_model_t *m = snapshot(s, t);
    ck_assert(same_weights(init, m, "c3d."));
    ck_assert_int_eq(parn_model_has_network(m, "fem"), 1);
    ck_assert_int_eq(parn_model_has_network(m, "generator"), 0);
    parn_model_destroy(m);
    parn_trainer_destroy(t);
    parn_model_destroy(init);
    parn_options_destroy(o);
    parn_session_destroy(s);
}
END_TEST

/* ---- export -------------------------------------------------------------------------------- */

START_TEST(export_classifies)
{
    parn_session_t *s = tt_session(2);
    parn_dataset_t *d = tt_synthetic(8, 4);
    parn_trainer_t *t = tt_trainer(s, "classifier", "{\"clip_batch\": 4}");
    ck_assert_int_eq(parn_trainer_set_data(t, d), PARN_OK);
    tt_step(s, t);
    tt_step(s, t);
    parn_model_t *m = snapshot(s, t), *loaded = NULL;
    char path[] = "/tmp/parn_tt_export_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(parn_model_save(m, path), PARN_OK);
    ck_assert_msg(parn_model_load(path, &loaded) == PARN_OK, "%s", parn_last_error(NULL));
    ck_assert(same_weights(m, loaded, NULL) && same_weights(loaded, m, NULL));
    ck_assert_str_eq(parn_model_describe(m), parn_model_describe(loaded));
    /* the inference API takes it: classify a synthetic clip */
    parn_session_t *inf = NULL;
    ck_assert_int_eq(parn_session_create(loaded, NULL, &inf), PARN_OK);
    parn_frame_t *frames[16];
    ck_assert_int_eq(parn_synthetic_clip(0, 9, 171, 128, 16, frames, NULL), PARN_OK);
    int cls[2];
    float probs[2];
    ck_assert_msg(parn_classify_clip(inf, (const parn_frame_t *const *)frames, 16, 2, cls, probs) == PARN_OK,
                  "%s", parn_last_error(inf));
    ck_assert(cls[0] >= 0 && cls[0] < TT_CLASSES && probs[0] >= probs[1] && probs[0] <= 1);
    for (int i = 0; i < 16; i++) parn_frame_free(&frames[i]);
    parn_session_destroy(inf);
    parn_model_destroy(loaded);
    parn_model_destroy(m);
    unlink(path);
    parn_trainer_destroy(t);
    parn_dataset_destroy(d);
    parn_session_destroy(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trainer");
    TCase *tc = tcase_create("trainer");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, misuse);
    tcase_add_test(tc, starts_from_init);
    tcase_add_test(tc, export_classifies);
    tcase_add_test(tc, joint_moves_every_network);
    tcase_add_test(tc, gan_runs);
    tcase_add_test(tc, gan_discriminator_learns);
    tcase_add_test(tc, gan_identity);
    suite_add_tcase(s, tc);
    TCase *overfit = tcase_create("overfit");
    tcase_set_timeout(overfit, 600);
    tcase_add_test(overfit, classifier_overfits);
    suite_add_tcase(s, overfit);
    return optest_main(s);
}
