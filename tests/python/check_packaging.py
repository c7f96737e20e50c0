# SPDX-License-Identifier: Apache-2.0
"""Packaging checks run by CTest (label python):

  check_packaging.py install --cmake CMAKE --build BUILD_DIR --install-dir DIR --work WORK
      `cmake --install` of the python component into WORK/prefix; the package imports from
      WORK/prefix/DIR and works, and /usr/local/DIR is on this interpreter's path (so the
      default prefix puts it where this Python finds it).
  check_packaging.py pip --source SOURCE --work WORK
      copies the files a source distribution holds into WORK/src, creates a venv with the
      system's site packages and runs `pip install --no-build-isolation --no-deps --no-index`
      on it (offline, the system's setuptools and pybind11); the venv's dashicore works.
"""

import argparse
import os
import pathlib
import shutil
import subprocess
import sys

SMOKE = """
import sys, numpy as np, dashicore as dc
where = sys.argv[1]
assert dc.__file__.startswith(where), (dc.__file__, where)
x = np.array([1, 0, -1, 1, -1], dtype=np.int8)
assert (dc.run_kernel_parallel(dc.kernels.SignFlip(), x) == -x).all()
assert dc.pq.legacy.encode_2bit(x) == bytes.fromhex("9201")
assert (dc.pq.decode(dc.pq.encode(x)) == x).all()
print(dc.__version__, dc.__file__)
"""


def run(cmd, **kwargs):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def fresh(path):
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def check_install(args):
    work = fresh(pathlib.Path(args.work))
    prefix = work / "prefix"
    run([args.cmake, "--install", args.build, "--component", "python", "--prefix", prefix])
    site = prefix / args.install_dir if not os.path.isabs(args.install_dir) else pathlib.Path(
        args.install_dir
    )
    assert (site / "dashicore" / "__init__.py").exists(), f"nothing installed under {site}"
    env = dict(os.environ, PYTHONPATH=str(site))
    run([sys.executable, "-c", SMOKE, site], env=env, cwd=work)
    if not os.path.isabs(args.install_dir):
        default = os.path.normpath(os.path.join("/usr/local", args.install_dir))
        assert default in [os.path.normpath(p) for p in sys.path], (
            f"{default} is not on {sys.executable}'s path {sys.path}"
        )


def check_pip(args):
    source = pathlib.Path(args.source)
    work = fresh(pathlib.Path(args.work))
    copy = work / "src"
    copy.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(source / name, copy / name)
    for tree in ("include", "python"):
        shutil.copytree(source / tree, copy / tree,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", venv])
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
         "--disable-pip-version-check", "-q", copy])
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('platlib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    run([python, "-c", SMOKE, site], cwd=work)
    # The extension carries no debug information (Python's flags hold -g; setup.py adds -g0).
    extension = next((pathlib.Path(site) / "dashicore").glob("_core*.so"))
    sections = elf_section_names(extension)
    debug = sorted(s for s in sections if s.startswith(".debug"))
    assert not debug, f"{extension} ({extension.stat().st_size} bytes) has debug sections {debug}"
    # The type information is installed: py.typed and the stubs of _core.
    for name in ("py.typed", "_core/__init__.pyi", "_core/kernels.pyi", "_core/pq/__init__.pyi"):
        assert (pathlib.Path(site) / "dashicore" / name).exists(), f"{name} not installed"
    # pip builds from the copy: a build of the source tree leaves dashicore.egg-info under
    # python/, which .gitignore covers (checked by the pytest suite).


def elf_section_names(path):
    """The section names of a 64-bit little-endian ELF file."""
    import struct

    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, f"{path}: not ELF64 LE"
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    def header(i):
        return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
    strtab = header(shstrndx)
    names_at = strtab[4]
    names = []
    for i in range(shnum):
        start = names_at + header(i)[0]
        names.append(data[start:data.index(b"\0", start)].decode())
    return names


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    install = sub.add_parser("install")
    install.add_argument("--cmake", required=True)
    install.add_argument("--build", required=True)
    install.add_argument("--install-dir", required=True)
    install.add_argument("--work", required=True)
    pip = sub.add_parser("pip")
    pip.add_argument("--source", required=True)
    pip.add_argument("--work", required=True)
    args = parser.parse_args()
    check_install(args) if args.mode == "install" else check_pip(args)


if __name__ == "__main__":
    main()
