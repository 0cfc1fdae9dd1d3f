/* SPDX-License-Identifier: MIT */
/* make_clip OUT WIDTH HEIGHT FPS FRAMES [aac|pcm|none]: a test clip for the program tests
 * (made inside a one-test Check suite, as the clip maker asserts with Check). */
#include "common/cliptest.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *path;
static clip_spec spec;

START_TEST(make)
{
    cliptest_make(path, &spec);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc < 6) {
        fputs("usage: make_clip OUT WIDTH HEIGHT FPS FRAMES [aac|pcm|none]\n", stderr);
        return 2;
    }
    const char *audio = argc > 6 ? argv[6] : "aac";
    path = argv[1];
    spec = (clip_spec){atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), true,
                       !strcmp(audio, "aac")   ? AV_CODEC_ID_AAC
                       : !strcmp(audio, "pcm") ? AV_CODEC_ID_PCM_S16LE
                                               : AV_CODEC_ID_NONE};
    Suite *s = suite_create("make_clip");
    TCase *tc = tcase_create("make");
    tcase_add_test(tc, make);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_SILENT);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
