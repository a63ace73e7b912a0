"""The official label-studio-sdk (PyPI) against Tessera: auth, projects, label config, tasks,
import, annotations, predictions, export, users, the Data Manager, invites and workspaces, as a
script using the SDK would."""
import csv
import io
import json
import time

import pytest
from label_studio_sdk.client import LabelStudio
from label_studio_sdk.core.api_error import ApiError

CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
  <Labels name="ner" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>
</View>"""


def choice(label):
    return [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": [label]}}]


def test_auth_with_legacy_token_and_personal_access_token(server):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    me = ls.users.whoami()
    assert me.email == "sdk-admin@example.com"
    assert ls.users.get_token().token == server.token

    pat = ls.tokens.create().token
    assert pat.count(".") == 2
    assert len(ls.tokens.list()) == 1
    with_jwt = LabelStudio(base_url=server.base_url, api_key=pat)
    assert with_jwt.users.whoami().email == "sdk-admin@example.com"
    assert with_jwt.projects.create(title="made with a JWT").id
    access = ls.tokens.refresh(refresh=pat).access
    assert access.count(".") == 2
    ls.tokens.blacklist(refresh=pat)
    with pytest.raises(ApiError) as refused:
        LabelStudio(base_url=server.base_url, api_key=pat).users.whoami()
    assert refused.value.status_code == 401

    with pytest.raises(ApiError) as bad:
        LabelStudio(base_url=server.base_url, api_key="not-a-token").projects.create(title="nope")
    assert bad.value.status_code == 401

    # The organization's token settings, through the SDK's Enterprise client.
    settings = ls.jwt_settings.get()
    assert (settings.api_tokens_enabled, settings.legacy_api_tokens_enabled) == (True, True)
    updated = ls.jwt_settings.update(api_token_ttl_days=365, legacy_api_tokens_enabled=True)
    assert updated.api_token_ttl_days == 365


def test_projects_and_label_config(server):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="SDK project", label_config=CONFIG, color="#00FF00", maximum_annotations=1,
                                 expert_instruction="Label carefully", show_instruction=True)
    fetched = ls.projects.get(project.id)
    assert fetched.title == "SDK project"
    assert fetched.color == "#00FF00"
    assert fetched.parsed_label_config["sentiment"]["labels"] == ["Positive", "Negative"]
    assert {control.name for control in fetched.get_label_interface().controls} == {"sentiment", "ner"}
    updated = ls.projects.update(project.id, title="Renamed by SDK", sampling="Uniform sampling")
    assert updated.title == "Renamed by SDK"
    assert updated.sampling == "Uniform sampling"
    titles = [p.title for p in ls.projects.list()]
    assert "Renamed by SDK" in titles
    change = ls.projects.validate_label_config(project.id, label_config=CONFIG)
    assert change.model_dump().get("config_essential_data_has_changed") is None

    with pytest.raises(ApiError) as invalid:
        ls.projects.create(title="Broken", label_config="<View><Text name='t'/></View>")
    assert invalid.value.status_code == 400
    assert invalid.value.body["validation_errors"]["label_config"] == ["Validation failed on : 'value' is a required property"]
    with pytest.raises(ApiError) as missing:
        ls.projects.get(999999)
    assert missing.value.status_code == 404

    ls.projects.delete(project.id)
    with pytest.raises(ApiError):
        ls.projects.get(project.id)


def test_import_tasks_annotations_predictions_and_export(server):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Pipeline", label_config=CONFIG)
    imported = ls.projects.import_tasks(project.id, request=[
        {"data": {"text": "John likes cats"}, "annotations": [{"result": choice("Positive")}],
         "predictions": [{"result": choice("Negative"), "score": 0.4, "model_version": "v1"}]},
        {"data": {"text": "Acme hires"}},
        {"text": "flat task"},
    ], return_task_ids=True)
    assert imported.task_count == 3
    assert imported.annotation_count == 1
    assert imported.model_dump()["prediction_count"] == 1
    task_ids = imported.model_dump()["task_ids"]

    tasks = list(ls.tasks.list(project=project.id))
    assert [t.id for t in tasks] == task_ids
    assert tasks[0].data == {"text": "John likes cats"}

    task = ls.tasks.create(project=project.id, data={"text": "created by SDK"})
    assert ls.tasks.get(task.id).data == {"text": "created by SDK"}
    assert ls.tasks.update(task.id, data={"text": "updated"}).data == {"text": "updated"}
    ls.tasks.delete(task.id)

    annotation = ls.annotations.create(id=task_ids[1], result=choice("Negative"), lead_time=2.5)
    assert annotation.completed_by == ls.users.whoami().id
    assert ls.annotations.get(annotation.id).result == choice("Negative")
    assert len(ls.annotations.list(id=task_ids[1])) == 1
    assert ls.annotations.update(annotation.id, result=choice("Positive")).result == choice("Positive")

    prediction = ls.predictions.create(task=task_ids[2], result=choice("Positive"), score=0.9, model_version="v2")
    assert prediction.score == 0.9
    assert [p.id for p in ls.predictions.list(task=task_ids[2])] == [prediction.id]
    assert ls.predictions.update(prediction.id, score=0.1).score == 0.1

    details = ls.projects.get(project.id)
    assert details.task_number == 3
    assert details.total_annotations_number == 2
    assert details.total_predictions_number == 2

    exported = ls.projects.exports.as_json(project.id)
    assert [t["id"] for t in exported] == task_ids
    first = exported[0]["annotations"][0]
    assert first["result"] == choice("Positive")
    assert first["completed_by"]["email"] == "sdk-admin@example.com"
    raw_csv = b"".join(ls.projects.exports.download_sync(project.id, export_type="CSV", download_all_tasks=True)).decode()
    rows = list(csv.DictReader(io.StringIO(raw_csv)))
    assert {r["sentiment"] for r in rows} == {"Positive", ""}

    ls.predictions.delete(prediction.id)
    ls.annotations.delete(annotation.id)
    assert ls.projects.get(project.id).total_annotations_number == 1


def test_users(server):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    users = ls.users.list()
    assert [u.email for u in users] == ["sdk-admin@example.com"]
    me = ls.users.get(users[0].id)
    assert me.email == "sdk-admin@example.com"
    updated = ls.users.update(me.id, first_name="Sam", last_name="Doe")
    assert (updated.first_name, updated.last_name) == ("Sam", "Doe")
    assert ls.users.whoami().first_name == "Sam"


def test_data_manager_views_filters_actions_and_stream(server):
    from label_studio_sdk.data_manager import Column, Filters, Operator, Type

    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Data Manager", label_config=CONFIG)
    ls.projects.import_tasks(project.id, request=[{"text": f"item {i}", "n": i} for i in range(10)])
    filters = Filters.create(Filters.AND, [
        Filters.item(Column.data("n"), Operator.GREATER_OR_EQUAL, Type.Number, Filters.value(5)),
        Filters.item(Column.data("text"), Operator.CONTAINS, Type.String, Filters.value("ITEM")),
    ])
    view = ls.views.create(project=project.id, data={"title": "Big ones", "filters": filters, "ordering": ["-tasks:id"]})
    assert ls.views.get(str(view.id)).data["title"] == "Big ones"
    assert [v.id for v in ls.views.list(project=project.id)] == [view.id]

    by_view = [t for t in ls.tasks.list(view=view.id)]
    assert [t.data["n"] for t in by_view] == [9, 8, 7, 6, 5]
    query = json.dumps({"filters": filters, "ordering": ["tasks:id"],
                        "selectedItems": {"all": True, "excluded": [by_view[0].id]}})
    by_query = [t.data["n"] for t in ls.tasks.list(project=project.id, query=query)]
    assert by_query == [5, 6, 7, 8]

    # The labeling stream (not wrapped by the SDK) hands out tasks in order and locks them.
    import httpx
    headers = {"Authorization": f"Token {server.token}"}
    served = httpx.get(f"{server.base_url}/api/projects/{project.id}/next", headers=headers).json()
    assert served["queue"] == "Sequence queue"
    assert served["data"]["n"] == 0
    assert served["unique_lock_id"]

    ls.actions.create(id="delete_tasks", project=project.id, view=view.id)
    assert ls.projects.get(project.id).task_number == 5
    assert [t for t in ls.tasks.list(view=view.id)] == []


def test_invite_and_workspace_flow(server):
    """The seed's flow: the invite link, sign-up through it, the member's role, a workspace with
    a project created into it and the member added to it, and the member added to the project."""
    import httpx

    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    invite = ls.organizations.invites.get_invite_link()
    assert invite.invite_url == f"/user/signup/?token={invite.token}"

    with httpx.Client(base_url=server.base_url, follow_redirects=False) as browser:
        signed_up = browser.post(f"{invite.invite_url}", data={"email": "invited@example.com", "password": "blue-harbor-72"})
        assert signed_up.status_code == 302
    invited = next(u for u in ls.users.list() if u.email == "invited@example.com")
    organization = ls.users.whoami().active_organization
    changed = ls.organizations.members.update(organization, user_id=invited.id, role="AN")
    assert changed.role == "AN"

    workspace = ls.workspaces.create(title="Seed workspace", description="from the guide", color="#00AA00", is_personal=False)
    assert workspace.title == "Seed workspace"
    project = ls.projects.create(title="Workspace project", label_config=CONFIG, workspace=workspace.id)
    assert ls.projects.get(project.id).workspace == workspace.id
    ls.workspaces.members.create(workspace.id, user=invited.id)
    members = ls.workspaces.members.list(workspace.id)
    assert invited.id in [m.user.id for m in members]
    assert ls.workspaces.get(workspace.id).projects_count == 1
    ls.projects.members.add(project.id, user=invited.id)
    assert [m.id for m in ls.projects.members.paginated.list(project.id)] == [invited.id]
    # The seed's project payload, every field as the guide prints it but for the three Label
    # Studio itself validates (an XML config, a #RRGGBB color, an existing organization), and
    # the workspace.
    seed = ls.projects.create(
        title="string", description="string", label_config=CONFIG, expert_instruction="string", show_instruction=True,
        show_skip_button=True, enable_empty_annotation=True, show_annotation_history=True, organization=organization,
        color="#FF0000", maximum_annotations=-2147483648, is_published=True, model_version="string", is_draft=True,
        created_by={"id": 1, "first_name": "", "last_name": "", "email": "heartex@heartex.net"},
        min_annotations_to_start_training=-2147483648, show_collab_predictions=True, sampling="Sequential sampling",
        show_ground_truth_first=True, show_overlap_first=True, overlap_cohort_percentage=-2147483648,
        task_data_login="string", task_data_password="string", control_weights={}, evaluate_predictions_automatically=True,
        workspace=workspace.id)
    created = ls.projects.get(seed.id)
    assert (created.model_version, created.workspace, created.title) == ("string", workspace.id, "string")


def test_people_through_the_sdk(server):
    """Users created and removed by the owner, a role given to one, and the email invitation
    endpoint (no SMTP server here: a clear 400)."""
    from label_studio_sdk.core.api_error import ApiError

    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    user = ls.users.create(username="sdk-made", email="sdk-made@example.com", first_name="Made")
    assert user.email == "sdk-made@example.com" and user.first_name == "Made"
    assert any(u.id == user.id for u in ls.users.list())

    project = ls.projects.create(title="Members only", label_config=CONFIG)
    organization = ls.users.whoami().active_organization
    ls.organizations.members.update(organization, user_id=user.id, role="AN")

    try:
        ls.organizations.invites.send_email(emails=["friend@example.com"], role="AN", projects=[project.id])
        raise AssertionError("send_email needs an SMTP server")
    except ApiError as error:
        assert error.status_code == 400 and "SMTP" in str(error.body)

    ls.users.delete(user.id)
    assert all(u.id != user.id for u in ls.users.list())


def test_s3_import_storage_flow_of_the_seed(server):
    """The seed's storage flow: an S3 import storage made with `bucket` and `regex_filter`,
    listed by project, read, synced into tasks (once), and deleted, on the S3 emulator the test
    command started."""
    import os
    import urllib.request
    import uuid

    endpoint = os.environ["TESSERA_TEST_S3_ENDPOINT"]
    bucket = "sdk" + uuid.uuid4().hex[:12]

    def put(path, body=b""):
        request = urllib.request.Request(f"{endpoint}/{path}", data=body, method="PUT",
                                         headers={"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(request).read()

    put(bucket)
    put(f"{bucket}/batch/1.json", json.dumps({"text": "first"}).encode())
    put(f"{bucket}/batch/2.json", json.dumps([{"text": "second"}, {"text": "third"}]).encode())
    put(f"{bucket}/batch/readme.md", b"not a task file: the filter leaves it out")

    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Storage project", label_config=CONFIG)
    storage = ls.import_storage.s3.create(
        project=project.id, bucket=bucket, prefix="batch", regex_filter=r".*\.json",
        aws_access_key_id="AKIDSDK", aws_secret_access_key="sdk-secret", region_name="us-east-1",
        s3endpoint=endpoint, title="Batches", use_blob_urls=False)
    assert storage.bucket == bucket and storage.regex_filter == r".*\.json"
    assert storage.aws_secret_access_key is None, "secrets are never answered"
    assert [s.id for s in ls.import_storage.s3.list(project=project.id)] == [storage.id]
    assert ls.import_storage.s3.get(id=storage.id).title == "Batches"
    ls.import_storage.s3.validate(project=project.id, id=storage.id, bucket=bucket, prefix="batch",
                                  s3endpoint=endpoint, region_name="us-east-1")

    synced = ls.import_storage.s3.sync(id=storage.id)
    for _ in range(100):
        if synced.status not in ("queued", "in_progress"):
            break
        time.sleep(0.1)
        synced = ls.import_storage.s3.get(id=storage.id)
    assert synced.status == "completed" and synced.last_sync_count == 3
    assert sorted(t.data["text"] for t in ls.tasks.list(project=project.id)) == ["first", "second", "third"]
    assert ls.import_storage.s3.sync(id=storage.id).last_sync_count in (0, None)
    assert len(list(ls.tasks.list(project=project.id))) == 3

    ls.import_storage.s3.delete(id=storage.id)
    assert ls.import_storage.s3.list(project=project.id) == []
    assert len(list(ls.tasks.list(project=project.id))) == 3, "the tasks stay"


def test_export_snapshots_through_the_sdk(server):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Snapshots", label_config=CONFIG)
    ls.projects.import_tasks(project.id, request=[
        {"data": {"text": "one"}, "annotations": [{"result": choice("Positive")}]},
        {"data": {"text": "two"}},
    ])
    snapshot = ls.projects.exports.create(
        project.id, title="For training", task_filter_options={"only_with_annotations": True})
    deadline = time.time() + 30
    while ls.projects.exports.get(project.id, snapshot.id).status != "completed":
        assert time.time() < deadline, "the snapshot did not complete"
        time.sleep(0.2)
    got = ls.projects.exports.get(project.id, snapshot.id)
    assert got.title == "For training"
    assert got.counters == {"task_number": 1}
    assert [e.id for e in ls.projects.exports.list(project.id)] == [snapshot.id]
    tasks = json.loads(b"".join(ls.projects.exports.download(project.id, snapshot.id)))
    assert [t["data"]["text"] for t in tasks] == ["one"]

    converted = ls.projects.exports.convert(project.id, snapshot.id, export_type="CSV")
    assert converted.export_type == "CSV"
    raw = b"".join(ls.projects.exports.download(project.id, snapshot.id, export_type="CSV")).decode()
    assert [r["sentiment"] for r in csv.DictReader(io.StringIO(raw))] == ["Positive"]
    assert ls.projects.exports.get(project.id, snapshot.id).converted_formats[0].status == "completed"

    ls.projects.exports.delete(project.id, snapshot.id)
    assert list(ls.projects.exports.list(project.id)) == []
