/* SPDX-License-Identifier: MIT */
/* Private helpers shared by the CPU kernels (one op family per file in this folder). */
#ifndef PARN_CPU_H
#define PARN_CPU_H

#include "backend/backend.h"

#include <oneapi/dnnl/dnnl.h>

struct parn_backend_ctx {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    int threads;
};

/* Every kernel's per-node cache starts with this header so that one function frees them all. */
typedef struct parn_cpu_state {
    void (*destroy)(struct parn_cpu_state *state);
} parn_cpu_state;

/* Maps a oneDNN status to a parn status with a message naming what failed. */
parn_status parn_cpu_check(dnnl_status_t s, const char *what);
#define PARN_DNNL(call, what) PARN_TRY(parn_cpu_check((call), (what)))

/* A oneDNN memory descriptor with the tensor's dims and strides (f32). */
dnnl_memory_desc_t parn_cpu_md(const parn_tensor *t);

/* Creates a primitive descriptor and its primitive from an op descriptor. */
parn_status parn_cpu_primitive(parn_backend_ctx *ctx, const_dnnl_op_desc_t desc,
                               const_dnnl_primitive_attr_t attr,
                               const_dnnl_primitive_desc_t hint, dnnl_primitive_desc_t *pd,
                               dnnl_primitive_t *prim);

typedef struct parn_cpu_arg {
    int arg;                          /* DNNL_ARG_* */
    const dnnl_memory_desc_t *md;
    void *data;
} parn_cpu_arg;

/* Executes a primitive on the given buffers and waits for it. */
parn_status parn_cpu_execute(parn_backend_ctx *ctx, dnnl_primitive_t prim, int nargs,
                             const parn_cpu_arg *args);

/* A growable scratch buffer owned by a node's state. */
typedef struct parn_cpu_scratch {
    float *data;
    size_t bytes;
} parn_cpu_scratch;
parn_status parn_cpu_scratch_reserve(parn_cpu_scratch *s, size_t bytes);
void parn_cpu_scratch_free(parn_cpu_scratch *s);

/* Returns src itself when it already has layout's strides, else a copy of src laid out like
 * layout (dims must match) in scratch; *out receives the tensor to use. */
parn_status parn_cpu_conform(const parn_tensor *src, const parn_tensor *layout,
                             parn_cpu_scratch *scratch, parn_tensor *out);

/* Allocates a zeroed state of `size` bytes whose header frees it with destroy (which must
 * release the op's own members and then call parn__free on the state). */
void *parn_cpu_state_new(size_t size, void (*destroy)(parn_cpu_state *));

/* n's state, made with parn_cpu_state_new on first use; NULL when out of memory. */
void *parn_cpu_state_of(parn_node *n, size_t size, void (*destroy)(parn_cpu_state *));

/* Scratch buffers of a node: the whole state of kernels that cache nothing else, and the first
 * member of the state of kernels that cache more (whose destroy releases their own members,
 * then calls parn_cpu_scratch_state_destroy). */
#define PARN_CPU_SCRATCH_MAX 4
typedef struct parn_cpu_scratch_state {
    parn_cpu_state base;
    parn_cpu_scratch scratch[PARN_CPU_SCRATCH_MAX];
} parn_cpu_scratch_state;

/* Frees the scratch buffers, then the state. */
void parn_cpu_scratch_state_destroy(parn_cpu_state *s);

/* n's state as scratch buffers alone, made on first use; NULL when out of memory. */
parn_cpu_scratch_state *parn_cpu_scratch_state_of(parn_node *n);

/* Src i of n laid out like `layout` (see parn_cpu_conform), copied when needed into scratch k
 * of n's state, which must already exist and start with a parn_cpu_scratch_state. */
parn_status parn_cpu_conform_src(parn_graph *g, parn_node *n, int i, const parn_tensor *layout,
                                 int k, parn_tensor *out);

/* Srcs first .. first + count - 1 of n in scratch 0 .. count - 1 (parn_cpu_conform_src) with
 * one dense layout, so that one flat index walks them all: layout's, or when layout is NULL,
 * src first's own layout if it is dense, else plain row-major. */
parn_status parn_cpu_conform_srcs(parn_graph *g, parn_node *n, int first, int count,
                                  const parn_tensor *layout, parn_tensor *out);

/* The state of a kernel on one oneDNN primitive, with its srcs re-laid in scratch: the forward
 * primitive descriptor (also the hint of a backward one), the backward one, the primitive. */
typedef struct parn_cpu_prim_state {
    parn_cpu_scratch_state base;
    dnnl_primitive_desc_t fwd_pd, bwd_pd;
    dnnl_primitive_t prim;
} parn_cpu_prim_state;

/* n's primitive state, made on first use; NULL when out of memory. */
parn_cpu_prim_state *parn_cpu_prim_state_of(parn_node *n);

#endif
