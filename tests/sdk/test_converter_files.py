"""Tessera's file formats (COCO, YOLO, YOLO OBB, VOC, their _WITH_IMAGES variants, brush masks,
CoNLL 2003, ASR manifest) against Label Studio's own converter (`label_studio_sdk.converter`):
the converter runs on Tessera's JSON export of the same project, with Tessera's upload folder as
its upload dir (as Label Studio's server runs it), and every file it writes must equal Tessera's —
label files line by line, JSON by content, VOC XML by content, masks pixel by pixel, packed media
byte by byte — for the streamed export and for a snapshot's conversion alike."""
import http.server
import io
import json
import math
import os
import tempfile
import threading
import time
import wave
import xml.etree.ElementTree as ET
import zipfile

import httpx
import numpy as np
import pytest
from PIL import Image

from label_studio_sdk.client import LabelStudio
from label_studio_sdk.converter import Converter
from label_studio_sdk._extensions.label_studio_tools.core.label_config import parse_config


def auth(server):
    return {"Authorization": f"Token {server.token}"}


def png(width, height, mode="RGB", color=(200, 30, 30)):
    out = io.BytesIO()
    Image.new(mode, (width, height), color[: len(mode)] if mode != "L" else 128).save(out, "PNG")
    return out.getvalue()


def wav(seconds, rate=8000):
    out = io.BytesIO()
    with wave.open(out, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(b"\0\0" * int(seconds * rate))
    return out.getvalue()


@pytest.fixture
def web_files():
    """A small web server on 127.0.0.1 serving files the test puts in its folder."""
    folder = tempfile.mkdtemp(prefix="tessera-web-")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=folder, **k)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def upload(server, project_id, name, data, kind):
    """Uploads a media file as a task; its address."""
    r = httpx.post(f"{server.base_url}/api/projects/{project_id}/import", headers=auth(server),
                   files={"file": (name, data, kind)}, timeout=60)
    assert r.status_code == 201, r.text
    task_id = r.json()["task_ids"][0] if "task_ids" in r.json() else None
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    tasks = [t for t in ls.tasks.list(project=project_id) if name.split(".")[0] in json.dumps(t.data)]
    assert tasks, "the uploaded file's task"
    return tasks[-1].id, list(tasks[-1].data.values())[0]


def region(from_name, to_name, kind, value, rid, size=None, **extra):
    out = {"id": rid, "from_name": from_name, "to_name": to_name, "type": kind, "value": value, **extra}
    if size:
        out["original_width"], out["original_height"] = size
    return out


def export_json(server, project_id):
    r = httpx.get(f"{server.base_url}/api/projects/{project_id}/export", headers=auth(server),
                  params={"exportType": "JSON", "download_all_tasks": "true"}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def theirs(server, config, tasks, fmt, download_resources=True):
    """The files Label Studio's converter writes for `tasks`: {path: bytes}."""
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "export.json")
        with open(source, "w", encoding="utf8") as f:
            json.dump(tasks, f, ensure_ascii=False)
        out = os.path.join(tmp, "out")
        os.makedirs(out)  # Label Studio's server makes the output folder first
        converter = Converter(config=parse_config(config), project_dir=None,
                              upload_dir=os.path.join(server.data_dir, "media", "upload"),
                              download_resources=download_resources)
        converter.convert(source, out, fmt, is_dir=False)
        files = {}
        for root, _, names in os.walk(out):
            for name in names:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    files[os.path.relpath(path, out).replace(os.sep, "/")] = f.read()
        return files


def unpack(body, headers):
    """The files of a Tessera export: {path: bytes} (a zip's entries, or the one file)."""
    if headers["content-type"] == "application/zip":
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            names = z.namelist()
            assert len(names) == len(set(names)), "no name twice"
            return {name: z.read(name) for name in names}
    name = headers["filename"]
    extension = os.path.splitext(name)[1]
    kinds = {".png": "image/png", ".npy": "application/octet-stream", ".conll": "text/plain; charset=utf-8"}
    assert headers["content-type"] == kinds[extension], (name, headers["content-type"])
    return {"result" + extension: body}


def ours_streamed(server, project_id, fmt, **params):
    r = httpx.get(f"{server.base_url}/api/projects/{project_id}/export", headers=auth(server),
                  params={"exportType": fmt, "download_all_tasks": "true", **params}, timeout=120)
    assert r.status_code == 200, r.text
    return unpack(r.content, r.headers)


def ours_converted(server, ls, project_id, snapshot_id, fmt, download_resources=None):
    body = {"export_type": fmt}
    if download_resources is not None:
        body["download_resources"] = download_resources
    r = httpx.post(f"{server.base_url}/api/projects/{project_id}/exports/{snapshot_id}/convert",
                   headers=auth(server), json=body)
    assert r.status_code == 200, r.text
    deadline = time.time() + 60
    while True:
        snapshot = httpx.get(f"{server.base_url}/api/projects/{project_id}/exports/{snapshot_id}",
                             headers=auth(server)).json()
        states = {c["export_type"]: c for c in snapshot["converted_formats"]}
        if states.get(fmt, {}).get("status") == "completed":
            break
        assert states.get(fmt, {}).get("status") != "failed", states[fmt]
        assert time.time() < deadline
        time.sleep(0.2)
    r = httpx.get(f"{server.base_url}/api/projects/{project_id}/exports/{snapshot_id}/download",
                  headers=auth(server), params={"exportType": fmt}, timeout=120)
    assert r.status_code == 200, r.text
    return unpack(r.content, r.headers)


def snapshot_of(server, ls, project_id):
    """A completed snapshot of the project: its id and its tasks (what Label Studio converts)."""
    snapshot = ls.projects.exports.create(project_id, title="formats", task_filter_options={"only_with_annotations": False})
    deadline = time.time() + 30
    while ls.projects.exports.get(project_id, snapshot.id).status != "completed":
        assert time.time() < deadline
        time.sleep(0.2)
    return snapshot.id, json.loads(b"".join(ls.projects.exports.download(project_id, snapshot.id)))


def close(a, b):
    """Equal, floats to 1e-9 relative (NumPy sums polygon areas in its own order)."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    return a == b


def coco_json(raw, uploads):
    """A COCO file with `info` dropped and upload file names as Tessera writes them: Label
    Studio's server writes the path of its own upload folder relative to a temporary one
    (`../../…/media/upload/3/x.png`), Tessera `images/x.png` (docs/COMPATIBILITY.md)."""
    data = json.loads(raw)
    data.pop("info")
    for image in data["images"]:
        if image["file_name"] in uploads:
            image["file_name"] = "images/" + os.path.basename(image["file_name"])
    return data


def assert_same_files(fmt, ours, their, uploads=()):
    assert sorted(ours) == sorted(their), fmt
    for path, theirs_bytes in their.items():
        mine = ours[path]
        if path.endswith("result.json") and fmt.startswith("COCO"):
            a, b = coco_json(mine, set()), coco_json(theirs_bytes, uploads)
            assert close(a, b), f"{fmt} {path}\nours   {a}\ntheirs {b}"
        elif path.endswith("notes.json"):
            a, b = json.loads(mine), json.loads(theirs_bytes)
            assert a["categories"] == b["categories"] and a["info"]["version"] == b["info"]["version"], fmt
        elif path.endswith(".xml"):
            a, b = ET.fromstring(mine), ET.fromstring(theirs_bytes)
            flat = lambda e: [(x.tag, (x.text or "").strip()) for x in e.iter()]
            assert flat(a) == flat(b), f"{fmt} {path}\n{mine.decode()}\n{theirs_bytes.decode()}"
        elif path.endswith(".npy"):
            a, b = np.load(io.BytesIO(mine)), np.load(io.BytesIO(theirs_bytes))
            assert a.dtype == b.dtype and a.shape == b.shape and (a == b).all(), path
        elif path.endswith(".png") and not path.startswith("images/"):
            a = np.asarray(Image.open(io.BytesIO(mine)))
            b = np.asarray(Image.open(io.BytesIO(theirs_bytes)))
            assert a.shape == b.shape and (a == b).all(), path
        elif path.endswith("manifest.json"):
            assert [json.loads(l) for l in mine.splitlines()] == [json.loads(l) for l in theirs_bytes.splitlines()]
            assert mine == theirs_bytes, "byte for byte"
        else:
            assert mine == theirs_bytes, f"{fmt} {path}\nours   {mine[:400]!r}\ntheirs {theirs_bytes[:400]!r}"


IMAGES = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="box" toName="image"><Label value="Dog"/><Label value="Cat" category="7"/><Label value="Zebra"/></RectangleLabels>
  <PolygonLabels name="poly" toName="image"><Label value="Lake"/></PolygonLabels>
</View>"""


def test_image_formats_match_label_studios_converter(server, web_files):
    folder, web = web_files
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Image formats", label_config=IMAGES)
    wide, wide_address = upload(server, project.id, "wide.png", png(64, 48), "image/png")
    alpha, _ = upload(server, project.id, "alpha.png", png(40, 30, "RGBA"), "image/png")
    bare, _ = upload(server, project.id, "bare.png", png(10, 10), "image/png")
    with open(os.path.join(folder, "remote.png"), "wb") as f:
        f.write(png(32, 16))
    remote_url = f"{web}/remote.png?v=1"
    ls.projects.import_tasks(project.id, request=[{"image": remote_url}, {"image": f"{web}/missing.png"}])
    tasks = {t.data["image"]: t.id for t in ls.tasks.list(project=project.id)}
    remote, missing = tasks[remote_url], tasks[f"{web}/missing.png"]

    size = (64, 48)
    ls.annotations.create(id=wide, result=[
        region("box", "image", "rectanglelabels", {"x": 10, "y": 20.5, "width": 30, "height": 40, "rotation": 0, "rectanglelabels": ["Cat"]}, "a1", size),
        region("box", "image", "rectanglelabels", {"x": 50, "y": 10, "width": 20, "height": 30, "rotation": 30, "rectanglelabels": ["Bird"]}, "a2", size),
        region("poly", "image", "polygonlabels", {"points": [[10, 10], [40.5, 12], [30, 60], [5, 50]], "polygonlabels": ["Lake"]}, "a3", size),
    ])
    ls.annotations.create(id=wide, result=[
        region("box", "image", "rectanglelabels", {"x": 1, "y": 2, "width": 3, "height": 4, "rotation": 0, "rectanglelabels": ["Dog"]}, "b1", size),
    ])
    ls.annotations.create(id=alpha, result=[
        region("box", "image", "rectanglelabels", {"x": 0, "y": 0, "width": 100, "height": 100, "rotation": 0, "rectanglelabels": ["Zebra", "Dog"]}, "c1", (40, 30)),
    ])
    ls.annotations.create(id=remote, result=[
        region("box", "image", "rectanglelabels", {"x": 25, "y": 25, "width": 50, "height": 50, "rotation": 0, "rectanglelabels": ["Dog"]}, "d1", (32, 16)),
    ])
    # The newest annotation of the web image is empty: an empty item comes first.
    ls.annotations.create(id=remote, result=[])
    ls.annotations.create(id=missing, result=[
        region("box", "image", "rectanglelabels", {"x": 5, "y": 5, "width": 5, "height": 5, "rotation": 0, "rectanglelabels": ["Cat"]}, "e1", (100, 100)),
    ])
    ls.annotations.create(id=bare, result=[], was_cancelled=True)
    exported = export_json(server, project.id)
    uploads = {t["data"]["image"] for t in exported if t["data"]["image"].startswith("/data/upload/")}
    snapshot, snapshot_tasks = snapshot_of(server, ls, project.id)

    def upload_names(files):
        # COCO's file names of uploads are checked by name (see coco_json).
        if "result.json" not in files:
            return set()
        return {i["file_name"] for i in json.loads(files["result.json"])["images"] if "media/upload" in (i["file_name"] or "")}

    for fmt in ["YOLO", "YOLO_OBB", "YOLO_WITH_IMAGES", "YOLO_OBB_WITH_IMAGES", "COCO", "COCO_WITH_IMAGES", "VOC"]:
        their = theirs(server, IMAGES, exported, fmt)
        assert_same_files(fmt, ours_streamed(server, project.id, fmt), their, upload_names(their))
        their = theirs(server, IMAGES, snapshot_tasks, fmt)
        assert_same_files(fmt, ours_converted(server, ls, project.id, snapshot, fmt, download_resources=True), their, upload_names(their))
        if fmt == "YOLO_WITH_IMAGES":
            stored = os.path.join(server.data_dir, "media", wide_address[len("/data/"):])
            assert their["images/" + os.path.basename(wide_address)] == open(stored, "rb").read()
            assert any(p.endswith("__remote.png") for p in their), "the web image is packed"
    # Without download_resources VOC packs no images but still reads the uploads' bands.
    assert_same_files("VOC", ours_streamed(server, project.id, "VOC", download_resources="false"),
                      theirs(server, IMAGES, exported, "VOC", download_resources=False))
    assert len(uploads) == 3


KEYPOINTS = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="box" toName="image"><Label value="Person"/><Label value="Car"/></RectangleLabels>
  <KeyPointLabels name="kp" toName="image"><Label value="nose" model_index="1"/><Label value="eye" model_index="0"/><Label value="ear"/></KeyPointLabels>
</View>"""


def test_keypoint_formats_match_label_studios_converter(server):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Keypoints", label_config=KEYPOINTS)
    task, _ = upload(server, project.id, "pose.png", png(80, 60), "image/png")
    size = (80, 60)
    ls.annotations.create(id=task, result=[
        region("box", "image", "rectanglelabels", {"x": 10, "y": 10, "width": 50, "height": 80, "rotation": 0, "rectanglelabels": ["Person"]}, "p1", size),
        region("kp", "image", "keypointlabels", {"x": 20.5, "y": 15, "width": 1, "keypointlabels": ["nose"]}, "k1", size, parentID="p1"),
        region("kp", "image", "keypointlabels", {"x": 30, "y": 12.25, "width": 1, "keypointlabels": ["eye"]}, "k2", size, parentID="p1"),
        region("box", "image", "rectanglelabels", {"x": 60, "y": 5, "width": 20, "height": 20, "rotation": 0, "rectanglelabels": ["Car"]}, "p2", size),
    ])
    exported = export_json(server, project.id)
    for fmt in ["YOLO", "COCO"]:
        their = theirs(server, KEYPOINTS, exported, fmt)
        their_uploads = {i["file_name"] for i in json.loads(their["result.json"])["images"]} if fmt == "COCO" else set()
        assert_same_files(fmt, ours_streamed(server, project.id, fmt), their, their_uploads)


BRUSH = """<View>
  <Image name="image" value="$image"/>
  <BrushLabels name="mask" toName="image"><Label value="Road/Path"/><Label value="Sky"/></BrushLabels>
  <PolygonLabels name="poly" toName="image"><Label value="Sky"/></PolygonLabels>
  <RectangleLabels name="box" toName="image"><Label value="Car"/></RectangleLabels>
</View>"""


def rle_of(alpha):
    """Label Studio's RLE of an RGBA image whose alpha channel is `alpha` (the SDK's encoder)."""
    from label_studio_sdk.converter.brush import encode_rle
    rgba = np.zeros((*alpha.shape, 4), dtype=np.uint8)
    rgba[:, :, 3] = alpha
    return encode_rle(rgba.flatten())


def brush_coco(raw):
    """A BRUSH_TO_COCO file without what Label Studio makes up: category colors and `info`."""
    data = json.loads(raw)
    data.pop("info")
    for category in data["categories"]:
        category.pop("color")
    return data


def test_brush_to_coco_traces_contours_as_opencv(server):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Brush contours", label_config=BRUSH)
    rng = np.random.default_rng(7)
    for n in range(6):
        task, _ = upload(server, project.id, f"blobs{n}.png", png(30, 20), "image/png")
        # Random blobs: islands, holes, diagonal joins, single pixels, edges of the image.
        noise = rng.random((20, 30))
        mask = np.where(noise > 0.55 + 0.05 * n, 255, 0).astype(np.uint8)
        if n == 0:
            mask[:] = 0
            mask[5:15, 5:25] = 255
            mask[8:12, 10:20] = 0
            mask[9:11, 14:16] = 255
        ls.annotations.create(id=task, result=[
            region("mask", "image", "brushlabels", {"format": "rle", "rle": rle_of(mask), "brushlabels": ["Sky"]}, f"m{n}", (30, 20)),
            region("poly", "image", "polygonlabels", {"points": [[10.5, 10], [50, 12.5], [40, 90]], "polygonlabels": ["Sky"]}, f"p{n}", (30, 20)),
            region("box", "image", "rectanglelabels", {"x": 10, "y": 20, "width": 30.5, "height": 40, "rotation": 0, "rectanglelabels": ["Car"]}, f"b{n}", (30, 20)),
        ])
    exported = export_json(server, project.id)
    their = theirs(server, BRUSH, exported, "BRUSH_TO_COCO")
    ours = ours_streamed(server, project.id, "BRUSH_TO_COCO")
    assert sorted(ours) == sorted(their) == ["result_coco.json"]
    a, b = brush_coco(ours["result_coco.json"]), brush_coco(their["result_coco.json"])
    assert len(b["annotations"]) > 20
    for mine, theirs_annotation in zip(a["annotations"], b["annotations"]):
        assert close(mine, theirs_annotation), f"ours   {mine}\ntheirs {theirs_annotation}"
    assert close(a, b)


def test_brush_formats_match_label_studios_converter(server):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="Brushes", label_config=BRUSH)
    task, _ = upload(server, project.id, "street.png", png(12, 8), "image/png")
    first = np.zeros((8, 12), dtype=np.uint8)
    first[2:5, 3:9] = 255
    second = np.zeros((8, 12), dtype=np.uint8)
    second[0:8, 0:2] = 200
    ls.annotations.create(id=task, result=[
        region("mask", "image", "brushlabels", {"format": "rle", "rle": rle_of(first), "brushlabels": ["Road/Path"]}, "m1", (12, 8)),
        region("mask", "image", "brushlabels", {"format": "rle", "rle": rle_of(second), "brushlabels": ["Road/Path"]}, "m2", (12, 8)),
        region("mask", "image", "brushlabels", {"format": "rle", "rle": rle_of(second), "brushlabels": ["Sky"]}, "m3", (12, 8)),
    ])
    exported = export_json(server, project.id)
    snapshot, snapshot_tasks = snapshot_of(server, ls, project.id)
    for fmt in ["BRUSH_TO_NUMPY", "BRUSH_TO_PNG"]:
        their = theirs(server, BRUSH, exported, fmt)
        assert len(their) == 3
        assert_same_files(fmt, ours_streamed(server, project.id, fmt), their)
        assert_same_files(fmt, ours_converted(server, ls, project.id, snapshot, fmt),
                          theirs(server, BRUSH, snapshot_tasks, fmt))

    # One mask only: Label Studio sends the file itself, not an archive.
    ls.annotations.delete(id=ls.annotations.list(id=task)[0].id)
    ls.annotations.create(id=task, result=[
        region("mask", "image", "brushlabels", {"format": "rle", "rle": rle_of(first), "brushlabels": ["Sky"]}, "m4", (12, 8))])
    r = httpx.get(f"{server.base_url}/api/projects/{project.id}/export", headers=auth(server),
                  params={"exportType": "BRUSH_TO_PNG"}, timeout=60)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.headers
    assert r.headers["filename"].endswith(".png")
    assert (np.asarray(Image.open(io.BytesIO(r.content))) == first).all()
    # The same from a snapshot's stored conversion.
    snapshot, _ = snapshot_of(server, ls, project.id)
    converted = ours_converted(server, ls, project.id, snapshot, "BRUSH_TO_PNG")
    assert list(converted) == ["result.png"]
    assert (np.asarray(Image.open(io.BytesIO(converted["result.png"]))) == first).all()


NER = """<View>
  <Text name="text" value="$text"/>
  <Labels name="ner" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>
  <Choices name="mood" toName="text"><Choice value="ok"/></Choices>
</View>"""

NER_TASKS = [
    {"data": {"text": "Ada Lovelace joined Acme Corp. in London, didn't she?"}, "annotations": [{"result": [
        {"from_name": "mood", "to_name": "text", "type": "choices", "value": {"choices": ["ok"]}},
        {"from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 20, "end": 30, "text": "Acme Corp.", "labels": ["ORG"]}},
        {"from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 12, "text": "Ada Lovelace", "labels": ["PER"]}},
    ]}]},
    {"data": {"text": "He said \"hi\" -- (twice) at 3:30, cannot wait... Ünïcödé 東京 and/or $5!"}, "annotations": [{"result": [
        {"from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 52, "end": 59, "text": "Ünïcödé", "labels": ["PER"]}},
    ]}]},
    {"data": {"text": "no annotation at all"}},
    {"data": {"text": "skipped"}, "annotations": [{"result": [], "was_cancelled": True}]},
]


def test_conll_matches_label_studios_converter(server):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="NER", label_config=NER)
    ls.projects.import_tasks(project.id, request=NER_TASKS)
    exported = export_json(server, project.id)
    their = theirs(server, NER, exported, "CONLL2003")
    r = httpx.get(f"{server.base_url}/api/projects/{project.id}/export", headers=auth(server),
                  params={"exportType": "CONLL2003", "download_all_tasks": "true"})
    assert r.status_code == 200 and r.headers["filename"].endswith(".conll")
    assert r.content.decode() == their["result.conll"].decode()
    snapshot, snapshot_tasks = snapshot_of(server, ls, project.id)
    assert ours_converted(server, ls, project.id, snapshot, "CONLL2003") == theirs(server, NER, snapshot_tasks, "CONLL2003")


ASR = """<View>
  <Audio name="audio" value="$audio"/>
  <TextArea name="transcription" toName="audio"/>
</View>"""


def test_asr_manifest_matches_label_studios_converter(server):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="ASR", label_config=ASR)
    first, _ = upload(server, project.id, "hello.wav", wav(1.5), "audio/wav")
    second, _ = upload(server, project.id, "short.wav", wav(0.25, rate=16000), "audio/wav")
    ls.annotations.create(id=first, result=[
        {"from_name": "transcription", "to_name": "audio", "type": "textarea", "value": {"text": ["héllo wörld"]}}])
    ls.annotations.create(id=second, result=[
        {"from_name": "transcription", "to_name": "audio", "type": "textarea", "value": {"text": ["short", "second line"]}}])
    exported = export_json(server, project.id)
    their = theirs(server, ASR, exported, "ASR_MANIFEST")
    assert len(their["manifest.json"].splitlines()) == 2
    assert_same_files("ASR_MANIFEST", ours_streamed(server, project.id, "ASR_MANIFEST"), their)


def listed_by_label_studio(config):
    """The formats Label Studio's `/export/formats` enables for `config`, but DOCLANG, which
    Tessera does not write yet and lists as disabled (docs/COMPATIBILITY.md)."""
    converter = Converter(config=parse_config(config), project_dir=None)
    return set(converter.supported_formats) & {f.name for f in converter.all_formats()} - {"DOCLANG"}


def test_formats_a_config_cannot_produce_are_refused(server):
    ls = LabelStudio(base_url=server.base_url, api_key=server.token)
    project = ls.projects.create(title="NER only", label_config=NER)
    formats = {f["name"]: not f.get("disabled") for f in httpx.get(
        f"{server.base_url}/api/projects/{project.id}/export/formats", headers=auth(server)).json()}
    assert {name for name, on in formats.items() if on} == listed_by_label_studio(NER)
    assert set(formats) == {f.name for f in Converter(config=parse_config(NER), project_dir=None).all_formats()}
    r = httpx.get(f"{server.base_url}/api/projects/{project.id}/export", headers=auth(server), params={"exportType": "COCO"})
    assert r.status_code == 400 and "COCO is not supported export format" in r.text
    for config in [IMAGES, KEYPOINTS, BRUSH, ASR,
                   "<View><Image name='i' valueList='$pages'/><RectangleLabels name='b' toName='i'><Label value='A'/></RectangleLabels></View>",
                   "<View><Video name='v' value='$v'/><TimelineLabels name='t' toName='v'><Label value='A'/></TimelineLabels></View>",
                   "<View><Text name='t' value='$t'/><Text name='u' value='$u'/><TextArea name='a' toName='t'/></View>"]:
        project = ls.projects.create(title="formats", label_config=config)
        enabled = {f["name"] for f in httpx.get(f"{server.base_url}/api/projects/{project.id}/export/formats",
                                                 headers=auth(server)).json() if not f.get("disabled")}
        assert enabled == listed_by_label_studio(config), config
