"""surfaces.from_expression: formulas a student types, on a public server.

Valid formulas must agree with the built-in surfaces they spell and have correct
derivatives; hostile or broken ones must be refused quickly, with a column and a reason,
without anything in them being run.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import inspect
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surfaces
from momentum_viz import METHODS, reference_run, simulate
from surfaces import (
    ExpressionError,
    formula_build,
    formula_fold,
    formula_latex,
    formula_minima,
    formula_parser,
    formula_pool,
    formula_program,
    formula_worker,
    from_expression,
    get_surface,
)
from surfaces import expression as expression_module

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
HIMMELBLAU = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"
SIN_COS = "sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)"
BOX = ((-2.0, 2.0), (-2.0, 2.0))


def _points(bounds, n, seed):
    (xmin, xmax), (ymin, ymax) = bounds
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)], axis=-1)


def _timed(expr, bounds=BOX):
    """Build (uncached: a fresh cache for each timing) and return (surface, seconds)."""
    expression_module.clear_cache()
    t = time.perf_counter()
    try:
        return from_expression(expr, bounds), time.perf_counter() - t
    finally:
        expression_module.clear_cache()


# --- Valid formulas ---------------------------------------------------------------------


@pytest.mark.parametrize(("expr", "name"), [(ROSENBROCK, "rosenbrock"), (HIMMELBLAU, "himmelblau")])
def test_formula_agrees_with_the_builtin_surface(expr, name):
    builtin = get_surface(name)
    custom = from_expression(expr, builtin.bounds)
    xy = _points(builtin.bounds, 500, seed=3)
    np.testing.assert_allclose(custom.value(xy), builtin.value(xy), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(custom.grad(xy), builtin.grad(xy), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(custom.hessian(xy), builtin.hessian(xy), rtol=1e-12, atol=1e-9)
    # Same minima, found numerically instead of listed by hand.
    assert len(custom.minima) == len(builtin.minima)
    for expected in builtin.minima:
        nearest = min(custom.minima, key=lambda m: np.hypot(*np.subtract(m.point, expected.point)))
        np.testing.assert_allclose(nearest.point, expected.point, atol=1e-9)
        assert nearest.is_global == expected.is_global
        assert nearest.value == pytest.approx(expected.value, abs=1e-12)


def test_surface_fields_identity_and_cache():
    s = from_expression(SIN_COS, ((-3, 3), (-3, 3)))
    assert s.name == "custom"
    assert s.title == f"J(x, y) = {SIN_COS}"
    assert s.latex.startswith("J(x, y) = ") and r"\sin" in s.latex
    assert s.params == (("expr", SIN_COS), ("bounds", ((-3.0, 3.0), (-3.0, 3.0))))
    # Cached by (formula, bounds), and equal by value: the app can rebuild it for free.
    assert from_expression(SIN_COS, [[-3, 3], [-3, 3]]) is s
    assert from_expression(SIN_COS, ((-3, 3), (-3, 2))) != s
    assert hash(s) == hash(("custom", s.params))
    # Defaults: a finite start inside the bounds and away from the minima, a stable α.
    (xmin, xmax), (ymin, ymax) = s.bounds
    assert xmin < s.start[0] < xmax and ymin < s.start[1] < ymax
    distance = {m: np.hypot(*np.subtract(m.point, s.start)) for m in s.minima}
    assert all(d > 1.5 for m, d in distance.items() if m.is_global)
    assert all(d > 0.3 for d in distance.values())  # not sitting in a well already
    lam_max = np.linalg.eigvalsh(s.hessian(_points(s.bounds, 2000, seed=4)))[:, -1].max()
    assert 1e-5 <= s.lr <= 1.0 and s.lr * lam_max <= 1.05
    assert s.momentum == 0.9 and 300 <= s.steps <= 1000
    assert sum(m.is_global for m in s.minima) >= 1
    for m in s.minima:  # each one a true local minimum
        assert np.linalg.norm(s.grad(np.array(m.point))) < 1e-8
        assert np.all(np.linalg.eigvalsh(s.hessian(np.array(m.point))) > 0)


def test_functions_broadcast_over_any_shape_even_constants():
    s = from_expression("3 + 0*y + x", BOX)  # constant gradient, zero Hessian
    xy = np.zeros((4, 5, 2))
    assert s.value(xy).shape == (4, 5)
    assert s.grad(xy).shape == (4, 5, 2)
    assert s.hessian(xy).shape == (4, 5, 2, 2)
    gx, gy = s.grad_fn(np.zeros((3, 1)), np.zeros((1, 2)))
    assert gx.shape == gy.shape == (3, 2)
    np.testing.assert_array_equal(s.grad(xy)[..., 0], 1.0)
    np.testing.assert_array_equal(s.hessian(xy), 0.0)


def test_large_exact_constants_evaluate_as_floats():
    # 4913**6 is exact in SymPy but beyond int64: NumPy must get it as a float.
    s = from_expression("sin((1 + 4**2)**3)**2 * 0 + x**2 + y**2 + 1/((3**10)**2 + 1)*x", BOX)
    assert np.isfinite(s.value(np.zeros(2)))
    s2 = from_expression("sin((1 + ((1 + (4)**2)**3)**2)**3) + x**2", BOX)
    # sin of a number this large is rounding noise; only that it is a float in [-1, 1].
    assert abs(float(s2.value(np.zeros(2)))) <= 1.0


def test_overflow_in_far_corners_is_quiet():
    # filterwarnings = error: a RuntimeWarning from NumPy would fail this test.
    s = from_expression("exp(x**2) + log(y) + sqrt(x)", ((-30, 30), (-30, 30)))
    value = s.value(np.array([[30.0, -5.0], [-30.0, 1.0]]))
    assert not np.isfinite(value).any()
    s.grad(np.array([30.0, -5.0]))
    s.hessian(np.array([30.0, -5.0]))


def test_degenerate_minimum_is_found_but_a_flat_valley_is_not():
    (quartic,) = from_expression("x**4 + y**4", BOX).minima
    np.testing.assert_allclose(quartic.point, (0.0, 0.0), atol=1e-10)
    assert from_expression("(x - 2*y)**2", BOX).minima == ()  # a line of minima, none isolated


def test_only_stationary_points_inside_the_bounds_count_as_minima():
    s = from_expression("x**2 + y**2", BOX)
    px, py = np.array([0.0, 1.0, 3.0, 1e-3]), np.array([0.0, 1.0, 0.0, 0.0])
    grid = s.value(np.stack(np.meshgrid(np.linspace(-2, 2, 60), np.linspace(-2, 2, 60)), -1))
    keep = formula_minima.is_minimum(s.value_fn, s.grad_fn, s.hessian_fn, BOX, px, py, grid)
    # The minimum; a point with positive definite Hessian but a slope; one outside the
    # bounds; one near the minimum but not at it.
    assert keep.tolist() == [True, False, False, False]


def _central(fn, xy, h):
    ex, ey = np.array([h, 0.0]), np.array([0.0, h])
    return np.stack(
        [(fn(xy + ex) - fn(xy - ex)) / (2 * h), (fn(xy + ey) - fn(xy - ey)) / (2 * h)], axis=-1
    )


_LEAVES = st.one_of(
    st.sampled_from(["x", "y", "pi", "e"]),
    st.integers(0, 9).map(str),
    st.floats(0.1, 3.0).map(lambda v: f"{v:.2f}"),
)


def _grammar(children):
    # exp only of a bounded argument: exp of a polynomial of exps overflows float64, and
    # central differences cannot check a function whose values are 1e300 (the parser's
    # refusals of such formulas are tested in the hostile table).
    unary = st.sampled_from(["sin", "cos", "tanh", "atan", "exp(tanh", "abs", "-"])
    binary = st.sampled_from(["+", "-", "*"])
    return st.one_of(
        st.tuples(unary, children).map(
            lambda t: f"{t[0]}({t[1]}))" if t[0] == "exp(tanh" else f"{t[0]}({t[1]})"
        ),
        st.tuples(children, binary, children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(children, st.sampled_from(["2", "3", "-1", "0.5"])).map(
            lambda t: f"(1 + ({t[0]})**2)**{t[1]}"  # base ≥ 1: every power is defined
        ),
    )


def _agree(analytic, fn, xy, shape_axes):
    """Where central differences of fn are trustworthy (two step sizes agree), analytic
    must match them. Returns the fraction of those points where it does."""
    fd, fd_coarse = _central(fn, xy, 1e-6), _central(fn, xy, 1e-5)
    if shape_axes == 2:  # a Hessian: the differences of the gradient, axes swapped
        fd, fd_coarse = np.swapaxes(fd, -1, -2), np.swapaxes(fd_coarse, -1, -2)
    axes = tuple(range(-shape_axes, 0))
    scale = 1.0 + np.abs(fd)
    trusted = np.isfinite(fd).all(axes) & np.isfinite(analytic).all(axes)
    # Rounding: a difference of values of size |f| carries an error of about eps·|f|/h.
    # Where that is not far below the slope (x's slope 1 under J = 4e12, whose spacing is
    # 5e-4: both step sizes see 0), the difference says nothing.
    size = np.abs(np.asarray(fn(xy), dtype=float))
    per_point = size.reshape(len(xy), -1).max(-1)  # the largest |f| at each point
    rounding = (np.finfo(float).eps * per_point / 1e-6).reshape((-1,) + (1,) * shape_axes)
    trusted &= (rounding < 1e-8 * scale).all(axes)
    trusted &= (np.abs(fd - fd_coarse) / scale < 1e-6).all(axes)  # smooth at this scale
    close = (np.abs(analytic - fd) / scale < 1e-5).all(axes)
    return np.mean(close[trusted]) if trusted.any() else 1.0


# derandomize: the same 60 formulas on every run, so CI cannot fail on a new draw; run
# with --hypothesis-seed=random (and derandomize off) to explore further.
@settings(max_examples=200, deadline=None, derandomize=False)
@given(expr=st.recursive(_LEAVES, _grammar, max_leaves=8))
def test_random_formulas_have_correct_derivatives(expr):
    try:
        s, seconds = _timed(expr)
    except ExpressionError as err:  # too costly, or e.g. exp((1 + pi**2)**3) = inf
        reasons = ("costly", "nested", "not finite", "decades large", "too large", "computing")
        assert any(word in err.reason for word in reasons), err
        return
    assert seconds < 5.0  # a build in the worker, and its answer read back
    xy = _points(BOX, 200, seed=5)
    # abs makes kinks: a central difference within h of one sees the mean of two slopes.
    needed = 0.95 if "abs" in expr else 1.0
    assert _agree(s.grad(xy), s.value, xy, 1) >= needed
    assert _agree(s.hessian(xy), s.grad, xy, 2) >= needed


@pytest.mark.parametrize("expr", [ROSENBROCK, HIMMELBLAU, SIN_COS])
def test_building_is_fast(expr):
    _, seconds = _timed(expr, ((-5, 5), (-5, 5)))
    assert seconds < 3.0


@pytest.mark.parametrize("method", METHODS)
def test_simulate_runs_on_a_custom_surface(method):
    builtin = get_surface("rosenbrock")
    s = from_expression(ROSENBROCK, builtin.bounds)
    kw = {"lr": builtin.lr, "momentum": builtin.momentum, "steps": builtin.steps}
    run = simulate(s, method, builtin.start, **kw)
    expected = simulate(builtin, method, builtin.start, **kw)
    # The same run up to rounding (which momentum amplifies over a thousand steps).
    np.testing.assert_allclose(run.positions[:50], expected.positions[:50], rtol=1e-9)
    np.testing.assert_allclose(run.positions[-1], expected.positions[-1], atol=1e-3)
    assert run.minimum == expected.minimum
    # The custom defaults make a run that does not diverge.
    default = simulate(s, method, s.start, lr=s.lr, momentum=s.momentum, steps=s.steps)
    assert default.diverged_at == -1
    assert default.losses[-1] < 0.5 * default.losses[0]


# --- No minimum: still a surface, and it races ------------------------------------------

NO_MINIMUM = [
    "1",  # constant
    "0*x + 2*y - 2*y",  # constant that SymPy folds to 0
    "-x**2 - y**2",  # a maximum, unbounded below beyond the box
    "x + y",  # a plane: unbounded below
    "x**2 - y**2",  # a saddle
    "(x - 5)**2 + y**2",  # the minimum lies outside the bounds
]


@pytest.mark.parametrize("expr", NO_MINIMUM)
def test_surface_without_minimum_still_races(expr):
    with _nothing_runs():
        s, seconds = _timed(expr)
    assert seconds < 3.0
    assert s.minima == ()
    with pytest.raises(ValueError, match="no minimum"):
        s.global_minimum  # noqa: B018
    starts = np.array([s.start, (0.5, -0.5)])
    for method in METHODS:
        run = simulate(s, method, s.start, lr=s.lr, momentum=s.momentum, steps=s.steps)
        assert run.minimum == -1 and run.converged_at == -1
        assert np.isfinite(run.positions).all() and np.isfinite(run.losses).all()
        batch = simulate(s, method, starts, lr=s.lr, momentum=s.momentum, steps=50)
        assert (np.asarray(batch.minimum) == -1).all()
        ref = reference_run(s, method, s.start, lr=s.lr, momentum=s.momentum, steps=50)
        assert ref.minimum == -1


# --- Hostile and broken input -----------------------------------------------------------

HOSTILE = [
    # imports and escapes into Python
    ("__import__('os').system('echo pwned')", r"attribute access \(\.system\)"),
    ("__import__('os')", r"calls to '__import__' \(dunder name\)"),
    ("x.__class__", r"column 2: attribute access \(\.__class__\)"),
    ("x.__class__.__base__.__subclasses__()", "attribute access"),
    ("().__class__", "attribute access"),
    ("__builtins__", "dunder name"),
    ("__class__", "dunder name"),
    ("os.system('ls')", r"attribute access \(\.system\)"),
    ("open('/etc/passwd')", "calls to 'open'"),
    ("eval('1+1')", "calls to 'eval'"),
    ("exec('x=1')", "calls to 'exec'"),
    ("getattr(x, 'real')", "calls to 'getattr'"),
    ("globals()", "calls to 'globals'"),
    ("import os", "syntax error"),
    ("x; import os", "syntax error"),
    ("lambda: 0", "lambda"),
    ("[c for c in ()]", "list comprehensions"),
    ("sum(i for i in (1, 2))", "calls to 'sum'"),
    ("{k: 1 for k in 'ab'}", "dict comprehensions"),
    ("(z := 3)", r"assignments \(:=\)"),
    ("x[0]", "subscripts"),
    ("x if y else 1", "conditional expressions"),
    # data that is not a number
    ("'abc'", "strings are not allowed"),
    ("b'abc'", "bytes are not allowed"),
    ("f'{x}'", "f-strings"),
    ("True", "True and False"),
    ("None", "constants such as None"),
    ("1j", "complex numbers"),
    ("(x, y)", "tuples"),
    # huge numbers and powers
    ("9**9**9", r"column 4: an exponent must be a number"),
    ("10**1000", "exponent 1000 is too large"),
    ("x**1e9", "number 1e\\+09 is too large"),
    ("x**-11", "exponent -11 is too large"),
    ("2**x", "an exponent must be a number"),
    ("(1000000**10)**10", r"about 1e600; at most 1e300"),
    ("(999999**10 + x)**10", r"about 1e600; at most 1e300"),
    ("1e999", "too large"),
    ("1234567 * x", "too large"),
    ("1" + "0" * 250, "too large"),
    # size and nesting
    ("(" * 200 + "x" + ")" * 200, "401 characters long; at most 300"),
    ("x+" * 5000 + "x", "10001 characters long"),
    ("sin(" * 40 + "x" + ")" * 40, "nested more than 30 levels"),
    ("-" * 250 + "x", "nested more than 30 levels"),
    ("*".join(f"sin(x+{i}*y)" for i in range(1, 25)), "too costly"),
    # characters
    ("\u0445**2 + y**2", r"U\+0445 CYRILLIC SMALL LETTER HA"),
    ("x**2 + \uff59", "FULLWIDTH LATIN SMALL LETTER Y"),
    ("x\x00", r"column 2: control character U\+0000"),
    ("x\n+ y", r"control character U\+000A"),
    ("x + '\\x41'", r"the character '\\'"),
    ("", "empty"),
    ("   ", "empty"),
    # broken syntax and misuse
    ("x +", r"column 3: the formula ends too early, after '\+'"),
    ("(x + y", "syntax error"),
    # slips a student can act on, in the student's words, where they are
    ("x**2 + 10*y**", r"column 13: the formula ends too early, after '\*\*'"),
    ("2x + y**2", r"column 1: write 2\*x for 2 times x"),
    ("x**2 + 3.5y", r"column 8: write 3.5\*y"),
    ("sin x", r"column 1: write sin\(x\): a function takes its argument in parentheses"),
    ("x y", r"column 3: two terms side by side: write x\*y"),
    ("sin(x=1)", r"column 5: sin\(\) takes no keyword arguments"),
    ("sin(x, y)", r"sin\(\) takes exactly one argument \(got 2\)"),
    ("sin()", r"got 0"),
    ("sin(*x)", "starred"),
    ("sin", "is a function"),
    ("foo(x)", "calls to 'foo'"),
    ("X**2", "unknown name 'X'"),
    ("x < y", "comparisons"),
    ("x and y", "boolean operators"),
    ("not x", "'not'"),
    ("x // 2", "operator //"),
    ("x ^ 2", r"write \*\*"),
    ("x @ y", "operator @"),
    # not a real number
    ("1/0", "column 3: division by zero"),
    ("x**(1/0)", "column 7: division by zero in an exponent"),
    ("x/(y - y)", "division by zero"),
    ("sqrt(-1)", "is not real"),
    ("log(0)", "not finite"),
    ("exp(1000000)", r"column 1: exp\(1000000\) is too large to compute \(beyond 1e300\)"),
    ("sin(exp(999999)) + x", r"column 5: exp\(999999\) is too large"),
    ("sqrt(sin(exp(exp(exp(3))))) + x**2", r"column 10: exp\(exp\(exp\(3\)\)\) is too large"),
    ("x + sinh(exp((pi**3 - sin(2))**10))", "column 10: .* is too large"),
    ("x*sinh(exp(999999))", "column 8: exp"),
    ("log(0) + x", r"column 1: log\(0\) is not finite"),
    ("sqrt(-2) + x", r"column 1: sqrt\(-2\) is not real"),
]


class Forbidden(AssertionError):
    """Raised by the guards: something tried to run."""


def _install_guards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every way of running text raise.

    builtins eval, exec and open raise; compile raises unless it builds a syntax tree
    (ast.parse); importing os, subprocess and the like raises; SymPy's sympify and
    parse_expr raise when given text.
    """
    import sympy
    import sympy.parsing.sympy_parser

    # sympy.core.sympify is shadowed by the function of that name: take the module.
    sympify_module = sys.modules["sympy.core.sympify"]

    def forbidden(name):
        def guard(*args, **kwargs):
            raise Forbidden(f"{name} was called with {args!r}")

        return guard

    for name in ("eval", "open", "breakpoint"):
        monkeypatch.setattr(builtins, name, forbidden(name))
    real_compile = builtins.compile

    def compile_tree_only(source, filename, mode, flags=0, *args, **kwargs):
        # ast.parse is compile(..., PyCF_ONLY_AST): a tree, no code. No other code is
        # allowed: the server evaluates the worker's programs with a loop, nothing printed.
        if not flags & ast.PyCF_ONLY_AST:
            raise Forbidden(f"compile({source!r}, {mode!r})")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "exec", forbidden("exec"))
    monkeypatch.setattr(builtins, "compile", compile_tree_only)
    real_import = builtins.__import__
    dangerous = {"os", "subprocess", "shutil", "socket", "pty", "ctypes", "importlib", "posix"}

    def guarded_import(name, *args, **kwargs):
        if name.split(".")[0] in dangerous:
            raise Forbidden(f"import of {name}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", guarded_import)
    real_sympify = sympify_module.sympify

    def sympify_no_text(a, *args, **kwargs):
        if isinstance(a, str):
            raise Forbidden(f"sympify({a!r})")
        return real_sympify(a, *args, **kwargs)

    for module in (sympy, sympify_module):
        monkeypatch.setattr(module, "sympify", sympify_no_text)
    for module in (sympy, sympy.parsing.sympy_parser):
        monkeypatch.setattr(module, "parse_expr", forbidden("parse_expr"))


@contextlib.contextmanager
def _nothing_runs():
    """The guards of :func:`_install_guards`, only around the call (pytest itself compiles
    and imports while it reports), and around an uncached build."""
    expression_module.clear_cache()
    try:
        with pytest.MonkeyPatch.context() as mp:
            _install_guards(mp)
            yield
    finally:
        expression_module.clear_cache()


@pytest.fixture(autouse=True, scope="module")
def _warm_worker():
    """A formula worker with SymPy loaded, as on a server after its first formula: the
    timings below are of builds, not of starting a Python process."""
    from_expression("x**2 + y**2", BOX)


def test_table_is_large():
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize(("expr", "message"), HOSTILE, ids=[repr(e[:30]) for e, _ in HOSTILE])
def test_hostile_input_is_refused_quickly_and_runs_nothing(expr, message):
    with pytest.raises(ExpressionError, match=message) as err, _nothing_runs():
        t = time.perf_counter()
        from_expression(expr, BOX)
    assert time.perf_counter() - t < 1.0
    assert isinstance(err.value, ValueError)
    assert err.value.column >= 1 and err.value.reason
    assert str(err.value) == f"column {err.value.column}: {err.value.reason}"


def test_the_guards_do_catch_what_they_guard():
    """The guards are not no-ops: each trips when its target runs."""
    import sympy

    for attempt in (
        lambda: eval("1"),
        lambda: compile("1", "<test>", "eval"),
        lambda: exec("1"),
        lambda: builtins.open("/dev/null"),
        lambda: __import__("os"),
        lambda: sympy.sympify("1 + 1"),
        lambda: sympy.parse_expr("1 + 1"),
    ):
        with pytest.raises(Forbidden), _nothing_runs():
            attempt()
    eval("1")  # and they are gone afterwards


@pytest.mark.parametrize(
    "module",
    [
        *(expression_module, formula_build, formula_fold, formula_latex, formula_minima),
        formula_parser,
        *(formula_pool, formula_program, formula_worker),
    ],
)
def test_the_modules_never_call_an_evaluator(module):
    """No call of eval, exec, compile, sympify, parse_expr, lambdify or __import__, and no
    unpickling, in the source of the server's side or of the worker's."""
    tree = ast.parse(inspect.getsource(module))
    banned = {"eval", "exec", "compile", "sympify", "parse_expr", "__import__", "S"}
    banned.add("lambdify")
    calls, imported = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            calls.add(f.id if isinstance(f, ast.Name) else getattr(f, "attr", ""))
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            imported |= {n.split(".")[0] for n in names}
    assert not calls & banned
    assert not imported & {"pickle", "marshal", "shelve", "dill", "cloudpickle"}


def test_refusals_are_cached_on_the_text_and_raised_afresh(monkeypatch):
    """A refusal of the worker's (division by zero after SymPy simplifies y - y) costs one
    build; the same text on other bounds is refused without another."""
    expression_module.clear_cache()
    builds = []
    real_build = formula_pool.POOL.build
    monkeypatch.setattr(
        formula_pool.POOL, "build", lambda *args: builds.append(args) or real_build(*args)
    )
    errors = []
    for xmin in (-3.0, -3.00001, -3.00002):
        with pytest.raises(ExpressionError, match="division by zero") as err:
            from_expression("x/(y - y)", ((xmin, 3.0), (-3.0, 3.0)))
        errors.append(err.value)
    assert len(builds) == 1
    assert errors[0] is not errors[1]  # a fresh exception each time


@pytest.mark.parametrize(
    "bounds",
    [((0, 0), (0, 1)), ((1, 0), (0, 1)), ((0, np.inf), (0, 1)), (0, 1), ((0, 1e9), (0, 1))],
)
def test_bad_bounds_are_refused(bounds):
    with pytest.raises(ValueError, match="bounds"):
        from_expression("x**2", bounds)


def test_exported_from_the_package():
    assert surfaces.from_expression is from_expression
    assert issubclass(surfaces.ExpressionError, ValueError)


def test_bounds_are_rounded_for_the_cache_and_must_be_wide_for_their_place():
    a = from_expression("x**2 + y**2", ((-2.0, 2.0), (-2.0, 2.0)))
    b = from_expression("x**2 + y**2", ((-2.0000000000001, 2.0), (-2.0, 2.0)))
    assert a is b  # one cache entry: the boxes agree to 6 significant digits
    with pytest.raises(ValueError, match="wide"):
        from_expression("x**2 + y**2", ((-1000.0, -999.9), (-1.0, 1.0)))


@pytest.mark.parametrize(
    ("expr", "point"),
    [
        ("abs(x) + abs(y)", (0.0, 0.0)),
        ("sqrt(x**2 + y**2)", (0.0, 0.0)),
        ("abs(x - 0.5) + abs(y - 0.25)", (0.5, 0.25)),
        ("(x**2 + y**2)**(1/3)", (0.0, 0.0)),
        ("abs(x) + y**2", (0.0, 0.0)),
    ],
)
def test_a_minimum_at_a_kink_or_cusp_is_found(expr, point):
    # Newton cannot see these (the Hessian is zero or undefined at the minimum); the app
    # would otherwise tell a student "no minimum inside the bounds" (review finding).
    (minimum,) = from_expression(expr, BOX).minima
    np.testing.assert_allclose(minimum.point, point, atol=1e-8)
    assert minimum.is_global


@pytest.mark.parametrize("expr", ["(x - 2*y)**2", "(x - y)**2", "(2*x + 0.3*y)**2"])
def test_a_flat_valley_in_any_direction_has_no_isolated_minimum(expr):
    assert from_expression(expr, BOX).minima == ()
