# Fieldsales server image: `docker build -t fieldsales .` then
# `docker run -p 8000:8000 -v fieldsales-data:/data fieldsales`
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY server ./server
COPY sync ./sync
COPY pwa ./pwa
RUN pip install .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data fieldsales \
    && mkdir -p /data && chown fieldsales /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    FIELDSALES_DATA_DIR=/data \
    FIELDSALES_HOST=0.0.0.0 \
    FIELDSALES_PORT=8000
USER fieldsales
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["fieldsales", "serve", "--host", "0.0.0.0", "--port", "8000"]
