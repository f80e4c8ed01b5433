"""Real `hearth` processes for tests: each reads its stdout on a thread and
keeps stderr in a file; ``Instance`` is a whole served instance with its own
database and address, for federating over loopback."""

from __future__ import annotations

import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest


def _find_hearth() -> str:
    beside = Path(sys.executable).parent / "hearth"
    if beside.is_file():
        return str(beside)
    found = shutil.which("hearth")
    assert found, "the hearth console script is not installed (pip install -e .)"
    return found


HEARTH = _find_hearth()



START_TIMEOUT = 90.0  # the first start runs initdb for the embedded PostgreSQL
STOP_TIMEOUT = 15.0
SERVING = re.compile(
    r"Hearth is serving (?P<name>.+) at (?P<url>\S+) "
    r"\(listening on http://(?P<host>[^\s)]+):(?P<port>\d+)\)"
)


class HearthProcess:
    """A running ``hearth`` command: stdout read line by line on a thread,
    stderr kept in a file so it can never fill a pipe."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
        self.log = log
        self._stderr: IO[str] = log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [HEARTH, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=self._stderr, text=True, env=env, cwd=cwd,
        )
        self.stdout: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    @property
    def stderr(self) -> str:
        self._stderr.flush()
        return self.log.read_text(encoding="utf-8")

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        """The first stdout line matching ``pattern``; fails at the deadline or
        if the process ends first."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(remaining, 0))
            except queue.Empty:
                pytest.fail(f"no line matching {pattern.pattern!r} within {timeout} s; "
                            f"stdout: {''.join(self.stdout)!r}\nstderr:\n{self.stderr}")
            if line is None:
                code = self.proc.wait(timeout=STOP_TIMEOUT)
                pytest.fail(f"hearth exited with {code} before printing "
                            f"{pattern.pattern!r}; stderr:\n{self.stderr}")
            self.stdout.append(line)
            match = pattern.search(line)
            if match:
                return match

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then the exit code; fails if it does not exit in time."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"hearth did not exit within {timeout} s of SIGTERM; "
                        f"stderr:\n{self.stderr}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=STOP_TIMEOUT)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()
