/* SPDX-License-Identifier: MIT */
/* parn-info: prints the library's version, build and devices, and checks that a session opens;
 * `parn-info video FILE` describes a video file as JSON (its frames counted by decoding). */
#include "parn.h"

#include <stdio.h>
#include <string.h>

static int fail(void)
{
    fprintf(stderr, "parn-info: %s\n", parn_last_error(NULL));
    return 1;
}

static int video(const char *path)
{
    parn_video_reader_t *r = NULL;
    if (parn_video_open(path, &r) != PARN_OK) return fail();
    int width, height, audio;
    double fps, duration;
    parn_video_info(r, &width, &height, &fps, NULL, &duration, &audio);
    long long frames = 0;
    parn_frame_t *f;
    parn_status st;
    while ((st = parn_video_read(r, &f)) == PARN_OK) frames++;
    parn_video_close(r);
    if (st != PARN_EOF) return fail();
    printf("{\"width\": %d, \"height\": %d, \"fps\": %.6f, \"frames\": %lld, \"duration\": %.6f, "
           "\"audio\": %s}\n", width, height, fps, frames, duration, audio ? "true" : "false");
    return 0;
}

int main(int argc, char **argv)
{
    if (parn_init_check(PARN_ABI_VERSION) != PARN_OK) return fail();
    if (argc == 3 && !strcmp(argv[1], "video")) return video(argv[2]);
    if (argc != 1) {
        fputs("usage: parn-info [video FILE]\n", argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
        return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    int cuda = 0;
    parn_device_count("cuda", &cuda);
    printf("%s\nCUDA devices: %d\n", parn_build_info(), cuda);
    parn_session_t *s = NULL;
    if (parn_session_create(NULL, NULL, &s) != PARN_OK) return fail();
    printf("session on %s with %d threads: ok\n", parn_session_device(s), parn_session_threads(s));
    parn_session_destroy(s);
    return 0;
}
