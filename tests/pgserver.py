"""A throwaway PostgreSQL server for the tests, started from the binaries on the machine.

``make test`` needs nothing running: :class:`PgServer` finds ``initdb`` and
``pg_ctl`` (on ``PATH``, then in ``/usr/lib/postgresql/*/bin``, newest first),
creates a cluster in a fresh temporary directory, starts it on ``127.0.0.1``
on a free port (and a unix socket in that directory), waits until it accepts
connections, and afterwards stops it and deletes the directory::

    with PgServer.start() as server:
        print(server.dsn)  # postgresql://postgres@127.0.0.1:PORT/postgres

Decisions:

- ``initdb`` refuses to run as root, and CI runs as root. Then every server
  command runs as the ``postgres`` system user, through ``subprocess``'s own
  ``user=``/``group=`` arguments (the child drops its privileges before it
  execs, no ``runuser``, ``sudo`` or ``su`` needed), and the directory is
  handed to that user.
- Authentication is ``trust`` and the superuser is ``postgres``, whoever runs
  the tests: the server listens on loopback and a private socket directory
  only, and lives for one test run.
- Durability is switched off (``fsync``, ``synchronous_commit``,
  ``full_page_writes``): a crash loses a cluster that is thrown away anyway.
- The server runs in its own session (``pg_ctl`` detaches it, and we start
  ``pg_ctl`` with ``start_new_session``), so a Ctrl-C at the terminal reaches
  pytest alone, whose teardown then stops the server in order. An ``atexit``
  hook stops it too if the fixture's teardown never ran. A run killed with
  SIGKILL cannot stop anything: the cluster's directory records its owner's
  pid, and the next start stops and deletes clusters whose owner is gone
  (:func:`reap_orphans`).
- The cluster lives in ``/dev/shm`` (RAM) when there is room: creating a
  database there is 20 to 30 times faster than on this machine's disk.

This module does not import pytest: ``tests/pgfixtures.py`` turns it into
fixtures, and a benchmark can use it as it is.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

SERVER_USER = "postgres"
"""The system user that runs the server when the tests run as root, and the superuser's name."""

START_TIMEOUT_S = 60
"""How long ``pg_ctl -w`` waits for the server to accept connections."""

INITDB_OPTIONS = ("--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
"""Trust on loopback and our own socket; C locale, so no locale of the machine is needed."""

SETTINGS: dict[str, str] = {
    # Durability off: this cluster is deleted at the end of the run.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # Less WAL and fewer checkpoints (CREATE DATABASE and DROP DATABASE checkpoint).
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "1GB",
    "checkpoint_timeout": "1h",
    # Nothing in the background that would make a run differ from the next.
    "autovacuum": "off",
    "jit": "off",
    # Pools of several bot processes in one test, and the per-test databases.
    "max_connections": "200",
    "logging_collector": "off",
    "log_min_messages": "warning",
}
"""``postgresql.conf`` settings for tests (listen address, port and socket are added per start)."""


class PgServerError(RuntimeError):
    """The server could not be set up, started or stopped; the message says which step and why."""


@dataclass(frozen=True)
class PgBinaries:
    """Where ``initdb`` and ``pg_ctl`` are (one directory, so they are of one version)."""

    initdb: Path
    pg_ctl: Path

    @property
    def bindir(self) -> Path:
        """The directory of the server binaries."""
        return self.initdb.parent


DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"
"""Where Debian and Ubuntu put each installed version's server binaries (not on PATH)."""


def find_binaries(path: str | None = None, bindirs: str = DEBIAN_BINDIRS) -> PgBinaries | None:
    """Return the PostgreSQL server binaries, or None when the machine has none.

    ``PATH`` (or ``path``) first: a symlink such as ``/usr/local/bin/initdb``
    is followed to its real directory, where ``pg_ctl`` and ``postgres`` must
    be too. Then the directories matching ``bindirs``, newest version first
    (compared as numbers: 15 before 9.6).
    """
    candidates: list[Path] = []
    on_path = shutil.which("initdb", path=path)
    if on_path is not None:
        candidates.append(Path(os.path.realpath(on_path)).parent)

    def version(bindir: str) -> tuple[int, ...]:
        found = re.search(r"/([\d.]+)/bin$", bindir)
        return tuple(int(p) for p in found.group(1).split(".") if p) if found else ()

    candidates.extend(Path(d) for d in sorted(glob.glob(bindirs), key=version, reverse=True))
    for bindir in candidates:
        initdb, pg_ctl, postgres = (bindir / n for n in ("initdb", "pg_ctl", "postgres"))
        if all(p.is_file() and os.access(p, os.X_OK) for p in (initdb, pg_ctl, postgres)):
            return PgBinaries(initdb=initdb, pg_ctl=pg_ctl)
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    Another process may take it before the server binds it; :meth:`PgServer.start`
    then tries again with a new port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


TMPFS = Path("/dev/shm")
"""Where the cluster lives when there is room: on ext4, even with fsync off, CREATE DATABASE
took 170-250 ms here against 6-12 ms in RAM."""

TMPFS_MIN_FREE = 1 << 30
"""The free space /dev/shm needs to be used (a container's default 64 MB is too small)."""


def _cluster_parent_dir() -> str:
    """Where to create the cluster's temporary directory.

    ``/dev/shm`` (RAM) when it has :data:`TMPFS_MIN_FREE` free, else the usual
    temporary directory. Every user must be able to enter it, since the server
    may run as another user: a ``TMPDIR`` inside root's home (mode 0700) falls
    back to ``/tmp``.
    """

    def usable(directory: Path) -> bool:
        try:
            if not os.access(directory, os.W_OK | os.X_OK):
                return False
            return all(os.stat(d).st_mode & stat.S_IXOTH for d in (directory, *directory.parents))
        except OSError:
            return False

    with contextlib.suppress(OSError):
        free = os.statvfs(TMPFS)
        if free.f_bavail * free.f_frsize >= TMPFS_MIN_FREE and usable(TMPFS):
            return str(TMPFS)
    default = Path(tempfile.gettempdir()).resolve()
    return str(default) if usable(default) else "/tmp"


DIR_PREFIX = "recall-pg-"
"""Every cluster's directory is ``<parent>/recall-pg-<random>``."""

OWNER_FILE = "owner.pid"
"""In a cluster's directory: the pid of the process that started it (see :func:`reap_orphans`)."""


def reap_orphans(binaries: PgBinaries, parent: str) -> list[Path]:
    """Stop and delete clusters left by test runs that died; return their directories.

    A run killed with SIGKILL cannot stop its server. The next start finds its
    directory under ``parent`` by :data:`DIR_PREFIX`, sees that the pid in its
    :data:`OWNER_FILE` no longer runs, and stops the server by its data
    directory. A directory without that file (a start in progress) or whose
    owner runs (another run right now), or that we may not touch (another
    user's), is left alone.
    """
    reaped: list[Path] = []
    for base in sorted(Path(parent).glob(f"{DIR_PREFIX}*")):
        try:
            owner = int((base / OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        orphan = PgServer(binaries, base, 0, _server_user())
        with contextlib.suppress(OSError, PgServerError):
            orphan.stop()
        if not base.exists():
            reaped.append(base)
    return reaped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    return True


class PgServer:
    """One running throwaway cluster: its directory, port and DSN. Use :meth:`start`.

    ``stop`` is idempotent and also runs at interpreter exit, so a server is
    never left behind by a run that ends normally, fails or is interrupted.
    """

    def __init__(self, binaries: PgBinaries, base: Path, port: int, as_user: str | None) -> None:
        self.binaries = binaries
        self.base = base
        self.port = port
        self._as_user = as_user
        self._stopped = False

    @property
    def datadir(self) -> Path:
        """The cluster's data directory."""
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        """The directory of the server's unix socket (``.s.PGSQL.<port>``)."""
        return self.base / "sock"

    @property
    def logfile(self) -> Path:
        """The server's log (read it when a start fails)."""
        return self.base / "server.log"

    @property
    def dsn(self) -> str:
        """The superuser's DSN for the ``postgres`` database, over TCP."""
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        """The superuser's DSN for ``database`` on this server."""
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    @classmethod
    def start(cls, binaries: PgBinaries | None = None, *, attempts: int = 3) -> PgServer:
        """Create a cluster in a new temporary directory and start it; return once it accepts.

        Raises :class:`PgServerError` when no binaries are found, when running
        as root without a ``postgres`` user, or when the server does not come
        up (the message carries the tool's output and the server log). On any
        failure or interruption, whatever started is stopped and the directory
        removed.
        """
        binaries = binaries or find_binaries()
        if binaries is None:
            raise PgServerError(missing_binaries_message())
        as_user = _server_user()
        parent = _cluster_parent_dir()
        reap_orphans(binaries, parent)
        base = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=parent))
        (base / OWNER_FILE).write_text(f"{os.getpid()}\n")
        server = cls(binaries, base, 0, as_user)
        try:
            server._initdb()
            for attempt in range(1, attempts + 1):
                server.port = free_port()
                try:
                    server._pg_ctl_start()
                    break
                except PgServerError:
                    # Most likely the port was taken meanwhile; anything else fails each time.
                    if attempt == attempts:
                        raise
        except BaseException:
            server.stop()  # a Ctrl-C may come after the postmaster started: stop it too
            raise
        atexit.register(server.stop)
        return server

    def stop(self) -> None:
        """Stop the server at once (``pg_ctl stop -m immediate``) and remove its directory.

        Returns once the postmaster has exited, so nothing of it outlives the call.
        """
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        try:
            pid = self._postmaster_pid()
            # pg_ctl signals whatever pid the file names: a stale file (a directory left in
            # /tmp across a reboot) may name a pid that another program has now.
            if pid is not None and self._is_our_postmaster(pid):
                pg_ctl, datadir = self.binaries.pg_ctl, self.datadir
                result = self._run(
                    pg_ctl, "stop", "-D", datadir, "-m", "immediate", "-w", check=False
                )
                if result.returncode != 0:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                # pg_ctl returns once the pid file is gone, a moment before the process is.
                _wait_until_gone(pid, timeout_s=10)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- steps ---------------------------------------------------------------

    def _initdb(self) -> None:
        self.datadir.mkdir()
        self.socket_dir.mkdir()
        if self._as_user is not None:
            entry = pwd.getpwnam(self._as_user)
            for path in (self.base, self.datadir, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self.datadir.chmod(0o700)  # the server refuses a data directory others can read
        self._run(self.binaries.initdb, "-D", self.datadir, "-U", SERVER_USER, *INITDB_OPTIONS)

    def _pg_ctl_start(self) -> None:
        settings = {
            **SETTINGS,
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
        }
        # postgresql.auto.conf is read last, so these win over postgresql.conf; rewritten each try.
        (self.datadir / "postgresql.auto.conf").write_text(
            "".join(f"{key} = {value}\n" for key, value in settings.items())
        )
        pg_ctl, timeout = self.binaries.pg_ctl, str(START_TIMEOUT_S)
        self._run(
            pg_ctl,
            "start",
            "-D",
            self.datadir,
            "-l",
            self.logfile,
            "-w",
            "-t",
            timeout,
            step=f"pg_ctl start on port {self.port}",
        )

    def _postmaster_pid(self) -> int | None:
        """The postmaster's pid from its pid file, or None when it is not running."""
        try:
            return int((self.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _is_our_postmaster(self, pid: int) -> bool:
        """True when process ``pid`` runs ``postgres -D <our data dir>``."""
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return os.fsencode(self.datadir) in argv

    def _run(
        self, *argv: str | Path, step: str = "", check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a server tool, as the server's user when we are root, with a clean environment."""
        uid = gid = None
        groups: list[int] | None = None
        if self._as_user is not None:
            entry = pwd.getpwnam(self._as_user)
            # setuid, setgid and setgroups happen in the child before it execs; the empty
            # extra_groups drops root's supplementary groups too.
            uid, gid, groups = entry.pw_uid, entry.pw_gid, []
        result = subprocess.run(
            argv,
            env=_server_env(self._as_user),
            cwd=self.base,  # the server's user may not enter our working directory
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C at the terminal must not reach the server
            check=False,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
        if check and result.returncode != 0:
            log = self.logfile.read_text(errors="replace")[-4000:] if self.logfile.exists() else ""
            raise PgServerError(
                f"{step or Path(argv[0]).name} failed (exit {result.returncode}): "
                f"{result.stdout.strip()}\n{result.stderr.strip()}\n"
                + (f"server log:\n{log}" if log else "")
            )
        return result


def _wait_until_gone(pid: int, *, timeout_s: float) -> None:
    """Wait until process ``pid`` has exited (a zombie counts as gone), at most ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return  # no such process (or no /proc: nothing more we can check)
        if state in ("Z", "X"):
            return
        time.sleep(0.01)


def _server_user() -> str | None:
    """``postgres`` when we run as root (``initdb`` refuses root), else None: run as ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PgServerError(
            f"running as root, and initdb refuses root, but there is no {SERVER_USER!r} user "
            f"to run PostgreSQL as: create one (useradd --system {SERVER_USER}) or run as "
            "another user"
        ) from None
    return SERVER_USER


def _server_env(as_user: str | None) -> dict[str, str]:
    """Our environment without ``PG*`` variables (a user's PGDATA or PGPORT must not leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"  # the cluster is C; an unknown locale in the environment only warns
    if as_user is not None:
        entry = pwd.getpwnam(as_user)
        env.update(HOME=entry.pw_dir, USER=as_user, LOGNAME=as_user)
    return env


def missing_binaries_message() -> str:
    """The one explanation given when no PostgreSQL server binaries are found."""
    return (
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in "
        "/usr/lib/postgresql/*/bin: install them (Debian: apt-get install postgresql) or set "
        "RECALL_TEST_POSTGRES_URL to a running server"
    )
