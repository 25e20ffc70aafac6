# Part of .ci/container-checks.sh (sourced after the single-node compose checks, with its helpers pass, fail,
# wait_health, free_port, elapsed and the variables DOCKER, IMAGE, WORK, SCALE_PROJECT, SCALE_DIR): the compose
# `scale` profile.
echo "=== scale profile"
# The `scale` profile as docs/deployment.md starts it (`--profile scale up -d lb`): PostgreSQL, three fronts and
# HAProxy, from stand-ins of the official postgres and haproxy images (.ci/standin-services.sh), in a throw-away
# project directory. The MCP and board checks talk to the balancer's published port only.
scale() { (cd "$SCALE_DIR" && docker-compose -p "$SCALE_PROJECT" --profile scale "$@"); }
scale_id() { "$DOCKER" ps -aq --filter "label=com.docker.compose.project=$SCALE_PROJECT" --filter "label=com.docker.compose.service=$1"; }
# HAProxy's statistics as CSV: "<proxy>/<server> <status> <total sessions>" per line.
lb_stats() {
  node -e '
    fetch(process.argv[1]).then((r) => r.text()).then((csv) => {
      const [head, ...rows] = csv.replace(/^# /, "").trim().split("\n").map((l) => l.split(","));
      const col = (n) => head.indexOf(n);
      for (const r of rows) console.log(`${r[col("pxname")]}/${r[col("svname")]} ${r[col("status")]} ${r[col("stot")]}`);
    }).catch((e) => { console.error(String(e)); process.exit(1); });' "http://127.0.0.1:$STATS_PORT/stats;csv"
}
wait_lb_status() { # server status seconds → 0 once HAProxy reports fronts/<server> with that status
  local deadline=$(($(date +%s) + $3))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    lb_stats 2>/dev/null | grep -q "^fronts/$1 $2" && return 0
    sleep 0.5
  done
  return 1
}
wait_healthy() { # container seconds → 0 once healthy; unlike wait_health, rides out "unhealthy" spells (a front
  # restarted by its policy after a slow start on a busy machine is healthy a little later)
  local deadline=$(($(date +%s) + $2))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" = healthy ] && return 0
    sleep 1
  done
  return 1
}
scale_client() { node .ci/scale-client.mjs "$@" 2>"$WORK/scale-client.err"; }
scale_err() { tail -n 3 "$WORK/scale-client.err" | tr '\n' ' '; }

t=$(date +%s)
if ! bash .ci/standin-services.sh >"$WORK/standin-services.log" 2>&1; then
  cat "$WORK/standin-services.log"
  fail "scale: stand-in images" "building the postgres and haproxy stand-ins failed"
else
  echo "$(tr '\n' ' ' <"$WORK/standin-services.log")in $(elapsed "$t") s"
  SCALE_DIR="$WORK/scale"
  mkdir -p "$SCALE_DIR"
  cp docker-compose.yml "$SCALE_DIR/"
  cp -r deploy "$SCALE_DIR/"
  LB_PORT=$(free_port)
  STATS_PORT=$(free_port)
  # A start-up budget for a CI machine shared with other work (three fronts and PostgreSQL start at once).
  export TINYTASK_IMAGE="$IMAGE" SCALE_PUBLISH_ADDRESS=127.0.0.1 SCALE_PUBLISH_PORT="$LB_PORT" HAPROXY_STATS_PORT="$STATS_PORT" \
    TINYTASK_STARTUP_TIMEOUT=120000
  LB="http://127.0.0.1:$LB_PORT"
  FRONTS="tinytask-front-1 tinytask-front-2 tinytask-front-3"
  t=$(date +%s)
  if ! scale up -d --no-build lb >"$WORK/scale-up.log" 2>&1; then
    cat "$WORK/scale-up.log"
    fail "scale: all fronts healthy through the LB" "docker-compose --profile scale up -d lb failed"
  else
    services=$("$DOCKER" ps -a --filter "label=com.docker.compose.project=$SCALE_PROJECT" --format '{{.Label "com.docker.compose.service"}}' | sort | tr '\n' ' ')
    unhealthy=
    for s in postgres $FRONTS lb; do wait_healthy "$(scale_id "$s")" 240 || unhealthy="$unhealthy $s"; done
    up=0
    for n in 1 2 3; do wait_lb_status "front$n" UP 60 && up=$((up + 1)); done
    if [ "$services" = "lb postgres tinytask-front-1 tinytask-front-2 tinytask-front-3 " ] && [ -z "$unhealthy" ] && [ "$up" = 3 ] &&
       ready=$(node -e 'fetch(process.argv[1]).then(async (r) => { console.log(r.status, await r.text()); process.exit(r.ok ? 0 : 1) })' "$LB/ready"); then
      pass "scale: all fronts healthy through the LB" "up -d lb started: $services(not the single-node service); every container healthy after $(elapsed "$t") s; HAProxy's /ready checks: 3 of 3 fronts UP; GET /ready through the LB: ${ready:0:60}"
    else
      for s in $unhealthy; do echo "--- $s"; "$DOCKER" logs --tail 15 "$(scale_id "$s")" 2>&1; done
      fail "scale: all fronts healthy through the LB" "services: $services; not healthy:${unhealthy:- none}; fronts UP in HAProxy: $up of 3; $(lb_stats 2>&1 | tr '\n' ' ')"
    fi

    hc=""
    for s in postgres tinytask-front-1 lb; do
      hc="$hc$s $("$DOCKER" inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.ReadonlyRootfs}}' "$(scale_id "$s")"); "
    done
    if [ "$hc" = "postgres 1073741824 2000000000 unless-stopped false; tinytask-front-1 536870912 1000000000 unless-stopped true; lb 268435456 1000000000 unless-stopped true; " ]; then
      pass "scale: limits and restart policies" "$hc"
    else
      fail "scale: limits and restart policies" "$hc"
    fi

    if out=$(scale_client affinity "$LB/mcp" 200); then
      pass "scale: a 2025-11-25 session keeps working through the LB" "$out (three fronts round-robin; a request on another front would get 404)"
    else
      fail "scale: a 2025-11-25 session keeps working through the LB" "$(scale_err)"
    fi

    if out=$(scale_client race "$LB/mcp" 60 150); then
      pass "scale: claim race through the LB, no double claim" "$out"
    else
      fail "scale: claim race through the LB, no double claim" "$(scale_err)"
    fi

    if out=$(scale_client board "$LB" 6); then
      pass "scale: board WebSocket through the LB" "$out"
    else
      fail "scale: board WebSocket through the LB" "$(scale_err)"
    fi

    if out=$(scale_client wait "$LB/mcp"); then
      pass "scale: wait_for_task woken by another session through the LB" "$out"
    else
      fail "scale: wait_for_task woken by another session through the LB" "$(scale_err)"
    fi

    stats=$(lb_stats 2>&1)
    spread=$(echo "$stats" | awk '$1 ~ /^fronts\/front[123]$/ && $3 > 0 { n++ } END { print n + 0 }')
    if [ "$spread" = 3 ]; then
      pass "scale: sessions spread over the fronts" "$(echo "$stats" | grep '^fronts/front' | tr '\n' ' ')(status, total connections)"
    else
      fail "scale: sessions spread over the fronts" "$(echo "$stats" | tr '\n' ' ')"
    fi

    # Rolling restart of one front: HAProxy takes it out (its /ready answers 503 once shutdown begins, then
    # nothing), new sessions keep working on the others, and it comes back in once ready again.
    t=$(date +%s)
    scale stop tinytask-front-2 >/dev/null 2>&1
    if wait_lb_status front2 DOWN 30 && out=$(scale_client affinity "$LB/mcp" 30) && scale start tinytask-front-2 >/dev/null 2>&1 &&
       wait_healthy "$(scale_id tinytask-front-2)" 180 && wait_lb_status front2 UP 60 && out2=$(scale_client affinity "$LB/mcp" 30); then
      pass "scale: rolling restart of a front" "stop front 2 → DOWN in HAProxy, sessions keep working on the other two; start → healthy and UP again; $(elapsed "$t") s"
    else
      fail "scale: rolling restart of a front" "$(lb_stats 2>&1 | grep '^fronts/' | tr '\n' ' ') $(scale_err)"
    fi

    # pg_dump backup and restore, as docs/deployment.md describes them: dump, restore into a new database, compare.
    if scale exec -T postgres pg_dump -U tinytask -d tinytask -Fc >"$WORK/tinytask.dump" 2>"$WORK/pgdump.err" && [ -s "$WORK/tinytask.dump" ] &&
       scale exec -T postgres createdb -U tinytask tinytask_restored 2>>"$WORK/pgdump.err" &&
       scale exec -T postgres pg_restore -U tinytask -d tinytask_restored --no-owner --exit-on-error <"$WORK/tinytask.dump" 2>>"$WORK/pgdump.err"; then
      q='SELECT count(*) || $$ $$ || coalesce(sum(id), 0) || $$ $$ || md5(coalesce(string_agg(id || $$:$$ || status || $$:$$ || coalesce(assigned_to, $$$$), $$,$$ ORDER BY id), $$$$)) FROM tasks'
      a=$(scale exec -T postgres psql -U tinytask -d tinytask -Atc "$q" 2>>"$WORK/pgdump.err")
      b=$(scale exec -T postgres psql -U tinytask -d tinytask_restored -Atc "$q" 2>>"$WORK/pgdump.err")
      if [ -n "$a" ] && [ "$a" = "$b" ] && [ "${a%% *}" -gt 0 ] 2>/dev/null; then
        pass "scale: pg_dump backup and restore" "pg_dump -Fc ($(wc -c <"$WORK/tinytask.dump") bytes) → pg_restore into a new database: tasks (count, sum of ids, md5 of id:status:owner) equal: $a"
      else
        fail "scale: pg_dump backup and restore" "live '$a' vs restored '$b'"
      fi
    else
      fail "scale: pg_dump backup and restore" "$(tail -n 3 "$WORK/pgdump.err" | tr '\n' ' ')"
    fi
  fi

  scale down -v --remove-orphans >"$WORK/scale-down.log" 2>&1
  left=$("$DOCKER" ps -aq --filter "label=com.docker.compose.project=$SCALE_PROJECT" | wc -l)
  vols=$("$DOCKER" volume ls -q --filter "label=com.docker.compose.project=$SCALE_PROJECT" | wc -l)
  if [ "$left" = 0 ] && [ "$vols" = 0 ]; then
    pass "scale: tear-down" "down -v removed every container and the postgres-data volume"
  else
    fail "scale: tear-down" "$left containers and $vols volumes left: $(tail -n 3 "$WORK/scale-down.log" | tr '\n' ' ')"
  fi
  SCALE_DIR=
fi

