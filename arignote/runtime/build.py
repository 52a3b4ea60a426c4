"""Building generated C: compiler discovery, flags, the precompiled runtime header, linking.

Takes strings (source text, module name, output path) and flags; knows nothing of graphs.
"""

import errno
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time

import numpy as np

KERNELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "kernels")

# -O1 halves compile time against -O2; the hot loops lose nothing, because their
# `#pragma omp simd` forces vectorisation at any level (see DESIGN.md on compile budgets).
BASE_FLAGS = ["-O1", "-march=native", "-fPIC", "-std=gnu11", "-fopenmp", "-fno-math-errno",
              "-fno-strict-aliasing", "-fwrapv", "-pipe", "-w"]


class CompileError(RuntimeError):
    """The C compiler rejected generated code (a bug in arignote: please report it)."""


@functools.lru_cache(maxsize=None)
def find_compiler():
    """Path of the C compiler (``$CC``, else cc, gcc, clang), or None."""
    candidates = [os.environ["CC"]] if os.environ.get("CC") else []
    candidates += ["cc", "gcc", "clang"]
    for candidate in candidates:
        path = shutil.which(candidate)
        if path:
            return path
    return None


@functools.lru_cache(maxsize=None)
def compiler_version(compiler):
    try:
        result = subprocess.run([compiler, "--version"], capture_output=True, text=True,
                                timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.splitlines()[0] if result.stdout else "unknown"


@functools.lru_cache(maxsize=None)
def cpu_signature():
    """What ``-march=native`` depends on: the machine and its CPU feature flags."""
    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith(("flags", "Features")):
                    flags = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.machine()}:{hashlib.sha256(flags.encode()).hexdigest()[:16]}"


@functools.lru_cache(maxsize=None)
def blas_flags():
    """Link flags for the OpenBLAS of the ``scipy-openblas32`` wheel (empty if missing)."""
    # The package is located, not imported: importing it costs ~30 ms of a warm compile.
    import importlib.util
    spec = importlib.util.find_spec("scipy_openblas32")
    if spec is None or not spec.submodule_search_locations:
        return (), ()
    root = list(spec.submodule_search_locations)[0]
    libdir, incdir = os.path.join(root, "lib"), os.path.join(root, "include")
    names = sorted(n for n in os.listdir(libdir) if n.startswith("libscipy_openblas")
                   and n.endswith((".so", ".dylib"))) if os.path.isdir(libdir) else []
    if not names:
        return (), ()
    library = names[0][3:].split(".")[0]
    return ((f"-I{incdir}", "-DAG_HAVE_BLAS"),
            (f"-L{libdir}", f"-Wl,-rpath,{libdir}", f"-l{library}"))


def include_flags():
    return [f"-I{sysconfig.get_paths()['include']}", f"-I{np.get_include()}",
            f"-I{KERNELS_DIR}"]


def _header_digest():
    """Digest of the kernel headers (read each time: a few kB, and never stale)."""
    digest = hashlib.sha256()
    for name in sorted(os.listdir(KERNELS_DIR)):
        if name.endswith((".h", ".c")):
            with open(os.path.join(KERNELS_DIR, name), "rb") as handle:
                digest.update(name.encode() + handle.read())
    return digest.hexdigest()


def identity(compiler):
    """Everything besides the source that decides the binary: part of the cache key."""
    blas_compile, blas_link = blas_flags()
    return "\n".join([
        compiler, compiler_version(compiler), " ".join(BASE_FLAGS), " ".join(blas_compile),
        " ".join(blas_link), cpu_signature(), sys.version, np.__version__,
        sysconfig.get_config_var("EXT_SUFFIX") or "", _header_digest(),
    ])


# Run detached by precompiled_header: compile the header, record its SHA-256, move the
# directory into place, and always remove the scratch directory and the marker.
_PCH_BUILDER = """
import hashlib, os, shutil, subprocess, sys
scratch, directory, marker, command = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
try:
    if subprocess.run(command).returncode == 0:
        gch = os.path.join(scratch, "runtime.h.gch")
        with open(gch, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        with open(gch + ".sha256", "w") as handle:
            handle.write(digest)
        os.rename(scratch, directory)
finally:
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        os.unlink(marker)
    except OSError:
        pass
"""


def precompiled_header(compiler, cache_root):
    """Directory holding ``runtime.h.gch`` for these flags, or None while it does not exist.

    The first caller starts building it in the background (a detached compiler process
    that renames its result into place), so a cold compile never waits for it; later
    compiles load the precompiled header instead of parsing Python.h and numpy's headers.
    """
    key = hashlib.sha256(identity(compiler).encode()).hexdigest()[:20]
    directory = os.path.join(cache_root, f"pch-{key}")
    if os.path.exists(os.path.join(directory, "runtime.h.gch")):
        return directory
    os.makedirs(cache_root, mode=0o700, exist_ok=True)
    marker = directory + ".building"
    try:
        if time.time() - os.path.getmtime(marker) < 120:
            return None  # another process is building it
        os.unlink(marker)
    except OSError:
        pass
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except OSError:
        return None
    scratch = tempfile.mkdtemp(prefix="pch-", dir=cache_root)
    blas_compile, _ = blas_flags()
    command = [compiler, *BASE_FLAGS, *blas_compile, *include_flags(), "-x", "c-header",
               os.path.join(KERNELS_DIR, "runtime.h"), "-o",
               os.path.join(scratch, "runtime.h.gch")]
    # The digest beside the header lets every user of it check that it is complete and
    # untouched (cache.verified_pch): a truncated header would break every later compile.
    subprocess.Popen([sys.executable, "-c", _PCH_BUILDER, scratch, directory, marker, *command],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)
    return None


def compile_module(source, module_name, output_path, compiler, pch_dir=None):
    """Compile ``source`` into the extension module ``output_path`` named ``module_name``."""
    directory = os.path.dirname(output_path)
    source_path = os.path.join(directory, "source.c")
    try:
        with open(source_path, "w", encoding="utf-8") as handle:
            handle.write(source)
    except OSError as error:
        raise _environment_error(error.errno, directory) from error
    blas_compile, blas_link = blas_flags()
    includes = ([f"-I{pch_dir}"] if pch_dir else []) + include_flags()
    command = [compiler, *BASE_FLAGS, *blas_compile, *includes, "-shared",
               f'-DAG_MODULE_NAME_STR="{module_name}"', f"-DAG_INIT_FUNCTION=PyInit_{module_name}",
               source_path, "-o", output_path, *blas_link, "-lm"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        for code, text in ((errno.ENOSPC, "No space left on device"),
                           (errno.EDQUOT, "Disk quota exceeded")):
            if text in result.stderr:
                raise _environment_error(code, directory)
        raise CompileError(f"C compilation failed ({' '.join(command)}):\n"
                           f"{result.stderr[-4000:]}")
    return output_path


def _environment_error(code, directory):
    """A clear OSError for a build that failed because of the disk, not the code."""
    reason = os.strerror(code) if code else "cannot write"
    return OSError(code, f"cannot build a compiled module in {directory}: {reason}. Free "
                         f"space there, or point the compile cache elsewhere with "
                         f"ARIGNOTE_FLAGS=compiledir=/path")
