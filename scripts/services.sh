#!/usr/bin/env bash
# The cloud services storages talk to, run locally for the tests: S3 (moto), Google Cloud
# Storage (gcp-storage-emulator, with a bucket `tessera`), Azure Blob (Azurite, with a container
# `tessera`), Redis (Debian's redis-server). Sourced by scripts/test.sh; to run the Rust tests by hand:
#
#   source scripts/services.sh && start_services    # exports TESSERA_TEST_* for the tests
#   cargo nextest run --workspace
#   stop_services
#
# Each server gets a free port and a folder under $SERVICES_DIR, and is stopped by its pid.
SERVICES_VENV=${SERVICES_VENV:-tests/services/.venv}
SERVICES_DIR=${SERVICES_DIR:-$(mktemp -d -t tessera-services.XXXXXX)}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_until() { # seconds command...
  local seconds=$1; shift
  for _ in $(seq 1 $((seconds * 20))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "service did not start: $*" >&2; return 1
}

start_services() {
  if [[ ! -x $SERVICES_VENV/bin/moto_server ]] || ! cmp -s tests/services/requirements.txt "$SERVICES_VENV/requirements.txt"; then
    python3 -m venv "$SERVICES_VENV"
    "$SERVICES_VENV/bin/pip" install -q --disable-pip-version-check -r tests/services/requirements.txt
    cp tests/services/requirements.txt "$SERVICES_VENV/requirements.txt"
  fi
  if ! cmp -s tests/services/package-lock.json tests/services/node_modules/.tessera-installed-lock; then
    npm --prefix tests/services ci --no-audit --no-fund --silent
    cp tests/services/package-lock.json tests/services/node_modules/.tessera-installed-lock
  fi
  command -v redis-server >/dev/null || {
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get install -y -q redis-server || { $sudo apt-get update -q && $sudo apt-get install -y -q redis-server; }
  }
  local s3_port redis_port azure_port gcs_port
  s3_port=$(free_port); redis_port=$(free_port); azure_port=$(free_port); gcs_port=$(free_port)
  "$SERVICES_VENV/bin/gcp-storage-emulator" start -H 127.0.0.1 --port "$gcs_port" --in-memory \
    --default-bucket tessera -q >"$SERVICES_DIR/gcs.log" 2>&1 &
  echo $! >"$SERVICES_DIR/gcs.pid"
  "$SERVICES_VENV/bin/moto_server" -H 127.0.0.1 -p "$s3_port" >"$SERVICES_DIR/moto.log" 2>&1 &
  echo $! >"$SERVICES_DIR/moto.pid"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$SERVICES_DIR" >"$SERVICES_DIR/redis.log" 2>&1 &
  echo $! >"$SERVICES_DIR/redis.pid"
  mkdir -p "$SERVICES_DIR/azurite"
  tests/services/node_modules/.bin/azurite-blob --blobHost 127.0.0.1 --blobPort "$azure_port" \
    --location "$SERVICES_DIR/azurite" --skipApiVersionCheck --disableTelemetry --silent \
    >"$SERVICES_DIR/azurite.log" 2>&1 &
  echo $! >"$SERVICES_DIR/azurite.pid"
  wait_until 30 curl -sf "http://127.0.0.1:$s3_port/"
  wait_until 10 redis-cli -p "$redis_port" ping
  wait_until 30 curl -s -o /dev/null "http://127.0.0.1:$azure_port/"
  wait_until 30 curl -sf "http://127.0.0.1:$gcs_port/"
  "$SERVICES_VENV/bin/python" - "$azure_port" <<'PY'
import sys
from azure.storage.blob import BlobServiceClient
# Azurite's documented development account.
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
url = f"http://127.0.0.1:{sys.argv[1]}/devstoreaccount1"
BlobServiceClient(url, credential={"account_name": "devstoreaccount1", "account_key": KEY}).create_container("tessera")
PY
  export TESSERA_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
  export TESSERA_TEST_REDIS="127.0.0.1:$redis_port"
  export TESSERA_TEST_AZURE_ENDPOINT="http://127.0.0.1:$azure_port"
  export TESSERA_TEST_GCS_ENDPOINT="http://127.0.0.1:$gcs_port"
  echo "services: S3 (moto) at $TESSERA_TEST_S3_ENDPOINT, Azure (Azurite) at $TESSERA_TEST_AZURE_ENDPOINT, GCS at $TESSERA_TEST_GCS_ENDPOINT, Redis at $TESSERA_TEST_REDIS"
}

stop_services() {
  for pid_file in "$SERVICES_DIR"/*.pid; do
    [[ -f $pid_file ]] && kill "$(cat "$pid_file")" 2>/dev/null || true
  done
  rm -rf "$SERVICES_DIR"
}
