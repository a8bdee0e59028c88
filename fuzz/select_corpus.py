#!/usr/bin/env python3
"""Picks a small committed corpus for one fuzz target: every seed-* file, plus the fewest
other files (greedily, most new coverage first) that keep every edge the whole corpus covers.

`cargo fuzz cmin` keeps every file with a new feature (edge hit counts, comparisons), which
after a 10-minute run is well over a thousand files for most targets; this keeps edges only.

Usage: python3 fuzz/select_corpus.py BINARY CORPUS_DIR OUT_DIR MAX_LEN
  BINARY  the built target, e.g. fuzz/target/x86_64-unknown-linux-gnu/release/fuzz_name
  OUT_DIR must not exist yet; then replace CORPUS_DIR with it.
Each file's coverage comes from a libFuzzer merge of that file alone (one process per file).
"""

import os
import shutil
import subprocess
import sys
import tempfile


def edges_of(binary, path, max_len, work):
    empty, one = os.path.join(work, "empty"), os.path.join(work, "one")
    control = os.path.join(work, "control")
    for directory in (empty, one):
        shutil.rmtree(directory, ignore_errors=True)
        os.mkdir(directory)
    if os.path.exists(control):
        os.remove(control)  # libFuzzer would resume an old merge from it
    shutil.copy(path, one)
    subprocess.run(
        ["nice", "-n", "19", binary, "-merge=1", f"-max_len={max_len}",
         f"-merge_control_file={control}", empty, one],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    edges = set()
    if os.path.exists(control):  # none for an empty file, which libFuzzer skips
        for line in open(control):
            if line.startswith("COV "):
                edges.update(line.split()[2:])
    return edges


def main():
    binary, corpus, out, max_len = sys.argv[1:5]
    files = sorted(os.listdir(corpus))
    work = tempfile.mkdtemp()
    try:
        cover = {f: edges_of(binary, os.path.join(corpus, f), max_len, work) for f in files}
    finally:
        shutil.rmtree(work)
    chosen = [f for f in files if f.startswith("seed-")]
    covered = set().union(*(cover[f] for f in chosen))
    rest = [f for f in files if f not in chosen]
    while rest:
        best = max(rest, key=lambda f: (len(cover[f] - covered),
                                        -os.path.getsize(os.path.join(corpus, f))))
        if not cover[best] - covered:
            break
        chosen.append(best)
        covered |= cover[best]
        rest.remove(best)
    os.makedirs(out)
    for f in chosen:
        shutil.copy(os.path.join(corpus, f), out)
    total = set().union(*cover.values())
    print(f"{corpus}: {len(files)} files, {len(total)} edges; "
          f"kept {len(chosen)} files, {len(covered)} edges")


if __name__ == "__main__":
    main()
