/* SPDX-License-Identifier: MIT */
/* STUB: pool ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_pool = {"pool", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_pool_bwd = {"pool_bwd", 0, PARN_MAX_SRC, false, NULL, NULL};

parn_pool_attrs parn_pool_attrs_default(int rank, bool max, int kernel)
{
    (void)rank; (void)max; (void)kernel;
    return (parn_pool_attrs){0};
}

int parn_pool(parn_graph *g, int x, const parn_pool_attrs *a)
{
    (void)x;
    (void)a;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_pool: not implemented");
}

int parn_global_pool(parn_graph *g, int x, bool max)
{
    (void)x;
    (void)max;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_global_pool: not implemented");
}
