# momentum-viz: the Streamlit teaching app as a container image. It runs serve.py, which
# serves app.py through st.App: warm-up before the first visitor, security headers.
#   docker build -t momentum-viz .
#   docker run --rm -p 8501:8501 momentum-viz        # then open http://localhost:8501
# tests/test_deploy.py lints this file with hadolint, checks its structure, and runs its CMD
# locally on a copy of exactly the files it COPYs. deploy/kubernetes.yaml runs the image
# with the same UID and a read-only root filesystem.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/home/app \
    MALLOC_ARENA_MAX=2 \
    NUMBA_CACHE_DIR=/tmp/numba-cache

# MALLOC_ARENA_MAX=2: every Streamlit script run is a thread, and glibc gives threads their
# own malloc arenas (up to 8 per core) that keep freed memory; with 2 arenas RSS after 300
# distinct-setting sessions was 398 MiB instead of 416 MiB (README, "Serving a class").
# NUMBA_CACHE_DIR: the simulate kernel is compiled in the warm-up and its machine code
# cached there; /tmp is writable on a read-only root filesystem (an emptyDir in
# deploy/kubernetes.yaml), so a restarted container loads it instead of compiling again.
WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# Unprivileged runtime user with a fixed numeric UID/GID (Kubernetes runAsUser uses 10001).
# No apt: nothing beyond the Python packages is needed, and the health check uses Python.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home \
       --shell /usr/sbin/nologin app

# Only what the app needs at runtime. The files stay owned by root: the app cannot modify
# its own code. .streamlit/config.toml is read from the working directory.
COPY .streamlit/ ./.streamlit/
COPY surfaces/ ./surfaces/
COPY momentum_viz/ ./momentum_viz/
COPY app.py serve.py ./

USER 10001:10001

EXPOSE 8501

# Healthy = the page can be served: /_stcore/script-health-check runs app.py in a throwaway
# session (enabled in .streamlit/config.toml). No curl in the slim image: Python's urllib
# (an HTTP 503 raises, so the command exits non-zero).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://localhost:8501/_stcore/script-health-check', timeout=9).read() != b'ok')"]

CMD ["streamlit", "run", "serve.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true", "--server.fileWatcherType=none"]
