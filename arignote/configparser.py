"""The one configuration object, read once from ``ARIGNOTE_FLAGS`` and ``THEANO_FLAGS``.

Flags are ``name=value`` pairs separated by commas, e.g.
``ARIGNOTE_FLAGS=floatX=float32,mode=FAST_COMPILE``.  ``THEANO_FLAGS`` is read first, so
``ARIGNOTE_FLAGS`` wins where both name the same option.  Options can also be set at run
time: ``arignote.config.floatX = 'float32'``.
"""

import os
import re

_FLOAT_DTYPES = ("float16", "float32", "float64")
_MODES = ("FAST_RUN", "FAST_COMPILE", "DebugMode", "DEBUG_MODE", "NanGuardMode", "Mode")


def _choice(*allowed):
    def check(value):
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}; got {value!r}")
        return value
    return check


def _boolean(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"must be a boolean; got {value!r}")


def _device(value):
    """'cpu', 'cuda' or 'cudaN'; Theano's 'gpu' and 'gpuN' are read as 'cuda' and 'cudaN'."""
    text = str(value).strip()
    match = re.fullmatch(r"(?:cuda|gpu)(\d*)", text)
    if text == "cpu":
        return text
    if match is not None:
        return "cuda" + match.group(1)
    raise ValueError(f"must be 'cpu', 'cuda' or 'cudaN' (Theano's 'gpu', 'gpuN'); got {value!r}")


# name -> (default, validator, documentation)
OPTIONS = {
    "floatX": ("float64", _choice(*_FLOAT_DTYPES),
               "dtype of float variables built without an explicit dtype (T.matrix())."),
    "device": ("cpu", _device, "where compiled functions and float32 shared variables live: "
               "'cpu', 'cuda' or 'cudaN' (GPU N)."),
    "mode": ("FAST_RUN", _choice(*_MODES), "default compilation mode of function()."),
    "compiledir": ("", str, "directory of the compile cache (default: the XDG cache dir)."),
    "cast_policy": ("custom", _choice("custom", "numpy+floatX"),
                    "how Python scalars get a dtype (Theano's 'custom' autocasting)."),
    "on_unused_input": ("raise", _choice("raise", "warn", "ignore"),
                        "default of function(on_unused_input=...)."),
    "compute_test_value": ("off", _choice("off", "ignore", "warn", "raise"),
                           "accepted for Theano compatibility; test values are not computed."),
    "trace_rewrites": (False, _boolean, "print each rewrite rule as it fires."),
    "print_source": (False, _boolean, "print each generated module as it is compiled."),
    "warn_float64": ("ignore", _choice("ignore", "warn", "raise"),
                     "accepted for Theano compatibility."),
}


class Config:
    """Attribute access to the options in ``OPTIONS``; assignments are validated.

    Each option is an ordinary instance attribute (it lives in ``__dict__``), so tools that
    save and restore attributes, such as pytest's ``monkeypatch.setattr``, work on it, and
    ``del config.name`` puts the option back to its default.
    """

    def __init__(self, environ=None):
        environ = os.environ if environ is None else environ
        values = {name: default for name, (default, _, _) in OPTIONS.items()}
        for variable in ("THEANO_FLAGS", "ARIGNOTE_FLAGS"):
            for name, value in parse_flags(environ.get(variable, "")).items():
                values[name] = value
        for name, value in values.items():
            setattr(self, name, value)

    def __getattr__(self, name):
        # Only reached for names that are not options (options are in __dict__).
        raise AttributeError(f"arignote.config has no option {name!r}")

    def __setattr__(self, name, value):
        if name not in OPTIONS:
            raise AttributeError(
                f"arignote.config has no option {name!r}; options: {', '.join(OPTIONS)}")
        try:
            value = OPTIONS[name][1](value)
        except ValueError as error:
            raise ValueError(f"config.{name} {error}") from None
        self.__dict__[name] = value

    def __delattr__(self, name):
        if name not in OPTIONS:
            raise AttributeError(f"arignote.config has no option {name!r}")
        self.__dict__[name] = OPTIONS[name][0]

    def __repr__(self):
        return "\n".join(f"{name} = {value!r}" for name, value in self.__dict__.items())


def parse_flags(text):
    """``'a=1,b=2'`` -> ``{'a': '1', 'b': '2'}``; names unknown to arignote are skipped."""
    flags = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, value = item.partition("=")
        name = name.strip().replace(".", "__")
        if name in OPTIONS:
            flags[name] = value.strip()
        elif name == "base_compiledir":
            flags["compiledir"] = value.strip()
    return flags


config = Config()
