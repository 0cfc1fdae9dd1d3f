/* SPDX-License-Identifier: MIT */
/* The op test harness: runs every case of a fixture file (tests/reference/fixtures) through
 * the backend under test (the CPU unless $PARN_TEST_DEVICE names a GPU), compares the output and each input gradient with PyTorch, and checks the
 * analytic gradients against central finite differences computed in double precision. */
#ifndef PARN_OPTEST_H
#define PARN_OPTEST_H

#include <check.h>
#include <cjson/cJSON.h>

#include "backend/backend.h"
#include "graph/graph.h"

#include <stdbool.h>

/* Builds the op under test on input nodes (in the fixture's input order); returns the output
 * node or -1. attrs is the case's "attrs" object. */
typedef int (*optest_build_fn)(parn_graph *g, const int *inputs, const cJSON *attrs);

/* Number of cases in fixtures/<family>.safetensors (0 when the file is missing). */
int optest_case_count(const char *family);

/* Runs case i; fails the current Check test with a precise message on any mismatch. */
void optest_run_case(const char *family, int i, optest_build_fn build);

/* Helpers for builders reading attributes. */
double optest_num(const cJSON *attrs, const char *key, double fallback);
const char *optest_str(const cJSON *attrs, const char *key);
/* Reads an int array attribute into out (n entries); returns its length. */
int optest_ints(const cJSON *attrs, const char *key, int *out, int n);

/* Relative error max|a - b| / max(max|b|, 1e-12) over n values. */
double optest_rel_error(const float *a, const float *b, int64_t n);

/* The backend under test: $PARN_TEST_DEVICE, "cpu" (the default) or "cuda[:N]"; a CUDA backend
 * that does not load fails the test with the loader's message. */
const parn_backend *optest_backend(void);

/* A context of the backend under test, shared by the tests of one process (2 threads on the
 * CPU). */
parn_backend_ctx *optest_cpu(void);

/* True when the backend under test is the CPU (for tests of the CPU backend's own behaviour). */
bool optest_on_cpu(void);

/* The suites name the CPU backend, written before there was a choice; this points them at the
 * backend under test, so that `PARN_TEST_DEVICE=cuda:0 meson test` runs them all on the GPU
 * against the same PyTorch fixtures. */
#define parn_backend_cpu() optest_backend()

/* A Check suite with one looped TCase per family, named after it. */
TCase *optest_tcase(const char *family, const TTest *test);

/* Inputs listed in the case's "cl" attribute (0 for a, 1 for b) pass through an identity op,
 * so that they arrive channels-last. */
void optest_route_channels_last(parn_graph *g, const cJSON *attrs, int *a, int *b);

/* The case's "reduction" attribute: "sum", else mean. */
parn_reduction optest_reduction(const cJSON *attrs);

/* A graph with one input of the given dims, whose id goes to *x. */
parn_graph *optest_one_input(int nd, const int64_t *dims, int *x);

/* Checks that a builder failed (id < 0) with status st and a message containing word, then
 * destroys g. */
void optest_expect_failure(parn_graph *g, int id, parn_status st, const char *word);

/* Runs suite s and returns the test program's exit status (0 when every test passed). */
int optest_main(Suite *s);

#endif
