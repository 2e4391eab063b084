"""The embedded Temporal dev server: ``temporal server start-dev`` as a child process.

``dom up`` runs one when no ``DOM_TEMPORAL_ADDRESS`` is set; the end-to-end tests and the
benchmarks start their own stacks on it too (``free_port`` picks their ports), so what
they measure is what users run.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from adapters.private_files import CREATE_MASK, FILE_MODE, private_folder, private_if_present
from starter.bootstrap.settings import UI_PORT_OFFSET
from starter.bootstrap.temporal import temporal_cli_path

log = logging.getLogger(__name__)


def free_port(*, with_ui: bool = False, besides: Iterable[int] = ()) -> int:
    """A free local port P (and P + UI_PORT_OFFSET free too when ``with_ui``), for tests
    and benchmarks that start a stack of their own. ``besides``: ports already picked for
    the same stack (P is none of them, nor any of their UI ports), so an API port never
    lands on the Temporal UI's port picked just before it."""
    taken = {p for port in besides for p in (port, port + UI_PORT_OFFSET)}
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        ui_port = port + UI_PORT_OFFSET
        if port in taken or (with_ui and ui_port in taken):
            continue
        if not with_ui or (ui_port < 65535 and _bindable(ui_port)):
            return port
    raise RuntimeError("no free port")


def port_taken(port: int, host: str = "127.0.0.1") -> bool:
    """Something already listens on ``host:port``, so a server started there would fail.
    Bound with ``SO_REUSEADDR``, as uvicorn and Temporal bind theirs: a port a stopped
    stack left in TIME_WAIT is free to them, so it is free here too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
        return False


def _bindable(port: int, host: str = "127.0.0.1") -> bool:
    """Nothing holds ``port``: no listener, and no connection using it as its local port
    (P + 1000 lies in the ephemeral range, so an outgoing connection may hold it, which
    connecting to it would not reveal)."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class EmbeddedTemporal:
    """``temporal server start-dev`` persisted under the data dir, with SQLite WAL pragmas;
    its folder is 0700 and its database and log 0600 (``adapters.private_files``).

    One server per data dir: its pid is kept in ``temporal.pid`` there, so a ``dom up``
    that starts after a crash stops the server the dead one left behind (it would hold
    the port and the database file) before starting its own. On Linux the server also
    dies with the process that started it."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        ui: bool = True,
        log_file: Path | None = None,
        codec_endpoint: str | None = None,
    ):
        self.data_dir = data_dir.resolve()
        self.port = port
        self.ui_port = port + UI_PORT_OFFSET
        self.ui = ui
        # The API's /codec: the UI asks it to decode payloads, with the viewer's rights.
        self.codec_endpoint = codec_endpoint
        self.log_file = log_file or self.data_dir / "temporal.log"
        self.pid_file = self.data_dir / "temporal.pid"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    @property
    def running(self) -> bool:
        """This object started the server and it has not exited."""
        return self._process is not None and self._process.poll() is None

    @property
    def db_file(self) -> Path:
        return self.data_dir / "temporal.db"

    def command(self) -> list[str]:
        cmd = [
            str(temporal_cli_path()),
            "server",
            "start-dev",
            "--ip", "127.0.0.1",
            "--port", str(self.port),
            "--db-filename", str(self.db_file),
            "--sqlite-pragma", "journal_mode=wal",
            "--sqlite-pragma", "synchronous=normal",
            "--log-level", "warn",
            "--namespace", "default",
        ]  # fmt: skip
        if self.ui:
            cmd += ["--ui-port", str(self.ui_port)]
            if self.codec_endpoint:
                cmd += ["--ui-codec-endpoint", self.codec_endpoint]
        else:
            cmd += ["--headless"]
        return cmd

    def start(self, timeout: float = 60.0) -> None:
        private_folder(self.data_dir)
        self.stop_leftover()
        if _port_open(self.port):
            raise RuntimeError(
                f"port {self.port} is already in use: stop what runs there, pass --temporal-port, "
                f"or point DOM_TEMPORAL_ADDRESS at an existing Temporal server"
            )
        # The server creates its database (and WAL) itself: its umask makes them 0600;
        # files an older version left readable are made private here.
        private_if_present(self.db_file)
        log_fd = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        with open(log_fd, "ab") as log_out:
            self._process = subprocess.Popen(
                self.command(),
                stdout=log_out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(),
                umask=CREATE_MASK,
            )
        _write_pid_file(self.pid_file, self._process.pid, owner=os.getpid())
        deadline = time.monotonic() + timeout
        while not _port_open(self.port):
            if self._process.poll() is not None:
                self._process = None
                self.pid_file.unlink(missing_ok=True)
                raise RuntimeError(f"the Temporal dev server exited; see {self.log_file}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Temporal dev server did not start; see {self.log_file}")
            time.sleep(0.1)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            _terminate(process.pid, wait=lambda t: _wait_child(process, t))
        if _read_pid_file(self.pid_file) == (process.pid, os.getpid()):
            self.pid_file.unlink(missing_ok=True)

    def stop_leftover(self) -> None:
        """Stop the server a crashed ``dom up`` left running on this data dir, if any.

        Refuses (``RuntimeError``) while the process that started it is alive: that is
        another ``dom up`` on the same data dir, not a leftover."""
        recorded = _read_pid_file(self.pid_file)
        if recorded is None:
            return
        pid, owner = recorded
        found = _process_info(pid)
        if found is None or not self._runs_here(found.argv):
            self.pid_file.unlink(missing_ok=True)  # gone, or the pid now belongs to another
            return
        if found.ppid == owner:
            raise RuntimeError(
                f"another dom up (pid {owner}) is running on {self.data_dir.parent}: "
                f"stop it first, or pass --data-dir to run a second stack"
            )
        log.warning("stopping the Temporal dev server (pid %d) a crashed dom up left running", pid)
        _terminate(pid, wait=lambda t: _wait_gone(pid, t))
        self.pid_file.unlink(missing_ok=True)

    def _runs_here(self, argv: list[str]) -> bool:
        """``argv`` is a Temporal dev server on this data dir's database."""
        return (
            bool(argv)
            and Path(argv[0]).name.startswith("temporal")
            and "start-dev" in argv
            and str(self.db_file) in argv
        )


# --- the dev server's process ---------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, a ``preexec_fn`` that has the kernel send the child SIGTERM when this
    process dies, even by SIGKILL. Only from the main thread: the signal follows the
    thread that forked, and a worker thread may end long before the process."""
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before the fork, not in the child
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


@dataclass
class _ProcessInfo:
    ppid: int
    argv: list[str]


def _process_info(pid: int) -> _ProcessInfo | None:
    """The live process ``pid`` (its parent and command line), or None if there is none."""
    proc = Path(f"/proc/{pid}")
    if Path("/proc/self").exists():
        try:
            stat = (proc / "stat").read_text()
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            return None
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state in ("Z", "X"):  # a zombie holds no port and no file
            return None
        return _ProcessInfo(int(ppid), [a.decode(errors="replace") for a in argv if a])
    result = subprocess.run(
        ["ps", "-o", "ppid=,stat=,command=", "-p", str(pid)], capture_output=True, text=True
    )
    fields = result.stdout.split()
    if result.returncode != 0 or len(fields) < 3 or fields[1].startswith("Z"):
        return None
    return _ProcessInfo(int(fields[0]), fields[2:])


def _terminate(pid: int, *, wait: Callable[[float], bool]) -> None:
    """SIGTERM the server (its process group when it leads one, as ``start`` makes it),
    SIGKILL it if it is still there after 15 s."""
    for sig, patience in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        if wait(patience):
            return
    raise RuntimeError(f"the Temporal dev server (pid {pid}) did not stop")


def _wait_child(process: subprocess.Popen[bytes], timeout: float) -> bool:
    try:
        process.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _process_info(pid) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _write_pid_file(path: Path, pid: int, *, owner: int) -> None:
    """``<server pid> <owner pid>``, replaced atomically so a crash never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{pid} {owner}\n")
    os.replace(tmp, path)


def _read_pid_file(path: Path) -> tuple[int, int] | None:
    try:
        pid, owner = (int(field) for field in path.read_text().split())
    except (FileNotFoundError, ValueError):
        return None
    return pid, owner


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0
