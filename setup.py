"""Builds zhtok._core, the C++17 core, with pybind11; metadata lives in pyproject.toml."""
import glob
import os

from pybind11.setup_helpers import ParallelCompile, Pybind11Extension, build_ext
from setuptools import setup

ParallelCompile("ZHTOK_BUILD_JOBS", default=0).install()

# Sorted so that builds are reproducible.
sources = sorted(glob.glob("csrc/**/*.cc", recursive=True))
sources = [s for s in sources if not s.endswith("_test.cc")]

# ZHTOK_SANITIZE=1: AddressSanitizer + UndefinedBehaviorSanitizer build, for CI's sanitizer test
# run and the fuzzers (fuzz/README.md); run it with libasan preloaded. It also traces integer
# comparisons (-fsanitize-coverage=trace-cmp) so that libFuzzer, when preloaded (fuzz/run.py),
# gets feedback from the C++ code; without libFuzzer the hooks are libasan's empty ones.
# ZHTOK_SANITIZE_COVERAGE=0 leaves the tracing out.
sanitize = os.environ.get("ZHTOK_SANITIZE") == "1"
compile_args = ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined"] if sanitize else ["-O3"]
if sanitize and os.environ.get("ZHTOK_SANITIZE_COVERAGE", "1") == "1":
    compile_args.append("-fsanitize-coverage=trace-cmp")
    sources.append("fuzz/sancov_stubs.cc")  # the float comparison hooks that gcc also calls
link_args = ["-fsanitize=address,undefined"] if sanitize else []

ext = Pybind11Extension(
    "zhtok._core",
    sources,
    include_dirs=["csrc"],
    cxx_std=17,
    extra_compile_args=compile_args + ["-Wall", "-Wextra", "-Wno-unused-parameter"],
    extra_link_args=link_args + ["-pthread"],
    define_macros=[("ZHTOK_VERSION", '"0.1.0"')],
)


setup(ext_modules=[ext], cmdclass={"build_ext": build_ext})
