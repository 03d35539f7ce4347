# Crosswire: `docker build -t crosswire . && docker run -p 3000:3000 -e SLACK_BOT_TOKEN=…
# -e SLACK_SIGNING_SECRET=… crosswire` (or SLACK_APP_TOKEN for Socket Mode). Incomplete Slack
# settings or an unusable database stop the container at once with one line in its log.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CROSSWIRE_STATE_DIR=/data CROSSWIRE_LOG_FORMAT=json

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY workflows ./workflows
COPY connectors ./connectors
RUN pip install . \
 && useradd --system --home /data --create-home crosswire

USER crosswire
VOLUME ["/data"]
EXPOSE 3000
# /readyz answers 200 only while the database answers (503 otherwise), in every mode: Socket
# Mode serves it on --port too. Orchestrators with separate probes: /healthz for liveness.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/readyz')"

CMD ["crosswire", "serve", "--port", "3000", "--no-chat"]
