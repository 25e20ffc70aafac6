#!/usr/bin/env bash
# Restores a tinytask-mcp database from a backup written by scripts/backup.sh (or `tinytask-mcp backup`):
#   1. checks the backup (gzip and PRAGMA integrity_check) before touching anything;
#   2. stops the server (container mode);
#   3. moves the current database and its -wal/-shm files aside into <data>/pre-restore-<time>/ (kept, not
#      deleted: a stale -wal next to a restored database would be replayed into it, and this is your way back);
#   4. puts the backup in place, owned by the server's user;
#   5. starts the server and waits until it reports healthy (container mode).
#
#   scripts/restore.sh --container tinytask-mcp-tinytask-1 backups/tinytask-20260101-020000.db.gz
#   scripts/restore.sh --data-dir ./data backups/tinytask-20260101-020000.db.gz   # host mode, server stopped
#
# Options:
#   -c, --container NAME  container running the server (its /data mount is found with docker inspect)
#   -s, --service NAME    compose service running the server
#   -d, --data-dir DIR    host mode: the data directory; stop the server first, start it afterwards
#       --db-name NAME    database file name inside the data directory (default tinytask.db)
#       --owner UID:GID   owner of the restored file (default: the container's user, or the data dir's owner)
#   -y, --yes             do not ask for confirmation (required without a terminal)
set -euo pipefail

CONTAINER=
SERVICE=
DATA_DIR=
DB_NAME=tinytask.db
OWNER=
YES=0
BACKUP=
DOCKER=${DOCKER:-docker}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
log() { echo "restore: $*" >&2; }
die() { echo "restore: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    -c|--container) CONTAINER=${2:?}; shift 2 ;;
    -s|--service) SERVICE=${2:?}; shift 2 ;;
    -d|--data-dir) DATA_DIR=${2:?}; shift 2 ;;
    --db-name) DB_NAME=${2:?}; shift 2 ;;
    --owner) OWNER=${2:?}; shift 2 ;;
    -y|--yes) YES=1; shift ;;
    -h|--help) usage ;;
    -*) echo "restore: unknown option $1" >&2; usage ;;
    *) [ -z "$BACKUP" ] || usage; BACKUP=$1; shift ;;
  esac
done
[ -n "$BACKUP" ] || usage
[ -f "$BACKUP" ] || die "no backup file at $BACKUP"

if [ -n "$SERVICE" ]; then
  if "$DOCKER" compose version >/dev/null 2>&1; then COMPOSE=("$DOCKER" compose); else COMPOSE=(docker-compose); fi
  CONTAINER=$("${COMPOSE[@]}" ps -q "$SERVICE")
  [ -n "$CONTAINER" ] || die "compose service $SERVICE has no container"
fi
if [ -n "$CONTAINER" ]; then
  DATA_DIR=$("$DOCKER" inspect -f '{{range .Mounts}}{{if eq .Destination "/data"}}{{.Source}}{{end}}{{end}}' "$CONTAINER")
  [ -n "$DATA_DIR" ] || die "container $CONTAINER has no /data mount"
  IMAGE=$("$DOCKER" inspect -f '{{.Image}}' "$CONTAINER")
  if [ -z "$OWNER" ]; then
    OWNER=$("$DOCKER" inspect -f '{{.Config.User}}' "$CONTAINER")
    [ -n "$OWNER" ] || OWNER=$("$DOCKER" image inspect -f '{{.Config.User}}' "$IMAGE")
  fi
  DB_NAME=$("$DOCKER" inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$CONTAINER" |
    sed -n 's|^TINYTASK_DB_PATH=/data/||p' | head -n 1)
  DB_NAME=${DB_NAME:-tinytask.db}
fi
[ -n "$DATA_DIR" ] || die "give --container NAME, --service NAME or --data-dir DIR"
[ -d "$DATA_DIR" ] || die "no data directory at $DATA_DIR"
[ -n "$OWNER" ] || OWNER=$(stat -c '%u:%g' "$DATA_DIR")
case "$OWNER" in *:*) ;; *) OWNER="$OWNER:$OWNER" ;; esac
DB="$DATA_DIR/$DB_NAME"

STAMP=$(date -u +%Y%m%d-%H%M%S)
STAGED="$DATA_DIR/.restore-$STAMP.db"
trap 'rm -f "$STAGED"' EXIT

# 1. Unpack next to the database (same file system: the final rename is atomic) and check it.
log "checking $BACKUP"
case "$BACKUP" in
  *.gz) gzip -t "$BACKUP" || die "$BACKUP is not a valid gzip file"; gzip -dc "$BACKUP" >"$STAGED" ;;
  *) cp "$BACKUP" "$STAGED" ;;
esac
CHECK_JS='const D = require(process.argv[1]); const db = new D(process.argv[2], { readonly: true, fileMustExist: true });
const r = db.pragma("integrity_check", { simple: true }); const v = db.pragma("user_version", { simple: true });
const n = db.prepare("SELECT count(*) AS n FROM tasks").get().n; db.close();
if (r !== "ok") { console.error(r); process.exit(1); } console.error("integrity_check ok, schema version " + v + ", " + n + " tasks");'
if [ -n "$CONTAINER" ]; then
  # Checked with the server's own image and libraries, without network, as the server's user.
  chmod 0644 "$STAGED"
  "$DOCKER" run --rm --network none --read-only --cap-drop ALL --user "$OWNER" -v "$DATA_DIR:/data" \
    --entrypoint node "$IMAGE" -e "$CHECK_JS" /app/node_modules/better-sqlite3 "/data/$(basename "$STAGED")" ||
    die "the backup failed its integrity check; nothing was changed"
else
  SQLITE_MODULE=$(cd "$HERE/.." && node -p 'require.resolve("better-sqlite3")' 2>/dev/null) ||
    die "better-sqlite3 is not installed next to this script (npm ci); cannot check the backup"
  node -e "$CHECK_JS" "$SQLITE_MODULE" "$STAGED" || die "the backup failed its integrity check; nothing was changed"
fi

if [ "$YES" != 1 ]; then
  [ -t 0 ] || die "refusing to replace $DB without a terminal; pass --yes"
  read -r -p "Replace $DB with $BACKUP? [y/N] " answer
  [ "$answer" = y ] || [ "$answer" = Y ] || die "cancelled; nothing was changed"
fi

# 2. Stop the server: it must not hold the database open while the files change.
if [ -n "$CONTAINER" ]; then
  log "stopping $CONTAINER"
  "$DOCKER" stop "$CONTAINER" >/dev/null
elif command -v fuser >/dev/null && fuser "$DB" >/dev/null 2>&1; then
  die "$DB is open by a running process; stop the server first"
fi

# 3. Move the current database and its WAL/shared-memory files aside.
ASIDE="$DATA_DIR/pre-restore-$STAMP"
moved=0
for f in "$DB" "$DB-wal" "$DB-shm" "$DB-journal"; do
  if [ -e "$f" ]; then mkdir -p "$ASIDE"; mv "$f" "$ASIDE/"; moved=1; fi
done
[ "$moved" = 1 ] && log "the previous database is in $ASIDE"

# 4. Put the backup in place.
chown "$OWNER" "$STAGED"
chmod 0640 "$STAGED"
mv "$STAGED" "$DB"
log "restored $DB"

# 5. Start and verify.
if [ -n "$CONTAINER" ]; then
  log "starting $CONTAINER"
  "$DOCKER" start "$CONTAINER" >/dev/null
  # The first health probe runs one interval (30 s in the image) after the start.
  for _ in $(seq 1 120); do
    status=$("$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$CONTAINER")
    case "$status" in
      healthy) log "$CONTAINER is healthy"; exit 0 ;;
      unhealthy|exited|dead) die "$CONTAINER is $status after the restore; see docker logs $CONTAINER (the previous database is in $ASIDE)" ;;
    esac
    sleep 1
  done
  die "$CONTAINER did not become healthy within 120 s; see docker logs $CONTAINER"
else
  log "start the server now and check /health (host mode does not start it)"
fi
