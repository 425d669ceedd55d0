# The duewise worker image (used by docker-compose.yml's `worker` service).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas schemas
COPY engine engine
COPY models models
COPY sim sim
COPY duewise duewise
COPY streams streams
RUN pip install --no-cache-dir . \
 && useradd --uid 1000 --create-home duewise \
 && mkdir -p /var/lib/duewise && chown duewise /var/lib/duewise
USER duewise
# Production defaults: state on disk (RocksDB), live wall-clock time, HTTP on all interfaces.
ENV DUEWISE_STATE_DIR=/var/lib/duewise \
    DUEWISE_STORE=rocksdb:// \
    DUEWISE_CLOCK=wall \
    DUEWISE_WEB_HOST=0.0.0.0
EXPOSE 6066
CMD ["duewise", "worker", "--loglevel", "info"]
