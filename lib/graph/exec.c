/* SPDX-License-Identifier: MIT */
/* Memory planning and execution. The plan keeps only the nodes that kept outputs need, gives
 * each activation a buffer that is handed to a later node once its last reader has run, and
 * lets the backend choose the storage order of 4-D/5-D activations. */
#include "graph_impl.h"

#include "backend/backend.h"

#include <limits.h>
#include <string.h>

void parn_graph_unplan(parn_graph *g)
{
    if (!g->planned) return;
    const parn_backend *be = g->backend;
    for (int i = 0; i < g->n_nodes; i++) {
        parn_node *n = &g->nodes[i];
        if (n->backend_state) be->node_state_free(n->backend_state);
        n->backend_state = NULL;
        if (n->op != PARN_OP_INPUT && n->op != PARN_OP_PARAM) n->out.data = NULL;
        for (int k = 0; k < n->n_side; k++) n->side[k].data = NULL;
    }
    for (int i = 0; i < g->n_buffers; i++) be->free(g->ctx, g->buffers[i].data);
    if (g->side_data)
        for (int i = 0; i < g->n_nodes; i++) be->free(g->ctx, g->side_data[i]);
    if (g->mirrors)
        for (int i = 0; i < g->n_nodes; i++)
            if (g->mirrors[i].dev) be->free(g->ctx, g->mirrors[i].dev);
    parn__free(g->buffers);
    parn__free(g->side_data);
    parn__free(g->needed);
    parn__free(g->mirrors);
    g->buffers = NULL;
    g->side_data = NULL;
    g->needed = NULL;
    g->mirrors = NULL;
    g->n_buffers = 0;
    g->planned = g->ran = false;
}

static bool is_leaf(const parn_node *n)
{
    return n->op == PARN_OP_INPUT || n->op == PARN_OP_PARAM;
}

static parn_status mark_needed(parn_graph *g)
{
    bool any = false;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        if (g->nodes[i].keep) g->needed[i] = any = true;
        if (!g->needed[i]) continue;
        for (int k = 0; k < g->nodes[i].n_src; k++) g->needed[g->nodes[i].src[k]] = true;
    }
    PARN_RETURN_IF(!any, PARN_E_STATE, "graph: no output is kept, so there is nothing to run");
    return PARN_OK;
}

static void choose_layouts(parn_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        parn_node *n = &g->nodes[i];
        if (is_leaf(n)) continue;
        if (!n->plain_out && g->backend->channels_last)
            parn_tensor_set_channels_last(&n->out);
        else
            parn_tensor_set_plain(&n->out);
    }
}

/* Best fit among free buffers, else a new one. */
static parn_status take_buffer(parn_graph *g, bool *busy, size_t bytes, int *out)
{
    int best = -1;
    for (int b = 0; b < g->n_buffers; b++)
        if (!busy[b] && g->buffers[b].bytes >= bytes &&
            (best < 0 || g->buffers[b].bytes < g->buffers[best].bytes))
            best = b;
    if (best < 0) {
        float *data = g->backend->alloc(g->ctx, bytes);
        PARN_RETURN_IF(!data, PARN_E_NOMEM, "graph: out of memory for a %zu-byte buffer", bytes);
        g->buffers[g->n_buffers] = (parn_buffer){data, bytes};
        best = g->n_buffers++;
    }
    busy[best] = true;
    *out = best;
    return PARN_OK;
}

static parn_status assign_buffers(parn_graph *g, int *last_use, int *buffer_of, bool *busy)
{
    for (int i = 0; i < g->n_nodes; i++) {
        last_use[i] = g->nodes[i].keep ? INT_MAX : -1;
        buffer_of[i] = -1;
    }
    for (int i = 0; i < g->n_nodes; i++)
        if (g->needed[i])
            for (int k = 0; k < g->nodes[i].n_src; k++) {
                int s = g->nodes[i].src[k];
                if (last_use[s] != INT_MAX && last_use[s] < i) last_use[s] = i;
            }
    for (int i = 0; i < g->n_nodes; i++) {
        parn_node *n = &g->nodes[i];
        if (!g->needed[i] || is_leaf(n)) continue;
        size_t bytes = (size_t)parn_tensor_numel(&n->out) * sizeof(float);
        PARN_TRY(take_buffer(g, busy, bytes, &buffer_of[i]));
        n->out.data = g->buffers[buffer_of[i]].data;
        for (int k = 0; k < n->n_src; k++) {
            int s = n->src[k];
            if (last_use[s] == i && buffer_of[s] >= 0) {
                busy[buffer_of[s]] = false;
                buffer_of[s] = -1;
            }
        }
    }
    return PARN_OK;
}

static parn_status assign_sides(parn_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        parn_node *n = &g->nodes[i];
        if (!g->needed[i] || n->n_side == 0) continue;
        size_t total = 0;
        for (int k = 0; k < n->n_side; k++) total += (size_t)parn_tensor_numel(&n->side[k]);
        float *data = g->backend->alloc(g->ctx, total * sizeof(float));
        PARN_RETURN_IF(!data, PARN_E_NOMEM, "graph: out of memory for side outputs of %s", n->name);
        g->side_data[i] = data;
        for (int k = 0; k < n->n_side; k++) {
            n->side[k].data = data;
            data += parn_tensor_numel(&n->side[k]);
        }
    }
    return PARN_OK;
}

/* Device backends: a device copy of each needed leaf, filled at the start of each run. */
static parn_status assign_mirrors(parn_graph *g)
{
    g->mirrors = parn__calloc((size_t)g->n_nodes, sizeof *g->mirrors);
    PARN_RETURN_IF(!g->mirrors, PARN_E_NOMEM, "graph: out of memory for device copies of leaves");
    for (int i = 0; i < g->n_nodes; i++) {
        parn_node *n = &g->nodes[i];
        if (!g->needed[i] || !is_leaf(n)) continue;
        size_t bytes = (size_t)parn_tensor_numel(&n->out) * sizeof(float);
        g->mirrors[i].dev = g->backend->alloc(g->ctx, bytes);
        PARN_RETURN_IF(!g->mirrors[i].dev, PARN_E_NOMEM,
                       "graph: out of device memory for leaf '%s' (%zu bytes)", n->name, bytes);
    }
    return PARN_OK;
}

parn_status parn_graph_plan(parn_graph *g, const parn_backend *backend, parn_backend_ctx *ctx)
{
    PARN_RETURN_IF(!g || !backend, PARN_E_INVALID_ARG, "graph: NULL graph or backend");
    if (g->status != PARN_OK) return parn__fail(g->status, "%s", g->error);
    if (g->planned && g->backend == backend && g->ctx == ctx) return PARN_OK;
    parn_graph_unplan(g);
    int n = g->n_nodes;
    g->backend = backend;
    g->ctx = ctx;
    g->needed = parn__calloc((size_t)n, sizeof *g->needed);
    g->buffers = parn__calloc((size_t)n, sizeof *g->buffers);
    g->side_data = parn__calloc((size_t)n, sizeof *g->side_data);
    int *last_use = parn__malloc((size_t)n * sizeof(int));
    int *buffer_of = parn__malloc((size_t)n * sizeof(int));
    bool *busy = parn__calloc((size_t)n, sizeof(bool));
    g->planned = true; /* so that unplan releases whatever was allocated on failure */
    parn_status st = PARN_OK;
    if (!g->needed || !g->buffers || !g->side_data || !last_use || !buffer_of || !busy)
        st = parn__fail(PARN_E_NOMEM, "graph: out of memory while planning %d nodes", n);
    if (st == PARN_OK) st = mark_needed(g);
    if (st == PARN_OK) {
        choose_layouts(g);
        st = assign_buffers(g, last_use, buffer_of, busy);
    }
    if (st == PARN_OK) st = assign_sides(g);
    if (st == PARN_OK && backend->upload) st = assign_mirrors(g);
    parn__free(last_use);
    parn__free(buffer_of);
    parn__free(busy);
    if (st != PARN_OK) parn_graph_unplan(g);
    return st;
}

/* Points each needed leaf at its device copy, uploading inputs on every run and parameters
 * whose host pointer or version changed since the last upload. */
static parn_status enter_device(parn_graph *g)
{
    parn_status st = PARN_OK;
    for (int i = 0; i < g->n_nodes; i++) {
        parn_node *n = &g->nodes[i];
        parn_mirror *m = &g->mirrors[i];
        if (!m->dev) continue;
        bool fresh = n->op == PARN_OP_PARAM && m->valid && m->host == n->out.data &&
                     m->version == n->out.version;
        if (!fresh && st == PARN_OK) {
            m->valid = false;
            st = g->backend->upload(g->ctx, m->dev, n->out.data,
                                    (size_t)parn_tensor_numel(&n->out) * sizeof(float));
            m->valid = st == PARN_OK;
        }
        /* every leaf is switched, even after a failure, so that leave_device restores them all */
        m->host = n->out.data;
        m->version = n->out.version;
        n->out.data = m->dev;
    }
    return st;
}

/* Points the leaves back at host memory; after a successful run, copies back the leaves whose
 * version a kernel bumped (written in place, like batch norm's running statistics). */
static parn_status leave_device(parn_graph *g, bool ran)
{
    parn_status st = PARN_OK;
    for (int i = 0; i < g->n_nodes; i++) {
        parn_node *n = &g->nodes[i];
        parn_mirror *m = &g->mirrors[i];
        if (!m->dev || n->out.data != m->dev) continue;
        bool written = n->out.version != m->version;
        if (written && ran && st == PARN_OK)
            st = g->backend->download(g->ctx, &n->out, (float *)m->host);
        n->out.data = (float *)m->host;
        /* current after a copy back; after a failure the host copy wins: upload it again */
        if (written) m->valid = ran && st == PARN_OK;
        m->version = n->out.version;
    }
    return st;
}

parn_status parn_graph_run(parn_graph *g, const parn_backend *backend, parn_backend_ctx *ctx)
{
    PARN_TRY(parn_graph_plan(g, backend, ctx));
    for (int i = 0; i < g->n_nodes; i++) {
        parn_node *n = &g->nodes[i];
        if (g->needed[i] && is_leaf(n) && !n->out.data)
            return parn__fail(PARN_E_STATE, "graph: %s '%s' (node %d) is not bound to data",
                              n->op == PARN_OP_INPUT ? "input" : "parameter", n->name, i);
    }
    if (backend->ctx_enter) backend->ctx_enter(ctx);
    g->ran = false;
    parn_status st = g->mirrors ? enter_device(g) : PARN_OK;
    for (int i = 0; i < g->n_nodes && st == PARN_OK; i++) {
        parn_node *n = &g->nodes[i];
        if (!g->needed[i] || is_leaf(n)) continue;
        parn_kernel_fn kernel = backend->kernels[n->op];
        if (!kernel)
            st = parn__fail(PARN_E_UNSUPPORTED, "%s: no %s kernel", n->name, backend->name);
        else
            st = kernel(ctx, g, n);
    }
    if (g->mirrors) {
        parn_status back = leave_device(g, st == PARN_OK);
        if (st == PARN_OK) st = back;
    }
    g->ran = st == PARN_OK;
    return st;
}
