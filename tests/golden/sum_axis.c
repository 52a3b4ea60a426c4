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


static PyObject *run(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    ag_state *st = (ag_state *)PyCapsule_GetPointer(args[0], NULL);
    if (!st) return NULL;
    PyObject *res[1] = {0};
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "expected 1 arguments, got %zd", nargs - 1);
        return NULL;
    }
    if (!ag_accept(args[1], NPY_FLOAT32, 2, "00")) Py_RETURN_NOTIMPLEMENTED;
    ag_array in0; ag_from_numpy(&in0, (PyArrayObject *)args[1]);
    /* 0: Sum{(1,), None, None}(float32(False, False)) */
    ag_array v1; v1.ndim = 1;
    {
    npy_intp shape_[2];
    shape_[0] = in0.shape[0];
    shape_[1] = in0.shape[1];
    v1.shape[0] = shape_[0];
    if (ag_alloc_array(&v1, &res[0], NPY_FLOAT32) < 0) goto fail;
    double *accs_ = (double *)v1.data;
    if (ag_slot_reserve(&st->scratch_a, (size_t)ag_size(&v1) * sizeof(double)) < 0) goto fail;
    accs_ = (double *)st->scratch_a.ptr;
    for (npy_intp k_ = 0; k_ < ag_size(&v1); k_++) accs_[k_] = 0;
    {
        for (npy_intp i0 = 0; i0 < shape_[0]; i0++) {
            double r_ = accs_[i0 * (1)];
            if (shape_[1] >= 32) {
            #pragma omp simd reduction(+:r_)
            for (npy_intp i1 = 0; i1 < shape_[1]; i1++) {
                const float x0 = *(const float *)(in0.data + i0 * in0.strides[0] + i1 * in0.strides[1]);
                const double v_ = (double)(x0);
                r_ += (double)v_;
            }
            } else {
            for (npy_intp i1 = 0; i1 < shape_[1]; i1++) {
                const float x0 = *(const float *)(in0.data + i0 * in0.strides[0] + i1 * in0.strides[1]);
                const double v_ = (double)(x0);
                r_ += (double)v_;
            }
            }
            accs_[i0 * (1)] = r_;
        }
    }
    { float *o_ = (float *)v1.data; for (npy_intp k_ = 0; k_ < ag_size(&v1); k_++) o_[k_] = (float)accs_[k_]; }
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
