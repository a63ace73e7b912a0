#!/usr/bin/env bash
# Benchmarks Tessera on SQLite and PostgreSQL (release build) and prints the figures.
#   bench/run.sh [sqlite|postgres|all|web|jobs|storage|snapshot|formats|webhooks|ml]   (default all; web = page loads
#       in the browser, jobs = the job queue alone, storage = sync from the S3 emulator and export
#       lag, BENCH_STORAGE_OBJECTS objects, default 100000; snapshot = a JSON export snapshot,
#       BENCH_SNAPSHOT_TASKS tasks, default 1000000; formats = COCO and YOLO exports of
#       BENCH_FORMAT_TASKS image tasks with boxes, default 100000; BENCH_FORMATS=COCO,YOLO;
#       webhooks = delivery throughput and delay while 20 annotators submit; ml = Retrieve
#       Predictions of BENCH_ML_TASKS tasks, default 100000, from a fast local model server)
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
which=${1:-all}
if [[ $which == web ]]; then
  # The web app first: release builds embed web/dist as it is when they compile.
  npm --prefix web ci --no-audit --no-fund --loglevel=error
  npm --prefix web run build
  touch crates/server/src/web_assets.rs
  cargo build --release -p tessera-server
  node bench/web.mjs target/release/tessera
  db="tessera_bench_web_$$"
  psql "$PG_URL" -qc "CREATE DATABASE $db"
  trap 'psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
  node bench/web.mjs target/release/tessera "${PG_URL%/*}/$db"
  exit
fi
cargo build --release -p tessera-server -p tessera-bench
# Runs one benchmark on SQLite, then on a fresh PostgreSQL database dropped afterwards.
on_both_databases() {
  target/release/tessera-bench "$1" target/release/tessera
  db="tessera_bench_$1_$$"
  psql "$PG_URL" -qc "CREATE DATABASE $db"
  trap 'psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
  target/release/tessera-bench "$1" target/release/tessera postgres "${PG_URL%/*}/$db"
}
if [[ $which == formats || $which == snapshot || $which == webhooks || $which == ml ]]; then
  on_both_databases "$which"
  exit
fi
if [[ $which == storage ]]; then
  source scripts/services.sh
  start_services
  trap stop_services EXIT
  target/release/tessera-bench storage target/release/tessera
  db="tessera_bench_storage_$$"
  psql "$PG_URL" -qc "CREATE DATABASE $db"
  trap 'stop_services; psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
  target/release/tessera-bench storage target/release/tessera postgres "${PG_URL%/*}/$db"
  exit
fi
if [[ $which == all || $which == jobs ]]; then
  target/release/tessera-bench jobs sqlite
  db="tessera_bench_jobs_$$"
  psql "$PG_URL" -qc "CREATE DATABASE $db"
  target/release/tessera-bench jobs postgres "${PG_URL%/*}/$db"
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  [[ $which == jobs ]] && exit
fi
if [[ $which == all || $which == sqlite ]]; then
  target/release/tessera-bench target/release/tessera sqlite
fi
if [[ $which == all || $which == postgres ]]; then
  db="tessera_bench_$$"
  psql "$PG_URL" -qc "CREATE DATABASE $db"
  trap 'psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
  target/release/tessera-bench target/release/tessera postgres "${PG_URL%/*}/$db"
fi
