"""A small model served by label-studio-ml 1.0.9 (the newest release on PyPI) for Tessera's tests.

For text it predicts a sentiment <Choices> label from word lists; a text with no such word gets
the label annotators gave last (learned from annotation events, so training shows in its
predictions). For an image it fetches the file from Tessera with the token /setup gave it, as
real backends do, and says whether the bytes are a PNG. Each training run is a model version:
label-studio-ml 1.0.9 names it after the job, and every prediction carries it.
"""
from label_studio_ml.model import LabelStudioMLBase

POSITIVE = {"love", "great", "good", "nice", "excellent"}
NEGATIVE = {"awful", "bad", "hate", "poor", "terrible"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class KeywordModel(LabelStudioMLBase):
    # Label Studio asks for training with START_TRAINING, which 1.0.9 does not list; project
    # updates are left out so that only annotations and explicit requests train.
    TRAIN_EVENTS = ("START_TRAINING", "ANNOTATION_CREATED", "ANNOTATION_UPDATED")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.learned = self.train_output.get("learned")
        self.version = str(self.train_output.get("job_id", "INITIAL"))
        self.control = None
        for name, info in self.parsed_label_config.items():
            if info.get("type") == "Choices" and info.get("inputs"):
                self.control = name
                self.target = info["to_name"][0]
                self.source = info["inputs"][0]
                self.labels = list(info.get("labels") or [])
                break

    def _text_label(self, text):
        words = {word.strip(".,!?").lower() for word in str(text).split()}
        if words & POSITIVE:
            return "Positive"
        if words & NEGATIVE:
            return "Negative"
        return self.learned if self.learned in self.labels else "Positive"

    def _image_label(self, url):
        with open(self.get_local_path(url), "rb") as f:
            return "PNG" if f.read(8) == PNG_MAGIC else "Other"

    def predict(self, tasks, **kwargs):
        if self.control is None:
            return []
        predictions = []
        for task in tasks:
            value = task["data"].get(self.source["value"], "")
            if self.source["type"].lower() == "image":
                label = self._image_label(value)
            else:
                label = self._text_label(value)
            result = [{"from_name": self.control, "to_name": self.target, "type": "choices",
                       "value": {"choices": [label]}}]
            predictions.append({"result": result, "score": 0.9, "model_version": self.version})
        return predictions

    def fit(self, tasks, workdir=None, **kwargs):
        learned = self.learned
        annotation = (kwargs.get("data") or {}).get("annotation") or {}
        for region in annotation.get("result", []):
            for choice in region.get("value", {}).get("choices", []):
                learned = choice
        return {"learned": learned, "event": kwargs.get("event")}
