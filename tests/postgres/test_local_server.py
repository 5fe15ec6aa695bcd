"""The throw-away PostgreSQL the tests and the benchmark use runs unprivileged from any checkout."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from rag_service.store.postgres import local


def test_binaries_under_a_private_folder_are_run_from_a_public_copy(tmp_path: Path) -> None:
    install = local.binaries().parent
    copy = local._public_copy(install)
    assert (copy / "bin" / "postgres").is_file() and (
        copy / "share" / "extension" / "vector.control"
    ).is_file()
    assert local._reachable_by_others(copy)
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    assert not local._reachable_by_others(private)
    command = [str(copy / "bin" / "postgres"), "--version"]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
    assert "PostgreSQL" in subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_a_killed_server_leaves_no_process_and_starts_again() -> None:
    server = local.LocalPostgres.create()
    try:
        pid = server.pid()
        assert pid is not None and local._children(pid)  # its background workers
        server.kill()
        assert server.pid() is None and not local._alive(pid)
        server.start()
        assert server.pid() is not None
    finally:
        server.destroy()


def test_the_server_never_runs_as_root() -> None:
    """PostgreSQL refuses root; from a root process the server runs as ``nobody``."""
    server = local.LocalPostgres.create()
    try:
        pid = server.pid()
        assert pid is not None and Path(f"/proc/{pid}").stat().st_uid != 0
    finally:
        server.destroy()
