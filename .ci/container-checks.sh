#!/usr/bin/env bash
# Container checks for tinytask-mcp, called by .ci/run (as root, no stdin, on a fresh Debian 12 machine without
# Docker Hub). Installs the engine from apt, runs a private dockerd under a temp dir, builds a local stand-in for
# the base image (.ci/standin-base.sh), builds the product image and checks it for real: hardened run → healthy,
# an MCP agent through the published port, graceful stop with an empty WAL, data back after start, the backup and
# restore scripts, a root-owned data directory (exit 2 naming the uid and the chown command), the README's compose
# set-up without a prepared ./data (named volume), compose restart after kill -9, compose limits and profiles,
# the `scale` profile (PostgreSQL, three fronts and HAProxy from local stand-ins of the official images: health
# through the balancer, session affinity, a claim race, the board's WebSocket, a rolling restart, pg_dump and
# restore, tear-down), image sizes.
#
# The private dockerd uses the default bridge (docker0, 172.17.0.0/16): do not run this next to another dockerd.
# Takes about 5 minutes on 2 cores, most of it `npm ci` compiling better-sqlite3 inside the image build.
#
# Each check prints `PASS <name> — <detail>` or `FAIL <name> — <reason>`; the last line is `N passed, N failed`.
# Everything it starts (containers, networks, dockerd) is removed on exit. Exit code 0 when nothing failed.
set -uo pipefail

T0=$(date +%s)
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# shellcheck source=engine.sh
source .ci/engine.sh

IMAGE=tinytask-mcp:ci
PREFIX=tinytask-ci
PROJECT=tinytaskci
SCALE_PROJECT=tinytaskciscale
WORK=$(mktemp -d /tmp/tinytask-container-checks.XXXXXX)
passed=0
failed=0
APP_UID=
COMPOSE_DIR=
SCALE_DIR=

pass() { passed=$((passed + 1)); echo "PASS $1 — $2"; }
fail() { failed=$((failed + 1)); echo "FAIL $1 — $2"; }
elapsed() { echo $(($(date +%s) - $1)); }

cleanup() {
  local rc=$?
  if [ -n "${ENGINE_PID:-}" ]; then
    if [ -n "$COMPOSE_DIR" ]; then
      (cd "$COMPOSE_DIR" && docker-compose -p "$PROJECT" down -v --remove-orphans >/dev/null 2>&1) || true
    fi
    if [ -n "$SCALE_DIR" ]; then
      (cd "$SCALE_DIR" && docker-compose -p "$SCALE_PROJECT" --profile scale down -v --remove-orphans >/dev/null 2>&1) || true
    fi
    local ids
    ids=$("$DOCKER" ps -aq --filter "name=^$PREFIX-" 2>/dev/null)
    [ -n "$ids" ] && "$DOCKER" rm -f $ids >/dev/null 2>&1
    engine_stop
  fi
  rm -rf "$WORK"
  echo "container checks took $(elapsed "$T0") s"
  echo "$passed passed, $failed failed"
  if [ "$failed" -gt 0 ]; then exit 1; fi
  exit "$rc"
}
trap cleanup EXIT
# Stop here: the remaining checks need what just failed.
abort() { fail "$1" "$2"; echo "container checks stopped: the remaining checks need $1"; exit 1; }

wait_health() { # container, seconds → 0 when healthy
  local c=$1 deadline=$(($(date +%s) + $2)) s
  while [ "$(date +%s)" -lt "$deadline" ]; do
    s=$("$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$c" 2>/dev/null)
    [ "$s" = healthy ] && return 0
    [ "$s" = unhealthy ] && return 1
    sleep 0.5
  done
  return 1
}

mcp() { node .ci/mcp-client.mjs "$@"; }

# Retries while the server starts (connection refused, 503): url command arg seconds. A retry never hides a stuck
# server: every failed attempt's reason is printed, and an attempt that got no answer (see .ci/mcp-client.mjs)
# also prints the tail of the server's log ($MCP_LOG_CONTAINER or $MCP_LOG_COMPOSE, when set).
mcp_retry() {
  local deadline=$(($(date +%s) + $4)) out
  while :; do
    if out=$(mcp "$1" "$2" "$3" 2>"$WORK/mcp.err"); then echo "$out"; return 0; fi
    sed 's/^/  attempt failed: /' "$WORK/mcp.err" >&2
    if grep -q 'no answer within' "$WORK/mcp.err"; then
      if [ -n "${MCP_LOG_CONTAINER:-}" ]; then "$DOCKER" logs --tail 15 "$MCP_LOG_CONTAINER" 2>&1 | sed 's/^/  server: /' >&2; fi
      if [ -n "${MCP_LOG_COMPOSE:-}" ]; then (cd "$MCP_LOG_COMPOSE" && docker-compose -p "$PROJECT" logs --tail 15 2>&1 | sed 's/^/  server: /' >&2); fi
    fi
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.5
  done
}

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

echo "=== prerequisites"
if ! engine_install; then abort "engine install" "apt-get install docker.io docker-compose debootstrap failed"; fi
if [ ! -d node_modules/@modelcontextprotocol/sdk ] || [ ! -d node_modules/dockerfile-ast ]; then
  npm ci --no-audit --no-fund >/dev/null 2>&1 || abort "npm ci" "the checks need the repository's node_modules"
fi

echo "=== static checks"
for file in test/ops-dockerfile.test.ts test/ops-compose.test.ts; do
  report="$WORK/$(basename "$file").json"
  npx vitest run "$file" --reporter=json --outputFile="$report" >"$WORK/vitest.log" 2>&1
  if [ ! -s "$report" ]; then fail "static: $file" "vitest did not run: $(tail -n 3 "$WORK/vitest.log" | tr '\n' ' ')"; continue; fi
  summary=$(node -e '
    const r = require(process.argv[1]);
    const all = r.testResults.flatMap((f) => f.assertionResults);
    const bad = all.filter((a) => a.status !== "passed");
    const fileErr = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).map((f) => f.message);
    console.log(bad.length + fileErr.length === 0 ? "ok " + all.length + " rules hold" :
      "bad " + [...bad.map((a) => a.fullName + ": " + (a.failureMessages[0] || "").split("\n")[0]), ...fileErr].join(" | "));
  ' "$report")
  case "$summary" in
    ok*) pass "static: $file" "${summary#ok }" ;;
    *) fail "static: $file" "${summary#bad }" ;;
  esac
done
if out=$(docker-compose -f docker-compose.yml config -q 2>&1) &&
   out2=$(docker-compose -f docker-compose.yml --profile monitoring --profile scale config -q 2>&1) &&
   out3=$(docker-compose -f docker-compose.dev.yml config -q 2>&1); then
  pass "compose validates" "docker-compose $(docker-compose version --short) config -q accepts docker-compose.yml (with and without the monitoring and scale profiles) and docker-compose.dev.yml"
else
  fail "compose validates" "$out ${out2:-} ${out3:-}"
fi

echo "=== engine"
t=$(date +%s)
engine_start "$WORK/engine" || abort "dockerd" "dockerd did not start (see above)"
echo "dockerd $("$DOCKER" version -f '{{.Server.Version}}') up in $(elapsed "$t") s"
t=$(date +%s)
if ! bash .ci/standin-base.sh >"$WORK/standin.log" 2>&1; then
  cat "$WORK/standin.log"
  abort "base image" "building the node:20-bookworm-slim stand-in failed"
fi
echo "$(tail -n 1 "$WORK/standin.log") in $(elapsed "$t") s"

echo "=== build"
t=$(date +%s)
if DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain -t "$IMAGE" \
     --build-arg VERSION="$(node -p 'require("./package.json").version')" \
     --build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" . >"$WORK/build.log" 2>&1; then
  pass "image builds" "docker build in $(elapsed "$t") s"
else
  tail -n 40 "$WORK/build.log"
  abort "image builds" "docker build failed after $(elapsed "$t") s"
fi
APP_UID=$("$DOCKER" image inspect -f '{{.Config.User}}' "$IMAGE")
labels=$("$DOCKER" image inspect -f '{{index .Config.Labels "org.opencontainers.image.title"}} {{index .Config.Labels "org.opencontainers.image.revision"}}' "$IMAGE")
echo "image user $APP_UID, labels: $labels"

echo "=== hardened run"
DATA="$WORK/data"
mkdir -p "$DATA"
chown "$APP_UID" "$DATA"
C="$PREFIX-hardened"
MCP_LOG_CONTAINER=$C
"$DOCKER" run -d --name "$C" --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges:true \
  --memory 512m --cpus 1 --health-interval 1s --health-start-period 20s \
  -p 127.0.0.1::3000 -v "$DATA:/data" "$IMAGE" >/dev/null || abort "hardened run" "docker run failed"
t=$(date +%s)
if wait_health "$C" 60; then
  pass "hardened run is healthy" "--read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --memory 512m --cpus 1: healthy after $(elapsed "$t") s"
else
  "$DOCKER" logs "$C" 2>&1 | tail -n 20
  abort "hardened run is healthy" "not healthy within 60 s ($("$DOCKER" inspect -f '{{.State.Status}}' "$C"))"
fi
inside=$("$DOCKER" exec "$C" sh -c 'tr "\0" " " </proc/1/cmdline; echo; grep -E "^(CapEff|NoNewPrivs)" /proc/1/status | tr -s "\t" " "; id -u; touch /app/probe 2>/dev/null && echo app-writable || echo app-readonly; touch /data/probe && rm /data/probe && echo data-writable' 2>&1)
if echo "$inside" | grep -q '^/usr/bin/dumb-init -- node' && echo "$inside" | grep -q 'CapEff: 0000000000000000' &&
   echo "$inside" | grep -q 'NoNewPrivs: 1' && echo "$inside" | grep -qx "${APP_UID%%:*}" &&
   echo "$inside" | grep -q app-readonly && echo "$inside" | grep -q data-writable; then
  pass "runtime hardening" "PID 1 dumb-init, uid ${APP_UID%%:*}, no capabilities, NoNewPrivs, /app read-only, /data writable"
else
  fail "runtime hardening" "$(echo "$inside" | tr '\n' ';')"
fi
URL="http://$("$DOCKER" port "$C" 3000/tcp | head -n 1)/mcp"

if created=$(mcp_retry "$URL" create-and-claim ci-agent 60) && echo "$created" | grep -q '"status":"working"'; then
  TASK_ID=$(echo "$created" | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).id')
  pass "MCP through the published port" "create_task + signup_for_task over Streamable HTTP → task $TASK_ID working"
else
  TASK_ID=
  fail "MCP through the published port" "create/claim failed: ${created:-no answer}"
fi

t=$(date +%s%N)
"$DOCKER" stop -t 10 "$C" >/dev/null
stop_ms=$((($(date +%s%N) - t) / 1000000))
code=$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$C")
wal="$DATA/tinytask.db-wal"
wal_size=$([ -e "$wal" ] && stat -c %s "$wal" || echo 0)
if [ "$code" = 0 ] && [ "$stop_ms" -lt 10000 ] && [ "$wal_size" = 0 ]; then
  pass "graceful stop" "docker stop → exit code 0 in $stop_ms ms (grace 10 s), WAL empty"
else
  "$DOCKER" logs "$C" 2>&1 | tail -n 10
  fail "graceful stop" "exit code $code after $stop_ms ms, WAL $wal_size bytes"
fi

"$DOCKER" start "$C" >/dev/null
URL="http://$("$DOCKER" port "$C" 3000/tcp | head -n 1)/mcp"
if wait_health "$C" 60 && [ -n "$TASK_ID" ] && got=$(mcp_retry "$URL" get "$TASK_ID" 60) && echo "$got" | grep -q '"status":"working"'; then
  pass "data survives restart" "docker start → healthy, task $TASK_ID still there and working"
else
  fail "data survives restart" "after docker start: ${got:-task not readable}"
fi

# The documented backup and restore scripts in their container mode: back up, write a task after the backup,
# restore; the restored server has the first task and not the later one.
if backup=$(DOCKER="$DOCKER" bash scripts/backup.sh --container "$C" --dir "$WORK/backups" 2>"$WORK/backup.err") &&
   [ -s "$backup" ] && later=$(mcp_retry "$URL" create-and-claim later-agent 60); then
  LATER_ID=$(echo "$later" | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).id')
  if DOCKER="$DOCKER" bash scripts/restore.sh --container "$C" --yes "$backup" >"$WORK/restore.log" 2>&1; then
    URL="http://$("$DOCKER" port "$C" 3000/tcp | head -n 1)/mcp"
    if mcp "$URL" get "$TASK_ID" >/dev/null 2>&1 && ! mcp "$URL" get "$LATER_ID" >/dev/null 2>&1; then
      pass "backup and restore scripts (container mode)" "$(basename "$backup") ($(wc -c <"$backup") bytes); restored: task $TASK_ID back, task $LATER_ID (written after the backup) gone, healthy"
    else
      fail "backup and restore scripts (container mode)" "after the restore task $TASK_ID / $LATER_ID are not as backed up"
    fi
  else
    fail "backup and restore scripts (container mode)" "restore.sh failed: $(tail -n 3 "$WORK/restore.log" | tr '\n' ' ')"
  fi
else
  fail "backup and restore scripts (container mode)" "backup.sh failed: $(tail -n 3 "$WORK/backup.err" | tr '\n' ' ')"
fi
"$DOCKER" rm -f "$C" >/dev/null

echo "=== data directory owned by root"
# What Docker does with a missing host directory: it creates it, owned by root. The server must stop at once with
# exit code 2 and a message naming its uid and the chown command, not crash-loop on a read-only database.
ROOTDATA="$WORK/rootdata"
mkdir -p "$ROOTDATA" && chown 0:0 "$ROOTDATA" && chmod 0755 "$ROOTDATA"
C="$PREFIX-rootdata"
t=$(date +%s)
"$DOCKER" run --name "$C" --read-only --tmpfs /tmp --cap-drop ALL -v "$ROOTDATA:/data" "$IMAGE" >"$WORK/rootdata.log" 2>&1 &
run_pid=$!
deadline=$(($(date +%s) + 60))
while kill -0 "$run_pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.5; done
code=$("$DOCKER" inspect -f '{{.State.ExitCode}} {{.State.Running}}' "$C" 2>/dev/null)
if [ "$code" = "2 false" ] && grep -q "uid ${APP_UID%%:*}" "$WORK/rootdata.log" &&
   grep -q "chown ${APP_UID%%:*}:" "$WORK/rootdata.log"; then
  pass "root-owned data directory" "exit code 2 after $(elapsed "$t") s: $(grep -o 'not writable.*' "$WORK/rootdata.log" | head -c 160)"
else
  fail "root-owned data directory" "state '$code'; log: $(tail -n 3 "$WORK/rootdata.log" | tr '\n' ' ')"
fi
"$DOCKER" rm -f "$C" >/dev/null 2>&1

echo "=== compose"
# A throw-away project directory, set up exactly as the README says: no ./data prepared (the default keeps /data in
# the named volume tinytask-data, which Docker creates owned by the image's uid).
COMPOSE_DIR="$WORK/compose"
MCP_LOG_CONTAINER=
MCP_LOG_COMPOSE=$COMPOSE_DIR
mkdir -p "$COMPOSE_DIR"
cp docker-compose.yml "$COMPOSE_DIR/"
cp -r deploy "$COMPOSE_DIR/"
PORT=$(free_port)
export TINYTASK_IMAGE="$IMAGE" PUBLISH_ADDRESS=127.0.0.1 PUBLISH_PORT="$PORT"
if ! (cd "$COMPOSE_DIR" && docker-compose -p "$PROJECT" up -d --no-build) >"$WORK/compose.log" 2>&1; then
  cat "$WORK/compose.log"
  fail "compose up" "docker-compose up -d --no-build failed"
else
  CC=$("$DOCKER" ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=tinytask")
  URL="http://127.0.0.1:$PORT/mcp"
  services=$("$DOCKER" ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Label "com.docker.compose.service"}}' | sort | tr '\n' ' ')
  if wait_health "$CC" 90; then
    pass "README compose set-up, no ./data prepared" "healthy; /data is the named volume $("$DOCKER" inspect -f '{{range .Mounts}}{{.Type}}:{{.Name}}{{end}}' "$CC"); no ./data created: $([ -e "$COMPOSE_DIR/data" ] && echo no || echo yes)"
  else
    "$DOCKER" logs --tail 10 "$CC" 2>&1
    fail "README compose set-up, no ./data prepared" "not healthy within 90 s (restarts: $("$DOCKER" inspect -f '{{.RestartCount}}' "$CC"))"
  fi
  if [ "$services" = "tinytask " ]; then
    pass "monitoring profile off by default" "plain up started only: $services"
  else
    fail "monitoring profile off by default" "plain up started: $services"
  fi
  hc=$("$DOCKER" inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.MemoryReservation}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}} {{.HostConfig.RestartPolicy.Name}} {{range $k, $v := .HostConfig.Tmpfs}}{{$k}}{{end}}' "$CC")
  if [ "$hc" = "536870912 1000000000 268435456 true [ALL] [no-new-privileges:true] unless-stopped /tmp" ]; then
    pass "compose applies limits and hardening" "Memory 512 MiB, NanoCpus 1e9, reservation 256 MiB, read-only, cap_drop ALL, no-new-privileges, unless-stopped, tmpfs /tmp"
  else
    fail "compose applies limits and hardening" "HostConfig: $hc"
  fi
  if created=$(mcp_retry "$URL" create-and-claim compose-agent 60) && echo "$created" | grep -q '"status":"working"'; then
    CTASK=$(echo "$created" | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).id')
    before=$("$DOCKER" inspect -f '{{.RestartCount}}' "$CC")
    "$DOCKER" exec "$CC" sh -c 'for d in /proc/[0-9]*; do [ "$(cat "$d/comm" 2>/dev/null)" = node ] && kill -9 "${d#/proc/}"; done; true'
    restarted=
    deadline=$(($(date +%s) + 40))
    while [ "$(date +%s)" -lt "$deadline" ]; do
      rc=$("$DOCKER" inspect -f '{{.RestartCount}} {{.State.Running}}' "$CC")
      if [ "${rc%% *}" -gt "$before" ] && [ "${rc#* }" = true ]; then restarted=${rc%% *}; break; fi
      sleep 0.5
    done
    if [ -n "$restarted" ] && got=$(mcp_retry "$URL" get "$CTASK" 60) && echo "$got" | grep -q '"status":"working"'; then
      integrity=$("$DOCKER" exec "$CC" node -e 'const D=require("/app/node_modules/better-sqlite3");const db=new D("/data/tinytask.db",{readonly:true});console.log(db.pragma("integrity_check",{simple:true}))' 2>&1)
      if [ "$integrity" = ok ]; then
        pass "kill -9 → restarted by policy" "RestartCount $restarted, task $CTASK intact, integrity_check ok"
      else
        fail "kill -9 → restarted by policy" "restarted, but integrity_check says: $integrity"
      fi
    else
      "$DOCKER" logs --tail 10 "$CC" 2>&1
      fail "kill -9 → restarted by policy" "RestartCount ${rc:-?}; task read: ${got:-none}"
    fi
  else
    fail "kill -9 → restarted by policy" "could not write a task through compose: ${created:-no answer}"
  fi
  (cd "$COMPOSE_DIR" && docker-compose -p "$PROJECT" down -v --remove-orphans >/dev/null 2>&1)
fi

# shellcheck source=container-checks-scale.sh
source .ci/container-checks-scale.sh

echo "=== sizes"
base=$("$DOCKER" image inspect -f '{{.Size}}' node:20-bookworm-slim)
total=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE")
app=$((total - base))
gz_total=$("$DOCKER" save "$IMAGE" | gzip -6 | wc -c)
gz_base=$("$DOCKER" save node:20-bookworm-slim | gzip -6 | wc -c)
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }
echo "image $(mb "$total") = base $(mb "$base") + app layers $(mb "$app"); compressed (docker save | gzip): image $(mb "$gz_total"), app layers $(mb $((gz_total - gz_base)))"
if [ "$app" -le 25000000 ]; then
  pass "app layers ≤ 25 MB" "app layers $(mb "$app") uncompressed, $(mb $((gz_total - gz_base))) compressed; whole image $(mb "$gz_total") compressed (stand-in base)"
else
  fail "app layers ≤ 25 MB" "app layers $(mb "$app")"
fi
