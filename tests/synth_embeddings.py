#!/usr/bin/env python3
"""The generator's embeddings (docs/generator.md, "Embeddings"):

    synth_embeddings.py PLAIN.jsonl EMBEDDED.jsonl SHIFTED.jsonl D

PLAIN without --embeddings, EMBEDDED with --embeddings D, SHIFTED with --embeddings D --shift embedding, same
seed and size. Every line of EMBEDDED is PLAIN's with an embedding of D values appended; the dimensions have
unit-ish noise around scene means that differ between conditions; SHIFTED equals EMBEDDED but for the first
quarter of the dimensions (at least one), each moved by exactly 0.3.
"""
import json
import sys

import numpy as np

plain, embedded, shifted, d = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


xs, ws, moved = [], [], []
with open(plain) as p, open(embedded) as e, open(shifted) as s:
    for i, (lp, le, ls) in enumerate(zip(p, e, s)):
        fe, fs = json.loads(le), json.loads(ls)
        x = fe.pop("embedding")
        y = fs.pop("embedding")
        check(json.loads(lp) == fe and fe == fs, f"line {i + 1}: the frame differs beyond its embedding")
        check(le.startswith(lp.rstrip("\n")[:-1]), f"line {i + 1}: the embedding is not appended at the end")
        check(len(x) == d and len(y) == d, f"line {i + 1}: {len(x)} values, expected {d}")
        xs.append(x)
        ws.append(fe["attributes"]["weather"])
        moved.append(np.round(np.array(y) - np.array(x), 6))
x = np.array(xs)
q = max(d // 4, 1)
m = np.array(moved)
check(np.all(m[:, :q] == 0.3) and np.all(m[:, q:] == 0), "the embedding shift is not 0.3 in the first quarter")
sd = x.std(axis=0)
check(np.all((sd > 0.9) & (sd < 1.6)), f"standard deviations {sd}")
corr = np.corrcoef(x, rowvar=False)[np.triu_indices(d, 1)]
check(np.all((corr > 0.05) & (corr < 0.5)), f"correlations {corr.min()} .. {corr.max()}")
means = {w: x[np.array(ws) == w].mean(axis=0) for w in set(ws) if (np.array(ws) == w).sum() > 100}
spread = max(np.abs(a - b).max() for a in means.values() for b in means.values())
check(spread > 0.3, f"the weather conditions' mean embeddings differ by at most {spread}")
print(f"{len(xs)} frames, {d} dimensions: sd {sd.min():.3f}..{sd.max():.3f}, correlation {corr.mean():.3f}, "
      f"largest difference of a weather's mean {spread:.3f}")
for f in failures[:20]:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
