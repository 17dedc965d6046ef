"""Development harness shared by tests/ and benchmarks/ (not part of the app or its image).

* :mod:`harness.streamlit_server`: start ``streamlit run`` on a free port and wait until it
  is healthy; find Debian's Chromium for Playwright; describe the machine for a benchmark.
* :mod:`harness.st_client`: a Streamlit websocket client that drives sessions without a
  browser (load benchmarks, server tests).

Both tests and benchmarks import it as an installed package (``make`` installs the project
editable), so the dependency points one way: tests → harness ← benchmarks.
"""
