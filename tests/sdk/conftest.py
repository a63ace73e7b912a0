"""Fixtures for driving a real Tessera with the official label-studio-sdk.

Each test gets a fresh server (the binary from TESSERA_BIN) on a free port, once on SQLite and,
when TEST_PG_URL is set, once on a fresh PostgreSQL database.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest

TOKEN = "sdk-test-token-0123456789"
EMAIL = "sdk-admin@example.com"
PASSWORD = "sdk-admin-pass-1"
BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("TEST_PG_URL") else [])


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _psql(url, sql):
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True, capture_output=True)


def wait_until_up(health_url, process, name, seconds=30):
    """Waits until `health_url` answers; fails if `process` exits first or time runs out."""
    for _ in range(seconds * 10):
        try:
            urllib.request.urlopen(health_url, timeout=1)
            return
        except OSError:
            if process.poll() is not None:
                detail = process.stderr.read().decode()[-2000:] if process.stderr else ""
                raise RuntimeError(f"{name} exited during startup {detail}".strip())
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not start")


class Server:
    def __init__(self, base_url, token, backend, data_dir):
        self.base_url = base_url
        self.token = token
        self.backend = backend
        # Uploads are stored under data_dir/media/upload/<project>/ (Label Studio's upload dir).
        self.data_dir = data_dir


@pytest.fixture(params=BACKENDS)
def server(request):
    backend = request.param
    binary = os.environ.get("TESSERA_BIN", "target/debug/tessera")
    data_dir = tempfile.mkdtemp(prefix="tessera-sdk-")
    port = _free_port()
    env = dict(os.environ, LABEL_STUDIO_USERNAME=EMAIL, LABEL_STUDIO_PASSWORD=PASSWORD, LABEL_STUDIO_USER_TOKEN=TOKEN,
               TESSERA_QUIET="true", RUST_LOG="warn",
               # The storage tests' S3 emulator runs on this machine (scripts/services.sh).
               TESSERA_OUTBOUND_ALLOW="127.0.0.1/32")
    env.pop("DATABASE_URL", None)
    database = None
    if backend == "postgres":
        admin_url = os.environ["TEST_PG_URL"]
        database = f"tessera_sdk_{uuid.uuid4().hex[:12]}"
        _psql(admin_url, f"CREATE DATABASE {database}")
        env["DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + "/" + database
    process = subprocess.Popen([binary, "start", "--port", str(port), "--data-dir", data_dir], env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url + "/health", process, "tessera")
        yield Server(base_url, TOKEN, backend, data_dir)
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
        if database:
            _psql(os.environ["TEST_PG_URL"], f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
