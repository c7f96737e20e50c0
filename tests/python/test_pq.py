# SPDX-License-Identifier: Apache-2.0
"""PQ: round trips, random access, serialisation (every truncation and bit flip is a
FormatError), packed execution, PQ-FS files and the FileWriter context manager, and the
legacy 2-bit codec against the vectors of the original pq.py."""

import itertools
import os

import numpy as np
import pytest

import dashicore as dc
from conftest import DATA_DIR, random_field
from dashicore._carrier import BlockCarrier

pq = dc.pq


@pytest.mark.parametrize("shape", [(0,), (1,), (63,), (4099,), (100, 70), (3, 5, 7, 2)], ids=str)
@pytest.mark.parametrize("block_sites", [64, 4096])
def test_encode_decode_round_trip(shape, block_sites):
    for sparsity in (0.0, 0.5, 0.95):
        x = random_field(shape, sparsity, seed=block_sites)
        packed = pq.encode(x, block_sites=block_sites)
        assert packed.shape == shape and packed.size == x.size
        assert packed.support_count == int(np.count_nonzero(x))
        assert packed.block_sites == block_sites and packed.bits_per_site >= 0
        np.testing.assert_array_equal(pq.decode(packed), x)
        assert pq.encode(x, block_sites=block_sites, num_workers=4) == packed
        np.testing.assert_array_equal(pq.decode(packed, num_workers=3), x)
        flat = x.reshape(-1)
        for i in range(0, x.size, max(1, x.size // 50)):
            assert pq.decode_site(packed, i) == flat[i]
        assert pq.from_bytes(packed.to_bytes()) == packed
        assert pq.to_bytes(packed) == packed.to_bytes()


def test_decode_site_out_of_range_is_an_index_error():
    packed = pq.encode(random_field(10))
    with pytest.raises(IndexError):
        pq.decode_site(packed, 10)
    with pytest.raises(IndexError):
        pq.decode_site(packed, -1)


def test_from_bytes_accepts_any_bytes_like():
    packed = pq.encode(random_field((20, 20), seed=1), block_sites=64)
    data = packed.to_bytes()
    for form in (data, bytearray(data), memoryview(data), np.frombuffer(data, dtype=np.uint8)):
        assert pq.from_bytes(form) == packed


def test_every_truncation_and_bit_flip_is_a_format_error():
    packed = pq.encode(random_field(300, 0.4, seed=2), block_sites=64)
    data = packed.to_bytes()
    for n in range(len(data)):
        with pytest.raises(pq.FormatError):
            pq.from_bytes(data[:n])
    assert issubclass(pq.FormatError, ValueError)
    for i, bit in itertools.product(range(len(data)), range(8)):
        flipped = bytearray(data)
        flipped[i] ^= 1 << bit
        with pytest.raises(pq.FormatError) as info:
            pq.from_bytes(bytes(flipped))
        assert "offset" in str(info.value) or "byte" in str(info.value)


def test_packed_execution_equals_dense():
    x = random_field((500, 40), 0.3, seed=3)
    packed = pq.encode(x, block_sites=256)
    for kernel in (dc.kernels.SignFlip(), dc.kernels.Majority3x3(),
                   dc.compose(dc.kernels.LeftNeighbor(), dc.kernels.Clamp())):
        dense = dc.run_kernel_parallel(kernel, x)
        for workers, block in itertools.product([1, 3], [1, 2000, 0]):
            out = pq.run_kernel_parallel(kernel, packed, num_workers=workers, block_elems=block)
            assert isinstance(out, pq.PackedField) and out.block_sites == 256
            np.testing.assert_array_equal(pq.decode(out), dense)


def test_pqfs_round_trips(tmp_path):
    for shape, sb in (((0, 3), 4096), ((1000,), 4096), ((300, 257), 4096), ((64, 8, 9), 65536)):
        x = random_field(shape, 0.4, seed=sum(shape))
        path = tmp_path / f"f{len(shape)}.pqfs"
        pq.write_file(path, x, sb_bytes=sb, num_workers=2)
        f = pq.PqFile(path)
        assert f.shape == shape and f.size == x.size
        assert f.support_count == int(np.count_nonzero(x))
        np.testing.assert_array_equal(f.read_all(), x)
        rows = shape[0]
        for first, count in ((0, rows), (rows // 3, rows // 2), (rows, 0)):
            np.testing.assert_array_equal(f.read_rows(first, count), x[first : first + count])
        with pq.PqFile(str(path)) as again:
            np.testing.assert_array_equal(again.read_all(), x)


def test_file_writer_streams_rows_and_equals_write_file(tmp_path):
    x = random_field((500, 64), 0.3, seed=5)
    whole = tmp_path / "whole.pqfs"
    pq.write_file(whole, x, sb_bytes=4096)
    streamed = tmp_path / "streamed.pqfs"
    with pq.FileWriter(streamed, x.shape, sb_bytes=4096) as w:
        for first in range(0, 500, 37):
            w.append(x[first : first + 37])
        assert w.rows_appended == 500
    assert streamed.read_bytes() == whole.read_bytes()
    explicit = tmp_path / "explicit.pqfs"
    w = pq.FileWriter(explicit, list(x.shape), sb_bytes=4096)
    w.append(x)
    w.finish()
    assert explicit.read_bytes() == whole.read_bytes()


def test_file_writer_leaves_no_file_when_its_block_raises(tmp_path):
    path = tmp_path / "never.pqfs"
    x = random_field((100, 10), seed=6)
    with pytest.raises(RuntimeError, match="stop"):
        with pq.FileWriter(path, x.shape, sb_bytes=4096) as w:
            w.append(x[:50])
            raise RuntimeError("stop")
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError):  # rows of the wrong shape
        with pq.FileWriter(path, x.shape, sb_bytes=4096) as w:
            w.append(random_field((5, 11)))
    assert os.listdir(tmp_path) == []
    with pytest.raises(RuntimeError):  # leaving the block with rows missing
        with pq.FileWriter(path, x.shape, sb_bytes=4096) as w:
            w.append(x[:10])
    assert not path.exists()


def test_pqfs_errors(tmp_path):
    with pytest.raises(OSError):
        pq.PqFile(tmp_path / "missing.pqfs")
    bad = tmp_path / "bad.pqfs"
    bad.write_bytes(b"not a pq file at all" * 100)
    with pytest.raises(pq.FormatError):
        pq.PqFile(bad)
    with pytest.raises(ValueError):
        pq.write_file(tmp_path / "x.pqfs", random_field(10), sb_bytes=1000)


def read_vectors():
    vectors = []
    for line in (DATA_DIR / "legacy_pq_vectors.txt").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, shape, values, hexdata = line.split(";")
        shape = tuple(int(v) for v in shape.split(","))
        values = np.array([int(v) for v in values.split(",")], dtype=np.int8).reshape(shape)
        vectors.append((name, shape, values, bytes.fromhex(hexdata)))
    return vectors


def test_legacy_vectors_byte_for_byte():
    vectors = read_vectors()
    assert len(vectors) >= 10
    for name, shape, values, data in vectors:
        assert pq.legacy.encode_2bit(values) == data, name
        np.testing.assert_array_equal(pq.legacy.decode_2bit(data, shape), values, err_msg=name)
        buffer = pq.legacy.encode_carrier_to_pq(BlockCarrier(support=values != 0, sign=values))
        assert buffer == pq.legacy.PQBuffer(shape=shape, data=data), name
        assert len(buffer.data) == pq.legacy.expected_pq_length(values.size)
        carrier = pq.legacy.decode_pq_to_carrier(buffer, carrier_type=BlockCarrier)
        np.testing.assert_array_equal(carrier.sign, values)
        np.testing.assert_array_equal(carrier.support, values != 0)


def test_legacy_bad_buffers_are_format_errors():
    with pytest.raises(pq.FormatError):
        pq.legacy.decode_2bit(b"\x03", (1,))  # code 3
    with pytest.raises(pq.FormatError):
        pq.legacy.decode_2bit(b"\x00", (5,))  # short
    with pytest.raises(pq.FormatError):
        pq.legacy.decode_2bit(b"\x00\x00", (4,))  # long
    assert pq.legacy.expected_pq_length(5) == 2 and pq.legacy.expected_pq_length(0) == 0
