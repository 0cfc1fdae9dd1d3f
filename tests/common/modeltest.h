/* SPDX-License-Identifier: MIT */
/* Helpers of the network suites (tests/check_model_*.c): the fixture files that
 * tests/reference/models writes, graph inputs bound to their tensors, and comparisons of graph
 * outputs and gradients with PyTorch's. */
#ifndef PARN_MODELTEST_H
#define PARN_MODELTEST_H

#include "optest.h"

#include "io/safetensors.h"
#include "models/model.h"

/* The relative error a network's outputs and gradients may have against PyTorch. */
#define MODELTEST_REL_TOL 1e-4

/* <fixtures>/<stem><suffix>.safetensors, fixtures being $PARN_FIXTURES (default
 * tests/reference/fixtures); the string stays valid for the next three calls. */
const char *modeltest_fixture(const char *stem, const char *suffix);

/* The model in the fixture file <stem>; fails the test when it does not load. */
parn_model_t *modeltest_load(const char *stem);

/* The fixture file <stem>_io (inputs, output gradients and PyTorch's results); fails the test
 * when it does not open. */
parn_st_file *modeltest_open_io(const char *stem);

/* The io tensor "<tag>.<what>" ("<what>" when tag is NULL); fails the test when it is absent. */
parn_tensor modeltest_io_tensor(const parn_st_file *io, const char *tag, const char *what);

/* How many io tensors have names that start with prefix. */
int modeltest_count_prefixed(const parn_st_file *io, const char *prefix);

/* A fresh model of the given networks, with configuration JSON config unless it is NULL. */
parn_model_t *modeltest_create(const char *networks, const char *config);

/* A graph input with t's dims, bound to t's data. */
int modeltest_input(parn_graph *g, const char *name, const parn_tensor *t);

/* A graph input named what, bound to the io tensor "<tag>.<what>". */
int modeltest_io_input(parn_graph *g, const parn_st_file *io, const char *tag, const char *what);

/* sum(a * b) over every dimension, as a scalar node. */
int modeltest_dot(parn_graph *g, int a, int b);

/* Appends the backward pass of loss (seed as in parn_graph_backward); fails the test otherwise. */
void modeltest_backward(parn_graph *g, int loss, int seed);

/* Runs g on the backend under test (optest_backend); fails the test with the error otherwise. */
void modeltest_run(parn_graph *g);

/* A copy of node's values, which the caller frees. */
float *modeltest_read(const parn_graph *g, int node);

/* The failure messages below name what, after "ctx: " unless ctx is NULL. */

/* got (as many values as want holds) matches want within MODELTEST_REL_TOL. */
void modeltest_expect_close(const float *got, const parn_tensor *want, const char *ctx,
                            const char *what);

/* got has want's dims and matching values. */
void modeltest_expect_tensor(const parn_tensor *got, const parn_tensor *want, const char *ctx,
                             const char *what);

/* node exists, and its output has want's dims and matching values. */
void modeltest_expect_node(const parn_graph *g, int node, const parn_tensor *want, const char *ctx,
                           const char *what);

/* modeltest_expect_node against the io tensor "<tag>.<what>", tag being the context. */
void modeltest_compare_io(const parn_graph *g, int node, const parn_st_file *io, const char *tag,
                          const char *what);

#endif
