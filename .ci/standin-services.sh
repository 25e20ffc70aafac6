#!/usr/bin/env bash
# CI ONLY. Builds local stand-ins for the official images the compose `scale` profile uses, under their real tags
# (Docker Hub is unreachable from CI): postgres:15-bookworm and haproxy:2.6-bookworm, from Debian 12's own
# PostgreSQL 15 and HAProxy 2.6 packages, on the debian:bookworm-slim stand-in that .ci/standin-base.sh imports
# (run that first). The Dockerfiles are in .ci/standin/; they keep the official images' interfaces (users, paths,
# entrypoints, stop signals) and carry nothing of the CI environment: apt reaches Debian over plain HTTP.
# Usage: DOCKER=/usr/bin/docker .ci/standin-services.sh
set -euo pipefail
cd "$(dirname "$0")"

DOCKER=${DOCKER:-/usr/bin/docker}
"$DOCKER" image inspect debian:bookworm-slim >/dev/null 2>&1 || {
  echo "stand-in: debian:bookworm-slim is missing (run .ci/standin-base.sh first)" >&2
  exit 1
}
LOGS=$(mktemp -d /tmp/tinytask-standin-services.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT
for pair in postgres:postgres:15-bookworm haproxy:haproxy:2.6-bookworm; do
  dir=${pair%%:*}
  tag=${pair#*:}
  if "$DOCKER" image inspect "$tag" >/dev/null 2>&1; then
    echo "stand-in: $tag already present"
    continue
  fi
  DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain -t "$tag" "standin/$dir" >"$LOGS/$dir.log" 2>&1 || {
    tail -n 30 "$LOGS/$dir.log" >&2
    exit 1
  }
  version=$("$DOCKER" run --rm --entrypoint sh "$tag" -c "${dir} --version 2>/dev/null || ${dir} -v")
  echo "stand-in: built $tag (${version%%$'\n'*})"
done
