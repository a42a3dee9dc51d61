"""Merkle roots, proofs and signed checkpoints through Python, as through the command line."""

import json
import shutil

import pytest

import accord
from conftest import ROOT, cli_json_lines, cli_text

KARABAKH = ROOT / "tests" / "fixtures" / "karabakh-v1.jsonl"


def cli(*arguments):
    return cli_json_lines(*arguments)[0]


def keygen(path):
    cli_text("keygen", "--out", str(path))


@pytest.fixture
def karabakh(tmp_path):
    copy = tmp_path / "karabakh.jsonl"
    shutil.copy(KARABAKH, copy)
    return copy


@pytest.fixture
def key(tmp_path):
    path = tmp_path / "mediator"
    keygen(path)
    return path


def test_roots_and_proofs_are_the_command_lines(karabakh):
    log = accord.Log.open(karabakh)
    assert log.root() == cli("root", str(karabakh), "--json")
    assert log.root(at=10) == cli("root", str(karabakh), "--at", "10", "--json")
    inclusion = log.prove(seq=5, size=20)
    assert inclusion == cli("prove", str(karabakh), "--seq", "5", "--size", "20", "--json")
    consistency = log.prove(from_size=10)
    assert consistency == cli("prove", str(karabakh), "--from", "10", "--json")
    with pytest.raises(ValueError, match="seq 99"):
        log.prove(seq=99)
    with pytest.raises(ValueError, match="give seq"):
        log.prove()
    with pytest.raises(ValueError, match="at 999"):
        log.root(at=999)


def test_a_proof_is_checked_without_the_log(karabakh, tmp_path):
    log = accord.Log.open(karabakh)
    inclusion = log.prove(seq=5)
    root = log.root()["root"]
    held = accord.check_proof(inclusion, root=root)
    written = tmp_path / "proof.json"
    written.write_text(json.dumps(inclusion))
    assert held == cli("check-proof", str(written), "--root", root, "--json")
    assert held["root_trusted"] is True
    # Its JSON text is a proof too, and the line may be given apart from it.
    line = karabakh.read_text().splitlines()[4]
    assert accord.check_proof(json.dumps(inclusion), line=line.encode())["ok"]
    # Another line, or another root, and it does not hold.
    with pytest.raises(accord.AccordError) as refused:
        accord.check_proof(inclusion, line=karabakh.read_text().splitlines()[5])
    assert refused.value.rule == "proof.inclusion"
    with pytest.raises(accord.AccordError) as refused:
        accord.check_proof(inclusion, root="00" * 32)
    assert refused.value.rule == "proof.inclusion"
    consistency = log.prove(from_size=10)
    assert accord.check_proof(consistency, root=log.root(at=10)["root"])["proof"] == "consistency"
    with pytest.raises(accord.AccordError) as refused:
        accord.check_proof(consistency, root=root)
    assert refused.value.rule == "proof.consistency"
    with pytest.raises(TypeError):
        accord.check_proof(42)
    with pytest.raises(ValueError):
        accord.check_proof({"proof": "nonsense"})


def test_a_signed_checkpoint_is_written_kept_and_checked(karabakh, key, tmp_path):
    log = accord.Log.open(karabakh)
    signed = log.checkpoint(key, "example.org/karabakh")
    assert signed["size"] == log.verify()["events"]
    assert signed["kept"] is not None and signed["note"] == open(signed["kept"]).read()
    # The same head and key sign the same note, kept once.
    assert log.checkpoint(key, "example.org/karabakh")["kept"] is None
    note = tmp_path / "checkpoint.txt"
    note.write_text(signed["note"])
    pubkey = str(key) + ".pub"
    verified = log.verify(checkpoint=note, pubkey=pubkey)
    expected = cli("verify", str(karabakh), "--checkpoint", str(note), "--pubkey", pubkey, "--json")
    expected.pop("ok")
    assert verified == expected
    assert verified["checkpoint_size"] == signed["size"]
    # A proof is checked against the signed root.
    assert accord.check_proof(log.prove(seq=3), checkpoint=note, pubkey=pubkey)["root_trusted"]
    # Another key did not sign it.
    other = tmp_path / "other"
    keygen(other)
    with pytest.raises(accord.AccordError) as refused:
        log.verify(checkpoint=note, pubkey=str(other) + ".pub")
    assert refused.value.rule == "checkpoint.signature"
    # A log rewritten after its checkpoint does not extend it.
    lines = karabakh.read_text().splitlines(keepends=True)
    shorter = tmp_path / "shorter.jsonl"
    shorter.write_text("".join(lines[:10]))
    with pytest.raises(accord.AccordError) as refused:
        accord.Log.open(shorter).verify(checkpoint=note, pubkey=pubkey)
    assert refused.value.rule == "checkpoint.root"
    with pytest.raises(ValueError, match="go together"):
        log.verify(checkpoint=note)


def test_a_pinned_head_is_found_or_refused(karabakh):
    log = accord.Log.open(karabakh)
    head_of_ten = cli_text("head", str(karabakh), "--at", "10").split()[-1]
    assert log.verify(head=head_of_ten)["pinned_seq"] == 10
    with pytest.raises(accord.AccordError) as refused:
        log.verify(head="ab" * 32)
    assert refused.value.rule == "head.unknown"
    with pytest.raises(ValueError):
        log.verify(head="not hex")
