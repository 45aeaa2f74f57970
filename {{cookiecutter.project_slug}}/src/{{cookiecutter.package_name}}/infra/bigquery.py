"""BigQuery through SQLAlchemy: the client, the engine, sessions, and a cost guard.

With `BIGQUERY_EMULATOR_HOST` set (e.g. http://127.0.0.1:9050) the client talks
to a local emulator with anonymous credentials, and nothing reaches Google.
Otherwise it uses the service account key in `GOOGLE_APPLICATION_CREDENTIALS`,
or Application Default Credentials when that is unset.

Queries cost money by the bytes they scan. Every query job carries
`maximum_bytes_billed` (`BQ_MAX_BYTES_BILLED`): BigQuery refuses, free of
charge, a query that would scan more. `check_cost()` asks first, with a dry
run, and raises before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery
from google.oauth2 import service_account
from sqlalchemy import URL, Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ClauseElement
from sqlalchemy_bigquery import BigQueryDialect

from ..errors import QueryTooExpensiveError
from ..settings import Settings, SettingsError, get_settings


def create_bigquery_client(
    settings: Settings | None = None, dataset: str | None = None
) -> bigquery.Client:
    """A BigQuery client for `dataset` (default: BQ_DATASET_ID), with the cost limit set."""
    settings = settings or get_settings()
    job_config = bigquery.QueryJobConfig(
        # Unqualified table names resolve in this dataset.
        default_dataset=f"{settings.gcp_project_id}.{dataset or settings.bq_dataset_id}",
        maximum_bytes_billed=settings.bq_max_bytes_billed,
    )
    if settings.bigquery_emulator_host:
        return bigquery.Client(
            project=settings.gcp_project_id,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=settings.bigquery_emulator_host),
            default_query_job_config=job_config,
        )
    key_file = settings.google_application_credentials
    credentials = None
    if key_file:
        if not Path(key_file).is_file():
            raise SettingsError(
                f"GOOGLE_APPLICATION_CREDENTIALS is {key_file!r}, which is not a file"
            )
        credentials = service_account.Credentials.from_service_account_file(key_file)
    return bigquery.Client(
        project=settings.gcp_project_id,
        credentials=credentials,
        default_query_job_config=job_config,
    )


def create_bigquery_engine(
    settings: Settings | None = None, dataset: str | None = None
) -> Engine:
    """An engine on `dataset` (default: BQ_DATASET_ID) through `create_bigquery_client`.

    `user_supplied_client=true` makes the dialect use this client instead of
    looking for Google credentials itself (which would probe the cloud's
    metadata server when there are none).
    """
    settings = settings or get_settings()
    dataset = dataset or settings.bq_dataset_id
    url = URL.create(
        "bigquery",
        host=settings.gcp_project_id,
        database=dataset,
        query={"user_supplied_client": "true"},
    )
    client = create_bigquery_client(settings, dataset)
    return create_engine(
        url,
        echo=settings.db_echo,
        hide_parameters=True,
        # The BigQuery Storage API speeds up large downloads but is a separate
        # service (and package); plain REST reads keep the setup small.
        connect_args={"client": client, "prefer_bqstorage_client": False},
    )


@cache
def get_bigquery_engine() -> Engine:
    """The process-wide BigQuery engine, created from the settings on first use."""
    return create_bigquery_engine()


@cache
def get_bigquery_session_maker() -> sessionmaker[Session]:
    """The process-wide BigQuery session factory.

    `expire_on_commit=False` matters more than usual here: reloading an
    expired object selects it by primary key alone, which a table that
    requires a partition filter refuses.
    """
    return sessionmaker(bind=get_bigquery_engine(), expire_on_commit=False)


@contextmanager
def get_bigquery_session() -> Iterator[Session]:
    """A session for BigQuery work; it closes when the block ends.

    BigQuery has no transactions: every statement takes effect when it runs,
    so an error in the block does not undo earlier statements.
    """
    session = get_bigquery_session_maker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def compile_for_bigquery(statement: ClauseElement) -> str:
    """`statement` as BigQuery SQL with its values written in (for dry runs and logs)."""
    compiled = statement.compile(
        dialect=BigQueryDialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def estimate_bytes(
    statement: ClauseElement, client: bigquery.Client | None = None
) -> int:
    """How many bytes `statement` would scan, from a dry run: free, nothing runs.

    A dry run also checks the SQL: a wrong column or a missing partition
    filter fails here, before any cost.
    """
    client = client or create_bigquery_client()
    job_config = bigquery.QueryJobConfig(dry_run=True, use_query_cache=False)
    job = client.query(compile_for_bigquery(statement), job_config=job_config)
    return int(job.total_bytes_processed or 0)


def check_cost(
    statement: ClauseElement,
    limit: int | None = None,
    client: bigquery.Client | None = None,
) -> int:
    """The dry-run estimate of `statement`; QueryTooExpensiveError above `limit`.

    `limit` defaults to BQ_MAX_BYTES_BILLED, the limit every query job
    carries anyway: this fails early, with the numbers, instead of in BigQuery.
    """
    limit = get_settings().bq_max_bytes_billed if limit is None else limit
    estimate = estimate_bytes(statement, client)
    if estimate > limit:
        raise QueryTooExpensiveError(estimate, limit)
    return estimate
