# The ApplyLens API image: the package with its pinned dependencies, served by
# gunicorn with uvicorn workers (see `applylens serve --workers`).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    APPLYLENS_DATA_DIR=/var/lib/applylens \
    PROMETHEUS_MULTIPROC_DIR=/run/applylens/metrics

WORKDIR /opt/applylens
COPY pyproject.toml README.md ./
COPY requirements/constraints.txt requirements/constraints.txt
COPY src ./src
RUN pip install -c requirements/constraints.txt . \
    && useradd --system --uid 10001 --home-dir /var/lib/applylens --shell /usr/sbin/nologin applylens \
    && mkdir -p /var/lib/applylens /run/applylens/metrics \
    && chown -R applylens /var/lib/applylens /run/applylens

USER applylens
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# `serve` empties the multiprocess directory before the workers start, so
# counters from an earlier container run are not added to this one's.
CMD ["applylens", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
