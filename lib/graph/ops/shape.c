/* SPDX-License-Identifier: MIT */
/* STUB: shape ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_concat = {"concat", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_slice = {"slice", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_pad = {"pad", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_reshape = {"reshape", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_concat(parn_graph *g, int n, const int *xs, int axis)
{
    (void)n;
    (void)xs;
    (void)axis;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_concat: not implemented");
}

int parn_slice(parn_graph *g, int x, const int64_t *start, const int64_t *sizes)
{
    (void)x;
    (void)start;
    (void)sizes;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_slice: not implemented");
}

parn_status parn_split(parn_graph *g, int x, int axis, int n, const int64_t *sizes, int *out)
{
    (void)x; (void)axis; (void)n; (void)sizes; (void)out;
    parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_split: not implemented");
    return PARN_E_UNSUPPORTED;
}

int parn_pad(parn_graph *g, int x, const int64_t *lo, const int64_t *hi, float value)
{
    (void)x;
    (void)lo;
    (void)hi;
    (void)value;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_pad: not implemented");
}

int parn_reshape(parn_graph *g, int x, int ndim, const int64_t *dims)
{
    (void)x;
    (void)ndim;
    (void)dims;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_reshape: not implemented");
}
