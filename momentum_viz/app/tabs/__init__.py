"""One module per tab of the page, each with ``render(settings, runs)``.

:mod:`..page` lists them in the order they appear; only the open tab is drawn. A tab reads
the cached runs and maps from :mod:`..compute` and the Plotly figures from
:mod:`momentum_viz.views`, and lays them out; clicks and buttons call back into
:mod:`..state`.
"""
