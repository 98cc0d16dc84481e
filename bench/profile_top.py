"""Sum py-spy's collapsed stacks (``--format raw``) per function: where a process spent its samples.

.venv/bin/python bench/profile_top.py /tmp/prof/journal.txt            # own time, top 30
.venv/bin/python bench/profile_top.py /tmp/prof/journal.txt --total    # time inside (cumulative)
.venv/bin/python bench/profile_top.py /tmp/prof/journal.txt --match parta/ --top 50
"""

from __future__ import annotations

import argparse
from collections import Counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument(
        "--total", action="store_true", help="Cumulative: samples with the function on the stack."
    )
    parser.add_argument("--match", default="", help="Only functions whose frame contains this text.")
    parser.add_argument("--top", type=int, default=30)
    options = parser.parse_args()
    counts: Counter[str] = Counter()
    total = 0
    with open(options.file, encoding="utf-8") as lines:
        for line in lines:
            stack, _, number = line.rstrip("\n").rpartition(" ")
            if not stack or not number.isdigit():
                continue
            samples = int(number)
            total += samples
            frames = stack.split(";")
            if options.total:
                for frame in set(frames):
                    if options.match in frame:
                        counts[frame] += samples
            else:
                own = next((f for f in reversed(frames) if options.match in f), None)
                if own is not None:
                    counts[own] += samples
    print(f"{total} samples")
    for frame, samples in counts.most_common(options.top):
        print(f"{100 * samples / max(total, 1):5.1f}%  {samples:7d}  {frame}")


if __name__ == "__main__":
    main()
