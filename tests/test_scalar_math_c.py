"""The C helpers of arignote/kernels/scalar_math.h against numpy and scipy.special.

The header is compiled alone (after the dtype typedefs runtime.h gives it) into a small shared
library with array wrappers, loaded with ctypes, and run on grids of ordinary and edge values:
signed zeros, infinities, NaN, poles, subnormals, huge and negative arguments.
"""

import ctypes
import math
import os
import shutil
import subprocess

import numpy as np
import pytest

special = pytest.importorskip("scipy.special")

from arignote.compiler.ops import scalar as S

KERNELS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "arignote",
                       "kernels")

WRAPPERS = r"""
#include <stdint.h>
typedef int64_t int64;
typedef uint64_t uint64;
typedef float float32;
typedef double float64;
#include "scalar_math.h"

#define UNARY(name, type) \
    void t_##name(const type *x, type *out, long n) { \
        for (long i = 0; i < n; i++) out[i] = name(x[i]); }
#define BINARY(name, type) \
    void t_##name(const type *x, const type *y, type *out, long n) { \
        for (long i = 0; i < n; i++) out[i] = name(x[i], y[i]); }
#define ORDER(name, type) \
    void t_##name(int order, const type *x, type *out, long n) { \
        for (long i = 0; i < n; i++) out[i] = name(order, x[i]); }

UNARY(arignote_psi, double) UNARY(arignote_psif, float)
UNARY(arignote_erfinv, double) UNARY(arignote_erfinvf, float)
UNARY(arignote_erfcinv, double) UNARY(arignote_erfcinvf, float)
BINARY(arignote_floordiv, double) BINARY(arignote_floordivf, float)
BINARY(arignote_ipow, int64)
ORDER(arignote_polygamma, double) ORDER(arignote_polygammaf, float)
"""


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    """The helpers compiled into a shared library."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler")
    directory = tmp_path_factory.mktemp("scalar_math")
    source = directory / "wrappers.c"
    source.write_text(WRAPPERS)
    library = directory / "libscalarmath.so"
    command = [compiler, "-O2", "-fPIC", "-shared", "-std=gnu11", "-fno-math-errno", "-Wall",
               "-Wextra", "-Werror", f"-I{KERNELS}", str(source), "-o", str(library), "-lm"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return ctypes.CDLL(str(library))


def _call(lib, name, *arrays, order=None):
    """Run the wrapper of ``name`` over equal-length arrays; returns the output array."""
    arrays = [np.ascontiguousarray(a) for a in arrays]
    out = np.empty_like(arrays[0])
    pointers = [a.ctypes.data_as(ctypes.c_void_p) for a in (*arrays, out)]
    leading = [] if order is None else [ctypes.c_int(order)]
    getattr(lib, "t_" + name)(*leading, *pointers, ctypes.c_long(out.size))
    return out


def _check(got, want, rtol, atol=0.0):
    """``got`` equals ``want`` to the tolerances; NaN and infinities in the same places."""
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def _scipy(function, *args):
    with np.errstate(all="ignore"):
        return function(*args)


# ----------------------------------------------------------------------- floor division
SPECIAL_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 3.0, -3.0, 0.1, -7.25, 1e-300, 5e-324,
                  1e308, -1e308, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_floordiv_matches_numpy(lib, dtype):
    rng = np.random.default_rng(0)
    with np.errstate(over="ignore"):
        values = np.array(SPECIAL_FLOATS, dtype=dtype)
    a, b = (m.ravel() for m in np.meshgrid(values, values, indexing="ij"))
    random_a = rng.standard_normal(20000) * 10.0 ** rng.integers(-8, 9, 20000)
    random_b = rng.standard_normal(20000) * 10.0 ** rng.integers(-8, 9, 20000)
    a = np.concatenate([a, random_a.astype(dtype), np.arange(-50, 50, dtype=dtype) * 0.7])
    b = np.concatenate([b, random_b.astype(dtype), np.full(100, 0.7, dtype=dtype)])
    name = "arignote_floordiv" if dtype == "float64" else "arignote_floordivf"
    got = _call(lib, name, a, b)
    with np.errstate(all="ignore"):
        want = np.floor_divide(a, b)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


# ----------------------------------------------------------------------- integer power
def test_ipow_wraps_like_numpy(lib):
    info = np.iinfo(np.int64)
    bases = np.array([0, 1, -1, 2, -2, 3, -3, 7, -10, 255, 2**31, -(2**31) - 5, 10**12,
                      info.max, info.min, info.min + 1], dtype=np.int64)
    exponents = np.array([0, 1, 2, 3, 5, 10, 31, 62, 63, 64, 65, 100, 12345, 2**40 + 1,
                          info.max, -1, -2, -3, -64, info.min, info.min + 1], dtype=np.int64)
    x, y = (m.ravel() for m in np.meshgrid(bases, exponents, indexing="ij"))
    got = _call(lib, "arignote_ipow", x, y)
    want = S.Pow().impl(x, y)
    np.testing.assert_array_equal(got, want)


# ----------------------------------------------------------------------- digamma
def _psi_grid():
    rng = np.random.default_rng(1)
    roots = (1.4616321449683622, -0.5040830082644554)  # the zeros of psi near 0
    near_roots = np.concatenate([r + np.concatenate([-np.logspace(-16, -0.4, 60), [0.0],
                                                     np.logspace(-16, -0.4, 60)])
                                 for r in roots])
    return np.concatenate([
        SPECIAL_FLOATS, [-1.0, -2.0, -3.0, -1e17, -1e300, -5e-324, 1e17, 1e300, 2.0**52 + 0.5],
        np.logspace(-310, 305, 400), rng.uniform(0, 30, 2000), rng.uniform(-30, 0, 2000),
        -np.arange(1, 40) + 0.5, -np.arange(1, 40) + 1e-9, -np.arange(1, 40) - 1e-9,
        -1e6 - rng.uniform(0, 1, 20), near_roots, np.arange(1, 12, dtype=float),
    ])


def _reflection_scale(x):
    """For x < 0, the size of the two terms of the reflection formula (zero elsewhere): the
    function loses relative accuracy near its zeros there, in scipy as here.  scipy also takes
    tan(pi * r) with r = fmod(x, 1) in (-1, 0): its argument is off by ~|r| ulp, which counts
    where r is near -1 (just above a pole)."""
    negative = np.where(x < 0, x, -0.5)
    with np.errstate(all="ignore"):
        sine = np.sin(np.pi * negative)
        scale = (np.abs(np.pi / np.tan(np.pi * negative)) + np.abs(special.psi(1 - negative))
                 + np.pi**2 * np.abs(np.fmod(negative, 1.0)) / sine**2)
    return np.where(np.isfinite(x) & (x < 0), scale, 0.0)


def test_psi_matches_scipy(lib):
    x = _psi_grid()
    got = _call(lib, "arignote_psi", x)
    want = _scipy(special.psi, x)
    finite = np.isfinite(want)
    assert np.array_equal(got[~finite], want[~finite], equal_nan=True)
    error = np.abs(got[finite] - want[finite])
    bound = 2e-14 * np.abs(want[finite]) + 1e-15 * _reflection_scale(x[finite])
    worst = np.argmax(error / np.maximum(bound, 1e-300))
    assert np.all(error <= bound), (x[finite][worst], got[finite][worst], want[finite][worst])


def test_psi_near_its_zeros_keeps_relative_accuracy(lib):
    # near the zeros at 1.46 and -0.504 scipy's psi is accurate to ~1e-16 relative
    for root in (1.4616321449683622, -0.5040830082644554):
        x = root + np.concatenate([-np.logspace(-15, -0.5, 50), np.logspace(-15, -0.5, 50)])
        _check(_call(lib, "arignote_psi", x), special.psi(x), rtol=1e-14)


def test_psi_next_to_poles_matches_mpmath(lib):
    mpmath = pytest.importorskip("mpmath")
    x = np.concatenate([-np.arange(0, 40) + 1e-9, -np.arange(1, 40) - 1e-9,
                        -np.arange(0, 40) + 0.999, [-1e6 + 1e-7, -1e15 + 0.25, 1e-9]])
    with mpmath.workdps(40):
        want = np.array([float(mpmath.digamma(mpmath.mpf(v))) for v in x])
    _check(_call(lib, "arignote_psi", x), want, rtol=1e-14)


def test_psif_matches_scipy(lib):
    with np.errstate(over="ignore"):
        x = _psi_grid().astype(np.float32)
    got = _call(lib, "arignote_psif", x)
    want = _scipy(special.psi, x)
    assert got.dtype == np.float32
    _check(got, want, rtol=3e-7)


# ----------------------------------------------------------------------- polygamma
def _polygamma_scale(n, x):
    """n! times the sum of |x + k|^-(n+1) over k >= 0: a bound on the terms that cancel."""
    shifted = np.abs(x[:, None] + np.arange(0, 4000)[None, :])
    with np.errstate(all="ignore"):
        return math.factorial(n) * np.sum(shifted ** -(n + 1.0), axis=1)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 13, 30])
def test_polygamma_matches_scipy(lib, n):
    rng = np.random.default_rng(n)
    positive = np.concatenate([np.logspace(-12, 12, 300), rng.uniform(0, 40, 500),
                               [1e-300, 5e-324, 1e8, 3e9, 1e17, 1e300, 2.0**52 + 0.5]])
    negative = np.concatenate([rng.uniform(-25, 0, 500), -np.arange(1, 25) + 0.5,
                               -np.arange(1, 25) + 1e-6, -1000.25 - rng.uniform(0, 1, 10)])
    edges = np.array([0.0, -0.0, -1.0, -7.0, -1e17, np.inf, -np.inf, np.nan, -5e-324])
    x = np.concatenate([positive, negative, edges])
    got = _call(lib, "arignote_polygamma", x, order=n)
    want = _scipy(special.polygamma, n, x)
    finite = np.isfinite(want) & np.isfinite(got)
    np.testing.assert_array_equal(got[~finite], want[~finite])
    scale = np.where(x[finite] < 0, _polygamma_scale(n, x[finite]), 0.0)
    error = np.abs(got[finite] - want[finite])
    bound = 1e-13 * np.abs(want[finite]) + 1e-14 * scale
    worst = np.argmax(error / np.maximum(bound, 1e-300))
    assert np.all(error <= bound), (x[finite][worst], got[finite][worst], want[finite][worst])


def test_polygamma_order_zero_is_psi_and_negative_order_is_nan(lib):
    x = np.array([0.3, 2.5, -1.5, 10.0])
    np.testing.assert_array_equal(_call(lib, "arignote_polygamma", x, order=0),
                                  _call(lib, "arignote_psi", x))
    assert np.isnan(_call(lib, "arignote_polygamma", x, order=-1)).all()


@pytest.mark.parametrize("n", [171, 172, 200])
def test_polygamma_where_the_factorial_overflows(lib, n):
    x = np.array([1e-3, 0.7, 1.5, 3.0, 100.0, -0.3, -0.7, -2.5, -5.2, -5.8, -1.0])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(_call(lib, "arignote_polygamma", x, order=n),
                                      special.polygamma(n, x))


@pytest.mark.parametrize("n", [1, 2, 5])
def test_polygammaf_matches_scipy(lib, n):
    x = np.concatenate([np.logspace(-3, 6, 100), np.linspace(-9.9, -0.05, 100),
                        [0.0, -0.0, -2.0, np.inf, -np.inf, np.nan]]).astype(np.float32)
    got = _call(lib, "arignote_polygammaf", x, order=n)
    want = _scipy(special.polygamma, n, x).astype(np.float32)
    assert got.dtype == np.float32
    far = np.abs(want) > 1e-2 * np.abs(_polygamma_scale(n, x.astype(float)))
    _check(got[far], want[far], rtol=3e-7)


# ----------------------------------------------------------------------- inverse error functions
def _erfinv_grid():
    tails = 1.0 - np.logspace(-16, -0.1, 200)
    return np.concatenate([
        [0.0, -0.0, 1.0, -1.0, 1.0 + 2**-52, -1.0 - 2**-52, 2.0, np.inf, -np.inf, np.nan,
         5e-324, -5e-324, 1e-310, 0.85, -0.85, np.nextafter(0.85, 1), 0.5, 1 - 2**-53],
        np.linspace(-1, 1, 2001), tails, -tails, np.logspace(-320, -0.01, 400),
        -np.logspace(-320, -0.01, 400),
    ])


def test_erfinv_matches_scipy(lib):
    x = _erfinv_grid()
    # subnormal results may round differently: allow a few of their steps
    _check(_call(lib, "arignote_erfinv", x), _scipy(special.erfinv, x), rtol=1e-14, atol=2e-323)


def test_erfcinv_matches_scipy(lib):
    small = np.logspace(-307.5, 0, 600)
    x = np.concatenate([
        [0.0, -0.0, 2.0, 1.0, -1e-300, 2.0 + 2**-51, np.inf, -np.inf, np.nan, 0.15, 1.85, np.nextafter(0.15, 1), np.nextafter(1.85, 0)],
        np.linspace(0, 2, 2001), small, 2.0 - small[small > 1e-16], 1.0 + np.logspace(-16, 0, 50),
        1.0 - np.logspace(-16, 0, 50),
    ])
    _check(_call(lib, "arignote_erfcinv", x), _scipy(special.erfcinv, x), rtol=1e-14)


def _erfcinv_by_mpmath(mpmath, value):
    """erfcinv(value) as the root of log(erfc(t) / value), at 30 digits."""
    with mpmath.workdps(30):
        c = mpmath.mpf(value)
        return float(mpmath.findroot(lambda t: mpmath.log(mpmath.erfc(t) / c), 27))


def test_erfcinv_of_subnormals_matches_mpmath(lib):
    # scipy halves c first, losing the low bits of a subnormal c (erfcinv(5e-324) is inf)
    mpmath = pytest.importorskip("mpmath")
    x = np.array([5e-324, 1e-323, 1.33e-322, 4.6e-322, 1e-320, 3e-315, 2e-310, 2.2e-308])
    want = np.array([_erfcinv_by_mpmath(mpmath, v) for v in x])
    _check(_call(lib, "arignote_erfcinv", x), want, rtol=1e-14)


@pytest.mark.parametrize("name, function, grid", [
    ("arignote_erfinvf", special.erfinv, _erfinv_grid()),
    ("arignote_erfcinvf", special.erfcinv, np.concatenate([np.linspace(0, 2, 2001),
                                                            np.logspace(-45, 0, 300),
                                                            [np.nan, -1.0, 3.0, np.inf]])),
])
def test_float_inverse_error_functions_match_scipy(lib, name, function, grid):
    x = grid.astype(np.float32)
    got = _call(lib, name, x)
    want = _scipy(function, x)
    assert got.dtype == np.float32 and want.dtype == np.float32
    _check(got, want, rtol=3e-7)
