"""Run Theano code unchanged: ``import theano`` and ``theano.*`` resolve to arignote.

From the command line::

    python -m arignote.theano script.py [args ...]
    python -m arignote.theano -m package.module [args ...]

runs the script (or module) as ``__main__`` with ``theano`` aliased to ``arignote``, so
``import theano.tensor as T`` gives ``arignote.tensor`` and ``from theano import function,
shared`` the arignote ones.  Inside Python, ``arignote.theano.install()`` does the same for
the imports that follow.

>>> import arignote.theano
>>> arignote.theano.install()
>>> import theano.tensor
>>> import arignote.tensor
>>> theano.tensor is arignote.tensor
True
>>> arignote.theano.uninstall()
"""

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys

# Theano modules whose arignote counterpart has another name.
ALIASES = {
    "theano.gof.op": "arignote.compiler.op",
    "theano.gof.type": "arignote.compiler.types",
    "theano.gof.fg": "arignote.compiler.graph",
    "theano.tensor.type": "arignote.compiler.types",
    "theano.tensor.var": "arignote.compiler.variable",
    "theano.tensor.sharedvar": "arignote.runtime.shared",
}


def target_name(fullname):
    """The arignote module that the Theano module ``fullname`` stands for (or None)."""
    if fullname != "theano" and not fullname.startswith("theano."):
        return None
    return ALIASES.get(fullname, "arignote" + fullname[len("theano"):])


class _AliasLoader(importlib.abc.Loader):
    """Hands out an already imported arignote module under its Theano name."""

    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        """Nothing to run: the arignote module is already initialised."""


class TheanoFinder(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` finder mapping ``theano`` and ``theano.*`` to arignote modules."""

    def find_spec(self, fullname, path=None, target=None):
        real = target_name(fullname)
        if real is None:
            return None
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as error:
            if error.name is not None and (real == error.name or
                                           real.startswith(error.name + ".")):
                return None
            raise
        is_package = hasattr(module, "__path__")
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module),
                                               is_package=is_package)


_FINDER = TheanoFinder()


def install():
    """Make ``import theano`` (and ``theano.*``) import arignote from now on."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    existing = sys.modules.get("theano")
    if existing is not None and not getattr(existing, "__name__", "").startswith("arignote"):
        raise ImportError("a real theano module is already imported; call "
                          "arignote.theano.install() before importing theano")


def uninstall():
    """Undo ``install()`` and forget the aliased modules."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if n == "theano" or n.startswith("theano.")]:
        del sys.modules[name]


_USAGE = "usage: python -m arignote.theano (script.py | -m module) [args ...]"


def main(argv=None):
    """Run a script or module with ``theano`` aliased to arignote."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    install()
    if argv[0] == "-m":
        if len(argv) < 2:
            print(_USAGE, file=sys.stderr)
            return 2
        sys.argv = [argv[1]] + argv[2:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    script = argv[0]
    sys.argv = argv
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    from arignote.theano import main as _main  # the importable module, not this __main__ copy
    sys.exit(_main())
