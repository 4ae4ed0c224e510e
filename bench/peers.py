#!/usr/bin/env python3
"""Scikit-learn peers on exactly the eval's splits (optional; Debian: apt-get install python3-sklearn).

    npm run eval -- --folds 10 --seed 1 --no-baseline --predictions /tmp/pred.jsonl
    python3 bench/peers.py /tmp/pred.jsonl

Each test split's training part is every other split's rows (k-fold and --loo; not --train/--test).
Prints accuracy, AUC and spam caught at blocked ham <= 0.1/0.3/1 %: oracle (threshold on the pooled
test scores) and honest (threshold from 5-fold out-of-fold scores of each training part), with the
same threshold rule as src/eval/operating.ts, for Commentinel (the file's probabilities) and peers.
"""
import json
import math
import sys

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

RATES = (0.001, 0.003, 0.01)


def threshold_for(scores, labels, rate):
    hams = sorted((s for s, y in zip(scores, labels) if y == 0), reverse=True)
    allowed = math.floor(rate * len(hams) + 1e-9)
    return hams[allowed] if allowed < len(hams) else -math.inf


def tally(scores, labels, t):
    spam = sum(1 for y in labels if y == 1)
    ham = len(labels) - spam
    caught = sum(1 for s, y in zip(scores, labels) if y == 1 and s > t)
    blocked = sum(1 for s, y in zip(scores, labels) if y == 0 and s > t)
    return spam, caught, ham, blocked


class Tfidf:
    """TF-IDF word 1-2 grams + char 2-5 grams (sublinear tf, l2), the issue's peer features."""

    def __init__(self):
        self.w = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        self.c = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)

    def fit_transform(self, texts):
        return hstack([self.w.fit_transform(texts), self.c.fit_transform(texts)]).tocsr()

    def transform(self, texts):
        return hstack([self.w.transform(texts), self.c.transform(texts)]).tocsr()


def svc():
    return ("TF-IDF + LinearSVC", Tfidf, lambda: LinearSVC(C=1.0), "decision_function")


def logreg():
    return ("TF-IDF + LogisticRegression", Tfidf, lambda: LogisticRegression(C=10.0, max_iter=2000), "decision_function")


def mnb():
    return ("MultinomialNB on counts", lambda: _Counts(), lambda: MultinomialNB(alpha=1.0), "predict_log_proba")


class _Counts:
    def __init__(self):
        self.v = CountVectorizer()

    def fit_transform(self, texts):
        return self.v.fit_transform(texts)

    def transform(self, texts):
        return self.v.transform(texts)


def fit_score(spec, train_x, train_y, test_x):
    _, features, model, method = spec
    f = features()
    m = model()
    m.fit(f.fit_transform(train_x), train_y)
    out = getattr(m, method)(f.transform(test_x))
    return out[:, 1] - out[:, 0] if method == "predict_log_proba" else out


def main(path):
    rows = [json.loads(line) for line in open(path, encoding="utf8") if line.strip()]
    splits = list(dict.fromkeys(r["split"] for r in rows))
    texts = np.array([r["text"] for r in rows], dtype=object)
    labels = np.array([1 if r["label"] == "spam" else 0 for r in rows])
    ours = np.array([r["probability"] for r in rows])
    which = np.array([r["split"] for r in rows])
    specs = [svc(), logreg(), mnb()]
    print("| system | accuracy | AUC | " + " | ".join(f"SC@BH <= {100 * r:.1f} % oracle / honest (BH)" for r in RATES) + " |")
    print("|---|---|---|" + "---|" * len(RATES))
    report("Commentinel (the file's probabilities)", labels, ours, None, 0.5)
    for spec in specs:
        scores = np.zeros(len(rows))
        honest = {r: [0, 0, 0, 0] for r in RATES}
        for split in splits:
            test = which == split
            train = ~test
            scores[test] = fit_score(spec, texts[train], labels[train], texts[test])
            # Honest: thresholds from 5-fold out-of-fold scores of the training part alone.
            oof = np.zeros(train.sum())
            tx, ty = texts[train], labels[train]
            for a, b in StratifiedKFold(5, shuffle=True, random_state=1).split(tx, ty):
                oof[b] = fit_score(spec, tx[a], ty[a], tx[b])
            for r in RATES:
                t = threshold_for(list(oof), list(ty), r)
                for i, v in enumerate(tally(list(scores[test]), list(labels[test]), t)):
                    honest[r][i] += v
        report(spec[0], labels, scores, honest, 0.0)


def report(name, labels, scores, honest, cut):
    acc = float(np.mean((scores >= cut) == (labels == 1))) if cut else float(np.mean((scores > 0) == (labels == 1)))
    auc = roc_auc_score(labels, scores)
    cells = []
    for r in RATES:
        spam, caught, _, _ = tally(list(scores), list(labels), threshold_for(list(scores), list(labels), r))
        cell = f"{100 * caught / spam:.1f} %"
        if honest:
            s, c, h, b = honest[r]
            cell += f" / {100 * c / s:.1f} % ({100 * b / h:.2f} %)"
        cells.append(cell)
    print(f"| {name} | {100 * acc:.1f} % | {auc:.4f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
