/* Device helpers shared by every generated CUDA translation unit: block reductions with warp
 * shuffles, the strided gather copy, the flat-index decomposition.  NVRTC-safe (no system
 * headers). */
#ifndef ARIGNOTE_AG_CUDA_CUH
#define ARIGNOTE_AG_CUDA_CUH

#include "ag_dims.h"

/* Shuffles of types narrower than 32 bits go through int (the hardware moves 32 bits). */
template <typename T> __device__ __forceinline__ T ag_shfl_down(T v, int offset) {
    return __shfl_down_sync(0xffffffffu, v, offset);
}
template <> __device__ __forceinline__ bool ag_shfl_down(bool v, int offset) {
    return __shfl_down_sync(0xffffffffu, (int)v, offset) != 0;
}
template <> __device__ __forceinline__ signed char ag_shfl_down(signed char v, int offset) {
    return (signed char)__shfl_down_sync(0xffffffffu, (int)v, offset);
}
template <> __device__ __forceinline__ unsigned char ag_shfl_down(unsigned char v, int offset) {
    return (unsigned char)__shfl_down_sync(0xffffffffu, (int)v, offset);
}
template <> __device__ __forceinline__ short ag_shfl_down(short v, int offset) {
    return (short)__shfl_down_sync(0xffffffffu, (int)v, offset);
}
template <> __device__ __forceinline__ unsigned short ag_shfl_down(unsigned short v,
                                                                   int offset) {
    return (unsigned short)__shfl_down_sync(0xffffffffu, (int)v, offset);
}

/* Reduces `v` over the block (blockDim.x a multiple of 32, at most 1024) with `combine`;
 * the result is valid in thread 0. Every thread of the block must call it. */
template <typename T, typename Combine>
__device__ __forceinline__ T ag_block_reduce(T v, Combine combine, T identity) {
    __shared__ T partial[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int offset = 16; offset > 0; offset >>= 1) v = combine(v, ag_shfl_down(v, offset));
    __syncthreads(); /* `partial` may still be read by a previous reduction */
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    const int warps = blockDim.x >> 5;
    v = threadIdx.x < warps ? partial[threadIdx.x] : identity;
    if (warp == 0)
        for (int offset = 16; offset > 0; offset >>= 1) v = combine(v, ag_shfl_down(v, offset));
    return v;
}

/* The same for (value, index) pairs: `better(a, ia, b, ib)` says whether a beats b. */
template <typename T, typename Better>
__device__ __forceinline__ void ag_block_argreduce(T &v, long long &index, Better better) {
    __shared__ T partial[32];
    __shared__ long long partial_index[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int offset = 16; offset > 0; offset >>= 1) {
        T other = ag_shfl_down(v, offset);
        long long other_index = __shfl_down_sync(0xffffffffu, index, offset);
        if (better(other, other_index, v, index)) { v = other; index = other_index; }
    }
    __syncthreads();
    if (lane == 0) { partial[warp] = v; partial_index[warp] = index; }
    __syncthreads();
    const int warps = blockDim.x >> 5;
    if (warp == 0) {
        if (threadIdx.x < warps) { v = partial[threadIdx.x]; index = partial_index[threadIdx.x]; }
        else index = -1;
        for (int offset = 16; offset > 0; offset >>= 1) {
            T other = ag_shfl_down(v, offset);
            long long other_index = __shfl_down_sync(0xffffffffu, index, offset);
            if (other_index >= 0 && (index < 0 || better(other, other_index, v, index))) {
                v = other;
                index = other_index;
            }
        }
    }
}

/* Byte offset of flat (C-order) element i of `shape` (ndim dims) in an operand of `strides`. */
__device__ __forceinline__ long long ag_offset(long long i, int ndim, const ag_dims &shape,
                                               const ag_dims &strides) {
    long long offset = 0;
    for (int d = ndim - 1; d > 0; d--) {
        const long long c = i % shape.v[d];
        i /= shape.v[d];
        offset += c * strides.v[d];
    }
    return ndim > 0 ? offset + i * strides.v[0] : 0;
}

/* dst (contiguous) = src (strided, maybe broadcast), elements of `itemsize` bytes. */
#define AG_COPY_KERNEL(NAME, T)                                                              \
    extern "C" __global__ void NAME(long long n, int ndim, ag_dims shape, ag_dims strides,    \
                                    const char *__restrict__ src, T *__restrict__ dst) {     \
        for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;           \
             i += (long long)blockDim.x * gridDim.x)                                          \
            dst[i] = *(const T *)(src + ag_offset(i, ndim, shape, strides));                 \
    }
AG_COPY_KERNEL(ag_copy_1, unsigned char)
AG_COPY_KERNEL(ag_copy_2, unsigned short)
AG_COPY_KERNEL(ag_copy_4, unsigned int)
AG_COPY_KERNEL(ag_copy_8, unsigned long long)

#endif /* ARIGNOTE_AG_CUDA_CUH */
