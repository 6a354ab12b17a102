# syntax=docker/dockerfile:1
# One recipe for the five images. Build from the repository root, naming the component:
#   docker build --build-arg COMPONENT=flows -t netscope-flows:0.1.0 .
# COMPONENT is one of aggregator, flows, alerts, snmp, live. The build stage runs scripts/image_install.sh,
# the same script CI runs to prove that each package installs alone from uv.lock and starts
# (tests/k8s/test_image_install.py).

FROM python:3.11-slim AS build
ARG COMPONENT
ARG UV_VERSION=0.13.9
ENV UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never PYTHON=/usr/local/bin/python3.11
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
# The whole workspace definition is needed for `uv sync --frozen`; only netscope-${COMPONENT} gets installed.
COPY pyproject.toml uv.lock ./
COPY protos protos
COPY services services
COPY aggregator aggregator
COPY scenario scenario
COPY scripts/image_install.sh scripts/image_install.sh
# It also writes bin/netscope-entrypoint, which execs `netscope serve ${COMPONENT}`.
RUN scripts/image_install.sh "${COMPONENT}" /opt/netscope

# Final stage: the interpreter and the venv only (no uv, no pip cache, no compilers, no sources).
FROM python:3.11-slim
ARG COMPONENT
RUN groupadd --system --gid 10001 netscope \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin netscope \
 && mkdir -p /var/lib/netscope && chown 10001:10001 /var/lib/netscope
COPY --from=build /opt/netscope /opt/netscope
# Every component listens on all interfaces in a pod (each reads only its own variable).
ENV PATH=/opt/netscope/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    NETSCOPE_COMPONENT=${COMPONENT} \
    NETSCOPE_AGGREGATOR_HOST=0.0.0.0 \
    NETSCOPE_FLOWS_HOST=0.0.0.0 \
    NETSCOPE_ALERTS_HOST=0.0.0.0 \
    NETSCOPE_ALERTS_DSN=chdb:///var/lib/netscope/alerts \
    NETSCOPE_SNMP_HOST=0.0.0.0 \
    NETSCOPE_LIVE_HOST=0.0.0.0 \
    NETSCOPE_LIVE_COLLECTOR_HOST=0.0.0.0
USER 10001:10001
WORKDIR /var/lib/netscope
# aggregator 8000; flows, alerts, snmp, live 50051-50054; live's NetFlow/IPFIX collector 2055/udp.
EXPOSE 8000 50051 50052 50053 50054 2055/udp
# The entrypoint execs `netscope serve <component>`, so netscope is PID 1 and receives SIGTERM itself
# (graceful shutdown of in-flight calls; the image tests start each component through it).
ENTRYPOINT ["/opt/netscope/bin/netscope-entrypoint"]
