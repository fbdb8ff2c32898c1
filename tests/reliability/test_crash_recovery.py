"""A process killed (SIGKILL) in the middle of an import, a merge, a re-tier and a target
decomposition: afterwards nothing of it is written, and the job runs again to the end.

Each test starts the operation in a Kehu process of its own (child.py) against a database of
the test's own (conftest.py: a SQLite file, or a PostgreSQL database when DATABASE_URL is set);
the child stops at a chosen point inside its transaction, the test kills it there, then looks
at the database and restarts the job from another process."""


def test_an_import_killed_half_way_writes_nothing_and_the_restarted_worker_runs_it(database):
    batch, rows = database.seeded["preview_batch"], database.seeded["import_rows"]
    before = database.run("state")
    child = database.start("commit_import", batch, pause="import.write")
    child.paused()  # every customer of the file inserted and audited, not committed
    child.kill()

    after_kill = database.run("state")
    assert after_kill["customers"] == before["customers"]
    assert after_kill["records"] == before["records"]
    assert not any(n.startswith("甲批") for n in after_kill["names"])
    # left running by a process that is gone
    assert after_kill["batches"][str(batch)]["status"] == "running"

    # `kehu worker` restarting finds it, queues it again and imports it, once
    restarted = database.run("worker", tasks_in_db=True)["state"]
    assert restarted["batches"][str(batch)] == {"status": "done", "records": rows}
    assert restarted["customers"] == before["customers"] + rows
    assert sum(n.startswith("甲批") for n in restarted["names"]) == rows
    again = database.run("worker", tasks_in_db=True)["state"]
    assert again["customers"] == restarted["customers"]


def test_a_merge_killed_half_way_leaves_both_customers_and_can_be_done_again(database):
    keep, drop = database.seeded["keep"], database.seeded["drop"]
    before = database.run("state")
    child = database.start("merge", keep, drop, pause="merge.moved")
    child.paused()  # the contacts moved to the kept customer, not committed
    child.kill()

    after_kill = database.run("state")
    for key in ("customers", "contacts", "amounts", "versions", "merges"):
        assert after_kill[key] == before[key], key

    done = database.run("merge", keep, drop)["state"]
    assert done["customers"] == before["customers"] - 1
    assert str(drop) not in done["amounts"]
    assert done["contacts"][str(keep)] == 3  # its own and the two of the dropped customer
    amount = float(before["amounts"][str(keep)]) + float(before["amounts"][str(drop)])
    assert float(done["amounts"][str(keep)]) == amount
    assert done["merges"] == 1


def test_a_retier_killed_half_way_is_failed_by_the_next_run_which_completes(database):
    child = database.start("retier", pause="retier.scores")
    child.paused()  # every score written inside the run's transaction, no proposal yet
    child.kill()

    after_kill = database.run("state")
    (dead,) = after_kill["runs"]
    assert (dead["status"], dead["active"]) == ("running", True)  # nobody will finish it
    assert after_kill["scored"] == 0 and after_kill["score_runs"] == []
    assert dead["proposals"] == 0

    # the next run sees that its process is gone (no 30-minute wait) and starts
    done = database.run("retier")
    state = done["state"]
    first, second = state["runs"]
    assert first["pk"] == dead["pk"]
    assert (first["status"], first["active"], first["proposals"]) == ("failed", None, 0)
    assert "process" in first["error"]
    assert (second["pk"], second["status"]) == (done["run"], "done")
    assert second["proposals"] > 0
    assert state["scored"] == state["customers"]
    assert state["score_runs"] == [second["pk"]]  # no customer is left scored by the dead run


def test_a_decomposition_killed_half_way_writes_no_part_and_runs_again(database):
    target = database.seeded["target"]
    before = database.run("state")
    child = database.start("decompose", target, pause="decompose.half")
    child.paused()  # two of the four quarters written and logged, not committed
    child.kill()

    after_kill = database.run("state")
    assert after_kill["targets"] == before["targets"]
    assert after_kill["target_changes"] == before["target_changes"]

    done = database.run("decompose", target)
    assert done["parts"] == ["300000.00"] * 4
    assert done["state"]["targets"] == before["targets"] + 4
    assert done["state"]["target_changes"] == before["target_changes"] + 4
