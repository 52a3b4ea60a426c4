/* CUDA C++ as plain C++ for the CPU: what the fake driver (fake_gpu.c) needs to run the
 * kernels of generated modules as one thread of one block (grid-stride loops then visit
 * every element; block reductions reduce a single value).  Force-included before the
 * generated source; ag_cuda.cuh of this directory replaces the device one. */
#include <math.h>
#include <string.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __restrict__ __restrict
#define __launch_bounds__(threads)

struct ag_dim3 { unsigned x, y, z; };
static const ag_dim3 blockIdx = {0, 0, 0}, threadIdx = {0, 0, 0};
static const ag_dim3 blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
static inline void __syncthreads() {}
struct float4 { float x, y, z, w; };

template <typename T> static inline T atomicAdd(T *address, T value) {
    T old = *address;
    *address = old + value;
    return old;
}
static inline int atomicExch(int *address, int value) {
    int old = *address;
    *address = value;
    return old;
}
