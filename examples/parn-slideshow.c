/* SPDX-License-Identifier: MIT */
/* parn-slideshow: makes a video from photos, the camera panning across each one, so that the
 * faces in them move as they would in footage (the setup step's sample clip). */
#include "parn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: parn-slideshow PHOTO... -o OUT [--size WxH] [--fps N] [--seconds S]\n"
    "Writes OUT (H.264) showing each photo for S seconds (default 1) through a WxH window\n"
    "(default 1280x720) that pans from one corner of the photo to the other at N frames per\n"
    "second (default 25); a photo smaller than the window is centred on black.\n";

typedef struct args {
    const char **photos;
    int n_photos, width, height;
    double fps, seconds;
    const char *out;
} args;

static int parse(int argc, char **argv, args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(k, "--help") || !strcmp(k, "-h")) return fputs(usage, stdout), -1;
        if (k[0] != '-') {
            a->photos[a->n_photos++] = k;
            continue;
        }
        if (!v) return fprintf(stderr, "parn-slideshow: %s needs a value\n", k), 2;
        i++;
        char *end = NULL;
        static char bad[] = "x";
        if (!strcmp(k, "-o")) a->out = v;
        else if (!strcmp(k, "--fps")) a->fps = strtod(v, &end);
        else if (!strcmp(k, "--seconds")) a->seconds = strtod(v, &end);
        else if (!strcmp(k, "--size")) {
            if (sscanf(v, "%dx%d", &a->width, &a->height) != 2) end = bad;
        } else return fprintf(stderr, "parn-slideshow: unknown option %s\n%s", k, usage), 2;
        if (end && *end) return fprintf(stderr, "parn-slideshow: bad value '%s' for %s\n", v, k), 2;
    }
    if (!a->n_photos || !a->out)
        return fprintf(stderr, "parn-slideshow: needs photos and -o OUT\n%s", usage), 2;
    if (a->seconds <= 0 || a->seconds > 3600)
        return fprintf(stderr, "parn-slideshow: --seconds must be in (0, 3600]\n"), 2;
    return 0;
}

/* Frame i of n of a photo: the window at a point on the diagonal from the photo's top-left
 * corner to its bottom-right one (centred on black along a side the photo is too short for). */
static void render(const parn_frame_t *photo, parn_frame_t *frame, int i, int n)
{
    int pw = parn_frame_width(photo), ph = parn_frame_height(photo);
    int fw = parn_frame_width(frame), fh = parn_frame_height(frame);
    double t = n > 1 ? (double)i / (n - 1) : 0.5;
    int ox = pw > fw ? (int)(t * (pw - fw)) : -(fw - pw) / 2; /* photo pixel at frame x = 0 */
    int oy = ph > fh ? (int)(t * (ph - fh)) : -(fh - ph) / 2;
    for (int y = 0; y < fh; y++) {
        uint8_t *dst = parn_frame_plane(frame, 0) + (size_t)y * parn_frame_stride(frame, 0);
        memset(dst, 0, (size_t)fw * 3);
        int sy = y + oy;
        if (sy < 0 || sy >= ph) continue;
        int x0 = ox < 0 ? -ox : 0, x1 = pw - ox < fw ? pw - ox : fw;
        const uint8_t *src = parn_frame_plane(photo, 0) + (size_t)sy * parn_frame_stride(photo, 0);
        memcpy(dst + (size_t)x0 * 3, src + (size_t)(x0 + ox) * 3, (size_t)(x1 - x0) * 3);
    }
}

static parn_status show(parn_video_writer_t *w, parn_frame_t *frame, const char *path, int n)
{
    parn_frame_t *photo = NULL;
    parn_status st = parn_image_load(path, &photo);
    for (int i = 0; st == PARN_OK && i < n; i++) {
        render(photo, frame, i, n);
        st = parn_video_write(w, frame);
    }
    parn_frame_free(&photo);
    return st;
}

int main(int argc, char **argv)
{
    const char *photos[argc > 1 ? argc : 1];
    args a = {photos, 0, 1280, 720, 25, 1, NULL};
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    parn_video_writer_t *w = NULL;
    parn_frame_t *frame = NULL;
    parn_status st = parn_video_writer_create(a.out, a.width, a.height, a.fps, &w);
    if (st == PARN_OK) st = parn_frame_alloc(PARN_PIX_RGB24, a.width, a.height, &frame);
    int per_photo = (int)(a.seconds * a.fps + 0.5) > 0 ? (int)(a.seconds * a.fps + 0.5) : 1;
    for (int i = 0; st == PARN_OK && i < a.n_photos; i++) st = show(w, frame, a.photos[i], per_photo);
    if (st == PARN_OK) {
        st = parn_video_writer_close(w);
        w = NULL;
    }
    if (st != PARN_OK) fprintf(stderr, "parn-slideshow: %s\n", parn_last_error(NULL));
    parn_video_writer_destroy(w);
    parn_frame_free(&frame);
    return st == PARN_OK ? 0 : 1;
}
