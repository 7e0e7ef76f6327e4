# The capz-wi KRM function image, for kustomize `container:` transformers and kpt `--image`.
#   docker build -t ghcr.io/capz-wi/capz-wi-krm:v0.1.0 .
# Stage 1 builds the wheel; stage 2 installs only that wheel and its runtime dependencies (no build tools, no
# source tree) and runs as a non-root user: kustomize and kpt start it with `--user nobody --network none`.
# tests/test_krm_e2e.py runs the same `pip wheel` and `pip install` steps and the ENTRYPOINT under both runners.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY capz_wi ./capz_wi
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir --disable-pip-version-check /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 65532 --no-create-home --shell /usr/sbin/nologin capz-wi
USER 65532:65532
ENTRYPOINT ["capz-wi-krm"]
