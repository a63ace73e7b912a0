#!/usr/bin/env bash
# Runs every test: formatting, lints, Rust unit and API tests on SQLite and on PostgreSQL (with
# the cloud services storages talk to, from scripts/services.sh), the official label-studio-sdk
# end-to-end tests against a running Tessera on both databases, then the web app's unit tests
# (Vitest) and browser tests (playwright-core driving Debian's chromium).
#
#   scripts/test.sh            # everything
#   TEST_PG_URL=... scripts/test.sh   # another PostgreSQL (default postgres://postgres@127.0.0.1:5432/postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432; then return; fi
  echo "starting PostgreSQL..."
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && return; sleep 1; done
  echo "PostgreSQL did not start" >&2; exit 1
}

if command -v cargo-nextest >/dev/null; then
  run_tests() { cargo nextest run --workspace --no-fail-fast "$@"; }
else
  run_tests() { cargo test --workspace --no-fail-fast "$@"; }
fi

echo "== formatting (cargo fmt --check) and lints (clippy, warnings are errors)"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo build --bins
echo "== cloud services for the storage tests"
source scripts/services.sh
start_services
trap stop_services EXIT
echo "== Rust tests on SQLite"
run_tests

ensure_postgres
echo "== API and job queue tests on PostgreSQL"
# Sweep schemas and databases left by an interrupted earlier run.
psql "$PG_URL" -qtAc "SELECT 'DROP SCHEMA ' || schema_name || ' CASCADE;' FROM information_schema.schemata WHERE schema_name LIKE 'test\_%'" | psql "$PG_URL" -q >/dev/null
psql "$PG_URL" -qtAc "SELECT 'DROP DATABASE ' || datname || ' WITH (FORCE);' FROM pg_database WHERE datname LIKE 'tessera\_sdk\_%' OR datname LIKE 'tessera\_e2e\_%'" | psql "$PG_URL" -q >/dev/null
TEST_DATABASE_URL=$PG_URL run_tests -p tessera-server -p tessera-jobs --test api --test jobs

echo "== label-studio-sdk end-to-end tests (SQLite and PostgreSQL)"
VENV=tests/sdk/.venv
if [[ ! -x $VENV/bin/pytest ]] || ! cmp -s tests/sdk/requirements.txt "$VENV/requirements.txt"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r tests/sdk/requirements.txt
  cp tests/sdk/requirements.txt "$VENV/requirements.txt"
fi
TESSERA_BIN=target/debug/tessera TEST_PG_URL=$PG_URL "$VENV/bin/pytest" -q tests/sdk

echo "== web app: unit tests, build, browser tests"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  { echo "the web app needs Node.js 20.19 or newer (found $(node --version))" >&2; exit 1; }
if ! cmp -s web/package-lock.json web/node_modules/.tessera-installed-lock; then
  npm --prefix web ci --no-audit --no-fund
  cp web/package-lock.json web/node_modules/.tessera-installed-lock
fi
npm --prefix web test
npm --prefix web run build
if [[ -z ${CHROMIUM:-} ]] && ! command -v chromium >/dev/null; then
  echo "installing Debian's chromium for the browser tests..."
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get install -y -q chromium || { $sudo apt-get update -q && $sudo apt-get install -y -q chromium; }
fi
export CHROMIUM=${CHROMIUM:-$(command -v chromium)}
TESSERA_BIN=target/debug/tessera node web/e2e/run.mjs
e2e_db="tessera_e2e_$$"
psql "$PG_URL" -qc "CREATE DATABASE $e2e_db"
trap 'stop_services; psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $e2e_db WITH (FORCE)"' EXIT
TESSERA_BIN=target/debug/tessera E2E_DATABASE_URL="${PG_URL%/*}/$e2e_db" node web/e2e/run.mjs
