"""Private PostgreSQL and MariaDB servers, one per use, for tests that must
stop, restart or freeze a server.

The shared servers (127.0.0.1:5432 and :3306) serve every other test and must
never be stopped or frozen; these instances live in a fresh temporary
directory on a free 127.0.0.1 port and are deleted on exit:

    with PrivatePostgres() as server:          # or PrivateMariaDB()
        server.admin_url                       # postgresql+psycopg://root@127.0.0.1:PORT/postgres
        server.stop(); server.start()          # a restart: same data, same port
        server.freeze(); server.thaw()         # SIGSTOP / SIGCONT, this instance only

Run as root, the servers run as the `postgres` and `mysql` users (initdb,
postgres and mariadbd refuse root); otherwise as the current user. Only the
server binaries are needed: `PrivatePostgres.available()` and
`PrivateMariaDB.available()` say why not, when they are missing.

`python tests/private_servers.py` starts one of each and prints how long each
took to become ready.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

from sqlalchemy import URL

#: How long a server may take to accept connections after it is launched.
READY_SECONDS = 60.0
#: How long a server may take to exit after it was asked to stop.
STOP_SECONDS = 30.0

#: Instances not stopped yet: stopped at interpreter exit, should a test run
#: end without unwinding (the context managers normally do it).
_RUNNING: set[PrivateServer] = set()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_RUNNING):
        server.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tail(path: Path, characters: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-characters:]
    except OSError as error:
        return f"(no log: {error})"


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it exited meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


class ServerNotReady(RuntimeError):
    """A private server did not start or accept connections in time."""


class PrivateServer:
    """A server process of our own in a temporary directory: the common part."""

    backend: ClassVar[str]
    name: ClassVar[str]
    #: The system user the server runs as when this process is root.
    service_user: ClassVar[str]

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.base: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.frozen = False
        #: Seconds taken by the first start: creating the data directory
        #: ("init") and launching until the first connection ("ready").
        self.timings: dict[str, float] = {}

    # What each server defines.

    @property
    def admin_url(self) -> URL:
        raise NotImplementedError

    @property
    def console(self) -> Path:
        """Where the server's standard output and error go."""
        assert self.base is not None
        return self.base / "console.log"

    @property
    def log(self) -> Path:
        """The server's log (its console, unless it writes a log of its own)."""
        return self.console

    def log_tail(self) -> str:
        text = tail(self.log)
        if self.log != self.console:
            text += "\n" + tail(self.console, 1000)
        return text

    def initialize(self) -> None:
        """Create the data directory (initdb, mariadb-install-db)."""
        raise NotImplementedError

    def command(self) -> list[str]:
        """The command line that runs the server in the foreground."""
        raise NotImplementedError

    def connect(self, timeout: float) -> Any:
        """A raw driver connection as the administrator."""
        raise NotImplementedError

    def processes(self) -> list[int]:
        """Every process of this instance, its main process first."""
        raise NotImplementedError

    stop_signal: ClassVar[int] = signal.SIGTERM

    @staticmethod
    def missing_binaries() -> str | None:
        """Which server programs are missing here (None: none)."""
        raise NotImplementedError

    # Shared behaviour.

    @classmethod
    def available(cls) -> str | None:
        """Why this kind of private server cannot run here (None: it can)."""
        missing = cls.missing_binaries()
        if missing:
            return missing
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(cls.service_user)
            except KeyError:
                return f"running as root, and there is no `{cls.service_user}` user to run the server as"
        return None

    @property
    def data(self) -> Path:
        assert self.base is not None
        return self.base / "data"

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def as_service_user(self) -> dict[str, Any]:
        """Popen arguments running a command as the service user when root."""
        if not self.as_root:
            return {}
        entry = pwd.getpwnam(self.service_user)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def __enter__(self) -> Self:
        try:
            self.base = Path(tempfile.mkdtemp(prefix=f"private-{self.backend}-"))
            if self.as_root:
                entry = pwd.getpwnam(self.service_user)
                os.chown(self.base, entry.pw_uid, entry.pw_gid)
            started = time.perf_counter()
            self.initialize()
            self.timings["init"] = time.perf_counter() - started
            for attempt in range(3):  # the free port may be taken meanwhile
                self.port = free_port()
                launched = time.perf_counter()
                try:
                    self.start()
                except ServerNotReady:
                    if attempt == 2 or "in use" not in self.log_tail():
                        raise
                    continue
                self.timings["ready"] = time.perf_counter() - launched
                break
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def start(self, seconds: float = READY_SECONDS) -> None:
        """Launch the server (again, on the same data and port) and wait until
        it accepts connections."""
        assert self.base is not None, "use the instance as a context manager"
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"private {self.name} is already running")
        with self.console.open("ab") as output:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.base,
                env=self.environment(),
                # Its own session: a Ctrl-C meant for pytest does not reach it.
                start_new_session=True,
                **self.as_service_user(),
            )
        _RUNNING.add(self)
        self.frozen = False
        deadline = time.monotonic() + seconds
        while not self.is_up():
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise ServerNotReady(
                    f"private {self.name} on port {self.port} exited ({code}):\n"
                    + self.log_tail()
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ServerNotReady(
                    f"private {self.name} on port {self.port} did not accept"
                    f" connections within {seconds:.0f} s:\n" + self.log_tail()
                )
            time.sleep(0.05)

    def stop(self, seconds: float = STOP_SECONDS) -> None:
        """Shut the server down cleanly (killed if it takes over `seconds`)."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            self.thaw()
            process.send_signal(self.stop_signal)
            try:
                process.wait(seconds)
            except subprocess.TimeoutExpired:
                signal_all(self.processes(), signal.SIGKILL)
                process.wait(10)
        self.process = None
        self.frozen = False
        _RUNNING.discard(self)

    def freeze(self) -> None:
        """SIGSTOP every process of this instance: connections stay open, nothing
        answers."""
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"private {self.name} is not running")
        # The main process first: a stopped postmaster starts no new children.
        signal_all([self.process.pid], signal.SIGSTOP)
        signal_all(self.processes()[1:], signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        """SIGCONT every process of this instance."""
        if self.process is None or not self.frozen:
            return
        processes = self.processes()
        signal_all(processes[1:], signal.SIGCONT)
        signal_all(processes[:1], signal.SIGCONT)
        self.frozen = False

    def is_up(self, timeout: float = 1.0) -> bool:
        """Whether the server accepts a connection and answers SELECT 1."""
        if self.process is None or self.process.poll() is not None:
            return False
        try:
            connection = self.connect(timeout)
        except Exception:
            return False
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            return bool(cursor.fetchone() == (1,))
        except Exception:
            return False
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def close(self) -> None:
        """Stop the server and delete its directory."""
        try:
            self.stop()
        finally:
            _RUNNING.discard(self)
            if self.base is not None:
                shutil.rmtree(self.base, ignore_errors=True)
                self.base = None

    def environment(self) -> dict[str, str]:
        """A small, predictable environment: nothing of the caller's leaks in."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
        }

    def run(self, args: list[str], what: str) -> None:
        """Run a set-up command as the service user; its output on failure."""
        assert self.base is not None
        result = subprocess.run(
            args,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            cwd=self.base,
            env=self.environment(),
            timeout=300,
            check=False,
            **self.as_service_user(),
        )
        if result.returncode != 0:
            raise ServerNotReady(
                f"{what} failed ({result.returncode}):\n"
                + (result.stdout + result.stderr)[-3000:]
            )

    def __repr__(self) -> str:
        return f"<private {self.name} on {self.host}:{self.port} in {self.base}>"


def postgres_bindir() -> Path | None:
    """The directory of initdb and postgres: TEMPLATE_TEST_PG_BINDIR, PATH, or
    the newest /usr/lib/postgresql/*/bin."""
    given = os.environ.get("TEMPLATE_TEST_PG_BINDIR")
    if given:
        return Path(given)
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)],
    )
    return versions[-1].parent if versions else None


class PrivatePostgres(PrivateServer):
    """A private PostgreSQL cluster, superuser `root`.

    Trust authentication by default; with `password`, the cluster is created
    with scram-sha-256 authentication (local and TCP) and that password for
    `root`, so a wrong password is refused.
    """

    backend = "postgresql"
    name = "PostgreSQL"
    service_user = "postgres"
    # Fast shutdown, as pg_ctl stop: clients are disconnected, work is rolled back.
    stop_signal = signal.SIGINT

    def __init__(self, password: str | None = None) -> None:
        super().__init__()
        self.password = password
        self.bindir = postgres_bindir()

    @staticmethod
    def missing_binaries() -> str | None:
        bindir = postgres_bindir()
        if bindir is None or not (bindir / "postgres").exists():
            return "no PostgreSQL server binaries (initdb, postgres): set TEMPLATE_TEST_PG_BINDIR"
        return None

    @property
    def admin_url(self) -> URL:
        return URL.create(
            "postgresql+psycopg",
            username="root",
            password=self.password,
            host=self.host,
            port=self.port,
            database="postgres",
        )

    def initialize(self) -> None:
        assert self.bindir is not None
        assert self.base is not None
        args = [
            str(self.bindir / "initdb"),
            f"--pgdata={self.data}",
            "--username=root",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        ]
        if self.password is None:
            args.append("--auth=trust")
        else:
            pwfile = self.base / "pwfile"
            pwfile.write_text(self.password + "\n")
            if self.as_root:
                entry = pwd.getpwnam(self.service_user)
                os.chown(pwfile, entry.pw_uid, entry.pw_gid)
            args += ["--auth=scram-sha-256", f"--pwfile={pwfile}"]
        try:
            self.run(args, "initdb")
        finally:
            if self.password is not None:
                (self.base / "pwfile").unlink(missing_ok=True)

    def command(self) -> list[str]:
        assert self.bindir is not None
        assert self.base is not None
        settings = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": str(self.base),
            # Speed over durability: the data is thrown away.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "16MB",
            "max_connections": "100",
            "logging_collector": "off",
            "log_min_messages": "warning",
        }
        return [
            str(self.bindir / "postgres"),
            "-D",
            str(self.data),
            *(f"--{key}={value}" for key, value in settings.items()),
        ]

    def connect(self, timeout: float) -> Any:
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user="root",
            password=self.password,
            dbname="postgres",
            connect_timeout=max(1, round(timeout)),
            autocommit=True,
        )

    def processes(self) -> list[int]:
        """The postmaster and its children (every backend and worker)."""
        if self.process is None:
            return []
        return [self.process.pid, *children(self.process.pid)]


class PrivateMariaDB(PrivateServer):
    """A private MariaDB server; `root` logs in over TCP with no password."""

    backend = "mysql"
    name = "MariaDB"
    service_user = "mysql"
    stop_signal = signal.SIGTERM  # a clean shutdown, as mariadb-admin shutdown

    #: Small and fast: the data is thrown away.
    SETTINGS: ClassVar[list[str]] = [
        "--innodb-buffer-pool-size=32M",
        "--innodb-log-file-size=16M",
        "--innodb-flush-log-at-trx-commit=0",
        "--innodb-doublewrite=0",
        "--skip-name-resolve",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_general_ci",
    ]

    @staticmethod
    def binaries() -> tuple[str | None, str | None]:
        install = shutil.which("mariadb-install-db")
        server = shutil.which("mariadbd") or (
            "/usr/sbin/mariadbd" if Path("/usr/sbin/mariadbd").exists() else None
        )
        return install, server

    @staticmethod
    def missing_binaries() -> str | None:
        if None in PrivateMariaDB.binaries():
            return "no MariaDB server binaries (mariadb-install-db, mariadbd)"
        return None

    @property
    def log(self) -> Path:
        assert self.base is not None
        return self.base / "mariadb.log"

    @property
    def admin_url(self) -> URL:
        return URL.create(
            "mysql+pymysql", username="root", host=self.host, port=self.port
        )

    def user_option(self) -> list[str]:
        # mariadbd switches to this user itself (it refuses to run as root).
        return [f"--user={self.service_user}"] if self.as_root else []

    def initialize(self) -> None:
        install, _ = self.binaries()
        assert install is not None
        assert self.base is not None
        self.run(
            [
                install,
                "--no-defaults",
                f"--datadir={self.data}",
                *self.user_option(),
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *self.SETTINGS,
            ],
            "mariadb-install-db",
        )

    def command(self) -> list[str]:
        _, server = self.binaries()
        assert server is not None
        assert self.base is not None
        return [
            server,
            "--no-defaults",  # must come first: no /etc/mysql/my.cnf
            f"--datadir={self.data}",
            f"--port={self.port}",
            f"--bind-address={self.host}",
            f"--socket={self.base / 'mariadb.sock'}",
            f"--pid-file={self.base / 'mariadb.pid'}",
            f"--tmpdir={self.base}",
            f"--log-error={self.log}",
            *self.user_option(),
            "--skip-log-bin",
            *self.SETTINGS,
        ]

    def as_service_user(self) -> dict[str, Any]:
        # As root, mariadbd is started as root and drops to --user itself;
        # mariadb-install-db does the same with its --user.
        return {}

    def connect(self, timeout: float) -> Any:
        import pymysql

        return pymysql.connect(
            host=self.host,
            port=self.port,
            user="root",
            password="",
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
        )

    def processes(self) -> list[int]:
        """mariadbd: one process (its threads stop with it)."""
        return [] if self.process is None else [self.process.pid]


#: The private server class of each backend.
PRIVATE_SERVERS: dict[str, type[PrivatePostgres] | type[PrivateMariaDB]] = {
    "postgresql": PrivatePostgres,
    "mysql": PrivateMariaDB,
}


if __name__ == "__main__":
    for kind in (PrivatePostgres, PrivateMariaDB):
        reason = kind.available()
        if reason:
            print(f"{kind.name}: {reason}")
            continue
        began = time.perf_counter()
        with kind() as instance:
            ready = time.perf_counter() - began
            print(
                f"{kind.name}: init {instance.timings['init']:.2f} s,"
                f" launch to first connection {instance.timings['ready']:.2f} s,"
                f" total {ready:.2f} s ({instance.admin_url.render_as_string()})"
            )
            began = time.perf_counter()
            instance.stop()
            stopped = time.perf_counter() - began
            instance.start()
            print(
                f"{kind.name}: stop {stopped:.2f} s,"
                f" restart {time.perf_counter() - began - stopped:.2f} s"
            )
