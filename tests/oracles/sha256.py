#!/usr/bin/python3
"""Reference digests for tests/sha256_test.cpp (Python's hashlib).

Usage: sha256.py <output dir>. Writes sha256.txt, one message per line: its hex bytes ("-" for the empty
message), then hashlib.sha256's hex digest. Lengths 0 to 300 (every padding case: 55, 56, 63, 64, 119, 120
bytes), then 200 random lengths up to 20,000, random bytes from a fixed seed.
"""
import hashlib
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261202)
lengths = list(range(0, 301)) + [int(n) for n in rng.integers(301, 20000, 200)]
with open(os.path.join(out, "sha256.txt"), "w") as f:
    for n in lengths:
        msg = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        f.write("%s %s\n" % (msg.hex() if n else "-", hashlib.sha256(msg).hexdigest()))
