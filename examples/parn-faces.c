/* SPDX-License-Identifier: MIT */
/* parn-faces: finds faces and computes face descriptors in an image.
 *   parn-faces detect IMAGE [--detector tiny|ssd] [--input-size N] [--threshold T] [--model FILE]
 *   parn-faces describe IMAGE [--box x,y,w,h] [--model FILE] */
#include "parn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: parn-faces detect IMAGE [--detector tiny|ssd] [--input-size N] [--threshold T] [--model FILE]\n"
    "       parn-faces describe IMAGE [--box x,y,w,h] [--model FILE]\n"
    "detect   prints one JSON object per face: {\"x\",\"y\",\"w\",\"h\",\"score\"} in image pixels\n"
    "describe prints the 128-d descriptor of the face in --box (default: the whole image)\n"
    "The face model defaults to the one the setup step converted (PARN_FACE_MODEL overrides).\n";

typedef struct args {
    const char *command, *image, *model, *box;
    parn_options_t *opts;
} args;

static int bad(const char *what)
{
    fprintf(stderr, "parn-faces: %s\n%s", what, usage);
    return 2;
}

static int parse(int argc, char **argv, args *a)
{
    if (argc < 3) return bad("missing command or image");
    a->command = argv[1];
    a->image = argv[2];
    for (int i = 3; i < argc; i += 2) {
        if (i + 1 >= argc) return bad("an option needs a value");
        const char *k = argv[i], *v = argv[i + 1];
        char *end;
        parn_status st = PARN_OK;
        if (!strcmp(k, "--model")) a->model = v;
        else if (!strcmp(k, "--box")) a->box = v;
        else if (!strcmp(k, "--detector")) st = parn_options_set_string(a->opts, PARN_OPT_DETECTOR, v);
        else if (!strcmp(k, "--input-size")) {
            long n = strtol(v, &end, 10);
            st = *end ? PARN_E_INVALID_ARG : parn_options_set_int(a->opts, PARN_OPT_DETECTOR_INPUT_SIZE, n);
        } else if (!strcmp(k, "--threshold")) {
            double t = strtod(v, &end);
            st = *end ? PARN_E_INVALID_ARG : parn_options_set_float(a->opts, PARN_OPT_DETECTOR_THRESHOLD, t);
        } else return bad("unknown option");
        if (st != PARN_OK) {
            fprintf(stderr, "parn-faces: %s %s: %s\n", k, v, *end ? "not a number" : parn_last_error(NULL));
            return 2;
        }
    }
    return 0;
}

static int detect(parn_session_t *s, const parn_frame_t *img)
{
    float boxes[5 * 1000];
    int n = 0;
    if (parn_faces_detect(s, img, boxes, 1000, &n) != PARN_OK) return -1;
    for (int i = 0; i < n; i++) {
        const float *b = boxes + 5 * i;
        printf("{\"x\": %.2f, \"y\": %.2f, \"w\": %.2f, \"h\": %.2f, \"score\": %.4f}\n", b[0], b[1], b[2], b[3], b[4]);
    }
    return 0;
}

static int describe(parn_session_t *s, const parn_frame_t *img, const char *box_arg)
{
    float box[4], d[PARN_DESCRIPTOR_SIZE];
    if (box_arg && sscanf(box_arg, "%f,%f,%f,%f", &box[0], &box[1], &box[2], &box[3]) != 4) {
        fprintf(stderr, "parn-faces: --box wants x,y,w,h\n");
        return 2;
    }
    if (parn_face_descriptor(s, img, box_arg ? box : NULL, d) != PARN_OK) return -1;
    printf("[");
    for (int i = 0; i < PARN_DESCRIPTOR_SIZE; i++) printf(i ? ", %.6f" : "%.6f", d[i]);
    printf("]\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage, stdout);
        return 0;
    }
    args a = {0};
    if (parn_options_create(&a.opts) != PARN_OK) return 1;
    int rc = parse(argc, argv, &a);
    if (!rc && strcmp(a.command, "detect") && strcmp(a.command, "describe")) rc = bad("unknown command");
    const char *model_path = a.model ? a.model : parn_default_face_model();
    if (!rc && !model_path) {
        fprintf(stderr, "parn-faces: no face model: run the setup step (README) or pass --model FILE\n");
        rc = 1;
    }
    parn_model_t *m = NULL;
    parn_session_t *s = NULL;
    parn_frame_t *img = NULL;
    if (!rc && (parn_image_load(a.image, &img) != PARN_OK || parn_model_load(model_path, &m) != PARN_OK ||
                parn_session_create(m, a.opts, &s) != PARN_OK)) {
        fprintf(stderr, "parn-faces: %s\n", parn_last_error(NULL));
        rc = 1;
    }
    if (!rc) {
        rc = !strcmp(a.command, "detect") ? detect(s, img) : describe(s, img, a.box);
        if (rc < 0) {
            fprintf(stderr, "parn-faces: %s\n", parn_last_error(s));
            rc = 1;
        }
    }
    parn_frame_free(&img);
    parn_session_destroy(s);
    parn_model_destroy(m);
    parn_options_destroy(a.opts);
    return rc;
}
