/* SPDX-License-Identifier: MIT */
/* The fiber scheduler behind emu.h. */
#include "emu.h"

#include <setjmp.h>
#include <ucontext.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

/* Fiber switches: ucontext's swapcontext makes a system call (the signal mask) per switch, so
 * on x86-64 a six-register switch replaces it, announced to AddressSanitizer when it runs. */
#if defined(__SANITIZE_ADDRESS__)
#define PARNK_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PARNK_EMU_ASAN 1
#endif
#endif
#ifdef PARNK_EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__x86_64__)
#define PARNK_EMU_FAST_SWITCH 1
extern "C" void parnk_emu_switch(void **save_sp, void *load_sp);
asm(R"(
    .text
    .globl parnk_emu_switch
    .type parnk_emu_switch, @function
parnk_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size parnk_emu_switch, .-parnk_emu_switch
    .section .note.GNU-stack, "", @progbits
    .text
)");
#endif

namespace parnk_emu {

dim3 thread_idx, block_idx, block_dim, grid_dim;

namespace {

constexpr size_t STACK = 256 * 1024;

struct fiber {
#ifdef PARNK_EMU_FAST_SWITCH
    void *sp;
    char *stack;
#else
    ucontext_t ctx;
#endif
    bool done;
};

struct block {
    std::vector<fiber> fibers;
    std::vector<char> stacks;
#ifdef PARNK_EMU_FAST_SWITCH
    void *scheduler;
#else
    ucontext_t scheduler;
#endif
    unsigned current = 0;
    const std::function<void()> *body = nullptr;
    /* __syncthreads */
    unsigned arrived = 0;
    uint64_t generation = 0;
    /* warp exchanges: values and a barrier per warp */
    std::vector<uint64_t> values;
    std::vector<unsigned> warp_arrived;
    std::vector<uint64_t> warp_generation;
};

block the_block;
cudaError_t last_error = cudaSuccess;
uint64_t progress = 0; /* barriers passed and fibers finished: a round without any is a deadlock */

/* Plain mode: threads run as plain calls until one reaches a barrier, which jumps back here. */
bool plain = false;
jmp_buf escape;

#if defined(PARNK_EMU_FAST_SWITCH) && defined(PARNK_EMU_ASAN)
/* The scheduler's stack, learnt when a fiber first starts. */
const void *scheduler_bottom;
size_t scheduler_size;
#endif

/* From the running fiber to the scheduler; `last` when the fiber has finished. */
void to_scheduler(bool last)
{
    (void)last;
    fiber &f = the_block.fibers[the_block.current];
#ifdef PARNK_EMU_FAST_SWITCH
#ifdef PARNK_EMU_ASAN
    void *fake = nullptr;
    __sanitizer_start_switch_fiber(last ? nullptr : &fake, scheduler_bottom, scheduler_size);
#endif
    parnk_emu_switch(&f.sp, the_block.scheduler);
#ifdef PARNK_EMU_ASAN
    __sanitizer_finish_switch_fiber(fake, &scheduler_bottom, &scheduler_size);
#endif
#else
    swapcontext(&f.ctx, &the_block.scheduler);
#endif
}

void yield()
{
    to_scheduler(false);
}

/* A fiber's life: the kernel body, then back to the scheduler for good. */
void entry()
{
#if defined(PARNK_EMU_FAST_SWITCH) && defined(PARNK_EMU_ASAN)
    __sanitizer_finish_switch_fiber(nullptr, &scheduler_bottom, &scheduler_size);
#endif
    (*the_block.body)();
    the_block.fibers[the_block.current].done = true;
    progress++;
#ifdef PARNK_EMU_FAST_SWITCH
    to_scheduler(true); /* never resumed */
    abort();
#endif
    /* ucontext: returning resumes uc_link, the scheduler */
}

/* Prepares fiber t to start at entry() on its stack. */
void start(fiber &f, char *stack)
{
    f.done = false;
#ifdef PARNK_EMU_FAST_SWITCH
    /* what parnk_emu_switch pops: six registers, then entry as the return address, placed so
     * that entry starts with the stack aligned as after a call */
    uintptr_t top = ((uintptr_t)(stack + STACK)) & ~(uintptr_t)15;
    void **sp = (void **)(top - 64);
    for (int i = 0; i < 6; i++) sp[i] = nullptr;
    sp[6] = (void *)entry;
    f.sp = sp;
    f.stack = stack;
#else
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = stack;
    f.ctx.uc_stack.ss_size = STACK;
    f.ctx.uc_link = &the_block.scheduler;
    makecontext(&f.ctx, entry, 0);
#endif
}

void resume(fiber &f)
{
#ifdef PARNK_EMU_FAST_SWITCH
#ifdef PARNK_EMU_ASAN
    void *fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, f.stack, STACK);
#endif
    parnk_emu_switch(&the_block.scheduler, f.sp);
#ifdef PARNK_EMU_ASAN
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
#else
    swapcontext(&the_block.scheduler, &f.ctx);
#endif
}

/* Waits until `count` fibers have arrived at the barrier (arrived, generation). */
void barrier(unsigned *arrived, uint64_t *generation, unsigned count)
{
    uint64_t mine = *generation;
    if (++*arrived == count) {
        *arrived = 0;
        ++*generation;
        progress++;
        return;
    }
    while (*generation == mine) yield();
}

/* Runs the block's threads as plain calls; false when the kernel reached a barrier (in thread
 * 0, before it wrote anything global: see emu.h), so that the block must run as fibers. */
bool run_plain(unsigned threads, const std::function<void()> &body)
{
    for (volatile unsigned t = 0; t < threads; t++) {
        thread_idx = {t, 0, 0};
        plain = true;
        if (setjmp(escape) != 0) {
            plain = false;
            if (t == 0) return false;
            fprintf(stderr, "emu: thread %u reached a barrier that thread 0 did not\n", (unsigned)t);
            abort();
        }
        body();
        plain = false;
    }
    return true;
}

void run_fibers(unsigned threads)
{
    block &b = the_block;
    unsigned g = block_idx.x;
    if (b.stacks.size() < threads * STACK) b.stacks.resize(threads * STACK);
    for (unsigned t = 0; t < threads; t++) start(b.fibers[t], b.stacks.data() + t * STACK);
    for (unsigned live = threads; live > 0;) {
        uint64_t before = progress;
        live = 0;
        for (unsigned t = 0; t < threads; t++) {
            if (b.fibers[t].done) continue;
            b.current = t;
            thread_idx = {t, 0, 0};
            resume(b.fibers[t]);
            if (!b.fibers[t].done) live++;
        }
        if (live > 0 && progress == before) {
            fprintf(stderr, "emu: deadlock in block %u: a barrier some threads never reach\n", g);
            abort();
        }
    }
}

} // namespace

void sync_block()
{
    if (plain) longjmp(escape, 1);
    barrier(&the_block.arrived, &the_block.generation, block_dim.x);
}

void exchange(uint64_t mine, uint64_t *lanes)
{
    if (plain) longjmp(escape, 1);
    block &b = the_block;
    unsigned t = thread_idx.x, w = t / 32, base = w * 32;
    unsigned count = block_dim.x - base < 32 ? block_dim.x - base : 32;
    b.values[t] = mine;
    barrier(&b.warp_arrived[w], &b.warp_generation[w], count);
    for (unsigned l = 0; l < 32; l++) lanes[l] = l < count ? b.values[base + l] : 0;
    barrier(&b.warp_arrived[w], &b.warp_generation[w], count); /* all read before rewrites */
}

void run_grid(unsigned grid, unsigned threads, const std::function<void()> &body)
{
    if (grid == 0 || threads == 0 || threads > 1024) {
        last_error = cudaErrorInvalidConfiguration;
        return;
    }
    block &b = the_block;
    b.fibers.assign(threads, fiber{});
    b.values.assign(threads, 0);
    b.warp_arrived.assign((threads + 31) / 32, 0);
    b.warp_generation.assign((threads + 31) / 32, 0);
    b.body = &body;
    grid_dim = {grid, 1, 1};
    block_dim = {threads, 1, 1};
    bool fibers = false;
    for (unsigned g = 0; g < grid; g++) {
        block_idx = {g, 0, 0};
        b.arrived = 0;
        if (!fibers && run_plain(threads, body)) continue;
        fibers = true; /* the kernel synchronises: this block and the next ones as fibers */
        run_fibers(threads);
    }
}

} // namespace parnk_emu

extern "C" cudaError_t cudaGetLastError(void)
{
    cudaError_t e = parnk_emu::last_error;
    parnk_emu::last_error = cudaSuccess;
    return e;
}
