"""scikit-learn's metrics on predictions cudanet scored, for the C++ test to compare.

usage: metrics_sklearn.py IN.json OUT.json
IN holds y_true, y_pred, scores (N x K logits), num_classes and ks; OUT gets
precision/recall/F1 under the macro, weighted and micro averages (labels=None,
zero_division=0, as cudanet documents) and top-k accuracy for each k.
"""
import json
import sys

import numpy as np
from sklearn.metrics import precision_recall_fscore_support, top_k_accuracy_score


def main(src: str, dst: str) -> None:
    with open(src) as f:
        d = json.load(f)
    y_true, y_pred = np.array(d["y_true"]), np.array(d["y_pred"])
    out = {}
    for avg in ("macro", "weighted", "micro"):
        p, r, f1, _ = precision_recall_fscore_support(y_true, y_pred, average=avg, zero_division=0)
        out[avg] = {"precision": float(p), "recall": float(r), "f1": float(f1)}
    scores = np.array(d["scores"], dtype=np.float64)
    labels = list(range(d["num_classes"]))
    out["top_k"] = {str(k): float(top_k_accuracy_score(y_true, scores, k=k, labels=labels)) for k in d["ks"]}
    with open(dst, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
