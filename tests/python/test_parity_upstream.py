# SPDX-License-Identifier: Apache-2.0
"""Parity with the original dashi_core package, when it is importable: its kernels and ours
on the same carriers, its defect and MDL against ours, pq.py's bytes against ours."""

import numpy as np
import pytest

import dashicore as dc
from conftest import random_field, ref_left_neighbor

dashi_core = pytest.importorskip("dashi_core")
from dashi_core.carrier import Carrier  # noqa: E402
from dashi_core.kernel import Kernel  # noqa: E402

mock_kernels = pytest.importorskip("dashi_core.testing.mock_kernels")


class UpstreamSignFlip(Kernel):
    def apply(self, state, ctx=None):
        return Carrier(support=state.support, sign=-state.sign)


CARRIERS = [Carrier.from_signed(random_field(shape, s, seed=i))
            for i, (shape, s) in enumerate([((1,), 0.0), ((1000,), 0.3), ((40, 25), 0.5),
                                            ((6, 5, 4), 0.1)])]


@pytest.mark.parametrize("carrier", CARRIERS, ids=lambda c: str(c.sign.shape))
def test_kernels_agree_with_upstream(carrier, upstream_left_neighbor):
    pairs = [(UpstreamSignFlip(), dc.kernels.SignFlip()),
             (mock_kernels.ClampKernel(), dc.kernels.Clamp()),
             (mock_kernels.IdentityKernel(), dc.PythonKernel(lambda b: b.copy())),
             (mock_kernels.ZeroKernel(), dc.PythonKernel(np.zeros_like))]
    if carrier.sign.shape[0] > 1:
        pairs.append((upstream_left_neighbor(Carrier, Kernel), dc.kernels.LeftNeighbor()))
    for theirs, ours in pairs:
        expected = theirs(carrier)
        got = dc.run_kernel_parallel(ours, carrier, block_elems=64)
        assert type(got) is Carrier
        np.testing.assert_array_equal(got.support, expected.support)
        np.testing.assert_array_equal(got.sign, expected.sign)
        # Their kernel run by our executor, block by block, gives their monolithic result.
        wrapped = dc.run_kernel_parallel(theirs, carrier, block_elems=64, num_workers=3)
        np.testing.assert_array_equal(wrapped.to_signed(), expected.to_signed())


def test_upstream_left_neighbor_numpy_reference(upstream_left_neighbor):
    x = random_field(500, 0.3, seed=9)
    np.testing.assert_array_equal(upstream_left_neighbor(Carrier, Kernel)(Carrier.from_signed(x)).to_signed(),
                                  ref_left_neighbor(x))


@pytest.mark.parametrize("pair", range(3))
def test_defect_and_mdl_agree_with_upstream(pair):
    a, b = CARRIERS[1 + pair], Carrier.from_signed(random_field(CARRIERS[1 + pair].sign.shape,
                                                                 0.6, seed=50 + pair))
    np.testing.assert_array_equal(dc.defect_local(a, b), dashi_core.local(a, b))
    assert dc.defect_aggregate(a, b) == dashi_core.aggregate(dashi_core.local(a, b))
    assert dc.mdl_score(a) == dashi_core.score(a)
    assert dc.mdl_compare(a, b) == dashi_core.compare(a, b)
    assert dc.mdl_compare(b, a) == dashi_core.compare(b, a)
    assert dc.mdl_compare(a, a) == dashi_core.compare(a, a) == "tie"


def test_legacy_codec_agrees_with_pq_py():
    upstream_pq = pytest.importorskip("pq")
    if not hasattr(upstream_pq, "encode_carrier_to_pq"):
        pytest.skip("the module named pq is not the original pq.py")
    for carrier in CARRIERS:
        theirs = upstream_pq.encode_carrier_to_pq(carrier)
        ours = dc.pq.legacy.encode_carrier_to_pq(carrier)
        assert ours.data == theirs.data and tuple(ours.shape) == tuple(theirs.shape)
        back = dc.pq.legacy.decode_pq_to_carrier(ours)
        assert type(back) is Carrier
        np.testing.assert_array_equal(back.to_signed(),
                                      upstream_pq.decode_pq_to_carrier(theirs).to_signed())
