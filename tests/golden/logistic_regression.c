/* arignote generated module */
#include "runtime.h"

typedef struct {
    PyObject *cells, *consts, *thunks, *descs;
    ag_slot slots[6];
    ag_slot scratch_a, scratch_b;
    PyObject *spares[2];
    PyObject *keep[1];
    double node_time[15];
    long long node_calls[15];
} ag_state;

static void state_free(PyObject *capsule) {
    ag_state *st = (ag_state *)PyCapsule_GetPointer(capsule, NULL);
    if (!st) return;
    Py_XDECREF(st->cells); Py_XDECREF(st->consts); Py_XDECREF(st->thunks);
    Py_XDECREF(st->descs);
    for (int i = 0; i < 6; i++) free(st->slots[i].ptr);
    free(st->scratch_a.ptr); free(st->scratch_b.ptr);
    for (int i = 0; i < 2; i++) Py_XDECREF(st->spares[i]);
    for (int i = 0; i < 1; i++) Py_XDECREF(st->keep[i]);
    free(st);
}

static PyObject *make(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "make(cells, consts, thunks, descs)");
        return NULL;
    }
    for (int i = 0; i < 4; i++)
        if (!PyTuple_Check(args[i])) {
            PyErr_SetString(PyExc_TypeError, "make() takes tuples");
            return NULL;
        }
    ag_state *st = (ag_state *)calloc(1, sizeof(ag_state));
    if (!st) return PyErr_NoMemory();
    st->cells = Py_NewRef(args[0]); st->consts = Py_NewRef(args[1]);
    st->thunks = Py_NewRef(args[2]); st->descs = Py_NewRef(args[3]);
    PyObject *capsule = PyCapsule_New(st, NULL, state_free);
    if (!capsule) { free(st); return NULL; }
    return capsule;
}

/* Composite{add,neg,softplus,mul,sub,softplus,neg,mul,sub} */
static __attribute__((noinline)) void kernel20(npy_intp lo, npy_intp hi, const double *p0, const double b1, const double *p2, double *q0, double *q1, double *q2, double *q3) {
    #pragma omp simd
    for (npy_intp i = lo; i < hi; i++) {
        const double x0 = p0[i];
        const double x1 = b1;
        const double x2 = p2[i];
        const double t0 = (double)((x0 + x1));
        const double t1 = (double)((-t0));
        const double t2 = (double)((log1p(exp(-fabs(((float64)(t1))))) + fmax(((float64)(t1)), 0)));
        const double t3 = (double)((x2 * t2));
        const double t4 = (double)((((float64)(((npy_int8)1LL))) - x2));
        const double t5 = (double)((log1p(exp(-fabs(((float64)(t0))))) + fmax(((float64)(t0)), 0)));
        const double t6 = (double)((-t5));
        const double t7 = (double)((t4 * t6));
        const double t8 = (double)((t3 - t7));
        q0[i] = (double)(t8);
        q1[i] = (double)(t0);
        q2[i] = (double)(t1);
        q3[i] = (double)(t4);
    }
}

/* Composite{neg,mul,sigmoid,mul,mul,sigmoid,mul,add} */
static __attribute__((noinline)) void kernel21(npy_intp lo, npy_intp hi, const double *p0, const double b1, const double *p2, const double *p3, const double *p4, double *q0) {
    #pragma omp simd
    for (npy_intp i = lo; i < hi; i++) {
        const double x0 = p0[i];
        const double x1 = b1;
        const double x2 = p2[i];
        const double x3 = p3[i];
        const double x4 = p4[i];
        const double t0 = (double)((-x0));
        const double t1 = (double)((x1 * t0));
        const double t2 = (double)((1 / (1 + exp(-(float64)(x2)))));
        const double t3 = (double)((t1 * t2));
        const double t4 = (double)((x1 * x3));
        const double t5 = (double)((1 / (1 + exp(-(float64)(x4)))));
        const double t6 = (double)((t4 * t5));
        const double t7 = (double)((t3 + t6));
        q0[i] = (double)(t7);
    }
}

/* Composite{mul,add,mul,sub} */
static __attribute__((noinline)) void kernel22(npy_intp lo, npy_intp hi, const double *restrict p0, const double *restrict p1, double *restrict q0) {
    #pragma omp simd
    for (npy_intp i = lo; i < hi; i++) {
        const double x0 = p0[i];
        const double x1 = p1[i];
        const double t0 = (double)((((double)0.02) * x0));
        const double t1 = (double)((t0 + x1));
        const double t2 = (double)((((double)0.1) * t1));
        const double t3 = (double)((x0 - t2));
        q0[i] = (double)(t3);
    }
}
static PyObject *run(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    ag_state *st = (ag_state *)PyCapsule_GetPointer(args[0], NULL);
    if (!st) return NULL;
    PyObject *res[1] = {0};
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "expected 2 arguments, got %zd", nargs - 1);
        return NULL;
    }
    if (!ag_accept(args[1], NPY_FLOAT64, 2, "00")) Py_RETURN_NOTIMPLEMENTED;
    ag_array in0; ag_from_numpy(&in0, (PyArrayObject *)args[1]);
    if (!ag_accept(args[2], NPY_FLOAT64, 1, "0")) Py_RETURN_NOTIMPLEMENTED;
    ag_array in1; ag_from_numpy(&in1, (PyArrayObject *)args[2]);
    if (!ag_accept(PyList_GET_ITEM(PyTuple_GET_ITEM(st->cells, 0), 0), NPY_FLOAT64, 1, "0")) { PyErr_SetString(PyExc_TypeError, "the shared variable w holds a value that is not a float64 vector"); goto fail; }
    ag_array in2; ag_from_numpy(&in2, (PyArrayObject *)PyList_GET_ITEM(PyTuple_GET_ITEM(st->cells, 0), 0));
    if (!ag_accept(PyList_GET_ITEM(PyTuple_GET_ITEM(st->cells, 1), 0), NPY_FLOAT64, 0, "")) { PyErr_SetString(PyExc_TypeError, "the shared variable b holds a value that is not a float64 scalar"); goto fail; }
    ag_array in3; ag_from_numpy(&in3, (PyArrayObject *)PyList_GET_ITEM(PyTuple_GET_ITEM(st->cells, 1), 0));
    /* 0: ShapeI{0}(float64(False,)) */
    ag_array v1; v1.ndim = 0;
    {
    if (ag_alloc_in_slot(&v1, &st->slots[0], 8) < 0) goto fail;
    *(npy_int64 *)v1.data = in1.shape[0];
    }
    /* 1: Dot(float64(False, False), float64(False,)) */
    ag_array v2; v2.ndim = 1;
    {
    if (in0.shape[1] != in2.shape[0]) { char a_[64], b_[64]; AG_FAIL(PyExc_ValueError, st->descs, 1, "dot: shapes %s and %s are not aligned: %ld (last dimension of the first) != %ld (first dimension of the second)", ag_shape_str(&in0, a_, 64), ag_shape_str(&in2, b_, 64), (long)in0.shape[1], (long)in2.shape[0]); }
    v2.shape[0] = in0.shape[0];
    if (ag_alloc_in_slot(&v2, &st->slots[1], 8) < 0) goto fail;
    const npy_intp k_ = in2.shape[0];
    if (k_ == 0 || ag_size(&v2) == 0) { memset(v2.data, 0, (size_t)ag_size(&v2) * 8); } else {
    ag_array a_ = in0, b_ = in2;
    if (ag_blas_layout(&a_, 8, &st->scratch_a) < 0 || ag_blas_layout(&b_, 8, &st->scratch_b) < 0) goto fail;
    scipy_cblas_dgemv(CblasRowMajor, ag_blas_trans(&a_), (int)ag_blas_rows(&a_), (int)ag_blas_cols(&a_), 1, (const double *)a_.data, ag_blas_ld(&a_, 8), (const double *)b_.data, (int)(b_.strides[0] / 8), 0, (double *)v2.data, 1);
    }
    }
    /* 2: DimShuffle{x}(float64()) */
    ag_array v3; v3.ndim = 1;
    {
    v3.data = in3.data;
    v3.shape[0] = 1; v3.strides[0] = 0;
    }
    /* 3: Elemwise{Composite{add,neg,softplus,mul,sub,softplus,neg,mul,sub}}(float64(False,), float64(True,), float64(False,)) */
    ag_array v4; v4.ndim = 1;
    ag_array v5; v5.ndim = 1;
    ag_array v6; v6.ndim = 1;
    ag_array v7; v7.ndim = 1;
    {
    if (in1.shape[0] != v2.shape[0]) { char a_[64], b_[64]; AG_FAIL(PyExc_ValueError, st->descs, 3, "input shapes %s and %s do not match in dimension 0 (inputs 0 and 2); broadcasting needs that dimension declared broadcastable", ag_shape_str(&v2, a_, 64), ag_shape_str(&in1, b_, 64)); }
    v4.shape[0] = v2.shape[0];
    v5.shape[0] = v2.shape[0];
    v6.shape[0] = v2.shape[0];
    v7.shape[0] = v2.shape[0];
    if (ag_alloc_in_slot(&v4, &st->slots[1], 8) < 0) goto fail;
    if (ag_alloc_in_slot(&v5, &st->slots[2], 8) < 0) goto fail;
    if (ag_alloc_in_slot(&v6, &st->slots[3], 8) < 0) goto fail;
    if (ag_alloc_in_slot(&v7, &st->slots[4], 8) < 0) goto fail;
    const npy_intp n_ = ag_size(&v4);
    if (ag_is_contiguous(&v2, 8) && ag_is_contiguous(&in1, 8)) {
        if (n_ > 1048576) {
            #pragma omp parallel
            {
                const npy_intp nt_ = omp_get_num_threads(), t_ = omp_get_thread_num();
                const npy_intp chunk_ = (n_ + nt_ - 1) / nt_;
                const npy_intp lo_ = t_ * chunk_, hi_ = lo_ + chunk_ < n_ ? lo_ + chunk_ : n_;
                if (lo_ < hi_) kernel20(lo_, hi_, (const double *)v2.data, *(const double *)v3.data, (const double *)in1.data, (double *)v4.data, (double *)v5.data, (double *)v6.data, (double *)v7.data);
            }
        } else kernel20(0, n_, (const double *)v2.data, *(const double *)v3.data, (const double *)in1.data, (double *)v4.data, (double *)v5.data, (double *)v6.data, (double *)v7.data);
    } else {
        for (npy_intp i0 = 0; i0 < v4.shape[0]; i0++) {
            const double x0 = *(const double *)(v2.data + i0 * v2.strides[0]);
            const double x1 = *(const double *)(v3.data + 0);
            const double x2 = *(const double *)(in1.data + i0 * in1.strides[0]);
            const double t0 = (double)((x0 + x1));
            const double t1 = (double)((-t0));
            const double t2 = (double)((log1p(exp(-fabs(((float64)(t1))))) + fmax(((float64)(t1)), 0)));
            const double t3 = (double)((x2 * t2));
            const double t4 = (double)((((float64)(((npy_int8)1LL))) - x2));
            const double t5 = (double)((log1p(exp(-fabs(((float64)(t0))))) + fmax(((float64)(t0)), 0)));
            const double t6 = (double)((-t5));
            const double t7 = (double)((t4 * t6));
            const double t8 = (double)((t3 - t7));
            *(double *)(v4.data + i0 * v4.strides[0]) = (double)(t8);
            *(double *)(v5.data + i0 * v5.strides[0]) = (double)(t0);
            *(double *)(v6.data + i0 * v6.strides[0]) = (double)(t1);
            *(double *)(v7.data + i0 * v7.strides[0]) = (double)(t4);
        }
    }
    }
    /* 4: Sum{(0,), None, None}(float64(False,)) */
    ag_array v8; v8.ndim = 0;
    {
    npy_intp shape_[1];
    shape_[0] = v4.shape[0];
    if (ag_alloc_in_slot(&v8, &st->slots[5], 8) < 0) goto fail;
    double acc_ = 0;
    {
        double r_ = acc_;
        if (shape_[0] >= 32) {
        #pragma omp simd reduction(+:r_)
        for (npy_intp i0 = 0; i0 < shape_[0]; i0++) {
            const double x0 = *(const double *)(v4.data + i0 * v4.strides[0]);
            const double v_ = (double)(x0);
            r_ += (double)v_;
        }
        } else {
        for (npy_intp i0 = 0; i0 < shape_[0]; i0++) {
            const double x0 = *(const double *)(v4.data + i0 * v4.strides[0]);
            const double v_ = (double)(x0);
            r_ += (double)v_;
        }
        }
        acc_ = r_;
    }
    *(double *)v8.data = (double)acc_;
    }
    /* 5: FusedReduce{sum, (0,), Sqr}(float64(False,)) */
    ag_array v9; v9.ndim = 0;
    {
    npy_intp shape_[1];
    shape_[0] = in2.shape[0];
    if (ag_alloc_in_slot(&v9, &st->slots[1], 8) < 0) goto fail;
    double acc_ = 0;
    {
        double r_ = acc_;
        if (shape_[0] >= 32) {
        #pragma omp simd reduction(+:r_)
        for (npy_intp i0 = 0; i0 < shape_[0]; i0++) {
            const double x0 = *(const double *)(in2.data + i0 * in2.strides[0]);
            const double e0 = (double)((x0 * x0));
            const double v_ = (double)(e0);
            r_ += (double)v_;
        }
        } else {
        for (npy_intp i0 = 0; i0 < shape_[0]; i0++) {
            const double x0 = *(const double *)(in2.data + i0 * in2.strides[0]);
            const double e0 = (double)((x0 * x0));
            const double v_ = (double)(e0);
            r_ += (double)v_;
        }
        }
        acc_ = r_;
    }
    *(double *)v9.data = (double)acc_;
    }
    /* 6: Elemwise{Composite{cast{float64},truediv,mul,add}}(int64(), float64(), float64()) */
    ag_array v10; v10.ndim = 0;
    ag_array v11; v11.ndim = 0;
    {
    if (ag_alloc_array(&v10, &res[0], NPY_FLOAT64) < 0) goto fail;
    if (ag_alloc_in_slot(&v11, &st->slots[1], 8) < 0) goto fail;
    {
        const npy_int64 x0 = *(const npy_int64 *)(v1.data + 0);
        const double x1 = *(const double *)(v8.data + 0);
        const double x2 = *(const double *)(v9.data + 0);
        const double t0 = (double)(((float64)x0));
        const double t1 = (double)(((float64)(x1) / (float64)(t0)));
        const double t2 = (double)((((double)0.01) * x2));
        const double t3 = (double)((t1 + t2));
        *(double *)(v10.data + 0) = (double)(t3);
        *(double *)(v11.data + 0) = (double)(t0);
    }
    }
    /* 7: DimShuffle{1,0}(float64(False, False)) */
    ag_array v12; v12.ndim = 2;
    {
    v12.data = in0.data;
    v12.shape[0] = in0.shape[1]; v12.strides[0] = in0.strides[1];
    v12.shape[1] = in0.shape[0]; v12.strides[1] = in0.strides[0];
    }
    /* 8: Elemwise{Composite{truediv}}(float64()) */
    ag_array v13; v13.ndim = 0;
    {
    if (ag_alloc_in_slot(&v13, &st->slots[1], 8) < 0) goto fail;
    {
        const double x0 = *(const double *)(v11.data + 0);
        const double t0 = (double)(((float64)(((double)1.0)) / (float64)(x0)));
        *(double *)(v13.data + 0) = (double)(t0);
    }
    }
    /* 9: DimShuffle{x}(float64()) */
    ag_array v14; v14.ndim = 1;
    {
    v14.data = v13.data;
    v14.shape[0] = 1; v14.strides[0] = 0;
    }
    /* 10: Elemwise{Composite{neg,mul,sigmoid,mul,mul,sigmoid,mul,add}}(float64(False,), float64(True,), float64(False,), float64(False,), float64(False,)) */
    ag_array v15; v15.ndim = 1;
    {
    if (v6.shape[0] != in1.shape[0]) { char a_[64], b_[64]; AG_FAIL(PyExc_ValueError, st->descs, 10, "input shapes %s and %s do not match in dimension 0 (inputs 0 and 2); broadcasting needs that dimension declared broadcastable", ag_shape_str(&in1, a_, 64), ag_shape_str(&v6, b_, 64)); }
    if (v7.shape[0] != in1.shape[0]) { char a_[64], b_[64]; AG_FAIL(PyExc_ValueError, st->descs, 10, "input shapes %s and %s do not match in dimension 0 (inputs 0 and 3); broadcasting needs that dimension declared broadcastable", ag_shape_str(&in1, a_, 64), ag_shape_str(&v7, b_, 64)); }
    if (v5.shape[0] != in1.shape[0]) { char a_[64], b_[64]; AG_FAIL(PyExc_ValueError, st->descs, 10, "input shapes %s and %s do not match in dimension 0 (inputs 0 and 4); broadcasting needs that dimension declared broadcastable", ag_shape_str(&in1, a_, 64), ag_shape_str(&v5, b_, 64)); }
    v15.shape[0] = in1.shape[0];
    if (ag_alloc_in_slot(&v15, &st->slots[2], 8) < 0) goto fail;
    const npy_intp n_ = ag_size(&v15);
    if (ag_is_contiguous(&in1, 8) && ag_is_contiguous(&v6, 8) && ag_is_contiguous(&v7, 8) && ag_is_contiguous(&v5, 8)) {
        if (n_ > 1048576) {
            #pragma omp parallel
            {
                const npy_intp nt_ = omp_get_num_threads(), t_ = omp_get_thread_num();
                const npy_intp chunk_ = (n_ + nt_ - 1) / nt_;
                const npy_intp lo_ = t_ * chunk_, hi_ = lo_ + chunk_ < n_ ? lo_ + chunk_ : n_;
                if (lo_ < hi_) kernel21(lo_, hi_, (const double *)in1.data, *(const double *)v14.data, (const double *)v6.data, (const double *)v7.data, (const double *)v5.data, (double *)v15.data);
            }
        } else kernel21(0, n_, (const double *)in1.data, *(const double *)v14.data, (const double *)v6.data, (const double *)v7.data, (const double *)v5.data, (double *)v15.data);
    } else {
        for (npy_intp i0 = 0; i0 < v15.shape[0]; i0++) {
            const double x0 = *(const double *)(in1.data + i0 * in1.strides[0]);
            const double x1 = *(const double *)(v14.data + 0);
            const double x2 = *(const double *)(v6.data + i0 * v6.strides[0]);
            const double x3 = *(const double *)(v7.data + i0 * v7.strides[0]);
            const double x4 = *(const double *)(v5.data + i0 * v5.strides[0]);
            const double t0 = (double)((-x0));
            const double t1 = (double)((x1 * t0));
            const double t2 = (double)((1 / (1 + exp(-(float64)(x2)))));
            const double t3 = (double)((t1 * t2));
            const double t4 = (double)((x1 * x3));
            const double t5 = (double)((1 / (1 + exp(-(float64)(x4)))));
            const double t6 = (double)((t4 * t5));
            const double t7 = (double)((t3 + t6));
            *(double *)(v15.data + i0 * v15.strides[0]) = (double)(t7);
        }
    }
    }
    /* 11: Dot(float64(False, False), float64(False,)) */
    ag_array v16; v16.ndim = 1;
    {
    if (v12.shape[1] != v15.shape[0]) { char a_[64], b_[64]; AG_FAIL(PyExc_ValueError, st->descs, 11, "dot: shapes %s and %s are not aligned: %ld (last dimension of the first) != %ld (first dimension of the second)", ag_shape_str(&v12, a_, 64), ag_shape_str(&v15, b_, 64), (long)v12.shape[1], (long)v15.shape[0]); }
    v16.shape[0] = v12.shape[0];
    if (ag_alloc_in_slot(&v16, &st->slots[1], 8) < 0) goto fail;
    const npy_intp k_ = v15.shape[0];
    if (k_ == 0 || ag_size(&v16) == 0) { memset(v16.data, 0, (size_t)ag_size(&v16) * 8); } else {
    ag_array a_ = v12, b_ = v15;
    if (ag_blas_layout(&a_, 8, &st->scratch_a) < 0 || ag_blas_layout(&b_, 8, &st->scratch_b) < 0) goto fail;
    scipy_cblas_dgemv(CblasRowMajor, ag_blas_trans(&a_), (int)ag_blas_rows(&a_), (int)ag_blas_cols(&a_), 1, (const double *)a_.data, ag_blas_ld(&a_, 8), (const double *)b_.data, (int)(b_.strides[0] / 8), 0, (double *)v16.data, 1);
    }
    }
    /* 12: Elemwise{Composite{mul,add,mul,sub}}(float64(False,), float64(False,)) */
    ag_array v17; v17.ndim = 1;
    {
    if (v16.shape[0] != in2.shape[0]) { char a_[64], b_[64]; AG_FAIL(PyExc_ValueError, st->descs, 12, "input shapes %s and %s do not match in dimension 0 (inputs 0 and 1); broadcasting needs that dimension declared broadcastable", ag_shape_str(&in2, a_, 64), ag_shape_str(&v16, b_, 64)); }
    v17.shape[0] = in2.shape[0];
    if (ag_alloc_spare(&v17, &st->spares[0], NPY_FLOAT64) < 0) goto fail;
    const npy_intp n_ = ag_size(&v17);
    if (ag_is_contiguous(&in2, 8) && ag_is_contiguous(&v16, 8)) {
        if (n_ > 1048576) {
            #pragma omp parallel
            {
                const npy_intp nt_ = omp_get_num_threads(), t_ = omp_get_thread_num();
                const npy_intp chunk_ = (n_ + nt_ - 1) / nt_;
                const npy_intp lo_ = t_ * chunk_, hi_ = lo_ + chunk_ < n_ ? lo_ + chunk_ : n_;
                if (lo_ < hi_) kernel22(lo_, hi_, (const double *)in2.data, (const double *)v16.data, (double *)v17.data);
            }
        } else kernel22(0, n_, (const double *)in2.data, (const double *)v16.data, (double *)v17.data);
    } else {
        for (npy_intp i0 = 0; i0 < v17.shape[0]; i0++) {
            const double x0 = *(const double *)(in2.data + i0 * in2.strides[0]);
            const double x1 = *(const double *)(v16.data + i0 * v16.strides[0]);
            const double t0 = (double)((((double)0.02) * x0));
            const double t1 = (double)((t0 + x1));
            const double t2 = (double)((((double)0.1) * t1));
            const double t3 = (double)((x0 - t2));
            *(double *)(v17.data + i0 * v17.strides[0]) = (double)(t3);
        }
    }
    }
    /* 13: Sum{(0,), None, None}(float64(False,)) */
    ag_array v18; v18.ndim = 0;
    {
    npy_intp shape_[1];
    shape_[0] = v15.shape[0];
    if (ag_alloc_in_slot(&v18, &st->slots[1], 8) < 0) goto fail;
    double acc_ = 0;
    {
        double r_ = acc_;
        if (shape_[0] >= 32) {
        #pragma omp simd reduction(+:r_)
        for (npy_intp i0 = 0; i0 < shape_[0]; i0++) {
            const double x0 = *(const double *)(v15.data + i0 * v15.strides[0]);
            const double v_ = (double)(x0);
            r_ += (double)v_;
        }
        } else {
        for (npy_intp i0 = 0; i0 < shape_[0]; i0++) {
            const double x0 = *(const double *)(v15.data + i0 * v15.strides[0]);
            const double v_ = (double)(x0);
            r_ += (double)v_;
        }
        }
        acc_ = r_;
    }
    *(double *)v18.data = (double)acc_;
    }
    /* 14: Elemwise{Composite{mul,sub}}(float64(), float64()) */
    ag_array v19; v19.ndim = 0;
    {
    if (ag_alloc_spare(&v19, &st->spares[1], NPY_FLOAT64) < 0) goto fail;
    {
        const double x0 = *(const double *)(v18.data + 0);
        const double x1 = *(const double *)(in3.data + 0);
        const double t0 = (double)((((double)0.1) * x0));
        const double t1 = (double)((x1 - t0));
        *(double *)(v19.data + 0) = (double)(t1);
    }
    }
    PyObject *result = res[0]; res[0] = NULL;
    { PyObject *cell_ = PyTuple_GET_ITEM(st->cells, 0); PyObject *old_ = PyList_GET_ITEM(cell_, 0); PyList_SET_ITEM(cell_, 0, st->spares[0]); st->spares[0] = old_; }
    { PyObject *cell_ = PyTuple_GET_ITEM(st->cells, 1); PyObject *old_ = PyList_GET_ITEM(cell_, 0); PyList_SET_ITEM(cell_, 0, st->spares[1]); st->spares[1] = old_; }
    return result;
fail:
    for (int i = 0; i < 1; i++) Py_XDECREF(res[i]);
    return NULL;
}

static PyObject *timings(PyObject *self, PyObject *capsule) {
    ag_state *st = (ag_state *)PyCapsule_GetPointer(capsule, NULL);
    if (!st) return NULL;
    PyObject *times = PyList_New(15), *calls = PyList_New(15);
    if (!times || !calls) { Py_XDECREF(times); Py_XDECREF(calls); return NULL; }
    for (int i = 0; i < 15; i++) {
        PyList_SET_ITEM(times, i, PyFloat_FromDouble(st->node_time[i]));
        PyList_SET_ITEM(calls, i, PyLong_FromLongLong(st->node_calls[i]));
    }
    return Py_BuildValue("(NN)", times, calls);
}

static PyObject *failed_node(PyObject *self, PyObject *unused) {
    return PyLong_FromLong(ag_failed_node);
}

static PyMethodDef methods[] = {
    {"failed_node", failed_node, METH_NOARGS, "index of the node that raised last"},
    {"timings", timings, METH_O, "seconds and calls per node (profiling builds)"},
    {"make", (PyCFunction)(void (*)(void))make, METH_FASTCALL, "make the call state"},
    {"run", (PyCFunction)(void (*)(void))run, METH_FASTCALL, "run the function"},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, AG_MODULE_NAME_STR, NULL, -1,
                                     methods};

PyMODINIT_FUNC AG_INIT_FUNCTION(void) {
    import_array();
    return PyModule_Create(&module);
}
