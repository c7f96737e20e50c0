# SPDX-License-Identifier: Apache-2.0
"""Builds the dashicore Python package with setuptools alone (pybind11's headers from the
system, e.g. Debian's pybind11-dev, or from the pybind11 Python package when installed):

    pip install --no-build-isolation .
"""

import os
import pathlib
import re
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


def version():
    header = (ROOT / "include" / "dashi" / "version.hpp").read_text()
    parts = [re.search(rf"#define DASHI_VERSION_{p} (\d+)", header).group(1)
             for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(parts)


def pybind11_include():
    try:
        import pybind11  # type: ignore[import-not-found]

        return pybind11.get_include()
    except ImportError:
        pass
    candidates = [sysconfig.get_paths().get("include", ""), "/usr/include", "/usr/local/include"]
    for candidate in candidates:
        if candidate and (pathlib.Path(candidate) / "pybind11" / "pybind11.h").exists():
            return candidate
    raise RuntimeError("pybind11 headers not found (Debian: apt-get install pybind11-dev)")


class BuildExt(build_ext):
    """Compiles the extension's sources in parallel."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1


sources = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "python" / "src").glob("*.cpp"))
extension = Extension(
    "dashicore._core",
    sources=sources,
    include_dirs=[str(ROOT / "include"), str(ROOT / "python" / "src"), pybind11_include()],
    language="c++",
    # -g0 after Python's own flags (which hold -g): no debug information, as in the CMake
    # build; -s strips the symbol table at link (the module's entry point stays exported).
    extra_compile_args=["-std=c++20", "-O2", "-g0", "-fvisibility=hidden", "-pthread"],
    extra_link_args=["-pthread", "-s"],
)

setup(version=version(), ext_modules=[extension], cmdclass={"build_ext": BuildExt})
