"""Runs the fuzz targets of this folder, each in its own process, with the environment a
sanitizer build needs, and prints executions per target and every finding.

    python fuzz/run.py                                  # every target, 2,000 runs or 20 s each
    python fuzz/run.py --runs 0 --time 300 seg_model    # one target for five minutes
    python fuzz/run.py -- -use_value_profile=0          # extra libFuzzer flags after --

The zhtok fuzzed is the one in this tree (zhtok/_core*.so). When it is a sanitizer build
(ZHTOK_SANITIZE=1 python setup.py build_ext --inplace), each target runs with gcc's libasan
preloaded, behind a shared copy of atheris's libFuzzer (built once into build/fuzz/), so that
libFuzzer's coverage and comparison hooks win over libasan's empty ones: Python coverage of
zhtok's own modules, and the C++ comparisons traced by -fsanitize-coverage=trace-cmp (value
profile). Exit status: 0 when every target ran clean, 1 when any found something (its
reproducer is under build/fuzz/<target>/, replayed by python fuzz/fuzz_<target>.py FILE).
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGETS = sorted(p.stem[len("fuzz_"):] for p in HERE.glob("fuzz_*.py"))


def gcc_file(name: str) -> str:
    out = subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True, text=True).stdout.strip()
    return out if os.path.isabs(out) and os.path.exists(out) else ""


def core_library() -> Path:
    found = sorted(glob.glob(str(ROOT / "zhtok" / "_core*.so")))
    if not found:
        sys.exit(f"no zhtok/_core*.so in {ROOT}: build it first (python setup.py build_ext --inplace)")
    return Path(found[0])


def shared_libfuzzer() -> str:
    """build/fuzz/libfuzzer.so, linked from the libFuzzer archive that the atheris wheel ships;
    '' when it cannot be made (the targets then use the libFuzzer inside atheris)."""
    out = ROOT / "build" / "fuzz" / "libfuzzer.so"
    if out.exists():
        return str(out)
    probe = subprocess.run([sys.executable, "-c", "import atheris; print(atheris.path())"],
                           capture_output=True, text=True)
    archive = Path(probe.stdout.strip()) / "libclang_rt.fuzzer_no_main.a"
    if probe.returncode or not archive.exists():
        return ""
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["g++", "-shared", "-o", str(out), "-Wl,--whole-archive", str(archive), "-Wl,--no-whole-archive", "-lpthread"]
    if subprocess.run(cmd).returncode:
        return ""
    return str(out)


def environment() -> dict[str, str]:
    env = dict(os.environ)
    sanitized = b"libasan.so" in core_library().read_bytes()
    if not sanitized:
        print("note: zhtok/_core is not a sanitizer build (ZHTOK_SANITIZE=1); fuzzing without sanitizers",
              file=sys.stderr)
        return env
    asan, stdcxx = gcc_file("libasan.so"), gcc_file("libstdc++.so")
    if not asan:
        sys.exit("zhtok/_core is a sanitizer build, but gcc's libasan.so was not found")
    fuzzer = shared_libfuzzer()
    # libstdc++ is preloaded too: libasan must see it at start to intercept __cxa_throw.
    env["LD_PRELOAD"] = " ".join(p for p in (fuzzer, asan, stdcxx) if p)
    asan_opts = "detect_leaks=0:verify_asan_link_order=0:allocator_may_return_null=1:handle_abort=1"
    env["ASAN_OPTIONS"] = ":".join(o for o in (asan_opts, os.environ.get("ASAN_OPTIONS", "")) if o)
    ubsan_opts = "halt_on_error=1:print_stacktrace=1"
    env["UBSAN_OPTIONS"] = ":".join(o for o in (ubsan_opts, os.environ.get("UBSAN_OPTIONS", "")) if o)
    return env


FINDING = re.compile(r"==\d+==ERROR|runtime error:|Uncaught Python exception|ERROR: libFuzzer|"
                     r"Test unit written to|==\d+== ?ERROR: AddressSanitizer|SUMMARY: (Address|UndefinedBehavior)Sanitizer")


def run_target(name: str, runs: int, seconds: int, extra: list[str], env: dict[str, str]) -> dict:
    work = ROOT / "build" / "fuzz" / name
    work.mkdir(parents=True, exist_ok=True)
    log = work / "log.txt"
    cmd = [sys.executable, str(HERE / f"fuzz_{name}.py"), f"-max_total_time={seconds}", *extra]
    if runs:
        cmd.insert(2, f"-runs={runs}")
    if not any(a.startswith("-use_value_profile=") for a in extra):
        cmd.insert(2, "-use_value_profile=1")
    t0 = time.monotonic()
    with open(log, "w") as f:
        # A hard limit well past libFuzzer's own, in case the process itself hangs.
        try:
            rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                timeout=seconds + 300).returncode
        except subprocess.TimeoutExpired:
            rc = "killed (hang)"
    elapsed = time.monotonic() - t0
    text = log.read_text(errors="replace")
    execs = re.findall(r"stat::number_of_executed_units: (\d+)", text)
    cov = re.findall(r"#\d+\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)", text)
    # libFuzzer also writes out the slowest input when one took over 10 s (-report_slow_units):
    # under ASan on a busy shared machine an input can, with no fault of its own (the json_line
    # input CI saw take 13 s there ran in 0.8 s in the plain build). A hang is a finding through
    # -timeout (fuzz/_common.py: 30 s per input), which writes a timeout- unit instead.
    findings = [line for line in text.splitlines() if FINDING.search(line) and "/slow-unit-" not in line]
    return {"name": name, "rc": rc, "execs": int(execs[-1]) if execs else None, "seconds": elapsed,
            "cov": cov[-1] if cov else None, "findings": findings, "log": log}


def main() -> int:
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("targets", nargs="*", help=f"targets to run (default: all of {', '.join(TARGETS)})")
    ap.add_argument("--runs", type=int, default=2000, help="executions per target (0: no limit)")
    ap.add_argument("--time", type=int, default=20, help="seconds of fuzzing per target at most")
    args = ap.parse_args(argv)
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        ap.error(f"unknown target(s) {unknown}; known: {TARGETS}")
    env = environment()
    print(f"fuzzing {core_library()}\n  LD_PRELOAD={env.get('LD_PRELOAD', '')}", flush=True)
    results = []
    for name in args.targets or TARGETS:
        r = run_target(name, args.runs, args.time, extra, env)
        results.append(r)
        cov = f"cov {r['cov'][0]} ft {r['cov'][1]} corpus {r['cov'][2]}" if r["cov"] else ""
        status = "ok" if r["rc"] == 0 and not r["findings"] else f"FAILED (exit {r['rc']})"
        print(f"{name:16} {r['execs'] if r['execs'] is not None else '?':>8} execs {r['seconds']:7.1f}s  {cov:32} {status}",
              flush=True)
        if status != "ok":
            for line in r["findings"][:20]:
                print(f"    {line}")
            print(f"    log: {r['log']}\n    last lines:")
            for line in r["log"].read_text(errors="replace").splitlines()[-40:]:
                print(f"      {line}")
    failed = [r["name"] for r in results if r["rc"] != 0 or r["findings"]]
    total = sum(r["execs"] or 0 for r in results)
    print(f"{total} executions in {sum(r['seconds'] for r in results):.0f}s"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    print(f"fuzz: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
