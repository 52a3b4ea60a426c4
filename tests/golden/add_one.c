/* arignote generated module */
#include "runtime.h"

typedef struct {
    PyObject *cells, *consts, *thunks, *descs;
    ag_slot slots[1];
    ag_slot scratch_a, scratch_b;
    PyObject *spares[1];
    PyObject *keep[1];
    double node_time[1];
    long long node_calls[1];
} ag_state;

static void state_free(PyObject *capsule) {
    ag_state *st = (ag_state *)PyCapsule_GetPointer(capsule, NULL);
    if (!st) return;
    Py_XDECREF(st->cells); Py_XDECREF(st->consts); Py_XDECREF(st->thunks);
    Py_XDECREF(st->descs);
    for (int i = 0; i < 1; i++) free(st->slots[i].ptr);
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

/* Composite{add} */
static __attribute__((noinline)) void kernel2(npy_intp lo, npy_intp hi, const double *restrict p0, double *restrict q0) {
    #pragma omp simd
    for (npy_intp i = lo; i < hi; i++) {
        const double x0 = p0[i];
        const double t0 = (double)((x0 + ((float64)(((npy_int8)1LL)))));
        q0[i] = (double)(t0);
    }
}
static PyObject *run(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    ag_state *st = (ag_state *)PyCapsule_GetPointer(args[0], NULL);
    if (!st) return NULL;
    PyObject *res[1] = {0};
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "expected 1 arguments, got %zd", nargs - 1);
        return NULL;
    }
    if (!ag_accept(args[1], NPY_FLOAT64, 1, "0")) Py_RETURN_NOTIMPLEMENTED;
    ag_array in0; ag_from_numpy(&in0, (PyArrayObject *)args[1]);
    /* 0: Elemwise{Composite{add}}(float64(False,)) */
    ag_array v1; v1.ndim = 1;
    {
    v1.shape[0] = in0.shape[0];
    if (ag_alloc_array(&v1, &res[0], NPY_FLOAT64) < 0) goto fail;
    const npy_intp n_ = ag_size(&v1);
    if (ag_is_contiguous(&in0, 8)) {
        if (n_ > 1048576) {
            #pragma omp parallel
            {
                const npy_intp nt_ = omp_get_num_threads(), t_ = omp_get_thread_num();
                const npy_intp chunk_ = (n_ + nt_ - 1) / nt_;
                const npy_intp lo_ = t_ * chunk_, hi_ = lo_ + chunk_ < n_ ? lo_ + chunk_ : n_;
                if (lo_ < hi_) kernel2(lo_, hi_, (const double *)in0.data, (double *)v1.data);
            }
        } else kernel2(0, n_, (const double *)in0.data, (double *)v1.data);
    } else {
        for (npy_intp i0 = 0; i0 < v1.shape[0]; i0++) {
            const double x0 = *(const double *)(in0.data + i0 * in0.strides[0]);
            const double t0 = (double)((x0 + ((float64)(((npy_int8)1LL)))));
            *(double *)(v1.data + i0 * v1.strides[0]) = (double)(t0);
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
    PyObject *times = PyList_New(1), *calls = PyList_New(1);
    if (!times || !calls) { Py_XDECREF(times); Py_XDECREF(calls); return NULL; }
    for (int i = 0; i < 1; i++) {
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
