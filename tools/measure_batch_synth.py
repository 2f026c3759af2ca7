#!/usr/bin/env python
"""Measure N synths in N processes (`python main.py` each) against the same N in one process.

The day-2 scenarios synthesize their configurations in one process (`emulator.synth_batch`,
started by tests/emulator/day2_synth.py); this is the measurement behind that choice. Both ways
synthesize the example N times (each with its own model artifact, so no two are the same), in
turns, and print the CPU of each (the processes and their jsii runtimes) and the ratio.

    pipenv run python tools/measure_batch_synth.py [--configs 6] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "example.yaml"
ENV = {
    **os.environ,
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def write_configs(folder: Path, count: int) -> list[Path]:
    document = yaml.safe_load(EXAMPLE.read_text())
    paths = []
    for index in range(count):
        document["model"]["model_data_url"] = (
            f"s3://example-models-{{region}}/v{index}/model.tar.gz"
        )
        path = folder / f"config-{index}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        paths.append(path)
    return paths


def each_in_its_process(paths: list[Path]) -> float:
    before = children_cpu()
    for path in paths:
        env = {**ENV, "SERVING_CONFIG": str(path), "CDKTF_OUTDIR": str(path.with_suffix(""))}
        subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
    return children_cpu() - before


def all_in_one_process(paths: list[Path]) -> float:
    """The batch the day-2 tests run: `python -m emulator.synth_batch FOLDER LABEL...`."""
    folder = paths[0].parent
    labels = [path.stem for path in paths]
    before = children_cpu()
    subprocess.run([sys.executable, "-m", "emulator.synth_batch", str(folder), *labels],
                   cwd=ROOT, env=ENV, check=True, capture_output=True)  # fmt: skip
    for label in labels:
        assert (folder / label / "stacks").is_dir(), f"the batch did not synthesize {label}"
    return children_cpu() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {"one process each": [], "one process for all": []}
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.rounds):
            folder = Path(scratch, f"round-{round_}")
            folder.mkdir()
            paths = write_configs(folder, args.configs)
            seconds["one process each"].append(each_in_its_process(paths))
            seconds["one process for all"].append(all_in_one_process(paths))
    base = statistics.median(seconds["one process each"])
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"{args.configs} synths, {name}: {median:.1f} s CPU (x{median / base:.2f})")


if __name__ == "__main__":
    main()
