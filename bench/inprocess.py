"""In-process measurements of one generated project on one database.

Run by benchmark.py as a subprocess, once per backend, from the generated
project's folder and with its ``src`` on ``sys.path``, so that the generated
package is imported exactly as the application would import it. Every figure
runs the generated code and its raw-driver counterpart in this one process,
interleaved (ours, raw, raw, ours, ...), each on a freshly emptied table, so
that machine noise hits both sides alike. Prints one JSON object on stdout:
{figure: {side: [seconds, ...]}} plus a few facts about what was measured.

    python bench/inprocess.py --package pkg --url URL [--reps 5] [--figures insert,update,page,roundtrip]
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: The figures this module knows, in the order they run.
FIGURES = ("insert", "update", "page", "roundtrip", "getbyid")
COLUMNS = (
    "username",
    "email",
    "password_hash",
    "active",
    "created_at",
    "updated_at",
    "username_key",  # the usernames here are their own normalised form
)
#: An Argon2id hash as security.hash_password() makes it: the realistic length.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$" + "h" * 43


def make_rows(count: int) -> list[dict[str, Any]]:
    """`count` distinct users, as `UserRepository.bulk_create` takes them."""
    return [
        {
            "username": f"user{i:07d}",
            "email": f"user{i:07d}@example.com",
            "password_hash": PASSWORD_HASH,
            "active": True,
        }
        for i in range(count)
    ]


class Raw:
    """The raw DB-API driver on its own connection, and the table chores."""

    def __init__(self, url: Any) -> None:
        self.backend = url.get_backend_name()
        self.driver = url.get_driver_name()
        if self.backend == "sqlite":
            import sqlite3

            self.conn = sqlite3.connect(url.database, isolation_level=None)
            # The same per-connection setting as the generated engine.
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.mark = "?"
        elif self.backend == "postgresql":
            # The driver the project's URL names: psycopg (3) or psycopg2.
            driver = importlib.import_module(self.driver)
            self.conn = driver.connect(
                host=url.host,
                port=url.port or 5432,
                user=url.username,
                password=url.password or "",
                dbname=url.database,
            )
            self.mark = "%s"
        elif self.backend in ("mysql", "mariadb"):
            import pymysql

            self.conn = pymysql.connect(
                host=url.host,
                port=url.port or 3306,
                user=url.username,
                password=url.password or "",
                database=url.database,
                charset="utf8mb4",
            )
            self.mark = "%s"
        else:
            raise SystemExit(f"no raw driver for {self.backend}")
        marks = ", ".join([self.mark] * len(COLUMNS))
        self.insert_sql = f"INSERT INTO users ({', '.join(COLUMNS)}) VALUES ({marks})"

    # -- transactions, the same way on every driver --------------------------
    def begin(self) -> Any:
        cur = self.conn.cursor()
        if self.backend == "sqlite":
            cur.execute("BEGIN")
        return cur

    def commit(self) -> None:
        if self.backend == "sqlite":
            self.conn.execute("COMMIT")
        else:
            self.conn.commit()

    def run(self, sql: str) -> None:
        cur = self.begin()
        cur.execute(sql)
        self.commit()

    # -- table chores (never timed) ------------------------------------------
    def truncate(self) -> None:
        if self.backend == "postgresql":
            self.run("TRUNCATE users, profiles RESTART IDENTITY")
        elif self.backend == "sqlite":
            cur = self.begin()
            cur.execute("DELETE FROM profiles")
            cur.execute("DELETE FROM users")
            self.commit()
        else:
            cur = self.conn.cursor()
            cur.execute("SET FOREIGN_KEY_CHECKS = 0")
            cur.execute("TRUNCATE TABLE profiles")
            cur.execute("TRUNCATE TABLE users")
            cur.execute("SET FOREIGN_KEY_CHECKS = 1")
            self.conn.commit()

    def settle(self) -> None:
        """Statistics and visibility up to date, so no side pays for the other's load."""
        if self.backend == "postgresql":
            self.conn.commit()
            self.conn.autocommit = True
            self.conn.cursor().execute("VACUUM (ANALYZE) users")
            self.conn.autocommit = False
        elif self.backend == "sqlite":
            self.conn.execute("ANALYZE")
        else:
            cur = self.conn.cursor()
            cur.execute("ANALYZE TABLE users")
            cur.fetchall()
            self.conn.commit()

    def count(self, where: str = "") -> int:
        cur = self.begin()
        cur.execute(f"SELECT COUNT(*) FROM users {where}")
        (value,) = cur.fetchone()
        self.commit()
        return int(value)

    def seed(self, rows: list[dict[str, Any]]) -> None:
        """Insert `rows` once and keep a copy in `users_seed`, for `load()`."""
        self.truncate()
        self.executemany(rows)
        self.run("DROP TABLE IF EXISTS users_seed")
        self.run("CREATE TABLE users_seed AS SELECT * FROM users")

    def load(self) -> None:
        """Refill the table from `users_seed`, on the server (untimed)."""
        self.truncate()
        self.run("INSERT INTO users SELECT * FROM users_seed")
        self.settle()

    # -- the timed raw paths --------------------------------------------------
    def params(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        now: Any = datetime.now(UTC)
        if self.backend != "postgresql":
            # UTC without a zone, as UTCDateTime stores it; timestamptz takes the zone.
            now = now.replace(tzinfo=None)
        if self.backend == "sqlite":
            # SQLAlchemy's storage format for DateTime on SQLite.
            now = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        return [
            (
                r["username"],
                r["email"],
                r["password_hash"],
                r.get("active", True),
                now,
                now,
                r["username"],
            )
            for r in rows
        ]

    def executemany(self, rows: list[dict[str, Any]]) -> None:
        cur = self.begin()
        if self.driver == "psycopg2":
            # psycopg2's executemany sends a statement per row; execute_values
            # is its batch insert (multi-row VALUES, 1,000 rows a statement).
            from psycopg2.extras import execute_values

            values_sql = self.insert_sql.split(" VALUES ")[0] + " VALUES %s"
            execute_values(cur, values_sql, self.params(rows), page_size=1000)
        else:
            cur.executemany(self.insert_sql, self.params(rows))
        self.commit()

    def copy(self, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL's COPY FROM STDIN: psycopg 3's `Cursor.copy`, or
        psycopg2's `copy_expert` reading the rows as text (the benchmark's
        values need no escaping)."""
        cur = self.conn.cursor()
        sql = f"COPY users ({', '.join(COLUMNS)}) FROM STDIN"
        if self.driver == "psycopg2":
            text = "".join("\t".join(map(str, row)) + "\n" for row in self.params(rows))
            cur.copy_expert(sql, io.StringIO(text))
        else:
            with cur.copy(sql) as copy:
                for row in self.params(rows):
                    copy.write_row(row)
        self.conn.commit()

    def update_all(self, active: bool) -> int:
        cur = self.begin()
        cur.execute(f"UPDATE users SET active = {self.mark}", (active,))
        changed = cur.rowcount
        self.commit()
        return changed

    def update_like_set_active(self, active: bool) -> int:
        now = self.params([{"username": "", "email": "", "password_hash": ""}])[0][4]
        cur = self.begin()
        m = self.mark
        cur.execute(
            f"UPDATE users SET active = {m}, version = version + 1, updated_at = {m}"
            f" WHERE active != {m}",
            (active, now, active),
        )
        changed = cur.rowcount
        self.commit()
        return changed

    def select_one_in_transactions(self, count: int) -> None:
        """`SELECT 1` and COMMIT, `count` times: a transaction per call, as a session has."""
        cur = self.conn.cursor()
        for _ in range(count):
            if self.backend == "sqlite":
                cur.execute("BEGIN")
            cur.execute("SELECT 1")
            cur.fetchone()
            self.commit()

    def get_by_id(self, ids: list[int]) -> None:
        """A transaction per id, as a unit of work has: BEGIN, the row, COMMIT."""
        cur = self.conn.cursor()
        sql = f"SELECT {', '.join(COLUMNS)} FROM users WHERE id = {self.mark}"
        for user_id in ids:
            if self.backend == "sqlite":
                cur.execute("BEGIN")
            cur.execute(sql, (user_id,))
            if cur.fetchone() is None:
                raise SystemExit(f"raw: no user {user_id}")
            self.commit()

    def select_one(self, count: int) -> None:
        """`SELECT 1` `count` times on this one reused connection, in autocommit."""
        if self.backend == "postgresql":
            self.conn.autocommit = True
        elif self.backend != "sqlite":
            self.conn.autocommit(True)
        cur = self.conn.cursor()
        try:
            for _ in range(count):
                cur.execute("SELECT 1")
                cur.fetchone()
        finally:
            if self.backend == "postgresql":
                self.conn.autocommit = False
            elif self.backend != "sqlite":
                self.conn.autocommit(False)


def timed(func: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def timed_sides(
    calls: dict[str, Callable[[], object]],
) -> dict[str, Callable[[], float]]:
    """Each call, as a side that returns how long it took."""
    return {name: (lambda call=call: timed(call)) for name, call in calls.items()}


def interleave(
    sides: dict[str, Callable[[], float]],
    reps: int,
    results: dict[str, list[float]],
    warm_up: dict[str, Callable[[], float]] | None = None,
) -> None:
    """Run every side once as a warm-up (not counted), then `reps` rounds,
    alternating the order (A B, B A, ...).

    Each side returns its own elapsed time, so that it can leave its set-up
    (emptying or refilling the table) untimed. `warm_up` may give cheaper
    stand-ins (fewer rows) that run the same code paths.
    """
    names = list(sides)
    for name in names:
        (warm_up or sides)[name]()
    for rep in range(reps):
        order = names if rep % 2 == 0 else names[::-1]
        for name in order:
            results.setdefault(name, []).append(sides[name]())


class App:
    """The parts of one generated package that the figures use."""

    def __init__(self, package: str) -> None:
        self.database = importlib.import_module(f"{package}.infra.database")
        self.models = importlib.import_module(f"{package}.models")
        repositories = importlib.import_module(
            f"{package}.repositories.user_repository"
        )
        self.get_session = self.database.get_session
        self.UserRepository = repositories.UserRepository
        self.User = self.models.User

    def bulk_create(self, data: list[dict[str, Any]]) -> None:
        with self.get_session() as session:
            self.UserRepository(session).bulk_create(data)

    def add_all(self, data: list[dict[str, Any]]) -> None:
        # The ORM's unit of work: one object per row, flushed at commit.
        User = self.User
        with self.get_session() as session:
            session.add_all(
                [
                    User(
                        username=r["username"],
                        email=r["email"],
                        password_hash=r["password_hash"],
                        active=r["active"],
                    )
                    for r in data
                ]
            )

    def set_active(self, active: bool) -> int:
        with self.get_session() as session:
            return int(self.UserRepository(session).set_active(active))

    def get_by_id(self, ids: list[int]) -> None:
        for user_id in ids:
            with self.get_session() as session:
                if self.UserRepository(session).get(user_id) is None:
                    raise SystemExit(f"ours: no user {user_id}")

    def select_one(self, count: int) -> None:
        from sqlalchemy import select

        get_session = self.get_session
        for _ in range(count):
            with get_session() as session:
                session.execute(select(1)).scalar()


class Peer:
    """advanced-alchemy's sync repository on the same model, tables and server,
    with an engine as its users make one (`create_engine(url)`: no pre-ping,
    no event listeners), in a unit of work per call."""

    def __init__(self, app: App, url: str) -> None:
        from advanced_alchemy.filters import LimitOffset
        from advanced_alchemy.repository import SQLAlchemySyncRepository
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        class Users(SQLAlchemySyncRepository[app.User]):
            model_type = app.User

        self.Users = Users
        self.LimitOffset = LimitOffset
        self.User = app.User
        self.engine = create_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def add_many(self, data: list[dict[str, Any]]) -> None:
        User = self.User
        with self.sessions.begin() as session:
            self.Users(session=session).add_many(
                [
                    User(
                        username=r["username"],
                        username_key=r["username"],
                        email=r["email"],
                        password_hash=r["password_hash"],
                        active=r["active"],
                    )
                    for r in data
                ]
            )

    def offset_page(self, offset: int, limit: int) -> list[Any]:
        with self.sessions.begin() as session:
            return list(
                self.Users(session=session).list(
                    self.LimitOffset(limit=limit, offset=offset),
                    order_by=[(self.User.id, False)],
                )
            )

    def get_by_id(self, ids: list[int]) -> None:
        for user_id in ids:
            with self.sessions.begin() as session:
                self.Users(session=session).get(user_id)

    def dispose(self) -> None:
        self.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--package", required=True, help="the generated package's import name"
    )
    parser.add_argument(
        "--url", required=True, help="SQLAlchemy URL of an empty database"
    )
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--roundtrips", type=int, default=10_000)
    parser.add_argument(
        "--page-calls",
        type=int,
        default=20,
        help="calls averaged per pagination sample",
    )
    parser.add_argument(
        "--getbyid-calls", type=int, default=2000, help="units of work per sample"
    )
    parser.add_argument("--figures", default=",".join(FIGURES))
    parser.add_argument(
        "--add-all-reps", type=int, default=None, help="default: min(reps, 3)"
    )
    parser.add_argument(
        "--patched",
        metavar="PACKAGE:SRC",
        help="also time a patched copy of the package (another import name, in SRC), "
        "interleaved with the others as side 'patched'",
    )
    args = parser.parse_args()
    figures = [f for f in args.figures.split(",") if f]

    # The application reads DATABASE_URL through its own settings.
    os.environ["DATABASE_URL"] = args.url
    sys.path.insert(0, str(Path.cwd() / "src"))
    app = App(args.package)
    patched = None
    if args.patched:
        package, _, src = args.patched.partition(":")
        sys.path.insert(0, src)
        patched = App(package)

    try:
        peer: Peer | None = Peer(app, args.url)
    except ImportError:  # the benchmark's environment lacks it: no peer rows
        peer = None
    engine = app.database.get_engine()
    app.models.Base.metadata.drop_all(engine)
    app.models.Base.metadata.create_all(engine)
    raw = Raw(engine.url)
    rows = make_rows(args.rows)
    out: dict[str, Any] = {
        "backend": raw.backend,
        "driver": raw.driver,
        "rows": args.rows,
    }

    def checked(expected: int) -> None:
        found = raw.count()
        if found != expected:
            raise SystemExit(f"expected {expected} rows, found {found}")

    # -- 3. bulk insert --------------------------------------------------------
    if "insert" in figures:
        # The warm-up runs the same paths on a tenth of the rows.
        warm_rows = rows[: max(1, len(rows) // 10)]

        def insert_side(
            insert: Callable[[list[dict[str, Any]]], object],
        ) -> Callable[..., float]:
            def side(data: list[dict[str, Any]] = rows) -> float:
                raw.truncate()
                elapsed = timed(lambda: insert(data))
                checked(len(data))
                return elapsed

            return side

        sides = {
            "ours": insert_side(app.bulk_create),
            "executemany": insert_side(raw.executemany),
        }
        if raw.backend == "postgresql":
            sides["copy"] = insert_side(raw.copy)
        if patched:
            sides["patched"] = insert_side(patched.bulk_create)
        results: dict[str, list[float]] = {}
        interleave(
            sides,
            args.reps,
            results,
            {k: (lambda f=f: f(warm_rows)) for k, f in sides.items()},
        )
        add_reps = (
            args.add_all_reps if args.add_all_reps is not None else min(args.reps, 3)
        )
        if add_reps > 0:
            slow = {"add_all": insert_side(app.add_all)}
            if peer:
                slow["peer"] = insert_side(peer.add_many)
            interleave(
                slow,
                add_reps,
                results,
                {k: (lambda f=f: f(warm_rows)) for k, f in slow.items()},
            )
        out["insert"] = results

    if "update" in figures or "page" in figures:
        raw.seed(rows)

    # -- 4. bulk update --------------------------------------------------------
    if "update" in figures:

        def update_side(
            update: Callable[[bool], int], name: str
        ) -> Callable[[], float]:
            def side() -> float:
                raw.load()
                changed: list[int] = []
                elapsed = timed(lambda: changed.append(update(False)))
                if changed != [len(rows)] or raw.count("WHERE active = TRUE") != 0:
                    raise SystemExit(f"{name} changed {changed} rows")
                return elapsed

            return side

        sides = {
            "ours": update_side(app.set_active, "set_active"),
            "raw": update_side(raw.update_all, "raw UPDATE"),
            # What set_active sends: the version and updated_at too (onupdate), and
            # only rows that change.
            "raw_same": update_side(raw.update_like_set_active, "raw UPDATE"),
        }
        if patched:
            sides["patched"] = update_side(patched.set_active, "patched set_active")
        results = {}
        interleave(sides, args.reps, results)
        out["update"] = results

    # -- 5. pagination ---------------------------------------------------------
    if "page" in figures:
        per_page = 20
        depth = min(90_000, args.rows - per_page)
        raw.load()
        cur = raw.begin()
        cur.execute(f"SELECT id FROM users ORDER BY id LIMIT 1 OFFSET {depth - 1}")
        (after_id,) = cur.fetchone()
        raw.commit()
        deep_page = depth // per_page + 1

        def pages(
            call: Callable[[Any], list[Any]], expect_first: str
        ) -> Callable[[], float]:
            def side() -> float:
                gc.collect()
                start = time.perf_counter()
                for _ in range(args.page_calls):
                    with app.get_session() as session:
                        found = call(app.UserRepository(session))
                elapsed = (time.perf_counter() - start) / args.page_calls
                if len(found) != per_page or found[0].username != expect_first:
                    raise SystemExit(f"wrong page: {found[:1]}")
                return elapsed

            return side

        first = rows[0]["username"]
        deep = rows[depth]["username"]
        sides = {
            "offset_first": pages(lambda r: r.list_page(1, per_page), first),
            "offset_deep": pages(lambda r: r.list_page(deep_page, per_page), deep),
            "keyset_first": pages(lambda r: r.list_after(None, per_page), first),
            "keyset_deep": pages(lambda r: r.list_after(after_id, per_page), deep),
        }
        if peer:

            def peer_page() -> float:
                gc.collect()
                start = time.perf_counter()
                for _ in range(args.page_calls):
                    found = peer.offset_page(depth, per_page)
                elapsed = (time.perf_counter() - start) / args.page_calls
                if len(found) != per_page or found[0].username != deep:
                    raise SystemExit(f"peer: wrong page: {found[:1]}")
                return elapsed

            sides["peer_offset_deep"] = peer_page
        results = {}
        interleave(sides, args.reps, results)
        out["page"] = results
        out["page_depth"] = depth

    # -- 6. round trip ---------------------------------------------------------
    if "roundtrip" in figures:
        count = args.roundtrips
        calls = {
            "ours": lambda: app.select_one(count),
            "raw": lambda: raw.select_one(count),
            "raw_tx": lambda: raw.select_one_in_transactions(count),
        }
        if patched:
            calls["patched"] = lambda: patched.select_one(count)
        sides = timed_sides(calls)
        results = {}
        interleave(sides, args.reps, results)
        out["roundtrip"] = results
        out["roundtrips"] = count

    # -- 6c. get by id, a unit of work each -----------------------------------
    if "getbyid" in figures:
        if "update" not in figures and "page" not in figures:
            raw.seed(rows)
        raw.load()
        cur = raw.begin()
        cur.execute("SELECT id FROM users ORDER BY id")
        all_ids = [row[0] for row in cur.fetchall()]
        raw.commit()
        step = max(1, len(all_ids) // args.getbyid_calls)
        ids = all_ids[::step][: args.getbyid_calls]
        calls = {
            "ours": lambda: app.get_by_id(ids),
            "raw": lambda: raw.get_by_id(ids),
        }
        if peer:
            calls["peer"] = lambda: peer.get_by_id(ids)
        sides = timed_sides(calls)
        results = {}
        interleave(sides, args.reps, results)
        out["getbyid"] = results
        out["getbyid_calls"] = len(ids)

    raw.truncate()
    raw.run("DROP TABLE IF EXISTS users_seed")
    raw.conn.close()
    app.database.dispose_engine()
    if peer:
        peer.dispose()
    if patched:
        patched.database.dispose_engine()
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
