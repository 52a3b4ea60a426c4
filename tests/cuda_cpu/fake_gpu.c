/* A stand-in for libcuda and libcublas that runs generated CUDA modules on the CPU, for the
 * tests of the CUDA backend on machines without a GPU (tests/test_cuda_contract.py).
 *
 * It is the runtime's fake driver (tests/fake_cuda_driver.c: device memory is host memory)
 * plus what generated host modules call: a "cubin" is the path of a shared library holding
 * the function's kernels compiled for the CPU (see emulate.h), a kernel is that library's
 * NAME_launch(void **params) trampoline, which runs it as one block of CPU threads; the async
 * copies are memcpy; cuBLAS gemm is a plain column-major triple loop.
 */
#define cuModuleLoadData fake_base_cuModuleLoadData
#define cuModuleUnload fake_base_cuModuleUnload
#define cuModuleGetFunction fake_base_cuModuleGetFunction
#define cuLaunchKernel fake_base_cuLaunchKernel
#include "../fake_cuda_driver.c"
#undef cuModuleLoadData
#undef cuModuleUnload
#undef cuModuleGetFunction
#undef cuLaunchKernel

#include <dlfcn.h>
#include <stdio.h>

long fake_launches, fake_gemms;

CUresult cuModuleLoadData(void **module, const void *image) {
    void *handle = dlopen((const char *)image, RTLD_NOW | RTLD_LOCAL);
    if (!handle) return 200; /* CUDA_ERROR_INVALID_IMAGE */
    *module = handle;
    return 0;
}

CUresult cuModuleUnload(void *module) { (void)module; return 0; }

CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
    char launcher[512];
    snprintf(launcher, sizeof launcher, "%s_launch", name);
    void *symbol = dlsym(module, launcher);
    if (!symbol) return 500; /* CUDA_ERROR_NOT_FOUND */
    *function = symbol;
    return 0;
}

CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned shared, void *stream, void **params,
                        void **extra) {
    (void)gy; (void)gz; (void)by; (void)bz; (void)shared; (void)extra;
    if (!fake_current || stream != NULL || gx == 0 || bx == 0 || bx > 1024) return 1;
    fake_launches++;
    ((void (*)(void **))function)(params);
    return 0;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr destination, const void *source, size_t bytes,
                              void *stream) {
    if (stream != NULL) return 1;
    return cuMemcpyHtoD_v2(destination, source, bytes);
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr destination, CUdeviceptr source, size_t bytes,
                              void *stream) {
    if (stream != NULL) return 1;
    return cuMemcpyDtoD_v2(destination, source, bytes);
}

CUresult cuMemsetD8Async(CUdeviceptr destination, unsigned char value, size_t count,
                         void *stream) {
    if (stream != NULL) return 1;
    return cuMemsetD8_v2(destination, value, count);
}

CUresult cuStreamSynchronize(void *stream) { return stream == NULL && fake_current ? 0 : 1; }

/* ---------------------------------------------------------------- cuBLAS */
static int blas_token, pointer_mode;

int cublasCreate_v2(void **handle) { *handle = &blas_token; return 0; }
int cublasSetStream_v2(void *handle, void *stream) { return handle && !stream ? 0 : 7; }
int cublasSetPointerMode_v2(void *handle, int mode) { pointer_mode = mode; return handle ? 0 : 7; }
int cublasSetMathMode(void *handle, int mode) { return handle && mode == 0 ? 0 : 7; }

#define FAKE_GEMM(NAME, T)                                                                    \
    int NAME(void *handle, int ta, int tb, int m, int n, int k, const T *alpha, const T *a,   \
             int lda, const T *b, int ldb, const T *beta, T *c, int ldc) {                    \
        if (!handle || m < 0 || n < 0 || k < 0 || ldc < (m > 1 ? m : 1)) return 7;            \
        if (lda < (ta ? (k > 1 ? k : 1) : (m > 1 ? m : 1))) return 7;                        \
        if (ldb < (tb ? (n > 1 ? n : 1) : (k > 1 ? k : 1))) return 7;                        \
        fake_gemms++;                                                                         \
        for (int j = 0; j < n; j++)                                                           \
            for (int i = 0; i < m; i++) {                                                     \
                T sum = 0;                                                                    \
                for (int p = 0; p < k; p++)                                                   \
                    sum += (ta ? a[p + (long)i * lda] : a[i + (long)p * lda]) *               \
                           (tb ? b[j + (long)p * ldb] : b[p + (long)j * ldb]);                \
                T *out = &c[i + (long)j * ldc];                                               \
                *out = *alpha * sum + (*beta == 0 ? 0 : *beta * *out);                        \
            }                                                                                 \
        return 0;                                                                             \
    }
FAKE_GEMM(cublasSgemm_v2, float)
FAKE_GEMM(cublasDgemm_v2, double)
