"""``voxpop worker`` keeps its processes within the machine's cores: the model and every native thread
pool (OpenBLAS, OpenMP, MKL) of each process get its share, so idle pool threads do not spin against the
other processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from voxpop.cli.worker import NATIVE_THREAD_VARIABLES, thread_caps


def test_each_process_gets_its_share_of_the_cores() -> None:
    cores = len(os.sched_getaffinity(0))
    caps = thread_caps(0, 2, {})
    expected = str(max(1, cores // 2))
    assert caps["VOXPOP_ANALYSIS_THREADS"] == expected
    assert all(caps[name] == expected for name in NATIVE_THREAD_VARIABLES)


def test_a_configured_thread_count_caps_the_native_pools_too() -> None:
    caps = thread_caps(1, 2, {})
    assert caps == {"VOXPOP_ANALYSIS_THREADS": "1", **dict.fromkeys(NATIVE_THREAD_VARIABLES, "1")}


def test_what_the_operator_set_is_kept() -> None:
    caps = thread_caps(1, 1, {"OMP_NUM_THREADS": "3"})
    assert "OMP_NUM_THREADS" not in caps
    assert caps["OPENBLAS_NUM_THREADS"] == "1"


def test_the_caps_reach_numpy_and_scikit_learn_in_a_new_process() -> None:
    """The variables must be set before the libraries load — which is why ``voxpop worker`` sets them
    before it hands over to Dramatiq's process."""
    env = {**os.environ, **thread_caps(1, 2, dict(os.environ))}
    probe = (
        "import json, numpy, sklearn.linear_model, threadpoolctl;"
        "print(json.dumps({p['user_api']: p['num_threads'] for p in threadpoolctl.threadpool_info()}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True)
    pools = json.loads(out.stdout)
    assert pools.get("blas") == 1
    assert pools.get("openmp", 1) == 1
