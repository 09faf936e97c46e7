# One image for the services, the portal and the dialer; built from the repository root.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 KAOPING_ENV=production
# CJK fonts from the distribution: Chinese text that the portal renders on the server
# (its charts and PDF documents, DESIGN.md) needs them. WeasyPrint (the documents' PDF)
# lays text out with the distribution's Pango and subsets fonts with HarfBuzz.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir . && useradd --system --home /app kaoping \
    && mkdir -p /app/var && chown kaoping /app/var
COPY deploy/entrypoint.sh /usr/local/bin/kaoping-entrypoint
USER kaoping
ENTRYPOINT ["kaoping-entrypoint"]
