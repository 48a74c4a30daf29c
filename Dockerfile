# Sekisho in a container: a Swift builder stage, then a slim Debian runtime.
#   docker build -t sekisho .
#   docker run -p 8080:8080 -v sekisho-data:/var/lib/sekisho sekisho
# Configuration comes from /app/Config/sekisho.yaml (the development defaults; mount your own
# over it or pass --config) and SEKISHO_... environment variables, which win over the file.

ARG SWIFT_VERSION=6.3

# ---- build ---------------------------------------------------------------------------------
FROM swift:${SWIFT_VERSION}-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libsqlite3-dev libargon2-dev libqrencode-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a change in Sources/ does not fetch them again.
COPY Package.swift Package.resolved ./
RUN swift package resolve
COPY Sources ./Sources
# The Swift runtime is linked in: the runtime image needs no Swift toolchain.
# The image ships the binary stripped of debug sections and symbol tables (most of its size); the
# debug information stays in this stage as /out/sekisho.debug, linked by --add-gnu-debuglink, for
# `docker cp` and gdb/lldb or symbolicating a crash report when needed.
RUN swift build -c release --product sekisho --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/sekisho" /out/sekisho \
    && objcopy --only-keep-debug /out/sekisho /out/sekisho.debug \
    && strip --strip-all /out/sekisho \
    && objcopy --add-gnu-debuglink=/out/sekisho.debug /out/sekisho

# ---- run -----------------------------------------------------------------------------------
FROM debian:bookworm-slim
# curl only serves the HEALTHCHECK below (the slim image has no HTTP client).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libsqlite3-0 libargon2-1 libqrencode4 libstdc++6 ca-certificates tzdata curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 sekisho \
    && useradd --system --uid 10001 --gid sekisho --home-dir /var/lib/sekisho --shell /usr/sbin/nologin sekisho \
    && install -d -o sekisho -g sekisho -m 0700 /var/lib/sekisho
COPY --from=build /out/sekisho /usr/local/bin/sekisho
WORKDIR /app
COPY Public ./Public
COPY Config ./Config

# Listen on all interfaces inside the container; data (database, key file) in the volume.
ENV SEKISHO_SERVER_HOST=0.0.0.0 \
    SEKISHO_SERVER_PORT=8080 \
    SEKISHO_DATA_DIRECTORY=/var/lib/sekisho \
    SEKISHO_SERVER_PUBLIC_DIRECTORY=/app/Public

USER sekisho
VOLUME ["/var/lib/sekisho"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/sekisho"]
CMD ["serve"]
