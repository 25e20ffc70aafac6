#!/usr/bin/env bash
# Builds the tinytask-mcp image.
#   ./build.sh                     tinytask-mcp:<package version> and tinytask-mcp:latest for this machine
#   ./build.sh 1.2.0               a given tag (and latest)
#   ./build.sh --dev               the development image (Dockerfile.dev) as tinytask-mcp:dev
#   PLATFORMS=linux/amd64,linux/arm64 PUSH=1 IMAGE=registry.example.com/tinytask-mcp ./build.sh
#                                  multi-architecture with docker buildx, pushed to a registry
# Environment: IMAGE (default tinytask-mcp), PLATFORMS, PUSH=1, NO_CACHE=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

IMAGE=${IMAGE:-tinytask-mcp}
if [ "${1:-}" = --dev ]; then
  exec docker build -f Dockerfile.dev -t "$IMAGE:dev" .
fi

VERSION=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json | head -n 1)
TAG=${1:-$VERSION}
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
args=(--build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION" --build-arg "CREATED=$CREATED"
      -t "$IMAGE:$TAG" -t "$IMAGE:latest")
[ "${NO_CACHE:-}" = 1 ] && args+=(--no-cache)

if [ -n "${PLATFORMS:-}" ]; then
  # A multi-platform image cannot be loaded into the local image store: push it (PUSH=1) or build to check it.
  out=()
  [ "${PUSH:-}" = 1 ] && out=(--push)
  docker buildx build --platform "$PLATFORMS" "${args[@]}" "${out[@]}" .
else
  docker build "${args[@]}" .
  [ "${PUSH:-}" = 1 ] && docker push "$IMAGE:$TAG" && docker push "$IMAGE:latest"
fi
echo "built $IMAGE:$TAG"
