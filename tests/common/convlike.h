/* SPDX-License-Identifier: MIT */
/* Helpers shared by the conv and deconv suites: attributes of a fixture case, and a check
 * that a misuse fails with the expected status and a message naming the op. */
#ifndef PARN_TEST_CONVLIKE_H
#define PARN_TEST_CONVLIKE_H

#include "common/optest.h"

#include <string.h>

typedef int (*convlike_build_fn)(parn_graph *g, int x, int w, int b, const parn_conv_attrs *a);

/* The parn_conv_attrs of a fixture case (missing keys keep the defaults). */
static inline parn_conv_attrs convlike_attrs(const cJSON *attrs)
{
    parn_conv_attrs a = parn_conv_attrs_default((int)optest_num(attrs, "rank", 2));
    optest_ints(attrs, "stride", a.stride, 3);
    optest_ints(attrs, "pad_lo", a.pad_lo, 3);
    optest_ints(attrs, "pad_hi", a.pad_hi, 3);
    optest_ints(attrs, "dilation", a.dilation, 3);
    optest_ints(attrs, "out_pad", a.out_pad, 3);
    a.groups = (int)optest_num(attrs, "groups", 1);
    return a;
}

/* Leaf shapes of a misuse case; bias = 0: no bias. */
typedef struct convlike_shapes {
    int x_nd;
    int64_t x[5];
    int w_nd;
    int64_t w[5];
    int64_t bias;
} convlike_shapes;

/* Builds the op on leaves of the given shapes and checks that it fails with `want`, a message
 * naming `op`, and a sticky graph status. */
static inline void convlike_expect_error(convlike_build_fn build, const char *op,
                                         convlike_shapes s, const parn_conv_attrs *a,
                                         parn_status want)
{
    parn_graph *g = parn_graph_create();
    int x = parn_graph_input(g, "x", s.x_nd, s.x);
    int w = parn_graph_param(g, "w", s.w_nd, s.w);
    int b = s.bias ? parn_graph_param(g, "b", 1, &s.bias) : -1;
    ck_assert_int_ge(w, 0);
    ck_assert_int_lt(build(g, x, w, b, a), 0);
    ck_assert_int_eq(parn_graph_status(g), want);
    ck_assert_msg(strstr(parn_graph_error(g), op) != NULL, "message '%s' does not name %s",
                  parn_graph_error(g), op);
    parn_graph_destroy(g);
}

#endif
