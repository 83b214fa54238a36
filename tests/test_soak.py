"""Soak tests: memory stays flat over hundreds of fit, score and pickle cycles, and
over thousands of loads.

Not a timing test. It runs in a fresh process, so the rest of the suite does not
move its baseline, and compares peak resident memory after a warm-up with peak
resident memory at the end.
"""

import json
import subprocess
import sys

# Cycles after the warm-up, and the growth of peak memory they may cause. A leak of
# 10 KB a cycle (unpickling three torch.Generators leaked 7.9 KB) would add 4 MB.
CYCLES, WARM_UP = 500, 100
BOUND_MB = 3.0

_SOAK = """
import json, pickle, resource, sys
import numpy as np
import torch
from skvae import AETransformer, AutoencoderOutlierDetector, VAETransformer

torch.set_num_threads(1)
X = np.random.RandomState(0).normal(size=(40, 4))

def cycle(i):
    cls = (VAETransformer, AETransformer)[i % 2]
    est = cls(hidden_dims=(8,), max_epochs=2, random_state=i, device="cpu").fit(X)
    scores = est.score_samples(X)
    loaded = pickle.loads(pickle.dumps(est))
    assert np.array_equal(loaded.score_samples(X), scores)
    loaded.partial_fit(X)
    if i % 50 == 0:
        detector = AutoencoderOutlierDetector(loaded, random_state=i).fit(X)
        detector.predict(X)

def peak_mb():
    # kilobytes on Linux, bytes on macOS
    scale = 2**20 if sys.platform == "darwin" else 2**10
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale

for i in range({warm_up}):
    cycle(i)
warm = peak_mb()
for i in range({warm_up}, {warm_up} + {cycles}):
    cycle(i)
print(json.dumps({{"warm": warm, "end": peak_mb()}}))
"""


def test_memory_stays_flat_over_500_fit_score_pickle_cycles():
    """Peak RSS grows by less than BOUND_MB over 500 cycles after a warm-up."""
    code = _SOAK.format(cycles=CYCLES, warm_up=WARM_UP)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    memory = json.loads(result.stdout.strip().splitlines()[-1])
    growth = memory["end"] - memory["warm"]
    assert growth < BOUND_MB, memory


LOADS, LOADS_WARM_UP = 2000, 200

_LOADS = """
import json, os, pickle, resource, sys, tempfile
import numpy as np
import torch
import skvae

torch.set_num_threads(1)
X = np.random.RandomState(0).normal(size=(40, 4))
est = skvae.VAETransformer(hidden_dims=(8,), max_epochs=2, random_state=0).fit(X)
scores = est.score_samples(X)
pickled = pickle.dumps(est)
path = os.path.join(tempfile.mkdtemp(), "model.skvae")
skvae.save(est, path)

def load(i):
    model = pickle.loads(pickled) if i % 2 else skvae.load(path)
    if i % 100 < 2:
        assert np.array_equal(model.score_samples(X), scores)

def peak_mb():
    scale = 2**20 if sys.platform == "darwin" else 2**10
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale

for i in range({warm_up}):
    load(i)
warm = peak_mb()
for i in range({warm_up}, {warm_up} + {loads}):
    load(i)
print(json.dumps({{"warm": warm, "end": peak_mb()}}))
"""


def test_memory_stays_flat_over_2000_loads():
    """Peak RSS grows by less than BOUND_MB over 1000 unpickles and 1000
    skvae.load calls after a warm-up (unpickled generators leaked 7.9 KB a load)."""
    code = _LOADS.format(loads=LOADS, warm_up=LOADS_WARM_UP)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    memory = json.loads(result.stdout.strip().splitlines()[-1])
    assert memory["end"] - memory["warm"] < BOUND_MB, memory
