"""The on-disk compile cache: one directory per module, keyed by a hash of everything that
decides the binary (source, compiler and version, flags, CPU, Python/numpy ABI).

No cache-wide lock: the builder of an entry holds an ``flock`` on that entry's lock file
(released by the kernel if the builder dies), builds in a private temporary directory and
renames it into place; readers of a complete entry never wait.  Each entry records the
SHA-256 of its module, so a truncated or corrupt entry is detected and rebuilt.  The
cache is size-bounded with least-recently-used eviction.
"""

import fcntl
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import random
import shutil
import stat
import sys
import tempfile
import time

from ..configparser import config
from . import build

DEFAULT_MAX_BYTES = 2 << 30
# Scanning the whole cache after every build would cost more than the build on a big cache.
EVICT_CHECK_PROBABILITY = 1 / 16
_LOADED = {}


class CacheDirectoryError(RuntimeError):
    """The cache directory is unsafe (writable by others) or unusable."""


def check_owned(path, what="cache entry"):
    """Refuse ``path`` unless it is a real file or directory (not a link) owned by this user
    and writable only by them: code is loaded from the cache, so nobody else may plant it."""
    try:
        info = os.lstat(path)
    except OSError as error:
        raise CacheDirectoryError(f"the {what} {path} cannot be read: {error}") from None
    if stat.S_ISLNK(info.st_mode):
        raise CacheDirectoryError(f"the {what} {path} is a symbolic link; arignote does not "
                                  f"follow links in its cache. Remove it: rm {path}")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise CacheDirectoryError(f"the {what} {path} belongs to another user; arignote will "
                                  f"not load code from it. Remove it: rm -r {path}")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise CacheDirectoryError(f"the {what} {path} is writable by other users; arignote "
                                  f"will not load code from it. Remove it: rm -r {path}")
    return info


def _is_real_directory(path):
    """A directory that is not a symbolic link (listing and clearing never follow links)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def cache_root():
    """The cache directory: ``config.compiledir``, else ``$XDG_CACHE_HOME/arignote``."""
    if config.compiledir:
        return os.path.abspath(os.path.expanduser(config.compiledir))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "arignote")


def ensure_root(root=None):
    """Create the cache directory private (0700); refuse one writable by other users."""
    root = root or cache_root()
    os.makedirs(root, mode=0o700, exist_ok=True)
    if os.path.islink(root):
        raise CacheDirectoryError(f"the compile cache {root} is a symbolic link; point "
                                  f"compiledir at the real directory")
    info = os.stat(root)
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise CacheDirectoryError(
            f"the compile cache {root} is writable by other users; arignote will not load "
            f"code from it. Fix it with: chmod 700 {root}")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise CacheDirectoryError(f"the compile cache {root} belongs to another user")
    return root


def entry_key(source, compiler):
    digest = hashlib.sha256()
    digest.update(source.encode())
    digest.update(b"\0")
    digest.update(build.identity(compiler).encode())
    return digest.hexdigest()


def _module_name(key):
    return f"ag_{key[:24]}"


def _entry_dir(root, key):
    return os.path.join(root, key[:2], key)


def _file_digest(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _valid(entry, key):
    """True when the entry holds a complete module whose checksum matches its record."""
    if not os.path.lexists(entry):
        return False
    check_owned(os.path.dirname(entry), "cache directory")
    check_owned(entry)
    try:
        meta_path = os.path.join(entry, "meta.json")
        check_owned(meta_path, "cache record")
        with open(meta_path, encoding="utf-8") as handle:
            meta = json.load(handle)
        module_path = os.path.join(entry, os.path.basename(meta["module"]))
        check_owned(module_path, "compiled module")
        return meta.get("key") == key and _file_digest(module_path) == meta["sha256"]
    except CacheDirectoryError:
        raise
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _load(entry, key):
    name = _module_name(key)
    path = os.path.join(entry, name + (build.sysconfig.get_config_var("EXT_SUFFIX") or ".so"))
    loader = importlib.machinery.ExtensionFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def get_module(source, compiler=None):
    """The loaded extension module for ``source``, compiling it on a cache miss."""
    compiler = compiler or build.find_compiler()
    key = entry_key(source, compiler)
    module = _LOADED.get(key)
    if module is not None:
        return module
    root = ensure_root()
    entry = _entry_dir(root, key)
    built = False
    if not _valid(entry, key):
        _build_entry(root, entry, key, source, compiler)
        built = True
    try:
        os.utime(os.path.join(entry, "meta.json"))
    except OSError:
        pass
    module = _load(entry, key)
    _LOADED[key] = module
    # Evict only once the new module is loaded, and never the entry just used: with a small
    # bound the entry could otherwise go between its build and its load.
    if built and random.random() < EVICT_CHECK_PROBABILITY:
        evict(root, keep=(entry,))
    return module


def _build_entry(root, entry, key, source, compiler):
    os.makedirs(os.path.dirname(entry), mode=0o700, exist_ok=True)
    lock_path = entry + ".lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _valid(entry, key):
                return
            if os.path.exists(entry):
                _discard(entry)
            pch = verified_pch(build.precompiled_header(compiler, root))
            scratch = tempfile.mkdtemp(prefix="build-", dir=os.path.dirname(entry))
            try:
                name = _module_name(key)
                module_file = name + (build.sysconfig.get_config_var("EXT_SUFFIX") or ".so")
                path = os.path.join(scratch, module_file)
                try:
                    build.compile_module(source, name, path, compiler, pch)
                except build.CompileError:
                    if pch is None:
                        raise
                    # A header that verifies can still be unusable (another compiler build):
                    # drop it and compile without it; a fresh one is built in the background.
                    _discard(pch)
                    build.compile_module(source, name, path, compiler, None)
                meta = {"key": key, "module": module_file, "sha256": _file_digest(path),
                        "created": time.time(), "compiler": compiler}
                with open(os.path.join(scratch, "meta.json"), "w", encoding="utf-8") as handle:
                    json.dump(meta, handle)
                os.rename(scratch, entry)
            finally:
                if os.path.isdir(scratch):
                    shutil.rmtree(scratch, ignore_errors=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


_VERIFIED_PCH = {}


def verified_pch(directory):
    """``directory`` if its precompiled header is ours and matches the digest its builder
    recorded, else None (a bad one is removed, and rebuilt by the next compile)."""
    if directory is None:
        return None
    gch = os.path.join(directory, "runtime.h.gch")
    try:
        check_owned(directory, "precompiled header directory")
        info = check_owned(gch, "precompiled header")
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        if _VERIFIED_PCH.get(gch) == stamp:
            return directory
        with open(gch + ".sha256", encoding="ascii") as handle:
            recorded = handle.read().strip()
        if recorded and recorded == _file_digest(gch):
            _VERIFIED_PCH[gch] = stamp
            return directory
    except (CacheDirectoryError, OSError):
        pass
    _VERIFIED_PCH.pop(gch, None)
    _discard(directory)
    return None


def _discard(entry):
    if os.path.islink(entry):  # a planted link: remove the link, never what it points to
        try:
            os.unlink(entry)
        except OSError:
            pass
        return
    if not _is_real_directory(entry):
        try:
            os.unlink(entry)
        except OSError:
            pass
        return
    trash = f"{entry}.old-{os.getpid()}-{time.monotonic_ns()}"
    try:
        os.rename(entry, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def entries(root=None):
    """``[(path, bytes, last_used)]`` of every complete entry."""
    root = root or cache_root()
    found = []
    if not _is_real_directory(root):
        return found
    for prefix in sorted(os.listdir(root)):
        directory = os.path.join(root, prefix)
        if len(prefix) != 2 or not _is_real_directory(directory):
            continue
        for name in sorted(os.listdir(directory)):
            entry = os.path.join(directory, name)
            # build-, .lock and .old- names are not entries; links are never followed
            if len(name) != 64 or not _is_real_directory(entry):
                continue
            meta = os.path.join(entry, "meta.json")
            try:  # other processes build and discard entries concurrently
                size = sum(os.path.getsize(os.path.join(entry, f)) for f in os.listdir(entry))
                found.append((entry, size, os.path.getmtime(meta)))
            except OSError:
                continue
    return found


def evict(root=None, max_bytes=None, keep=()):
    """Remove least-recently-used entries (except those in ``keep``) until the cache fits
    in ``max_bytes``."""
    max_bytes = max_bytes or int(os.environ.get("ARIGNOTE_CACHE_MAX_BYTES", DEFAULT_MAX_BYTES))
    found = sorted(entries(root), key=lambda e: e[2])
    total = sum(size for _, size, _ in found)
    for entry, size, _ in found:
        if total <= max_bytes:
            break
        if entry in keep:
            continue
        _discard(entry)
        total -= size


def clear(root=None):
    """Remove every entry and every precompiled header (links are removed, not followed)."""
    root = root or cache_root()
    for entry, _, _ in entries(root):
        _discard(entry)
    if _is_real_directory(root):
        for name in os.listdir(root):
            if name.startswith("pch-"):
                _discard(os.path.join(root, name))
    _LOADED.clear()


def main(argv=None):
    """``python -m arignote.cache {info,list,clear}``."""
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "info"
    root = cache_root()
    if command == "info":
        found = entries(root)
        total = sum(size for _, size, _ in found)
        print(f"cache directory: {root}")
        print(f"entries: {len(found)}, {total / 1e6:.1f} MB")
        print(f"compiler: {build.find_compiler() or 'none found'}")
    elif command == "list":
        for entry, size, used in sorted(entries(root), key=lambda e: -e[2]):
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(used))
            print(f"{stamp}  {size / 1e3:8.1f} kB  {entry}")
    elif command == "clear":
        count = len(entries(root))
        clear(root)
        print(f"removed {count} entries from {root}")
    else:
        print("usage: python -m arignote.cache {info,list,clear}", file=sys.stderr)
        return 2
    return 0
