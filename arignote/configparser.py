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


def _integer(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be an integer; got {value!r}") from None


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number; got {value!r}") from None


_NO_EFFECT = "accepted for Theano compatibility; no effect in arignote."

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
                           "Theano's test values: with 'raise'/'warn'/'ignore', every node "
                           "built from inputs with a ``tag.test_value`` computes its outputs' "
                           "test values at once (shape errors show where the graph is built); "
                           "a missing test value raises, warns or is ignored."),
    "print_test_value": (False, _boolean,
                         "print a variable as its test value when it has one."),
    "trace_rewrites": (False, _boolean, "print each rewrite rule as it fires."),
    "print_source": (False, _boolean, "print each generated module as it is compiled."),
    "warn_float64": ("ignore", _choice("ignore", "warn", "raise"), _NO_EFFECT),
    "optimizer": ("fast_run", str, _NO_EFFECT + " Use mode='FAST_COMPILE' for no rewrites."),
    "linker": ("cvm", str, _NO_EFFECT + " Functions are compiled to C (FAST_RUN)."),
    "allow_gc": (True, _boolean, _NO_EFFECT + " Intermediates are freed by the module."),
    "exception_verbosity": ("low", _choice("low", "high"),
                            _NO_EFFECT + " Errors always name the node and the line."),
    "optimizer_including": ("", str, _NO_EFFECT),
    "optimizer_excluding": ("", str, _NO_EFFECT),
    "optimizer_requiring": ("", str, _NO_EFFECT),
    "profile": (False, _boolean, _NO_EFFECT + " Pass function(profile=True)."),
    "profile_memory": (False, _boolean, _NO_EFFECT),
    "profile_optimizer": (False, _boolean, _NO_EFFECT),
    "openmp": (True, _boolean, _NO_EFFECT + " Large loops always use OpenMP."),
    "openmp_elemwise_minsize": (200000, _integer, _NO_EFFECT),
    "cxx": ("", str, _NO_EFFECT + " The C compiler is the system's cc."),
    "on_opt_error": ("warn", _choice("warn", "raise", "pdb", "ignore"), _NO_EFFECT),
    "on_shape_error": ("warn", _choice("warn", "raise"), _NO_EFFECT),
    "deterministic": ("default", _choice("default", "more"), _NO_EFFECT),
    "check_input": (True, _boolean, _NO_EFFECT + " Inputs are always checked."),
    "nocleanup": (False, _boolean, _NO_EFFECT),
    "unpickle_function": (True, _boolean, _NO_EFFECT),
    "reoptimize_unpickled_function": (False, _boolean, _NO_EFFECT),
    "assert_no_cpu_op": ("ignore", _choice("ignore", "warn", "raise", "pdb"), _NO_EFFECT),
}

# Theano's dotted options (``warn.round``, ``NanGuardMode.nan_is_error`` ...), by section.
_BUG_WARNING = ("Theano's warning about a bug in an old Theano version; " + _NO_EFFECT)
SECTIONS = {
    "warn": {name: (False, _boolean, _BUG_WARNING) for name in (
        "argmax_pushdown_bug", "gpusum_01_011_0111_bug", "sum_sum_bug",
        "sum_div_dimshuffle_bug", "subtensor_merge_bug", "gpu_set_subtensor1", "vm_gc_bug",
        "signal_conv2d_interface", "reduce_join", "inc_set_subtensor1", "round",
        "identify_1pexp_bug")} | {
        "ignore_bug_before": ("0.9", str, _BUG_WARNING)},
    "NanGuardMode": {
        "nan_is_error": (True, _boolean, "default of NanGuardMode(nan_is_error=...)."),
        "inf_is_error": (True, _boolean, "default of NanGuardMode(inf_is_error=...)."),
        "big_is_error": (True, _boolean, "default of NanGuardMode(big_is_error=...)."),
        "action": ("raise", _choice("raise", "warn", "pdb"), _NO_EFFECT + " It raises.")},
    "DebugMode": {name: (True, _boolean, _NO_EFFECT) for name in (
        "check_c", "check_py", "check_finite", "check_strides", "check_preallocated_output",
        "warn_input_not_reused")} | {"patience": (10, _integer, _NO_EFFECT)},
    "scan": {"allow_gc": (False, _boolean, _NO_EFFECT + " Loops run in the module."),
             "allow_output_prealloc": (True, _boolean, _NO_EFFECT),
             "debug": (False, _boolean, _NO_EFFECT)},
    "gcc": {"cxxflags": ("", str, _NO_EFFECT + " arignote chooses its compiler flags.")},
    "blas": {"ldflags": ("", str, _NO_EFFECT + " arignote links scipy-openblas32.")},
    "cmodule": {"warn_no_version": (False, _boolean, _NO_EFFECT),
                "remove_gxx_opt": (False, _boolean, _NO_EFFECT),
                "compilation_warning": (False, _boolean, _NO_EFFECT),
                "preload_cache": (False, _boolean, _NO_EFFECT),
                "age_thresh_use": (60 * 60 * 24 * 24, _integer, _NO_EFFECT)},
    "compile": {"wait": (5, _integer, _NO_EFFECT + " The cache takes no lock."),
                "timeout": (120, _integer, _NO_EFFECT)},
    "tensor": {"cmp_sloppy": (0, _integer, _NO_EFFECT)},
    "traceback": {"limit": (8, _integer, _NO_EFFECT)},
    "numpy": {name: ("ignore", _choice("ignore", "warn", "raise", "call", "print", "log",
                                       "None"), _NO_EFFECT)
              for name in ("seterr_all", "seterr_divide", "seterr_over", "seterr_under",
                           "seterr_invalid")},
    "lib": {"cnmem": (0.0, _number, _NO_EFFECT + " GPU memory comes from the driver's pool.")},
    "gpuarray": {"preallocate": (0.0, _number, _NO_EFFECT)},
    "dnn": {"enabled": ("auto", _choice("auto", "True", "False", "no_check"), _NO_EFFECT)},
    "nvcc": {"fastmath": (False, _boolean, _NO_EFFECT), "flags": ("", str, _NO_EFFECT)},
    "conv": {"assert_shape": (False, _boolean, _NO_EFFECT)},
}


class _Options:
    """Validated attribute access to one table of options (the top level, or a section).

    Each option is an ordinary instance attribute (it lives in ``__dict__``), so tools that
    save and restore attributes, such as pytest's ``monkeypatch.setattr``, work on it, and
    ``del config.name`` puts the option back to its default.
    """

    def __init__(self, prefix, options, values):
        self.__dict__["_prefix"] = prefix
        self.__dict__["_options"] = options
        for name, (default, _, _) in options.items():
            setattr(self, name, values.get(name, default))

    def __getattr__(self, name):
        # Only reached for names that are not options (options are in __dict__).
        raise AttributeError(f"arignote.{self._prefix} has no option {name!r}")

    def __setattr__(self, name, value):
        if name not in self._options:
            raise AttributeError(f"arignote.{self._prefix} has no option {name!r}; options: "
                                 f"{', '.join(self._options)}")
        try:
            value = self._options[name][1](value)
        except ValueError as error:
            raise ValueError(f"{self._prefix}.{name} {error}") from None
        self.__dict__[name] = value

    def __delattr__(self, name):
        if name not in self._options:
            raise AttributeError(f"arignote.{self._prefix} has no option {name!r}")
        self.__dict__[name] = self._options[name][0]

    def __repr__(self):
        return "\n".join(f"{self._prefix}.{name} = {value!r}"
                         for name, value in self.__dict__.items() if not name.startswith("_"))


class Section(_Options):
    """One dotted section of Theano's options (``config.warn``, ``config.NanGuardMode``)."""


class Config(_Options):
    """The options in ``OPTIONS`` and the sections in ``SECTIONS`` (``config.warn.round``).

    >>> config = Config({'THEANO_FLAGS': 'floatX=float32,warn.round=True'})
    >>> config.floatX, config.warn.round
    ('float32', True)
    """

    def __init__(self, environ=None):
        environ = os.environ if environ is None else environ
        values = {}
        for variable in ("THEANO_FLAGS", "ARIGNOTE_FLAGS"):
            values.update(parse_flags(environ.get(variable, "")))
        for section, options in SECTIONS.items():
            prefix = f"config.{section}"
            given = {name.partition(".")[2]: value for name, value in values.items()
                     if name.partition(".")[0] == section}
            self.__dict__[section] = Section(prefix, options, given)
        super().__init__("config", OPTIONS, values)

    def __setattr__(self, name, value):
        if name in SECTIONS:
            raise AttributeError(f"config.{name} is a section: set its options "
                                 f"(config.{name}.option = value)")
        super().__setattr__(name, value)


def parse_flags(text):
    """``'a=1,warn.round=0'`` -> ``{'a': '1', 'warn.round': '0'}``; names unknown to arignote
    are skipped."""
    flags = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, value = item.partition("=")
        name = name.strip()
        section, _, option = name.partition(".")
        if name in OPTIONS or option in SECTIONS.get(section, {}):
            flags[name] = value.strip()
        elif name == "base_compiledir":
            flags["compiledir"] = value.strip()
    return flags


config = Config()
