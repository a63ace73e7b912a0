#!/usr/bin/env bash
# Builds the web app (npm) and the server (cargo), then starts Tessera on http://localhost:8080.
# Arguments go to `tessera start` (see README.md for flags and environment variables).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d web/node_modules ]] || ! cmp -s web/package-lock.json web/node_modules/.package-lock.json; then
  npm --prefix web ci --no-audit --no-fund
fi
npm --prefix web run build
exec cargo run --release -- start "$@"
