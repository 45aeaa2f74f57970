"""BigQuery through SQLAlchemy: the client, the engine, sessions, and a cost guard.

With `BIGQUERY_EMULATOR_HOST` set (e.g. http://127.0.0.1:9050) the client talks
to a local emulator with anonymous credentials, and nothing reaches Google.
Otherwise it uses the credentials file in `GOOGLE_APPLICATION_CREDENTIALS`
(a service account key, a Workload Identity Federation configuration such as
GitHub's auth action writes, or user credentials), or Application Default
Credentials when that is unset.

One client per engine: its OAuth token is fetched once and refreshed as it
expires. `client_of(session)` hands out the engine's own client, for the cost
check and the writes that are not SQL (streaming inserts, load jobs), so they
use the session's dataset and the same token. `BQ_LOCATION` places new
datasets (`ensure_dataset`) and the jobs.

Queries cost money by the bytes they scan. Every query job carries
`maximum_bytes_billed` (`BQ_MAX_BYTES_BILLED`): BigQuery refuses, free of
charge, a query that would scan more. `check_cost()` asks first, with a dry
run, and raises before anything runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import NotFound
from google.auth import aws, identity_pool, impersonated_credentials
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import DefaultCredentialsError
from google.cloud import bigquery
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from sqlalchemy import URL, Connection, Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ClauseElement
from sqlalchemy_bigquery import BigQueryDialect

from ..errors import QueryTooExpensiveError
from ..settings import Settings, SettingsError, get_settings

#: The scope the BigQuery client itself asks for; it covers BigQuery's jobs,
#: tables and streaming inserts.
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


def load_credentials(path: str) -> Credentials:
    """The credentials in the JSON file `path`, by the type it declares.

    `from_service_account_file` alone would refuse the `external_account`
    (Workload Identity Federation, as GitHub's auth action writes) and
    `authorized_user` (`gcloud auth application-default login`) files. Each
    type goes to its own loader, as google-auth asks (its generic loader is
    deprecated): a file of another type is refused, not trusted. Loading
    contacts no one: tokens are fetched on the first request.
    """
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(
            f"GOOGLE_APPLICATION_CREDENTIALS is {path!r}, which is not a file"
        ) from None
    except (OSError, ValueError) as error:
        raise SettingsError(
            f"GOOGLE_APPLICATION_CREDENTIALS is {path!r}, which google-auth cannot"
            f" read: {error}"
        ) from None
    kind = info.get("type") if isinstance(info, dict) else None
    loader = LOADERS.get(str(kind))
    if loader is None:
        raise SettingsError(
            f"GOOGLE_APPLICATION_CREDENTIALS is {path!r}, of type {kind!r}, which"
            f" google-auth cannot read here; the types taken: {', '.join(LOADERS)}"
        )
    try:
        return loader(info)
    except (ValueError, KeyError, DefaultCredentialsError) as error:
        raise SettingsError(
            f"GOOGLE_APPLICATION_CREDENTIALS is {path!r}, which google-auth cannot"
            f" read: {error}"
        ) from None


def _external_account(info: dict[str, Any]) -> Credentials:
    """Workload Identity Federation: AWS, or a token from a file or a URL
    (GitHub, GitLab, Azure, OIDC providers)."""
    source = info.get("credential_source") or {}
    credentials: Credentials
    if str(source.get("environment_id", "")).startswith("aws"):
        credentials = aws.Credentials.from_info(info, scopes=SCOPES)
    else:
        credentials = identity_pool.Credentials.from_info(info, scopes=SCOPES)
    return credentials


#: The loader of each credentials file type.
LOADERS: dict[str, Callable[[dict[str, Any]], Credentials]] = {
    "service_account": lambda info: (
        service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    ),
    "authorized_user": lambda info: (
        user_credentials.Credentials.from_authorized_user_info(info, scopes=SCOPES)
    ),
    "external_account": _external_account,
    "impersonated_service_account": lambda info: (
        impersonated_credentials.Credentials.from_impersonated_service_account_info(
            info, scopes=SCOPES
        )
    ),
}


def create_bigquery_client(
    settings: Settings | None = None, dataset: str | None = None
) -> bigquery.Client:
    """A BigQuery client for `dataset` (default: BQ_DATASET_ID), with the cost
    limit set; its jobs run in BQ_LOCATION."""
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
            location=settings.bq_location,
        )
    key_file = settings.google_application_credentials
    # None: the client looks for Application Default Credentials itself.
    credentials = load_credentials(key_file) if key_file else None
    return bigquery.Client(
        project=settings.gcp_project_id,
        credentials=credentials,
        default_query_job_config=job_config,
        location=settings.bq_location,
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
    query = {"user_supplied_client": "true"}
    if settings.bq_location:
        # The client's location places the jobs; the URL tells the dialect.
        query["location"] = settings.bq_location
    url = URL.create(
        "bigquery", host=settings.gcp_project_id, database=dataset, query=query
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


def client_of(bind: Session | Connection | Engine) -> bigquery.Client:
    """The client of the engine behind `bind`, the one its queries use.

    sqlalchemy-bigquery keeps it on the DB-API connection as `_client` (the
    dialect reads it there itself); an engine made by `create_bigquery_engine`
    hands every connection the same client.
    """
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return client_of(connection)
    connection = bind.connection() if isinstance(bind, Session) else bind
    client = getattr(connection.connection.dbapi_connection, "_client", None)
    if not isinstance(client, bigquery.Client):
        raise TypeError(f"{bind!r} is not bound to a BigQuery engine")
    return client


def table_of(bind: Session | Connection, table: str) -> bigquery.TableReference:
    """`table` in the dataset of the engine behind `bind` (not BQ_DATASET_ID:
    the tests' engine is on a dataset of their own)."""
    url = bind.get_bind().engine.url if isinstance(bind, Session) else bind.engine.url
    return bigquery.DatasetReference(url.host or "", url.database or "").table(table)


def ensure_dataset(
    client: bigquery.Client, dataset: str, location: str | None
) -> bigquery.Dataset:
    """The dataset `dataset` of the client's project, created in `location`
    (None: BigQuery's default, US) unless it exists. An existing dataset in
    another location is a SettingsError: BigQuery cannot move one."""
    reference = bigquery.DatasetReference(client.project, dataset)
    try:
        found = client.get_dataset(reference)
    except NotFound:
        new = bigquery.Dataset(reference)
        new.location = location
        return client.create_dataset(new)
    if location and (found.location or "").lower() != location.lower():
        raise SettingsError(
            f"BQ_LOCATION is {location!r}, but the dataset {dataset!r} is in"
            f" {found.location!r}: set BQ_LOCATION={found.location}"
        )
    return found


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
    filter fails here, before any cost. `client` defaults to the process-wide
    engine's; pass `client_of(session)` to check in the session's dataset.
    """
    client = client or client_of(get_bigquery_engine())
    job_config = bigquery.QueryJobConfig(dry_run=True, use_query_cache=False)
    job = client.query(compile_for_bigquery(statement), job_config=job_config)
    return int(job.total_bytes_processed or 0)


def check_cost(
    statement: ClauseElement,
    limit: int | None = None,
    client: bigquery.Client | None = None,
) -> int:
    """The dry-run estimate of `statement`; QueryTooExpensiveError above `limit`.

    `limit` defaults to the client's `maximum_bytes_billed` (BQ_MAX_BYTES_BILLED),
    the limit every query job carries anyway: this fails early, with the
    numbers, instead of in BigQuery. `client`: as for `estimate_bytes`.
    """
    client = client or client_of(get_bigquery_engine())
    if limit is None:
        config = client.default_query_job_config
        carried = config.maximum_bytes_billed if config is not None else None
        limit = get_settings().bq_max_bytes_billed if carried is None else carried
    estimate = estimate_bytes(statement, client)
    if estimate > limit:
        raise QueryTooExpensiveError(estimate, limit)
    return estimate
