/* SPDX-License-Identifier: MIT */
/* FaceRecognitionNet (face-api.js, dlib's ResNet): descriptors against the numpy reference
 * (tests/reference/face_embedder.py) on a generated picture and on the package's demo photos,
 * against face-api.js's own fixtures, same/different-person distances on the face-api.js
 * example identities, the import's layouts, and misuse. The weights come from the npm package
 * at $PARN_FACEAPI_DIR (default /tmp/npm/package); third-party data from ../shared/data. Each
 * test skips with a note when what it reads is absent. */
#include "common/facetest.h"

#include "backend/backend.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIM 128
#define SIDE 150
#define SAME_PERSON 0.6f            /* dlib's threshold */
#define SYNTHETIC_TOL 1e-4f         /* same pixels as numpy: float rounding only */
#define DEMO_TOL 0.05f              /* FFmpeg vs PIL JPEG decoding (up to 4 levels): <= 0.04 */
#define FIXTURE_TOL 0.1f            /* face-api.js's own test tolerance */
#define MAX_IDENTITY_FACES 256

/* ---- where things are -------------------------------------------------------------------- */

static char path_buf[1024];

/* ../shared/data of the repository ($PARN_SHARED_DATA overrides), found from the fixtures
 * folder (tests/reference/fixtures) so that it works from any working directory. */
static const char *shared_path(const char *rel)
{
    const char *env = getenv("PARN_SHARED_DATA"), *fix = getenv("PARN_FIXTURES");
    if (env && *env)
        snprintf(path_buf, sizeof path_buf, "%s/%s", env, rel);
    else
        snprintf(path_buf, sizeof path_buf, "%s/../../../../shared/data/%s",
                 fix ? fix : "tests/reference/fixtures", rel);
    return path_buf;
}

static const char *reference_path(void)
{
    const char *fix = getenv("PARN_FIXTURES");
    snprintf(path_buf, sizeof path_buf, "%s/../face_embedder.json",
             fix ? fix : "tests/reference/fixtures");
    return path_buf;
}

static bool present(const char *path, const char *test)
{
    if (access(path, R_OK) == 0) return true;
    printf("%s: %s is absent; skipping\n", test, path);
    return false;
}

/* ---- helpers ------------------------------------------------------------------------------ */

#define MANIFEST "model/face_recognition_model-weights_manifest.json"

/* A model holding the imported embedder, or NULL (with a note) without the package. */
static parn_model_t *embedder_model(const char *test)
{
    if (!present(facetest_package_file(MANIFEST), test)) return NULL;
    return facetest_import(MANIFEST, parn_face_embedder_import);
}

static parn_face_embedder *runner(parn_model_t *m)
{
    parn_face_embedder *e = NULL;
    ck_assert_msg(parn_face_embedder_create(m, parn_backend_cpu(), optest_cpu(), &e) == PARN_OK, "%s",
                  parn__thread_error());
    return e;
}

static float distance(const float *a, const float *b)
{
    double s = 0;
    for (int i = 0; i < DIM; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return (float)sqrt(s);
}

static cJSON *read_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *text = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = 0;
    fclose(f);
    cJSON *j = cJSON_Parse(text);
    free(text);
    ck_assert_msg(j != NULL, "%s is not JSON", path);
    return j;
}

/* n numbers of a JSON array; false when it is not an array of n numbers. */
static bool json_floats(const cJSON *a, float *out, int n)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) return false;
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a)
    {
        if (!cJSON_IsNumber(v)) return false;
        out[i++] = (float)v->valuedouble;
    }
    return true;
}

/* A reference case: its box (NULL for the whole picture) and descriptor. */
static const float *case_box(const cJSON *c, float *box, float *descriptor)
{
    ck_assert(json_floats(cJSON_GetObjectItem(c, "descriptor"), descriptor, DIM));
    const cJSON *b = cJSON_GetObjectItem(c, "box");
    if (cJSON_IsNull(b)) return NULL;
    ck_assert(json_floats(b, box, 4));
    return box;
}

static void describe_file(parn_face_embedder *e, const char *path, const float *box, float *d)
{
    facetest_picture p = facetest_load_picture(path);
    ck_assert_msg(parn_face_describe(e, &p.img, box, d) == PARN_OK, "%s: %s", path, parn__thread_error());
    parn_frame_free(&p.frame);
}

/* ---- against the numpy reference ---------------------------------------------------------- */

START_TEST(matches_numpy_on_a_generated_picture)
{
    parn_model_t *m = embedder_model("synthetic");
    if (!m) return;
    cJSON *ref = read_json(reference_path());
    const cJSON *syn = cJSON_GetObjectItem(ref, "synthetic");
    int w = cJSON_GetObjectItem(syn, "width")->valueint, h = cJSON_GetObjectItem(syn, "height")->valueint;
    uint8_t *pixels = facetest_synthetic_picture(w, h);
    parn_rgb_image img = {pixels, w, h, 3 * w};
    parn_face_embedder *e = runner(m);
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(syn, "cases"))
    {
        float box[4], want[DIM], got[DIM];
        const float *b = case_box(c, box, want);
        ck_assert_msg(parn_face_describe(e, &img, b, got) == PARN_OK, "%s", parn__thread_error());
        float d = distance(got, want);
        printf("synthetic %d: distance to numpy %.2e\n", n, d);
        ck_assert_msg(d < SYNTHETIC_TOL, "synthetic case %d: distance %g to numpy", n, d);
        n++;
    }
    ck_assert_int_eq(n, 3);
    parn_face_embedder_destroy(e);
    free(pixels);
    cJSON_Delete(ref);
    parn_model_destroy(m);
}
END_TEST

START_TEST(matches_numpy_on_the_demo_photos)
{
    parn_model_t *m = embedder_model("demo");
    if (!m) return;
    cJSON *ref = read_json(reference_path());
    parn_face_embedder *e = runner(m);
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(ref, "demo"))
    {
        float box[4], want[DIM], got[DIM];
        const float *b = case_box(c, box, want);
        char rel[128];
        snprintf(rel, sizeof rel, "demo/%s", cJSON_GetObjectItem(c, "image")->valuestring);
        describe_file(e, facetest_package_file(rel), b, got);
        float d = distance(got, want);
        printf("%s box %d: distance to numpy %.4f, |d| %.3f\n", rel, n, d, distance(got, (float[DIM]){0}));
        ck_assert_msg(d < DEMO_TOL, "%s: distance %g to numpy", rel, d);
        n++;
    }
    ck_assert_int_eq(n, 8);
    cJSON_Delete(ref);
    parn_face_embedder_destroy(e);
    parn_model_destroy(m);
}
END_TEST

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ms per face on the shared 2-thread context (the first demo face, after a warm-up run); the
 * best and the median of 20, since other processes may share the cores. */
START_TEST(time_per_face)
{
    parn_model_t *m = embedder_model("timing");
    if (!m) return;
    parn_face_embedder *e = runner(m);
    facetest_picture p = facetest_load_picture(facetest_package_file("demo/sample1.jpg"));
    parn_rgb_image img = p.img;
    const float box[4] = {776, 445, 313, 256};
    float d[DIM];
    ck_assert_int_eq(parn_face_describe(e, &img, box, d), PARN_OK);
    enum { RUNS = 20 };
    double ms[RUNS];
    for (int i = 0; i < RUNS; i++) {
        double t0 = facetest_now_ms();
        ck_assert_int_eq(parn_face_describe(e, &img, box, d), PARN_OK);
        ms[i] = facetest_now_ms() - t0;
    }
    qsort(ms, RUNS, sizeof ms[0], by_value);
    printf("embedder: %.2f ms per face, median %.2f (CPU, 2 threads, %d runs)\n", ms[0], ms[RUNS / 2], RUNS);
    parn_frame_free(&p.frame);
    parn_face_embedder_destroy(e);
    parn_model_destroy(m);
}
END_TEST

/* ---- against face-api.js and identities --------------------------------------------------- */

START_TEST(matches_faceapi_fixtures)
{
    static const char *const pairs[][2] = {{"face1.png", "faceDescriptor1.json"},
                                           {"face2.png", "faceDescriptor2.json"},
                                           {"face_rectangular.png", "faceDescriptorRect.json"}};
    if (!present(shared_path("faceapi_ref/EXPECTED.md"), "faceapi_ref")) return;
    parn_model_t *m = embedder_model("faceapi_ref");
    if (!m) return;
    parn_face_embedder *e = runner(m);
    for (int i = 0; i < 3; i++) {
        char rel[128];
        float want[DIM], got[DIM];
        snprintf(rel, sizeof rel, "faceapi_ref/%s", pairs[i][1]);
        cJSON *j = read_json(shared_path(rel));
        ck_assert(json_floats(j, want, DIM));
        cJSON_Delete(j);
        snprintf(rel, sizeof rel, "faceapi_ref/%s", pairs[i][0]);
        describe_file(e, shared_path(rel), NULL, got);
        float d = distance(got, want);
        printf("%s: distance to face-api.js %.4f\n", pairs[i][0], d);
        ck_assert_msg(d < FIXTURE_TOL, "%s: distance %g to face-api.js's descriptor", pairs[i][0], d);
    }
    parn_face_embedder_destroy(e);
    parn_model_destroy(m);
}
END_TEST

typedef struct identity_set {
    int n;
    int person[MAX_IDENTITY_FACES];
    float (*d)[DIM];
} identity_set;

/* Describes every picture of identities/<person>/ (whole picture: they are face crops). */
static void describe_identities(parn_face_embedder *e, const char *root, identity_set *s)
{
    DIR *people = opendir(root);
    ck_assert_ptr_nonnull(people);
    int n_people = 0;
    struct dirent *p;
    while ((p = readdir(people))) {
        if (p->d_name[0] == '.') continue;
        char dir[1024];
        ck_assert_int_lt(snprintf(dir, sizeof dir, "%s/%s", root, p->d_name), (int)sizeof dir);
        DIR *faces = opendir(dir);
        if (!faces) continue;
        struct dirent *f;
        while ((f = readdir(faces))) {
            if (f->d_name[0] == '.') continue;
            ck_assert_int_lt(s->n, MAX_IDENTITY_FACES);
            char file[1300];
            ck_assert_int_lt(snprintf(file, sizeof file, "%s/%s", dir, f->d_name), (int)sizeof file);
            describe_file(e, file, NULL, s->d[s->n]);
            s->person[s->n++] = n_people;
        }
        closedir(faces);
        n_people++;
    }
    closedir(people);
    ck_assert_int_ge(n_people, 2);
}

START_TEST(separates_identities)
{
    const char *root = shared_path("faces/faceapi_bbt/identities");
    if (!present(root, "identities")) return;
    parn_model_t *m = embedder_model("identities");
    if (!m) return;
    parn_face_embedder *e = runner(m);
    identity_set s = {.d = malloc(MAX_IDENTITY_FACES * sizeof *s.d)};
    describe_identities(e, root, &s);
    int same = 0, same_close = 0, diff = 0, diff_far = 0;
    for (int i = 0; i < s.n; i++)
        for (int j = i + 1; j < s.n; j++) {
            bool close = distance(s.d[i], s.d[j]) < SAME_PERSON;
            if (s.person[i] == s.person[j]) {
                same++;
                same_close += close;
            } else {
                diff++;
                diff_far += !close;
            }
        }
    double same_rate = 100.0 * same_close / same, diff_rate = 100.0 * diff_far / diff;
    printf("identities: %d faces; same person < %.1f: %.1f%% of %d pairs; different >= %.1f: %.1f%% of %d\n",
           s.n, SAME_PERSON, same_rate, same, SAME_PERSON, diff_rate, diff);
    ck_assert_msg(same > 0 && diff > 0, "no pairs");
    ck_assert_msg(same_rate >= 95.0, "only %.1f%% of same-person pairs are closer than 0.6", same_rate);
    ck_assert_msg(diff_rate >= 99.0, "only %.1f%% of different-person pairs are at least 0.6 apart", diff_rate);
    free(s.d);
    parn_face_embedder_destroy(e);
    parn_model_destroy(m);
}
END_TEST

/* ---- import layouts, builder and misuse --------------------------------------------------- */

static const parn_tensor *model_tensor(const parn_model_t *m, const char *name)
{
    int i = parn_model_find(m, name);
    ck_assert_msg(i >= 0, "model has no '%s'", name);
    return &m->tensors[i].t;
}

static const float *tf_data(const parn_tfjs *w, const char *name)
{
    parn_tensor t;
    ck_assert_msg(parn_tfjs_get(w, name, &t) == PARN_OK, "weights have no '%s'", name);
    return t.data;
}

/* Filters kh x kw x in x out -> out x in x kh x kw with the scale layer folded in:
 * weight = filters * scale, bias = conv bias * scale + scale bias. */
static void expect_folded_conv(const parn_model_t *m, const parn_tfjs *w, const char *tf, const char *torch,
                               int k, int in_c, int out_c)
{
    char name[128];
    snprintf(name, sizeof name, "%s/conv/filters", tf);
    const float *f = tf_data(w, name);
    snprintf(name, sizeof name, "%s/conv/bias", tf);
    const float *b = tf_data(w, name);
    snprintf(name, sizeof name, "%s/scale/weights", tf);
    const float *s = tf_data(w, name);
    snprintf(name, sizeof name, "%s/scale/biases", tf);
    const float *sb = tf_data(w, name);
    snprintf(name, sizeof name, "embedder.%s.weight", torch);
    const parn_tensor *t = model_tensor(m, name);
    ck_assert(t->ndim == 4 && t->dims[0] == out_c && t->dims[1] == in_c && t->dims[2] == k && t->dims[3] == k);
    for (int o = 0; o < out_c; o += 5)
        for (int i = 0; i < in_c; i += 2)
            for (int y = 0; y < k; y += 2)
                for (int x = 0; x < k; x++)
                    ck_assert_float_eq_tol(t->data[((o * in_c + i) * k + y) * k + x],
                                           f[((y * k + x) * in_c + i) * out_c + o] * s[o], 1e-7);
    snprintf(name, sizeof name, "embedder.%s.bias", torch);
    t = model_tensor(m, name);
    ck_assert(t->ndim == 1 && t->dims[0] == out_c);
    for (int o = 0; o < out_c; o++) ck_assert_float_eq_tol(t->data[o], b[o] * s[o] + sb[o], 1e-6);
}

START_TEST(import_converts_layouts)
{
    if (!present(facetest_package_file(MANIFEST), "import")) return;
    parn_tfjs *w = facetest_load_weights(facetest_package_file(MANIFEST));
    parn_model_t *m = facetest_empty_model();
    ck_assert_int_eq(parn_face_embedder_import(m, w), PARN_OK);
    ck_assert(m->has[PARN_NET_EMBEDDER]);
    ck_assert_int_eq(m->n_tensors, 2 * 29 + 1);
    expect_folded_conv(m, w, "conv32_down", "conv32_down", 7, 3, 32);
    expect_folded_conv(m, w, "conv64_down/conv1", "conv64_down.conv1", 3, 32, 64);  /* raw float32 */
    expect_folded_conv(m, w, "conv256_down_out/conv2", "conv256_down_out.conv2", 3, 256, 256);
    /* dense: in x out -> out x in */
    const float *fc = tf_data(w, "fc");
    const parn_tensor *t = model_tensor(m, "embedder.fc.weight");
    ck_assert(t->ndim == 2 && t->dims[0] == 128 && t->dims[1] == 256);
    for (int o = 0; o < 128; o += 7)
        for (int i = 0; i < 256; i += 11) ck_assert_float_eq(t->data[o * 256 + i], fc[i * 128 + o]);
    /* a second import is refused and leaves the model as it is */
    ck_assert_int_eq(parn_face_embedder_import(m, w), PARN_E_INVALID_ARG);
    ck_assert_int_eq(m->n_tensors, 2 * 29 + 1);
    parn_tfjs_free(w);
    parn_model_destroy(m);
}
END_TEST

/* Batch rows are independent: a batch of two gives each picture's single descriptor. */
START_TEST(builder_runs_batches)
{
    parn_model_t *m = embedder_model("batch");
    if (!m) return;
    const int64_t px = 3 * SIDE * SIDE;
    float *in = malloc(2 * px * sizeof *in), out1[2][DIM], out2[2 * DIM];
    parn_rng rng;
    parn__rng_seed(&rng, 7);
    for (int64_t i = 0; i < 2 * px; i++) in[i] = parn__rng_uniform(&rng) - 0.5f;
    for (int n = 1; n <= 2; n++) {
        parn_graph *g = parn_graph_create();
        parn_net net = parn_net_make(g, m, "embedder.", false);
        net.frozen = true;
        int x = parn_graph_input(g, "x", 4, (int64_t[]){n, 3, SIDE, SIDE});
        int y = parn_face_embedder_build(&net, x);
        ck_assert_msg(y >= 0, "%s", parn_graph_error(g));
        const parn_tensor *t = parn_graph_tensor(g, y);
        ck_assert(t->ndim == 2 && t->dims[0] == n && t->dims[1] == DIM);
        parn_graph_keep(g, y);
        for (int b = 0; b < (n == 1 ? 2 : 1); b++) {
            parn_graph_bind(g, x, in + b * px);
            ck_assert_msg(parn_graph_run(g, parn_backend_cpu(), optest_cpu()) == PARN_OK, "%s",
                          parn__thread_error());
            parn_graph_read(g, y, n == 1 ? out1[b] : out2);
        }
        parn_net_release(&net);
        parn_graph_destroy(g);
    }
    for (int b = 0; b < 2; b++) ck_assert_float_lt(distance(out1[b], out2 + b * DIM), 1e-5f);
    ck_assert_float_gt(distance(out1[0], out1[1]), 1e-3f);
    free(in);
    parn_model_destroy(m);
}
END_TEST

static void expect_build_failure(parn_model_t *m, int64_t c, int64_t side, parn_status st, const char *word)
{
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, "embedder.", false);
    int x = parn_graph_input(g, "x", 4, (int64_t[]){1, c, side, side});
    int y = parn_face_embedder_build(&net, x);
    parn_net_release(&net);
    optest_expect_failure(g, y, st, word);
}

START_TEST(misuse_is_an_error)
{
    parn_model_t *empty = facetest_empty_model();
    /* builder: wrong input shapes, missing tensors */
    expect_build_failure(empty, 1, SIDE, PARN_E_SHAPE, "embedder");
    expect_build_failure(empty, 3, 160, PARN_E_SHAPE, "150");
    expect_build_failure(empty, 3, SIDE, PARN_E_NOT_FOUND, "embedder.conv32_down.weight");
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, empty, "embedder.", false);
    optest_expect_failure(g, parn_face_embedder_build(&net, 12), PARN_E_INVALID_ARG, "embedder");
    parn_net_release(&net);
    ck_assert_int_eq(parn_face_embedder_build(NULL, 0), -1);
    /* runner and import arguments */
    parn_face_embedder *e = NULL;
    ck_assert_int_eq(parn_face_embedder_create(empty, parn_backend_cpu(), optest_cpu(), &e), PARN_E_NOT_FOUND);
    ck_assert_ptr_null(e);
    ck_assert_int_eq(parn_face_embedder_create(NULL, parn_backend_cpu(), optest_cpu(), &e), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_embedder_create(empty, parn_backend_cpu(), optest_cpu(), NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_embedder_import(empty, NULL), PARN_E_INVALID_ARG);
    parn_face_embedder_destroy(NULL);
    float d[DIM], box[4] = {0, 0, 10, 10};
    parn_rgb_image img = {0};
    ck_assert_int_eq(parn_face_describe(NULL, &img, NULL, d), PARN_E_INVALID_ARG);

    /* other networks' weights are refused with the missing tensor named; the model is unchanged */
    const char *tiny = facetest_package_file("model/tiny_face_detector_model-weights_manifest.json");
    if (present(tiny, "misuse")) {
        parn_tfjs *w = NULL;
        ck_assert_int_eq(parn_tfjs_load(tiny, &w), PARN_OK);
        ck_assert_int_eq(parn_face_embedder_import(empty, w), PARN_E_FORMAT);
        ck_assert_ptr_nonnull(strstr(parn__thread_error(), "conv32_down/conv/filters"));
        ck_assert_int_eq(empty->n_tensors, 0);
        ck_assert(!empty->has[PARN_NET_EMBEDDER]);
        parn_tfjs_free(w);
    }
    parn_model_destroy(empty);

    /* pictures and boxes */
    parn_model_t *m = embedder_model("misuse");
    if (!m) return;
    e = runner(m);
    uint8_t px[4 * 3 * 3] = {0};
    img = (parn_rgb_image){px, 4, 3, 12};
    ck_assert_int_eq(parn_face_describe(e, NULL, NULL, d), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_face_describe(e, &img, NULL, NULL), PARN_E_INVALID_ARG);
    img.stride = 11;
    ck_assert_int_eq(parn_face_describe(e, &img, NULL, d), PARN_E_INVALID_ARG);
    img.stride = 12;
    img.data = NULL;
    ck_assert_int_eq(parn_face_describe(e, &img, NULL, d), PARN_E_INVALID_ARG);
    img.data = px;
    static const float bad[][4] = {{4, 0, 2, 2}, {0, 3, 2, 2}, {-5, 0, 5.5f, 2}, {1, 1, 0.5f, 2}, {NAN, 0, 2, 2},
                                   {0, 0, INFINITY, 2}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(parn_face_describe(e, &img, bad[i], d), PARN_E_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(parn__thread_error(), "embedder"));
    }
    /* a box sticking out is clipped; a one-pixel picture works */
    ck_assert_int_eq(parn_face_describe(e, &img, box, d), PARN_OK);
    img.width = img.height = 1;
    ck_assert_int_eq(parn_face_describe(e, &img, NULL, d), PARN_OK);
    for (int i = 0; i < DIM; i++) ck_assert(isfinite(d[i]));
    parn_face_embedder_destroy(e);
    parn_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("face_embedder");
    TCase *numpy = tcase_create("numpy");
    tcase_set_timeout(numpy, 300);
    tcase_add_test(numpy, matches_numpy_on_a_generated_picture);
    tcase_add_test(numpy, matches_numpy_on_the_demo_photos);
    tcase_add_test(numpy, time_per_face);
    suite_add_tcase(s, numpy);
    TCase *data = tcase_create("shared_data");
    tcase_set_timeout(data, 300);
    tcase_add_test(data, matches_faceapi_fixtures);
    tcase_add_test(data, separates_identities);
    suite_add_tcase(s, data);
    TCase *api = tcase_create("api");
    tcase_set_timeout(api, 300);
    tcase_add_test(api, import_converts_layouts);
    tcase_add_test(api, builder_runs_batches);
    tcase_add_test(api, misuse_is_an_error);
    suite_add_tcase(s, api);
    return optest_main(s);
}
