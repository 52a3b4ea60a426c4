/* arignote generated module */
#include "runtime.h"

typedef struct {
    PyObject *cells, *consts, *thunks, *descs;
    ag_slot slots[3];
    ag_slot scratch_a, scratch_b;
    PyObject *spares[1];
    PyObject *keep[1];
    double node_time[6];
    long long node_calls[6];
} ag_state;

static void state_free(PyObject *capsule) {
    ag_state *st = (ag_state *)PyCapsule_GetPointer(capsule, NULL);
    if (!st) return;
    Py_XDECREF(st->cells); Py_XDECREF(st->consts); Py_XDECREF(st->thunks);
    Py_XDECREF(st->descs);
    for (int i = 0; i < 3; i++) free(st->slots[i].ptr);
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

/* Composite{maximum,sub} */
static __attribute__((noinline)) void kernel7(npy_intp lo, npy_intp hi, const double *restrict p0, const double *restrict p1, const double b2, double *restrict q0) {
    #pragma omp simd
    for (npy_intp i = lo; i < hi; i++) {
        const double x0 = p0[i];
        const double x1 = p1[i];
        const double x2 = b2;
        const double t0 = (double)((x1 > x0 ? x1 : (x0 >= x1 ? x0 : NAN)));
        const double t1 = (double)((t0 - x2));
        q0[i] = (double)(t1);
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
    if (!ag_accept(args[2], NPY_FLOAT64, 2, "10")) Py_RETURN_NOTIMPLEMENTED;
    ag_array in1; ag_from_numpy(&in1, (PyArrayObject *)args[2]);
    /* 0: ShapeI{0}(float64(False, False)) */
    ag_array v1; v1.ndim = 0;
    {
    if (ag_alloc_in_slot(&v1, &st->slots[0], 8) < 0) goto fail;
    *(npy_int64 *)v1.data = in0.shape[0];
    }
    /* 1: ShapeI{1}(float64(False, False)) */
    ag_array v2; v2.ndim = 0;
    {
    if (ag_alloc_in_slot(&v2, &st->slots[1], 8) < 0) goto fail;
    *(npy_int64 *)v2.data = in0.shape[1];
    }
    /* 2: Sum{(0, 1), None, None}(float64(False, False)) */
    ag_array v3; v3.ndim = 0;
    {
    npy_intp shape_[2];
    shape_[0] = in0.shape[0];
    shape_[1] = in0.shape[1];
    if (ag_alloc_in_slot(&v3, &st->slots[2], 8) < 0) goto fail;
    double acc_ = 0;
    {
        for (npy_intp i0 = 0; i0 < shape_[0]; i0++) {
            double r_ = acc_;
            if (shape_[1] >= 32) {
            #pragma omp simd reduction(+:r_)
            for (npy_intp i1 = 0; i1 < shape_[1]; i1++) {
                const double x0 = *(const double *)(in0.data + i0 * in0.strides[0] + i1 * in0.strides[1]);
                const double v_ = (double)(x0);
                r_ += (double)v_;
            }
            } else {
            for (npy_intp i1 = 0; i1 < shape_[1]; i1++) {
                const double x0 = *(const double *)(in0.data + i0 * in0.strides[0] + i1 * in0.strides[1]);
                const double v_ = (double)(x0);
                r_ += (double)v_;
            }
            }
            acc_ = r_;
        }
    }
    *(double *)v3.data = (double)acc_;
    }
    /* 3: Elemwise{Composite{mul,cast{float64},truediv}}(int64(), int64(), float64()) */
    ag_array v4; v4.ndim = 0;
    {
    if (ag_alloc_in_slot(&v4, &st->slots[2], 8) < 0) goto fail;
    {
        const npy_int64 x0 = *(const npy_int64 *)(v1.data + 0);
        const npy_int64 x1 = *(const npy_int64 *)(v2.data + 0);
        const double x2 = *(const double *)(v3.data + 0);
        const npy_int64 t0 = (npy_int64)((x0 * x1));
        const double t1 = (double)(((float64)t0));
        const double t2 = (double)(((float64)(x2) / (float64)(t1)));
        *(double *)(v4.data + 0) = (double)(t2);
    }
    }
    /* 4: DimShuffle{x,x}(float64()) */
    ag_array v5; v5.ndim = 2;
    {
    v5.data = v4.data;
    v5.shape[0] = 1; v5.strides[0] = 0;
    v5.shape[1] = 1; v5.strides[1] = 0;
    }
    /* 5: Elemwise{Composite{maximum,sub}}(float64(False, False), float64(True, False), float64(True, True)) */
    ag_array v6; v6.ndim = 2;
    {
    v6.shape[0] = in0.shape[0];
    if (in1.shape[1] != in0.shape[1]) { char a_[64], b_[64]; AG_FAIL(PyExc_ValueError, st->descs, 5, "input shapes %s and %s do not match in dimension 1 (inputs 0 and 1); broadcasting needs that dimension declared broadcastable", ag_shape_str(&in0, a_, 64), ag_shape_str(&in1, b_, 64)); }
    v6.shape[1] = in0.shape[1];
    if (ag_alloc_array(&v6, &res[0], NPY_FLOAT64) < 0) goto fail;
    const npy_intp n_ = ag_size(&v6);
    if (ag_is_contiguous(&in0, 8) && ag_is_contiguous(&in1, 8)) {
        npy_intp outer_ = 1;
        outer_ *= v6.shape[0];
        const npy_intp inner_ = outer_ ? n_ / outer_ : 0;
        for (npy_intp o_ = 0; o_ < outer_; o_++) kernel7(0, inner_, (const double *)in0.data + o_ * inner_, (const double *)in1.data, *(const double *)v5.data, (double *)v6.data + o_ * inner_);
    } else {
        for (npy_intp i0 = 0; i0 < v6.shape[0]; i0++) {
            for (npy_intp i1 = 0; i1 < v6.shape[1]; i1++) {
                const double x0 = *(const double *)(in0.data + i0 * in0.strides[0] + i1 * in0.strides[1]);
                const double x1 = *(const double *)(in1.data + i1 * in1.strides[1]);
                const double x2 = *(const double *)(v5.data + 0);
                const double t0 = (double)((x1 > x0 ? x1 : (x0 >= x1 ? x0 : NAN)));
                const double t1 = (double)((t0 - x2));
                *(double *)(v6.data + i0 * v6.strides[0] + i1 * v6.strides[1]) = (double)(t1);
            }
        }
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
    PyObject *times = PyList_New(6), *calls = PyList_New(6);
    if (!times || !calls) { Py_XDECREF(times); Py_XDECREF(calls); return NULL; }
    for (int i = 0; i < 6; i++) {
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
