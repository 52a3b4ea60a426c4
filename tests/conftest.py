"""Shared test set-up: tests marked ``cuda`` need a usable GPU and skip without one."""

import pytest

from arignote.runtime import cuda

# For tests that need a GPU: ``@requires_gpu`` (the same as ``@pytest.mark.cuda``), so that
# ``pytest -m cuda`` selects exactly the GPU tests.
requires_gpu = pytest.mark.cuda


def pytest_collection_modifyitems(config, items):
    marked = [item for item in items if item.get_closest_marker("cuda")]
    if not marked:
        return
    try:
        cuda.require("cuda")
    except cuda.CudaUnavailableError as error:
        skip = pytest.mark.skip(reason=f"needs a GPU: {error}")
        for item in marked:
            item.add_marker(skip)
