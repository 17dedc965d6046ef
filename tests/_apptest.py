"""Opening the app in Streamlit's AppTest, shared by the app's test modules.

(pytest puts tests/ on sys.path because the folder has no __init__.py, as for _server.py.)
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_app(**query: str) -> AppTest:
    """The page as a link with these query parameters opens it, after its first run.

    Fails the test if the first run raised.
    """
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def live_map_blobs(at: AppTest) -> dict[str, tuple[dict, dict]]:
    """The live race map's four blobs, decoded: "surface", "gamma_family" and
    "alpha_family" (the paths at every stop of the γ slider, of the α slider) and "race",
    each (header, arrays). Empty when the map is not drawn."""
    from momentum_viz.views.live_map import decode, unpack

    carriers = {"live_surface": "surface", "live_gamma_family": "gamma_family"}
    blobs = {}
    for element in at.get("bidi_component"):
        key = element.proto.id.rsplit("-", 1)[-1]
        if key in carriers:
            blobs[carriers[key]] = decode(element.proto.bytes[16:])
        elif key == "race_map":  # the map carries the α family with the race
            race, alpha_family = unpack(element.proto.bytes)
            blobs["race"], blobs["alpha_family"] = decode(race), decode(alpha_family[16:])
    return blobs
