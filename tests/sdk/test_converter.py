"""Tessera's flat exports against Label Studio's own converter (`label_studio_sdk.converter`, the
code Label Studio runs for its exports): the same varied project exported as JSON by Tessera and
converted by the SDK's converter must give what Tessera's JSON_MIN, CSV and TSV exports give, for
the streamed export and for a snapshot's conversions alike."""
import csv
import io
import json
import os
import tempfile
import time

import httpx

from label_studio_sdk.client import LabelStudio
from label_studio_sdk.converter import Converter

CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single"><Choice value="Positive"/><Choice value="Negative"/></Choices>
  <Choices name="topics" toName="text" choice="multiple"><Choice value="Sport"/><Choice value="Tech"/><Choice value="Art"/></Choices>
  <Labels name="ner" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>
  <TextArea name="summary" toName="text"/>
  <Rating name="stars" toName="text"/>
</View>"""


def result(from_name, kind, value):
    return {"from_name": from_name, "to_name": "text", "type": kind, "value": value}


TASKS = [
    {"data": {"text": "Ada Lovelace joined Acme"}, "annotations": [{"result": [
        result("sentiment", "choices", {"choices": ["Positive"]}),
        result("topics", "choices", {"choices": ["Tech", "Art"]}),
        result("ner", "labels", {"start": 0, "end": 12, "text": "Ada Lovelace", "labels": ["PER"]}),
        result("ner", "labels", {"start": 20, "end": 24, "text": "Acme", "labels": ["ORG"]}),
        result("summary", "textarea", {"text": ["A hire", "at Acme"]}),
        result("stars", "rating", {"rating": 4}),
    ]}, {"result": [result("sentiment", "choices", {"choices": ["Negative"]})]}]},
    {"data": {"text": "Ünïcödé — 東京, \"quoted\", =formula?"}, "annotations": [{"result": [
        result("summary", "textarea", {"text": ["línea, con coma"]}),
    ]}]},
    {"data": {"text": "empty annotation"}, "annotations": [{"result": []}]},
    {"data": {"text": "skipped"}, "annotations": [{"result": [], "was_cancelled": True}]},
    {"data": {"text": "no annotation at all"}},
]


def rows(text, sep):
    return sorted((dict(r) for r in csv.DictReader(io.StringIO(text, newline=""), delimiter=sep)), key=json.dumps)


def converted(config, tasks_json, fmt):
    """What the SDK's converter makes of Tessera's JSON export."""
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "export.json")
        with open(source, "w", encoding="utf8") as f:
            json.dump(tasks_json, f, ensure_ascii=False)
        out = os.path.join(tmp, "out")
        converter = Converter(config=config, project_dir=None, download_resources=False)
        converter.convert(source, out, fmt, is_dir=False)
        name = "result.json" if fmt == "JSON_MIN" else "result.csv"
        with open(os.path.join(out, name), encoding="utf8", newline="") as f:
            return f.read()


def assert_same(fmt, ours, theirs):
    if fmt == "JSON_MIN":
        key = lambda r: json.dumps(r, sort_keys=True)
        assert sorted(json.loads(ours), key=key) == sorted(json.loads(theirs), key=key)
    else:
        sep = "\t" if fmt == "TSV" else ","
        assert rows(ours, sep) == rows(theirs, sep)


def test_flat_exports_match_label_studios_converter(server):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Converter check", label_config=CONFIG)
    ls.projects.import_tasks(project.id, request=TASKS)
    # Label Studio converts from a JSON export whose `completed_by` is the bare id (its flat
    # exports name the annotator by id, observed on the reference server).
    full = httpx.get(
        f"{server.base_url}/api/projects/{project.id}/export",
        params={"exportType": "JSON", "download_all_tasks": "true", "annotations__completed_by__only_id": "true"},
        headers={"Authorization": f"Token {server.token}"},
    ).json()
    assert len(full) == len(TASKS)

    snapshot = ls.projects.exports.create(project.id, title="check")
    deadline = time.time() + 30
    while ls.projects.exports.get(project.id, snapshot.id).status != "completed":
        assert time.time() < deadline
        time.sleep(0.2)

    for fmt in ["JSON_MIN", "CSV", "TSV"]:
        theirs = converted(CONFIG, full, fmt)
        streamed = b"".join(ls.projects.exports.download_sync(
            project.id, export_type=fmt, download_all_tasks=True)).decode()
        assert_same(fmt, streamed, theirs)
        from_snapshot = b"".join(ls.projects.exports.download(project.id, snapshot.id, export_type=fmt)).decode()
        assert_same(fmt, from_snapshot, theirs)


VIDEO = """<View>
  <Video name="video" value="$video" framerate="25"/>
  <VideoRectangle name="box" toName="video"/>
</View>"""


def test_key_frames_are_interpolated_as_label_studio_does(server):
    from label_studio_sdk._extensions.label_studio_tools.postprocessing.video import extract_key_frames

    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Tracking", label_config=VIDEO)
    sequence = [
        {"frame": 6, "enabled": False, "rotation": 0, "x": 20, "y": 20.5, "width": 35.5, "height": 40, "time": 0.24},
        {"frame": 1, "enabled": True, "rotation": 0, "x": 10, "y": 20.5, "width": 30, "height": 40, "time": 0.04},
        {"frame": 9, "enabled": True, "rotation": 5, "x": 0, "y": 0, "width": 10, "height": 10, "time": 0.36},
        {"frame": 10, "enabled": True, "rotation": 5, "x": 1, "y": 0, "width": 10, "height": 10, "time": 0.4},
    ]
    result = [
        {"id": "track", "from_name": "box", "to_name": "video", "type": "videorectangle",
         "value": {"sequence": sequence, "framesCount": 13, "duration": 0.52}},
        {"id": "empty", "from_name": "box", "to_name": "video", "type": "videorectangle",
         "value": {"sequence": [], "framesCount": 13, "duration": 0.52}},
    ]
    ls.projects.import_tasks(project.id, request=[{"data": {"video": "/samples/video.webm"}, "annotations": [{"result": result}]}])
    snapshot = ls.projects.exports.create(project.id, serialization_options={"interpolate_key_frames": True})
    deadline = time.time() + 30
    while ls.projects.exports.get(project.id, snapshot.id).status != "completed":
        assert time.time() < deadline
        time.sleep(0.2)
    tasks = json.loads(b"".join(ls.projects.exports.download(project.id, snapshot.id)))
    ours = tasks[0]["annotations"][0]["result"]
    assert ours == extract_key_frames(result)
    assert len(ours[0]["value"]["sequence"]) > len(sequence)
    # The streamed export takes the same option as a query parameter.
    streamed = httpx.get(
        f"{server.base_url}/api/projects/{project.id}/export",
        params={"exportType": "JSON", "interpolate_key_frames": "true"},
        headers={"Authorization": f"Token {server.token}"},
    ).json()
    assert streamed[0]["annotations"][0]["result"] == extract_key_frames(result)
    plain = httpx.get(
        f"{server.base_url}/api/projects/{project.id}/export",
        params={"exportType": "JSON"},
        headers={"Authorization": f"Token {server.token}"},
    ).json()
    assert plain[0]["annotations"][0]["result"] == result
