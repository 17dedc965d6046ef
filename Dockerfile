# momentum-viz: the Streamlit teaching app as a container image.
#   docker build -t momentum-viz .
#   docker run --rm -p 8501:8501 momentum-viz        # then open http://localhost:8501
# tests/test_deploy.py lints this file with hadolint, checks its structure, and runs its CMD
# locally on a copy of exactly the files it COPYs. deploy/kubernetes.yaml runs the image
# with the same UID and a read-only root filesystem.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/home/app

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
COPY app.py ./

USER 10001:10001

EXPOSE 8501

# No curl in the slim image: ask the health endpoint with Python's urllib (exit 1 on error).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4).read() != b'ok')"]

CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true", "--server.fileWatcherType=none"]
