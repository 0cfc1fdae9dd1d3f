/* SPDX-License-Identifier: MIT */
/* The background loader: worker threads make batches b + 1 .. b + depth of the spec last asked
 * for while the caller works on b. Every batch is a pure function of (seed, spec, index), so a
 * batch made ahead equals the one made on demand, bit for bit. Asking for a batch that is not
 * ahead (another index or spec) makes it in the caller's thread and restarts the window. */
#include "data_impl.h"

#include <stdio.h>
#include <string.h>

typedef enum slot_state { SLOT_EMPTY, SLOT_WORKING, SLOT_READY } slot_state;

typedef struct slot {
    slot_state state;
    int64_t b;
    uint64_t generation;    /* the window it was taken for */
    parn_status status;
    char message[512];
    float *x, *labels, *boxes;
    size_t x_cap, n_cap;    /* floats of x; items of labels (boxes: 4 * frames per item) */
    int frames_cap;
} slot;

typedef struct worker {
    data_loader *loader;
    pthread_t thread;
    data_ctx ctx;
    bool started;
} worker;

struct data_loader {
    parn_dataset_t *d;
    pthread_mutex_t lock;
    pthread_cond_t wake;    /* workers: an empty slot or stop */
    pthread_cond_t done;    /* the caller: a slot became ready or free */
    bool stop, active;
    parn_batch_spec spec;
    int64_t next_b, limit;  /* next index to hand out; hand out below limit only */
    uint64_t generation;
    int depth;
    slot *slots;
    int n_workers;
    worker *workers;
};

/* Makes room in sl for a batch of spec s (sl is owned by the calling thread). */
static parn_status slot_reserve(slot *sl, const parn_batch_spec *s)
{
    size_t x = (size_t)s->n * parn__data_item_floats(s);
    if (sl->x_cap < x) {
        parn__free(sl->x);
        sl->x_cap = 0;
        PARN_RETURN_IF(!(sl->x = parn__malloc(x * sizeof(float))), PARN_E_NOMEM,
                       "dataset loader: out of memory for a batch of %zu floats", x);
        sl->x_cap = x;
    }
    if (sl->n_cap < (size_t)s->n || sl->frames_cap < s->frames) {
        parn__free(sl->labels);
        parn__free(sl->boxes);
        sl->n_cap = 0;
        sl->labels = parn__malloc((size_t)s->n * sizeof(float));
        sl->boxes = parn__malloc((size_t)s->n * 4 * (size_t)s->frames * sizeof(float));
        PARN_RETURN_IF(!sl->labels || !sl->boxes, PARN_E_NOMEM, "dataset loader: out of memory");
        sl->n_cap = (size_t)s->n;
        sl->frames_cap = s->frames;
    }
    return PARN_OK;
}

/* Makes batch b into sl (without the lock). */
static void fill_slot(worker *w, slot *sl, const parn_batch_spec *s, int64_t b)
{
    parn_dataset_t *d = w->loader->d;
    sl->status = slot_reserve(sl, s);
    if (sl->status == PARN_OK)
        sl->status = parn__data_compute(d, &w->ctx, s, b, sl->x, sl->labels, sl->boxes);
    if (sl->status != PARN_OK) snprintf(sl->message, sizeof sl->message, "%s", parn__thread_error());
}

static slot *empty_slot(data_loader *l)
{
    for (int i = 0; i < l->depth; i++)
        if (l->slots[i].state == SLOT_EMPTY) return &l->slots[i];
    return NULL;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    data_loader *l = w->loader;
    pthread_mutex_lock(&l->lock);
    for (;;) {
        slot *sl = NULL;
        while (!l->stop && !(l->active && l->next_b < l->limit && (sl = empty_slot(l))))
            pthread_cond_wait(&l->wake, &l->lock);
        if (l->stop) break;
        parn_batch_spec s = l->spec;
        uint64_t generation = l->generation;
        sl->state = SLOT_WORKING;
        sl->b = l->next_b++;
        sl->generation = generation;
        pthread_mutex_unlock(&l->lock);
        fill_slot(w, sl, &s, sl->b);
        pthread_mutex_lock(&l->lock);
        /* a batch of an abandoned window is dropped */
        sl->state = sl->generation == l->generation ? SLOT_READY : SLOT_EMPTY;
        pthread_cond_broadcast(&l->done);
        if (sl->state == SLOT_EMPTY) pthread_cond_broadcast(&l->wake);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

void parn__loader_destroy(data_loader *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->lock);
    l->stop = true;
    pthread_cond_broadcast(&l->wake);
    pthread_mutex_unlock(&l->lock);
    for (int i = 0; i < l->n_workers; i++) {
        if (l->workers[i].started) pthread_join(l->workers[i].thread, NULL);
        parn__data_ctx_free(&l->workers[i].ctx);
    }
    for (int i = 0; i < l->depth; i++) {
        parn__free(l->slots[i].x);
        parn__free(l->slots[i].labels);
        parn__free(l->slots[i].boxes);
    }
    parn__free(l->slots);
    parn__free(l->workers);
    pthread_cond_destroy(&l->wake);
    pthread_cond_destroy(&l->done);
    pthread_mutex_destroy(&l->lock);
    parn__free(l);
}

parn_status parn__loader_create(parn_dataset_t *d, int workers, int depth, data_loader **out)
{
    data_loader *l = parn__calloc(1, sizeof *l);
    PARN_RETURN_IF(!l, PARN_E_NOMEM, "dataset loader: out of memory");
    l->d = d;
    l->depth = depth;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->wake, NULL);
    pthread_cond_init(&l->done, NULL);
    l->slots = parn__calloc((size_t)depth, sizeof *l->slots);
    l->workers = parn__calloc((size_t)workers, sizeof *l->workers);
    parn_status st = l->slots && l->workers ? PARN_OK
                                            : parn__fail(PARN_E_NOMEM, "dataset loader: out of memory");
    if (st == PARN_OK) l->n_workers = workers;
    for (int i = 0; i < l->n_workers && st == PARN_OK; i++) {
        worker *w = &l->workers[i];
        w->loader = l;
        st = parn__data_ctx_init(&w->ctx);
        if (st == PARN_OK && pthread_create(&w->thread, NULL, worker_main, w) != 0)
            st = parn__fail(PARN_E_NOMEM, "dataset loader: cannot start a thread");
        w->started = st == PARN_OK;
    }
    if (st != PARN_OK) {
        parn__loader_destroy(l);
        return st;
    }
    *out = l;
    return PARN_OK;
}

static bool same_spec(const parn_batch_spec *a, const parn_batch_spec *b)
{
    return a->n == b->n && a->size == b->size && a->frames == b->frames && a->augment == b->augment;
}

/* The slot holding or making b for the current window, or NULL. */
static slot *slot_of(data_loader *l, int64_t b)
{
    for (int i = 0; i < l->depth; i++) {
        slot *sl = &l->slots[i];
        if (sl->state != SLOT_EMPTY && sl->generation == l->generation && sl->b == b) return sl;
    }
    return NULL;
}

/* Starts a new window after b (the lock is held): stale slots are dropped. */
static void restart(data_loader *l, const parn_batch_spec *s, int64_t b)
{
    l->generation++;
    l->spec = *s;
    l->active = true;
    for (int i = 0; i < l->depth; i++)
        if (l->slots[i].state == SLOT_READY) l->slots[i].state = SLOT_EMPTY;
    l->next_b = b + 1;
    l->limit = b + 1 + l->depth;
    pthread_cond_broadcast(&l->wake);
}

static parn_status take(data_loader *l, slot *sl, const parn_batch_spec *s, float *x, float *labels,
                        float *boxes)
{
    while (sl->state == SLOT_WORKING) pthread_cond_wait(&l->done, &l->lock);
    parn_status st = sl->status;
    if (st == PARN_OK) {
        memcpy(x, sl->x, (size_t)s->n * parn__data_item_floats(s) * sizeof *x);
        memcpy(labels, sl->labels, (size_t)s->n * sizeof *labels);
        if (boxes) memcpy(boxes, sl->boxes, (size_t)s->n * 4 * (size_t)s->frames * sizeof *boxes);
    } else {
        parn__fail(st, "%s", sl->message);
    }
    sl->state = SLOT_EMPTY;
    l->limit = sl->b + 1 + l->depth; /* the window slides: one more batch may be made */
    pthread_cond_broadcast(&l->wake);
    return st;
}

parn_status parn__loader_batch(data_loader *l, const parn_batch_spec *s, int64_t b, float *x,
                               float *labels, float *boxes)
{
    pthread_mutex_lock(&l->lock);
    slot *sl = l->active && same_spec(&l->spec, s) ? slot_of(l, b) : NULL;
    if (sl) {
        parn_status st = take(l, sl, s, x, labels, boxes);
        pthread_mutex_unlock(&l->lock);
        return st;
    }
    if (l->active && same_spec(&l->spec, s) && b == l->next_b) {
        /* the caller overtook the workers: it makes b itself and the window slides on */
        l->next_b = b + 1;
        l->limit = b + 1 + l->depth;
        pthread_cond_broadcast(&l->wake);
    } else {
        restart(l, s, b);
    }
    pthread_mutex_unlock(&l->lock);
    return parn__data_compute(l->d, &l->d->sync, s, b, x, labels, boxes);
}
