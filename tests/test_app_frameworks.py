"""The race tab's "The same run in your framework" expander, driven with AppTest."""

from __future__ import annotations

from _apptest import open_app
from streamlit.testing.v1 import AppTest

from momentum_viz.app.tabs.frameworks import EXPANDER, EXPANDER_KEY, NOISE_NOTE


def _app(**query: str) -> AppTest:
    """The page with the expander opened (it is lazy: closed, it draws nothing)."""
    at = open_app(**query)
    assert not _expander(at).children  # closed: nothing computed
    at.session_state[EXPANDER_KEY] = True
    at.run()
    assert not at.exception
    return at


def _expander(at: AppTest):
    [expander] = [e for e in at.expander if e.label == EXPANDER]
    return expander


def test_expander_shows_the_runs_script_in_each_framework():
    at = _app(surface="himmelblau", methods="momentum", lr="0.004", momentum="0.85", steps="120")
    assert at.radio(key="framework").value == "pytorch"
    [torch_code] = [c.value for c in _expander(at).code]
    assert "torch.optim.SGD(" in torch_code
    for line in ("LR = 0.004", "MOMENTUM = 0.85", "STEPS = 120", "NESTEROV = False"):
        assert line in torch_code, line
    assert "(x * x + y - 11.0) ** 2" in torch_code  # Himmelblau, written out
    for framework, call in (("keras", "keras.optimizers.SGD("), ("optax", "optax.sgd(")):
        at.radio(key="framework").set_value(framework).run()
        [code] = [c.value for c in _expander(at).code]
        assert call in code and "LR = 0.004" in code and "MOMENTUM = 0.85" in code
    table = _expander(at).table[0].value
    assert "PyTorch SGD" in set(table.iloc[:, 0])


def test_several_methods_get_a_method_picker():
    at = _app(surface="rosenbrock", methods="sgd,nesterov", lr="0.001", momentum="0.9")
    picker = at.radio(key="framework_method")
    assert picker.value == "sgd"
    assert "MOMENTUM = 0.0" in _expander(at).code[0].value
    picker.set_value("nesterov").run()
    code = _expander(at).code[0].value
    assert "NESTEROV = True" in code and "MOMENTUM = 0.9" in code
    assert "LR = 0.001" in code


def test_noise_shows_a_note_instead_of_scripts():
    at = _app(surface="rosenbrock", methods="momentum", noise="0.5")
    expander = _expander(at)
    assert not expander.code
    assert any(NOISE_NOTE in i.value for i in expander.info)


def test_a_custom_surface_gets_its_formula_translated():
    at = _app(surface="custom", expr="sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)", methods="momentum")
    [torch_code] = [c.value for c in _expander(at).code]
    assert "torch.sin(3 * x) * torch.cos(3 * y)" in torch_code


def test_a_diverging_run_says_the_script_goes_on():
    at = _app(surface="quadratic", methods="momentum", lr="0.05", momentum="0.1")
    (run_note,) = [c.value for c in at.caption if "the script goes on" in c.value]
    assert run_note.startswith("This run diverges at step ")
