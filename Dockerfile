# One image for the three services and the dialer; built from the repository root.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 KAOPING_ENV=production
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir . && useradd --system --home /app kaoping \
    && mkdir -p /app/var && chown kaoping /app/var
COPY deploy/entrypoint.sh /usr/local/bin/kaoping-entrypoint
USER kaoping
ENTRYPOINT ["kaoping-entrypoint"]
