/* SPDX-License-Identifier: MIT */
/* Synthetic action clips: a stick figure with a face (skin ellipse, hair, eyes, mouth) doing one
 * action on a textured background, with a distractor figure idling behind it. Everything the
 * eye sees besides the motion (background, colours, size, place, direction, speed, phase, the
 * distractor) is drawn from the seed alone, independently of the action, so only the motion
 * tells the classes apart. Rendered in plain C with antialiased capsules and ellipses. */
#include "data_impl.h"

#include <math.h>
#include <string.h>

#define PI_F 3.14159265f
#define N_ACTIONS 7

static const char *const action_names[N_ACTIONS] = {"walk", "run",   "jump", "fall",
                                                    "wave", "squat", "punch"};

enum { WALK, RUN, JUMP, FALL, WAVE, SQUAT, PUNCH, IDLE };

/* Body proportions, in figure heights (H). */
#define TORSO 0.35f
#define NECK 0.14f
#define UPPER_ARM 0.16f
#define FOREARM 0.15f
#define THIGH 0.23f
#define SHIN 0.23f
#define HEAD_RX 0.085f
#define HEAD_RY 0.105f
#define LIMB_R 0.042f
#define TORSO_R 0.065f
#define JUMP_LIFT 0.4f
#define BODY_TOP 1.1f /* standing head top above the ground */

typedef struct vec2 {
    float x, y;
} vec2;

typedef struct look {
    float skin[3], hair[3], shirt[3], pants[3];
} look;

/* One figure's appearance and the free parameters of its motion. */
typedef struct figure {
    look colours;
    float height;      /* H in pixels */
    float ground;      /* image row of the feet */
    float x0;          /* hip column at frame 0 */
    float dir;         /* +1: facing / moving right */
    float speed;       /* multiplies every rate */
    float phase;       /* radians */
    float fall_start, fall_frames;
    float lo, hi;      /* walking range of the hip */
} figure;

/* Joint angles (radians; 0 points down, positive turns forward), torso lean, lift above the
 * standing height (H) and rotation of the whole body about its feet (fall). */
typedef struct pose {
    float thigh[2], knee[2], shoulder[2], elbow[2];
    float lean, lift, rot;
} pose;

typedef struct canvas {
    float *rgb; /* 3 floats per pixel, 0..255 */
    int w, h;
} canvas;

int parn_synthetic_num_actions(void)
{
    return N_ACTIONS;
}

const char *parn_synthetic_action_name(int action)
{
    return action >= 0 && action < N_ACTIONS ? action_names[action] : NULL;
}

/* ---- motion ------------------------------------------------------------------------------------ */

static float smoothstep(float v)
{
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    return v * v * (3 - 2 * v);
}

static float frac(float v)
{
    return v - floorf(v);
}

static pose pose_at(int action, const figure *f, float t)
{
    pose p = {{0}};
    float k = f->speed, ph = f->phase;
    switch (action) {
    case WALK: {
        float s = sinf(2 * PI_F * k * t / 14 + ph);
        p.thigh[0] = 0.45f * s, p.thigh[1] = -0.45f * s;
        p.knee[0] = 0.1f + 0.4f * fmaxf(0, -s), p.knee[1] = 0.1f + 0.4f * fmaxf(0, s);
        p.shoulder[0] = -0.35f * s, p.shoulder[1] = 0.35f * s;
        p.elbow[0] = p.elbow[1] = 0.25f;
        break;
    }
    case RUN: {
        float a = 2 * PI_F * k * t / 8 + ph, s = sinf(a);
        p.thigh[0] = 0.15f + 0.85f * s, p.thigh[1] = 0.15f - 0.85f * s;
        p.knee[0] = 0.4f + 0.9f * fmaxf(0, -s), p.knee[1] = 0.4f + 0.9f * fmaxf(0, s);
        p.shoulder[0] = 0.2f - 0.9f * s, p.shoulder[1] = 0.2f + 0.9f * s;
        p.elbow[0] = p.elbow[1] = 1.5f;
        p.lean = 0.3f;
        p.lift = 0.05f * fabsf(sinf(2 * a));
        break;
    }
    case JUMP: {
        float u = frac(k * t / 14 + ph / (2 * PI_F));
        if (u < 0.3f) { /* crouch, then push off */
            float c = sinf(PI_F * u / 0.3f);
            p.thigh[0] = p.thigh[1] = 0.9f * c;
            p.knee[0] = p.knee[1] = 1.6f * c;
            p.shoulder[0] = p.shoulder[1] = -0.4f * c;
            p.lean = 0.3f * c;
        } else { /* in the air, arms up */
            float a = sinf(PI_F * (u - 0.3f) / 0.7f);
            p.lift = JUMP_LIFT * a;
            p.thigh[0] = p.thigh[1] = 0.15f;
            p.knee[0] = p.knee[1] = 0.3f;
            p.shoulder[0] = p.shoulder[1] = 2.6f * a;
        }
        p.elbow[0] = p.elbow[1] = 0.2f;
        break;
    }
    case FALL: {
        float v = smoothstep((t - f->fall_start) / f->fall_frames);
        p.rot = (PI_F / 2 - 0.05f) * v;
        p.shoulder[0] = 0.3f + 1.5f * v, p.shoulder[1] = 0.2f + 1.2f * v;
        p.elbow[0] = p.elbow[1] = 0.3f;
        p.thigh[0] = 0.05f, p.thigh[1] = -0.05f;
        p.lean = 0.15f * v;
        break;
    }
    case WAVE: {
        float s = sinf(2 * PI_F * k * t / 7 + ph);
        p.shoulder[0] = 2.5f + 0.15f * s, p.elbow[0] = 0.5f + 0.55f * s;
        p.shoulder[1] = 0.1f, p.elbow[1] = 0.15f;
        p.thigh[0] = 0.08f, p.thigh[1] = -0.08f;
        break;
    }
    case SQUAT: {
        float c = 0.5f * (1 - cosf(2 * PI_F * k * t / 16 + ph));
        p.thigh[0] = p.thigh[1] = 1.25f * c;
        p.knee[0] = p.knee[1] = 2.3f * c;
        p.shoulder[0] = p.shoulder[1] = 1.5f * c;
        p.elbow[0] = p.elbow[1] = 0.1f;
        p.lean = 0.35f * c;
        break;
    }
    case PUNCH:
        for (int i = 0; i < 2; i++) {
            float e = fmaxf(0, sinf(2 * PI_F * k * t / 9 + ph + PI_F * (float)i));
            p.shoulder[i] = 0.7f + 0.85f * e;
            p.elbow[i] = 2.2f * (1 - e);
        }
        p.thigh[0] = 0.3f, p.thigh[1] = -0.25f;
        p.knee[0] = p.knee[1] = 0.2f;
        p.lean = 0.1f;
        break;
    default: { /* IDLE: the distractor shifts its weight */
        float s = sinf(2 * PI_F * t / 30 + ph);
        p.shoulder[0] = 0.1f * s, p.shoulder[1] = -0.1f * s;
        p.elbow[0] = p.elbow[1] = 0.15f;
        p.lean = 0.04f * s;
        break;
    }
    }
    return p;
}

/* Where the hip is at t and which way the figure faces: walkers and runners turn back at the
 * ends of their range (a triangle wave), the others stay. */
static float hip_x(int action, const figure *f, float t, float *facing)
{
    *facing = f->dir;
    if (action != WALK && action != RUN) return f->x0;
    float v = (action == WALK ? 0.022f : 0.075f) * f->speed * f->height, span = f->hi - f->lo;
    float u = fmodf(f->x0 - f->lo + f->dir * v * t, 2 * span);
    if (u < 0) u += 2 * span;
    *facing = u <= span ? f->dir : -f->dir; /* turned back on the way home */
    return u <= span ? f->lo + u : f->lo + 2 * span - u;
}

/* ---- the skeleton in picture pixels ----------------------------------------------------------- */

typedef struct skeleton {
    vec2 hip, neck, head, elbow[2], hand[2], knee[2], foot[2];
    float head_angle; /* the head's rotation */
} skeleton;

static vec2 limb(vec2 from, float angle, float length)
{
    return (vec2){from.x + length * sinf(angle), from.y - length * cosf(angle)};
}

static skeleton skeleton_at(int action, const figure *f, float t)
{
    pose p = pose_at(action, f, t);
    float facing;
    float hx = hip_x(action, f, t, &facing), H = f->height;
    /* the body in local units: hip at the origin, y up, x forward */
    skeleton s = {{0}};
    s.neck = limb((vec2){0, 0}, PI_F - p.lean, TORSO); /* up, tilted forward */
    s.head = limb(s.neck, PI_F - p.lean, NECK);
    float low = 0;
    for (int i = 0; i < 2; i++) {
        s.elbow[i] = limb(s.neck, p.shoulder[i], UPPER_ARM);
        s.hand[i] = limb(s.elbow[i], p.shoulder[i] + p.elbow[i], FOREARM);
        s.knee[i] = limb(s.hip, p.thigh[i], THIGH);
        s.foot[i] = limb(s.knee[i], p.thigh[i] - p.knee[i], SHIN);
        low = fminf(low, s.foot[i].y);
    }
    /* to pixels: the lower foot on the ground, then the fall's rotation about the feet */
    float hip_y = f->ground + (low - p.lift) * H, angle = facing * p.rot;
    float c = cosf(angle), sn = sinf(angle);
    vec2 *pts[] = {&s.hip, &s.neck, &s.head, &s.elbow[0], &s.elbow[1], &s.hand[0], &s.hand[1],
                   &s.knee[0], &s.knee[1], &s.foot[0], &s.foot[1]};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        float x = hx + facing * pts[i]->x * H, y = hip_y - pts[i]->y * H;
        float dx = x - hx, dy = y - f->ground;
        *pts[i] = (vec2){hx + c * dx - sn * dy, f->ground + sn * dx + c * dy};
    }
    s.head_angle = angle + facing * p.lean;
    return s;
}

/* ---- drawing ------------------------------------------------------------------------------------ */

static void blend(canvas *cv, int x, int y, float cover, const float *rgb)
{
    float *px = cv->rgb + 3 * ((size_t)y * (size_t)cv->w + (size_t)x);
    for (int c = 0; c < 3; c++) px[c] += cover * (rgb[c] - px[c]);
}

/* A segment with round ends, radius r, edge antialiased over one pixel. */
static void capsule(canvas *cv, vec2 a, vec2 b, float r, const float *rgb)
{
    int x0 = (int)floorf(fminf(a.x, b.x) - r - 1), x1 = (int)ceilf(fmaxf(a.x, b.x) + r + 1);
    int y0 = (int)floorf(fminf(a.y, b.y) - r - 1), y1 = (int)ceilf(fmaxf(a.y, b.y) + r + 1);
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > cv->w ? cv->w : x1, y1 = y1 > cv->h ? cv->h : y1;
    float dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            float px = (float)x + 0.5f - a.x, py = (float)y + 0.5f - a.y;
            float u = len2 > 0 ? fminf(1, fmaxf(0, (px * dx + py * dy) / len2)) : 0;
            float ex = px - u * dx, ey = py - u * dy;
            float cover = r + 0.5f - sqrtf(ex * ex + ey * ey);
            if (cover > 0) blend(cv, x, y, fminf(1, cover), rgb);
        }
}

/* An ellipse of semi-axes rx, ry turned by angle around c. */
static void ellipse(canvas *cv, vec2 c, float rx, float ry, float angle, const float *rgb)
{
    float reach = fmaxf(rx, ry) + 1, co = cosf(angle), si = sinf(angle), rmin = fminf(rx, ry);
    int x0 = (int)floorf(c.x - reach), x1 = (int)ceilf(c.x + reach);
    int y0 = (int)floorf(c.y - reach), y1 = (int)ceilf(c.y + reach);
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > cv->w ? cv->w : x1, y1 = y1 > cv->h ? cv->h : y1;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            float px = (float)x + 0.5f - c.x, py = (float)y + 0.5f - c.y;
            float u = co * px + si * py, v = -si * px + co * py;
            float q = sqrtf((u / rx) * (u / rx) + (v / ry) * (v / ry));
            float cover = (1 - q) * rmin + 0.5f;
            if (cover > 0) blend(cv, x, y, fminf(1, cover), rgb);
        }
}

/* c + the head-local offset (u, v) (head units, y down) turned by angle. */
static vec2 head_point(vec2 c, float angle, float u, float v)
{
    return (vec2){c.x + cosf(angle) * u - sinf(angle) * v, c.y + sinf(angle) * u + cosf(angle) * v};
}

static void draw_head(canvas *cv, const skeleton *s, const look *lk, float H)
{
    float rx = HEAD_RX * H, ry = HEAD_RY * H, a = s->head_angle;
    static const float dark[3] = {25, 20, 20}, lips[3] = {120, 30, 35};
    ellipse(cv, head_point(s->head, a, 0, -0.2f * ry), 1.1f * rx, 0.95f * ry, a, lk->hair);
    ellipse(cv, s->head, rx, ry, a, lk->skin);
    float eye = fmaxf(0.6f, 0.15f * rx);
    ellipse(cv, head_point(s->head, a, -0.38f * rx, -0.15f * ry), eye, eye, a, dark);
    ellipse(cv, head_point(s->head, a, 0.38f * rx, -0.15f * ry), eye, eye, a, dark);
    capsule(cv, head_point(s->head, a, -0.3f * rx, 0.45f * ry),
            head_point(s->head, a, 0.3f * rx, 0.45f * ry), fmaxf(0.5f, 0.08f * rx), lips);
}

static void draw_figure(canvas *cv, const skeleton *s, const look *lk, float H)
{
    float shade_shirt[3], shade_pants[3];
    for (int c = 0; c < 3; c++) shade_shirt[c] = 0.7f * lk->shirt[c], shade_pants[c] = 0.7f * lk->pants[c];
    float r = LIMB_R * H;
    /* the far limbs first, darker */
    capsule(cv, s->hip, s->knee[1], r, shade_pants), capsule(cv, s->knee[1], s->foot[1], r, shade_pants);
    capsule(cv, s->neck, s->elbow[1], r, shade_shirt), capsule(cv, s->elbow[1], s->hand[1], r * 0.9f, lk->skin);
    capsule(cv, s->hip, s->neck, TORSO_R * H, lk->shirt);
    capsule(cv, s->hip, s->knee[0], r, lk->pants), capsule(cv, s->knee[0], s->foot[0], r, lk->pants);
    capsule(cv, s->neck, s->elbow[0], r, lk->shirt), capsule(cv, s->elbow[0], s->hand[0], r * 0.9f, lk->skin);
    draw_head(cv, s, lk, H);
}

/* The face's box (the skin ellipse's bounds) clipped to the picture: x, y, w, h. */
static void face_box(const skeleton *s, float H, int w, int h, float *box)
{
    float rx = HEAD_RX * H, ry = HEAD_RY * H, a = s->head_angle;
    float ex = sqrtf(powf(rx * cosf(a), 2) + powf(ry * sinf(a), 2));
    float ey = sqrtf(powf(rx * sinf(a), 2) + powf(ry * cosf(a), 2));
    float x0 = fmaxf(0, s->head.x - ex), x1 = fminf((float)w, s->head.x + ex);
    float y0 = fmaxf(0, s->head.y - ey), y1 = fminf((float)h, s->head.y + ey);
    box[0] = fminf(x0, (float)w), box[1] = fminf(y0, (float)h);
    box[2] = fmaxf(0, x1 - x0), box[3] = fmaxf(0, y1 - y0);
}

/* ---- the scene ---------------------------------------------------------------------------------- */

static float uniform(parn_rng *rng, float lo, float hi)
{
    return lo + (hi - lo) * parn__rng_uniform(rng);
}

static void random_colour(parn_rng *rng, float *rgb, float lo, float hi)
{
    for (int c = 0; c < 3; c++) rgb[c] = uniform(rng, lo, hi);
}

static look random_look(parn_rng *rng)
{
    look l;
    /* skin tones from light to dark, always red > green > blue */
    float tone = parn__rng_uniform(rng);
    const float light[3] = {236, 196, 166}, dark[3] = {112, 72, 50};
    for (int c = 0; c < 3; c++) l.skin[c] = light[c] + tone * (dark[c] - light[c]);
    float hair = uniform(rng, 15, 120);
    l.hair[0] = hair, l.hair[1] = hair * 0.8f, l.hair[2] = hair * 0.6f;
    random_colour(rng, l.shirt, 20, 235);
    random_colour(rng, l.pants, 20, 200);
    return l;
}

/* Deterministic per-pixel noise in [-1, 1). */
static float hash_noise(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t z = parn__data_mix(parn__data_mix(seed, a), b);
    return (float)(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

/* A wall with stripes, blocks and grain, and a floor below ground. */
static void draw_background(canvas *cv, parn_rng *rng, float ground)
{
    float wall[3], wall2[3], floor_rgb[3];
    random_colour(rng, wall, 40, 220);
    random_colour(rng, wall2, 40, 220);
    random_colour(rng, floor_rgb, 30, 180);
    float angle = uniform(rng, 0, PI_F), freq = uniform(rng, 0.03f, 0.2f), off = uniform(rng, 0, 6.3f);
    float grain = uniform(rng, 4, 18);
    uint64_t noise_seed = parn__rng_next(rng);
    float ca = cosf(angle), sa = sinf(angle);
    for (int y = 0; y < cv->h; y++)
        for (int x = 0; x < cv->w; x++) {
            float *px = cv->rgb + 3 * ((size_t)y * (size_t)cv->w + (size_t)x);
            float n = grain * hash_noise(noise_seed, (uint64_t)x, (uint64_t)y);
            if ((float)y >= ground - 0.02f * (float)cv->h) {
                float stripe = 0.85f + 0.15f * sinf((float)y * 0.9f);
                for (int c = 0; c < 3; c++) px[c] = floor_rgb[c] * stripe + n;
            } else {
                float m = 0.5f + 0.5f * sinf(freq * ((float)x * ca + (float)y * sa) + off);
                for (int c = 0; c < 3; c++) px[c] = wall[c] + m * (wall2[c] - wall[c]) + n;
            }
        }
    int blocks = 2 + (int)(parn__rng_next(rng) % 4);
    for (int i = 0; i < blocks; i++) {
        float rgb[3];
        random_colour(rng, rgb, 20, 235);
        int bw = (int)(uniform(rng, 0.05f, 0.3f) * (float)cv->w);
        int bh = (int)(uniform(rng, 0.05f, 0.35f) * (float)cv->h);
        int bx = (int)(uniform(rng, 0, 1) * (float)(cv->w - bw)), by = (int)(uniform(rng, 0, 0.6f) * (float)cv->h);
        for (int y = by; y < by + bh && y < cv->h; y++)
            for (int x = bx; x < bx + bw && x < cv->w; x++) blend(cv, x, y, 0.85f, rgb);
    }
}

typedef struct scene {
    figure main, other;
    bool has_other;
    float brightness;
    uint64_t noise_seed;
} scene;

/* The main figure's free parameters (independent of the action). */
static figure random_figure(parn_rng *rng, int w, int h)
{
    figure f;
    f.colours = random_look(rng);
    f.ground = uniform(rng, 0.86f, 0.96f) * (float)h;
    float top = fminf(0.6f * (float)h, (f.ground - 0.04f * (float)h) / (BODY_TOP + JUMP_LIFT));
    f.height = uniform(rng, 0.7f, 1.0f) * top;
    f.x0 = uniform(rng, 0.3f, 0.7f) * (float)w;
    f.dir = parn__rng_next(rng) >> 63 ? 1.0f : -1.0f;
    f.speed = uniform(rng, 0.8f, 1.25f);
    f.phase = uniform(rng, 0, 2 * PI_F);
    f.fall_start = uniform(rng, 0, 3);
    f.fall_frames = uniform(rng, 8, 11) / f.speed;
    f.lo = 0.25f * f.height + 2, f.hi = (float)w - 0.25f * f.height - 2;
    if (f.hi <= f.lo) f.lo = f.hi = 0.5f * (float)w;
    return f;
}

static scene random_scene(parn_rng *rng, int w, int h, canvas *bg)
{
    scene sc;
    sc.main = random_figure(rng, w, h);
    draw_background(bg, rng, sc.main.ground);
    sc.has_other = parn__rng_uniform(rng) < 0.7f;
    sc.other = random_figure(rng, w, h);
    sc.other.height = sc.main.height * uniform(rng, 0.55f, 0.8f);
    sc.other.ground = sc.main.ground - 0.03f * (float)h;
    sc.other.x0 = uniform(rng, 0.1f, 0.9f) * (float)w;
    for (int c = 0; c < 3; c++) sc.other.colours.shirt[c] *= 0.8f; /* dimmer: it stands back */
    sc.brightness = uniform(rng, 0.8f, 1.15f);
    sc.noise_seed = parn__rng_next(rng);
    return sc;
}

static void to_frame(const canvas *cv, const scene *sc, int t, parn_frame_t *f)
{
    uint8_t *data = parn_frame_plane(f, 0);
    int stride = parn_frame_stride(f, 0);
    for (int y = 0; y < cv->h; y++)
        for (int x = 0; x < cv->w; x++) {
            const float *px = cv->rgb + 3 * ((size_t)y * (size_t)cv->w + (size_t)x);
            float n = 2.0f * hash_noise(sc->noise_seed, (uint64_t)t, (uint64_t)y * 65536u + (uint64_t)x);
            for (int c = 0; c < 3; c++) {
                float v = px[c] * sc->brightness + n;
                data[(size_t)y * (size_t)stride + 3 * (size_t)x + (size_t)c] =
                    (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
            }
        }
}

/* Renders into frames[0 .. n) (allocated RGB24 frames given by the caller). */
static parn_status render(int action, uint64_t seed, int w, int h, int n, parn_frame_t **frames,
                          float *boxes)
{
    size_t floats = 3 * (size_t)w * (size_t)h;
    canvas bg = {parn__malloc(floats * sizeof(float)), w, h};
    canvas cv = {parn__malloc(floats * sizeof(float)), w, h};
    if (!bg.rgb || !cv.rgb) {
        parn__free(bg.rgb), parn__free(cv.rgb);
        return parn__fail(PARN_E_NOMEM, "synthetic clip: out of memory for %dx%d", w, h);
    }
    parn_rng rng;
    parn__rng_seed(&rng, seed);
    scene sc = random_scene(&rng, w, h, &bg);
    if (action == FALL) /* fall towards the middle, so that the body lands in the picture */
        sc.main.dir = sc.main.x0 < 0.5f * (float)w ? 1.0f : -1.0f;
    for (int t = 0; t < n; t++) {
        memcpy(cv.rgb, bg.rgb, floats * sizeof(float));
        if (sc.has_other) {
            skeleton o = skeleton_at(IDLE, &sc.other, (float)t);
            draw_figure(&cv, &o, &sc.other.colours, sc.other.height);
        }
        skeleton s = skeleton_at(action, &sc.main, (float)t);
        draw_figure(&cv, &s, &sc.main.colours, sc.main.height);
        to_frame(&cv, &sc, t, frames[t]);
        if (boxes) face_box(&s, sc.main.height, w, h, boxes + 4 * t);
    }
    parn__free(bg.rgb);
    parn__free(cv.rgb);
    return PARN_OK;
}

parn_status parn_synthetic_clip(int action, uint64_t seed, int width, int height, int n_frames,
                                parn_frame_t **frames, float *face_boxes)
{
    PARN_RETURN_IF(action < 0 || action >= N_ACTIONS, PARN_E_INVALID_ARG,
                   "parn_synthetic_clip: action %d is not in 0..%d", action, N_ACTIONS - 1);
    PARN_RETURN_IF(width < 32 || width > 4096 || height < 32 || height > 4096, PARN_E_INVALID_ARG,
                   "parn_synthetic_clip: size %dx%d outside 32..4096", width, height);
    PARN_RETURN_IF(n_frames < 1 || n_frames > 1024, PARN_E_INVALID_ARG,
                   "parn_synthetic_clip: %d frames outside 1..1024", n_frames);
    PARN_RETURN_IF(!frames, PARN_E_INVALID_ARG, "parn_synthetic_clip: frames is NULL");
    parn_status st = PARN_OK;
    int made = 0;
    for (; made < n_frames && st == PARN_OK; made++) {
        frames[made] = NULL;
        st = parn_frame_alloc(PARN_PIX_RGB24, width, height, &frames[made]);
    }
    if (st == PARN_OK) st = render(action, seed, width, height, n_frames, frames, face_boxes);
    if (st != PARN_OK)
        for (int i = 0; i < made; i++) parn_frame_free(&frames[i]);
    return st;
}

/* ---- the synthetic dataset ------------------------------------------------------------------------ */

#define SALT_TRAIN 0x747261696eull /* "train" */
#define SALT_TEST 0x74657374ull    /* "test" */

parn_status parn__index_synthetic(parn_dataset_t *d, const cJSON *cfg)
{
    static const char *const subsets[] = {"train", "test", NULL};
    int64_t classes = 5, clips = 256, width = 171, height = 128;
    const char *subset = "train";
    PARN_TRY(parn__cfg_int(cfg, "classes", 1, N_ACTIONS, &classes));
    PARN_TRY(parn__cfg_int(cfg, "clips", 1, 10000000, &clips));
    PARN_TRY(parn__cfg_int(cfg, "width", 32, 4096, &width));
    PARN_TRY(parn__cfg_int(cfg, "height", 32, 4096, &height));
    PARN_TRY(parn__cfg_string(cfg, "subset", subsets, &subset));
    d->synth_width = (int)width;
    d->synth_height = (int)height;
    d->synth_stream = strcmp(subset, "test") == 0 ? SALT_TEST : SALT_TRAIN;
    for (int i = 0; i < classes; i++)
        PARN_RETURN_IF(parn__data_add_class(d, action_names[i]) < 0, PARN_E_NOMEM,
                       "dataset: out of memory");
    for (int64_t k = 0; k < clips; k++) /* balanced: clip k does action k mod classes */
        PARN_RETURN_IF(parn__data_add_item(d, NULL, (int)(k % classes)) < 0, PARN_E_NOMEM,
                       "dataset: out of memory");
    return PARN_OK;
}

/* The face box (x, y, w, h in rendered pixels) in crop pixels: scaled to the resize, shifted by
 * the crop, clipped to it, mirrored with the flip; -1s when nothing of it is in the crop. */
static void box_to_crop(const float *in, const parn_clip_geometry *g, int w, int h, bool flip,
                        float *out)
{
    float sx = (float)g->width / (float)w, sy = (float)g->height / (float)h, side = (float)g->crop;
    float x0 = fmaxf(0, in[0] * sx - (float)g->left), y0 = fmaxf(0, in[1] * sy - (float)g->top);
    float x1 = fminf(side, (in[0] + in[2]) * sx - (float)g->left);
    float y1 = fminf(side, (in[1] + in[3]) * sy - (float)g->top);
    if (in[2] <= 0 || in[3] <= 0 || x1 <= x0 || y1 <= y0) {
        out[0] = out[1] = out[2] = out[3] = -1.0f;
        return;
    }
    out[0] = flip ? side - x1 : x0, out[1] = y0, out[2] = x1 - x0, out[3] = y1 - y0;
}

parn_status parn__item_synthetic(parn_dataset_t *d, data_ctx *c, const parn_batch_spec *s,
                                 int64_t item, parn_rng *rng, float *x, float *box)
{
    int n = s->frames, w = d->synth_width, h = d->synth_height;
    parn_frame_t **frames = parn__calloc((size_t)n, sizeof *frames);
    float *boxes = parn__malloc(4 * (size_t)n * sizeof *boxes);
    parn_status st = frames && boxes ? PARN_OK : parn__fail(PARN_E_NOMEM, "dataset: out of memory");
    uint64_t seed = parn__data_mix(parn__data_mix(d->seed, d->synth_stream), (uint64_t)item);
    if (st == PARN_OK)
        st = parn_synthetic_clip(d->items[item].label, seed, w, h, n, frames, boxes);
    bool flip = false;
    parn_clip_geometry g = parn__clip_crop(s, rng, &flip);
    size_t plane = (size_t)s->size * (size_t)s->size, stride = (size_t)n * plane;
    for (int t = 0; t < n && st == PARN_OK; t++)
        st = parn_clip_prep_frame_at(c->prep, frames[t], &g, x + t * plane, stride);
    if (st == PARN_OK && flip) parn__flip_planes(x, 3 * n, s->size);
    for (int t = 0; st == PARN_OK && box && t < n; t++)
        box_to_crop(boxes + 4 * t, &g, w, h, flip, box + 4 * t);
    for (int t = 0; frames && t < n; t++) parn_frame_free(&frames[t]);
    parn__free(frames);
    parn__free(boxes);
    return st;
}
