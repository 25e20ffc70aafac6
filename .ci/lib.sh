# Shared by the CI check scripts (sourced, not run).

# start_server LOG [VAR=value ...]: starts the built server (HTTP on 127.0.0.1, a free port) in the background with
# the extra settings given, logging to LOG; sets SERVER_PID, and PORT once the start-up line names the port. Waits
# up to 60 s (a busy machine starts slowly); returns 1, with the log's tail printed, when no port came.
start_server() {
  local log=$1
  shift
  env TINYTASK_MODE=http TINYTASK_HOST=127.0.0.1 TINYTASK_PORT=0 TINYTASK_LOG_LEVEL=info "$@" \
    node dist/cli.js serve </dev/null >"$log.out" 2>"$log" &
  SERVER_PID=$!
  PORT=
  for _ in $(seq 1 600); do
    # The start-up line is the first JSON log line that carries the listening port.
    PORT=$(grep -m1 -o '"port":[0-9]*' "$log" 2>/dev/null | grep -o '[0-9]*$')
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$log"
  return 1
}
