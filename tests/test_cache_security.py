"""Tampering with the compile cache: every file loaded is checked, links are never followed,
a broken precompiled header is rebuilt, and a full disk says so."""

import errno
import os
import stat
import subprocess
import uuid

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.runtime import build, cache

pytestmark = pytest.mark.skipif(build.find_compiler() is None, reason="no C compiler")


@pytest.fixture
def root(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setattr(arignote.config, "compiledir", str(directory))
    monkeypatch.setattr(cache, "_LOADED", {})
    return directory


def _compile(tag=None):
    """A function whose source is unique to ``tag`` (so it is built, not found)."""
    tag = uuid.uuid4().int % 10 ** 6 / 7.0 if tag is None else tag
    x = T.dvector("x")
    f = arignote.function([x], T.exp(x) * tag + 1.0)
    np.testing.assert_allclose(f(np.zeros(2)), [tag + 1.0] * 2)
    return f


def _only_entry(root):
    (entry,) = [e for e, _, _ in cache.entries(str(root))]
    return entry


def _pch_dir(root):
    key = build.hashlib.sha256(build.identity(build.find_compiler()).encode()).hexdigest()[:20]
    return root / f"pch-{key}"


@pytest.mark.parametrize("recorded", ["missing", "wrong", "right"])
def test_a_truncated_precompiled_header_is_rebuilt(root, recorded):
    root.mkdir(mode=0o700)
    pch = _pch_dir(root)
    pch.mkdir(mode=0o700)
    (pch / "runtime.h.gch").write_bytes(b"gpch truncated")
    if recorded == "wrong":
        (pch / "runtime.h.gch.sha256").write_text("0" * 64)
    if recorded == "right":  # verifies, but the compiler cannot use it
        digest = build.hashlib.sha256(b"gpch truncated").hexdigest()
        (pch / "runtime.h.gch.sha256").write_text(digest)
    _compile()
    _compile()
    gch = pch / "runtime.h.gch"
    if recorded != "right":  # not what its builder recorded: removed (a new one is built)
        assert not gch.exists() or gch.read_bytes() != b"gpch truncated"


def test_cache_clear_removes_precompiled_headers(root):
    root.mkdir(mode=0o700)
    pch = _pch_dir(root)
    pch.mkdir(mode=0o700)
    (pch / "runtime.h.gch").write_bytes(b"junk")
    cache.clear(str(root))
    assert not pch.exists()


def test_an_entry_is_not_evicted_between_build_and_load(root, monkeypatch):
    monkeypatch.setenv("ARIGNOTE_CACHE_MAX_BYTES", "1")
    monkeypatch.setattr(cache, "EVICT_CHECK_PROBABILITY", 1.0)
    for _ in range(3):
        _compile()
    assert len(cache.entries(str(root))) == 1


def test_a_full_disk_is_a_clear_oserror(root, monkeypatch):
    def full(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, "", "fatal error: error writing to "
                                           "/tmp/ccX.s: No space left on device")
    monkeypatch.setattr(build.subprocess, "run", full)
    with pytest.raises(OSError) as excinfo:
        _compile()
    assert excinfo.value.errno == errno.ENOSPC and "compiledir" in str(excinfo.value)


@pytest.mark.parametrize("target", ["prefix", "entry", "module"])
def test_group_writable_cache_files_are_refused(root, target):
    _compile(tag=3.25)
    entry = _only_entry(root)
    module = next(os.path.join(entry, n) for n in os.listdir(entry) if n.endswith(".so"))
    path = {"prefix": os.path.dirname(entry), "entry": entry, "module": module}[target]
    os.chmod(path, os.stat(path).st_mode | stat.S_IWGRP | stat.S_IWOTH)
    cache._LOADED.clear()
    with pytest.raises(cache.CacheDirectoryError, match="writable by other users"):
        _compile(tag=3.25)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="changing a file's owner needs root")
def test_files_owned_by_someone_else_are_refused(root):
    _compile(tag=4.5)
    entry = _only_entry(root)
    module = next(os.path.join(entry, n) for n in os.listdir(entry) if n.endswith(".so"))
    os.chown(module, 65534, 65534)
    cache._LOADED.clear()
    with pytest.raises(cache.CacheDirectoryError, match="another user"):
        _compile(tag=4.5)


def test_a_planted_link_is_refused_and_clear_does_not_follow_links(root, tmp_path):
    _compile(tag=5.75)
    entry = _only_entry(root)
    module = next(os.path.join(entry, n) for n in os.listdir(entry) if n.endswith(".so"))
    elsewhere = tmp_path / "elsewhere.so"
    os.rename(module, elsewhere)
    os.symlink(elsewhere, module)
    cache._LOADED.clear()
    with pytest.raises(cache.CacheDirectoryError, match="symbolic link"):
        _compile(tag=5.75)
    # a prefix directory linked to a folder outside the cache
    outside = tmp_path / "outside"
    (outside / ("a" * 64)).mkdir(parents=True)
    (outside / ("a" * 64) / "meta.json").write_text("{}")
    os.symlink(outside, root / "zz")
    cache.clear(str(root))
    assert (outside / ("a" * 64) / "meta.json").exists()
    assert elsewhere.exists()
