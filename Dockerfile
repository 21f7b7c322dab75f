# taskfleet container image: one binary, `taskfleet <subcommand>`.
#
#   docker build -t taskfleet:0.1.0 .
#   docker run --rm taskfleet:0.1.0 --help
#   docker run --rm -e DATABASE_URL=... taskfleet:0.1.0 migrate
#
# Migrations and sql/ are compiled into the binary (sqlx::migrate!, include_str!), TLS is rustls
# and time zones come from chrono-tz, so the runtime stage needs only the binary and CA roots.
# It runs as UID/GID 10001 and works with a read-only root filesystem (nothing is written
# outside /tmp, which the Helm chart mounts as an emptyDir).

# ---- dependency cache: cargo-chef compiles dependencies in a layer keyed on Cargo.toml/.lock only,
# so a change under src/ rebuilds just the taskfleet crate.
FROM rust:1.95-slim-bookworm AS chef
ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0 \
    SQLX_OFFLINE=true
WORKDIR /build
RUN cargo install cargo-chef --locked --version 0.1.73

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /build/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked \
 && install -D -m 0755 target/release/taskfleet /out/taskfleet \
 && /out/taskfleet --help >/dev/null

# ---- runtime
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 taskfleet \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin taskfleet
COPY --from=builder /out/taskfleet /usr/local/bin/taskfleet

# Listen on all interfaces inside a container (the binary's own default is 127.0.0.1:8080).
ENV TASKFLEET_API_ADDR=0.0.0.0:8080
EXPOSE 8080 9090

LABEL org.opencontainers.image.title="taskfleet" \
      org.opencontainers.image.description="Postgres-native task orchestrator (api, worker, migrate)" \
      org.opencontainers.image.licenses="Apache-2.0"

# Numeric, so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER 10001:10001
WORKDIR /tmp
ENTRYPOINT ["taskfleet"]
CMD ["--help"]
