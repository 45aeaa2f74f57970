"""A workload the server-restart tests run inside a generated project.

Run with the project's src/ on PYTHONPATH and its DB_* settings in the
environment:  python fault_workload.py PACKAGE MODE [OPERATIONS]

MODE "restart": OPERATIONS operations (even: make sure user op-N exists;
odd: count users) through execute_with_retry with a budget that outlasts a
restart. It prints "warm" once the pool is in use, so the caller can restart
the server, then one JSON line with what happened.
MODE "budget": one operation with a small retry budget, against a server the
caller has stopped; prints one JSON line with the error.
MODE "frozen": one `SELECT 1` unit of work after the pool is warm; prints
"warm", waits for a line on stdin (the caller freezes the server first), then
prints one JSON line: how long the call took and its error, if any.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from functools import partial
from typing import Any

from argon2 import PasswordHasher, profiles
from sqlalchemy import event, func, select


def main(package: str, mode: str, operations: int) -> dict[str, Any]:
    database = importlib.import_module(f"{package}.infra.database")
    errors = importlib.import_module(f"{package}.errors")
    repositories = importlib.import_module(f"{package}.repositories.user_repository")
    models = importlib.import_module(f"{package}.models")
    security = importlib.import_module(f"{package}.security")
    # Cheap hashing, as in the project's own tests: the point here is the database.
    security.password_hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    engine = database.get_engine()
    invalidated, connected = [0], [0]
    event.listen(
        engine.pool,
        "invalidate",
        lambda *_: invalidated.__setitem__(0, invalidated[0] + 1),
    )
    event.listen(
        engine.pool, "connect", lambda *_: connected.__setitem__(0, connected[0] + 1)
    )

    attempts: dict[int, int] = {}
    unknown_outcomes = [0]

    def operation(number: int) -> None:
        attempts[number] = attempts.get(number, 0) + 1
        with database.get_session() as session:
            repository = repositories.UserRepository(session)
            if number % 2:
                repository.count()
                return
            name = f"op-{number}"
            if repository.get_by_username(name) is None:
                repository.create(name, f"{name}@example.com", "password")

    if mode == "frozen":
        with database.get_session() as session:
            session.execute(select(1))
        print("warm", flush=True)
        sys.stdin.readline()
        started = time.perf_counter()
        try:
            with database.get_session() as session:
                session.execute(select(1))
        except errors.DataLayerError as error:
            return {"error": str(error), "seconds": time.perf_counter() - started}
        return {"error": None, "seconds": time.perf_counter() - started}

    if mode == "budget":
        started = time.perf_counter()
        try:
            database.execute_with_retry(lambda: operation(0), max_retries=3, delay=0.2)
        except errors.DatabaseConnectionError as error:
            return {
                "error": str(error),
                "seconds": time.perf_counter() - started,
                "attempts": attempts[0],
            }
        return {"error": None}

    # Fill the pool with several idle connections: the restart kills them all.
    warm = [engine.connect() for _ in range(5)]
    for connection in warm:
        connection.execute(select(1))
        connection.close()
    for number in range(operations):
        if number == 20:
            connected[0] = 0
            print("warm", flush=True)
            time.sleep(0.5)  # give the caller time to start the restart
        try:
            database.execute_with_retry(
                partial(operation, number), max_retries=12, delay=0.25
            )
        except errors.CommitOutcomeUnknownError:
            # The connection died while COMMIT was on its way. The operation
            # looks its row up before writing, so running it again resolves
            # the outcome: it writes only if the first COMMIT was lost.
            unknown_outcomes[0] += 1
            database.execute_with_retry(
                partial(operation, number), max_retries=12, delay=0.25
            )
    during_workload = invalidated[0]
    reconnected = connected[0]

    # Every idle connection the pool kept must be alive: check all of them out
    # at once; the liveness check would have to replace any dead one (an
    # invalidation).
    invalidated[0] = 0
    idle = database.get_pool_status()["checked_in"]
    connections = [engine.connect() for _ in range(idle)]
    alive = sum(c.execute(select(1)).scalar_one() for c in connections)
    for connection in connections:
        connection.close()
    with database.get_session() as session:
        names = session.scalars(
            select(models.User.username).where(models.User.username.like("op-%"))
        ).all()
        total = session.scalar(select(func.count()).select_from(models.User))
    return {
        "operations": operations,
        "attempts": sum(attempts.values()),
        "retried": sum(1 for n in attempts.values() if n > 1),
        "unknown_outcomes": unknown_outcomes[0],
        "invalidated_during_workload": during_workload,
        "reconnected": reconnected,
        "idle_checked": idle,
        "idle_alive": alive,
        "invalidated_after": invalidated[0],
        "names": sorted(names),
        "users": total,
        "pool": database.get_pool_status(),
    }


if __name__ == "__main__":
    package, mode = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    print(json.dumps(main(package, mode, count)), flush=True)
