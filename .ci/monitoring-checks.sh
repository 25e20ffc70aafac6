#!/usr/bin/env bash
# Monitoring checks for tinytask-mcp with a real Prometheus, called by .ci/run (as root, no stdin, on a fresh
# Debian 12 machine without Docker Hub, so Debian's own Prometheus 2.42 stands in for the compose image):
#   1. `promtool check config` on deploy/prometheus/prometheus.yml, and on the same file with its documented
#      bearer-token block enabled;
#   2. the built server's /metrics, after MCP traffic, passes `promtool check metrics` with no lint at all;
#   3. Prometheus (127.0.0.1, free port, temp storage, 1 s scrapes, the token sent the way prometheus.yml does it)
#      scrapes the server (up == 1) and every PromQL expression of deploy/grafana/dashboards/tinytask.json
#      evaluates through /api/v1/query; the key panels return series; rate() is only taken of counters.
# Grafana's provisioning (datasource URL, provider path = compose mount) is checked in test/ops-compose.test.ts.
#
# Each check prints `PASS <name> — <detail>` or `FAIL <name> — <reason>`; the last line is `N passed, N failed`.
# Everything it starts (server, Prometheus) and its temp dir are removed on exit. Exit code 0 when nothing failed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

T0=$(date +%s)
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export DEBIAN_FRONTEND=noninteractive
WORK=$(mktemp -d /tmp/tinytask-monitoring-checks.XXXXXX)
passed=0
failed=0
SERVER_PID=
PROM_PID=
POLICY_RC_CREATED=

pass() { passed=$((passed + 1)); echo "PASS $1 — $2"; }
fail() { failed=$((failed + 1)); echo "FAIL $1 — $2"; }

stop_pid() { # pid: SIGTERM, then SIGKILL after 10 s
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  [ -n "$PROM_PID" ] && stop_pid "$PROM_PID"
  [ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"
  [ -n "$POLICY_RC_CREATED" ] && rm -f /usr/sbin/policy-rc.d
  rm -rf "$WORK"
  echo "monitoring checks took $(($(date +%s) - T0)) s"
  echo "$passed passed, $failed failed"
  if [ "$failed" -gt 0 ]; then exit 1; fi
  exit "$rc"
}
trap cleanup EXIT
abort() { fail "$1" "$2"; echo "monitoring checks stopped: the remaining checks need $1"; exit 1; }

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# Reads PASS/FAIL lines of a helper on stdin into the counters (and echoes everything).
tally() {
  local line
  while IFS= read -r line; do
    case $line in
      PASS\ *) passed=$((passed + 1)) ;;
      FAIL\ *) failed=$((failed + 1)) ;;
    esac
    echo "$line"
  done
}

echo "=== prerequisites"
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  # The package's postinst starts the service through invoke-rc.d; we start our own, so deny that.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && POLICY_RC_CREATED=1
  fi
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >"$WORK/apt.log" 2>&1; }; then
    tail -n 20 "$WORK/apt.log"
    abort "prometheus install" "apt-get install prometheus failed"
  fi
  [ -n "$POLICY_RC_CREATED" ] && rm -f /usr/sbin/policy-rc.d && POLICY_RC_CREATED=
fi
echo "$(prometheus --version 2>&1 | head -n 1)"
if [ ! -f dist/cli.js ]; then
  npm run build >"$WORK/build.log" 2>&1 || { tail -n 20 "$WORK/build.log"; abort "build" "npm run build failed"; }
fi

echo "=== 1. prometheus.yml"
if out=$(promtool check config deploy/prometheus/prometheus.yml 2>&1); then
  pass "promtool check config" "deploy/prometheus/prometheus.yml is valid"
else
  fail "promtool check config" "deploy/prometheus/prometheus.yml: $(echo "$out" | tr '\n' ' ')"
fi

echo "=== server"
TOKEN=$(node -e "console.log(require('crypto').randomBytes(24).toString('hex'))")
mkdir -p "$WORK/db" "$WORK/prom-data"
start_server "$WORK/server.log" TINYTASK_AUTH_TOKEN="$TOKEN" TINYTASK_DB_PATH="$WORK/db/tinytask.db" ||
  abort "server start" "no start line with the port within 60 s"
echo "server on 127.0.0.1:$PORT (auth on)"

echo "=== prometheus"
PROM_PORT=$(free_port)
# The project's prometheus.yml with its documented bearer-token block enabled; only addresses, intervals and the
# token file's path differ. Fails when the file no longer documents the token the way the docs describe it.
if ! out=$(node --input-type=module - deploy/prometheus/prometheus.yml "$WORK/prometheus.yml" "$WORK/tinytask.token" \
  "127.0.0.1:$PORT" "127.0.0.1:$PROM_PORT" 2>&1 <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
const [src, dest, tokenFile, target, self] = process.argv.slice(2);
let text = readFileSync(src, 'utf8');
// Uncomment the documented block exactly as an operator would: '# authorization:' + '#   credentials_file: ...'.
text = text.replace(/^(\s*)#\s?(authorization:)\n(\s*)#\s?(\s*credentials_file:.*)$/m, '$1$2\n$3$4');
const cfg = parse(text);
const job = cfg.scrape_configs?.find((j) => j.job_name === 'tinytask');
if (!job) throw new Error('no tinytask job');
const file = job.authorization?.credentials_file;
if (!file) throw new Error('the tinytask job has no authorization.credentials_file (commented or not)');
if (file !== '/etc/prometheus/secrets/tinytask.token')
  throw new Error('credentials_file is ' + file + ', not the compose mount /etc/prometheus/secrets/tinytask.token');
job.authorization.credentials_file = tokenFile;
job.static_configs = job.static_configs.map((sc) => ({ ...sc, targets: [target] }));
for (const j of cfg.scrape_configs)
  if (j.job_name === 'prometheus') j.static_configs = [{ targets: [self] }];
cfg.global = { ...cfg.global, scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' };
writeFileSync(dest, stringify(cfg));
console.log(file);
JS
); then
  abort "prometheus.yml with bearer token" "$(echo "$out" | grep -m1 -i error || echo "$out" | tail -n 1)"
fi
printf '%s' "$TOKEN" >"$WORK/tinytask.token"
if out=$(promtool check config "$WORK/prometheus.yml" 2>&1); then
  pass "promtool check config (token enabled)" "the documented authorization block enabled, credentials_file → temp token file, target → 127.0.0.1:$PORT"
else
  fail "promtool check config (token enabled)" "$(echo "$out" | tr '\n' ' ')"
fi
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom-data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn </dev/null >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
echo "prometheus on 127.0.0.1:$PROM_PORT"

echo "=== 2 and 3. scrape, traffic, lint, dashboard queries"
# One node process: waits for Prometheus and the target, sends MCP traffic in two rounds (each round ingested
# before the next, so rate() has two differing samples), lints /metrics with promtool, then evaluates the dashboard.
node --input-type=module - "http://127.0.0.1:$PORT" "http://127.0.0.1:$PROM_PORT" "$TOKEN" \
  "$ROOT/deploy/grafana/dashboards/tinytask.json" >"$WORK/checks.out" 2>"$WORK/node.err" <<'JS'
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [server, prom, token, dashboardPath] = process.argv.slice(2);
const pass = (name, detail) => console.log('PASS ' + name + ' — ' + detail);
const fail = (name, reason) => console.log('FAIL ' + name + ' — ' + reason);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const auth = { Authorization: 'Bearer ' + token };

async function query(expr) {
  const res = await fetch(prom + '/api/v1/query?query=' + encodeURIComponent(expr));
  const body = await res.json().catch(() => ({ status: 'error', error: 'HTTP ' + res.status + ', not JSON' }));
  if (body.status !== 'success') throw new Error(body.errorType ? body.errorType + ': ' + body.error : body.error);
  return body.data;
}
const scalar = async (expr) => {
  const d = await query(expr);
  return d.result.length ? Number(d.result[0].value[1]) : undefined;
};
// Bounded wait for a condition on Prometheus (not a timing assertion: 30 s is far above the 1 s scrape interval).
async function until(what, fn, ms = 30_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try { if (await fn()) return true; } catch (err) { last = err; }
    if (Date.now() > deadline) throw new Error(what + ' not reached within ' + ms / 1000 + ' s' + (last ? ' (' + last.message + ')' : ''));
    await sleep(200);
  }
}

async function traffic(round) {
  const client = new Client({ name: 'monitoring-ci-' + round, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server + '/mcp'), { requestInit: { headers: auth } }));
  let calls = 0;
  const call = async (name, args) => { calls++; return client.callTool({ name, arguments: args }); };
  for (let i = 0; i < 3; i++)
    await call('create_task', { title: 'monitoring ' + round + '.' + i, created_by: 'ci', assigned_to: 'ci', priority: i });
  await call('signup_for_task', { agent_name: 'ci' });
  await call('list_tasks', {});
  const missing = await call('get_task', { id: 999999 });
  if (!missing.isError) throw new Error('get_task of a missing task did not fail');
  await client.close();
  return calls;
}

try {
  await until('Prometheus ready', async () => (await fetch(prom + '/-/ready')).ok);
  try {
    await until('up{job="tinytask"} == 1', async () => (await scalar('up{job="tinytask"}')) === 1);
    pass('target up', 'Prometheus scrapes ' + server + '/metrics with the bearer token: up{job="tinytask"} == 1');
  } catch (err) {
    const t = await fetch(prom + '/api/v1/targets').then((r) => r.json()).catch(() => undefined);
    const target = t?.data?.activeTargets?.find((x) => x.labels.job === 'tinytask');
    throw new Error('target not up: ' + (target ? target.health + ' ' + target.lastError : err.message));
  }

  const unauth = await fetch(server + '/metrics');
  if (unauth.status === 401) pass('metrics need the token', '/metrics without the token → 401, so up == 1 proves the token is sent');
  else fail('metrics need the token', '/metrics without the token → ' + unauth.status + ', expected 401');

  let total = 0;
  for (const round of [1, 2]) {
    total += await traffic(round);
    await until('sum(tinytask_tool_calls_total) == ' + total + ' in Prometheus',
      async () => (await scalar('sum(tinytask_tool_calls_total)')) === total);
  }
  pass('traffic scraped', total + ' MCP tool calls (2 rounds, one error each) visible in Prometheus');

  // 2. Lint the live exposition, now that the labelled series and histograms exist.
  const exposition = await (await fetch(server + '/metrics', { headers: auth })).text();
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  const lintOut = (lint.stdout + lint.stderr).trim();
  if (lint.status === 0 && lintOut === '') {
    const families = (exposition.match(/^# TYPE /gm) ?? []).length;
    pass('promtool check metrics', families + ' metric families, no lint');
  } else fail('promtool check metrics', 'exit ' + lint.status + ': ' + lintOut.replace(/\n/g, '; '));
  const types = new Map([...exposition.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((m) => [m[1], m[2]]));

  // 3. Every dashboard expression, with Grafana's interval variables replaced by a concrete range.
  const dashboard = JSON.parse(readFileSync(dashboardPath, 'utf8'));
  const panels = [];
  const walk = (ps) => { for (const p of ps ?? []) { panels.push(p); walk(p.panels); } };
  walk(dashboard.panels);
  const exprs = panels.flatMap((p) => (p.targets ?? []).filter((t) => t.expr).map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr })));
  if (exprs.length === 0) fail('dashboard expressions', 'no PromQL targets found in ' + dashboardPath);
  const results = new Map();
  for (const { panel, refId, expr } of exprs) {
    const name = 'promql "' + panel + '" ' + refId;
    const concrete = expr.replace(/\$\{?(__rate_interval|__interval|interval|__range)\}?/g, '1m');
    if (concrete.includes('$')) { fail(name, 'unknown template variable in ' + expr); continue; }
    try {
      const data = await query(concrete);
      results.set(expr, data.result);
      pass(name, data.resultType + ', ' + data.result.length + ' series: ' + concrete);
    } catch (err) {
      fail(name, err.message + ': ' + concrete);
    }
    // rate()/increase()/irate() of a gauge is wrong (a reset looks like a huge jump); Prometheus 2.50+ flags it.
    for (const m of concrete.matchAll(/\b(?:rate|irate|increase)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g)) {
      const metric = m[1];
      const family = metric.replace(/_(bucket|sum|count)$/, '');
      const type = types.get(metric) ?? types.get(family);
      const ok = type === 'counter' || (type === 'histogram' && metric !== family) || (type === 'summary' && metric !== family);
      if (!ok) fail('counter in rate() "' + panel + '" ' + refId, metric + ' is ' + (type ?? 'not exported') + ', rate()/increase() needs a counter');
    }
  }

  // Key panels: a series each, with a meaningful value.
  const find = (re) => [...results.entries()].find(([e]) => re.test(e))?.[1];
  const key = [
    ['tool-call rate', /^sum\(rate\(tinytask_tool_calls_total\[/, (v) => v > 0],
    ['tool-call p99', /^histogram_quantile\(0\.99, sum by \(le\) \(rate\(tinytask_tool_call_duration_seconds_bucket\[/, (v) => Number.isFinite(v) && v > 0],
    ['writer queue depth', /tinytask_writer_queue_depth/, (v) => v >= 0],
    ['tasks by status', /sum by \(status\) \(tinytask_tasks\)/, (v) => v >= 0],
    ['sessions', /tinytask_sessions_open/, (v) => v >= 0],
    ['memory', /tinytask_process_resident_memory_bytes/, (v) => v > 0],
  ];
  for (const [label, re, good] of key) {
    const result = find(re);
    if (!result) { fail('key panel ' + label, 'no evaluated dashboard expression matches ' + re); continue; }
    const values = result.map((s) => Number(s.value[1]));
    if (values.length === 0) fail('key panel ' + label, 'no series');
    else if (!values.some(good)) fail('key panel ' + label, 'values ' + values.join(', ') + ' are not meaningful');
    else pass('key panel ' + label, result.length + ' series, ' + result.map((s) => (Object.entries(s.metric).filter(([k]) => !['__name__', 'instance', 'job', 'service'].includes(k)).map(([, v]) => v).join('/') || 'value') + '=' + Number(s.value[1]).toPrecision(3)).join(', '));
  }
  const byStatus = find(/sum by \(status\) \(tinytask_tasks\)/) ?? [];
  const working = byStatus.find((s) => s.metric.status === 'working');
  if (working && Number(working.value[1]) === 2) pass('tasks by status values', 'working=2 after two claims');
  else fail('tasks by status values', 'expected working=2 after two claims, got ' + JSON.stringify(byStatus.map((s) => [s.metric.status, s.value[1]])));
} catch (err) {
  fail('monitoring run', err.message);
}
process.exit(0);
JS
node_rc=$?
tally <"$WORK/checks.out"
if [ -s "$WORK/node.err" ]; then echo "node stderr:"; tail -n 20 "$WORK/node.err"; fi
[ "$node_rc" -eq 0 ] || fail "monitoring run" "the check script exited with $node_rc (stderr above)"
