"""Serves model.KeywordModel with label-studio-ml 1.0.9 on 127.0.0.1: `python serve.py PORT MODEL_DIR`.

label-studio-ml's own CLI starts the server through `os.system`, which leaves an orphan behind
when a test stops it; this runs the same Flask app in this process instead.
"""
import os
import sys

# 1.0.9 runs its current protocol (/webhook training, job-named versions) only with this set.
os.environ.setdefault("LABEL_STUDIO_ML_BACKEND_V2", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from label_studio_ml.api import init_app  # noqa: E402

from model import KeywordModel  # noqa: E402

if __name__ == "__main__":
    port, model_dir = int(sys.argv[1]), sys.argv[2]
    app = init_app(model_class=KeywordModel, model_dir=model_dir)
    app.run(host="127.0.0.1", port=port, debug=False, threaded=True)
