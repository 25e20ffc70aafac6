#!/bin/bash
# CPU ticks (user, system) per server thread during one bench/perf/call.mjs run: which thread pays for a call.
# usage: bench/perf/threads.sh [tool]   (server pinned to core 0, load on core 1)
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
taskset -c 0 env TINYTASK_PORT=0 TINYTASK_DB_PATH=$dir/t.db node dist/cli.js 2>$dir/err.log &
pid=$!
for i in $(seq 50); do port=$(grep -o '"port":[0-9]*' $dir/err.log | head -1 | cut -d: -f2); [ -n "$port" ] && break; sleep 0.2; done
snap() { for t in /proc/$pid/task/*; do echo "$(basename $t) $(cat $t/comm) $(awk '{print $14, $15}' $t/stat)"; done; }
snap > $dir/a
taskset -c 1 node bench/perf/call.mjs $port ${1:-get_task} 100 6
snap > $dir/b
join $dir/a $dir/b | awk '{u=$6-$3; s=$7-$4; if (u+s>0) print $2, "user", u, "sys", s}'
kill -INT $pid; wait $pid; rm -rf $dir
