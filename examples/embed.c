/* SPDX-License-Identifier: MIT */
/* The smallest useful embedding of libparn: anonymize every frame of a video.
 * Build: cc embed.c $(pkg-config --cflags --libs parn) -o embed; run: ./embed in.mp4 out.mp4 */
#include <parn.h>
#include <stdio.h>

static int fail(const char *what, const char *msg)
{
    fprintf(stderr, "%s: %s\n", what, msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) return fprintf(stderr, "usage: %s IN OUT\n", argv[0]), 2;
    if (parn_init_check(PARN_ABI_VERSION) != PARN_OK) return fail("libparn", parn_last_error(NULL));

    /* No model: the face detector from the setup step, faces blurred (a model with a
     * generator would regenerate them instead). One session per stream. */
    parn_session_t *session = NULL;
    if (parn_session_create(NULL, NULL, &session) != PARN_OK) return fail("session", parn_last_error(NULL));

    parn_video_reader_t *in = NULL;
    parn_video_writer_t *out = NULL;
    if (parn_video_open(argv[1], &in) != PARN_OK || parn_video_writer_open(argv[2], in, &out) != PARN_OK) {
        parn_session_destroy(session);
        parn_video_close(in);
        return fail(argv[1], parn_last_error(NULL));
    }

    /* The frame loop: a camera or VMS would pass its decoded frames here instead. */
    parn_frame_t *frame;
    parn_status st;
    while ((st = parn_video_read(in, &frame)) == PARN_OK) {
        if (parn_anonymize_frame(session, frame, frame, NULL, 0, NULL) != PARN_OK) {
            st = PARN_E_INTERNAL; /* the frame is blacked out: never show it unprotected */
            fprintf(stderr, "anonymize: %s\n", parn_last_error(session));
            break;
        }
        if (parn_video_write(out, frame) != PARN_OK) break;
    }

    int ok = st == PARN_EOF && parn_video_writer_close(out) == PARN_OK;
    if (!ok) {
        fprintf(stderr, "%s: %s\n", argv[2], parn_last_error(NULL));
        parn_video_writer_destroy(out);
    }
    parn_video_close(in);
    parn_session_destroy(session);
    return ok ? 0 : 1;
}
