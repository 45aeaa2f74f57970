{%- set db = cookiecutter | backend -%}
{%- set mssql = cookiecutter.database_backend == "mssql" -%}
"""UserRepository: CRUD, duplicates, safe searching, pagination, eager and bulk work."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Literal

import pytest
from argon2 import PasswordHasher, extract_parameters, profiles
from sqlalchemy import URL, ClauseElement, Connection, event, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from {{ cookiecutter.package_name }} import security
from {{ cookiecutter.package_name }}.errors import (
    DuplicateError,
    ValidationError,
)
from {{ cookiecutter.package_name }}.models import Profile, User
from {{ cookiecutter.package_name }}.repositories import user_repository
from {{ cookiecutter.package_name }}.repositories.user_repository import (
    MAX_IDS_PER_STATEMENT,
    MAX_PAGE_SIZE,
    NewUser,
    UserRepository,
)

HOSTILE_STRINGS = [
    "' OR 1=1 --",
    '"; DROP TABLE users; --',
    "robert'); DROP TABLE users;--",
    "100% _match_ \\ backslash",
    "名前 ✓ émoji 🎉",
    "x" * 100,
]


#: The project's database, for compiling statements without a server.
DIALECT = URL.create({{ db.drivername | literal }}).get_dialect()()
#: The most values in one IN list (Oracle: ORA-01795) and the most parameters
#: in one statement (SQL Server: error 8003).
MAX_IN_LIST = 1000
MAX_PARAMETERS = 2100
EMOJI = "\N{GRINNING FACE}"  # two UTF-16 code units
#: The most emoji a 100-character username holds ({{ "UTF-16 code units on SQL Server" if mssql else "code points" }}).
EMOJI_IN_100 = {{ 50 if mssql else 100 }}
#: An Argon2id hash of "imported password" with the production parameters.
HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$3kw9YydD+DifbAVo9mGAeA"
    "$aivBXTjRfT9tUpiFASuUWjknWRI2WUX+arVK/f6+LTU"
)


@pytest.fixture
def repo(db_session: Session) -> UserRepository:
    return UserRepository(db_session)


def add_users(repo: UserRepository, count: int) -> list[User]:
    rows: list[NewUser] = [
        {
            "username": f"user{i:04}",
            "email": f"user{i:04}@example.com",
            "password_hash": HASH,
        }
        for i in range(count)
    ]
    repo.bulk_create(rows)
    return list(repo.session.scalars(select(User).order_by(User.id)))


@contextmanager
def selects_sent(connection: Connection) -> Iterator[list[str]]:
    """The SELECT statements `connection` sends inside the block."""
    statements: list[str] = []

    def record(
        _conn: Connection, _cursor: object, statement: str, *_args: object
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


@contextmanager
def statements_run(session: Session) -> Iterator[list[ClauseElement]]:
    """The statements `session` executes inside the block, as SQLAlchemy objects."""
    statements: list[ClauseElement] = []

    def record(state: ORMExecuteState) -> None:
        assert isinstance(state.statement, ClauseElement)
        statements.append(state.statement)

    event.listen(session, "do_orm_execute", record)
    try:
        yield statements
    finally:
        event.remove(session, "do_orm_execute", record)


def test_create_and_find(repo: UserRepository) -> None:
    user = repo.create("ada", "Ada@Example.com", "correct horse")
    assert user.id is not None
    assert repo.get(user.id) is user
    assert repo.get_by_username("ada") is user
    assert repo.get_by_email("ADA@example.com") is user
    assert user.check_password("correct horse")
    assert repo.get(user.id + 1000) is None


def test_duplicate_raises_the_projects_error_and_keeps_the_session(
    repo: UserRepository,
) -> None:
    repo.create("ada", "ada@example.com", "password")
    with pytest.raises(DuplicateError, match="already taken"):
        repo.create("ada", "other@example.com", "password")
    with pytest.raises(DuplicateError):
        repo.create("other", "ADA@example.com", "password")
    # The transaction is still usable.
    repo.create("grace", "grace@example.com", "password")
    assert repo.count() == 2


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_hostile_strings_are_stored_as_data(repo: UserRepository, hostile: str) -> None:
    user = repo.create(hostile, "victim@example.com", hostile)
    repo.session.expire_all()
    assert repo.get_by_username(hostile) is not None
    assert repo.search(hostile) == [user]
    assert repo.count() == 1  # the table is still there, with one row


def test_bulk_created_hostile_strings_are_stored_as_data(repo: UserRepository) -> None:
    """Through the bulk path too (PostgreSQL's COPY has its own escapes: a
    backslash, and "\\N", its NULL)."""
    names = [*HOSTILE_STRINGS[:5], "\\N", "\\.", "end\\", "tab,comma;pipe|"]
    repo.bulk_create(
        [
            {"username": name, "email": f"h{n}@example.com", "password_hash": HASH}
            for n, name in enumerate(names)
        ]
    )
    repo.session.expire_all()
    stored = repo.session.scalars(select(User.username).order_by(User.id)).all()
    assert stored == names


#: Values no database here can store alike: refused by every method, up front.
UNSTORABLE = ["nul\x00byte", "lone \udcff surrogate (an undecodable byte)"]


@pytest.mark.parametrize("bad", UNSTORABLE)
def test_unstorable_text_is_refused_by_every_method(
    repo: UserRepository, bad: str
) -> None:
    user = repo.create("owner", "owner@example.com", "password")
    calls: list[Callable[[], object]] = [
        lambda: repo.create(bad, "x@example.com", "password"),
        lambda: repo.create("x", bad + "@example.com", "password"),
        lambda: repo.get_by_username(bad),
        lambda: repo.get_by_email(bad),
        lambda: repo.search(bad),
        lambda: repo.set_bio(user.id, bad),
        lambda: repo.bulk_create(
            [{"username": bad, "email": "y@example.com", "password_hash": HASH}]
        ),
    ]
    for call in calls:
        with pytest.raises(ValidationError):
            call()
    assert repo.count() == 1  # nothing half-written; the session still works


def test_very_long_text_is_refused_or_stored_as_data(
    repo: UserRepository, connection: Connection
) -> None:
    long = "ü" * 10_000
    with pytest.raises(ValidationError, match="longer than 100"):
        repo.create(long, "long@example.com", "password")
    # Longer than any column: nothing to find, and nothing is sent (Oracle
    # refuses a bind over 4,000 bytes: ORA-01461).
    with selects_sent(connection) as statements:
        assert repo.get_by_username(long) is None
        assert repo.get_by_email(long + "@example.com") is None
        assert repo.search(long) == []
    assert statements == []
    user = repo.create("longbio", "longbio@example.com", long[:1000])
    assert repo.set_bio(user.id, long[:1000]).bio == long[:1000]
    with pytest.raises(ValidationError, match="longer than 1000"):
        repo.set_bio(user.id, long)
    assert user.check_password(long[:1000])


class RecordingHasher(PasswordHasher):
    """The suite's cheap hasher, recording the hash each check is made against."""

    def __init__(self) -> None:
        cheapest = profiles.CHEAPEST
        super().__init__(
            cheapest.time_cost,
            cheapest.memory_cost,
            cheapest.parallelism,
            cheapest.hash_len,
            cheapest.salt_len,
        )
        self.checked: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.checked.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> RecordingHasher:
    recording = RecordingHasher()
    monkeypatch.setattr(security, "password_hasher", recording)
    return recording


def test_authenticate_checks_the_password(
    repo: UserRepository, hasher: RecordingHasher
) -> None:
    ada = repo.create("ada", "ada@example.com", "correct horse")
    assert repo.authenticate("ada", "correct horse") is ada
    assert repo.authenticate("ada", "wrong horse") is None
    ada.active = False
    assert repo.authenticate("ada", "correct horse") is None


@pytest.mark.parametrize("username", ["nobody", "x" * 10_000, "nul\x00"])
def test_authenticate_does_the_same_work_for_unknown_usernames(
    repo: UserRepository, hasher: RecordingHasher, username: str
) -> None:
    ada = repo.create("ada", "ada@example.com", "correct horse")
    assert repo.authenticate("ada", "wrong horse") is None
    assert repo.authenticate(username, "correct horse") is None
    assert repo.authenticate(username, "other horse") is None
    real, dummy, again = hasher.checked
    # One Argon2 check each, with the same parameters: the same time taken.
    assert real == ada.password_hash
    assert dummy != real
    assert extract_parameters(dummy) == extract_parameters(real)
    assert again == dummy  # the dummy hash is made once


def test_authenticate_upgrades_an_outdated_hash(
    repo: UserRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = repo.create("ada", "ada@example.com", "correct horse")
    old_hash = ada.password_hash
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    monkeypatch.setattr(security, "password_hasher", stronger)
    assert repo.authenticate("ada", "correct horse") is ada
    repo.session.flush()
    repo.session.expire_all()
    assert ada.password_hash != old_hash
    assert not security.needs_rehash(ada.password_hash)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("admin", "Admin"),
        ("admin", "ADMIN"),
        ("admin", "\uff41dmin"),  # a fullwidth "a"
        ("admin", "\uff41\uff44\uff4d\uff49\uff4e"),  # all fullwidth
        ("fine", "\ufb01ne"),  # the "fi" ligature
        ("Zo\u00eb", "Zoe\u0308"),  # a precomposed and a combining diaeresis
        ("stra\u00dfe", "STRASSE"),  # sharp s folds to "ss"
        ("\u0418\u0432\u0430\u043d", "\u0418\u0412\u0410\u041d"),  # Иван, ИВАН
    ],
)
def test_usernames_that_normalise_alike_are_one_name(
    repo: UserRepository, first: str, second: str
) -> None:
    user = repo.create(first, "first@example.com", "password")
    with pytest.raises(DuplicateError):
        repo.create(second, "second@example.com", "password")
    duplicate: NewUser = {
        "username": second,
        "email": "bulk@example.com",
        "password_hash": HASH,
    }
    with pytest.raises(DuplicateError):
        repo.bulk_create([duplicate])
    repo.session.expire_all()
    assert repo.get_by_username(second) is user
    assert repo.get_by_username(first) is user
    assert user.username == first  # kept as typed
    assert repo.count() == 1


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("adm\u0456n", "mixes letters of Cyrillic, Latin"),  # a Cyrillic i
        ("\u0430dmin", "mixes letters of Cyrillic, Latin"),  # a Cyrillic a
        ("payp\u03b1l", "mixes letters of Greek, Latin"),  # a Greek alpha
        ("admin\u200b", "U+200B"),  # zero-width space
        ("ad\u200dmin", "U+200D"),  # zero-width joiner
        ("\u202eadmin", "U+202E"),  # right-to-left override
        ("admin\u2066", "U+2066"),  # left-to-right isolate
        ("\ufeffadmin", "U+FEFF"),  # byte order mark
        ("ad\x07min", "U+0007"),  # a control character
        ("ad\nmin", "U+000A"),
        ("\ue000admin", "U+E000"),  # private use
    ],
)
def test_invisible_and_mixed_script_usernames_are_refused(
    repo: UserRepository, username: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        repo.create(username, "x@example.com", "password")
    row: NewUser = {
        "username": username,
        "email": "y@example.com",
        "password_hash": HASH,
    }
    with pytest.raises(ValidationError, match=re.escape(message)):
        repo.bulk_create([row])
    assert repo.count() == 0


@pytest.mark.parametrize(
    "username",
    [
        "\u540d\u524d",  # 名前 (Han)
        "\u0418\u0432\u0430\u043d",  # Иван (Cyrillic)
        "\u0645\u0631\u064a\u0645",  # مريم (Arabic)
        "\u5c71\u7530\u305f\u308d\u3046",  # 山田たろう (Han and Hiragana)
        "\uae40\ubbfc\uc900 Kim",  # 김민준 Kim (Hangul and Latin)
        "\u0391\u03b8\u03b7\u03bd\u03ac-2",  # Αθηνά-2 (Greek)
        "Jos\u00e9.Garc\u00eda_1815",
        "O'Brien",
    ],
)
def test_names_in_one_script_or_a_usual_mix_are_accepted(
    repo: UserRepository, username: str
) -> None:
    user = repo.create(username, "x@example.com", "password")
    repo.session.expire_all()
    assert user.username == username
    assert repo.get_by_username(username) is user
    assert repo.get_by_username(username.upper()) is user


def test_lookups_find_the_longest_values_a_column_holds(repo: UserRepository) -> None:
    longest = "ü" * 100
    user = repo.create(longest, "x" * 243 + "@example.com", "password")
    assert repo.get_by_username(longest) is user
    assert repo.get_by_email(user.email) is user
    assert repo.search(longest) == [user]
    assert repo.search(user.email) == [user]


def test_emoji_are_stored_up_to_the_columns_length(repo: UserRepository) -> None:
    username, bio = EMOJI * EMOJI_IN_100, EMOJI * EMOJI_IN_100 * 10
    user = repo.create(username, "emoji@example.com", "password", bio=bio)
    repo.session.expire_all()  # read back from the database
    assert user.username == username
    assert user.profile is not None
    assert user.profile.bio == bio
    with pytest.raises(ValidationError, match="longer than 100"):
        repo.create(username + EMOJI, "emoji2@example.com", "password")


def test_search_treats_wildcards_literally(repo: UserRepository) -> None:
    repo.create("100%_sure", "a@example.com", "password")
    repo.create("1000 sure", "b@example.com", "password")
    repo.create("[a]bc", "c@example.com", "password")
    repo.create("abc", "d@example.com", "password")
    assert [u.username for u in repo.search("0%_")] == ["100%_sure"]
    assert [u.username for u in repo.search("0_")] == []
    assert len(repo.search("sure")) == 2
    # SQL Server reads [a] as "one of a": the brackets must match themselves.
    assert [u.username for u in repo.search("[a]b")] == ["[a]bc"]
    assert repo.search("[ab]c") == []
{%- if mssql %}


def test_search_escapes_sql_servers_bracket_wildcard(repo: UserRepository) -> None:
    """What SQL Server is sent: `[`, `%`, `_` and the escape itself escaped."""
    with statements_run(repo.session) as statements:
        repo.search("[a]%_/")
    (statement,) = statements
    compiled = statement.compile(dialect=DIALECT)
    assert "users.username LIKE '%' + :username_1 + '%' ESCAPE '/'" in str(compiled)
    assert compiled.params["username_1"] == "/[a]/%/_//"
    assert compiled.params["email_1"] == "/[a]/%/_//"
{%- endif %}


def test_offset_and_keyset_pages_agree(repo: UserRepository) -> None:
    users = add_users(repo, 45)
    by_offset = [repo.list_page(page, 20) for page in (1, 2, 3)]
    by_keyset: list[list[User]] = []
    after: int | None = None
    for _ in range(3):
        page = repo.list_after(after, 20)
        by_keyset.append(page)
        after = page[-1].id if page else after
    assert by_offset == by_keyset
    assert [len(page) for page in by_offset] == [20, 20, 5]
    assert [u for page in by_keyset for u in page] == users
    assert repo.list_page(4, 20) == []


@pytest.mark.parametrize("size", [0, -1, MAX_PAGE_SIZE + 1])
def test_page_sizes_are_bounded(repo: UserRepository, size: int) -> None:
    with pytest.raises(ValidationError):
        repo.list_page(1, size)
    with pytest.raises(ValidationError):
        repo.list_after(None, size)


def test_profiles_load_in_one_query(
    repo: UserRepository, connection: Connection
) -> None:
    for i in range(5):
        repo.create(f"writer{i}", f"writer{i}@example.com", "password", bio=f"bio {i}")
    repo.session.commit()
    repo.session.expunge_all()
    with selects_sent(connection) as statements:
        users = repo.list_with_profiles()
        bios = [user.profile.bio for user in users if user.profile]
    assert bios == [f"bio {i}" for i in range(5)]
    assert len(statements) == 1, statements


def test_set_bio_creates_then_updates(repo: UserRepository) -> None:
    user = repo.create("ada", "ada@example.com", "password")
    assert repo.set_bio(user.id, "first").bio == "first"
    assert repo.set_bio(user.id, "second").bio == "second"
    with pytest.raises(ValidationError):
        repo.set_bio(user.id + 1000, "nobody")


def test_empty_text_is_stored_alike_on_every_database(repo: UserRepository) -> None:
    """Oracle stores "" as NULL: an empty bio is None everywhere, and an empty
    required value is refused everywhere rather than failing on Oracle alone."""
    user = repo.create("ada", "ada@example.com", "password", bio="")
    repo.set_bio(user.id, "first")
    repo.set_bio(user.id, "")
    repo.session.expire_all()  # read back from the database
    assert repo.session.scalar(select(Profile.bio)) is None
    empty_hash: NewUser = {"username": "x", "email": "x@e.com", "password_hash": ""}
    with pytest.raises(ValidationError, match="password_hash must not be empty"):
        repo.bulk_create([empty_hash])
    with pytest.raises(ValidationError, match="username must not be empty"):
        repo.create("", "y@example.com", "password")
    assert repo.count() == 1


def test_list_usernames_selects_one_column(repo: UserRepository) -> None:
    add_users(repo, 3)
    assert repo.list_usernames() == ["user0000", "user0001", "user0002"]


def test_delete(repo: UserRepository) -> None:
    user = repo.create("ada", "ada@example.com", "password", bio="gone soon")
    assert repo.delete(user.id)
    assert not repo.delete(user.id)
    assert repo.count() == 0


def test_bulk_create_inserts_every_row(repo: UserRepository) -> None:
    rows: list[NewUser] = [
        {"username": f"bulk{i}", "email": f"bulk{i}@example.com", "password_hash": HASH}
        for i in range(2500)
    ]
    assert repo.bulk_create(rows) == 2500
    assert repo.count() == 2500
    newest = repo.session.scalar(select(User).order_by(User.id.desc()).limit(1))
    assert newest is not None
    assert newest.active is True
    assert newest.created_at.tzinfo is not None


def test_bulk_create_is_all_or_nothing(repo: UserRepository) -> None:
    repo.create("taken", "taken@example.com", "password")
    rows: list[NewUser] = [
        {"username": "fresh", "email": "fresh@example.com", "password_hash": HASH},
        {"username": "taken", "email": "again@example.com", "password_hash": HASH},
    ]
    with pytest.raises(DuplicateError):
        repo.bulk_create(rows)
    assert repo.count() == 1
    assert repo.bulk_create([]) == 0


def test_bulk_create_refuses_a_duplicate_within_the_batch(
    repo: UserRepository,
) -> None:
    """The database's own check, whichever path the rows take: the error is
    the project's, none of the batch is stored, and the transaction goes on."""
    repo.create("before", "before@example.com", "password")
    rows: list[NewUser] = [
        {"username": "Twin", "email": "one@example.com", "password_hash": HASH},
        {"username": "twin", "email": "two@example.com", "password_hash": HASH},
    ]
    with pytest.raises(DuplicateError) as refused:
        repo.bulk_create(rows)
    assert refused.value.code is not None  # the database's own code for it
    assert repo.count() == 1
    repo.bulk_create(rows[:1])
    assert repo.count() == 2


def test_bulk_created_timestamps_are_the_calls_to_the_microsecond(
    repo: UserRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values bound once for the whole batch come back as the ORM's do."""
    now = datetime(2026, 11, 30, 8, 15, 42, 123456, tzinfo=UTC)
    monkeypatch.setattr(user_repository, "utc_now", lambda: now)
    repo.bulk_create(
        [{"username": "stamped", "email": "st@example.com", "password_hash": HASH}]
    )
    repo.session.expire_all()
    user = repo.get_by_username("stamped")
    assert user is not None
    assert (user.created_at, user.updated_at, user.version) == (now, now, 1)
    assert user.active is True


def test_bulk_create_validates_rows(repo: UserRepository) -> None:
    with pytest.raises(ValidationError):
        repo.bulk_create([{"username": "ok", "email": "nope", "password_hash": HASH}])


@pytest.mark.parametrize(
    ("password_hash", "message"),
    [
        ("hunter2", "not an Argon2id hash"),
        ("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", "Argon2id"),
        (HASH.replace("argon2id", "argon2i"), "not an Argon2id hash"),
        (HASH.replace("v=19", "v=16"), "not an Argon2id hash"),
        (HASH + "\n", "not an Argon2id hash"),
        (HASH.replace("m=65536", "m=1048576"), "memory cost of 1048576"),  # 1 GiB
        (HASH.replace("t=3", "t=100"), "time cost of 100"),
        (HASH.replace("p=4", "p=255"), "parallelism of 255"),
    ],
)
def test_bulk_create_refuses_hashes_out_of_format_or_bounds(
    repo: UserRepository, password_hash: str, message: str
) -> None:
    rows: list[NewUser] = [
        {"username": "fine", "email": "fine@example.com", "password_hash": HASH},
        {"username": "bad", "email": "bad@example.com", "password_hash": password_hash},
    ]
    with pytest.raises(ValidationError, match=message):
        repo.bulk_create(rows)
    assert repo.count() == 0


def test_bulk_created_users_sign_in_with_the_imported_hash(
    repo: UserRepository,
) -> None:
    repo.bulk_create(
        [{"username": "imported", "email": "imp@example.com", "password_hash": HASH}]
    )
    user = repo.get_by_username("imported")
    assert user is not None
    assert user.check_password("imported password")
    assert not user.check_password("imported passwore")


def test_set_active_updates_in_one_statement(repo: UserRepository) -> None:
    users = add_users(repo, 10)
    assert repo.set_active(False, [u.id for u in users[:4]]) == 4
    assert repo.count(active=False) == 4
    assert repo.set_active(True) == 4  # only rows that change are counted
    assert repo.count(active=True) == 10
    total = repo.session.scalar(select(func.count()).select_from(User))
    assert total == 10
    versions = repo.session.scalars(select(User.version).order_by(User.id)).all()
    assert versions == [3] * 4 + [1] * 6  # a stale copy cannot overwrite them


def test_long_lists_stay_within_the_parameter_limits(repo: UserRepository) -> None:
    """Every statement, compiled for {{ db.label }}, within both limits:
    bulk_create sends its rows by the driver's bulk path (executemany, which
    SQLAlchemy batches below the dialect's limit, or PostgreSQL's COPY), and
    set_active its ids in chunks."""
    with statements_run(repo.session) as statements:
        users = add_users(repo, 2 * MAX_IDS_PER_STATEMENT + 200)
        ids = [user.id for user in users]
        assert repo.set_active(False, ids[1:]) == len(ids) - 1
    assert repo.count(active=False) == len(ids) - 1
    in_list_lengths: list[int] = []
    for statement in statements:
        compiled = statement.compile(
            dialect=DIALECT, compile_kwargs={"render_postcompile": True}
        )
        assert len(compiled.params) <= MAX_PARAMETERS
        # The values between IN's parentheses (a placeholder may hold some).
        in_lists = re.findall(r" IN \(((?:[^()]|\([^()]*\))*)\)", str(compiled))
        in_list_lengths += [len(values.split(",")) for values in in_lists]
    assert sum(in_list_lengths) == len(ids) - 1  # every id was sent
    assert max(in_list_lengths) <= MAX_IN_LIST
