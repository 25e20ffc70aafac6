#!/usr/bin/env bash
# Online backup of a tinytask-mcp database, safe while agents write: takes a consistent copy with
# `tinytask-mcp backup <file>` (one read snapshot, see src/db/backup.ts), checks it with PRAGMA integrity_check,
# writes it gzipped as <dir>/tinytask-YYYYmmdd-HHMMSS.db.gz and deletes backups older than N days.
#
#   scripts/backup.sh --container tinytask-mcp-tinytask-1      # the server runs in Docker (docker exec)
#   scripts/backup.sh --db ./data/tinytask.db                  # the server runs on this host (node dist/cli.js)
#
# Options (environment variable in brackets):
#   -c, --container NAME   container running the server                  [TINYTASK_BACKUP_CONTAINER]
#   -s, --service NAME     compose service running the server (docker compose ps -q NAME)
#       --db PATH          database file, host mode                      [TINYTASK_DB_PATH, ./data/tinytask.db]
#   -o, --dir DIR          where the .db.gz files go                     [TINYTASK_BACKUP_DIR, ./backups]
#   -k, --keep-days N      delete backups older than N days, 0 = never   [TINYTASK_BACKUP_KEEP_DAYS, 7]
#       --no-verify        skip the integrity check
#
# Cron, daily at 02:00:  0 2 * * *  /opt/tinytask/scripts/backup.sh -c tinytask -o /var/backups/tinytask
# Prints the path of the new backup on stdout; progress and errors go to stderr. Exit code 0 only on success.
set -euo pipefail

CONTAINER=${TINYTASK_BACKUP_CONTAINER:-}
SERVICE=
DB=${TINYTASK_DB_PATH:-./data/tinytask.db}
DIR=${TINYTASK_BACKUP_DIR:-./backups}
KEEP_DAYS=${TINYTASK_BACKUP_KEEP_DAYS:-7}
VERIFY=1
DOCKER=${DOCKER:-docker}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
log() { echo "backup: $*" >&2; }
die() { echo "backup: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    -c|--container) CONTAINER=${2:?}; shift 2 ;;
    -s|--service) SERVICE=${2:?}; shift 2 ;;
    --db) DB=${2:?}; shift 2 ;;
    -o|--dir) DIR=${2:?}; shift 2 ;;
    -k|--keep-days) KEEP_DAYS=${2:?}; shift 2 ;;
    --no-verify) VERIFY=0; shift ;;
    -h|--help) usage ;;
    *) echo "backup: unknown argument $1" >&2; usage ;;
  esac
done
[[ "$KEEP_DAYS" =~ ^[0-9]+$ ]] || die "--keep-days must be a whole number of days (got $KEEP_DAYS)"

if [ -n "$SERVICE" ]; then
  if "$DOCKER" compose version >/dev/null 2>&1; then COMPOSE=("$DOCKER" compose); else COMPOSE=(docker-compose); fi
  CONTAINER=$("${COMPOSE[@]}" ps -q "$SERVICE")
  [ -n "$CONTAINER" ] || die "compose service $SERVICE is not running"
fi

# Integrity check of a database file; $1 is the node binary invocation prefix, $2 the better-sqlite3 path.
CHECK_JS='const D = require(process.argv[1]); const db = new D(process.argv[2], { readonly: true, fileMustExist: true });
const r = db.pragma("integrity_check", { simple: true }); const n = db.prepare("SELECT count(*) AS n FROM tasks").get().n;
db.close(); if (r !== "ok") { console.error(r); process.exit(1); } console.error("integrity_check ok, " + n + " tasks");'

STAMP=$(date -u +%Y%m%d-%H%M%S)
NAME="tinytask-$STAMP.db"
mkdir -p "$DIR"
OUT="$DIR/$NAME.gz"
[ -e "$OUT" ] && die "$OUT already exists"
PARTIAL="$OUT.partial"
trap 'rm -f "$PARTIAL"' EXIT

if [ -n "$CONTAINER" ]; then
  # Inside the container the root file system is read-only: the copy goes to the data volume, is streamed out
  # and removed. The server's own settings (TINYTASK_DB_PATH) tell the CLI which database to copy.
  DATA_DIR=$("$DOCKER" exec "$CONTAINER" node -e 'console.log(require("path").dirname(process.env.TINYTASK_DB_PATH || "/data/tinytask.db"))')
  TMP="$DATA_DIR/.backup-$STAMP.db"
  cleanup_container() { "$DOCKER" exec "$CONTAINER" rm -f "$TMP" >/dev/null 2>&1 || true; rm -f "$PARTIAL"; }
  trap cleanup_container EXIT
  log "copying the database of container $CONTAINER"
  "$DOCKER" exec "$CONTAINER" node /app/dist/cli.js backup "$TMP" >&2
  if [ "$VERIFY" = 1 ]; then
    "$DOCKER" exec "$CONTAINER" node -e "$CHECK_JS" /app/node_modules/better-sqlite3 "$TMP" || die "the copy failed its integrity check"
  fi
  "$DOCKER" exec "$CONTAINER" cat "$TMP" | gzip -6 >"$PARTIAL"
else
  [ -f "$DB" ] || die "no database at $DB (use --db PATH, or --container NAME when the server runs in Docker)"
  if [ -n "${TINYTASK_CLI:-}" ]; then CLI=("$TINYTASK_CLI");
  elif [ -f "$HERE/../dist/cli.js" ]; then CLI=(node "$HERE/../dist/cli.js");
  elif command -v tinytask-mcp >/dev/null; then CLI=(tinytask-mcp);
  else die "cannot find the tinytask-mcp CLI: run npm run build, or set TINYTASK_CLI"; fi
  TMPDIR_B=$(mktemp -d "$DIR/.backup-$STAMP.XXXXXX")
  trap 'rm -rf "$TMPDIR_B"; rm -f "$PARTIAL"' EXIT
  log "copying $DB"
  TINYTASK_DB_PATH="$DB" "${CLI[@]}" backup "$TMPDIR_B/$NAME" >&2
  if [ "$VERIFY" = 1 ]; then
    SQLITE_MODULE=$(cd "$HERE/.." && node -p 'require.resolve("better-sqlite3")' 2>/dev/null) ||
      die "better-sqlite3 is not installed next to the CLI; use --no-verify to skip the integrity check"
    node -e "$CHECK_JS" "$SQLITE_MODULE" "$TMPDIR_B/$NAME" || die "the copy failed its integrity check"
  fi
  gzip -6 -c "$TMPDIR_B/$NAME" >"$PARTIAL"
fi

gzip -t "$PARTIAL" || die "the compressed file is corrupt"
mv "$PARTIAL" "$OUT"
log "wrote $OUT ($(wc -c <"$OUT") bytes)"

if [ "$KEEP_DAYS" -gt 0 ]; then
  find "$DIR" -maxdepth 1 -type f -name 'tinytask-*.db.gz' -mmin +$((KEEP_DAYS * 1440)) -print -delete |
    sed 's/^/backup: deleted old backup /' >&2
fi
echo "$OUT"
