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

# Migrate, then run the bot (long polling unless DIGESTBOT_WEBHOOK_URL is set).
CMD ["sh", "-c", "digestbot db upgrade && exec digestbot run"]
