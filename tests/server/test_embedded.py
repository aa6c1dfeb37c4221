"""The embedded database's own plumbing: a database that stops answering is found, described
and replaced (what the suite's `database_answers` check relies on)."""

import os
import signal

from server.embedded import EmbeddedMongo, free_port


def test_a_database_that_stops_answering_is_found_and_restarted(tmp_path):
    db = EmbeddedMongo(tmp_path / "db", free_port())
    db.start()
    try:
        assert db.answers(timeout=10)
        assert db.process is not None
        frozen = db.process.pid
        os.kill(frozen, signal.SIGSTOP)
        assert not db.answers(timeout=1)
        report = db.post_mortem(local_values=False)
        assert f"secantusd pid {frozen}, port {db.port}" in report
        db.restart()
        assert db.process is not None and db.process.pid != frozen
        assert db.answers(timeout=10)
    finally:
        db.stop()
