"""``python -m arignote.theano script.py``: Theano scripts run unchanged."""

import os
import subprocess
import sys
import textwrap

import pytest

import arignote
import arignote.theano as hook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(arignote.__file__)))

SCRIPT = textwrap.dedent("""
    import sys
    import numpy
    import theano
    import theano.tensor as T
    from theano import function, shared, In, Out
    from theano.compile import Mode
    from theano.compile.sharedvalue import SharedVariable

    x = T.dvector('x')
    w = shared(numpy.ones(2), name='w')
    a = T.dscalar('a')
    f = function([x, In(a, value=1.0)], Out(T.exp(x * w).sum() * a), updates=[(w, w * 2)])
    print("value", float(f(numpy.zeros(2))), w.get_value().tolist())
    print("argv", sys.argv[1:])
    print("names", theano.__name__, T.__name__, isinstance(w, SharedVariable))
    print("mode", type(Mode()).__name__, theano.config.floatX)
""")


def _run(args, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "arignote.theano"] + args, cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_script_runs_with_theano_imports(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    result = _run([str(script), "--epochs", "3"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "value 2.0 [2.0, 2.0]"
    assert lines[1] == "argv ['--epochs', '3']"
    assert lines[2] == "names arignote arignote.tensor True"
    assert lines[3].startswith("mode Mode")


def test_module_runs_with_dash_m(tmp_path):
    (tmp_path / "theano_job.py").write_text(
        "import theano.tensor as T\nfrom theano import function\n"
        "x = T.dscalar('x')\nprint(float(function([x], x * 3)(2.0)))\n")
    result = _run(["-m", "theano_job"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "6.0"


def test_script_errors_propagate(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("import theano\nraise SystemExit(3)\n")
    assert _run([str(script)], tmp_path).returncode == 3
    assert _run([], tmp_path).returncode == 2


def test_install_in_process():
    hook.install()
    try:
        import theano
        import theano.tensor as T
        from theano.tensor.nnet import sigmoid  # noqa: F401
        assert theano is arignote and T is arignote.tensor
        assert theano.function is arignote.function and theano.shared is arignote.shared
        with pytest.raises(ModuleNotFoundError):
            import theano.no_such_module
    finally:
        hook.uninstall()
    assert "theano" not in sys.modules


def test_module_name_mapping():
    assert hook.target_name("theano") == "arignote"
    assert hook.target_name("theano.tensor.nnet") == "arignote.tensor.nnet"
    assert hook.target_name("theano.gof.graph") == "arignote.gof.graph"
    assert hook.target_name("theano.gof.op") == "arignote.compiler.op"
    assert hook.target_name("theanox") is None and hook.target_name("numpy") is None
