"""Tell a COMMIT that failed from a COMMIT whose outcome is unknown.

When the connection drops after COMMIT was sent but before the server's reply
arrived, the transaction may have been committed or not. Running the work again
could then write it twice, so this module turns such a failure into
`CommitOutcomeUnknownError`, which `execute_with_retry` never retries. Failures
before COMMIT was sent stay ordinary connection errors (nothing was committed,
so a retry is safe), and so does a lost COMMIT of a transaction that only read.
A COMMIT the server refuses (a serialization failure, a deferred constraint)
has a known outcome, rolled back, and keeps its own error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import ExceptionContext

from ..errors import CommitOutcomeUnknownError

#: Keys in the connection's `info`: whether the current transaction sent a
#: statement that may write, and whether its COMMIT is on its way.
_WROTE = "commit_outcome.wrote"
_COMMITTING = "commit_outcome.committing"
#: Statements that start with these words only read (or manage transactions).
#: Anything else counts as a write: a wrong guess only costs a retry.
_READ_ONLY = frozenset({"SELECT", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "SHOW"})


def track_commit_outcome(engine: Engine) -> None:
    """Make `engine` raise CommitOutcomeUnknownError when a COMMIT's reply is lost."""
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "before_cursor_execute", _on_statement)
    event.listen(engine, "commit", _on_commit)
    event.listen(engine, "handle_error", _on_error)


def _on_begin(connection: Connection) -> None:
    connection.info[_WROTE] = False
    connection.info[_COMMITTING] = False


def _on_statement(
    connection: Connection,
    _cursor: Any,
    statement: str,
    *_args: Any,
) -> None:
    if not connection.info.get(_WROTE):
        words = statement.split(None, 1)
        if not words or words[0].upper() not in _READ_ONLY:
            connection.info[_WROTE] = True


def _on_commit(connection: Connection) -> None:
    # Unknown history (a connection begun before tracking started) counts as a write.
    connection.info[_COMMITTING] = connection.info.get(_WROTE, True)


def _on_error(context: ExceptionContext) -> None:
    connection = context.connection
    # A failed COMMIT carries no statement; a statement's failure is not a commit's.
    if connection is None or context.statement is not None:
        return
    if connection.info.pop(_COMMITTING, False) and context.is_disconnect:
        raise CommitOutcomeUnknownError(connection.engine.url)
