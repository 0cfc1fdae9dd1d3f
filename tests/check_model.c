/* SPDX-License-Identifier: MIT */
/* Models: create -> save -> load gives bit-identical outputs, seeds reproduce weights, the API
 * rejects misuse, and every way of breaking a model file is a clean error. */
#include "common/modeltest.h"

#include "backend/backend.h"
#include "models/model.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char small_c3d[] = "{\"c3d\": {\"frames\": 16, \"crop\": 32, \"fc\": 16, \"classes\": 3,"
                                " \"class_names\": [\"walk\", \"run\", \"wave\"]}}";

static parn_model_t *create_small(int64_t seed)
{
    parn_options_t *o = NULL;
    ck_assert_int_eq(parn_options_create(&o), PARN_OK);
    parn_options_set_string(o, PARN_OPT_NETWORKS, "c3d");
    parn_options_set_int(o, PARN_OPT_CLASSES, 3);
    parn_options_set_string(o, PARN_OPT_MODEL_CONFIG, small_c3d);
    parn_options_set_int(o, PARN_OPT_SEED, seed);
    parn_model_t *m = NULL;
    parn_status st = parn_model_create(o, &m);
    parn_options_destroy(o);
    ck_assert_msg(st == PARN_OK, "create: %s", parn_last_error(NULL));
    return m;
}

/* Runs the C3D of m on a fixed clip; returns the logits (3 per clip, batch 2). */
static void run_c3d(parn_model_t *m, float logits[6])
{
    parn_graph *g = parn_graph_create();
    parn_net net = parn_net_make(g, m, "c3d.", false);
    int64_t dims[] = {2, 3, 16, 32, 32};
    int x = parn_graph_input(g, "clip", 5, dims);
    int y = parn_c3d_build(&net, &m->c3d, x, NULL, NULL, NULL);
    ck_assert_msg(y >= 0, "%s", parn_graph_error(g));
    parn_graph_keep(g, y);
    static float clip[2 * 3 * 16 * 32 * 32];
    for (size_t i = 0; i < sizeof clip / sizeof clip[0]; i++) clip[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
    parn_graph_bind(g, x, clip);
    ck_assert_int_eq(parn_graph_run(g, parn_backend_cpu(), optest_cpu()), PARN_OK);
    ck_assert_int_eq(parn_graph_read(g, y, logits), PARN_OK);
    parn_net_release(&net);
    parn_graph_destroy(g);
}

static char *temp_path(const char *tag)
{
    static char path[4][256];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 256, "/tmp/parn-model-test-%d-%s.safetensors", (int)getpid(), tag);
    return p;
}

START_TEST(create_save_load_is_bit_identical)
{
    parn_model_t *a = create_small(7);
    const char *path = temp_path("roundtrip");
    ck_assert_int_eq(parn_model_save(a, path), PARN_OK);
    parn_model_t *b = NULL;
    ck_assert_msg(parn_model_load(path, &b) == PARN_OK, "%s", parn_last_error(NULL));
    float la[6], lb[6];
    run_c3d(a, la);
    run_c3d(b, lb);
    ck_assert_int_eq(memcmp(la, lb, sizeof la), 0);
    ck_assert_str_eq(parn_model_describe(a), parn_model_describe(b));
    ck_assert_int_eq(parn_model_num_classes(b), 3);
    ck_assert_str_eq(parn_model_class_name(b, 2), "wave");
    ck_assert_ptr_null(parn_model_class_name(b, 3));
    ck_assert_int_eq(parn_model_has_network(b, "c3d"), 1);
    ck_assert_int_eq(parn_model_has_network(b, "generator"), 0);
    ck_assert_int_eq(parn_model_has_network(b, "nonsense"), 0);
    cJSON *info = cJSON_Parse(parn_model_describe(b));
    ck_assert_ptr_nonnull(info);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "networks"), "c3d"));
    cJSON_Delete(info);
    parn_model_destroy(a);
    parn_model_destroy(b);
    unlink(path);
}
END_TEST

START_TEST(seeds_reproduce_weights)
{
    parn_model_t *a = create_small(3), *b = create_small(3), *c = create_small(4);
    ck_assert_int_eq(a->n_tensors, b->n_tensors);
    int w = parn_model_find(a, "c3d.conv1.weight");
    ck_assert_int_ge(w, 0);
    size_t bytes = (size_t)parn_tensor_numel(&a->tensors[w].t) * sizeof(float);
    ck_assert_int_eq(memcmp(a->tensors[w].t.data, b->tensors[w].t.data, bytes), 0);
    ck_assert_int_ne(memcmp(a->tensors[w].t.data, c->tensors[w].t.data, bytes), 0);
    /* PyTorch's bound for conv1: 1 / sqrt(3 * 27) */
    float bound = 1.0f / sqrtf(81.0f), lo = 0, hi = 0;
    for (int64_t i = 0; i < parn_tensor_numel(&a->tensors[w].t); i++) {
        float v = a->tensors[w].t.data[i];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    ck_assert(lo >= -bound && hi <= bound && hi - lo > bound);
    parn_model_destroy(a);
    parn_model_destroy(b);
    parn_model_destroy(c);
}
END_TEST

static parn_status create_with(const char *networks, int64_t classes, const char *names, const char *config)
{
    parn_options_t *o = NULL;
    parn_options_create(&o);
    if (networks) parn_options_set_string(o, PARN_OPT_NETWORKS, networks);
    if (classes) parn_options_set_int(o, PARN_OPT_CLASSES, classes);
    if (names) parn_options_set_string(o, PARN_OPT_CLASS_NAMES, names);
    if (config) parn_options_set_string(o, PARN_OPT_MODEL_CONFIG, config);
    parn_model_t *m = NULL;
    parn_status st = parn_model_create(o, &m);
    parn_options_destroy(o);
    ck_assert(st != PARN_OK || m != NULL);
    parn_model_destroy(m);
    return st;
}

START_TEST(create_rejects_bad_requests)
{
    ck_assert_int_eq(create_with("c3d,teleporter", 0, NULL, small_c3d), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "teleporter"));
    ck_assert_int_eq(create_with("", 0, NULL, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(create_with("detector", 0, NULL, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(create_with("c3d", 3, "a,b", "{\"c3d\": {\"frames\": 16, \"crop\": 32, \"fc\": 16}}"),
                     PARN_E_INVALID_ARG);
    ck_assert_int_eq(create_with("c3d", 0, NULL, "{\"c3d\": "), PARN_E_INVALID_ARG);
    ck_assert_int_eq(create_with("c3d", 0, NULL, "[1, 2]"), PARN_E_INVALID_ARG);
    ck_assert_int_eq(create_with("c3d", 0, NULL, "{\"c4d\": {}}"), PARN_E_INVALID_ARG);
    ck_assert_int_eq(create_with("c3d", 0, NULL, "{\"c3d\": {\"variant\": 6}}"), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_model_create(NULL, NULL), PARN_E_INVALID_ARG);
    parn_model_t *m = NULL;
    ck_assert_int_eq(parn_model_load(NULL, &m), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_model_load("/tmp", NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_model_save(NULL, "/tmp/x"), PARN_E_INVALID_ARG);
    ck_assert_ptr_null(parn_model_describe(NULL));
    ck_assert_int_eq(parn_model_num_classes(NULL), 0);
    parn_model_destroy(NULL);
    m = create_small(1);
    ck_assert_int_eq(parn_model_save(m, "/nonexistent-dir/model.safetensors"), PARN_E_IO);
    parn_model_destroy(m);
}
END_TEST

/* ---- corrupt files ----------------------------------------------------------------------- */

typedef struct image {
    uint8_t *bytes;
    size_t size;
} image;

static image valid_file(void)
{
    parn_model_t *m = create_small(11);
    const char *path = temp_path("valid");
    ck_assert_int_eq(parn_model_save(m, path), PARN_OK);
    parn_model_destroy(m);
    FILE *fp = fopen(path, "rb");
    image im;
    fseek(fp, 0, SEEK_END);
    im.size = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    im.bytes = malloc(im.size);
    ck_assert_int_eq(fread(im.bytes, 1, im.size, fp), im.size);
    fclose(fp);
    unlink(path);
    return im;
}

static uint64_t header_len(const image *im)
{
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = (h << 8) | im->bytes[i];
    return h;
}

/* Rebuilds a file from a (modified) header and the data section of im. */
static image with_header(const image *im, cJSON *header, size_t data_cut)
{
    char *json = cJSON_PrintUnformatted(header);
    size_t hlen = strlen(json), data = im->size - 8 - header_len(im) - data_cut;
    image out = {malloc(8 + hlen + data), 8 + hlen + data};
    for (int i = 0; i < 8; i++) out.bytes[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    memcpy(out.bytes + 8, json, hlen);
    memcpy(out.bytes + 8 + hlen, im->bytes + 8 + header_len(im), data);
    free(json);
    return out;
}

static cJSON *header_of(const image *im)
{
    return cJSON_ParseWithLength((const char *)im->bytes + 8, header_len(im));
}

/* Loads bytes from a file and checks for the expected failure with a message. */
static void expect_failure(const image *im, parn_status want, const char *why)
{
    const char *path = temp_path("corrupt");
    FILE *fp = fopen(path, "wb");
    fwrite(im->bytes, 1, im->size, fp);
    fclose(fp);
    parn_model_t *m = NULL;
    parn_status st = parn_model_load(path, &m);
    ck_assert_msg(st == want, "%s: got status %d (%s), want %d", why, st, parn_last_error(NULL), want);
    ck_assert_ptr_null(m);
    ck_assert_msg(strlen(parn_last_error(NULL)) > 10, "%s: no message", why);
    unlink(path);
}

static cJSON *first_tensor(cJSON *h, const char *name)
{
    return cJSON_GetObjectItem(h, name);
}

/* Sets a metadata key on a copy of the header and expects the load to fail. */
static void expect_metadata_failure(const image *im, const char *key, const char *value,
                                    parn_status want, const char *why)
{
    cJSON *h = header_of(im);
    cJSON *meta = cJSON_GetObjectItem(h, "__metadata__");
    cJSON_ReplaceItemInObject(meta, key, cJSON_CreateString(value));
    image bad = with_header(im, h, 0);
    expect_failure(&bad, want, why);
    free(bad.bytes);
    cJSON_Delete(h);
}

START_TEST(corrupt_files_are_clean_errors)
{
    image im = valid_file();
    image bad;
    cJSON *h;
    int cases = 0;

    /* 1-5: sizes and the header length */
    bad = (image){im.bytes, 0};
    expect_failure(&bad, PARN_E_FORMAT, "empty file"), cases++;
    bad = (image){im.bytes, 7};
    expect_failure(&bad, PARN_E_FORMAT, "7 bytes"), cases++;
    bad = (image){malloc(im.size), im.size};
    memcpy(bad.bytes, im.bytes, im.size);
    bad.bytes[7] = 0x7f;
    expect_failure(&bad, PARN_E_FORMAT, "header length beyond the file"), cases++;
    memset(bad.bytes, 0, 8);
    bad.bytes[0] = 1;
    expect_failure(&bad, PARN_E_FORMAT, "header length 1"), cases++;
    memcpy(bad.bytes, im.bytes, im.size);
    memset(bad.bytes + 8, '#', 16);
    expect_failure(&bad, PARN_E_FORMAT, "header is not JSON"), cases++;
    /* 6-7: truncated or padded data */
    memcpy(bad.bytes, im.bytes, im.size);
    bad.size = im.size - 100;
    expect_failure(&bad, PARN_E_FORMAT, "truncated data"), cases++;
    free(bad.bytes);
    bad = (image){malloc(im.size + 64), im.size + 64};
    memcpy(bad.bytes, im.bytes, im.size);
    memset(bad.bytes + im.size, 0, 64);
    expect_failure(&bad, PARN_E_FORMAT, "trailing bytes"), cases++;
    free(bad.bytes);

    /* 8: the header is an array */
    h = cJSON_CreateArray();
    bad = with_header(&im, h, 0);
    expect_failure(&bad, PARN_E_FORMAT, "header is an array"), cases++;
    free(bad.bytes);
    cJSON_Delete(h);

    /* 9-15: one tensor's record lies */
    const char *w = "c3d.conv1.weight";
    struct {
        const char *field, *json;
        parn_status want;
        const char *why;
    } lies[] = {
        {"dtype", "\"F99\"", PARN_E_FORMAT, "unknown dtype"},
        {"dtype", "7", PARN_E_FORMAT, "dtype is not a string"},
        {"shape", "[64, 3, 3, 3, -3]", PARN_E_FORMAT, "negative dimension"},
        {"shape", "[64, 3, 3, 3, 3, 1]", PARN_E_FORMAT, "rank 6"},
        {"shape", "[64, 3, 3, 3, 4]", PARN_E_FORMAT, "shape does not match the byte length"},
        {"data_offsets", "[100, 50]", PARN_E_FORMAT, "end before begin"},
        {"data_offsets", "[0, 99999999999]", PARN_E_FORMAT, "offsets beyond the data"},
        {"data_offsets", "[\"a\", 4]", PARN_E_FORMAT, "offsets are not numbers"},
        {"shape", "\"big\"", PARN_E_FORMAT, "shape is not an array"},
    };
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        h = header_of(&im);
        cJSON_ReplaceItemInObject(first_tensor(h, w), lies[i].field, cJSON_Parse(lies[i].json));
        bad = with_header(&im, h, 0);
        expect_failure(&bad, lies[i].want, lies[i].why), cases++;
        free(bad.bytes);
        cJSON_Delete(h);
    }

    /* 18: two tensors claim the same bytes */
    h = header_of(&im);
    cJSON *b = first_tensor(h, "c3d.conv1.bias");
    cJSON_ReplaceItemInObject(first_tensor(h, w), "data_offsets",
                              cJSON_Duplicate(cJSON_GetObjectItem(b, "data_offsets"), true));
    cJSON_ReplaceItemInObject(first_tensor(h, w), "shape", cJSON_Duplicate(cJSON_GetObjectItem(b, "shape"), true));
    bad = with_header(&im, h, 0);
    expect_failure(&bad, PARN_E_FORMAT, "overlapping tensors"), cases++;
    free(bad.bytes);
    cJSON_Delete(h);

    /* 19: a dtype we do not read, with a consistent byte length */
    h = header_of(&im);
    cJSON *t = first_tensor(h, w);
    cJSON_ReplaceItemInObject(t, "dtype", cJSON_CreateString("F16"));
    cJSON_ReplaceItemInObject(t, "shape", cJSON_Parse("[64, 3, 3, 3, 6]"));
    bad = with_header(&im, h, 0);
    expect_failure(&bad, PARN_E_UNSUPPORTED, "F16 weights"), cases++;
    free(bad.bytes);
    cJSON_Delete(h);

    /* 20: a tensor outside every network; 21: a tensor a network does not use */
    const char *strays[] = {"mystery.weight", "c3d.conv9.weight"};
    for (int i = 0; i < 2; i++) {
        h = header_of(&im);
        cJSON *copy = cJSON_Duplicate(first_tensor(h, w), true);
        cJSON_DeleteItemFromObject(h, w);
        cJSON_AddItemToObject(h, strays[i], copy);
        bad = with_header(&im, h, 0);
        expect_failure(&bad, i == 0 ? PARN_E_FORMAT : PARN_E_NOT_FOUND, strays[i]), cases++;
        free(bad.bytes);
        cJSON_Delete(h);
    }

    /* 22: a weight of the right size and the wrong shape (transposed) */
    h = header_of(&im);
    cJSON_ReplaceItemInObject(first_tensor(h, w), "shape", cJSON_Parse("[3, 64, 3, 3, 3]"));
    bad = with_header(&im, h, 0);
    expect_failure(&bad, PARN_E_SHAPE, "transposed weight"), cases++;
    free(bad.bytes);
    cJSON_Delete(h);

    /* 23-27: metadata */
    expect_metadata_failure(&im, "parn.format", "99", PARN_E_UNSUPPORTED, "newer format"), cases++;
    expect_metadata_failure(&im, "parn.format", "one", PARN_E_FORMAT, "format is not a number"), cases++;
    expect_metadata_failure(&im, "parn.config", "{\"c3d\": ", PARN_E_FORMAT, "config is not JSON"), cases++;
    expect_metadata_failure(&im, "parn.config", "{\"holo\": {}}", PARN_E_FORMAT, "unknown network"), cases++;
    expect_metadata_failure(&im, "parn.config", "{\"c3d\": {\"classes\": 0}}", PARN_E_FORMAT,
                            "configuration out of range"), cases++;
    h = header_of(&im);
    cJSON_ReplaceItemInObject(h, "__metadata__", cJSON_CreateNumber(3));
    bad = with_header(&im, h, 0);
    expect_failure(&bad, PARN_E_FORMAT, "metadata is not an object"), cases++;
    free(bad.bytes);
    cJSON_Delete(h);

    /* 29: a NaN in the weights */
    bad = (image){malloc(im.size), im.size};
    memcpy(bad.bytes, im.bytes, im.size);
    h = header_of(&im);
    int begin = cJSON_GetArrayItem(cJSON_GetObjectItem(first_tensor(h, w), "data_offsets"), 0)->valueint;
    float nan = NAN;
    memcpy(bad.bytes + 8 + header_len(&im) + begin + 8, &nan, 4);
    expect_failure(&bad, PARN_E_FORMAT, "NaN weight"), cases++;
    free(bad.bytes);
    cJSON_Delete(h);

    /* 30-31: not a file */
    parn_model_t *m = NULL;
    ck_assert_int_eq(parn_model_load("/nonexistent/model.safetensors", &m), PARN_E_IO);
    cases++;
    ck_assert_int_eq(parn_model_load("/tmp", &m), PARN_E_IO);
    cases++;

    ck_assert_int_ge(cases, 15);
    free(im.bytes);
}
END_TEST

/* A PyTorch state_dict saved as safetensors, without libparn's metadata, loads as is with the
 * default configuration of the network its names belong to. */
START_TEST(plain_state_dict_loads_as_is)
{
    parn_model_t *m = modeltest_load("state_dict_fem");
    ck_assert_int_eq(parn_model_has_network(m, "fem"), 1);
    ck_assert_int_eq(parn_model_has_network(m, "c3d"), 0);
    ck_assert_int_eq(m->fem.channels, 64);
    ck_assert_int_eq(m->fem.reduction, 16);
    parn_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, create_save_load_is_bit_identical);
    tcase_add_test(tc, seeds_reproduce_weights);
    tcase_add_test(tc, create_rejects_bad_requests);
    tcase_add_test(tc, corrupt_files_are_clean_errors);
    tcase_add_test(tc, plain_state_dict_loads_as_is);
    suite_add_tcase(s, tc);
    return optest_main(s);
}
