"""TLS against a real server: a generated PostgreSQL project's DB_SSLMODE=verify-full
and DB_SSL_CA, against a private PostgreSQL whose certificate a throwaway CA signed.

The mappings of every mode onto psycopg, PyMySQL and python-oracledb are tested
offline in the generated suites (tests/test_settings.py); this is the one
handshake that shows libpq really checks the certificate with them.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Renderer, missing, project_env, run
from private_servers import PrivatePostgres

#: Connects with the generated project's settings, engine and URL, as the
#: application would, and prints each attempt's outcome as JSON.
CONNECT = """
import json, sys
from {package}.infra.database import create_db_engine, get_db_url
from {package}.settings import Settings

outcomes = {{}}
for name, environment in json.loads(sys.argv[1]).items():
    settings = Settings.from_env(environment, None)
    engine = create_db_engine(get_db_url(settings), settings)
    try:
        with engine.connect() as connection:
            outcomes[name] = connection.exec_driver_sql(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            ).scalar()
    except Exception as error:
        outcomes[name] = f"refused: {{error}}"
    finally:
        engine.dispose()
print(json.dumps(outcomes))
"""


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30
    )


def make_ca(name: str, folder: Path) -> None:
    """A self-signed CA: `name`.pem and `name`.key (EC keys: fast to make)."""
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "1",
        "-subj", f"/CN=throwaway {name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip


def make_server_certificate(folder: Path) -> None:
    """server.crt and server.key for 127.0.0.1 (not localhost), signed by ca.pem."""
    openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1",
        cwd=folder,
    )  # fmt: skip
    (folder / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
    )
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "1",
        "-extfile", "server.ext",
        cwd=folder,
    )  # fmt: skip


class TLSPostgres(PrivatePostgres):
    """A private PostgreSQL with ssl=on and the certificate in `certificates`."""

    def __init__(self, certificates: Path) -> None:
        super().__init__()
        self.certificates = certificates

    def initialize(self) -> None:
        super().initialize()
        for name in ("server.crt", "server.key"):
            target = self.data / name
            shutil.copyfile(self.certificates / name, target)
            # PostgreSQL refuses a key others can read.
            target.chmod(0o600)
            if self.as_root:
                entry = pwd.getpwnam(self.service_user)
                os.chown(target, entry.pw_uid, entry.pw_gid)

    def command(self) -> list[str]:
        return [
            *super().command(),
            "--ssl=on",
            f"--ssl_cert_file={self.data / 'server.crt'}",
            f"--ssl_key_file={self.data / 'server.key'}",
        ]


@pytest.mark.server
def test_verify_full_connects_with_the_ca_and_is_refused_without_it(
    render: Renderer, tmp_path: Path
) -> None:
    reason = PrivatePostgres.available()
    if reason:
        missing(f"a private PostgreSQL: {reason}")
    if shutil.which("openssl") is None:
        missing("openssl, to make the throwaway CA")
    make_ca("ca", tmp_path)
    make_ca("other-ca", tmp_path)
    make_server_certificate(tmp_path)
    project = render(database_backend="postgresql")
    package = next(p.name for p in (project / "src").iterdir() if p.is_dir())
    home = tmp_path / "home"  # libpq's ~/.postgresql/root.crt: none here
    home.mkdir()
    with TLSPostgres(tmp_path) as server:
        parts = {
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(server.port),
            "DB_USER": "root",
            "DB_NAME": "postgres",
            "DB_CONNECT_TIMEOUT": "5",
        }
        attempts = {
            "the CA": {
                **parts,
                "DB_SSLMODE": "verify-full",
                "DB_SSL_CA": str(tmp_path / "ca.pem"),
            },
            "another CA": {
                **parts,
                "DB_SSLMODE": "verify-full",
                "DB_SSL_CA": str(tmp_path / "other-ca.pem"),
            },
            "no CA": {**parts, "DB_SSLMODE": "verify-full"},
            "a name the certificate lacks": {
                **parts,
                "DB_HOST": "localhost",
                "DB_SSLMODE": "verify-full",
                "DB_SSL_CA": str(tmp_path / "ca.pem"),
            },
            "disable": {**parts, "DB_SSLMODE": "disable"},
        }
        environment = project_env(project, HOME=str(home))
        for name in list(os.environ):
            if name.startswith("PG"):  # PGSSLMODE, PGSSLROOTCERT, ...
                environment[name] = ""
        result = run(
            [
                sys.executable,
                "-c",
                CONNECT.format(package=package),
                json.dumps(attempts),
            ],
            tmp_path,
            environment,
            timeout=60,
        )
    assert result.returncode == 0, result.output
    outcomes = json.loads(result.stdout)
    assert outcomes["the CA"] is True, outcomes
    assert outcomes["disable"] is False, outcomes
    assert "certificate verify failed" in outcomes["another CA"], outcomes
    assert "root certificate file" in outcomes["no CA"], outcomes
    assert "does not match host name" in outcomes["a name the certificate lacks"], (
        outcomes
    )
