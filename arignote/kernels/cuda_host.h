/* Host side of generated CUDA function modules (included after runtime.h).
 *
 * The module is a CPython extension built like the C ones, without CUDA headers: the few
 * driver and cuBLAS types and entry points it needs are declared here and looked up with
 * dlopen/dlsym (libcuda from the driver, libcublas from NVIDIA's wheel) when the module's
 * state is made.  An ag_array whose data is a device pointer is a device value: shape and
 * strides live on the host, so views cost nothing.  All work goes on the legacy default
 * stream (stream 0); memory comes from the driver's stream-ordered pool.
 */
#ifndef ARIGNOTE_CUDA_HOST_H
#define ARIGNOTE_CUDA_HOST_H

#include <dlfcn.h>
#include "ag_dims.h"

typedef int CUresult;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;
typedef struct cublasContext *cublasHandle_t;

typedef struct {
    CUresult (*cuGetErrorName)(CUresult, const char **);
    CUresult (*cuCtxGetCurrent)(CUcontext *);
    CUresult (*cuCtxSetCurrent)(CUcontext);
    CUresult (*cuModuleLoadData)(CUmodule *, const void *);
    CUresult (*cuModuleUnload)(CUmodule);
    CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
    CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                               unsigned, unsigned, CUstream, void **, void **);
    CUresult (*cuMemAllocAsync)(CUdeviceptr *, size_t, CUstream);
    CUresult (*cuMemFreeAsync)(CUdeviceptr, CUstream);
    CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
    CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
    CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
    CUresult (*cuMemsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream);
    CUresult (*cuStreamSynchronize)(CUstream);
    int (*cublasCreate)(cublasHandle_t *);
    int (*cublasSetStream)(cublasHandle_t, CUstream);
    int (*cublasSetPointerMode)(cublasHandle_t, int);
    int (*cublasSetMathMode)(cublasHandle_t, int);
    int (*cublasSgemm)(cublasHandle_t, int, int, int, int, int, const float *, const float *,
                       int, const float *, int, const float *, float *, int);
    int (*cublasDgemm)(cublasHandle_t, int, int, int, int, int, const double *,
                       const double *, int, const double *, int, const double *, double *,
                       int);
    cublasHandle_t blas;
    void *libcuda, *libcublas;
} ag_cuda_api;

static ag_cuda_api AGC;

#define AG_CUBLAS_POINTER_MODE_HOST 0
#define AG_CUBLAS_POINTER_MODE_DEVICE 1
#define AG_CUBLAS_DEFAULT_MATH 0 /* no TF32: float32 GEMMs compute in float32 */

/* Fills AGC from the two libraries; returns -1 with a Python exception set on failure. */
static int ag_cuda_load(const char *libcuda_path, const char *libcublas_path, int need_blas) {
    if (AGC.libcuda) return 0;
    void *cuda = dlopen(libcuda_path, RTLD_NOW | RTLD_GLOBAL);
    if (!cuda) {
        PyErr_Format(PyExc_RuntimeError, "cannot load the CUDA driver %s: %s", libcuda_path,
                     dlerror());
        return -1;
    }
#define AG_SYM(lib, field, name)                                                              \
    do {                                                                                      \
        *(void **)&AGC.field = dlsym(lib, name);                                              \
        if (!AGC.field) {                                                                     \
            PyErr_Format(PyExc_RuntimeError, "%s lacks %s", #lib, name);                      \
            return -1;                                                                        \
        }                                                                                     \
    } while (0)
    AG_SYM(cuda, cuGetErrorName, "cuGetErrorName");
    AG_SYM(cuda, cuCtxGetCurrent, "cuCtxGetCurrent");
    AG_SYM(cuda, cuCtxSetCurrent, "cuCtxSetCurrent");
    AG_SYM(cuda, cuModuleLoadData, "cuModuleLoadData");
    AG_SYM(cuda, cuModuleUnload, "cuModuleUnload");
    AG_SYM(cuda, cuModuleGetFunction, "cuModuleGetFunction");
    AG_SYM(cuda, cuLaunchKernel, "cuLaunchKernel");
    AG_SYM(cuda, cuMemAllocAsync, "cuMemAllocAsync");
    AG_SYM(cuda, cuMemFreeAsync, "cuMemFreeAsync");
    AG_SYM(cuda, cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
    AG_SYM(cuda, cuMemcpyDtoH, "cuMemcpyDtoH_v2");
    AG_SYM(cuda, cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2");
    AG_SYM(cuda, cuMemsetD8Async, "cuMemsetD8Async");
    AG_SYM(cuda, cuStreamSynchronize, "cuStreamSynchronize");
    if (need_blas) {
        void *blas = dlopen(libcublas_path, RTLD_NOW | RTLD_GLOBAL);
        if (!blas) {
            PyErr_Format(PyExc_RuntimeError, "cannot load cuBLAS %s: %s", libcublas_path,
                         dlerror());
            return -1;
        }
        AG_SYM(blas, cublasCreate, "cublasCreate_v2");
        AG_SYM(blas, cublasSetStream, "cublasSetStream_v2");
        AG_SYM(blas, cublasSetPointerMode, "cublasSetPointerMode_v2");
        AG_SYM(blas, cublasSetMathMode, "cublasSetMathMode");
        AG_SYM(blas, cublasSgemm, "cublasSgemm_v2");
        AG_SYM(blas, cublasDgemm, "cublasDgemm_v2");
        AGC.libcublas = blas;
    }
#undef AG_SYM
    AGC.libcuda = cuda;
    return 0;
}

/* Raises for a failed driver call: the function's name, what failed, the driver's code. */
static int ag_cuda_raise(CUresult code, const char *what, PyObject *function_name) {
    const char *name = "unknown";
    if (AGC.cuGetErrorName) AGC.cuGetErrorName(code, &name);
    if (code == 2) /* CUDA_ERROR_OUT_OF_MEMORY */
        PyErr_Format(PyExc_MemoryError, "%U: %s: GPU out of memory (%s)", function_name, what,
                     name);
    else
        PyErr_Format(PyExc_RuntimeError, "%U: %s failed with CUDA error %d (%s)", function_name,
                     what, (int)code, name);
    return -1;
}

#define AG_CU(call, what)                                                                     \
    do {                                                                                      \
        CUresult r_ = (call);                                                                 \
        if (r_ != 0) { ag_cuda_raise(r_, what, st->fname); goto fail; }                       \
    } while (0)

/* A device buffer owned by one call: allocated from the pool, freed at the end of the call
 * (stream-ordered, so kernels still queued that use it are safe). */
typedef struct {
    CUdeviceptr ptr;
    size_t cap;
} ag_dslot;

/* Gives `a` (shape set) contiguous strides and memory in `slot`, growing it if needed. */
static inline int ag_dalloc(ag_array *a, ag_dslot *slot, npy_intp itemsize, PyObject *fname) {
    size_t nbytes = (size_t)ag_size(a) * (size_t)itemsize;
    if (nbytes == 0) nbytes = 16;
    ag_set_contiguous(a, itemsize);
    if (slot->cap < nbytes) {
        if (slot->ptr) AGC.cuMemFreeAsync(slot->ptr, 0);
        slot->ptr = 0;
        slot->cap = 0;
        size_t rounded = (nbytes + 255) & ~(size_t)255;
        CUresult r = AGC.cuMemAllocAsync(&slot->ptr, rounded, 0);
        if (r == 2) {
            PyErr_Format(PyExc_MemoryError, "%U: GPU out of memory allocating %zu bytes", fname,
                         rounded);
            return -1;
        }
        if (r != 0) return ag_cuda_raise(r, "cuMemAllocAsync", fname);
        slot->cap = rounded;
    }
    a->data = (char *)slot->ptr;
    return 0;
}

static inline void ag_dfree(ag_dslot *slot) {
    if (slot->ptr) AGC.cuMemFreeAsync(slot->ptr, 0);
    slot->ptr = 0;
    slot->cap = 0;
}

static inline ag_dims ag_dims_of_shape(const ag_array *a) {
    ag_dims d;
    for (int i = 0; i < AG_DIMS; i++) d.v[i] = i < a->ndim ? a->shape[i] : 1;
    return d;
}

/* Strides of `a` iterated over `shape_of`'s shape: 0 where `a` is broadcast (length 1). */
static inline ag_dims ag_dims_of_strides(const ag_array *a, const ag_array *shape_of) {
    ag_dims d;
    int offset = shape_of->ndim - a->ndim;
    for (int i = 0; i < AG_DIMS; i++) {
        int j = i - offset;
        d.v[i] = (i < shape_of->ndim && j >= 0 && a->shape[j] != 1) ? a->strides[j] : 0;
    }
    return d;
}

/* Grid size for a grid-stride loop over n items: enough blocks to fill the GPU. */
static inline unsigned ag_grid(long long n, int block) {
    long long blocks = (n + block - 1) / block;
    if (blocks < 1) blocks = 1;
    if (blocks > 8192) blocks = 8192;
    return (unsigned)blocks;
}

static inline int ag_aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

static inline int ag_log2_itemsize(npy_intp itemsize) {
    return itemsize == 1 ? 0 : itemsize == 2 ? 1 : itemsize == 4 ? 2 : 3;
}

/* dst (contiguous, allocated, same shape) = src (any strides) on the device. */
static int ag_dcopy(CUfunction *copy_fns, ag_array *dst, const ag_array *src, npy_intp itemsize,
                    PyObject *fname) {
    long long n = ag_size(src);
    if (n == 0) return 0;
    if (ag_is_contiguous(src, itemsize)) {
        CUresult r = AGC.cuMemcpyDtoDAsync((CUdeviceptr)dst->data, (CUdeviceptr)src->data,
                                           (size_t)n * itemsize, 0);
        return r ? ag_cuda_raise(r, "cuMemcpyDtoDAsync", fname) : 0;
    }
    int ndim = src->ndim;
    ag_dims shape = ag_dims_of_shape(src), strides = ag_dims_of_strides(src, src);
    const char *from = src->data;
    char *to = dst->data;
    void *params[] = {&n, &ndim, &shape, &strides, &from, &to};
    CUresult r = AGC.cuLaunchKernel(copy_fns[ag_log2_itemsize(itemsize)], ag_grid(n, 256), 1, 1,
                                    256, 1, 1, 0, 0, params, NULL);
    return r ? ag_cuda_raise(r, "launching the strided copy", fname) : 0;
}

/* A new numpy array holding device value `a` (waits for the queued work: a sync point). */
static PyObject *ag_dto_numpy(CUfunction *copy_fns, const ag_array *a, int typenum,
                              npy_intp itemsize, PyObject *fname) {
    npy_intp dims[AG_MAXDIM];
    for (int i = 0; i < a->ndim; i++) dims[i] = a->shape[i];
    PyObject *out = PyArray_SimpleNew(a->ndim, dims, typenum);
    if (!out) return NULL;
    size_t nbytes = (size_t)ag_size(a) * itemsize;
    if (nbytes == 0) return out;
    ag_dslot temp = {0, 0};
    ag_array source = *a;
    if (!ag_is_contiguous(a, itemsize)) {
        ag_array packed = *a;
        if (ag_dalloc(&packed, &temp, itemsize, fname) < 0 ||
            ag_dcopy(copy_fns, &packed, a, itemsize, fname) < 0) {
            ag_dfree(&temp);
            Py_DECREF(out);
            return NULL;
        }
        source = packed;
    }
    CUresult r = AGC.cuMemcpyDtoH(PyArray_DATA((PyArrayObject *)out), (CUdeviceptr)source.data,
                                  nbytes);
    ag_dfree(&temp);
    if (r) {
        Py_DECREF(out);
        ag_cuda_raise(r, "running its kernels (read back with cuMemcpyDtoH)", fname);
        return NULL;
    }
    return out;
}

/* dst (shape set by the caller) = a copy on the device of host array `a`, in `slot`. */
static int ag_hto_device(ag_array *dst, ag_dslot *slot, const ag_array *a, npy_intp itemsize,
                         PyObject *fname) {
    dst->ndim = a->ndim;
    for (int i = 0; i < a->ndim; i++) dst->shape[i] = a->shape[i];
    if (ag_dalloc(dst, slot, itemsize, fname) < 0) return -1;
    size_t nbytes = (size_t)ag_size(a) * itemsize;
    if (nbytes == 0) return 0;
    if (ag_is_contiguous(a, itemsize)) {
        CUresult r = AGC.cuMemcpyHtoDAsync((CUdeviceptr)dst->data, a->data, nbytes, 0);
        return r ? ag_cuda_raise(r, "cuMemcpyHtoDAsync", fname) : 0;
    }
    /* A strided host value: pack it on the host first (copies from pageable memory are
     * staged by the driver before the call returns, so the buffer may go right after). */
    char *packed = (char *)malloc(nbytes);
    if (!packed) { PyErr_NoMemory(); return -1; }
    ag_array p = *a;
    p.data = packed;
    ag_set_contiguous(&p, itemsize);
    ag_copy(&p, a, itemsize);
    CUresult r = AGC.cuMemcpyHtoDAsync((CUdeviceptr)dst->data, packed, nbytes, 0);
    free(packed);
    return r ? ag_cuda_raise(r, "cuMemcpyHtoDAsync", fname) : 0;
}

/* Reads a device value object's (ptr, shape, strides, dtype) into `a`; 0 when it does not
 * have the expected dtype, rank or broadcastable pattern (Python converts it then). */
static int ag_accept_device(PyObject *obj, ag_array *a, int typenum, int ndim,
                            const char *broadcastable) {
    static PyObject *s_ptr, *s_shape, *s_strides, *s_dtype;
    if (!s_ptr) {
        s_ptr = PyUnicode_InternFromString("ptr");
        s_shape = PyUnicode_InternFromString("shape");
        s_strides = PyUnicode_InternFromString("strides");
        s_dtype = PyUnicode_InternFromString("dtype");
    }
    PyObject *dtype = PyObject_GetAttr(obj, s_dtype);
    if (!dtype) { PyErr_Clear(); return 0; }
    int ok = PyArray_DescrCheck(dtype) && ((PyArray_Descr *)dtype)->type_num == typenum;
    Py_DECREF(dtype);
    if (!ok) return 0;
    PyObject *shape = PyObject_GetAttr(obj, s_shape);
    PyObject *strides = shape ? PyObject_GetAttr(obj, s_strides) : NULL;
    PyObject *ptr = strides ? PyObject_GetAttr(obj, s_ptr) : NULL;
    ok = ptr && PyTuple_Check(shape) && PyTuple_Check(strides) &&
         PyTuple_GET_SIZE(shape) == ndim && PyTuple_GET_SIZE(strides) == ndim;
    if (ok) {
        a->ndim = ndim;
        a->data = (char *)PyLong_AsVoidPtr(ptr);
        for (int i = 0; i < ndim; i++) {
            a->shape[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, i));
            a->strides[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(strides, i));
            if (broadcastable[i] == '1' && a->shape[i] != 1) ok = 0;
        }
        if (PyErr_Occurred()) { PyErr_Clear(); ok = 0; }
    }
    if (!ptr) PyErr_Clear();
    Py_XDECREF(shape); Py_XDECREF(strides); Py_XDECREF(ptr);
    return ok;
}

/* A Python tuple of `a`'s shape. */
static PyObject *ag_shape_tuple(const ag_array *a) {
    PyObject *t = PyTuple_New(a->ndim);
    if (!t) return NULL;
    for (int i = 0; i < a->ndim; i++) PyTuple_SET_ITEM(t, i, PyLong_FromSsize_t(a->shape[i]));
    return t;
}

/* dst (contiguous, allocated) = src broadcast to dst's shape (numpy's rules). */
static int ag_dbroadcast(CUfunction *copy_fns, ag_array *dst, const ag_array *src,
                         npy_intp itemsize, PyObject *fname) {
    long long n = ag_size(dst);
    if (n == 0) return 0;
    int ndim = dst->ndim;
    ag_dims shape = ag_dims_of_shape(dst), strides = ag_dims_of_strides(src, dst);
    const char *from = src->data;
    char *to = dst->data;
    void *params[] = {&n, &ndim, &shape, &strides, &from, &to};
    CUresult r = AGC.cuLaunchKernel(copy_fns[ag_log2_itemsize(itemsize)], ag_grid(n, 256), 1, 1,
                                    256, 1, 1, 0, 0, params, NULL);
    return r ? ag_cuda_raise(r, "launching the broadcast copy", fname) : 0;
}

/* Whether 2-d `a` is usable by cuBLAS as it is: 0 for row-major (op N on its transpose),
 * 1 for column-major (op T), -1 otherwise; `ld` gets its leading dimension. */
static int ag_gemm_layout(const ag_array *a, npy_intp itemsize, int *ld) {
    npy_intp rows = a->shape[0], cols = a->shape[1];
    npy_intp s0 = rows == 1 ? cols * itemsize : a->strides[0];
    npy_intp s1 = cols == 1 ? itemsize : a->strides[1];
    if (rows == 1 && cols == 1) s0 = s1 = itemsize;
    if (s1 == itemsize && s0 > 0 && s0 % itemsize == 0 && s0 >= cols * itemsize) {
        *ld = (int)(s0 / itemsize > 1 ? s0 / itemsize : 1);
        if (*ld < cols) *ld = (int)cols;
        return 0;
    }
    if (cols == 1) s0 = itemsize;
    if (s0 == itemsize && s1 > 0 && s1 % itemsize == 0 && s1 >= rows * itemsize) {
        *ld = (int)(s1 / itemsize > 1 ? s1 / itemsize : 1);
        if (*ld < rows) *ld = (int)rows;
        return 1;
    }
    return -1;
}

/* C (m x n, contiguous row-major) = alpha A (m x k) B (k x n) + beta C with cuBLAS, which is
 * column-major: it computes C^T = B^T A^T. Operands of other layouts are packed first into
 * `ta`/`tb`. alpha and beta are host pointers, or device pointers when device_scalars. */
static int ag_gemm(int dbl, ag_array *A, ag_array *B, ag_array *C, const void *alpha,
                   const void *beta, int device_scalars, ag_dslot *ta, ag_dslot *tb,
                   CUfunction *copy_fns, PyObject *fname) {
    npy_intp itemsize = dbl ? 8 : 4;
    long long m = C->shape[0], n = C->shape[1], k = A->shape[1];
    if (m == 0 || n == 0) return 0;
    if (m > 2147483647LL || n > 2147483647LL || k > 2147483647LL) {
        PyErr_Format(PyExc_ValueError, "%U: a matrix product too large for cuBLAS", fname);
        return -1;
    }
    int lda = 1, ldb = 1;
    int ta_op = k > 0 ? ag_gemm_layout(A, itemsize, &lda) : 0;
    int tb_op = k > 0 ? ag_gemm_layout(B, itemsize, &ldb) : 0;
    ag_array packed_a = *A, packed_b = *B;
    if (ta_op < 0) {
        if (ag_dalloc(&packed_a, ta, itemsize, fname) < 0 ||
            ag_dcopy(copy_fns, &packed_a, A, itemsize, fname) < 0) return -1;
        ta_op = ag_gemm_layout(&packed_a, itemsize, &lda);
    }
    if (tb_op < 0) {
        if (ag_dalloc(&packed_b, tb, itemsize, fname) < 0 ||
            ag_dcopy(copy_fns, &packed_b, B, itemsize, fname) < 0) return -1;
        tb_op = ag_gemm_layout(&packed_b, itemsize, &ldb);
    }
    if (k == 0) { lda = (int)(m > 1 ? m : 1); ldb = (int)(n > 1 ? n : 1); }
    int status = AGC.cublasSetPointerMode(AGC.blas, device_scalars ? AG_CUBLAS_POINTER_MODE_DEVICE
                                                                   : AG_CUBLAS_POINTER_MODE_HOST);
    int ldc = (int)n;
    if (status == 0) {
        if (dbl)
            status = AGC.cublasDgemm(AGC.blas, tb_op, ta_op, (int)n, (int)m, (int)k,
                                     (const double *)alpha, (const double *)packed_b.data, ldb,
                                     (const double *)packed_a.data, lda, (const double *)beta,
                                     (double *)C->data, ldc);
        else
            status = AGC.cublasSgemm(AGC.blas, tb_op, ta_op, (int)n, (int)m, (int)k,
                                     (const float *)alpha, (const float *)packed_b.data, ldb,
                                     (const float *)packed_a.data, lda, (const float *)beta,
                                     (float *)C->data, ldc);
    }
    if (status != 0) {
        PyErr_Format(PyExc_RuntimeError, "%U: cuBLAS gemm failed (status %d)", fname, status);
        return -1;
    }
    return 0;
}

#endif /* ARIGNOTE_CUDA_HOST_H */
