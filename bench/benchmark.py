"""Benchmark of the template and of the code it generates, in one table.

    uv run python bench/benchmark.py            # full run (about 7 to 9 minutes here)
    uv run python bench/benchmark.py --quick    # fewer repetitions
    uv run python bench/benchmark.py --suite-seconds 251.3   # fill in row 7

Prints one Markdown table (every figure: median of several runs, with min and
max, next to its baseline measured in the same run) and a line describing the
machine. Progress goes to stderr, the table to stdout.

What it measures, per backend:
 1. generation: `cookiecutter --no-input` (the whole process: hooks and their
    smoke test included) vs the same with `--accept-hooks no`;
 2. the generated project's own `pytest` (start-up included) vs
    `pytest --collect-only` (start-up, imports and collection only);
 3. bulk insert of 100,000 users: `UserRepository.bulk_create` vs the raw
    driver's fastest batch insert, all rows in one transaction on both sides;
    the ORM's `session.add_all(objects)` for the record;
 4. bulk update of 100,000 rows: `set_active` vs one raw `UPDATE`;
 5. pagination at row 1 and row 90,000: `list_after` (keyset) and `list_page`
    (OFFSET);
 6. round trip: `with get_session() as s: s.execute(select(1))` vs the raw
    driver's `cursor.execute("SELECT 1")` on one reused connection;
 7. the template's own test suite: never run here (it takes minutes); pass
    `--suite-seconds` or `--suite-seconds-file` to show a figure measured elsewhere;
 8. the project's command (SQLite, PostgreSQL): `--help` vs the interpreter
    starting alone, and `doctor` on a migrated database vs `--help`.

Figures 3 to 6 run in one subprocess per backend (bench/inprocess.py), the
generated code and the raw driver interleaved on the same data. Servers: a
PostgreSQL and a MariaDB/MySQL server on 127.0.0.1 (override with
`BENCH_POSTGRES_URL`, `BENCH_MYSQL_URL`, or the options); the benchmark creates
its own databases and drops them at the end. A server it cannot reach is
skipped, and the reason printed.
"""

# ruff: noqa: RUF001
# The multiplication sign and the en dash are meant: the table is for people to read.
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
#: The template: this checkout, or another copy (--template), e.g. a patched one.
TEMPLATE = BENCH.parent
sys.path.insert(0, str(TEMPLATE / "tests"))  # helpers shared with the tests
import environments  # noqa: E402

PYTHON = sys.executable
#: Backends for figure 1 when cookiecutter.json cannot be read.
GENERATION_BACKENDS = ("sqlite", "postgresql", "mysql", "mssql", "oracle")


def generation_backends() -> list[str]:
    """Every `database_backend` the template offers (cookiecutter.json)."""
    try:
        choices = json.loads((TEMPLATE / "cookiecutter.json").read_text())[
            "database_backend"
        ]
    except (OSError, ValueError, KeyError):
        return list(GENERATION_BACKENDS)
    return (
        [str(c) for c in choices]
        if isinstance(choices, list)
        else list(GENERATION_BACKENDS)
    )


#: PostgreSQL on psycopg2 (`postgresql_driver=psycopg2`), as a backend name here.
PSYCOPG2 = "postgresql-psycopg2"
SERVER_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}
#: Environment variables that would steer a generated project elsewhere.
STEERING = ("DATABASE_URL", "TEST_DATABASE_URL", "CI", "PYTHONPATH", "PYTEST_ADDOPTS")
FIGURES = ("gen", "suite", "cli", "insert", "update", "page", "roundtrip", "getbyid")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


#: What could not be measured, and why: printed under the table.
PROBLEMS: list[str] = []


@contextlib.contextmanager
def attempt(what: str) -> Iterator[None]:
    """Run one figure; if it fails (a server restarting, a broken suite), note
    why and go on with the others."""
    try:
        yield
    except Exception as error:
        detail = " | ".join(str(error).strip().splitlines()[-3:])[:400]
        PROBLEMS.append(f"{what}: not measured ({type(error).__name__}: {detail})")
        log(PROBLEMS[-1])


# -- results and the table -----------------------------------------------------


@dataclass
class Row:
    """One line of the table: our figure next to its baseline."""

    order: float
    figure: str
    backend: str
    ours: list[float] | None
    base: list[float] | None
    #: Target text, and the check: (ours median, baseline median, ratio) -> met?
    target: str = "—"
    check: Callable[[float, float | None, float | None], bool] | None = None
    unit: str = "s"  # "s": seconds (shown in s/ms/µs)
    scale: float = 1.0  # multiply samples by this before showing (per-call figures)
    note: str = ""
    text: str | None = None  # replaces the ours cell (e.g. "not measured")

    def median(self, values: list[float] | None) -> float | None:
        return statistics.median(values) * self.scale if values else None


def show_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"
    return f"{seconds * 1e6:.0f} µs"


def show_samples(values: list[float] | None, scale: float) -> str:
    if not values:
        return "—"
    scaled = [v * scale for v in values]
    low, high = min(scaled), max(scaled)
    # min and max in the median's unit, so the cell reads at a glance.
    median = statistics.median(scaled)
    unit = show_time(median).split()[-1]
    factor = {"s": 1, "ms": 1e3, "µs": 1e6}[unit]
    digits = 2 if unit == "s" else (1 if median * factor < 100 else 0)
    return f"{show_time(median)} ({low * factor:.{digits}f}–{high * factor:.{digits}f})"


def render_table(rows: list[Row]) -> str:
    head = [
        "figure",
        "backend",
        "ours: median (min–max)",
        "raw/baseline: median (min–max)",
        "ratio",
        "target",
        "met?",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in sorted(rows, key=lambda r: r.order):
        ours_m, base_m = row.median(row.ours), row.median(row.base)
        ratio = ours_m / base_m if ours_m is not None and base_m else None
        met = "—"
        if row.check is not None and ours_m is not None:
            met = "yes" if row.check(ours_m, base_m, ratio) else "**no**"
        ours_cell = (
            row.text if row.text is not None else show_samples(row.ours, row.scale)
        )
        base_cell = show_samples(row.base, row.scale) if row.base else (row.note or "—")
        cells = [
            row.figure,
            row.backend,
            ours_cell,
            base_cell,
            f"{ratio:.2f}×" if ratio is not None else "—",
            row.target,
            met,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- the machine -----------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def library_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in (
        "cookiecutter",
        "SQLAlchemy",
        "psycopg",
        "psycopg2-binary",
        "PyMySQL",
        "pytest",
    ):
        with contextlib.suppress(PackageNotFoundError):
            parts.append(f"{name} {version(name)}")
    return ", ".join(parts)


# -- subprocesses ------------------------------------------------------------------


#: Where subprocesses keep their bytecode (.pyc) when caching is on; see main().
PYCACHE: dict[str, str] = {}


def clean_env(bytecode: bool | None = None, **extra: str) -> dict[str, str]:
    """The environment for a subprocess: nothing that steers a generated project
    to another database, and bytecode caching as chosen (default: the run's).

    With caching on, .pyc files go to a folder of the work folder
    (PYTHONPYCACHEPREFIX), so neither .venv nor the template is written to.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in STEERING and not k.startswith("DB_")
    }
    if bytecode is None:
        bytecode = bool(PYCACHE)
    if bytecode and PYCACHE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = PYCACHE["prefix"]
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    env.update(extra)
    return env


def wall_time(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 300
) -> float:
    """Seconds the whole process took; raises if it failed."""
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(cmd[:4])} ... exited {proc.returncode}:\n{tail}")
    return elapsed


def cookiecutter_cmd() -> list[str]:
    script = Path(PYTHON).parent / "cookiecutter"
    return [str(script)] if script.exists() else [PYTHON, "-m", "cookiecutter"]


def generate(out: Path, backend: str, hooks: bool = True) -> Path:
    """Render the template for `backend` into `out`; the project's folder.

    `postgresql-psycopg2` is PostgreSQL with `postgresql_driver=psycopg2`."""
    cmd = [*cookiecutter_cmd(), "--no-input", "-o", str(out)]
    if not hooks:
        cmd += ["--accept-hooks", "no"]
    name, _, driver = backend.partition("-")
    cmd += [
        str(TEMPLATE),
        f"database_backend={name}",
        f"project_slug=bench-{backend}",
        f"package_name=bench_{backend.replace('-', '_')}",
    ]
    if driver:
        cmd.append(f"{name}_driver={driver}")
    wall_time(cmd, TEMPLATE, clean_env())
    return out / f"bench-{backend}"


def prewarm(projects: dict[str, Path]) -> None:
    """Import and run once what the figures use, so that with bytecode caching on
    no figure pays for compiling it (an installation that has run once has its .pyc)."""
    log("warming up: the generated SQLite project's suite, and the drivers")
    project = projects["sqlite"]
    with contextlib.suppress(RuntimeError):  # a failing suite is reported by figure 2
        wall_time(
            [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            project,
            clean_env(PYTHONPATH=str(project / "src")),
        )
    wall_time(
        [
            PYTHON,
            "-c",
            "import cookiecutter.cli, cookiecutter.main, psycopg, pymysql, sqlalchemy.dialects.postgresql.psycopg, sqlalchemy.dialects.mysql.pymysql",
        ],
        TEMPLATE,
        clean_env(),
    )


def alternate(
    reps: int, sides: dict[str, Callable[[], float]]
) -> dict[str, list[float]]:
    """One warm-up round (not counted), then `reps` rounds in alternating order."""
    names = list(sides)
    for name in names:
        sides[name]()
    results: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(reps):
        for name in names if rep % 2 == 0 else names[::-1]:
            results[name].append(sides[name]())
    return results


# -- servers -------------------------------------------------------------------------


@dataclass
class Server:
    backend: str  # "postgresql" or "mysql"
    admin_url: str
    version: str = ""
    mariadb: bool = False
    databases: list[str] = field(default_factory=list)

    def _connect(self, database: str | None = None, autocommit: bool = True) -> Any:
        from sqlalchemy import make_url

        url = make_url(self.admin_url)
        if self.backend == "postgresql":
            import psycopg

            return psycopg.connect(
                host=url.host,
                port=url.port or 5432,
                user=url.username,
                password=url.password or "",
                dbname=database or url.database or "postgres",
                connect_timeout=5,
                autocommit=autocommit,
            )
        import pymysql

        return pymysql.connect(
            host=url.host,
            port=url.port or 3306,
            user=url.username,
            password=url.password or "",
            database=database,
            charset="utf8mb4",
            connect_timeout=5,
            autocommit=autocommit,
        )

    def probe(self) -> str | None:
        """None when reachable (and the version noted), else the reason."""
        try:
            conn = self._connect()
        except Exception as error:  # any driver's connection error
            return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
        try:
            cur = conn.cursor()
            cur.execute(
                "SHOW server_version"
                if self.backend == "postgresql"
                else "SELECT version()"
            )
            full = str(
                cur.fetchone()[0]
            )  # "15.20 (Debian ...)", "10.11.19-MariaDB-0+deb12u1"
            self.version = full.split()[0].split("-")[0]
            self.mariadb = "mariadb" in full.lower()
        finally:
            conn.close()
        return None

    def create_database(self) -> str:
        """A new, empty database; its SQLAlchemy URL."""
        from sqlalchemy import make_url

        # "test" in the name: the generated suite refuses any other database.
        name = f"bench_test_{os.getpid()}_{secrets.token_hex(3)}"
        conn = self._connect()
        try:
            options = (
                " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                if self.backend == "mysql"
                else ""
            )
            conn.cursor().execute(f"CREATE DATABASE {name}{options}")
        finally:
            conn.close()
        self.databases.append(name)
        url = make_url(self.admin_url).set(database=name)
        return url.render_as_string(hide_password=False)

    def drop_databases(self) -> None:
        for name in self.databases:
            try:
                conn = self._connect()
                try:
                    if self.backend == "postgresql":
                        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                    else:
                        conn.cursor().execute(f"DROP DATABASE IF EXISTS {name}")
                finally:
                    conn.close()
            except Exception as error:
                log(f"could not drop {self.backend} database {name}: {error}")
        self.databases.clear()

    @property
    def label(self) -> str:
        if self.backend == "postgresql":
            return "PostgreSQL"
        return (
            "MariaDB"
            if "mariadb" in self.version.lower() or self.version.startswith("10.")
            else "MySQL"
        )


# -- the figures ---------------------------------------------------------------------


def bare_cookiecutter(work: Path) -> list[str] | None:
    """cookiecutter in a Python of its own, without SQLAlchemy: how most users
    run a template (`uvx cookiecutter`)."""
    uv = shutil.which("uv")
    if uv is None:
        log("  (no uv: the generation rows without SQLAlchemy are skipped)")
        return None
    return [str(environments.bare_cookiecutter(uv, PYTHON, work / "bare-cookiecutter"))]


def figure_generation(work: Path, reps: int, rows: list[Row], uncached: bool) -> None:
    counter = iter(range(100_000))
    #: (backend, how): "template" is this environment (SQLAlchemy importable),
    #: "bare" a cookiecutter-only one,
    #: "uncached" this environment without a bytecode cache.
    plans: list[tuple[str, str]] = [(b, "template") for b in generation_backends()]
    bare = bare_cookiecutter(work)
    if bare:
        plans += [("sqlite", "bare"), ("postgresql", "bare")]
    if uncached and PYCACHE:
        plans.append(("sqlite", "uncached"))
    for index, (backend, how) in enumerate(plans):
        log(f"1. generation, {backend}, {how}")
        command = bare if how == "bare" and bare else cookiecutter_cmd()
        bytecode = False if how == "uncached" else None

        def run(
            hooks: bool,
            backend: str = backend,
            bytecode: bool | None = bytecode,
            command: list[str] = command,
        ) -> float:
            out = work / f"gen-{next(counter)}"
            cmd = [*command, "--no-input", "-o", str(out)]
            if not hooks:
                cmd += ["--accept-hooks", "no"]
            cmd += [
                str(TEMPLATE),
                f"database_backend={backend}",
                f"project_slug=gen-{backend}",
                f"package_name=gen_{backend}",
            ]
            elapsed = wall_time(cmd, TEMPLATE, clean_env(bytecode))
            shutil.rmtree(out)
            return elapsed

        result: dict[str, list[float]] = {}
        with attempt(f"1. generation, {backend}, {how}"):
            result = alternate(
                reps, {"hooks": lambda: run(True), "no_hooks": lambda: run(False)}
            )
        if not result:
            continue
        target: str = "—"
        check = None
        if how == "template":
            figure = (
                "1. generation: `cookiecutter --no-input` vs `--accept-hooks no`"
                " (SQLAlchemy importable)"
            )
            target = "≤ 1.5× and < 1 s"
            check = lambda o, b, r: r is not None and r <= 1.5 and o < 1.0  # noqa: E731
        elif how == "bare":
            figure = "1a. the same, cookiecutter alone (`uvx cookiecutter`)"
            target = "≤ 1.5× and < 1 s"
            check = lambda o, b, r: r is not None and r <= 1.5 and o < 1.0  # noqa: E731
        else:
            figure = "1b. the same without bytecode cache (PYTHONDONTWRITEBYTECODE=1, record)"
        rows.append(
            Row(
                1 + index / 100,
                figure,
                backend,
                result["hooks"],
                result["no_hooks"],
                target=target,
                check=check,
            )
        )


def figure_suite(
    projects: dict[str, Path], servers: dict[str, Server], reps: int, rows: list[Row]
) -> None:
    plans: list[tuple[str, Server | None, float | None]] = [("sqlite", None, 2.0)]
    if "postgresql" in servers:
        plans.append(("postgresql", servers["postgresql"], 4.0))
    if "mysql" in servers:
        plans.append(("mysql", servers["mysql"], None))
    for index, (backend, server, limit) in enumerate(plans):
        project = projects[backend]
        extra = {"PYTHONPATH": str(project / "src")}
        if server is not None:
            # A database of its own: the suite creates and drops its tables.
            extra["TEST_DATABASE_URL"] = server.create_database()
            # pytest -n 2: each worker creates "<that database>_gw0", "_gw1".
            server.databases += [f"{server.databases[-1]}_gw{n}" for n in range(2)]
        env = clean_env(**extra)
        pytest = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        if server is not None:
            pytest.append("--require-db")
        label = server.label if server else "SQLite"
        log(f"2. generated suite, {label}")
        sides = {
            "suite": lambda pytest=pytest, project=project, env=env: wall_time(
                pytest, project, env
            ),
            "collect": lambda pytest=pytest, project=project, env=env: wall_time(
                [*pytest, "--collect-only"], project, env
            ),
            "xdist": lambda pytest=pytest, project=project, env=env: wall_time(
                [*pytest, "-n", "2"], project, env
            ),
        }
        result = {}
        with attempt(f"2. generated suite, {label}"):
            result = alternate(reps, sides)
        if not result:
            continue
        rows.append(
            Row(
                2 + index / 100,
                "2. generated project's `pytest` vs `pytest --collect-only`",
                label,
                result["suite"],
                result["collect"],
                target=f"< {limit:.0f} s" if limit else "— (record)",
                check=(lambda o, b, r, limit=limit: o < limit) if limit else None,
            )
        )
        rows.append(
            Row(
                2.5 + index / 100,
                "2b. generated project's `pytest -n 2` (pytest-xdist) vs `pytest` (record)",
                label,
                result["xdist"],
                result["suite"],
            )
        )


def timed_run(cmd: list[str], cwd: Path, env: dict[str, str]) -> Callable[[], float]:
    """A side for `alternate`: `cmd`'s wall time."""
    return lambda: wall_time(cmd, cwd, env)


def figure_cli(
    projects: dict[str, Path], servers: dict[str, Server], reps: int, rows: list[Row]
) -> None:
    """8. The project's command: `--help` against the interpreter starting
    alone, and `doctor` (every check, on a migrated database) against `--help`."""
    plans: list[tuple[str, Server | None]] = [("sqlite", None)]
    if "postgresql" in servers:
        plans.append(("postgresql", servers["postgresql"]))
    for index, (backend, server) in enumerate(plans):
        project = projects[backend]
        package = project.name.replace("-", "_")
        url = (
            server.create_database()
            if server
            else f"sqlite+pysqlite:///{project / 'bench_cli.db'}"
        )
        env = clean_env(PYTHONPATH=str(project / "src"), DATABASE_URL=url)
        command = [PYTHON, "-m", package]
        label = server.label if server else "SQLite"
        log(f"8. the project's command, {label}")
        result = {}
        with attempt(f"8. the project's command, {label}"):
            wall_time([*command, "migrate"], project, env)
            result = alternate(
                reps,
                {
                    "help": timed_run([*command, "--help"], project, env),
                    "python": timed_run([PYTHON, "-c", "pass"], project, env),
                    "doctor": timed_run([*command, "doctor"], project, env),
                },
            )
        if not result:
            continue
        rows.append(
            Row(
                8 + index / 100,
                "8. `<project> --help` vs `python -c pass` (record)",
                label,
                result["help"],
                result["python"],
            )
        )
        rows.append(
            Row(
                8.5 + index / 100,
                "8b. `<project> doctor`, all checks passing, vs `--help` (record)",
                label,
                result["doctor"],
                result["help"],
            )
        )


def run_inprocess(
    project: Path, url: str, args: argparse.Namespace, figures: list[str]
) -> dict[str, Any]:
    package = project.name.replace("-", "_")
    cmd = [
        PYTHON,
        str(BENCH / "inprocess.py"),
        "--package",
        package,
        "--url",
        url,
        "--reps",
        str(args.reps),
        "--rows",
        str(args.rows),
        "--roundtrips",
        str(args.roundtrips),
        "--figures",
        ",".join(figures),
        "--add-all-reps",
        str(args.add_all_reps),
    ]
    proc = subprocess.run(
        cmd, cwd=project, env=clean_env(), capture_output=True, text=True, timeout=1800
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"inprocess.py failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def inprocess_rows(
    label: str, result: dict[str, Any], index: int, rows: list[Row]
) -> None:
    n = result["rows"]
    if "insert" in result:
        ins = result["insert"]
        raws = [k for k in ("executemany", "copy") if k in ins]
        fastest = min(raws, key=lambda k: statistics.median(ins[k]))
        names = {
            "executemany": {
                "sqlite": "sqlite3 `executemany`",
                "psycopg": "psycopg `executemany` (pipeline)",
                "psycopg2": "psycopg2 `execute_values`",
                "mysql": "PyMySQL `executemany` (multi-row)",
            }[
                result["driver"]
                if result["backend"] == "postgresql"
                else result["backend"]
            ],
            "copy": "psycopg2 `copy_expert` (COPY)"
            if result["driver"] == "psycopg2"
            else "psycopg `COPY`",
        }
        for offset, raw in enumerate([fastest] + [k for k in raws if k != fastest]):
            is_target = raw == fastest
            rows.append(
                Row(
                    3 + index / 100 + offset / 1000,
                    f"3. bulk insert {n:,} rows, 1 transaction: `bulk_create` vs {names[raw]}",
                    label,
                    ins["ours"],
                    ins[raw],
                    target="≤ 1.5×" if is_target else "— (record)",
                    check=(lambda o, b, r: r is not None and r <= 1.5)
                    if is_target
                    else None,
                )
            )
        if "add_all" in ins:
            rows.append(
                Row(
                    3.5 + index / 100,
                    f"3b. bulk insert {n:,} rows: `session.add_all(objects)` vs {names[fastest]} (record)",
                    label,
                    ins["add_all"],
                    ins[fastest],
                )
            )
        if "peer" in ins:
            rows.append(
                Row(
                    3.6 + index / 100,
                    f"3c. peer: advanced-alchemy `add_many` {n:,} rows vs {names[fastest]} (record)",
                    label,
                    ins["peer"],
                    ins[fastest],
                )
            )
    if "update" in result:
        upd = result["update"]
        rows.append(
            Row(
                4 + index / 100,
                f"4. bulk update {n:,} rows: `set_active` vs one raw `UPDATE users SET active = …`",
                label,
                upd["ours"],
                upd["raw"],
                target="≤ 1.2×",
                check=lambda o, b, r: r is not None and r <= 1.2,
            )
        )
        if "raw_same" in upd:
            rows.append(
                Row(
                    4.5 + index / 100,
                    "4b. `set_active` vs raw `UPDATE` with its `version`, `updated_at` and `WHERE` (record)",
                    label,
                    upd["ours"],
                    upd["raw_same"],
                )
            )
    if "page" in result:
        page = result["page"]
        depth = result["page_depth"]
        rows.append(
            Row(
                5 + index / 100,
                f"5. keyset `list_after`: page at row {depth:,} vs page 1 (20 rows)",
                label,
                page["keyset_deep"],
                page["keyset_first"],
                target="≤ 2×",
                check=lambda o, b, r: r is not None and r <= 2,
            )
        )
        rows.append(
            Row(
                5.5 + index / 100,
                f"5b. at row {depth:,}: OFFSET `list_page` vs keyset `list_after`",
                label,
                page["offset_deep"],
                page["keyset_deep"],
                target="— (report)",
            )
        )
    if "page" in result and "peer_offset_deep" in result["page"]:
        page = result["page"]
        rows.append(
            Row(
                5.6 + index / 100,
                f"5c. peer: advanced-alchemy OFFSET page at row {result['page_depth']:,} vs our `list_page` (record)",
                label,
                page["peer_offset_deep"],
                page["offset_deep"],
            )
        )
    if "getbyid" in result:
        got = result["getbyid"]
        calls = result["getbyid_calls"]
        rows.append(
            Row(
                6.7 + index / 100,
                f"6c. get by id, a unit of work each ({calls:,} calls): `get_session()` + `get` vs raw BEGIN, SELECT, COMMIT (record)",
                label,
                got["ours"],
                got["raw"],
                scale=1 / calls,
            )
        )
        if "peer" in got:
            rows.append(
                Row(
                    6.8 + index / 100,
                    "6d. peer: advanced-alchemy `get`, a unit of work each, vs raw (record)",
                    label,
                    got["peer"],
                    got["raw"],
                    scale=1 / calls,
                )
            )
    if "roundtrip" in result:
        rt = result["roundtrip"]
        count = result["roundtrips"]
        rows.append(
            Row(
                6 + index / 100,
                f"6. round trip (per call, {count:,} calls): `get_session()` + `select(1)` vs raw cursor",
                label,
                rt["ours"],
                rt["raw"],
                target="≤ 1.5×",
                check=lambda o, b, r: r is not None and r <= 1.5,
                scale=1 / count,
            )
        )
        if "raw_tx" in rt:
            rows.append(
                Row(
                    6.5 + index / 100,
                    "6b. round trip: `get_session()` vs raw `SELECT 1` + `COMMIT` per call (record)",
                    label,
                    rt["ours"],
                    rt["raw_tx"],
                    scale=1 / count,
                )
            )


def template_suite_row(args: argparse.Namespace) -> Row:
    values = list(args.suite_seconds or [])
    source = ""
    if args.suite_seconds_file:
        path = Path(args.suite_seconds_file)
        if path.is_file():
            values += [float(v) for v in path.read_text().split()]
            source = f" (from {path.name})"
    row = Row(
        7,
        f"7. template's own test suite (`uv run pytest`, not run here){source}",
        "all",
        values or None,
        None,
    )
    if not values:
        row.text = "not measured"
        row.note = "pass `--suite-seconds N` or `--suite-seconds-file F`"
    return row


# -- main ----------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 runs per figure instead of 5 (add_all: 1 instead of 3)",
    )
    parser.add_argument(
        "--reps",
        type=int,
        help="runs per figure, after one warm-up run (default 5, --quick 2)",
    )
    parser.add_argument(
        "--add-all-reps",
        type=int,
        help="runs of the add_all path (default 3, --quick 1; 0 skips it)",
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=100_000,
        help="rows for figures 3 to 5 (default 100,000)",
    )
    parser.add_argument(
        "--roundtrips",
        type=int,
        default=10_000,
        help="calls per round-trip sample (default 10,000)",
    )
    parser.add_argument(
        "--only",
        default=",".join(FIGURES),
        help=f"comma-separated subset of {','.join(FIGURES)}",
    )
    parser.add_argument(
        "--backends",
        default=f"sqlite,postgresql,mysql,{PSYCOPG2}",
        help=f"servers for figures 2 to 6 ({PSYCOPG2}: PostgreSQL on psycopg2,"
        " figures 3 and 6)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--mysql-url",
        default=os.environ.get(
            "BENCH_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/?charset=utf8mb4"
        ),
    )
    parser.add_argument(
        "--suite-seconds",
        type=float,
        action="append",
        help="the template's suite wall time, measured elsewhere (repeat for several runs)",
    )
    parser.add_argument(
        "--suite-seconds-file",
        default=str(BENCH / "template-suite-seconds.txt"),
        help="file of such times, whitespace-separated (read if it exists)",
    )
    parser.add_argument(
        "--template",
        type=Path,
        help="render this copy of the template instead of this checkout (e.g. a patched one)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the work folder (generated projects) for inspection",
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="run subprocesses without .pyc caching, as with PYTHONDONTWRITEBYTECODE=1 "
        "(default: cache in the work folder, as a normal installation does)",
    )
    parser.add_argument(
        "--no-uncached-row",
        action="store_true",
        help="skip row 1b (generation without bytecode cache)",
    )
    args = parser.parse_args()
    if args.reps is None:
        args.reps = 2 if args.quick else 5
    if args.add_all_reps is None:
        args.add_all_reps = 1 if args.quick else 3
    return args


@contextlib.contextmanager
def work_folder(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="template-bench-"))
    try:
        yield path
    finally:
        if keep:
            log(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def main() -> int:
    global TEMPLATE
    args = parse_args()
    if args.template:
        TEMPLATE = args.template.resolve()
    only = [f for f in args.only.split(",") if f]
    backends = [b for b in args.backends.split(",") if b]
    started = time.perf_counter()
    rows: list[Row] = []
    skipped: list[str] = []
    servers: dict[str, Server] = {}
    for backend, url in (("postgresql", args.postgres_url), ("mysql", args.mysql_url)):
        if backend not in backends:
            continue
        server = Server(backend, url)
        reason = server.probe()
        for _ in range(3):  # a server that is restarting gets a few seconds
            if not reason or "refused" not in reason.lower():
                break
            time.sleep(2)
            reason = server.probe()
        if reason:
            skipped.append(
                f"{SERVER_LABELS[backend]} skipped: cannot connect to {url.split('@')[-1]} ({reason})"
            )
            log(skipped[-1])
        else:
            servers[backend] = server
    try:
        with work_folder(args.keep) as work:
            if not args.no_bytecode_cache:
                PYCACHE["prefix"] = str(work / "pycache")
            projects: dict[str, Path] = {}
            for backend in ("sqlite", *servers):
                projects[backend] = generate(work / "projects", backend)
            if "postgresql" in servers and PSYCOPG2 in backends:
                projects[PSYCOPG2] = generate(work / "projects", PSYCOPG2)
            prewarm(projects)
            if "gen" in only:
                figure_generation(
                    work, args.reps, rows, uncached=not args.no_uncached_row
                )
            if "suite" in only:
                figure_suite(projects, servers, args.reps, rows)
            if "cli" in only:
                figure_cli(projects, servers, args.reps, rows)
            inproc = [f for f in FIGURES[3:] if f in only]
            for index, backend in enumerate(
                b for b in ("sqlite", "postgresql", "mysql", PSYCOPG2) if b in backends
            ):
                if not inproc or backend not in projects:
                    continue
                if backend == "sqlite":
                    url = f"sqlite+pysqlite:///{work / 'bench.db'}"
                    figures = [f for f in inproc if f not in ("roundtrip", "getbyid")]
                    label = "SQLite"
                elif backend == PSYCOPG2:
                    # The driver's own rows: the same server and SQL otherwise.
                    from sqlalchemy import make_url

                    url = (
                        make_url(servers["postgresql"].create_database())
                        .set(drivername="postgresql+psycopg2")
                        .render_as_string(hide_password=False)
                    )
                    figures = [
                        f for f in inproc if f in ("insert", "roundtrip", "getbyid")
                    ]
                    label = "PostgreSQL, psycopg2"
                else:
                    url = servers[backend].create_database()
                    figures = inproc
                    label = servers[backend].label
                log(f"3-6. {', '.join(figures)} on {label} (one process, interleaved)")
                with attempt(f"3-6. {label}"):
                    result = run_inprocess(projects[backend], url, args, figures)
                    inprocess_rows(label, result, index, rows)
    finally:
        for server in servers.values():
            server.drop_databases()
    rows.append(template_suite_row(args))

    versions = ", ".join(f"{s.label} {s.version}" for s in servers.values())
    bytecode = (
        "off (PYTHONDONTWRITEBYTECODE=1)"
        if args.no_bytecode_cache
        else "on (PYTHONPYCACHEPREFIX)"
    )
    machine = (
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({library_versions()}){', ' + versions if versions else ''}, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; "
        f"{'--quick, ' if args.quick else ''}{args.reps} runs per figure after a warm-up, "
        f"subprocess bytecode cache {bytecode} ({time.perf_counter() - started:.0f} s in all)"
    )
    print(machine)
    print()
    print(render_table(rows))
    for line in skipped + PROBLEMS:
        print(f"\n{line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
