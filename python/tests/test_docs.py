"""docs/python.md runs as written: every Python block, in order, from a copy of the root."""

import os
import re

from conftest import ROOT

PAGE = ROOT / "docs" / "python.md"


def python_blocks(text):
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def test_every_python_block_of_the_page_runs_in_order(tmp_path, monkeypatch):
    blocks = python_blocks(PAGE.read_text())
    assert len(blocks) >= 8, "the walk-through's cells are found"
    # The page is read from the repository's root; what it writes goes to a scratch copy.
    os.symlink(ROOT / "events", tmp_path / "events")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "walkthrough"}
    for number, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"{PAGE.name}, block {number}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"block {number} of {PAGE.name} fails:\n{block}") from error
    figure = tmp_path / "custody.png"
    assert figure.stat().st_size > 1000, "the custody plot is drawn"
    assert (tmp_path / "stubborn.jsonl").exists()
