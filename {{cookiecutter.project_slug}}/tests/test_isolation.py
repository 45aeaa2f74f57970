"""Each test's writes vanish afterwards, even when the code under test commits.

pytest runs these in file order: the first test commits, fails, rolls back and
commits again; the second checks that nothing of it is left.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }}.errors import DuplicateError
from {{ cookiecutter.package_name }}.infra.database import get_session
from {{ cookiecutter.package_name }}.models import User
from {{ cookiecutter.package_name }}.repositories.user_repository import (
    UserRepository,
)


def user(name: str) -> User:
    return User(username=name, email=f"{name}@example.com", password_hash="x")


def test_code_under_test_commits_and_rolls_back(db_session: Session) -> None:
    with get_session() as session:
        UserRepository(session).create("leak-a", "leak-a@example.com", "pw")
    with pytest.raises(DuplicateError), get_session() as session:
        UserRepository(session).create("leak-a", "leak-a@example.com", "pw")
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
    assert db_session.scalar(select(func.count()).select_from(User)) == 0
