"""What the tests share: the repository's root, and the command line's JSON output."""

import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def cli_json_lines(*arguments):
    """The JSON Lines the binary `cargo build` made prints for `arguments`."""
    binary = ROOT / "target" / "debug" / "accord"
    if not binary.exists():
        subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    output = subprocess.run([str(binary), *arguments], capture_output=True, check=True, text=True)
    return [json.loads(line) for line in output.stdout.splitlines()]
