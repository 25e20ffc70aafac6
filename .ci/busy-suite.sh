#!/usr/bin/env bash
# Runs the test suite with both CPUs kept busy, the way a loaded developer machine or CI runner is: two
# `node -e 'for(;;){}'` loops run for the whole suite and are killed on exit (any exit: success, failure, Ctrl-C).
# Not part of .ci/run (it is slow); run it by hand after changes to start-up, health checks or timing-sensitive
# tests:  bash .ci/busy-suite.sh [vitest arguments]
# Prints vitest's summary and a last line `busy suite: N passed, N failed, N skipped in S s`; exit code is vitest's.
set -uo pipefail
cd "$(dirname "$0")/.."
busy=()
suite=
cleanup() {
  [ -n "$suite" ] && kill "$suite" 2>/dev/null
  for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

npm run -s build || exit 1
for _ in 1 2; do
  node -e 'for(;;){}' &
  busy+=("$!")
done
echo "busy loops: pids ${busy[*]} (load $(cut -d' ' -f1-3 /proc/loadavg))"
report=$(mktemp /tmp/tinytask-busy-suite.XXXXXX.json)
t0=$(date +%s)
# In the background and waited for, so that a signal runs the trap at once (bash defers traps while a
# foreground child runs) and the busy loops never outlive the script.
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" &
suite=$!
wait "$suite"
rc=$?
suite=
secs=$(($(date +%s) - t0))
if [ -s "$report" ]; then
  node -e '
    const r = require(process.argv[1]);
    const failed = r.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === "failed").map((a) => f.name.replace(process.cwd() + "/", "") + " > " + a.fullName));
    for (const f of failed) console.log("FAILED " + f);
    console.log(`busy suite: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped in ${process.argv[2]} s`);
  ' "$report" "$secs"
else
  echo "busy suite: vitest wrote no report (exit code $rc) after $secs s"
fi
rm -f "$report"
exit "$rc"
