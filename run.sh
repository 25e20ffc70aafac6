#!/usr/bin/env bash
# Runs tinytask-mcp in Docker with the production hardening, data in ./data (or DATA_DIR).
#   ./run.sh                 start (detached) as container "tinytask-mcp" on port 3000
#   ./run.sh --dev           the development stack (docker-compose.dev.yml: sources mounted, reload, inspector)
#   ./run.sh --stop          stop it gracefully (SIGTERM; writes drained, WAL checkpointed)
#   ./run.sh --logs          follow its logs
# Settings: .env if present (see .env.example); IMAGE (tinytask-mcp:latest), NAME (tinytask-mcp), DATA_DIR,
# PUBLISH_ADDRESS (0.0.0.0), PUBLISH_PORT (3000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

APP_UID=10001  # the image's user (see Dockerfile)
if [ -f .env ]; then set -a; . ./.env; set +a; fi
IMAGE=${IMAGE:-${TINYTASK_IMAGE:-tinytask-mcp:latest}}
NAME=${NAME:-tinytask-mcp}
DATA_DIR=${DATA_DIR:-$PWD/data}

compose() { if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi; }

case "${1:-}" in
  --dev) exec compose -f docker-compose.dev.yml up --build ;;
  --stop) exec docker stop -t 20 "$NAME" ;;
  --logs) exec docker logs -f "$NAME" ;;
  "") ;;
  *) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

mkdir -p "$DATA_DIR"
if [ "$(stat -c %u "$DATA_DIR")" != "$APP_UID" ]; then
  echo "run: giving $DATA_DIR to uid $APP_UID (the container's user)"
  if [ "$(id -u)" = 0 ]; then chown "$APP_UID:$APP_UID" "$DATA_DIR"; else sudo chown "$APP_UID:$APP_UID" "$DATA_DIR"; fi
fi

env_args=()
[ -f .env ] && env_args=(--env-file .env)
docker run -d --name "$NAME" --restart unless-stopped \
  -p "${PUBLISH_ADDRESS:-0.0.0.0}:${PUBLISH_PORT:-3000}:${TINYTASK_PORT:-3000}" \
  "${env_args[@]}" \
  --read-only --tmpfs /tmp:size=64m --cap-drop ALL --security-opt no-new-privileges:true \
  --memory 512m --memory-reservation 256m --cpus 1 --pids-limit 256 --stop-timeout 20 \
  -v "$DATA_DIR:/data" "$IMAGE"
echo "run: $NAME started; health: curl -s http://127.0.0.1:${PUBLISH_PORT:-3000}/health"
