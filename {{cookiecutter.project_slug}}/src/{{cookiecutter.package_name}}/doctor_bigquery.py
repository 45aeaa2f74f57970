{%- set db = cookiecutter | backend -%}
"""`doctor`'s BigQuery checks: the credentials, the dataset, its migrations,
and what a query may cost.

Every request here gives up after `TIMEOUT` seconds, and only BigQuery's
own transient errors are retried: by default the Google client retries a
closed port for minutes. Nothing here creates anything; a dry run is free,
and runs nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import google.auth
from google.api_core.exceptions import (
    Forbidden,
    GoogleAPICallError,
    InternalServerError,
    NotFound,
    RetryError,
    ServiceUnavailable,
    TooManyRequests,
)
from google.api_core.retry import Retry, if_exception_type
from google.auth.exceptions import DefaultCredentialsError, GoogleAuthError
from google.cloud import bigquery
from requests.exceptions import RequestException
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from .doctor import Check, migrations_check, skipped
from .infra.bigquery import (
    SCOPES,
    client_of,
    create_bigquery_engine,
    estimate_bytes,
    load_credentials,
)
from .models.analytics_event import AnalyticsEvent
from .settings import Settings, SettingsError

#: Seconds each request may take, retries included.
TIMEOUT = 10.0
#: Retry BigQuery's busy answers; a closed port or a refused login fails at once.
RETRY = Retry(
    predicate=if_exception_type(
        InternalServerError, ServiceUnavailable, TooManyRequests
    ),
    timeout=TIMEOUT,
)
{%- if db.relational %}
#: The dataset's migrations: their section of alembic.ini, their check's
#: name, and the project's command for them.
SECTION, MIGRATIONS, PREFIX = "analytics", "analytics migrations", "analytics "
{%- else %}
#: The dataset's migrations: their section of alembic.ini, their check's
#: name, and the project's command for them.
SECTION, MIGRATIONS, PREFIX = "alembic", "migrations", ""
{%- endif %}
#: The checks, in order: a failure skips those after it.
NAMES = ("bigquery credentials", "bigquery dataset", MIGRATIONS, "bigquery cost")
#: Binary units, for sizes.
UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def bigquery_checks(project: Path | None, settings: Settings) -> list[Check]:
    """The BigQuery checks, in order; after a failure, the rest are skipped."""
    checks = [_credentials(settings)]
    if checks[-1].status == "ok":
        engine = create_bigquery_engine(settings)
        try:
            checks += _on_bigquery(project, engine, settings)
        finally:
            engine.dispose()
    names = [check.name for check in checks]
    return checks + [skipped(name) for name in NAMES if name not in names]


def _on_bigquery(
    project: Path | None, engine: Engine, settings: Settings
) -> list[Check]:
    """The dataset, its migrations and the cost, each once the one before
    passed; all through the engine's one client (one token on a real project)."""
    client = client_of(engine)
    checks = [_dataset(client, settings)]
    if checks[-1].status == "ok":
        try:
            checks.append(
                migrations_check(project, engine, MIGRATIONS, SECTION, PREFIX)
            )
        except (SQLAlchemyError, GoogleAPICallError) as error:
            checks.append(Check(MIGRATIONS, "fail", str(error).splitlines()[0]))
    if checks[-1].status == "ok":
        checks.append(_cost(client, settings))
    return checks


def _credentials(settings: Settings) -> Check:
    name = "bigquery credentials"
    if settings.bigquery_emulator_host:
        return Check(
            name,
            "ok",
            f"none: the emulator at {settings.bigquery_emulator_host}"
            " (nothing reaches Google)",
        )
    path = settings.google_application_credentials
    if path:
        try:
            credentials = load_credentials(path)
        except SettingsError as error:
            return Check(
                name,
                "fail",
                str(error),
                "point GOOGLE_APPLICATION_CREDENTIALS at a credentials file",
            )
        account = getattr(credentials, "service_account_email", None)
        return Check(name, "ok", f"{path}{f' ({account})' if account else ''}")
    try:
        google.auth.default(scopes=SCOPES)
    except DefaultCredentialsError as error:
        return Check(
            name,
            "fail",
            str(error).splitlines()[0],
            "gcloud auth application-default login, or set"
            " GOOGLE_APPLICATION_CREDENTIALS (or BIGQUERY_EMULATOR_HOST)",
        )
    return Check(name, "ok", "Application Default Credentials")


def _dataset(client: bigquery.Client, settings: Settings) -> Check:
    """BigQuery answers, the dataset exists and is where BQ_LOCATION says."""
    name = "bigquery dataset"
    where = f"{settings.gcp_project_id}.{settings.bq_dataset_id}"
    try:
        found = client.get_dataset(
            bigquery.DatasetReference(settings.gcp_project_id, settings.bq_dataset_id),
            retry=RETRY,
            timeout=TIMEOUT,
        )
    except NotFound as error:  # the project or the dataset: the reason says
        return Check(
            name,
            "fail",
            _reason(error),
            f"check GCP_PROJECT_ID and BQ_DATASET_ID, or create it: {PREFIX}migrate",
        )
    except Forbidden as error:
        return Check(
            name,
            "fail",
            _reason(error),
            "grant the account BigQuery User (roles/bigquery.user) on the project",
        )
    except (RetryError, RequestException) as error:
        host = settings.bigquery_emulator_host or "bigquery.googleapis.com"
        cause = getattr(error, "cause", None) or error
        return Check(
            name,
            "fail",
            f"no answer from {host} ({type(cause).__name__})",
            "start it: python scripts/bigquery_emulator.py, or check BIGQUERY_EMULATOR_HOST"
            if settings.bigquery_emulator_host
            else "check the network",
        )
    except GoogleAuthError as error:
        return Check(
            name,
            "fail",
            f"the credentials were refused: {str(error).splitlines()[0]}",
            "renew them: gcloud auth application-default login,"
            " or a new GOOGLE_APPLICATION_CREDENTIALS file",
        )
    except GoogleAPICallError as error:
        return Check(name, "fail", f"{where}: {_reason(error)}")
    location = found.location or "unknown"
    if settings.bq_location and settings.bq_location.lower() != location.lower():
        return Check(
            name,
            "fail",
            f"{where} is in {location}, but BQ_LOCATION is {settings.bq_location}",
            f"set BQ_LOCATION={location}: BigQuery cannot move a dataset",
        )
    return Check(name, "ok", f"{where}, in {location}")


def _cost(client: bigquery.Client, settings: Settings) -> Check:
    """A dry run of a day's events against BQ_MAX_BYTES_BILLED."""
    name = "bigquery cost"
    limit = settings.bq_max_bytes_billed
    since = datetime.now(UTC) - timedelta(days=1)
    sample = select(AnalyticsEvent.event_id).where(
        AnalyticsEvent.event_timestamp >= since
    )
    try:
        scanned = estimate_bytes(sample, client)
    except GoogleAPICallError as error:
        return Check(name, "fail", f"a dry run failed: {_reason(error)}")
    detail = (
        f"BQ_MAX_BYTES_BILLED {binary_size(limit)}; a dry run of the last day's"
        f" events would scan {binary_size(scanned)}"
    )
    if scanned > limit:
        return Check(
            name,
            "fail",
            detail,
            "raise BQ_MAX_BYTES_BILLED, or have queries scan fewer days",
        )
    return Check(name, "ok", detail)


def _reason(error: GoogleAPICallError) -> str:
    """BigQuery's reason for `error`, without the request's address."""
    first = error.errors[0] if error.errors else {}
    found = first.get("message") if isinstance(first, dict) else None
    return str(found or error.message)


def binary_size(count: int) -> str:
    """`count` bytes in binary units: 0 B, 512 B, 10 GiB, 1.5 TiB."""
    power = min((max(count, 1).bit_length() - 1) // 10, len(UNITS) - 1)
    return f"{count / 1024**power:.4g} {UNITS[power]}"
