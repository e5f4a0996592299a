"""A process's own memory, read where the benchmarks' timed processes can afford it: this module
imports only the standard library, so a timed child pays nothing for it."""
from __future__ import annotations

import resource
import sys
from pathlib import Path


def rss_mb(field: str = "VmHWM") -> float:
    """VmHWM (peak) or VmRSS of this process in MB; getrusage's peak where /proc is missing.

    On Linux getrusage's maxrss survives exec, so a spawned worker would report the parent's
    size at fork if it is larger; VmHWM belongs to this image alone."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / (1 << 10)  # bytes on macOS, KiB elsewhere
