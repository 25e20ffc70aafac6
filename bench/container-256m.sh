#!/usr/bin/env bash
# The product image under a hard memory limit with real-agent load (issue 13): builds the image from this checkout,
# runs it with `--memory 256m --cpus 1` (swap off: --memory-swap equal to --memory, so the limit cannot be dodged),
# drives it with `npm run bench:agents` through the published port, samples `docker stats` and the cgroup's own
# peak while it runs, and reports whether the container survived (still running, not OOM-killed, no restart),
# its peak memory, calls/s and p99. Not part of CI; run it as root on a Linux machine with Docker.
#
#   bench/container-256m.sh [--agents 300] [--think-ms 1000] [--duration 60] [--memory 256m] [--image TAG]
#                           [--no-build] [--keep]
#
# Without a reachable Docker daemon it starts a private dockerd under a temp dir (.ci/engine.sh) and builds the
# node:20-bookworm-slim stand-in the way CI does (.ci/standin-base.sh: Docker Hub may be unreachable); both are
# left alone when they already exist. Exit code 0 when the container survived and the bench reported no error.
set -uo pipefail
cd "$(dirname "$0")/.."

AGENTS=300 THINK_MS=1000 DURATION=60 WARMUP=5 MEMORY=256m IMAGE=tinytask-mcp:bench256 BUILD=1 KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --agents) AGENTS=$2; shift 2 ;;
    --think-ms) THINK_MS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --memory) MEMORY=$2; shift 2 ;;
    --image) IMAGE=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

# shellcheck source=../.ci/engine.sh
source .ci/engine.sh
WORK=$(mktemp -d /tmp/tinytask-256m.XXXXXX)
NAME=tinytask-bench256-$$
STATS_PID=
cleanup() {
  [ -n "$STATS_PID" ] && kill "$STATS_PID" 2>/dev/null
  if [ "$KEEP" = 0 ]; then
    "$DOCKER" rm -f "$NAME" >/dev/null 2>&1
    "$DOCKER" volume rm "$NAME-data" >/dev/null 2>&1
    engine_stop
    rm -rf "$WORK"
  else
    echo "kept: container $NAME, work dir $WORK${ENGINE_PID:+, dockerd pid $ENGINE_PID (DOCKER_HOST=$DOCKER_HOST)}"
  fi
}
trap cleanup EXIT

if ! "$DOCKER" info >/dev/null 2>&1; then
  engine_install || { echo "could not install the Docker engine" >&2; exit 1; }
  engine_start "$WORK/engine" || exit 1
  echo "started a private dockerd (DOCKER_HOST=$DOCKER_HOST)"
fi
if [ "$BUILD" = 1 ]; then
  DOCKER="$DOCKER" bash .ci/standin-base.sh || { echo "base image stand-in failed" >&2; exit 1; }
  t=$(date +%s)
  if ! DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$IMAGE" \
       --build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)" . >"$WORK/build.log" 2>&1; then
    tail -n 40 "$WORK/build.log" >&2; exit 1
  fi
  echo "built $IMAGE in $(($(date +%s) - t)) s"
fi

"$DOCKER" run -d --name "$NAME" --memory "$MEMORY" --memory-swap "$MEMORY" --cpus 1 --cpuset-cpus 0 \
  -p 127.0.0.1::3000 -e TINYTASK_MAX_SESSIONS=$((AGENTS + 100)) -v "$NAME-data:/data" "$IMAGE" >/dev/null ||
  { echo "docker run failed" >&2; exit 1; }
URL="http://$("$DOCKER" port "$NAME" 3000/tcp | head -n 1)/mcp"
for _ in $(seq 1 120); do
  curl -sf "${URL%/mcp}/health" >/dev/null 2>&1 && break
  sleep 0.5
done
PID=$("$DOCKER" top "$NAME" -eo pid,comm | awk '$2=="node"{print $1}' | head -n 1)
CID=$("$DOCKER" inspect -f '{{.Id}}' "$NAME")
PEAK_FILE=$(find /sys/fs/cgroup -path "*$CID*" -name memory.peak 2>/dev/null | head -n 1)
echo "container $NAME up: $URL, node pid $PID, limit $MEMORY${PEAK_FILE:+, cgroup $PEAK_FILE}"

# docker stats once a second: "MiB used" per line (its figure excludes the page cache, as the OOM killer's does not).
( while :; do
    "$DOCKER" stats --no-stream --format '{{.MemUsage}}' "$NAME" 2>/dev/null | awk '{print $1}'
    sleep 1
  done ) >"$WORK/stats.txt" &
STATS_PID=$!

mkdir -p "$WORK/out"
npm run -s bench:agents -- --url "$URL" --server-pid "$PID" --agents "$AGENTS" --think-ms "$THINK_MS" \
  --duration "$DURATION" --warmup "$WARMUP" --no-pin --out "$WORK/out" >"$WORK/bench.log" 2>&1
BENCH_RC=$?
kill "$STATS_PID" 2>/dev/null; STATS_PID=

state=$("$DOCKER" inspect -f '{{.State.Status}} oom={{.State.OOMKilled}} restarts={{.RestartCount}} exit={{.State.ExitCode}}' "$NAME")
to_mib() { # 123.4MiB / 1.2GiB / 900KiB → MiB
  awk '{ v=$1; u=v; gsub(/[0-9.]/,"",u); gsub(/[^0-9.]/,"",v);
         if (u=="GiB") v*=1024; else if (u=="KiB") v/=1024; else if (u=="B") v/=1048576; printf "%.1f\n", v }'
}
peak_stats=$(to_mib <"$WORK/stats.txt" | sort -n | tail -n 1)
peak_cgroup=
[ -n "$PEAK_FILE" ] && [ -r "$PEAK_FILE" ] && peak_cgroup=$(awk '{printf "%.1f", $1/1048576}' "$PEAK_FILE")
json=$(ls "$WORK"/out/agents-*.json 2>/dev/null | head -n 1)
summary=$([ -n "$json" ] && node -e '
  const r = require(process.argv[1]);
  const s = r.server || {};
  console.log(`calls/s ${r.callsPerSec.toFixed(0)}, p99 ${r.overall.p99.toFixed(1)} ms, errors ${r.errors.http + r.errors.rpc + r.errors.tool}, ` +
    `server CPU ${s.cpuPercent?.toFixed(0)} % (${s.cpuMsPerCall?.toFixed(3)} CPU-ms/call), node VmHWM ${((s.peakRssBytes || 0) / 1048576).toFixed(1)} MB`);
' "$json")

echo "--- container under --memory $MEMORY --cpus 1, $AGENTS agents, think $THINK_MS ms, $DURATION s"
echo "container after the run: $state"
echo "peak memory: docker stats ${peak_stats:-?} MiB${peak_cgroup:+, cgroup memory.peak $peak_cgroup MiB} (limit $MEMORY)"
echo "bench: ${summary:-no result (see below)} (exit $BENCH_RC)"
[ -z "$summary" ] && tail -n 20 "$WORK/bench.log"
case "$state" in
  "running oom=false restarts=0 "*) survived=1 ;;
  *) survived=0 ;;
esac
echo "survived: $([ "$survived" = 1 ] && echo yes || echo NO)"
[ "$survived" = 1 ] && [ "$BENCH_RC" = 0 ]
