/* arignote generated module */
#include "runtime.h"

typedef struct {
    PyObject *cells, *consts, *thunks, *descs;
    ag_slot slots[4];
    ag_slot scratch_a, scratch_b;
    PyObject *spares[1];
    PyObject *keep[1];
    double node_time[7];
    long long node_calls[7];
} ag_state;

static void state_free(PyObject *capsule) {
    ag_state *st = (ag_state *)PyCapsule_GetPointer(capsule, NULL);
    if (!st) return;
    Py_XDECREF(st->cells); Py_XDECREF(st->consts); Py_XDECREF(st->thunks);
    Py_XDECREF(st->descs);
    for (int i = 0; i < 4; i++) free(st->slots[i].ptr);
    free(st->scratch_a.ptr); free(st->scratch_b.ptr);
    for (int i = 0; i < 1; i++) Py_XDECREF(st->spares[i]);
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
    /* 0: ShapeI{0}(int32(False,)) */
    ag_array v1; v1.ndim = 0;
    {
    if (ag_alloc_in_slot(&v1, &st->slots[0], 8) < 0) goto fail;
    *(npy_int64 *)v1.data = in1.shape[0];
    }
    /* 1: Dot(float32(False, False), float32(False, False)) */
    ag_array v2; v2.ndim = 2;
    {
    if (in0.shape[1] != in2.shape[0]) { char a_[64], b_[64]; AG_FAIL(PyExc_ValueError, st->descs, 1, "dot: shapes %s and %s are not aligned: %ld (last dimension of the first) != %ld (first dimension of the second)", ag_shape_str(&in0, a_, 64), ag_shape_str(&in2, b_, 64), (long)in0.shape[1], (long)in2.shape[0]); }
    v2.shape[0] = in0.shape[0];
    v2.shape[1] = in2.shape[1];
    if (ag_alloc_in_slot(&v2, &st->slots[1], 4) < 0) goto fail;
    const npy_intp k_ = in2.shape[0];
    if (k_ == 0 || ag_size(&v2) == 0) { memset(v2.data, 0, (size_t)ag_size(&v2) * 4); } else {
    ag_array a_ = in0, b_ = in2;
    if (ag_blas_layout(&a_, 4, &st->scratch_a) < 0 || ag_blas_layout(&b_, 4, &st->scratch_b) < 0) goto fail;
    scipy_cblas_sgemm(CblasRowMajor, ag_blas_trans(&a_), ag_blas_trans(&b_), (int)v2.shape[0], (int)v2.shape[1], (int)k_, 1, (const float *)a_.data, ag_blas_ld(&a_, 4), (const float *)b_.data, ag_blas_ld(&b_, 4), 0, (float *)v2.data, (int)v2.shape[1]);
    }
    }
    /* 2: LogSoftmax(float32(False, False)) */
    ag_array v3; v3.ndim = 2;
    {
    v3.shape[0] = v2.shape[0]; v3.shape[1] = v2.shape[1];
    if (ag_alloc_in_slot(&v3, &st->slots[2], 4) < 0) goto fail;
    const npy_intp rows_ = v2.shape[0], cols_ = v2.shape[1];
    if (cols_ <= 32) {
        float *o_ = (float *)v3.data;
        const npy_intp n_ = rows_ * cols_;
        if (ag_slot_reserve(&st->scratch_a, (size_t)(n_ + rows_) * sizeof(float)) < 0) goto fail;
        float *e_ = (float *)st->scratch_a.ptr, *t_ = e_ + n_;
        for (npy_intp r_ = 0; r_ < rows_; r_++) {
            const char *in_ = v2.data + r_ * v2.strides[0];
            float *row_ = o_ + r_ * cols_, peak_ = -INFINITY;
            for (npy_intp c_ = 0; c_ < cols_; c_++) {
                row_[c_] = *(const float *)(in_ + c_ * v2.strides[1]);
                peak_ = row_[c_] > peak_ ? row_[c_] : peak_;
            }
            for (npy_intp c_ = 0; c_ < cols_; c_++) row_[c_] -= peak_;
        }
        #pragma omp simd
        for (npy_intp i_ = 0; i_ < n_; i_++) e_[i_] = expf(o_[i_]);
        for (npy_intp r_ = 0; r_ < rows_; r_++) {
            float total_ = 0;
            for (npy_intp c_ = 0; c_ < cols_; c_++) total_ += e_[r_ * cols_ + c_];
            t_[r_] = total_;
        }
        #pragma omp simd
        for (npy_intp r_ = 0; r_ < rows_; r_++) t_[r_] = logf(t_[r_]);
        for (npy_intp r_ = 0; r_ < rows_; r_++)
            for (npy_intp c_ = 0; c_ < cols_; c_++) o_[r_ * cols_ + c_] -= t_[r_];
    } else {
    #pragma omp parallel for if(rows_ * cols_ > 65536)
    for (npy_intp r_ = 0; r_ < rows_; r_++) {
        const char *in_ = v2.data + r_ * v2.strides[0];
        float *o_ = (float *)(v3.data + r_ * v3.strides[0]);
        const npy_intp s_ = v2.strides[1];
        if (s_ == sizeof(float)) memcpy(o_, in_, (size_t)cols_ * sizeof(float));
        else for (npy_intp c_ = 0; c_ < cols_; c_++) o_[c_] = *(const float *)(in_ + c_ * s_);
        float peak_ = -INFINITY;
        #pragma omp simd reduction(max:peak_)
        for (npy_intp c_ = 0; c_ < cols_; c_++) peak_ = o_[c_] > peak_ ? o_[c_] : peak_;
        float total_ = 0;
        #pragma omp simd reduction(+:total_)
        for (npy_intp c_ = 0; c_ < cols_; c_++) {
            o_[c_] -= peak_;
            total_ += expf(o_[c_]);
        }
        const float shift_ = logf(total_);
        #pragma omp simd
        for (npy_intp c_ = 0; c_ < cols_; c_++) o_[c_] -= shift_;
    }
    }
    }
    /* 3: ARange{int64}(int8(), int64(), int8()) */
    ag_array v4; v4.ndim = 1;
    {
    const npy_int64 start_ = ((npy_int64)*(const npy_int8 *)c0.data), stop_ = ((npy_int64)*(const npy_int64 *)v1.data), step_ = ((npy_int64)*(const npy_int8 *)c1.data);
    if (step_ == 0) { AG_FAIL(PyExc_ValueError, st->descs, 3, "arange: step is zero"); }
    const npy_int64 span_ = stop_ - start_;
    npy_int64 n_ = span_ / step_;
    if (n_ * step_ != span_ && (span_ < 0) == (step_ < 0)) n_ += 1;
    if (n_ < 0) n_ = 0;
    v4.shape[0] = n_;
    if (ag_alloc_in_slot(&v4, &st->slots[1], 8) < 0) goto fail;
    npy_int64 *o_ = (npy_int64 *)v4.data;
    if (n_ > 0) o_[0] = (npy_int64)start_;
    if (n_ > 1) {
        const npy_int64 delta_ = (npy_int64)((npy_int64)(start_ + step_) - o_[0]);
        for (npy_intp i_ = 1; i_ < n_; i_++) o_[i_] = (npy_int64)((npy_uint64)o_[0] + (npy_uint64)(npy_int64)i_ * (npy_uint64)delta_);
    }
    }
    /* 4: AdvancedSubtensor{A, A}(float32(False, False), int64(False,), int32(False,)) */
    ag_array v5; v5.ndim = 1;
    {
    ag_array xv_ = v3;
    npy_intp base_ = 0;
    {
        for (npy_intp i0 = 0; i0 < v4.shape[0]; i0++) {
            char *p_ = v4.data + i0 * v4.strides[0];
            const npy_intp v_ = (npy_intp)*(const npy_int64 *)p_;
            if (v_ < -xv_.shape[0] || v_ >= xv_.shape[0]) { AG_FAIL(PyExc_IndexError, st->descs, 4, "index %ld is out of bounds for axis 0 with size %ld", (long)v_, (long)xv_.shape[0]); }
        }
    }
    {
        for (npy_intp i0 = 0; i0 < in1.shape[0]; i0++) {
            char *p_ = in1.data + i0 * in1.strides[0];
            const npy_intp v_ = (npy_intp)*(const npy_int32 *)p_;
            if (v_ < -xv_.shape[1] || v_ >= xv_.shape[1]) { AG_FAIL(PyExc_IndexError, st->descs, 4, "index %ld is out of bounds for axis 1 with size %ld", (long)v_, (long)xv_.shape[1]); }
        }
    }
    npy_intp block_[1];
    for (int j_ = 0; j_ < 1; j_++) block_[j_] = 1;
    npy_intp is0_[1];
    is0_[0] = v4.shape[0] == 1 ? 0 : v4.strides[0];
    if (v4.shape[0] != 1) { if (block_[0] == 1) block_[0] = v4.shape[0]; else if (block_[0] != v4.shape[0]) { AG_FAIL(PyExc_IndexError, st->descs, 4, "shape mismatch: indexing arrays could not be broadcast together (lengths %ld and %ld)", (long)block_[0], (long)v4.shape[0]); } }
    npy_intp is1_[1];
    is1_[0] = in1.shape[0] == 1 ? 0 : in1.strides[0];
    if (in1.shape[0] != 1) { if (block_[0] == 1) block_[0] = in1.shape[0]; else if (block_[0] != in1.shape[0]) { AG_FAIL(PyExc_IndexError, st->descs, 4, "shape mismatch: indexing arrays could not be broadcast together (lengths %ld and %ld)", (long)block_[0], (long)in1.shape[0]); } }
    v5.shape[0] = block_[0];
    if (ag_alloc_in_slot(&v5, &st->slots[3], 4) < 0) goto fail;
    float *d_ = (float *)v5.data;
    {
        for (npy_intp o0 = 0; o0 < v5.shape[0]; o0++) {
            npy_intp a0_ = (npy_intp)*(const npy_int64 *)(v4.data + o0 * is0_[0]);
            if (a0_ < 0) a0_ += xv_.shape[0];
            npy_intp a1_ = (npy_intp)*(const npy_int32 *)(in1.data + o0 * is1_[0]);
            if (a1_ < 0) a1_ += xv_.shape[1];
            const char *e0_ = xv_.data + base_ + a0_ * xv_.strides[0] + a1_ * xv_.strides[1];
            const char *e_ = e0_;
            *d_++ = *(const float *)e_;
        }
    }
    }
    /* 5: Sum{(0,), None, None}(float32(False,)) */
    ag_array v6; v6.ndim = 0;
    {
    npy_intp shape_[1];
    shape_[0] = v5.shape[0];
    if (ag_alloc_in_slot(&v6, &st->slots[1], 4) < 0) goto fail;
    double acc_ = 0;
    {
        double r_ = acc_;
        if (shape_[0] >= 32) {
        #pragma omp simd reduction(+:r_)
        for (npy_intp i0 = 0; i0 < shape_[0]; i0++) {
            const float x0 = *(const float *)(v5.data + i0 * v5.strides[0]);
            const double v_ = (double)(x0);
            r_ += (double)v_;
        }
        } else {
        for (npy_intp i0 = 0; i0 < shape_[0]; i0++) {
            const float x0 = *(const float *)(v5.data + i0 * v5.strides[0]);
            const double v_ = (double)(x0);
            r_ += (double)v_;
        }
        }
        acc_ = r_;
    }
    *(float *)v6.data = (float)acc_;
    }
    /* 6: Elemwise{Composite{cast{float64},ceil,cast{int64},maximum,cast{float32},truediv,neg}}(int64(), float32()) */
    ag_array v7; v7.ndim = 0;
    {
    if (ag_alloc_array(&v7, &res[0], NPY_FLOAT32) < 0) goto fail;
    {
        const npy_int64 x0 = *(const npy_int64 *)(v1.data + 0);
        const float x1 = *(const float *)(v6.data + 0);
        const double t0 = (double)(((float64)x0));
        const double t1 = (double)(ceil(t0));
        const npy_int64 t2 = (npy_int64)(((int64)t1));
        const npy_int64 t3 = (npy_int64)((t2 >= ((npy_int64)0LL) ? t2 : ((npy_int64)0LL)));
        const float t4 = (float)(((float32)t3));
        const float t5 = (float)(((float32)(x1) / (float32)(t4)));
        const float t6 = (float)((-t5));
        *(float *)(v7.data + 0) = (float)(t6);
    }
    }
    PyObject *result = res[0]; res[0] = NULL;
    return result;
fail:
    for (int i = 0; i < 1; i++) Py_XDECREF(res[i]);
    return NULL;
}

static PyObject *timings(PyObject *self, PyObject *capsule) {
    ag_state *st = (ag_state *)PyCapsule_GetPointer(capsule, NULL);
    if (!st) return NULL;
    PyObject *times = PyList_New(7), *calls = PyList_New(7);
    if (!times || !calls) { Py_XDECREF(times); Py_XDECREF(calls); return NULL; }
    for (int i = 0; i < 7; i++) {
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
