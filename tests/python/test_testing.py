# SPDX-License-Identifier: Apache-2.0
"""dc.testing.check_kernel: every shipped kernel passes; a Python kernel with a radius
declared too small, an impure one and one that breaks the contract each raise AssertionError
with the C++ message (property, shape, options, site and values); the README's pytest example
runs as written."""

import itertools
import re

import numpy as np
import pytest

import dashicore as dc
from conftest import (
    SOURCE_DIR,
    random_rule1d_table,
    random_totalistic_table,
    ref_left_neighbor,
)

K = dc.kernels


@pytest.mark.parametrize(
    "kernel",
    [
        K.SignFlip(),
        K.Clamp(),
        K.ClampNonnegative(),
        K.LeftNeighbor(),
        K.Majority3x3(),
        K.Rule1D(random_rule1d_table(1, 1), 1),
        K.Rule1D(random_rule1d_table(2, 2), 2),
        K.Rule1D(random_rule1d_table(3, 3), 3),
        K.Totalistic2D(random_totalistic_table(4)),
        dc.compose(K.SignFlip(), K.LeftNeighbor(), K.Rule1D(random_rule1d_table(1, 5), 1)),
    ],
    ids=lambda k: type(k).__name__,
)
def test_every_shipped_kernel_passes(kernel):
    dc.testing.check_kernel(kernel)


def left_neighbor(block):
    return ref_left_neighbor(block)


def test_an_honest_python_kernel_passes():
    dc.testing.check_kernel(dc.PythonKernel(left_neighbor, radius=1), seed=3, max_sites=4096)
    dc.testing.check_kernel(lambda block: (-block).astype(np.int8), max_sites=4096)


def reaches_two_rows(block):
    """On support, sign(x[i] + 2 x[i+2]) along axis 0 (0 beyond the block)."""
    ahead = np.zeros_like(block, dtype=int)
    ahead[:-2] = block[2:]
    return np.where(block != 0, np.sign(block.astype(int) + 2 * ahead), 0).astype(np.int8)


def test_radius_declared_too_small_is_caught_with_shape_options_site_and_values():
    with pytest.raises(AssertionError) as failure:
        dc.testing.check_kernel(dc.PythonKernel(reaches_two_rows, radius=1))
    message = str(failure.value)
    assert "property 'executor' failed" in message
    assert "declared radius 1 too small" in message
    assert "\n  shape: (" in message
    assert "\n  options: num_workers = " in message and "order = " in message
    assert "check options: seed = 0, max_sites = 65536" in message
    assert re.search(r"first differing site: \d+, index \(", message)
    assert re.search(r"values: monolithic -?\d, run_kernel_parallel -?\d", message)
    dc.testing.check_kernel(dc.PythonKernel(reaches_two_rows, radius=2), max_sites=4096)


@pytest.mark.parametrize("seed", range(8))
def test_radius_one_too_small_is_caught_on_small_fields_for_every_seed(seed):
    with pytest.raises(AssertionError, match="property 'executor'"):
        dc.testing.check_kernel(dc.PythonKernel(left_neighbor, radius=0), seed=seed, max_sites=64)


def test_the_message_is_the_cpp_message_for_the_same_failure():
    # The same check of the same (erased) kernel gives the same text on every call.
    kernel = dc.PythonKernel(reaches_two_rows, radius=1)
    messages = []
    for _ in range(2):
        with pytest.raises(AssertionError) as failure:
            dc.testing.check_kernel(kernel, seed=5, max_sites=256)
        messages.append(str(failure.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith("dashi::testing::check_kernel: property 'executor' failed")


def test_impure_kernel_is_caught():
    calls = itertools.count()

    def flips_every_other_call(block):
        return (block if next(calls) % 2 == 0 else -block).astype(np.int8)

    with pytest.raises(AssertionError, match="property 'purity' failed"):
        dc.testing.check_kernel(flips_every_other_call, max_sites=4096)


def test_contract_breaches_are_caught():
    with pytest.raises(AssertionError, match="property 'contract' failed.*created support"):
        dc.testing.check_kernel(lambda block: np.ones_like(block), max_sites=256)
    with pytest.raises(AssertionError) as failure:
        dc.testing.check_kernel(lambda block: (2 * block).astype(np.int8), max_sites=256)
    # A Python kernel's result is checked as it comes back (the module refuses non-trits).
    message = str(failure.value)
    assert "not a trit" in message or "wrote a value outside {-1, 0, 1}" in message
    assert "value 2" in message or "value -2" in message or "output 2" in message
    with pytest.raises(AssertionError, match="property 'contract' failed.*changed the shape"):
        dc.testing.check_kernel(lambda block: block.reshape(-1)[:1].copy(), max_sites=256)


def test_value_error_marks_a_refused_shape_and_other_errors_pass_unchanged():
    def only_2d(block):
        if block.ndim != 2:
            raise ValueError("2-D only")
        return block.copy()

    dc.testing.check_kernel(only_2d, max_sites=4096)

    def broken(block):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        dc.testing.check_kernel(broken, max_sites=64)
    with pytest.raises(ValueError, match="max_sites"):
        dc.testing.check_kernel(K.SignFlip(), max_sites=0)


def test_readme_pytest_example_runs():
    text = (SOURCE_DIR / "README.md").read_text()
    section = text[text.index("### Writing your own kernel"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    tests = [f for name, f in namespace.items() if name.startswith("test_")]
    assert tests
    for test in tests:
        test()
