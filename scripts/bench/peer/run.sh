#!/usr/bin/env bash
# Side-by-side benchmark: orgs-api (the project, as shipped) against PostGraphile v5 with RLS, on
# one freshly seeded PostgreSQL database, in one run. See RESULTS.md.
#
#   ./run.sh
#
# Env (all optional): USERS (10000), ROUNDS (4), ROUND_SECONDS (10), CONNECTIONS ("8,32"),
# WORKLOADS ("W0,W1,W2/100"), WARMUP_SECONDS (1), PROFILE (1: V8 CPU profiles of both servers
# under W1 and W2/100 after the rounds; 0: skip), PROFILE_SECONDS (15), KEEP_DB (0; 1 leaves the
# database and roles for inspection), PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres).
#
# Steps: create database sbs_<random> and two roles; apply the project's prisma/migrations in order
# and seed with the project's scripts/bench/seed.ts (setup.ts, through the project's tsx); apply
# rls.sql; phase 1 (log_statement=all on this database only; project with
# SQL_STATEMENT_COUNTER=true): check every workload on both servers and count SQL statements;
# phase 2 (both restarted, no statement logging or counting): alternating autocannon rounds;
# phase 3: CPU profiles; PROJECT_NODE_FLAGS: node flags for the project's server (default: those
# of `npm start`); then stop the servers (by pid) and drop the database and roles.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
MAIN=${PROJECT_DIR:-$PWD}   # run from the project root, or set PROJECT_DIR
[ -f "$MAIN/prisma/schema.prisma" ] || { echo "run from the project root (or set PROJECT_DIR)"; exit 2; }
export PROJECT_DIR=$MAIN
if [ ! -w "$HERE" ]; then # shared/ may be read-only: run from a writable copy
  WORK=${BENCH_PEER_WORK:-${TMPDIR:-/tmp}/bench-peer}
  mkdir -p "$WORK" && cp "$HERE"/run.sh "$HERE"/*.ts "$HERE"/*.mjs "$HERE"/*.sql "$HERE"/*.json "$WORK"/
  exec bash "$WORK/run.sh" "$@"
fi
TSX="file://$MAIN/node_modules/tsx/dist/loader.mjs"
# The project's server runs as `npm start` runs it: its node flags come from package.json.
PROJECT_NODE_FLAGS=${PROJECT_NODE_FLAGS-$(cd "$MAIN" && node -p 'require("./package.json").scripts.start.replace(/^node /, "").replace(/\s*dist\/server\.js$/, "")')}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
USERS=${USERS:-10000}
PROFILE=${PROFILE:-1}
PROFILE_SECONDS=${PROFILE_SECONDS:-15}
PG_LOG=${PG_LOG:-/var/log/postgresql/postgresql-15-main.log}

# The project as `npm start` serves it: compiled JavaScript.
(cd "$MAIN" && node scripts/build/build.mjs --if-changed)
[ -d "$HERE/node_modules/postgraphile" ] || (cd "$HERE" && npm ci --no-audit --no-fund)

ID=$(node -e 'process.stdout.write(require("crypto").randomBytes(4).toString("hex"))')
DB=sbs_$ID
VIEWER=${DB}_viewer
AUTH=${DB}_auth
RUN_DIR=$HERE/runs/$(date -u +%Y%m%dT%H%M%SZ)-$DB
mkdir -p "$RUN_DIR"
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'; }
PROJECT_PORT=$(free_port)
PGL_PORT=$(free_port)
PROJECT_PID=""
PGL_PID=""
psql_admin() { psql -v ON_ERROR_STOP=1 -qAt -d postgres "$@"; }

log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$RUN_DIR/run.log"; }

stop_pid() { # stops a process this script started, by its pid
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  stop_pid "$PROJECT_PID"; PROJECT_PID=""
  stop_pid "$PGL_PID"; PGL_PID=""
  if [ "${KEEP_DB:-0}" = 1 ]; then
    log "kept database $DB and roles $VIEWER, $AUTH"
  else
    psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
    psql_admin -c "DROP ROLE IF EXISTS $AUTH" -c "DROP ROLE IF EXISTS $VIEWER" || true
    log "dropped database $DB and roles $VIEWER, $AUTH"
  fi
  exit $status
}
trap cleanup EXIT INT TERM

start_project() { # $1: label, $2: SQL_STATEMENT_COUNTER, rest: extra node flags
  local label=$1 counter=$2
  shift 2
  (cd "$MAIN" && exec env NODE_ENV=production DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/$DB" \
    PORT="$PROJECT_PORT" HOST=127.0.0.1 LOG_LEVEL=warn \
    RATE_LIMIT_PER_MINUTE=100000000 RATE_LIMIT_SIGNIN_PER_MINUTE=100000000 \
    SQL_STATEMENT_COUNTER="$counter" node $PROJECT_NODE_FLAGS "$@" dist/server.js) >"$RUN_DIR/project-$label.log" 2>&1 &
  PROJECT_PID=$!
}

start_pgl() { # $1: label, rest: extra node flags
  local label=$1
  shift
  (cd "$HERE" && exec env NODE_ENV=production DATABASE_URL="postgresql://$AUTH@$PGHOST:$PGPORT/$DB" \
    VIEWER_ROLE="$VIEWER" PORT="$PGL_PORT" HOST=127.0.0.1 node "$@" pgl-server.mjs) >"$RUN_DIR/postgraphile-$label.log" 2>&1 &
  PGL_PID=$!
}

wait_ready() { # $1: url, $2: pid, $3: name
  for _ in $(seq 1 600); do
    kill -0 "$2" 2>/dev/null || { log "$3 exited at start"; return 1; }
    if curl -sf -o /dev/null -X POST -H 'content-type: application/json' --data '{"query":"{ __typename }"}' "$1"; then return 0; fi
    sleep 0.2
  done
  log "$3 not ready"
  return 1
}

start_both() { # $1: label, $2: SQL_STATEMENT_COUNTER
  start_project "$1" "$2"
  start_pgl "$1"
  wait_ready "http://127.0.0.1:$PROJECT_PORT/graphql" "$PROJECT_PID" project
  wait_ready "http://127.0.0.1:$PGL_PORT/graphql" "$PGL_PID" PostGraphile
  log "servers up: project pid $PROJECT_PID :$PROJECT_PORT, PostGraphile pid $PGL_PID :$PGL_PORT"
}

stop_both() {
  stop_pid "$PROJECT_PID"; PROJECT_PID=""
  stop_pid "$PGL_PID"; PGL_PID=""
}

bench() {
  env RUN_DIR="$RUN_DIR" DB_NAME="$DB" AUTH_ROLE="$AUTH" PROJECT_DB_USER="$PGUSER" PG_LOG="$PG_LOG" \
    PROJECT_URL="http://127.0.0.1:$PROJECT_PORT/graphql" PGL_URL="http://127.0.0.1:$PGL_PORT/graphql" \
    PROJECT_PID="$PROJECT_PID" PGL_PID="$PGL_PID" node --import "$TSX" "$HERE/bench.ts" "$@"
}

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(nproc) CPUs, $(free -g | awk '/Mem:/{print $2}') GiB; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "node: $(node --version); $(psql_admin -c 'select version()')"
  echo "orgs-api: $(git -C "$MAIN" log -1 --format='%h %s' 2>/dev/null)"
  echo "postgraphile: $(node -p 'require("'"$HERE"'/node_modules/postgraphile/package.json").version'), grafast $(node -p 'require("'"$HERE"'/node_modules/grafast/package.json").version'), autocannon $(node -p 'require("'"$HERE"'/node_modules/autocannon/package.json").version')"
  echo "database: $DB; users: $USERS; rounds: ${ROUNDS:-4} x ${ROUND_SECONDS:-10} s; connections: ${CONNECTIONS:-8,32}"
} | tee "$RUN_DIR/env.txt"

log "creating $DB"
psql_admin -c "CREATE DATABASE $DB"
node --import "$TSX" "$HERE/setup.ts" "postgresql://$PGUSER@$PGHOST:$PGPORT/$DB" "$RUN_DIR" "$USERS" "$VIEWER" "$AUTH" | tee -a "$RUN_DIR/run.log"

log "phase 1: checks and SQL statement counts"
if [ -r "$PG_LOG" ]; then
  psql_admin -c "ALTER DATABASE $DB SET log_statement = 'all'"
else
  log "cannot read $PG_LOG: statement counts from the log will read 0 (the project's header still counts)"
fi
start_both check true
bench check | tee -a "$RUN_DIR/run.log"
stop_both
psql_admin -c "ALTER DATABASE $DB RESET log_statement"

log "phase 2: alternating rounds"
start_both rounds false
bench rounds | tee -a "$RUN_DIR/run.log"
stop_both

if [ "$PROFILE" = 1 ]; then
  log "phase 3: CPU profiles (${PROFILE_SECONDS} s of W1 and of W2/100 at 8 connections, each server alone)"
  for workload in W1 W2/100; do
    tag=${workload/\//_}
    declare -A T_START=() W_FROM=() W_TO=()
    T_START[project]=$(date +%s%3N)
    start_project "profile-$tag" false --cpu-prof --cpu-prof-dir="$RUN_DIR/cpuprofile/project-$tag"
    T_START[postgraphile]=$(date +%s%3N)
    start_pgl "profile-$tag" --cpu-prof --cpu-prof-dir="$RUN_DIR/cpuprofile/postgraphile-$tag"
    wait_ready "http://127.0.0.1:$PROJECT_PORT/graphql" "$PROJECT_PID" project
    wait_ready "http://127.0.0.1:$PGL_PORT/graphql" "$PGL_PID" PostGraphile
    for side in project postgraphile; do
      from=$(date +%s%3N)
      LOAD_SIDE=$side LOAD_WORKLOAD=$workload LOAD_SECONDS=$PROFILE_SECONDS bench load | tee -a "$RUN_DIR/run.log"
      to=$(date +%s%3N)
      # the load window, relative to the process start: 1.5 s for the load process to start, 0.3 s margin at the end
      W_FROM[$side]=$((from - T_START[$side] + 1500))
      W_TO[$side]=$((to - T_START[$side] - 300))
    done
    stop_both
    for side in project postgraphile; do
      f=$(ls "$RUN_DIR/cpuprofile/$side-$tag"/*.cpuprofile 2>/dev/null | head -1 || true)
      if [ -n "$f" ]; then
        node "$HERE/profile-summary.mjs" "$f" 25 "${W_FROM[$side]}" "${W_TO[$side]}" >"$RUN_DIR/profile-$side-$tag.txt"
        log "profile $side $workload: $RUN_DIR/profile-$side-$tag.txt"
      fi
    done
  done
fi

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RUN_DIR/env.txt"
log "done: $RUN_DIR (summary.md, rounds.json, check.json, profile-*.txt)"
