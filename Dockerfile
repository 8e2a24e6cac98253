# syntax=docker/dockerfile:1
# Build: docker build -t persona .
# Run:   docker run -p 8000:8000 -v persona-data:/data persona
FROM rust:1-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY src ./src
COPY migrations ./migrations
COPY assets ./assets
COPY benches ./benches
COPY config ./config
RUN cargo build --release --locked --bin persona \
    && strip target/release/persona

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin persona \
    && mkdir -p /data/output \
    && chown -R persona:persona /data
COPY --from=builder /src/target/release/persona /usr/local/bin/persona
COPY config/default.toml /etc/persona/default.toml
ENV PERSONA_SERVER_HOST=0.0.0.0 \
    PERSONA_SERVER_PORT=8000 \
    PERSONA_DATABASE_PATH=/data/persona.db \
    PERSONA_STORAGE_DATA_DIR=/data \
    PERSONA_STORAGE_OUTPUT_DIR=/data/output \
    RUST_LOG=info
USER persona
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/api/v1/health || exit 1
ENTRYPOINT ["persona"]
CMD ["serve"]
