"""A PostgreSQL stream through Python gives what the same log in a file gives.

Run by .ci/run against the server it starts: ACCORD_TEST_POSTGRES names its database. Without
it these tests fail, never skip: they are run only where a server is promised.
"""

import os
import shutil
import subprocess
import sys
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

import accord  # noqa: E402
from conftest import ROOT, cli_text  # noqa: E402

KARABAKH = ROOT / "events" / "karabakh.jsonl"


@pytest.fixture(scope="module")
def url():
    url = os.environ.get("ACCORD_TEST_POSTGRES")
    assert url, "ACCORD_TEST_POSTGRES names the test database (.ci/run starts a server)"
    # The binary these tests run must have the store: a plain `cargo build` leaves it out.
    subprocess.run(["cargo", "build", "--quiet", "--features", "postgres"], cwd=ROOT, check=True)
    cli_text("db", "init", url)
    return url


def fresh_stream():
    return "python-" + uuid.uuid4().hex[:12]


@pytest.fixture
def karabakh_stream(url):
    stream = fresh_stream()
    cli_text("copy", str(KARABAKH), url, "--to-stream", stream)
    return accord.Log.open(url, stream=stream)


def test_a_stream_answers_as_its_file_does(karabakh_stream, tmp_path):
    copy = tmp_path / "karabakh.jsonl"
    shutil.copy(KARABAKH, copy)
    file = accord.Log.open(copy)
    stream = karabakh_stream
    assert stream.path.startswith("postgres://") and "#python-" in stream.path
    assert stream.verify() == file.verify()
    assert stream.state() == file.state()
    for query in [{"at": 12}, {"as_of": "2021-01-11"}, {"known_at": "2030-01-01", "at": 30}]:
        assert stream.state(**query) == file.state(**query), query
    entity = "provision:trilateral-2020-11-09/exchange"
    assert stream.history(entity) == file.history(entity) != []
    assert stream.diff(10, "2021-05-05") == file.diff(10, "2021-05-05")
    assert stream.diff(10, "2021-05-05")["changes"]
    assert list(stream.events()) == list(file.events())
    assert stream.root() == file.root()
    assert stream.prove(seq=7) == file.prove(seq=7)
    assert stream.prove(from_size=20) == file.prove(from_size=20)


def test_appends_to_a_stream_are_all_or_none_and_read_back_in_batches(url, tmp_path):
    stream = accord.Log.open(url, stream=fresh_stream())
    file = accord.Log.open(tmp_path / "log.jsonl")
    drafts = [{"type": "party.joined", "occurred": "2021-01-01T00:00:00Z",
               "id": str(uuid.UUID(int=n + 1)),
               "data": {"party": f"P{n}", "name": f"Party {n}", "role": "party"}}
              for n in range(2500)]
    for log in (stream, file):
        assert log.append(drafts[:1500], expect_seq=0)["events"] == 1500
        with pytest.raises(accord.AccordError) as refused:
            log.append(drafts[1500:], expect_seq=7)
        assert refused.value.rule == "append.expect_seq"
        assert log.append(drafts[1500:], expect_seq=1500)["events"] == 2500
    # Recorded times differ between the two; everything else is the same.
    def without_times(events):
        return [{k: v for k, v in e.items() if k not in ("recorded", "prev")} for e in events]
    streamed = list(stream.events())
    assert len(streamed) == 2500
    assert without_times(streamed) == without_times(file.events())
    assert stream.verify()["events"] == 2500
    assert len(stream.to_pandas()) == 2500


def test_opening_a_stream_checks_the_database(url):
    with pytest.raises(ValueError, match="a stream belongs to a postgres:// log"):
        accord.Log.open(ROOT / "events" / "karabakh.jsonl", stream="main")
    without_schema = url.rsplit("/", 1)[0] + "/postgres"
    with pytest.raises((accord.AccordError, OSError)) as refused:
        accord.Log.open(without_schema, stream="main")
    assert "db init" in str(refused.value)
