"""Every example in docs/*.md and in the package's docstrings runs as a doctest."""

import doctest
import glob
import importlib
import os
import pkgutil

import numpy as np
import pytest

import arignote

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
DOCS = sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _modules():
    names = [arignote.__name__]
    for info in pkgutil.walk_packages(arignote.__path__, prefix="arignote."):
        names.append(info.name)
    return sorted(names)


def _run(test_callable):
    """Run with numpy's print options and the global RNG restored afterwards."""
    options = np.get_printoptions()
    state = np.random.get_state()
    try:
        return test_callable()
    finally:
        np.set_printoptions(**options)
        np.random.set_state(state)


def test_docs_exist():
    names = {os.path.basename(path) for path in DOCS}
    assert {"index.md", "tutorial.md", "porting.md"} <= names


@pytest.mark.parametrize("path", DOCS, ids=[os.path.basename(p) for p in DOCS])
def test_markdown_doctests(path):
    result = _run(lambda: doctest.testfile(path, module_relative=False, optionflags=FLAGS,
                                           verbose=False, report=True))
    assert result.failed == 0, f"{result.failed} doctest failure(s) in {path} (see output)"


@pytest.mark.parametrize("name", _modules())
def test_module_docstrings(name):
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if (error.name or "").startswith("arignote"):
            raise
        pytest.skip(f"{name} needs the optional package {error.name}")
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS, verbose=False)
    for test in finder.find(module, name, globs=vars(module).copy()):
        _run(lambda test=test: runner.run(test))
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} docstring example(s) failed in {name}"
