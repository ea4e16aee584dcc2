# syntax=docker/dockerfile:1
#
# kindling in a container: a static binary on distroless, running as a
# non-root user, with the database in the /data volume.
#
#   docker build -t kindling .
#   docker run -d --name kindling --restart unless-stopped --stop-timeout 15 \
#     -v kindling-data:/data \
#     -v /etc/kindling/token:/run/secrets/telegram-token:ro \
#     -e KINDLING_TELEGRAM_TOKEN_FILE=/run/secrets/telegram-token \
#     kindling
#
# Mount your own config over /etc/kindling/config.yaml, or override single
# keys with KINDLING_* variables. See docs/running.md.
#
# Image names are fully qualified: Podman and Buildah refuse short names
# such as "golang:1.26" unless a registry search list is configured.
# Buildah (and `podman build`) write OCI images by default, and the OCI
# format has no HEALTHCHECK: build with `--format docker` to keep it.

FROM docker.io/library/golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# .git is part of the build context so that `kindling version` can print the
# revision (go build stamps it from the repository).
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/kindling . \
 && install -d -m 0700 /out/data

# distroless/static has CA certificates and time zone data, no shell, and a
# "nonroot" user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kindling /kindling
COPY --from=build --chown=65532:65532 /out/data /data
COPY config.yaml /etc/kindling/config.yaml
ENV KINDLING_STORE_PATH=/data/kindling.db
USER 65532:65532
WORKDIR /data
VOLUME /data
# Asks the admin address (on loopback inside the container) for /healthz.
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s \
  CMD ["/kindling", "healthcheck", "--config", "/etc/kindling/config.yaml"]
ENTRYPOINT ["/kindling"]
CMD ["run", "--config", "/etc/kindling/config.yaml"]
