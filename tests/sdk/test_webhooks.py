"""The official SDK's webhooks client against Tessera, with a real local receiver: create,
list, get, update, info and delete work unchanged, and the receiver hears the events with Label
Studio's bodies."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from label_studio_sdk.client import LabelStudio
from label_studio_sdk.core.api_error import ApiError

CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
</View>"""


class Receiver:
    """An HTTP server on a free loopback port that keeps every POST (path, headers as received,
    JSON body)."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                received.append((self.path, self.headers, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def wait_for(self, path, count):
        for _ in range(200):
            got = [r for r in self.received if r[0] == path]
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{path}: {[r[2]['action'] for r in self.received]}")


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


def test_webhooks_client_and_deliveries(server, receiver):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Hooked", label_config=CONFIG)

    info = ls.webhooks.info()
    assert info.tasks_created.key == "tasks" and not info.tasks_created.organization_only
    assert info.project_created.organization_only and info.label_link_deleted.name == "Label link deleted"
    only = ls.webhooks.info(organization_only=True)
    assert only.project_deleted.organization_only and only.tasks_created is None

    hook = ls.webhooks.create(
        url=receiver.base + "/tasks",
        project=project.id,
        send_for_all_actions=False,
        actions=["TASKS_CREATED"],
        headers={"X-From": "sdk"},
    )
    assert hook.project == project.id and hook.actions == ["TASKS_CREATED"] and hook.is_active
    assert [h.id for h in ls.webhooks.list(project=str(project.id))] == [hook.id]
    assert ls.webhooks.get(id=hook.id).url == receiver.base + "/tasks"

    ls.projects.import_tasks(id=project.id, request=[{"text": "first"}, {"text": "second"}])
    (path, headers, body), = receiver.wait_for("/tasks", 1)
    assert headers["X-From"] == "sdk"
    assert list(body) == ["action", "tasks", "project"]
    assert [t["data"]["text"] for t in body["tasks"]] == ["first", "second"]
    assert body["project"]["id"] == project.id and body["project"]["task_number"] == 2

    # The SDK's update is a PATCH: the actions given replace the old ones.
    updated = ls.webhooks.update(id=hook.id, url=receiver.base + "/all", send_for_all_actions=True, actions=[])
    assert updated.url.endswith("/all") and updated.actions == [] and updated.send_for_all_actions
    task = ls.tasks.list(project=project.id).items[0]
    ls.annotations.create(id=task.id, result=[
        {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}])
    (_, _, created), = receiver.wait_for("/all", 1)
    assert created["action"] == "ANNOTATION_CREATED"
    assert created["annotation"]["task"] == task.id and created["task"]["id"] == task.id

    with pytest.raises(ApiError) as refused:
        ls.webhooks.create(url="not a url", project=project.id)
    assert refused.value.status_code == 400

    ls.webhooks.delete(id=hook.id)
    assert ls.webhooks.list() == []
