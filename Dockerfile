# syntax=docker/dockerfile:1
# tidings in a container: built from this checkout, run as a user of its
# own, state in the /data volume, the config mounted in.
#
#   docker build --build-arg TIDINGS_COMMIT=$(git rev-parse --short HEAD) -t tidings .
#   docker run -d -p 8080:8080 -v tidings-data:/data \
#     -v "$PWD/tidings.toml:/etc/tidings/tidings.toml:ro" tidings
#
# The config must listen on all of the container's addresses
# (`listen = "0.0.0.0:8080"`); a config elsewhere is named by
# `-e TIDINGS_CONFIG=/path/in/the/container`.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# .git is not sent to the builder (.dockerignore): the commit shown by
# `tidings --version` comes in as an argument instead.
ARG TIDINGS_COMMIT=
ENV TIDINGS_COMMIT=${TIDINGS_COMMIT}
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && install -m 755 target/release/tidings /usr/local/bin/tidings

FROM debian:bookworm-slim
# CA certificates: upstream feeds over HTTPS are verified against the
# system's roots.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --uid 10001 --home-dir /data --shell /usr/sbin/nologin tidings \
    && install -d -o tidings -g tidings -m 700 /data \
    && install -d -m 755 /etc/tidings
COPY --from=build /usr/local/bin/tidings /usr/local/bin/tidings
# $STATE_DIRECTORY wins over [store] state_dir: the SQLite file (and
# anything else tidings keeps) lives in the volume whatever the config says.
ENV STATE_DIRECTORY=/data \
    TIDINGS_CONFIG=/etc/tidings/tidings.toml
VOLUME ["/data"]
USER tidings:tidings
WORKDIR /data
EXPOSE 8080
# No HEALTHCHECK: the image has no HTTP client, and tidings has no
# subcommand that asks its own /healthz; probe GET /healthz from outside
# (an orchestrator's HTTP check) instead.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tidings"]
CMD ["run"]
