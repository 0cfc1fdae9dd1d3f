/* SPDX-License-Identifier: MIT */
/* parn-convert: imports pretrained weights into a libparn model file.
 *   parn-convert face-api MODEL_DIR -o FILE */
#include "parn.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 5 || strcmp(argv[3], "-o") != 0) {
        fprintf(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
                "usage: parn-convert face-api MODEL_DIR -o FILE\n"
                "  face-api  the model/ folder of the npm package @vladmandic/face-api\n");
        return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    parn_model_t *m = NULL;
    if (parn_model_import(argv[1], argv[2], &m) != PARN_OK || parn_model_save(m, argv[4]) != PARN_OK) {
        fprintf(stderr, "parn-convert: %s\n", parn_last_error(NULL));
        parn_model_destroy(m);
        return 1;
    }
    parn_model_destroy(m);
    return 0;
}
