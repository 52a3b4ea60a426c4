/* arignote runtime support for generated function modules.
 *
 * Every generated module includes this header. A value inside a generated function is an
 * ag_array: a data pointer with shape and byte strides (views are free: no allocation).
 * Intermediate buffers come from per-function slots that grow and are kept across calls.
 */
#ifndef ARIGNOTE_RUNTIME_H
#define ARIGNOTE_RUNTIME_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#else
#define omp_get_num_threads() 1
#define omp_get_thread_num() 0
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdbool.h>

#define AG_MAXDIM 16

/* numpy dtype names as C types, so scalar ops can write casts like ((float32)x). */
typedef npy_int8 int8;
typedef npy_int16 int16;
typedef npy_int32 int32;
typedef npy_int64 int64;
typedef npy_uint8 uint8;
typedef npy_uint16 uint16;
typedef npy_uint32 uint32;
typedef npy_uint64 uint64;
typedef float float32;
typedef double float64;
#include "scalar_math.h"

typedef struct {
    char *data;
    int ndim;
    npy_intp shape[AG_MAXDIM];
    npy_intp strides[AG_MAXDIM]; /* in bytes */
} ag_array;

typedef struct {
    void *ptr;
    size_t cap;
} ag_slot;

/* Vectorised libm (glibc libmvec): these declarations let `#pragma omp simd` loops call the
 * SIMD variants while keeping IEEE semantics (no -ffast-math). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__CUDACC__)
#define AG_SIMD __attribute__((simd("notinbranch")))
AG_SIMD float expf(float);
AG_SIMD float logf(float);
AG_SIMD float sinf(float);
AG_SIMD float cosf(float);
AG_SIMD float tanhf(float);
AG_SIMD float powf(float, float);
AG_SIMD float log1pf(float);
AG_SIMD float expm1f(float);
AG_SIMD double exp(double);
AG_SIMD double log(double);
AG_SIMD double sin(double);
AG_SIMD double cos(double);
AG_SIMD double tanh(double);
AG_SIMD double pow(double, double);
AG_SIMD double log1p(double);
AG_SIMD double expm1(double);
#endif

#include <time.h>

/* Monotonic seconds, for profiling builds. */
static inline double ag_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

static inline npy_intp ag_size(const ag_array *a) {
    npy_intp n = 1;
    for (int i = 0; i < a->ndim; i++) n *= a->shape[i];
    return n;
}

/* Sets C-contiguous strides for the shape already in `a`. */
static inline void ag_set_contiguous(ag_array *a, npy_intp itemsize) {
    npy_intp stride = itemsize;
    for (int i = a->ndim - 1; i >= 0; i--) {
        a->strides[i] = stride;
        stride *= a->shape[i] > 0 ? a->shape[i] : 1;
    }
}

static inline int ag_is_contiguous(const ag_array *a, npy_intp itemsize) {
    npy_intp stride = itemsize;
    for (int i = a->ndim - 1; i >= 0; i--) {
        if (a->shape[i] != 1 && a->strides[i] != stride) return 0;
        stride *= a->shape[i];
    }
    return 1;
}

/* Makes `slot` hold at least `nbytes` (64-byte aligned); data is not preserved. */
static inline int ag_slot_reserve(ag_slot *slot, size_t nbytes) {
    if (nbytes == 0) nbytes = 1;
    if (slot->cap >= nbytes) return 0;
    free(slot->ptr);
    size_t rounded = (nbytes + 63) & ~(size_t)63;
    slot->ptr = aligned_alloc(64, rounded);
    if (!slot->ptr) {
        slot->cap = 0;
        PyErr_NoMemory();
        return -1;
    }
    slot->cap = rounded;
    return 0;
}

/* Makes `slot` hold at least `nbytes`, keeping its first `used` bytes (growing buffers). */
static inline int ag_slot_grow(ag_slot *slot, size_t nbytes, size_t used) {
    if (slot->cap >= nbytes) return 0;
    size_t rounded = (nbytes + 63) & ~(size_t)63;
    void *fresh = aligned_alloc(64, rounded);
    if (!fresh) {
        PyErr_NoMemory();
        return -1;
    }
    if (used) memcpy(fresh, slot->ptr, used);
    free(slot->ptr);
    slot->ptr = fresh;
    slot->cap = rounded;
    return 0;
}

/* Points `a` (shape already set) at a contiguous buffer from `slot`. */
static inline int ag_alloc_in_slot(ag_array *a, ag_slot *slot, npy_intp itemsize) {
    if (ag_slot_reserve(slot, (size_t)(ag_size(a) * itemsize)) < 0) return -1;
    a->data = (char *)slot->ptr;
    ag_set_contiguous(a, itemsize);
    return 0;
}

/* Allocates a fresh numpy array for `a` (shape already set); the array is stored in *owner. */
static inline int ag_alloc_array(ag_array *a, PyObject **owner, int typenum) {
    PyObject *array = PyArray_SimpleNew(a->ndim, a->shape, typenum);
    if (!array) return -1;
    Py_XDECREF(*owner);
    *owner = array;
    a->data = PyArray_BYTES((PyArrayObject *)array);
    ag_set_contiguous(a, PyArray_ITEMSIZE((PyArrayObject *)array));
    return 0;
}

/* Reuses *spare as the result buffer when nobody else holds it and the shape matches. */
static inline int ag_alloc_spare(ag_array *a, PyObject **spare, int typenum) {
    PyArrayObject *old = (PyArrayObject *)*spare;
    if (old && Py_REFCNT(old) == 1 && PyArray_NDIM(old) == a->ndim &&
        PyArray_ISCARRAY(old) && PyArray_TYPE(old) == typenum &&
        memcmp(PyArray_DIMS(old), a->shape, sizeof(npy_intp) * a->ndim) == 0) {
        a->data = PyArray_BYTES(old);
        ag_set_contiguous(a, PyArray_ITEMSIZE(old));
        return 0;
    }
    return ag_alloc_array(a, spare, typenum);
}

static inline void ag_from_numpy(ag_array *a, PyArrayObject *array) {
    a->data = PyArray_BYTES(array);
    a->ndim = PyArray_NDIM(array);
    for (int i = 0; i < a->ndim; i++) {
        a->shape[i] = PyArray_DIMS(array)[i];
        a->strides[i] = PyArray_STRIDES(array)[i];
    }
}

/* A read-only numpy view of `a` (no copy); `base` keeps the memory alive if not NULL. */
static inline PyObject *ag_to_numpy(const ag_array *a, int typenum, PyObject *base) {
    PyObject *array = PyArray_New(&PyArray_Type, a->ndim, (npy_intp *)a->shape, typenum,
                                  (npy_intp *)a->strides, a->data, 0, NPY_ARRAY_ALIGNED, NULL);
    if (array && base) {
        Py_INCREF(base);
        if (PyArray_SetBaseObject((PyArrayObject *)array, base) < 0) {
            Py_DECREF(array);
            return NULL;
        }
    }
    return array;
}

/* A writable numpy view of `a`, for a node that overwrites its input (destroy_map). */
static inline PyObject *ag_to_numpy_writable(const ag_array *a, int typenum, PyObject *base) {
    PyObject *array = PyArray_New(&PyArray_Type, a->ndim, (npy_intp *)a->shape, typenum,
                                  (npy_intp *)a->strides, a->data, 0,
                                  NPY_ARRAY_ALIGNED | NPY_ARRAY_WRITEABLE, NULL);
    (void)base;
    return array;
}

/* A fresh, owned, C-contiguous copy of `a` as a numpy array. */
static inline PyObject *ag_copy_to_numpy(const ag_array *a, int typenum) {
    PyObject *view = ag_to_numpy(a, typenum, NULL);
    if (!view) return NULL;
    PyObject *copy = PyArray_NewCopy((PyArrayObject *)view, NPY_CORDER);
    Py_DECREF(view);
    return copy;
}

/* Copies `src` into `dst` (same shape; any strides), element by element of `itemsize` bytes. */
static inline void ag_copy(ag_array *dst, const ag_array *src, npy_intp itemsize) {
    npy_intp n = ag_size(src);
    if (n == 0 || (dst->data == src->data && !memcmp(dst->strides, src->strides,
                                                      sizeof(npy_intp) * src->ndim))) return;
    if (ag_is_contiguous(dst, itemsize) && ag_is_contiguous(src, itemsize)) {
        memcpy(dst->data, src->data, (size_t)(n * itemsize));
        return;
    }
    npy_intp index[AG_MAXDIM] = {0};
    int nd = src->ndim;
    for (npy_intp k = 0; k < n; k++) {
        char *d = dst->data, *s = src->data;
        for (int i = 0; i < nd; i++) {
            d += index[i] * dst->strides[i];
            s += index[i] * src->strides[i];
        }
        memcpy(d, s, (size_t)itemsize);
        for (int i = nd - 1; i >= 0; i--) {
            if (++index[i] < src->shape[i]) break;
            index[i] = 0;
        }
    }
}

/* Checks an argument: an ndarray of the exact dtype and rank, broadcastable dims of length 1.
 * Returns 1 if it fits, 0 if Python must convert it first. */
static inline int ag_accept(PyObject *obj, int typenum, int ndim, const char *broadcastable) {
    if (!PyArray_Check(obj)) return 0;
    PyArrayObject *array = (PyArrayObject *)obj;
    if (PyArray_TYPE(array) != typenum || PyArray_NDIM(array) != ndim) return 0;
    if (!PyArray_ISALIGNED(array) || PyArray_ISBYTESWAPPED(array)) return 0;
    for (int i = 0; i < ndim; i++)
        if (broadcastable[i] == '1' && PyArray_DIMS(array)[i] != 1) return 0;
    return 1;
}

static inline const char *ag_shape_str(const ag_array *a, char *buffer, size_t size) {
    size_t used = 0;
    used += snprintf(buffer + used, size - used, "(");
    for (int i = 0; i < a->ndim && used < size; i++)
        used += snprintf(buffer + used, size - used, i + 1 == a->ndim && a->ndim > 1 ? "%ld"
                         : (a->ndim == 1 ? "%ld," : "%ld, "), (long)a->shape[i]);
    if (used < size) snprintf(buffer + used, size - used, ")");
    return buffer;
}

/* Index of the node whose check failed last (read by Python to attach the node). */
static int ag_failed_node = -1;

/* Raises `type` with "<node head><message><node tail>"; the node's (head, tail) texts come
 * from Python (the node, its input types, the user lines that built it). */
#define AG_FAIL(type, descs, node, ...)                                                      \
    do {                                                                                     \
        char ag_message_[512];                                                               \
        ag_failed_node = (node);                                                             \
        snprintf(ag_message_, sizeof ag_message_, __VA_ARGS__);                              \
        PyObject *ag_desc_ = PyTuple_GET_ITEM(descs, node);                                  \
        PyErr_Format(type, "%U%s%U", PyTuple_GET_ITEM(ag_desc_, 0), ag_message_,             \
                     PyTuple_GET_ITEM(ag_desc_, 1));                                         \
        goto fail;                                                                           \
    } while (0)

#ifdef AG_HAVE_BLAS
#include <cblas.h>

/* Makes a 1-d or 2-d operand usable by BLAS: row-major or column-major with positive
 * leading dimension (a 1-d one with a positive stride); otherwise packs it into `scratch`. */
static inline int ag_blas_layout(ag_array *a, npy_intp itemsize, ag_slot *scratch) {
    if (a->ndim == 2) {
        if (a->shape[1] == 1) a->strides[1] = itemsize;
        if (a->shape[0] == 1) a->strides[0] = a->shape[1] * itemsize;
        int row_major = a->strides[1] == itemsize && a->strides[0] >= a->shape[1] * itemsize &&
                        a->strides[0] % itemsize == 0;
        int col_major = a->strides[0] == itemsize && a->strides[1] >= a->shape[0] * itemsize &&
                        a->strides[1] % itemsize == 0;
        if (row_major || col_major) return 0;
    } else if (a->ndim == 1) {
        if (a->shape[0] <= 1) a->strides[0] = itemsize;
        if (a->strides[0] > 0 && a->strides[0] % itemsize == 0) return 0;
    }
    ag_array packed = *a;
    if (ag_alloc_in_slot(&packed, scratch, itemsize) < 0) return -1;
    ag_copy(&packed, a, itemsize);
    *a = packed;
    return 0;
}

static inline int ag_blas_is_row_major(const ag_array *a) {
    return a->strides[1] != a->strides[0] ? a->strides[1] <= a->strides[0] : 1;
}

static inline enum CBLAS_TRANSPOSE ag_blas_trans(const ag_array *a) {
    return ag_blas_is_row_major(a) ? CblasNoTrans : CblasTrans;
}

static inline int ag_blas_ld(const ag_array *a, npy_intp itemsize) {
    npy_intp ld = (ag_blas_is_row_major(a) ? a->strides[0] : a->strides[1]) / itemsize;
    return (int)(ld > 0 ? ld : 1);
}

/* Rows and columns of the matrix as stored (transposed when column-major). */
static inline npy_intp ag_blas_rows(const ag_array *a) {
    return ag_blas_is_row_major(a) ? a->shape[0] : a->shape[1];
}

static inline npy_intp ag_blas_cols(const ag_array *a) {
    return ag_blas_is_row_major(a) ? a->shape[1] : a->shape[0];
}
#endif

/* Integer helpers with Python semantics (floor division and modulo). */
#define AG_DEFINE_INT_HELPERS(T, NAME)                                                       \
    static inline T ag_floordiv_##NAME(T a, T b) {                                           \
        if (b == 0) return 0;                                                                \
        T q = a / b;                                                                         \
        if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;                                    \
        return q;                                                                            \
    }                                                                                        \
    static inline T ag_mod_##NAME(T a, T b) {                                                \
        if (b == 0) return 0;                                                                \
        T r = a % b;                                                                         \
        if (r != 0 && ((r < 0) != (b < 0))) r += b;                                          \
        return r;                                                                            \
    }
AG_DEFINE_INT_HELPERS(npy_int8, int8)
AG_DEFINE_INT_HELPERS(npy_int16, int16)
AG_DEFINE_INT_HELPERS(npy_int32, int32)
AG_DEFINE_INT_HELPERS(npy_int64, int64)

#endif
