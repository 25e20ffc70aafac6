#!/usr/bin/env bash
# CI ONLY. Docker Hub is unreachable from CI machines, so the product's base image `node:20-bookworm-slim` is
# replaced by a local stand-in built from the same ingredients: a Debian 12 (bookworm) minbase root file system
# from Debian's own mirror, plus this machine's Node 20 and npm in /usr/local (where the official image keeps
# them), the `node` user (uid/gid 1000) the official image has, and CMD ["node"].
#
# Environment-only additions (none of this belongs in the product's Dockerfile):
# - traffic from containers goes through a proxy that re-signs TLS: the host CA bundle and NODE_EXTRA_CA_CERTS;
# - only the npm registry and Debian apt are reachable, so native addons cannot fetch prebuilt binaries from
#   GitHub nor headers from nodejs.org: npm_config_build_from_source=true and npm_config_nodedir=/usr/local make
#   node-gyp compile against the headers the image carries (the official image has them in the same place).
#
# The same root file system, without Node, is also imported as `debian:bookworm-slim`: the base of the official
# postgres and haproxy images, whose stand-ins .ci/standin-services.sh builds for the compose `scale` profile.
#
# The debootstrapped root file system is cached under $TINYTASK_CI_CACHE (default /var/cache/tinytask-ci), so a
# second run on the same machine skips the download. Usage: DOCKER=/usr/bin/docker .ci/standin-base.sh
set -euo pipefail

DOCKER=${DOCKER:-/usr/bin/docker}
TAG=${STANDIN_TAG:-node:20-bookworm-slim}
CACHE=${TINYTASK_CI_CACHE:-/var/cache/tinytask-ci}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOTFS_TAR="$CACHE/bookworm-minbase-rootfs.tar"

DEBIAN_TAG=${STANDIN_DEBIAN_TAG:-debian:bookworm-slim}

if "$DOCKER" image inspect "$TAG" >/dev/null 2>&1 && "$DOCKER" image inspect "$DEBIAN_TAG" >/dev/null 2>&1; then
  echo "stand-in: $TAG and $DEBIAN_TAG already present"
  exit 0
fi

NODE_BIN=$(command -v node)
NODE_VERSION=$("$NODE_BIN" --version)
case "$NODE_VERSION" in
  v20.*) ;;
  *) echo "stand-in: the host's Node is $NODE_VERSION, need v20.x" >&2; exit 1 ;;
esac
NPM_DIR=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)   # .../node_modules/npm
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

mkdir -p "$CACHE"
WORK=$(mktemp -d /tmp/tinytask-standin.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/rootfs"
mkdir -p "$ROOT"

if [ ! -s "$ROOTFS_TAR" ]; then
  echo "stand-in: debootstrap --variant=minbase bookworm (first run on this machine; cached afterwards)"
  debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
  # What the official slim images do: no docs/man/locales from later apt installs, no package cache.
  mkdir -p "$ROOT/etc/dpkg/dpkg.cfg.d"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    >"$ROOT/etc/dpkg/dpkg.cfg.d/docker"
  printf '%s\n' 'APT::Install-Recommends "false";' >"$ROOT/etc/apt/apt.conf.d/docker-no-recommends"
  rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/log/*.log
  # Debian's sources with the security suite, as the official image has.
  printf '%s\n' "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" >"$ROOT/etc/apt/sources.list"
  tar -C "$ROOT" --numeric-owner -cf "$ROOTFS_TAR.tmp" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
else
  echo "stand-in: using cached root file system $ROOTFS_TAR"
  tar -C "$ROOT" --numeric-owner -xf "$ROOTFS_TAR"
fi

if ! "$DOCKER" image inspect "$DEBIAN_TAG" >/dev/null 2>&1; then
  tar -C "$ROOT" --numeric-owner -c . | "$DOCKER" import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'CMD ["bash"]' \
    --message "CI stand-in for debian:bookworm-slim (debootstrap bookworm minbase)" \
    - "$DEBIAN_TAG" >/dev/null
  echo "stand-in: imported $DEBIAN_TAG"
fi
if "$DOCKER" image inspect "$TAG" >/dev/null 2>&1; then
  echo "stand-in: $TAG already present"
  exit 0
fi

# Node and npm where the official image has them.
install -m 0755 "$NODE_BIN" "$ROOT/usr/local/bin/node"
mkdir -p "$ROOT/usr/local/lib/node_modules"
cp -a "$NPM_DIR" "$ROOT/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"
# The official image carries Node's headers in /usr/local/include/node (native addons build against them).
if [ -d /usr/include/node ]; then NODE_INCLUDE=/usr/include/node; else NODE_INCLUDE=$(dirname "$NODE_BIN")/../include/node; fi
mkdir -p "$ROOT/usr/local/include"
cp -a "$NODE_INCLUDE" "$ROOT/usr/local/include/node"
# The official image's `node` user.
chroot "$ROOT" groupadd --gid 1000 node
chroot "$ROOT" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# CI environment only: trust the TLS-re-signing proxy.
# A separate copy for Node, because installing ca-certificates in a build regenerates the system bundle.
mkdir -p "$ROOT/etc/ssl/certs"
cp "$CA_BUNDLE" "$ROOT/etc/ssl/certs/ca-certificates.crt"
cp "$CA_BUNDLE" "$ROOT/etc/ssl/ci-host-ca.crt"

tar -C "$ROOT" --numeric-owner -c . | "$DOCKER" import \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=${NODE_VERSION#v}" \
  --change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/ci-host-ca.crt" \
  --change "ENV npm_config_nodedir=/usr/local" \
  --change "ENV npm_config_build_from_source=true" \
  --change 'CMD ["node"]' \
  --message "CI stand-in for node:20-bookworm-slim (debootstrap bookworm minbase + host Node $NODE_VERSION)" \
  - "$TAG" >/dev/null
echo "stand-in: imported $TAG (Node $NODE_VERSION)"
