"""`hearth serve` and `hearth worker` run on uvloop when it is installed
(uvicorn[standard] brings it), and on asyncio's own loop when it is not."""

from __future__ import annotations

import asyncio
import builtins
from typing import Any

import pytest

from web import cli


async def _loop_module() -> int:
    return 1 if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else 0


def test_long_running_commands_run_on_uvloop() -> None:
    pytest.importorskip("uvloop")
    assert cli._run_loop(_loop_module()) == 1


def test_without_uvloop_they_run_on_asyncios_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_uvloop(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "uvloop":
            raise ImportError("uvloop is not installed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvloop)
    assert cli._run_loop(_loop_module()) == 0
