/* SPDX-License-Identifier: MIT */
/* Checkpoints: a run of 2N steps and a run of N steps, checkpoint, destroy, resume and N more
 * steps log the same losses bit for bit and end with the same weights (classifier with dropout
 * and augmentation, GAN with noise and D every k steps; one thread); a checkpoint is a model
 * file; a writer killed at random moments never leaves a partial file at the path, and the next
 * save removes its temporary files; corrupt or incomplete checkpoints are PARN_E_FORMAT. */
#include "common/traintest.h"

#include "io/safetensors.h"
#include "models/model.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define N 3
#define PEOPLE 2
#define EACH 2

static char tmpdir[256];

static const char *temp_path(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

/* The "losses" object of the trainer's last record, as text: compared bit for bit (cJSON
 * prints each float with the digits that read back to the same value). */
static char *losses_of(parn_trainer_t *t)
{
    cJSON *j = cJSON_Parse(parn_trainer_log(t));
    ck_assert_ptr_nonnull(j);
    char *s = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "losses"));
    cJSON_Delete(j);
    ck_assert_ptr_nonnull(s);
    return s;
}

static void expect_same_weights(const parn_model_t *a, const parn_model_t *b)
{
    ck_assert_int_eq(a->n_tensors, b->n_tensors);
    for (int i = 0; i < a->n_tensors; i++) {
        int j = parn_model_find(b, a->tensors[i].name);
        ck_assert_msg(j >= 0, "%s is missing", a->tensors[i].name);
        ck_assert_msg(memcmp(a->tensors[i].t.data, b->tensors[j].t.data,
                             (size_t)parn_tensor_numel(&a->tensors[i].t) * sizeof(float)) == 0,
                      "%s differs", a->tensors[i].name);
    }
}

static parn_model_t *weights_of(parn_trainer_t *t)
{
    parn_model_t *m = NULL;
    ck_assert_int_eq(parn_trainer_export(t, &m), PARN_OK);
    return m;
}

static parn_trainer_t *resume(parn_session_t *s, const char *path, const char *overrides)
{
    parn_options_t *o = NULL;
    if (overrides) {
        o = tt_options();
        parn_options_set_string(o, PARN_OPT_TRAIN_CONFIG, overrides);
    }
    parn_trainer_t *t = NULL;
    ck_assert_msg(parn_trainer_resume(s, path, o, &t) == PARN_OK, "resume: %s", parn_last_error(s));
    parn_options_destroy(o);
    return t;
}

static void set_data(parn_trainer_t *t, parn_dataset_t *a, parn_dataset_t *b)
{
    if (a) ck_assert_int_eq(parn_trainer_set_data(t, a), PARN_OK);
    if (b) ck_assert_int_eq(parn_trainer_set_data(t, b), PARN_OK);
}

/* 2N steps straight vs N, checkpoint, destroy, resume, N: same losses, same weights. */
static void check_exact_resume(const char *phase, const char *config, parn_dataset_t *a, parn_dataset_t *b)
{
    parn_session_t *s = tt_session(1);
    char *straight[2 * N], *resumed[2 * N];
    parn_trainer_t *t = tt_trainer(s, phase, config);
    set_data(t, a, b);
    for (int i = 0; i < 2 * N; i++) {
        tt_step(s, t);
        straight[i] = losses_of(t);
    }
    parn_model_t *want = weights_of(t);
    parn_trainer_destroy(t);

    const char *path = temp_path("exact.safetensors");
    t = tt_trainer(s, phase, config);
    set_data(t, a, b);
    for (int i = 0; i < N; i++) {
        tt_step(s, t);
        resumed[i] = losses_of(t);
    }
    ck_assert_msg(parn_trainer_checkpoint(t, path) == PARN_OK, "%s", parn_last_error(s));
    parn_trainer_destroy(t);
    t = resume(s, path, "{\"steps\": 50}");
    ck_assert_int_eq(parn_trainer_step_count(t), N);
    set_data(t, a, b);
    for (int i = N; i < 2 * N; i++) {
        tt_step(s, t);
        ck_assert_int_eq(tt_logged(t, NULL, "step"), i + 1);
        resumed[i] = losses_of(t);
    }
    for (int i = 0; i < 2 * N; i++) {
        ck_assert_msg(strcmp(straight[i], resumed[i]) == 0, "%s step %d: %s vs resumed %s", phase, i + 1,
                      straight[i], resumed[i]);
        cJSON_free(straight[i]);
        cJSON_free(resumed[i]);
    }
    parn_model_t *got = weights_of(t);
    expect_same_weights(want, got);
    parn_model_destroy(want);
    parn_model_destroy(got);
    parn_trainer_destroy(t);
    unlink(path);
    parn_session_destroy(s);
}

START_TEST(classifier_resumes_exactly)
{
    /* dropout and random crops and flips: the dropout generator and the data stream resume too */
    parn_dataset_t *d = tt_synthetic(8, 6);
    check_exact_resume("classifier",
                       "{\"clip_batch\": 3, \"c3d\": {\"schedule\": {\"kind\": \"step\", \"step_size\": 4}}}", d,
                       NULL);
    parn_dataset_destroy(d);
}
END_TEST

START_TEST(gan_resumes_exactly)
{
    char dir[256];
    tt_make_faces(dir, sizeof dir, PEOPLE, EACH);
    parn_dataset_t *d = tt_faces(dir);
    check_exact_resume("gan", "{\"face_batch\": 2, \"d_every\": 2, \"l_feat\": 0, \"feature_matching\": 0.5}", d,
                       NULL);
    parn_dataset_destroy(d);
    tt_remove_faces(dir, PEOPLE, EACH);
}
END_TEST

START_TEST(joint_resumes_exactly)
{
    char dir[256];
    tt_make_faces(dir, sizeof dir, PEOPLE, EACH);
    parn_dataset_t *f = tt_faces(dir), *c = tt_synthetic(4, 8);
    check_exact_resume("joint", "{\"face_batch\": 1, \"clip_batch\": 1, \"d_every\": 2, \"l_feat\": 0}", f, c);
    parn_dataset_destroy(f);
    parn_dataset_destroy(c);
    tt_remove_faces(dir, PEOPLE, EACH);
}
END_TEST

/* ---- a checkpoint is a model file ------------------------------------------------------------- */

START_TEST(checkpoint_is_a_model)
{
    parn_session_t *s = tt_session(1);
    parn_dataset_t *d = tt_synthetic(4, 1);
    parn_trainer_t *t = tt_trainer(s, "classifier", "{\"clip_batch\": 2}");
    set_data(t, d, NULL);
    tt_step(s, t);
    const char *path = temp_path("model.safetensors");
    ck_assert_int_eq(parn_trainer_checkpoint(t, path), PARN_OK);
    parn_model_t *m = NULL, *w = weights_of(t);
    ck_assert_msg(parn_model_load(path, &m) == PARN_OK, "%s", parn_last_error(NULL));
    expect_same_weights(w, m);
    ck_assert_int_eq(parn_model_num_classes(m), TT_CLASSES);
    /* only the settings that may change on resume can be given */
    parn_options_t *o = tt_options();
    parn_options_set_string(o, PARN_OPT_TRAIN_CONFIG, "{\"clip_batch\": 3}");
    parn_trainer_t *r = NULL;
    ck_assert_int_eq(parn_trainer_resume(s, path, o, &r), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(s), "clip_batch"));
    parn_options_destroy(o);
    r = resume(s, path, "{\"steps\": 7, \"log_every\": 2, \"checkpoint_every\": 1}");
    ck_assert_int_eq(parn_trainer_step_count(r), 1);
    parn_trainer_destroy(r);
    /* the trainer writes its own checkpoints when asked to */
    const char *auto_path = temp_path("auto.safetensors");
    char cfg[700];
    snprintf(cfg, sizeof cfg, "{\"checkpoint_every\": 2, \"checkpoint_path\": \"%s\"}", auto_path);
    r = resume(s, path, cfg);
    set_data(r, d, NULL);
    tt_step(s, r);
    ck_assert_int_eq(access(auto_path, F_OK), 0);
    parn_trainer_destroy(r);
    r = resume(s, auto_path, NULL);
    ck_assert_int_eq(parn_trainer_step_count(r), 2);
    parn_trainer_destroy(r);
    parn_model_destroy(m);
    parn_model_destroy(w);
    parn_trainer_destroy(t);
    parn_dataset_destroy(d);
    unlink(path);
    unlink(auto_path);
    parn_session_destroy(s);
}
END_TEST

/* ---- kill safety ----------------------------------------------------------------------------- */

static int count_temporaries(const char *base)
{
    DIR *dir = opendir(tmpdir);
    ck_assert_ptr_nonnull(dir);
    int n = 0;
    size_t len = strlen(base);
    for (struct dirent *e; (e = readdir(dir));)
        n += strncmp(e->d_name, base, len) == 0 && strncmp(e->d_name + len, ".tmp.", 5) == 0;
    closedir(dir);
    return n;
}

START_TEST(killed_writer_leaves_no_partial_file)
{
    parn_session_t *s = tt_session(1);
    /* created before the fork; the child only writes files (no graph runs, no threads) */
    parn_trainer_t *t = tt_trainer(s, "classifier", NULL);
    const char *path = temp_path("killed.safetensors");
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    int complete = 0, absent = 0;
    pid_t parent = getpid();
    for (int round = 0; round < 6; round++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) { /* writes until killed (or orphaned: it stops then) */
            for (int i = 0; i < 100000 && getppid() == parent; i++) parn_trainer_checkpoint(t, path);
            _exit(0);
        }
        /* the first round is short: the file may not exist yet */
        struct timespec pause = {0, round == 0 ? 200000L : (long)(5 + rand() % 120) * 1000000L};
        nanosleep(&pause, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        if (access(path, F_OK) != 0) {
            absent++;
            continue;
        }
        parn_model_t *m = NULL;
        ck_assert_msg(parn_model_load(path, &m) == PARN_OK, "round %d (seed %u): %s", round, seed,
                      parn_last_error(NULL));
        parn_model_destroy(m);
        parn_trainer_t *r = resume(s, path, NULL);
        parn_trainer_destroy(r);
        complete++;
    }
    int left = count_temporaries("killed.safetensors");
    printf("killed writer: %d complete files, %d rounds before the first, %d temporary files left\n",
           complete, absent, left);
    ck_assert_int_eq(parn_trainer_checkpoint(t, path), PARN_OK);
    ck_assert_int_eq(count_temporaries("killed.safetensors"), 0);
    parn_trainer_destroy(t);
    unlink(path);
    parn_session_destroy(s);
}
END_TEST

/* ---- corrupt checkpoints ---------------------------------------------------------------------- */

static void expect_format(parn_session_t *s, const char *path, const char *what)
{
    parn_trainer_t *t = NULL;
    parn_status st = parn_trainer_resume(s, path, NULL, &t);
    ck_assert_msg(st == PARN_E_FORMAT, "%s: status %d (%s)", what, st, parn_last_error(s));
    ck_assert_ptr_null(t);
}

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(*size);
    ck_assert_int_eq(fread(p, 1, *size, f), *size);
    fclose(f);
    return p;
}

static void write_all(const char *path, const void *p, size_t size)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fwrite(p, 1, size, f), size);
    fclose(f);
}

/* The checkpoint rewritten with one tensor left out (skip) and/or "parn.train" replaced. */
static void rewrite(const char *src, const char *dst, const char *skip, const char *state)
{
    parn_st_file *f = NULL;
    ck_assert_int_eq(parn_st_open(src, &f), PARN_OK);
    int n = parn_st_count(f), k = 0;
    parn_st_entry *e = calloc((size_t)n, sizeof *e);
    parn_tensor *ts = calloc((size_t)n, sizeof *ts);
    for (int i = 0; i < n; i++) {
        const char *name = parn_st_name(f, i);
        if (skip && strncmp(name, skip, strlen(skip)) == 0) {
            skip = NULL; /* the first match only */
            continue;
        }
        ck_assert_int_eq(parn_st_get(f, name, &ts[k]), PARN_OK);
        e[k] = (parn_st_entry){name, &ts[k]};
        k++;
    }
    cJSON *meta = cJSON_CreateObject();
    const char *keys[] = {"parn.format", "parn.config", "parn.train"};
    for (int i = 0; i < 3; i++) {
        const char *v = i == 2 && state ? state : parn_st_metadata(f, keys[i]);
        if (v && *v) cJSON_AddStringToObject(meta, keys[i], v);
    }
    ck_assert_int_eq(parn_st_write(dst, e, k, meta), PARN_OK);
    cJSON_Delete(meta);
    free(e);
    free(ts);
    parn_st_close(f);
}

START_TEST(corrupt_checkpoints)
{
    parn_session_t *s = tt_session(1);
    parn_dataset_t *d = tt_synthetic(4, 1);
    parn_trainer_t *t = tt_trainer(s, "classifier", "{\"clip_batch\": 2}");
    set_data(t, d, NULL);
    tt_step(s, t);
    const char *good = temp_path("good.safetensors"), *bad = temp_path("bad.safetensors");
    ck_assert_int_eq(parn_trainer_checkpoint(t, good), PARN_OK);
    size_t size;
    unsigned char *bytes = read_all(good, &size);

    parn_trainer_t *r = NULL;
    ck_assert_int_eq(parn_trainer_resume(s, temp_path("missing.safetensors"), NULL, &r), PARN_E_IO);
    ck_assert_int_eq(parn_trainer_resume(s, NULL, NULL, &r), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_trainer_resume(NULL, good, NULL, &r), PARN_E_INVALID_ARG);
    write_all(bad, bytes, size / 2);
    expect_format(s, bad, "truncated");
    write_all(bad, bytes, 5);
    expect_format(s, bad, "five bytes");
    unsigned char *flipped = malloc(size);
    memcpy(flipped, bytes, size);
    flipped[12] ^= 0x5a; /* inside the JSON header */
    write_all(bad, flipped, size);
    expect_format(s, bad, "header byte");
    free(flipped);
    /* a model file without the training state */
    parn_model_t *m = weights_of(t);
    ck_assert_int_eq(parn_model_save(m, bad), PARN_OK);
    expect_format(s, bad, "plain model");
    ck_assert_ptr_nonnull(strstr(parn_last_error(s), "not a checkpoint"));
    parn_model_destroy(m);
    /* incomplete or malformed state */
    rewrite(good, bad, "train.optim.c3d.0.", NULL);
    expect_format(s, bad, "missing optimizer buffer");
    rewrite(good, bad, "c3d.fc8.weight", NULL);
    expect_format(s, bad, "missing weight");
    rewrite(good, bad, NULL, "{");
    expect_format(s, bad, "state not JSON");
    rewrite(good, bad, NULL, "{\"version\": 1, \"phase\": \"classifier\"}");
    expect_format(s, bad, "state without step");
    rewrite(good, bad, NULL, "{\"version\": 9, \"phase\": \"classifier\"}");
    expect_format(s, bad, "future version");
    /* the good one still resumes */
    r = resume(s, good, NULL);
    parn_trainer_destroy(r);
    free(bytes);
    unlink(good);
    unlink(bad);
    parn_trainer_destroy(t);
    parn_dataset_destroy(d);
    parn_session_destroy(s);
}
END_TEST

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/parn_ckpt_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, killed_writer_leaves_no_partial_file);
    tcase_add_test(tc, checkpoint_is_a_model);
    tcase_add_test(tc, corrupt_checkpoints);
    tcase_add_test(tc, classifier_resumes_exactly);
    tcase_add_test(tc, gan_resumes_exactly);
    tcase_add_test(tc, joint_resumes_exactly);
    suite_add_tcase(s, tc);
    int rc = optest_main(s);
    rmdir(tmpdir);
    return rc;
}
