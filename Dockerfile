# digestbot in a container: SQLite under /app/data by default (mount a volume there),
# or PostgreSQL through DIGESTBOT_DATABASE_URL. The token comes from the environment.
# The documented defaults and the sample digests ship inside the package.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY digestbot ./digestbot
RUN pip install . && rm -rf digestbot && useradd --create-home --uid 1000 digestbot \
    && mkdir -p data && chown digestbot data
USER digestbot
VOLUME ["/app/data"]

# /healthz and /metrics on port 9100, on every interface of the container (Prometheus
# scrapes it from outside; publish the port only where it should be reachable). Set
# DIGESTBOT_METRICS_LISTEN=127.0.0.1 to keep it inside the container (the healthcheck
# still works), never DIGESTBOT_METRICS_PORT= (the healthcheck would then fail).
ENV DIGESTBOT_METRICS_PORT=9100 \
    DIGESTBOT_METRICS_LISTEN=0.0.0.0
EXPOSE 9100
# python:3.11-slim has no curl: the CLI asks /healthz (exit 0 ready, 1 not ready)
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["digestbot", "healthcheck", "--timeout", "5"]

# Migrate, then run the bot (long polling unless DIGESTBOT_WEBHOOK_URL is set).
CMD ["sh", "-c", "digestbot db upgrade && exec digestbot run"]
