/* CUDA C++ as plain C++ for the CPU, for the fake driver (fake_gpu.c): a kernel launch runs
 * one block of AG_EMU_THREADS threads (std::thread), whatever the launch asked for (every
 * generated kernel is correct for any grid and any block of a multiple of 32 threads).
 * __syncthreads is a block barrier, __shfl_down_sync a warp-wide exchange, atomics are real
 * atomics, __shared__ variables are statics (one block runs at a time).  Force-included
 * before the generated source, so the real ag_cuda.cuh is the one tested. */
#include <condition_variable>
#include <math.h>
#include <mutex>
#include <string.h>
#include <thread>
#include <vector>

#define AG_EMU_THREADS 64

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __restrict__ __restrict
#define __launch_bounds__(threads)

struct ag_dim3 { unsigned x, y, z; };
static thread_local ag_dim3 threadIdx;
static const ag_dim3 blockIdx = {0, 0, 0}, gridDim = {1, 1, 1};
static const ag_dim3 blockDim = {AG_EMU_THREADS, 1, 1};
struct float4 { float x, y, z, w; };

struct ag_emu_barrier {
    std::mutex mutex;
    std::condition_variable condition;
    int count = 0, waiting = 0;
    long generation = 0;
    void wait() {
        std::unique_lock<std::mutex> lock(mutex);
        const long current = generation;
        if (++waiting == count) {
            waiting = 0;
            generation++;
            condition.notify_all();
        } else {
            condition.wait(lock, [&] { return generation != current; });
        }
    }
};

static ag_emu_barrier ag_emu_block, ag_emu_warps[AG_EMU_THREADS / 32];
static unsigned long long ag_emu_lanes[AG_EMU_THREADS];

static inline void __syncthreads() { ag_emu_block.wait(); }

/* Every lane of the calling warp must call it, as on the GPU. */
template <typename T> static inline T __shfl_down_sync(unsigned mask, T value, int offset) {
    (void)mask;
    static_assert(sizeof(T) <= sizeof(unsigned long long), "a shuffle moves 64 bits at most");
    const int t = threadIdx.x, lane = t & 31;
    ag_emu_barrier &warp = ag_emu_warps[t / 32];
    memcpy(&ag_emu_lanes[t], &value, sizeof(T));
    warp.wait();
    T result;
    memcpy(&result, &ag_emu_lanes[lane + offset < 32 ? t + offset : t], sizeof(T));
    warp.wait();
    return result;
}

template <typename T> static inline T atomicAdd(T *address, T value) {
    T old, updated;
    __atomic_load(address, &old, __ATOMIC_SEQ_CST);
    do {
        updated = old + value;
    } while (!__atomic_compare_exchange(address, &old, &updated, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST));
    return old;
}

static inline int atomicExch(int *address, int value) {
    return __atomic_exchange_n(address, value, __ATOMIC_SEQ_CST);
}

/* Runs `kernel` (a lambda calling the kernel) as one block. */
template <typename Kernel> static inline void ag_emu_launch(Kernel kernel) {
    ag_emu_block.count = AG_EMU_THREADS;
    for (auto &warp : ag_emu_warps) warp.count = 32;
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < AG_EMU_THREADS; t++)
        threads.emplace_back([t, &kernel] {
            threadIdx = {t, 0, 0};
            kernel();
        });
    for (auto &thread : threads) thread.join();
}
