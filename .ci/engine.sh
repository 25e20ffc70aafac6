# Sourced by the CI container scripts. Installs the Docker engine from Debian (docker.io 20.10 + Compose v1) and
# runs a private dockerd whose state lives under a temp dir, so it never touches a system daemon. No systemd here.
#   engine_install; engine_start "$WORKDIR"; ...; engine_stop
# Exports DOCKER (the apt client, which speaks the 20.10 daemon's API) and DOCKER_HOST.

DOCKER=/usr/bin/docker
export DOCKER

engine_install() {
  local need=()
  [ -x /usr/bin/docker ] && command -v dockerd >/dev/null || need+=(docker.io)
  command -v docker-compose >/dev/null || need+=(docker-compose)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  [ ${#need[@]} -eq 0 ] && return 0
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

engine_start() {
  ENGINE_DIR=$1
  mkdir -p "$ENGINE_DIR"
  export DOCKER_HOST="unix://$ENGINE_DIR/docker.sock"
  dockerd --data-root "$ENGINE_DIR/root" --exec-root "$ENGINE_DIR/exec" --pidfile "$ENGINE_DIR/dockerd.pid" \
    -H "$DOCKER_HOST" >"$ENGINE_DIR/dockerd.log" 2>&1 &
  ENGINE_PID=$!
  local i
  for i in $(seq 1 60); do
    if "$DOCKER" info >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$ENGINE_PID" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "dockerd did not come up:" >&2
  tail -n 20 "$ENGINE_DIR/dockerd.log" >&2
  return 1
}

engine_stop() {
  [ -n "${ENGINE_PID:-}" ] || return 0
  kill "$ENGINE_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 40); do kill -0 "$ENGINE_PID" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$ENGINE_PID" 2>/dev/null || true
  wait "$ENGINE_PID" 2>/dev/null || true
  # dockerd leaves overlay mounts behind when it is killed hard; unmount before the dir goes.
  if [ -n "${ENGINE_DIR:-}" ]; then
    grep -o " $ENGINE_DIR[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  ENGINE_PID=
}
