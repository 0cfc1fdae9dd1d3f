/* SPDX-License-Identifier: MIT */
/* The TF.js weight reader: the face-api.js package's real manifests (statistics from
 * ../shared/specs/face-models-check/manifests_report.txt), multi-file and multi-group streams,
 * every stored type on hand-made files, and corrupt or truncated manifests and files, which
 * must be errors with a message, never crashes. The package comes from $PARN_FACEAPI_DIR
 * (default /tmp/npm/package); tests that need it print a note and pass when it is absent. */
#include "common/facetest.h"

#include "io/tfjs.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- files ----------------------------------------------------------------------------------- */

/* A file of the package's model folder. */
static const char *model_file(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "model/%s", name);
    return facetest_package_file(rel);
}

#define TINY "tiny_face_detector_model"

static bool have_package(void)
{
    return facetest_have_package("model/" TINY "-weights_manifest.json", NULL);
}

/* A scratch folder under /tmp, removed with its files by rm_scratch. */
static char scratch[64];

static void make_scratch(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/parn-tfjs-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(scratch));
}

static void rm_scratch(void)
{
    DIR *d = opendir(scratch);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", scratch, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(scratch);
}

static const char *in_scratch(const char *name)
{
    static char path[4][512];
    static int turn;
    char *p = path[turn++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", scratch, name);
    return p;
}

static void write_bytes(const char *name, const void *data, size_t n)
{
    FILE *f = fopen(in_scratch(name), "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void write_text(const char *name, const char *text)
{
    write_bytes(name, text, strlen(text));
}

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(*n + 1);
    ck_assert_uint_eq(fread(p, 1, *n, f), *n);
    p[*n] = 0;
    fclose(f);
    return p;
}

/* ---- checks ---------------------------------------------------------------------------------- */

static void expect_failure(const char *manifest, parn_status want, const char *word)
{
    parn_tfjs *w = (parn_tfjs *)0x1;
    parn_status st = parn_tfjs_load(manifest, &w);
    const char *msg = parn_last_error(NULL);
    ck_assert_msg(st == want, "%s: status %d (want %d): %s", manifest, st, want, msg);
    ck_assert_ptr_null(w);
    ck_assert_msg(strstr(msg, word), "message '%s' does not mention '%s'", msg, word);
}

/* Writes the manifest text to m.json and expects it to fail so. */
static void expect_manifest_failure(const char *text, parn_status want, const char *word)
{
    write_text("m.json", text);
    expect_failure(in_scratch("m.json"), want, word);
}

static void stats(const parn_tensor *t, double *min, double *max, double *mean)
{
    int64_t n = parn_tensor_numel(t);
    double s = 0;
    *min = INFINITY, *max = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        s += t->data[i];
        *min = fmin(*min, t->data[i]);
        *max = fmax(*max, t->data[i]);
    }
    *mean = s / (double)n;
}

static parn_tensor get(const parn_tfjs *w, const char *name)
{
    parn_tensor t;
    ck_assert_msg(parn_tfjs_get(w, name, &t) == PARN_OK, "no '%s': %s", name, parn_last_error(NULL));
    return t;
}

/* Agrees with the report's 5 significant digits. */
static void near(double got, double want, const char *what)
{
    ck_assert_msg(fabs(got - want) <= 1e-4 * fmax(fabs(want), 1e-3) + 1e-7, "%s: %.7g, report %.7g",
                  what, got, want);
}

static void expect_stats(const parn_tfjs *w, const char *name, int ndim, const int64_t *dims,
                         double min, double max, double mean)
{
    parn_tensor t = get(w, name);
    ck_assert_int_eq(t.ndim, ndim);
    for (int i = 0; i < ndim; i++) ck_assert_int_eq(t.dims[i], dims[i]);
    ck_assert(parn_tensor_is_plain(&t));
    double lo, hi, avg;
    stats(&t, &lo, &hi, &avg);
    near(lo, min, name);
    near(hi, max, name);
    near(avg, mean, name);
}

/* ---- the package's manifests ----------------------------------------------------------------- */

START_TEST(package_manifests)
{
    if (!have_package()) return;
    static const struct {
        const char *name;
        int count;
    } all[] = {{"age_gender_model", 51},      {"face_expression_model", 49},
               {"face_landmark_68_model", 49}, {"face_landmark_68_tiny_model", 28},
               {"face_recognition_model", 117}, {"ssd_mobilenetv1_model", 151},
               {TINY, 19}};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        char file[128];
        snprintf(file, sizeof file, "%s-weights_manifest.json", all[i].name);
        parn_tfjs *w = NULL;
        ck_assert_msg(parn_tfjs_load(model_file(file), &w) == PARN_OK, "%s: %s", file,
                      parn_last_error(NULL));
        ck_assert_int_eq(parn_tfjs_count(w), all[i].count);
        for (int k = 0; k < all[i].count; k++) ck_assert_ptr_nonnull(parn_tfjs_name(w, k));
        ck_assert_ptr_null(parn_tfjs_name(w, all[i].count));
        ck_assert_ptr_null(parn_tfjs_name(w, -1));

        if (strcmp(all[i].name, TINY) == 0) { /* all uint8 */
            ck_assert_str_eq(parn_tfjs_name(w, 0), "conv0/filters");
            expect_stats(w, "conv0/filters", 4, (int64_t[]){3, 3, 3, 16}, -1.2069, 1.0899, -0.011926);
            expect_stats(w, "conv5/pointwise_filter", 4, (int64_t[]){1, 1, 256, 512}, -3.8709,
                         3.7809, 0.0014299);
            expect_stats(w, "conv8/bias", 1, (int64_t[]){25}, -0.41053, 0.16784, -0.06505);
        } else if (strcmp(all[i].name, "face_recognition_model") == 0) { /* raw float32 + uint8 */
            expect_stats(w, "conv64_down/conv1/conv/filters", 4, (int64_t[]){3, 3, 32, 64},
                         -0.033134, 0.036993, -0.0003108);
            expect_stats(w, "fc", 2, (int64_t[]){256, 128}, -0.045784, 0.045426, -2.8053e-06);
        } else if (strcmp(all[i].name, "ssd_mobilenetv1_model") == 0) { /* + int32 constants */
            expect_stats(w, "Output/extra_dim", 3, (int64_t[]){1, 5118, 4}, -0.44285, 1.4429, 0.5);
            parn_tensor t = get(w, "Postprocessor/stack/1");
            ck_assert(t.ndim == 0 && t.data[0] == 5118.0f);
            t = get(w, "Preprocessor/ResizeImage/size");
            ck_assert(t.ndim == 1 && t.dims[0] == 2 && t.data[0] == 512.0f && t.data[1] == 512.0f);
            t = get(w, "Postprocessor/Slice/begin"); /* q * (1/255) rounds to exact integers */
            ck_assert(t.data[0] == 0.0f && t.data[1] == 0.0f && t.data[2] == 1.0f);
            t = get(w, "Postprocessor/Slice/size");
            ck_assert(t.data[0] == -1.0f && t.data[1] == -1.0f && t.data[2] == -1.0f);
        }
        parn_tensor t;
        ck_assert_int_eq(parn_tfjs_get(w, "no/such/tensor", &t), PARN_E_NOT_FOUND);
        ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "no/such/tensor"));
        parn_tfjs_free(w);
    }
}
END_TEST

/* The tiny manifest's text with its file name replaced by `paths` (the manifest is edited as
 * text, since printing it again could round its quantisation numbers). If split is set, the
 * weights list is also cut before conv1 into two groups whose files are "g1" and `paths`. */
static char *edited_manifest(const char *paths, bool split)
{
    size_t n;
    char *text = (char *)read_all(model_file(TINY "-weights_manifest.json"), &n);
    const char *file = "\"" TINY ".bin\"";
    char *at = strstr(text, file), *cut = strstr(text, "{\"name\":\"conv1/depthwise_filter\"");
    ck_assert(at && cut && cut < at);
    while (*cut != ',') cut--;
    size_t size = n + strlen(paths) + 128;
    char *out = malloc(size);
    if (split)
        snprintf(out, size, "%.*s], \"paths\": [\"g1\"]}, {\"weights\": [%.*s%s%s", (int)(cut - text),
                 text, (int)(at - cut - 1), cut + 1, paths, at + strlen(file));
    else
        snprintf(out, size, "%.*s%s%s", (int)(at - text), text, paths, at + strlen(file));
    free(text);
    return out;
}

static void expect_same_tensors(const parn_tfjs *a, const parn_tfjs *b)
{
    ck_assert_int_eq(parn_tfjs_count(a), parn_tfjs_count(b));
    for (int i = 0; i < parn_tfjs_count(a); i++) {
        ck_assert_str_eq(parn_tfjs_name(a, i), parn_tfjs_name(b, i));
        parn_tensor x = get(a, parn_tfjs_name(a, i)), y = get(b, parn_tfjs_name(b, i));
        ck_assert(parn_tensor_same_dims(&x, &y));
        for (int64_t k = 0; k < parn_tensor_numel(&x); k++)
            ck_assert_msg(memcmp(&x.data[k], &y.data[k], sizeof(float)) == 0, "%s[%lld]: %.9g vs %.9g",
                          parn_tfjs_name(a, i), (long long)k, (double)x.data[k], (double)y.data[k]);
    }
}

START_TEST(shards_and_groups_concatenate)
{
    if (!have_package()) return;
    parn_tfjs *ref = NULL;
    ck_assert_int_eq(parn_tfjs_load(model_file(TINY "-weights_manifest.json"), &ref), PARN_OK);
    size_t n;
    uint8_t *bin = read_all(model_file(TINY ".bin"), &n);
    make_scratch();

    /* Three shards cut in the middle of entries, as upstream face-api.js ships its weights. */
    write_bytes("s1", bin, 1000);
    write_bytes("s2", bin + 1000, 100001);
    write_bytes("s3", bin + 101001, n - 101001);
    char *text = edited_manifest("\"s1\", \"s2\", \"s3\"", false);
    write_text("shards.json", text);
    free(text);
    parn_tfjs *w = NULL;
    ck_assert_msg(parn_tfjs_load(in_scratch("shards.json"), &w) == PARN_OK, "%s", parn_last_error(NULL));
    expect_same_tensors(ref, w);
    parn_tfjs_free(w);

    /* Two groups: conv0's two tensors (432 + 16 bytes) in one, the rest in the other. */
    write_bytes("g1", bin, 448);
    write_bytes("g2", bin + 448, n - 448);
    text = edited_manifest("\"g2\"", true);
    write_text("groups.json", text);
    free(text);
    ck_assert_msg(parn_tfjs_load(in_scratch("groups.json"), &w) == PARN_OK, "%s", parn_last_error(NULL));
    expect_same_tensors(ref, w);
    parn_tfjs_free(w);

    /* Cut one byte short, or one byte long: the accounting must be exact. */
    write_bytes("s3", bin + 101001, n - 101001 - 1);
    expect_failure(in_scratch("shards.json"), PARN_E_FORMAT, "truncated");
    write_bytes("s3", bin + 101000, n - 101000);
    expect_failure(in_scratch("shards.json"), PARN_E_FORMAT, "account for only");
    unlink(in_scratch("s2"));
    expect_failure(in_scratch("shards.json"), PARN_E_IO, "s2");

    rm_scratch();
    free(bin);
    parn_tfjs_free(ref);
}
END_TEST

/* ---- every stored type, by hand ---------------------------------------------------------------- */

START_TEST(stored_types_decode_exactly)
{
    make_scratch();
    uint8_t bin[64];
    size_t at = 0;
    const uint8_t u8[4] = {0, 1, 2, 255};
    memcpy(bin + at, u8, 4), at += 4;
    const uint8_t u16[6] = {0, 0, 1, 0, 0xff, 0xff}; /* 0, 1, 65535 */
    memcpy(bin + at, u16, 6), at += 6;
    /* float16: 1, -2, 65504 (largest), 2^-24 (smallest subnormal), +inf, -0 */
    const uint16_t h[6] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000};
    for (int i = 0; i < 6; i++) bin[at++] = (uint8_t)(h[i] & 0xff), bin[at++] = (uint8_t)(h[i] >> 8);
    const uint8_t f32[8] = {0, 0, 0xc0, 0x3f, 0, 0, 0x50, 0xc0}; /* 1.5, -3.25 */
    memcpy(bin + at, f32, 8), at += 8;
    const uint8_t i32[8] = {0xf9, 0xff, 0xff, 0xff, 0x40, 0xe2, 0x01, 0}; /* -7, 123456 */
    memcpy(bin + at, i32, 8), at += 8;
    const uint8_t iq[3] = {3, 1, 0}; /* int32 via uint8: rounded as JS Math.round */
    memcpy(bin + at, iq, 3), at += 3;
    bin[at++] = 7; /* a scalar */
    write_bytes("w.bin", bin, at);
    write_text("m.json",
               "[{\"paths\": [\"w.bin\"], \"weights\": ["
               "{\"name\": \"u8\", \"shape\": [2, 2], \"dtype\": \"float32\","
               " \"quantization\": {\"dtype\": \"uint8\", \"min\": -1, \"scale\": 0.5}},"
               "{\"name\": \"u16\", \"shape\": [3], \"dtype\": \"float32\","
               " \"quantization\": {\"dtype\": \"uint16\", \"min\": 10, \"scale\": 0.25}},"
               "{\"name\": \"f16\", \"shape\": [6], \"dtype\": \"float32\","
               " \"quantization\": {\"dtype\": \"float16\"}},"
               "{\"name\": \"f32\", \"shape\": [2, 1], \"dtype\": \"float32\"},"
               "{\"name\": \"i32\", \"shape\": [2], \"dtype\": \"int32\"},"
               "{\"name\": \"iq\", \"shape\": [3], \"dtype\": \"int32\","
               " \"quantization\": {\"dtype\": \"uint8\", \"min\": -3, \"scale\": 0.5}},"
               "{\"name\": \"scalar\", \"shape\": [], \"dtype\": \"float32\","
               " \"quantization\": {\"dtype\": \"uint8\", \"min\": 0, \"scale\": 2}}]}]");
    parn_tfjs *w = NULL;
    ck_assert_msg(parn_tfjs_load(in_scratch("m.json"), &w) == PARN_OK, "%s", parn_last_error(NULL));
    ck_assert_int_eq(parn_tfjs_count(w), 7);
    static const struct {
        const char *name;
        int n;
        float v[6];
    } want[] = {
        {"u8", 4, {-1.0f, -0.5f, 0.0f, 126.5f}},
        {"u16", 3, {10.0f, 10.25f, 16393.75f}},
        {"f16", 6, {1.0f, -2.0f, 65504.0f, 5.9604644775390625e-08f, INFINITY, -0.0f}},
        {"f32", 2, {1.5f, -3.25f}},
        {"i32", 2, {-7.0f, 123456.0f}},
        {"iq", 3, {-1.0f /* -1.5 */, -2.0f /* -2.5 */, -3.0f}}, /* halves go up */
        {"scalar", 1, {14.0f}},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        parn_tensor t = get(w, want[i].name);
        ck_assert_int_eq(parn_tensor_numel(&t), want[i].n);
        for (int k = 0; k < want[i].n; k++)
            ck_assert_msg(memcmp(&t.data[k], &want[i].v[k], sizeof(float)) == 0, "%s[%d] = %g, want %g",
                          want[i].name, k, (double)t.data[k], (double)want[i].v[k]);
    }
    ck_assert_int_eq(get(w, "scalar").ndim, 0);
    parn_tfjs_free(w);
    rm_scratch();
}
END_TEST

/* ---- corrupt manifests and files --------------------------------------------------------------- */

#define ENTRY "{\"name\": \"a\", \"shape\": [2], \"dtype\": \"float32\"}"
#define GROUP(weights) "[{\"paths\": [\"w.bin\"], \"weights\": [" weights "]}]"

START_TEST(corrupt_manifests_are_errors)
{
    make_scratch();
    const float two[2] = {1, 2};
    write_bytes("w.bin", two, sizeof two);
    write_text("m.json", GROUP(ENTRY));
    parn_tfjs *w = NULL;
    ck_assert_int_eq(parn_tfjs_load(in_scratch("m.json"), &w), PARN_OK); /* the baseline is fine */
    parn_tfjs_free(w);

    expect_failure(in_scratch("absent.json"), PARN_E_IO, "absent.json");
    expect_failure(scratch, PARN_E_IO, "not a regular file");
    expect_manifest_failure("", PARN_E_FORMAT, "JSON");
    expect_manifest_failure("[{\"paths\": [\"w.bin\"], \"weights\": [" ENTRY, PARN_E_FORMAT, "JSON");
    expect_manifest_failure("{\"paths\": []}", PARN_E_FORMAT, "array of weight groups");
    expect_manifest_failure("[]", PARN_E_FORMAT, "array of weight groups");
    expect_manifest_failure("[42]", PARN_E_FORMAT, "group 0 is not an object");
    expect_manifest_failure("[{\"weights\": [" ENTRY "]}]", PARN_E_FORMAT, "'paths'");
    expect_manifest_failure("[{\"paths\": [], \"weights\": [" ENTRY "]}]", PARN_E_FORMAT, "'paths'");
    expect_manifest_failure("[{\"paths\": [7], \"weights\": [" ENTRY "]}]", PARN_E_FORMAT, "path 0");
    expect_manifest_failure("[{\"paths\": [\"../w.bin\"], \"weights\": [" ENTRY "]}]", PARN_E_FORMAT,
                            "inside the manifest's folder");
    expect_manifest_failure("[{\"paths\": [\"/etc/passwd\"], \"weights\": [" ENTRY "]}]", PARN_E_FORMAT,
                            "inside the manifest's folder");
    expect_manifest_failure("[{\"paths\": [\"missing.bin\"], \"weights\": [" ENTRY "]}]", PARN_E_IO,
                            "missing.bin");
    expect_manifest_failure("[{\"paths\": [\"w.bin\"]}]", PARN_E_FORMAT, "'weights'");
    expect_manifest_failure(GROUP("3"), PARN_E_FORMAT, "weight 0 is not an object");
    expect_manifest_failure(GROUP("{\"shape\": [2], \"dtype\": \"float32\"}"), PARN_E_FORMAT, "no name");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"dtype\": \"float32\"}"), PARN_E_FORMAT, "'shape'");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [-2], \"dtype\": \"float32\"}"),
                            PARN_E_FORMAT, "non-negative integer");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [1.5], \"dtype\": \"float32\"}"),
                            PARN_E_FORMAT, "non-negative integer");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [\"2\"], \"dtype\": \"float32\"}"),
                            PARN_E_FORMAT, "non-negative integer");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [1,1,1,1,1,2], \"dtype\": \"float32\"}"),
                            PARN_E_UNSUPPORTED, "6 dimensions");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [2147483647, 2147483647, 8], "
                                  "\"dtype\": \"float32\"}"), PARN_E_FORMAT, "too large");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [2]}"), PARN_E_FORMAT, "no dtype");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [1], \"dtype\": \"float64\"}"),
                            PARN_E_UNSUPPORTED, "float64");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [8], \"dtype\": \"float32\", "
                                  "\"quantization\": 5}"), PARN_E_FORMAT, "not an object");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [8], \"dtype\": \"float32\", "
                                  "\"quantization\": {\"min\": 0, \"scale\": 1}}"),
                            PARN_E_FORMAT, "quantization has no dtype");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [16], \"dtype\": \"float32\", "
                                  "\"quantization\": {\"dtype\": \"int4\", \"min\": 0, \"scale\": 1}}"),
                            PARN_E_UNSUPPORTED, "int4");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [8], \"dtype\": \"float32\", "
                                  "\"quantization\": {\"dtype\": \"uint8\", \"min\": 0}}"),
                            PARN_E_FORMAT, "'scale'");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [8], \"dtype\": \"float32\", "
                                  "\"quantization\": {\"dtype\": \"uint8\", \"min\": 0, \"scale\": \"1\"}}"),
                            PARN_E_FORMAT, "'scale'");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [4], \"dtype\": \"float32\", "
                                  "\"quantization\": {\"dtype\": \"uint16\", \"min\": 1e999, \"scale\": 1}}"),
                            PARN_E_FORMAT, "finite");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [1], \"dtype\": \"float32\"},"
                                  "{\"name\": \"a\", \"shape\": [1], \"dtype\": \"float32\"}"),
                            PARN_E_FORMAT, "appears twice");
    /* The sizes must add up to the file exactly. */
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [3], \"dtype\": \"float32\"}"),
                            PARN_E_FORMAT, "truncated");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [1], \"dtype\": \"float32\"}"),
                            PARN_E_FORMAT, "account for only");
    expect_manifest_failure(GROUP("{\"name\": \"a\", \"shape\": [2], \"dtype\": \"float32\", "
                                  "\"quantization\": {\"dtype\": \"uint16\", \"min\": 0, \"scale\": 1}}"),
                            PARN_E_FORMAT, "account for only");

    ck_assert_int_eq(parn_tfjs_load(NULL, &w), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_tfjs_load(in_scratch("m.json"), NULL), PARN_E_INVALID_ARG);
    parn_tensor t;
    ck_assert_int_eq(parn_tfjs_get(NULL, "a", &t), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_tfjs_count(NULL), 0);
    ck_assert_ptr_null(parn_tfjs_name(NULL, 0));
    parn_tfjs_free(NULL);
    rm_scratch();
}
END_TEST

/* Every prefix of the real manifest, every truncation of a small file, and byte flips: errors
 * or successes, never crashes (AddressSanitizer watches). */
START_TEST(cut_and_flipped_files_never_crash)
{
    if (!have_package()) return;
    size_t n, nbin;
    uint8_t *text = read_all(model_file(TINY "-weights_manifest.json"), &n);
    uint8_t *bin = read_all(model_file(TINY ".bin"), &nbin);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' ')) n--; /* a shorter prefix is never JSON */
    make_scratch();
    write_bytes(TINY ".bin", bin, nbin);
    for (size_t cut = 0; cut < n; cut += cut < 64 ? 1 : 37) {
        write_bytes("m.json", text, cut);
        parn_tfjs *w = NULL;
        ck_assert_int_ne(parn_tfjs_load(in_scratch("m.json"), &w), PARN_OK);
        ck_assert_ptr_null(w);
        ck_assert_str_ne(parn_last_error(NULL), "");
    }
    write_bytes("m.json", text, n);
    for (size_t cut = 0; cut < nbin; cut += 4099) {
        write_bytes(TINY ".bin", bin, cut);
        expect_failure(in_scratch("m.json"), PARN_E_FORMAT, "truncated");
    }
    write_bytes(TINY ".bin", bin, nbin);
    srand(7);
    for (int k = 0; k < 400; k++) {
        uint8_t *t = malloc(n);
        memcpy(t, text, n);
        for (int f = 0; f < 3; f++) t[(size_t)rand() % n] = (uint8_t)"[]{}\",:-0123456789e.x\\"[rand() % 23];
        write_bytes("m.json", t, n);
        parn_tfjs *w = NULL;
        parn_status st = parn_tfjs_load(in_scratch("m.json"), &w);
        ck_assert(st == PARN_OK ? w != NULL : (w == NULL && *parn_last_error(NULL)));
        parn_tfjs_free(w);
        free(t);
    }
    rm_scratch();
    free(bin);
    free(text);
}
END_TEST

/* Each allocation failing in turn: PARN_E_NOMEM, nothing leaked. */
START_TEST(allocation_failures_are_clean)
{
    if (!have_package()) return;
    parn_status st = PARN_E_NOMEM;
    for (long k = 0; st == PARN_E_NOMEM; k++) {
        parn_tfjs *w = NULL;
        parn__test_fail_alloc_after(k);
        st = parn_tfjs_load(model_file(TINY "-weights_manifest.json"), &w);
        parn__test_fail_alloc_after(-1);
        ck_assert_msg(st == PARN_OK || st == PARN_E_NOMEM, "after %ld: %s", k, parn_last_error(NULL));
        ck_assert(st == PARN_OK ? w != NULL : w == NULL);
        parn_tfjs_free(w);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tfjs");
    TCase *tc = tcase_create("tfjs");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, package_manifests);
    tcase_add_test(tc, shards_and_groups_concatenate);
    tcase_add_test(tc, stored_types_decode_exactly);
    tcase_add_test(tc, corrupt_manifests_are_errors);
    tcase_add_test(tc, cut_and_flipped_files_never_crash);
    tcase_add_test(tc, allocation_failures_are_clean);
    suite_add_tcase(s, tc);
    return optest_main(s);
}
