"""Two workers running the same re-tier run, the same pool recycling, the same import: the
work is done once. Each worker is a Kehu process of its own (child.py) on a database of the
test's own (conftest.py): a SQLite file, or PostgreSQL when DATABASE_URL points at it.

The first worker stops at a chosen point (after its claim or its read) while the second one
runs, so the two overlap every time rather than when the scheduler happens to interleave
them."""

import time


def test_two_workers_on_the_same_retier_run_score_and_propose_once(database):
    first = database.start("start_and_execute_run", pause="retier.evaluate")
    first.paused()  # claimed, scoring
    second = database.run("execute_active_run")
    assert second["status"] == "running"  # it left the run to the first worker
    assert second["state"]["scored"] == 0 and second["state"]["runs"][0]["proposals"] == 0
    done = first.resume()
    (run,) = done["state"]["runs"]
    assert (run["pk"], run["status"]) == (done["run"], "done")
    assert run["proposals"] > 0
    assert done["state"]["score_runs"] == [run["pk"]]


def test_two_workers_recycling_the_pool_release_each_customer_once(database):
    first = database.start("recycle", pause="recycle.read")
    first.paused()  # has read who is due (everyone: untouched for 200 days)
    second = database.run("recycle")
    customers = second["state"]["customers"]
    assert second["released"] == customers
    late = first.resume()
    assert late["released"] == 0  # its customers were released meanwhile
    state = late["state"]
    assert state["pooled"] == state["releases"] == state["release_audits"] == customers
    assert state["notifications"] == 3  # one per owner who lost customers
    assert state["owned"] == 0


def test_two_workers_recycling_at_once_release_each_customer_once(database):
    """Both have read the same customers; the first is inside its transaction, written but
    not committed, when the second writes: on PostgreSQL the second waits for the rows' locks
    and finds them released, on SQLite it waits for the one writer."""
    first = database.start("recycle", pause="recycle.written")
    second = database.start("recycle", pause="recycle.read")
    first.paused()
    second.paused()
    second.go.touch()  # on to its UPDATE, which waits for the first's transaction
    time.sleep(0.3)  # (how far it got does not change the outcome)
    results = [first.resume(), second.result()]
    assert sorted(r["released"] for r in results) == [0, results[0]["state"]["customers"]]
    state = database.run("state")
    assert state["pooled"] == state["releases"] == state["release_audits"] == state["customers"]
    assert state["notifications"] == 3


def test_two_workers_on_the_same_import_write_its_rows_once(database):
    batch, rows = database.seeded["queued_batch"], database.seeded["import_rows"]
    before = database.run("state")
    first = database.start("execute_import", batch, pause="import.analyse")
    first.paused()  # claimed, matching the rows
    second = database.run("execute_import", batch)
    assert second["status"] == "running"
    assert second["state"]["customers"] == before["customers"]
    done = first.resume()
    assert done["status"] == "done"
    assert done["state"]["batches"][str(batch)] == {"status": "done", "records": rows}
    assert done["state"]["customers"] == before["customers"] + rows
    assert sum(n.startswith("乙批") for n in done["state"]["names"]) == rows
