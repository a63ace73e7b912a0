"""A real ML backend: label-studio-ml from PyPI (1.0.9, the newest release there) serving the small
model in tests/ml-backend, connected to Tessera through the official SDK, predicting (when a
task is opened and as a Data Manager job), fetching an uploaded image with the token Tessera
gave it, and training on Tessera's events.

The backend's virtualenv (tests/ml-backend/.venv) is made on first use from its pinned
requirements, as the SDK's is by scripts/test.sh.
"""
import filecmp
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from label_studio_sdk.client import LabelStudio

from conftest import _free_port, wait_until_up

BACKEND_DIR = Path(__file__).resolve().parent.parent / "ml-backend"
VENV = BACKEND_DIR / ".venv"
TEXT_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
</View>"""
IMAGE_CONFIG = """<View>
  <Image name="image" value="$image"/>
  <Choices name="kind" toName="image"><Choice value="PNG"/><Choice value="Other"/></Choices>
</View>"""
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture(scope="session")
def backend_python():
    """The backend virtualenv's python, (re)made when its requirements changed."""
    requirements = BACKEND_DIR / "requirements.txt"
    installed = VENV / "requirements.txt"
    python = VENV / "bin" / "python"
    if not python.exists() or not installed.exists() or not filecmp.cmp(requirements, installed, shallow=False):
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "-r",
                        str(requirements)], check=True)
        shutil.copy(requirements, installed)
    return python


@pytest.fixture
def ml_backend(backend_python):
    """label-studio-ml serving the model on a free loopback port; its URL."""
    model_dir = tempfile.mkdtemp(prefix="tessera-ml-")
    port = _free_port()
    process = subprocess.Popen([str(backend_python), str(BACKEND_DIR / "serve.py"), str(port), model_dir],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/health", process, "label-studio-ml", seconds=20)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(model_dir, ignore_errors=True)


def wait_for(what, check, seconds=30):
    """Polls `check` until it returns something truthy; that value."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def choices(prediction):
    return prediction.result[0]["value"]["choices"]


def test_label_studio_ml_predicts_and_trains_through_tessera(server, ml_backend):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Sentiment", label_config=TEXT_CONFIG)
    ls.projects.import_tasks(id=project.id, request=[{"text": "I love it"}, {"text": "an awful day"},
                                                     {"text": "it rained"}])
    tasks = {t.data["text"]: t.id for t in ls.tasks.list(project=project.id)}

    backend = ls.ml.create(project=project.id, url=ml_backend, title="Keywords")
    assert (backend.state, backend.model_version) == ("CO", "INITIAL")

    # Opening a task asks the backend on the spot (the project shows predictions); a slow start of
    # the backend's model leaves it to a job, so the prediction is looked for rather than expected
    # in the answer.
    ls.tasks.get(id=tasks["I love it"])
    predicted = wait_for("the prediction of the opened task", lambda: ls.predictions.list(task=tasks["I love it"]))
    assert [(p.model_version, choices(p)) for p in predicted] == [("INITIAL", ["Positive"])]

    # Training: Label Studio's START_TRAINING goes to the backend's /webhook; once the job has
    # run, the backend's next check brings its new model version.
    ls.ml.train(id=backend.id)
    trained = wait_for("the trained version", lambda: (v := ls.ml.get(id=backend.id).model_version) != "INITIAL" and v)
    assert trained.isdigit()

    # An annotation reaches the backend through the webhook Tessera added with it, and the model
    # learns the label of a text with no keyword from it.
    time.sleep(1.1)  # label-studio-ml 1.0.9 names a training job after the second it started in
    ls.annotations.create(id=tasks["it rained"], result=[{"from_name": "sentiment", "to_name": "text",
                                                           "type": "choices", "value": {"choices": ["Negative"]}}])
    relearned = wait_for("the version trained on the annotation",
                         lambda: (v := ls.ml.get(id=backend.id).model_version) != trained and v)

    # Retrieve Predictions runs as a job with the current version: every task is predicted again.
    ls.actions.create(id="retrieve_tasks_predictions", project=project.id,
                      selected_items={"all": True, "excluded": []})

    def latest():
        found = {}
        for text, task in tasks.items():
            current = [p for p in ls.predictions.list(task=task) if p.model_version == relearned]
            if not current:
                return None
            found[text] = choices(current[0])
        return found

    assert wait_for("predictions of the new version", latest) == {
        "I love it": ["Positive"], "an awful day": ["Negative"], "it rained": ["Negative"]}
    assert ls.projects.get(id=project.id).total_predictions_number == 4


def test_label_studio_ml_fetches_uploaded_media_with_its_token(server, ml_backend):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Images", label_config=IMAGE_CONFIG)
    uploaded = httpx.post(f"{server.base_url}/api/projects/{project.id}/import",
                          headers={"Authorization": f"Token {server.token}"},
                          files={"file": ("picture.png", PNG, "image/png")}, timeout=60)
    assert uploaded.status_code == 201, uploaded.text
    task = ls.tasks.list(project=project.id).items[0]
    assert task.data["image"].startswith(f"/data/upload/{project.id}/")

    ls.ml.create(project=project.id, url=ml_backend, title="Bytes")
    # The backend downloads the upload from Tessera (`Authorization: Token <the token /setup
    # gave it>`) to tell what the file is.
    ls.tasks.get(id=task.id)
    predicted = wait_for("the prediction of the opened task", lambda: ls.predictions.list(task=task.id))
    assert [choices(p) for p in predicted] == [["PNG"]]
