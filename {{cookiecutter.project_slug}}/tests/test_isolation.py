"""Each test's writes vanish afterwards, even when the code under test commits
or goes around the fixtures.

pytest runs these in file order: a test writes, a later one checks that
nothing of it is left.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }}.errors import DuplicateError
from {{ cookiecutter.package_name }}.infra.database import (
    get_engine,
    get_session,
    get_session_maker,
)
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.repositories.user_repository import (
    UserRepository,
)


def user(name: str) -> User:
    return User(username=name, email=f"{name}@example.com", password_hash="x")


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def test_code_under_test_commits_and_rolls_back(db_session: Session) -> None:
    with get_session() as session:
        UserRepository(session).create("leak-a", "leak-a@example.com", "password")
    with pytest.raises(DuplicateError), get_session() as session:
        UserRepository(session).create("leak-a", "leak-a@example.com", "password")
    db_session.add(user("leak-b"))
    db_session.commit()
    db_session.add(user("leak-b"))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()
    db_session.add(user("leak-c"))
    db_session.commit()
    usernames = db_session.scalars(select(User.username).order_by(User.username)).all()
    assert usernames == ["leak-a", "leak-b", "leak-c"]


def test_nothing_leaked_from_the_previous_test(db_session: Session) -> None:
    assert count_users(db_session) == 0


def test_the_application_engine_cannot_commit_around_the_fixtures(
    db_session: Session,
) -> None:
    with (
        pytest.raises(RuntimeError, match="use the db_session fixture"),
        get_engine().begin() as connection,
    ):
        connection.execute(select(1))
    with Session(get_engine()) as session:
        session.add(user("around"))
        with pytest.raises(RuntimeError, match="committing_engine"):
            session.commit()
    assert count_users(db_session) == 0


def test_sessions_without_a_database_fixture_refuse_to_connect() -> None:
    with (
        pytest.raises(RuntimeError, match="use the db_session fixture"),
        get_session() as session,
    ):
        session.add(user("nowhere"))
    with pytest.raises(RuntimeError, match="use the db_session fixture"):
        get_session_maker()().execute(select(1))


def test_sessions_from_other_threads_are_refused(db_session: Session) -> None:
    errors: list[str] = []

    def work() -> None:
        try:
            with get_session() as session:
                session.add(user("threaded"))
        except RuntimeError as error:
            errors.append(str(error))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert len(errors) == 1
    assert "committing_engine" in errors[0]
    assert count_users(db_session) == 0  # the test's own session still works


def test_committing_engine_commits_for_real(committing_engine: Engine) -> None:
    with get_session() as session:
        UserRepository(session).create("real", "real@example.com", "password")
    with Session(committing_engine) as other:  # another connection sees it
        assert count_users(other) == 1


def test_committing_engine_empties_the_tables_afterwards(db_session: Session) -> None:
    assert count_users(db_session) == 0
