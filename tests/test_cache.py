"""The on-disk compile cache: concurrency, corruption, reuse across processes, safety."""

import os
import stat
import subprocess
import sys
import textwrap
import uuid

import pytest

from arignote.runtime import build, cache

pytestmark = pytest.mark.skipif(build.find_compiler() is None, reason="no C compiler")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A program compiling a graph unique to `tag` and printing its result; run in subprocesses.
PROGRAM = textwrap.dedent("""
    import sys
    import numpy as np
    import arignote as theano
    import arignote.tensor as T
    import arignote.runtime.build as build
    if len(sys.argv) > 2:  # forbid compiling: everything must come from the cache
        def refuse(*args, **kwargs):
            raise RuntimeError("compiled although the cache holds the module")
        build.compile_module = refuse
    tag = float(sys.argv[1])
    x = T.dvector('x')
    f = theano.function([x], T.exp(x) * tag + T.log1p(x * x))
    print(float(f(np.array([0.5, 1.5])).sum()))
""")


def _run(directory, tag, extra_env=None, code=PROGRAM, *flags):
    env = dict(os.environ, ARIGNOTE_FLAGS=f"compiledir={directory}",
               PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.update(extra_env or {})
    return subprocess.Popen([sys.executable, "-c", code, str(tag), *flags], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _modules(directory):
    return [e for e, _, _ in cache.entries(directory)]


def test_concurrent_processes_compile_one_entry(tmp_path):
    tag = 1.0 + uuid.uuid4().int % 1000 / 1000
    processes = [_run(tmp_path, tag) for _ in range(8)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        results.append(out.strip())
    assert len(set(results)) == 1
    assert len(_modules(str(tmp_path))) == 1
    assert not [n for n in os.listdir(tmp_path) if n.startswith("build-")]


def test_second_process_compiles_nothing(tmp_path):
    first = _run(tmp_path, 2.5)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    # The second process is not allowed to compile: it must find everything in the cache.
    second = _run(tmp_path, 2.5, None, PROGRAM, "no-build")
    out2, err2 = second.communicate(timeout=300)
    assert second.returncode == 0, err2
    assert out2.strip() == out.strip()


def test_truncated_module_is_rebuilt(tmp_path):
    process = _run(tmp_path, 3.5)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    (entry,) = _modules(str(tmp_path))
    module = [n for n in os.listdir(entry) if n.endswith(".so")][0]
    path = os.path.join(entry, module)
    with open(path, "r+b") as handle:
        handle.truncate(os.path.getsize(path) // 2)
    again = _run(tmp_path, 3.5)
    out2, err2 = again.communicate(timeout=300)
    assert again.returncode == 0, err2
    assert out2.strip() == out.strip()
    assert os.path.getsize(os.path.join(_modules(str(tmp_path))[0], module)) > 0


def test_directory_is_private_and_unsafe_ones_are_refused(tmp_path):
    root = str(tmp_path / "fresh")
    cache.ensure_root(root)
    assert stat.S_IMODE(os.stat(root).st_mode) & 0o077 == 0
    unsafe = tmp_path / "shared"
    unsafe.mkdir()
    os.chmod(unsafe, 0o777)
    with pytest.raises(cache.CacheDirectoryError, match="chmod 700"):
        cache.ensure_root(str(unsafe))


def test_eviction_keeps_the_cache_bounded(tmp_path):
    for tag in (4.5, 5.5):
        process = _run(tmp_path, tag)
        assert process.communicate(timeout=300) and process.returncode == 0
    assert len(_modules(str(tmp_path))) == 2
    cache.evict(str(tmp_path), max_bytes=1)
    assert len(_modules(str(tmp_path))) == 0


def test_cache_command_line(tmp_path):
    process = _run(tmp_path, 6.5)
    assert process.communicate(timeout=300) and process.returncode == 0
    env = dict(os.environ, ARIGNOTE_FLAGS=f"compiledir={tmp_path}",
               PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    info = subprocess.run([sys.executable, "-m", "arignote.cache", "info"], env=env,
                          capture_output=True, text=True)
    assert "entries: 1" in info.stdout
    listing = subprocess.run([sys.executable, "-m", "arignote.cache", "list"], env=env,
                             capture_output=True, text=True)
    assert str(tmp_path) in listing.stdout
    cleared = subprocess.run([sys.executable, "-m", "arignote.cache", "clear"], env=env,
                             capture_output=True, text=True)
    assert "removed 1" in cleared.stdout
    assert _modules(str(tmp_path)) == []


def test_no_compiler_warns_once_and_uses_the_reference_backend(tmp_path):
    code = textwrap.dedent("""
        import warnings, numpy as np
        import arignote as theano, arignote.tensor as T
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            x = T.dvector('x')
            f = theano.function([x], x * 2)
            g = theano.function([x], x + 2)
        print(f.source is None, float(f(np.ones(2)).sum()), float(g(np.ones(2)).sum()))
        print(sum('no C compiler' in str(w.message) for w in caught))
    """)
    process = _run(tmp_path, 0, {"CC": "", "PATH": "/nonexistent"}, code=code)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert out.split() == ["True", "4.0", "6.0", "1"]
