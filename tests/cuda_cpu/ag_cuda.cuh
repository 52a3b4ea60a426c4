/* The CPU stand-in for arignote/kernels/ag_cuda.cuh (see emulate.h): one thread per block,
 * so a block reduction is its one value; the copy kernels get launch trampolines. */
#ifndef ARIGNOTE_AG_CUDA_CUH
#define ARIGNOTE_AG_CUDA_CUH

#include "ag_dims.h"

template <typename T, typename Combine>
static inline T ag_block_reduce(T v, Combine combine, T identity) {
    (void)combine;
    (void)identity;
    return v;
}

template <typename T, typename Better>
static inline void ag_block_argreduce(T &v, long long &index, Better better) {
    (void)v;
    (void)index;
    (void)better;
}

static inline long long ag_offset(long long i, int ndim, const ag_dims &shape,
                                  const ag_dims &strides) {
    long long offset = 0;
    for (int d = ndim - 1; d > 0; d--) {
        const long long c = i % shape.v[d];
        i /= shape.v[d];
        offset += c * strides.v[d];
    }
    return ndim > 0 ? offset + i * strides.v[0] : 0;
}

#define AG_COPY_KERNEL(NAME, T)                                                              \
    extern "C" void NAME(long long n, int ndim, ag_dims shape, ag_dims strides,               \
                         const char *src, T *dst) {                                           \
        for (long long i = 0; i < n; i++)                                                     \
            dst[i] = *(const T *)(src + ag_offset(i, ndim, shape, strides));                 \
    }                                                                                         \
    extern "C" void NAME##_launch(void **p) {                                                 \
        NAME(*(long long *)p[0], *(int *)p[1], *(ag_dims *)p[2], *(ag_dims *)p[3],            \
             *(const char **)p[4], *(T **)p[5]);                                              \
    }
AG_COPY_KERNEL(ag_copy_1, unsigned char)
AG_COPY_KERNEL(ag_copy_2, unsigned short)
AG_COPY_KERNEL(ag_copy_4, unsigned int)
AG_COPY_KERNEL(ag_copy_8, unsigned long long)

#endif /* ARIGNOTE_AG_CUDA_CUH */
