# Clearance: multi-stage build into a small, non-root runtime image.
# Build: docker build -t clearance .
# Run:   docker run -p 8080:8080 -e CLEARANCE_BASE_URL=https://… -e CLEARANCE_MASTER_KEY=… -v clearance-data:/data clearance

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs atlassian-connect.json ./
COPY crates ./crates
COPY benches ./benches
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY src ./src
# Without the default `demo` feature: no simulator, no demo warehouse in the image.
RUN cargo build --release --locked --no-default-features \
    && strip target/release/clearance \
    && mkdir -p /data

# distroless/cc: glibc and CA certificates, no shell, runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/clearance /usr/local/bin/clearance
COPY --from=build --chown=65532:65532 /data /data
ENV CLEARANCE_LISTEN=0.0.0.0:8080 \
    CLEARANCE_DATABASE_URL=sqlite:///data/clearance.db \
    CLEARANCE_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/clearance", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/clearance"]
CMD ["serve"]
