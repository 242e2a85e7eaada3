# docusign-gitops as a container image: the binary, CA certificates (DocuSign is reached over
# TLS, checked against the system's roots) and git (for the CI jobs that run in the image and
# push the state commit; the tool itself commits through libgit2 and runs no git). It runs as a
# user of its own, never root.
#
#   docker build -t docusign-gitops \
#     --build-arg DOCUSIGN_GITOPS_COMMIT="$(git rev-parse --short=12 HEAD)" .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" docusign-gitops \
#     plan desired-state --emulator
#
# `--user` with your own IDs lets the tool write and commit the recorded state in the mounted
# checkout (git refuses a repository owned by someone else). scripts/docker-build-check runs
# this file's build commands on a machine without a container engine.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
# The build context holds no .git (.dockerignore), so the commit for `--version` comes in as a
# build argument; without it the version says "unknown commit".
ARG DOCUSIGN_GITOPS_COMMIT=
# Where the final image's files are laid out, to be copied in one layer.
ARG ROOTFS=/rootfs
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
    && install -D -m 0755 target/release/docusign-gitops "$ROOTFS/usr/local/bin/docusign-gitops" \
    && "$ROOTFS/usr/local/bin/docusign-gitops" --version

FROM debian:${DEBIAN_RELEASE}-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --user-group docusign-gitops
COPY --from=build /rootfs/ /
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["docusign-gitops"]
CMD ["--help"]
