"""What the tests share: the repository's root, and the command line's JSON output."""

import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def cli_binary():
    """The binary `cargo build` makes, built if it is not there yet."""
    binary = ROOT / "target" / "debug" / "accord"
    if not binary.exists():
        subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    return binary


def cli_text(*arguments):
    """What the binary prints for `arguments`."""
    output = subprocess.run([str(cli_binary()), *arguments], capture_output=True, check=True,
                            text=True)
    return output.stdout


def cli_json_lines(*arguments):
    """The JSON Lines the binary prints for `arguments`."""
    return [json.loads(line) for line in cli_text(*arguments).splitlines()]
