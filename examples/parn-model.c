/* SPDX-License-Identifier: MIT */
/* parn-model: inspects and creates libparn model files.
 *   parn-model info FILE
 *   parn-model create [--networks LIST] [--classes N] [--class-names A,B,...] [--seed S]
 *                     [--config JSON] -o FILE */
#include "parn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: parn-model info FILE\n"
    "       parn-model create [--networks generator,discriminator,fem,c3d] [--classes N]\n"
    "                         [--class-names A,B,...] [--seed S] [--config JSON] -o FILE\n"
    "\n"
    "info    prints what a model file holds as JSON (networks and their configurations,\n"
    "        tensor and parameter counts, class names)\n"
    "create  writes a model with fresh (randomly initialised) weights\n";

static int fail(const char *what)
{
    fprintf(stderr, "parn-model: %s: %s\n", what, parn_last_error(NULL));
    return 1;
}

static int info(const char *path)
{
    parn_model_t *m = NULL;
    if (parn_model_load(path, &m) != PARN_OK) return fail("info");
    printf("%s\n", parn_model_describe(m));
    parn_model_destroy(m);
    return 0;
}

/* Parses a decimal option value, rejecting trailing garbage. */
static int parse_int(const char *s, int64_t *v)
{
    char *end;
    long long x = strtoll(s, &end, 10);
    if (!*s || *end) return 0;
    *v = x;
    return 1;
}

static int set_option(parn_options_t *o, const char *flag, const char *value)
{
    int64_t v;
    if (!strcmp(flag, "--networks")) return parn_options_set_string(o, PARN_OPT_NETWORKS, value) == PARN_OK;
    if (!strcmp(flag, "--class-names")) return parn_options_set_string(o, PARN_OPT_CLASS_NAMES, value) == PARN_OK;
    if (!strcmp(flag, "--config")) return parn_options_set_string(o, PARN_OPT_MODEL_CONFIG, value) == PARN_OK;
    if (!strcmp(flag, "--classes")) return parse_int(value, &v) && parn_options_set_int(o, PARN_OPT_CLASSES, v) == PARN_OK;
    if (!strcmp(flag, "--seed")) return parse_int(value, &v) && parn_options_set_int(o, PARN_OPT_SEED, v) == PARN_OK;
    fprintf(stderr, "parn-model: unknown option '%s'\n%s", flag, usage);
    return 0;
}

static int create(int argc, char **argv)
{
    parn_options_t *o = NULL;
    const char *out = NULL;
    if (parn_options_create(&o) != PARN_OK) return fail("create");
    for (int i = 0; i < argc; i += 2) {
        if (i + 1 >= argc) {
            fprintf(stderr, "parn-model: option '%s' needs a value\n", argv[i]);
            parn_options_destroy(o);
            return 2;
        }
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
            out = argv[i + 1];
        } else if (!set_option(o, argv[i], argv[i + 1])) {
            parn_options_destroy(o);
            return parn_last_error(NULL)[0] ? fail(argv[i]) : 2;
        }
    }
    if (!out) {
        fprintf(stderr, "parn-model: create needs -o FILE\n");
        parn_options_destroy(o);
        return 2;
    }
    parn_model_t *m = NULL;
    parn_status st = parn_model_create(o, &m);
    parn_options_destroy(o);
    if (st != PARN_OK) return fail("create");
    st = parn_model_save(m, out);
    parn_model_destroy(m);
    return st == PARN_OK ? 0 : fail("save");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "info")) return info(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "create")) return create(argc - 2, argv + 2);
    fputs(usage, stderr);
    return 2;
}
