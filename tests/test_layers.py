"""The numerical layer runs without the drawing and app libraries installed.

``momentum_viz.numerics`` and ``surfaces`` promise NumPy only (no Plotly, no Streamlit).
A fresh interpreter in which Streamlit, Plotly, Pillow, contourpy and pandas cannot be
imported must still import them and compute: runs, a parameter map, the theory report
and a run summary, each checked against a closed form worked out in the script.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BLOCKED = ("streamlit", "plotly", "PIL", "contourpy", "pandas")

SCRIPT = textwrap.dedent(
    """
    import importlib.abc
    import math
    import sys

    ROOT, BLOCKED = sys.argv[1], set(sys.argv[2].split(","))


    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked in this test")
            return None


    sys.meta_path.insert(0, Blocker())
    for name in BLOCKED:  # the blocker works: none of them can be imported
        try:
            __import__(name)
        except ImportError:
            pass
        else:
            raise SystemExit(f"{name} is importable despite the blocker")

    import numpy as np

    import momentum_viz
    import surfaces
    from momentum_viz import reference_run, simulate
    from momentum_viz.numerics.maps import CONVERGED, DIVERGED, parameter_map
    from momentum_viz.numerics.summary import summarize
    from momentum_viz.numerics.theory import analyse

    # `python -c` imports from its working directory first: this checkout.
    assert momentum_viz.__file__.startswith(ROOT), momentum_viz.__file__
    assert surfaces.__file__.startswith(ROOT), surfaces.__file__

    # The bowl J = (x² + 4 y²) / 2: Hessian diag(1, 4), minimum at the origin.
    bowl = surfaces.quadratic(kappa=4.0, angle=0.0)
    start = (2.0, 1.0)

    # SGD by hand: each coordinate shrinks by (1 − α λ) per step.
    sgd = simulate(bowl, "sgd", start, lr=0.1, steps=30)
    t = np.arange(31)
    expected = np.stack([2.0 * 0.9**t, 1.0 * 0.6**t], axis=-1)
    np.testing.assert_allclose(sgd.positions, expected, rtol=1e-12, atol=1e-15)

    # Heavy ball: the readable loop, the batched runner and the recurrence
    # θ_{t+1} = θ_t − α λ θ_t + γ (θ_t − θ_{t−1}) per coordinate agree.
    ref = reference_run(bowl, "momentum", start, lr=0.1, momentum=0.5, steps=40)
    fast = simulate(bowl, "momentum", start, lr=0.1, momentum=0.5, steps=40)
    theta = np.empty((41, 2))
    theta[0] = start
    theta[1] = theta[0] - 0.1 * np.array([1.0, 4.0]) * theta[0]
    for k in range(1, 40):
        theta[k + 1] = theta[k] - 0.1 * np.array([1.0, 4.0]) * theta[k] + 0.5 * (
            theta[k] - theta[k - 1]
        )
    np.testing.assert_allclose(ref.positions, theta, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast.positions, theta, rtol=1e-12, atol=1e-14)

    # A 2 × 2 map: SGD (γ = 0) is stable for α < 2/λmax = 0.5, heavy ball with γ = 0.5
    # for α < 2(1 + γ)/λmax = 0.75.
    pmap = parameter_map(
        bowl, "momentum", start, lrs=[0.1, 0.6], momenta=[0.0, 0.5], steps=300
    )
    assert pmap.status.tolist() == [[CONVERGED, DIVERGED], [CONVERGED, CONVERGED]], pmap.status

    # Theory at α = 0.6, γ = 0.5: SGD's rate is max |1 − α λ| = 1.4 (unstable); both
    # heavy-ball roots are complex (discriminant (1 + γ − α λ)² − 4γ < 0), of modulus √γ.
    report = analyse(0.6, 0.5, [1.0, 4.0])
    assert math.isclose(report.sgd_rate, 1.4, rel_tol=1e-12), report.sgd_rate
    assert math.isclose(report.momentum_rate, math.sqrt(0.5), rel_tol=1e-9), report
    assert not report.sgd_stable and report.momentum_stable
    assert report.condition_number == 4.0

    summary = summarize(bowl, ref)
    assert summary.reached == "global minimum" and summary.diverged_at == -1, summary
    assert math.isclose(summary.final_loss, 0.5 * (theta[-1, 0]**2 + 4 * theta[-1, 1]**2))

    loaded = sorted(n for n in BLOCKED if any(m.partition(".")[0] == n for m in sys.modules))
    assert not loaded, loaded
    print("ok")
    """
)


def test_numerics_run_without_plotting_or_app_libraries() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(PROJECT_ROOT), ",".join(BLOCKED)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# --- one concern per function: no function longer than MAX_FUNCTION_LINES ------------------

MAX_FUNCTION_LINES = 80
LONG_FUNCTIONS_ALLOWED_IN: set[str] = set()  # none: every module keeps the limit


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int]]:
    """(qualified name, lines) of every function or method in ``source`` longer than
    ``limit`` lines, counted from ``def`` (decorators excluded) to its last line, docstring
    included: nested functions count on their own and inside their parent."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = prefix
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}."
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = child.end_lineno - child.lineno + 1  # type: ignore[operator]
                if lines > limit:
                    found.append((name[:-1], lines))
            visit(child, name)

    visit(ast.parse(source), "")
    return found


def test_long_functions_finds_what_it_must() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(80))
    method_body = textwrap.indent(body, "    ")
    source = f"def short():\n    pass\n\n\nclass C:\n    def long(self):\n{method_body}\n"
    assert long_functions(source) == [("C.long", 81)]
    assert long_functions(source, limit=81) == []
    nested = f"def outer():\n    def inner():\n{textwrap.indent(body, '    ')}\n"
    assert long_functions(nested) == [("outer", 82), ("outer.inner", 81)]


def test_no_function_longer_than_80_lines() -> None:
    too_long = []
    for folder in ("momentum_viz", "surfaces"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if relative in LONG_FUNCTIONS_ALLOWED_IN:
                continue
            too_long += [(relative, *f) for f in long_functions(path.read_text("utf-8"))]
    assert not too_long, f"split these functions (> {MAX_FUNCTION_LINES} lines): {too_long}"
