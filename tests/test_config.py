"""The config object and flag parsing."""

import pytest

from arignote.configparser import Config, parse_flags


def test_flags_are_read_from_both_variables():
    config = Config({"THEANO_FLAGS": "floatX=float32,mode=FAST_COMPILE",
                     "ARIGNOTE_FLAGS": "mode=FAST_RUN,device=cpu"})
    assert config.floatX == "float32"
    assert config.mode == "FAST_RUN"


def test_defaults_are_theanos():
    config = Config({})
    assert config.floatX == "float64" and config.device == "cpu" and config.mode == "FAST_RUN"


def test_compiledir_and_unknown_flags():
    assert parse_flags("compiledir=/tmp/x, unknown=3") == {"compiledir": "/tmp/x"}
    assert parse_flags("base_compiledir=/tmp/y") == {"compiledir": "/tmp/y"}


def test_assignment_is_validated():
    config = Config({})
    config.floatX = "float32"
    assert config.floatX == "float32"
    with pytest.raises(ValueError, match="floatX"):
        config.floatX = "float8"
    with pytest.raises(AttributeError, match="no option"):
        config.flaotX = "float32"
    with pytest.raises(ValueError):
        Config({"ARIGNOTE_FLAGS": "floatX=int3"})


def test_monkeypatch_restores_options(monkeypatch):
    """pytest restores an attribute from the instance __dict__ (pytest >= 9.2)."""
    config = Config({"ARIGNOTE_FLAGS": "floatX=float32"})
    assert "floatX" in vars(config)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "floatX", "float64")
        patch.setattr(config, "trace_rewrites", True)
        assert config.floatX == "float64" and config.trace_rewrites is True
    assert config.floatX == "float32" and config.trace_rewrites is False


def test_del_restores_the_default():
    config = Config({"ARIGNOTE_FLAGS": "floatX=float32"})
    del config.floatX
    assert config.floatX == "float64"
    with pytest.raises(AttributeError, match="no option"):
        del config.flaotX
