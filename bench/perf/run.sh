#!/bin/bash
# Start the built server pinned to core 0, run bench/perf/call.mjs from core 1 for each tool given, stop it.
# usage: bench/perf/run.sh [extra node flags...]  (env TOOLS="get_task create_task", SECS=10, ROOT=dir of another build)
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
taskset -c 0 env TINYTASK_PORT=0 TINYTASK_DB_PATH=$dir/t.db node "$@" ${ROOT:-.}/dist/cli.js 2>$dir/err.log &
pid=$!
for i in $(seq 50); do port=$(grep -o '"port":[0-9]*' $dir/err.log | head -1 | cut -d: -f2); [ -n "$port" ] && break; sleep 0.2; done
if [ -z "$port" ]; then cat $dir/err.log; kill $pid; exit 1; fi
# Server CPU (user+system, all threads) per call: honest even when other work shares the machine.
ticks() { awk '{print $14+$15}' /proc/$pid/stat; }
hz=$(getconf CLK_TCK)
for t in ${TOOLS:-get_task}; do
  before=$(ticks)
  out=$(taskset -c 1 node bench/perf/call.mjs $port $t 100 ${SECS:-10})
  after=$(ticks)
  total=$(echo "$out" | grep -o '"total":[0-9]*' | cut -d: -f2)
  echo "$out" | sed "s/}\$/,\"cpuUsPerCall\":$(( (after - before) * 1000000 / hz / (total + 1) ))}/"
done
kill -INT $pid; wait $pid
rm -rf $dir
