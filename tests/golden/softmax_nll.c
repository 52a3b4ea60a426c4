/* arignote generated module */
#include "runtime.h"

typedef struct {
    PyObject *cells, *consts, *thunks, *descs;
    ag_slot slots[2];
    ag_slot scratch_a, scratch_b;
    PyObject *spares[1];
    PyObject *keep[2];
} ag_state;

static void state_free(PyObject *capsule) {
    ag_state *st = (ag_state *)PyCapsule_GetPointer(capsule, NULL);
    if (!st) return;
    Py_XDECREF(st->cells); Py_XDECREF(st->consts); Py_XDECREF(st->thunks);
    Py_XDECREF(st->descs);
    for (int i = 0; i < 2; i++) free(st->slots[i].ptr);
    free(st->scratch_a.ptr); free(st->scratch_b.ptr);
    for (int i = 0; i < 1; i++) Py_XDECREF(st->spares[i]);
    for (int i = 0; i < 2; i++) Py_XDECREF(st->keep[i]);
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

/* Composite{cast{float32},truediv,neg} */
static __attribute__((noinline)) void kernel10(npy_intp lo, npy_intp hi, const npy_int64 *restrict p0, const float *restrict p1, float *restrict q0) {
    #pragma omp simd
    for (npy_intp i = lo; i < hi; i++) {
        const npy_int64 x0 = p0[i];
        const float x1 = p1[i];
        const float t0 = (float)(((float32)x0));
        const float t1 = (float)(((float32)(x1) / (float32)(t0)));
        const float t2 = (float)((-t1));
        q0[i] = (float)(t2);
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
    if (!ag_accept(args[1], NPY_FLOAT32, 2, "00")) Py_RETURN_NOTIMPLEMENTED;
    ag_array in0; ag_from_numpy(&in0, (PyArrayObject *)args[1]);
    if (!ag_accept(args[2], NPY_INT32, 1, "0")) Py_RETURN_NOTIMPLEMENTED;
    ag_array in1; ag_from_numpy(&in1, (PyArrayObject *)args[2]);
    if (!ag_accept(PyList_GET_ITEM(PyTuple_GET_ITEM(st->cells, 0), 0), NPY_FLOAT32, 2, "00")) { PyErr_SetString(PyExc_TypeError, "the shared variable W holds a value that is not a float32 matrix"); goto fail; }
    ag_array in2; ag_from_numpy(&in2, (PyArrayObject *)PyList_GET_ITEM(PyTuple_GET_ITEM(st->cells, 0), 0));
    ag_array c0; ag_from_numpy(&c0, (PyArrayObject *)PyTuple_GET_ITEM(st->consts, 0));
    ag_array c1; ag_from_numpy(&c1, (PyArrayObject *)PyTuple_GET_ITEM(st->consts, 1));
    /* 0: Dot(float32(False, False), float32(False, False)) */
    ag_array v1; v1.ndim = 2;
    {
    if (in0.shape[1] != in2.shape[0]) { char a_[64], b_[64]; AG_FAIL(PyExc_ValueError, st->descs, 0, "dot: shapes %s and %s are not aligned: %ld (last dimension of the first) != %ld (first dimension of the second)", ag_shape_str(&in0, a_, 64), ag_shape_str(&in2, b_, 64), (long)in0.shape[1], (long)in2.shape[0]); }
    v1.shape[0] = in0.shape[0];
    v1.shape[1] = in2.shape[1];
    if (ag_alloc_in_slot(&v1, &st->slots[0], 4) < 0) goto fail;
    const npy_intp k_ = in2.shape[0];
    if (k_ == 0 || ag_size(&v1) == 0) { memset(v1.data, 0, (size_t)ag_size(&v1) * 4); } else {
    ag_array a_ = in0, b_ = in2;
    if (ag_blas_layout(&a_, 4, &st->scratch_a) < 0 || ag_blas_layout(&b_, 4, &st->scratch_b) < 0) goto fail;
    scipy_cblas_sgemm(CblasRowMajor, ag_blas_trans(&a_), ag_blas_trans(&b_), (int)v1.shape[0], (int)v1.shape[1], (int)k_, 1, (const float *)a_.data, ag_blas_ld(&a_, 4), (const float *)b_.data, ag_blas_ld(&b_, 4), 0, (float *)v1.data, (int)v1.shape[1]);
    }
    }
    /* 1: LogSoftmax(float32(False, False)) */
    ag_array v2; v2.ndim = 2;
    {
    v2.shape[0] = v1.shape[0]; v2.shape[1] = v1.shape[1];
    if (ag_alloc_in_slot(&v2, &st->slots[1], 4) < 0) goto fail;
    const npy_intp rows_ = v1.shape[0], cols_ = v1.shape[1];
    #pragma omp parallel for if(rows_ * cols_ > 65536)
    for (npy_intp r_ = 0; r_ < rows_; r_++) {
        const char *in_ = v1.data + r_ * v1.strides[0];
        float *o_ = (float *)(v2.data + r_ * v2.strides[0]);
        const npy_intp s_ = v1.strides[1];
        float peak_ = -INFINITY;
        for (npy_intp c_ = 0; c_ < cols_; c_++) {
            const float v_ = *(const float *)(in_ + c_ * s_);
            if (v_ > peak_ || v_ != v_) peak_ = v_;
        }
        float total_ = 0;
        for (npy_intp c_ = 0; c_ < cols_; c_++) {
            const float v_ = *(const float *)(in_ + c_ * s_) - peak_;
            o_[c_] = v_;
            total_ += expf(v_);
        }
        const float shift_ = logf(total_);
        for (npy_intp c_ = 0; c_ < cols_; c_++) o_[c_] -= shift_;
    }
    }
    /* 2: Shape(int32(False,)) */
    ag_array v3; v3.ndim = 1;
    {
    v3.shape[0] = 1;
    if (ag_alloc_in_slot(&v3, &st->slots[0], 8) < 0) goto fail;
    ((npy_int64 *)v3.data)[0] = in1.shape[0];
    }
    /* 3: Subtensor{0}(int64(False,)) */
    ag_array v4; v4.ndim = 0;
    {
    v4.data = v3.data;
    { Py_ssize_t i_ = 0; if (i_ < 0) i_ += v3.shape[0]; if (i_ < 0 || i_ >= v3.shape[0]) { AG_FAIL(PyExc_IndexError, st->descs, 3, "index %ld is out of bounds for axis 0 with size %ld", (long)(0), (long)v3.shape[0]); } v4.data += i_ * v3.strides[0]; }
    }
    /* 4: ARange{int64}(int8(), int64(), int8()) */
    ag_array v5; v5.ndim = 1;
    {
    PyObject *args_ = PyTuple_New(3);
    if (!args_) goto fail;
    { PyObject *a_ = ag_to_numpy(&c0, NPY_INT8, NULL); if (!a_) { Py_DECREF(args_); goto fail; } PyTuple_SET_ITEM(args_, 0, a_); }
    { PyObject *a_ = ag_to_numpy(&v4, NPY_INT64, NULL); if (!a_) { Py_DECREF(args_); goto fail; } PyTuple_SET_ITEM(args_, 1, a_); }
    { PyObject *a_ = ag_to_numpy(&c1, NPY_INT8, NULL); if (!a_) { Py_DECREF(args_); goto fail; } PyTuple_SET_ITEM(args_, 2, a_); }
    PyObject *outs_ = PyObject_CallOneArg(PyTuple_GET_ITEM(st->thunks, 0), args_);
    Py_DECREF(args_);
    if (!outs_) { ag_failed_node = 4; goto fail; }
    Py_XSETREF(st->keep[0], Py_NewRef(PyTuple_GET_ITEM(outs_, 0)));
    ag_from_numpy(&v5, (PyArrayObject *)st->keep[0]);
    Py_DECREF(outs_);
    }
    /* 5: AdvancedSubtensor{A, A}(float32(False, False), int64(False,), int32(False,)) */
    ag_array v6; v6.ndim = 1;
    {
    PyObject *args_ = PyTuple_New(3);
    if (!args_) goto fail;
    { PyObject *a_ = ag_to_numpy(&v2, NPY_FLOAT32, NULL); if (!a_) { Py_DECREF(args_); goto fail; } PyTuple_SET_ITEM(args_, 0, a_); }
    { PyObject *a_ = ag_to_numpy(&v5, NPY_INT64, NULL); if (!a_) { Py_DECREF(args_); goto fail; } PyTuple_SET_ITEM(args_, 1, a_); }
    { PyObject *a_ = ag_to_numpy(&in1, NPY_INT32, NULL); if (!a_) { Py_DECREF(args_); goto fail; } PyTuple_SET_ITEM(args_, 2, a_); }
    PyObject *outs_ = PyObject_CallOneArg(PyTuple_GET_ITEM(st->thunks, 1), args_);
    Py_DECREF(args_);
    if (!outs_) { ag_failed_node = 5; goto fail; }
    Py_XSETREF(st->keep[1], Py_NewRef(PyTuple_GET_ITEM(outs_, 0)));
    ag_from_numpy(&v6, (PyArrayObject *)st->keep[1]);
    Py_DECREF(outs_);
    }
    /* 6: ShapeI{0}(float32(False,)) */
    ag_array v7; v7.ndim = 0;
    {
    if (ag_alloc_in_slot(&v7, &st->slots[1], 8) < 0) goto fail;
    *(npy_int64 *)v7.data = v6.shape[0];
    }
    /* 7: Sum{(0,), None, None}(float32(False,)) */
    ag_array v8; v8.ndim = 0;
    {
    npy_intp shape_[1];
    shape_[0] = v6.shape[0];
    if (ag_alloc_in_slot(&v8, &st->slots[0], 4) < 0) goto fail;
    double acc_ = 0;
    {
        for (npy_intp i0 = 0; i0 < shape_[0]; i0++) {
            const float x0 = *(const float *)(v6.data + i0 * v6.strides[0]);
            const double v_ = (double)(x0);
            acc_ += (double)v_;
        }
    }
    *(float *)v8.data = (float)acc_;
    }
    /* 8: Elemwise{Composite{cast{float32},truediv,neg}}(int64(), float32()) */
    ag_array v9; v9.ndim = 0;
    {
    if (ag_alloc_array(&v9, &res[0], NPY_FLOAT32) < 0) goto fail;
    const npy_intp n_ = ag_size(&v9);
    if (ag_is_contiguous(&v7, 8) && ag_is_contiguous(&v8, 4)) {
        if (n_ > 131072) {
            #pragma omp parallel
            {
                const npy_intp nt_ = omp_get_num_threads(), t_ = omp_get_thread_num();
                const npy_intp chunk_ = (n_ + nt_ - 1) / nt_;
                const npy_intp lo_ = t_ * chunk_, hi_ = lo_ + chunk_ < n_ ? lo_ + chunk_ : n_;
                if (lo_ < hi_) kernel10(lo_, hi_, (const npy_int64 *)v7.data, (const float *)v8.data, (float *)v9.data);
            }
        } else kernel10(0, n_, (const npy_int64 *)v7.data, (const float *)v8.data, (float *)v9.data);
    } else {
        {
            const npy_int64 x0 = *(const npy_int64 *)(v7.data + 0);
            const float x1 = *(const float *)(v8.data + 0);
            const float t0 = (float)(((float32)x0));
            const float t1 = (float)(((float32)(x1) / (float32)(t0)));
            const float t2 = (float)((-t1));
            *(float *)(v9.data + 0) = (float)(t2);
        }
    }
    }
    PyObject *result = res[0]; res[0] = NULL;
    return result;
fail:
    for (int i = 0; i < 1; i++) Py_XDECREF(res[i]);
    return NULL;
}

static PyObject *failed_node(PyObject *self, PyObject *unused) {
    return PyLong_FromLong(ag_failed_node);
}

static PyMethodDef methods[] = {
    {"failed_node", failed_node, METH_NOARGS, "index of the node that raised last"},
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
