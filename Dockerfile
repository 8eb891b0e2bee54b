# One image for every target: `minsheng serve --target <name>` in a cluster,
# `minsheng up` on its own.
#
#   docker build -t minsheng:dev .
#
# Stages: cargo-chef plans the dependency graph, the dependencies are built
# in a layer of their own (rebuilt only when Cargo.toml/Cargo.lock change),
# then the workspace; the runtime stage is distroless: no shell, no package
# manager, a non-root user.

# --- build ---------------------------------------------------------------
# The full Rust image (not slim): bundled SQLite is C, built with its gcc.
# protoc is vendored by the proto crate; TLS is rustls: no OpenSSL.
FROM rust:1.95-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin minsheng
COPY . .
RUN cargo build --release --locked --bin minsheng \
    && install -D -m 0755 target/release/minsheng /out/minsheng \
    && install -d -m 0755 -o 65532 -g 65532 /out/data

# --- runtime -------------------------------------------------------------
# What the binary needs at run time, and nothing else:
# - glibc and libgcc_s (it is linked against them): distroless/cc has both;
# - CA certificates (/etc/ssl/certs), for TLS to NATS or an OTLP collector:
#   distroless/base, which cc extends, ships them;
# - a writable data directory for `up` (SQLite, keys): /data, owned by the
#   non-root user; in a cluster `serve` writes nothing but to mounted volumes.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/minsheng /usr/local/bin/minsheng
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV MINSHENG_DATA_DIR=/data \
    MINSHENG_GRPC_ADDR=0.0.0.0:50051 \
    MINSHENG_HTTP_ADDR=0.0.0.0:8080 \
    MINSHENG_LOG_FORMAT=json
EXPOSE 50051 8080
ENTRYPOINT ["/usr/local/bin/minsheng"]
CMD ["up"]
