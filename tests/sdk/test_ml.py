"""The official SDK's `ml` client against Tessera and a local model server speaking Label
Studio's protocol (/health, /setup, /predict, /webhook): add, list, get, update, versions, train,
interactive pre-annotation and delete work unchanged."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from label_studio_sdk.client import LabelStudio

CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
</View>"""


class ModelServer:
    """A model server on a free loopback port that always predicts "Positive"."""

    def __init__(self):
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status, body):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                seen.append((self.path, None))
                if self.path == "/health":
                    self._answer(200, {"status": "UP"})
                else:
                    self._answer(404, {"error": "not found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
                seen.append((self.path, body))
                if self.path == "/setup":
                    self._answer(200, {"model_version": "sdk-model-1"})
                elif self.path == "/predict":
                    result = [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}]
                    self._answer(200, {"results": [{"result": result, "score": 0.5, "model_version": "sdk-model-1"} for _ in body["tasks"]]})
                elif self.path == "/webhook":
                    self._answer(201, {"status": "ok"})
                else:
                    self._answer(404, {"error": "not found"})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def model():
    model = ModelServer()
    yield model
    model.server.shutdown()


def test_ml_client_with_a_model_server(server, model):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Predicted", label_config=CONFIG)
    ls.projects.import_tasks(id=project.id, request=[{"text": "great"}])
    task = ls.tasks.list(project=project.id).items[0]

    backend = ls.ml.create(project=project.id, url=model.url, title="Model", is_interactive=True)
    assert backend.state == "CO" and backend.readable_state == "Connected"
    assert backend.model_version == "sdk-model-1" and backend.project == project.id
    assert [b.id for b in ls.ml.list(project=project.id)] == [backend.id]
    assert ls.ml.get(id=backend.id).title == "Model"
    assert ls.projects.get(id=project.id).model_version == "Model"

    # The SDK's update is a PATCH of the fields given.
    updated = ls.ml.update(id=backend.id, title="Renamed", description="a test model")
    assert (updated.title, updated.description) == ("Renamed", "a test model")

    versions = ls.ml.list_model_versions(id=backend.id)
    assert versions.versions == ["sdk-model-1"]

    ls.ml.train(id=backend.id)
    assert any(path == "/webhook" and body["action"] == "START_TRAINING" for path, body in model.seen)

    ls.ml.predict_interactive(id=backend.id, task=task.id, context={"result": []})
    asked = [body for path, body in model.seen if path == "/predict"][-1]
    assert asked["tasks"][0]["id"] == task.id and asked["params"]["context"] == {"result": []}

    ls.ml.delete(id=backend.id)
    assert ls.ml.list(project=project.id) == []
