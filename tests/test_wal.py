"""SQLite's write-ahead log stays small: past a size it is checkpointed with TRUNCATE, back to 0 bytes."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import text

from crisisplan.store.db import Database

MB = 1024 * 1024


def wal(path: Path) -> int:
    return os.path.getsize(f"{path}-wal") if os.path.exists(f"{path}-wal") else 0


def fill(db: Database, megabytes: int) -> None:
    for _ in range(megabytes):
        with db.write() as session:
            session.execute(text("INSERT INTO filler (x) VALUES (randomblob(:n))"), {"n": MB})


def test_a_wal_held_open_by_a_reader_is_truncated_once_it_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.wal_limit = 2 * MB
    with db.write() as session:
        session.execute(text("CREATE TABLE filler (x BLOB)"))
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM filler").fetchone()  # a long read: no checkpoint can finish meanwhile
    fill(db, 8)
    time.sleep(1.2)  # two rounds of the checkpointer, both held back by the reader
    assert wal(path) >= 8 * MB
    reader.execute("COMMIT")
    reader.close()
    deadline = time.monotonic() + 10
    while wal(path) > 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert wal(path) == 0
    with db.read() as session:  # nothing lost on the way back into the database file
        assert session.execute(text("SELECT count(*) FROM filler")).scalar() == 8
    db.dispose()


def test_under_steady_reads_and_writes_the_wal_stays_near_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.wal_limit = 2 * MB
    with db.write() as session:
        session.execute(text("CREATE TABLE filler (x BLOB)"))
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            with db.read() as session:
                session.execute(text("SELECT count(*) FROM filler")).scalar()

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    largest = 0
    try:
        for _ in range(40):  # 40 MB written in 256 KB commits while two threads read without pause
            for _ in range(4):
                with db.write() as session:
                    session.execute(text("INSERT INTO filler (x) VALUES (randomblob(:n))"), {"n": MB // 4})
            largest = max(largest, wal(path))
            time.sleep(0.05)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    # the limit, plus what arrives in the half second between two rounds of the checkpointer
    assert largest < 12 * MB, largest
    db.dispose()
