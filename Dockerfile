# Multi-stage build: compile with the Rust toolchain, run on a slim Debian as a non-root user.
FROM rust:1.88-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY migrations ./migrations
COPY openapi ./openapi
COPY tests ./tests
RUN cargo build --release --locked --bin agrupa

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin agrupa
COPY --from=build /src/target/release/agrupa /usr/local/bin/agrupa
USER agrupa
ENV AGRUPA_ADDR=0.0.0.0:8080 \
    AGRUPA_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/agrupa"]
CMD ["serve"]
