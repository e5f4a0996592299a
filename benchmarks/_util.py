"""Helpers shared by the benchmark modules."""

from __future__ import annotations

import multiprocessing
import os
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parents[1]

# The data are read in place from a folder beside the repository, never copied into it;
# ZHTOK_DATA_DIR points elsewhere, as it does for the test suite.
DEFAULT_DATA_DIR = Path(os.environ.get("ZHTOK_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")

Source = str | os.PathLike[str]


def read_source(source: Source, what: str) -> tuple[str, str]:
    """Return (text, name for messages) of a path, or of literal text.

    A ``str`` is taken as a path when it has no line break and names an existing
    file, so that short literal texts work in tests and notebooks.  A leading BOM
    is dropped and CRLF line ends become LF.
    """
    if isinstance(source, os.PathLike) or ("\n" not in source and _is_file(source)):
        path = Path(source)
        text = path.read_text(encoding="utf-8-sig")
        name = str(path)
    else:
        text = source.removeprefix("\ufeff")
        name = f"<{what} text>"
    return text.replace("\r\n", "\n"), name


def split_lines(text: str) -> list[str]:
    """Split on LF only (other Unicode line separators are text), without a phantom last line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _is_file(name: str) -> bool:
    """Path.is_file, but False for strings the OS refuses as names (too long, NUL)."""
    try:
        return Path(name).is_file()
    except (OSError, ValueError):
        return False


def check_tools(tools: "list[str] | None", known: "tuple[str, ...] | list[str]",
                default: "tuple[str, ...] | list[str]", runs: int) -> list[str]:
    """The tools to run (default when None); ValueError for an unknown one or runs < 1."""
    tools = list(default if tools is None else tools)
    unknown = sorted(set(tools) - set(known))
    if unknown:
        raise ValueError(f"unknown tools {unknown}; choose from {list(known)}")
    if runs < 1:
        raise ValueError(f"runs must be at least 1, not {runs}")
    return tools


def base_environment(versions: "dict[str, str]") -> "dict[str, Any]":
    """What every benchmark records about the machine and the tools' versions."""
    return {
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "command": command_line(),
    }


def environment_text(env: "dict[str, Any]") -> str:
    """The start of a report's environment line, from what base_environment recorded."""
    versions = ", ".join(f"{tool} {version}" for tool, version in env["versions"].items())
    return f"CPU: {env['cpu']} ({env['cpu_count']} logical CPUs); Python {env['python']}; {versions}"


def command_line() -> str:
    """The command this process runs, as a user would type it: ``zhtok bench ...`` (the
    console script or ``python -m zhtok``) or ``python -m benchmarks.bench_seg ...``."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("python")
    if script.name == "zhtok" or script.parent.name == "zhtok":
        program = "zhtok"
    elif script.parent.name == "benchmarks" and script.suffix == ".py":
        program = f"python -m benchmarks.{script.stem}"
    else:
        program = script.name
    return " ".join([program, *map(shlex.quote, sys.argv[1:])])


def load_average() -> "list[float] | None":
    """The 1, 5 and 15 minute load averages: timings taken under other load say so."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def comma_list(text: str) -> list[str]:
    """The names in a comma-separated command-line value."""
    return [name for name in text.split(",") if name]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class Worker:
    """A tool loaded in a child process (spawned: a clean interpreter, its own memory figures),
    driven over a pipe. ``serve(*args, conn)`` answers ("ready", (version, loaded_rss_mb)) once
    loaded, then ("ok", result) or ("error", message) per request; "stop" returns the peak RSS."""

    def __init__(self, serve: Callable[..., None], *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(target=serve, args=(*args, child_conn), daemon=True)
        self._process.start()
        child_conn.close()
        status, detail = self._receive()
        if status != "ready":
            self._process.join()
            raise RuntimeError(detail)
        self.version: str
        self.loaded_rss_mb: float  # peak RSS once the model is loaded, before any input
        self.version, self.loaded_rss_mb = detail

    def call(self, *request: Any) -> Any:
        self._conn.send(request)
        status, detail = self._receive()
        if status != "ok":
            raise RuntimeError(detail)
        return detail

    def close(self) -> float:
        """Stops the process; returns its peak RSS in MB."""
        peak = self.call("stop")
        self._process.join()
        return peak

    def _receive(self) -> "tuple[str, Any]":
        try:
            return self._conn.recv()
        except EOFError:
            self._process.join()
            return "error", f"worker exited with code {self._process.exitcode}"
