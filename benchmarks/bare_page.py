"""The bare reference page of benchmarks/bench_browser.py: one γ slider, one Plotly chart.

What any Streamlit page with one select_slider and one small Plotly line chart costs in
the same Streamlit, the same browser and the same run: the floor the app's timings are
divided by. It has the app's γ control (same label, key and stops, in the sidebar), so
a keyboard step moves γ by the same stop, and one line computed from γ: heavy-ball
momentum on the 1-D quadratic J(θ) = θ²/2 (α = 0.1, 200 steps), |θ| against the step.

Run: ``streamlit run benchmarks/bare_page.py`` (bench_browser.py starts it itself).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from momentum_viz.app.settings import MOMENTUM_STOPS

STEPS = 200
LR = 0.1


def distances(gamma: float, steps: int = STEPS, lr: float = LR) -> np.ndarray:
    """|θ_k| of heavy ball on J(θ) = θ²/2 from θ₀ = 1 (v ← γv + αθ, θ ← θ − v)."""
    theta, velocity = 1.0, 0.0
    out = np.empty(steps + 1)
    out[0] = theta
    for k in range(1, steps + 1):
        velocity = gamma * velocity + lr * theta
        theta -= velocity
        out[k] = abs(theta)
    return out


def main() -> None:
    gamma = st.sidebar.select_slider(
        "Momentum γ", MOMENTUM_STOPS, value=0.9, key="momentum", format_func="{:.4g}".format
    )
    fig = go.Figure(go.Scatter(y=distances(gamma), mode="lines", name=f"γ = {gamma:g}"))
    fig.update_layout(yaxis_type="log", xaxis_title="step", yaxis_title="|θ|", height=400)
    st.plotly_chart(fig, key="chart")


if __name__ == "__main__":  # streamlit run; importing it (a test) draws nothing
    main()
