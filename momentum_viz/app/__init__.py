"""The app layer: the Streamlit page, its settings and links, scenarios and cached compute.

The only layer that imports Streamlit. Read it in this order:

* :mod:`.page`: :func:`~.page.run_app`, the page top to bottom, and the table of tabs;
* :mod:`.state`: session state ↔ :class:`~.settings.Settings`, and every callback;
* :mod:`.sidebar`: the controls;
* :mod:`.compute`: every cached computation, on plain hashable arguments;
* :mod:`.tabs`: one module per tab (race, 3-D, theory, (α, γ) map, basin map).

:mod:`.settings` (the settings, their ranges and URL form) and :mod:`.scenarios` (the
guided scenarios) are pure Python, so tests and tools can import them without Streamlit;
that is also why this package does not re-export ``run_app``
(``app.py`` imports it from :mod:`.page`).
"""
