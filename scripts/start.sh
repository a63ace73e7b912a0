#!/usr/bin/env bash
# Builds the web app (npm) and the server (cargo), then starts Tessera on http://localhost:8080.
# Arguments go to `tessera start` (see README.md for flags and environment variables).
set -euo pipefail
cd "$(dirname "$0")/.."
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  { echo "the web app needs Node.js 20.19 or newer (found $(node --version))" >&2; exit 1; }
if ! cmp -s web/package-lock.json web/node_modules/.tessera-installed-lock; then
  npm --prefix web ci --no-audit --no-fund
  cp web/package-lock.json web/node_modules/.tessera-installed-lock
fi
npm --prefix web run build
exec cargo run --release -- start "$@"
