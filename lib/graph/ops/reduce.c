/* SPDX-License-Identifier: MIT */
/* STUB: reduce ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_reduce = {"reduce", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_expand = {"expand", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_reduce(parn_graph *g, int x, unsigned axes, bool mean, bool keepdim)
{
    (void)x;
    (void)axes;
    (void)mean;
    (void)keepdim;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_reduce: not implemented");
}

int parn_expand(parn_graph *g, int x, int ndim, const int64_t *dims)
{
    (void)x;
    (void)ndim;
    (void)dims;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_expand: not implemented");
}

int parn_sum_to(parn_graph *g, int x, int ndim, const int64_t *dims)
{
    const parn_tensor *t = parn_graph_tensor(g, x);
    if (t && t->ndim == ndim) {
        bool same = true;
        for (int i = 0; i < ndim; i++) same = same && t->dims[i] == dims[i];
        if (same) return x;
    }
    (void)x;
    (void)ndim;
    (void)dims;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_sum_to: not implemented");
}
