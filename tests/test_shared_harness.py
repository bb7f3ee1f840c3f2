"""The session's shared deployment (tests/harness/shared.py): waits that end, failures that name their cause."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.harness.shared import AppliedExample, SharedError, SharedSession, Waiting, alive, write_json


def session_with_keeper(tmp_path, script: str) -> tuple[SharedSession, subprocess.Popen]:
    """A shared session whose "keeper" is ``python -c script`` (what a test waits on is its pid)."""
    session = SharedSession(tmp_path / "shared", controller=0)
    keeper = subprocess.Popen([sys.executable, "-c", script])
    write_json(session.keeper_file, {"pid": keeper.pid})
    return session, keeper


def test_a_stack_is_waited_for_and_read_when_the_keeper_writes_it(tmp_path):
    session, keeper = session_with_keeper(tmp_path, "import time; time.sleep(30)")
    try:
        example = AppliedExample(session, "full")
        write_json(example.directory / "order.json", {"order": ["omero-full-state", "omero-full-network"]})
        write_json(
            example.directory / "stacks" / "omero-full-state.json",
            {"name": "omero-full-state", "ok": True, "outputs": {"state_bucket": "b"}, "addresses": ["aws_s3_bucket.b"]},
        )
        assert Waiting(example, "outputs")["omero-full-state"] == {"state_bucket": "b"}
        assert list(Waiting(example, "addresses")) == ["omero-full-state", "omero-full-network"]
        with pytest.raises(KeyError):
            example.result("omero-full-uploader")  # not a stack of this example: no wait
    finally:
        keeper.kill()
        keeper.wait()


def test_a_failed_stack_fails_with_the_keepers_message(tmp_path):
    session, keeper = session_with_keeper(tmp_path, "import time; time.sleep(30)")
    try:
        example = AppliedExample(session, "full")
        write_json(example.directory / "order.json", {"order": ["omero-full-network"]})
        failed = {
            "name": "omero-full-network",
            "ok": False,
            "action": "failed",
            "error": "terraform apply: Error: x",
            "replan": "",
        }
        write_json(example.directory / "stacks" / "omero-full-network.json", {**failed, "detail": "the end of its output"})
        with pytest.raises(SharedError, match="omero-full-network: failed terraform apply: Error: x\nthe end of its output"):
            example.result("omero-full-network")
    finally:
        keeper.kill()
        keeper.wait()


def test_a_keeper_that_ended_without_the_result_ends_the_wait(tmp_path):
    session, keeper = session_with_keeper(tmp_path, "print('the apply went wrong')")
    keeper.wait()
    (session.root / "keeper.log").write_text("the apply went wrong\n")
    with pytest.raises(SharedError, match=r"(?s)ended without it.*the apply went wrong"):
        session.wait_for(session.root / "full" / "order.json", "full: the synth", timeout=30)
    assert not alive(keeper.pid)


def test_what_the_keeper_could_not_do_is_the_message(tmp_path):
    session, keeper = session_with_keeper(tmp_path, "import time; time.sleep(30)")
    try:
        (session.root / "failed.txt").write_text("the shared emulator did not start: moto said no")
        with pytest.raises(SharedError, match="moto said no"):
            session.endpoint()
    finally:
        keeper.kill()
        keeper.wait()


def test_waits_are_bounded(tmp_path):
    session, keeper = session_with_keeper(tmp_path, "import time; time.sleep(30)")
    try:
        with pytest.raises(SharedError, match="not there after 1 s"):
            session.wait_for(session.root / "emulator.json", "the shared emulator", timeout=1)
        session.mark_finished("tests/test_a.py::test_one")
        with pytest.raises(SharedError, match=r"still running after 1 s: tests/test_b.py::test_two$"):
            session.wait_until_finished(["tests/test_a.py::test_one", "tests/test_b.py::test_two"], timeout=1)
        session.mark_finished("tests/test_b.py::test_two")
        session.wait_until_finished(["tests/test_a.py::test_one", "tests/test_b.py::test_two"], timeout=1)
    finally:
        keeper.kill()
        keeper.wait()
