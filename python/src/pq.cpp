// SPDX-License-Identifier: Apache-2.0
// `dashicore.pq`: PackedField, encode/decode, serialisation, packed execution, PQ-FS files and
// the legacy 2-bit codec. Every C++ call runs with the GIL released.

#include <pybind11/pybind11.h>
#include <pybind11/stl/filesystem.h>

#include <cstddef>
#include <cstdint>
#include <dashi/pq/adapters.hpp>
#include <dashi/pq/codec.hpp>
#include <dashi/pq/file.hpp>
#include <dashi/pq/legacy.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "bindings.hpp"
#include "kernels.hpp"

namespace dashi_python {

namespace {

namespace pq = dashi::pq;

std::uint32_t u32(long long value, const char* name) {
  const std::size_t v = non_negative(value, name);
  if (v > 0xFFFFFFFFULL) {
    throw std::invalid_argument(std::string("dashicore.pq: ") + name + " is too large");
  }
  return static_cast<std::uint32_t>(v);
}

py::bytes bytes_of(const std::vector<std::byte>& data) {
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

/// `pq::FileWriter` as a Python context manager: leaving the block normally finishes the
/// file; leaving it by an exception before `finish()` abandons it (the unfinished file is
/// dropped and the path is left as it was).
class FileWriter {
 public:
  FileWriter(const std::filesystem::path& path, const dashi::Shape& shape,
             const pq::FileOptions& options)
      : writer_(std::in_place, path, shape, options) {}

  void append(const py::object& rows) {
    const InputArray in(rows, "rows");
    pq::FileWriter& w = usable("append");
    const py::gil_scoped_release release;
    in.validate();
    w.append(in.view());
  }
  void finish() {
    pq::FileWriter& w = usable("finish");
    const py::gil_scoped_release release;
    w.finish();
    finished_ = true;
  }
  /// Drops the unfinished file (its temporary file is removed).
  void abandon() noexcept { writer_.reset(); }
  [[nodiscard]] bool finished() const noexcept { return finished_; }
  [[nodiscard]] std::size_t rows_appended() const { return writer_ ? writer_->rows_appended() : 0; }
  [[nodiscard]] py::tuple shape() const { return shape_tuple(usable_const().shape()); }

 private:
  pq::FileWriter& usable(const char* what) {
    if (!writer_) {
      throw std::logic_error(std::string("dashicore.pq.FileWriter: ") + what +
                             " after the writer was abandoned");
    }
    return *writer_;
  }
  [[nodiscard]] const pq::FileWriter& usable_const() const {
    if (!writer_) {
      throw std::logic_error("dashicore.pq.FileWriter: the writer was abandoned");
    }
    return *writer_;
  }
  std::optional<pq::FileWriter> writer_;
  bool finished_ = false;
};

}  // namespace

void bind_pq(py::module_& m, py::module_& legacy) {
  using py::arg;
  py::class_<pq::PackedField>(m, "PackedField",
                              "A field packed as P (support bits), Q (signs of supported sites) "
                              "and O (per-block offsets). Immutable; == compares the fields.")
      .def_property_readonly("shape",
                             [](const pq::PackedField& p) { return shape_tuple(p.shape()); })
      .def_property_readonly("size", &pq::PackedField::size)
      .def_property_readonly("support_count", &pq::PackedField::support_count)
      .def_property_readonly("block_sites", &pq::PackedField::block_sites)
      .def_property_readonly("bits_per_site", &pq::PackedField::bits_per_site)
      .def("to_bytes",
           [](const pq::PackedField& p) {
             std::vector<std::byte> data;
             {
               const py::gil_scoped_release release;
               data = pq::to_bytes(p);
             }
             return bytes_of(data);
           })
      .def("__eq__", [](const pq::PackedField& a, const pq::PackedField& b) { return a == b; })
      .def("__len__", &pq::PackedField::size)
      .def("__repr__", [](const pq::PackedField& p) {
        return "PackedField(shape=" + python_shape(p.shape()) +
               ", support_count=" + std::to_string(p.support_count()) +
               ", block_sites=" + std::to_string(p.block_sites()) + ")";
      });

  m.def(
      "encode",
      [](const py::object& x, Integer block_sites, Integer num_workers) {
        const InputArray in(x, "x");
        const pq::PqOptions options{u32(block_sites, "block_sites"),
                                    non_negative(num_workers, "num_workers")};
        const py::gil_scoped_release release;
        in.validate();
        return pq::encode(in.view(), options);
      },
      arg("x").noconvert(), py::kw_only(), arg("block_sites") = 4096, arg("num_workers") = 1,
      "Packs a field; byte-identical for any num_workers.");
  m.def(
      "decode",
      [](const pq::PackedField& packed, Integer num_workers) {
        dashi::TernaryField field;
        {
          const py::gil_scoped_release release;
          field = pq::decode(packed, {.num_workers = non_negative(num_workers, "num_workers")});
        }
        return to_array(std::move(field));
      },
      arg("packed"), py::kw_only(), arg("num_workers") = 1, "The exact inverse of encode.");
  m.def(
      "decode_site",
      [](const pq::PackedField& packed, Integer site) {
        if (site < 0) {
          throw std::out_of_range("dashicore.pq.decode_site: site " + std::to_string(site) +
                                  " is negative");
        }
        return static_cast<int>(pq::decode_site(packed, static_cast<std::size_t>(site)));
      },
      arg("packed"), arg("site"), "One site's value without decoding the rest.");
  m.def(
      "to_bytes",
      [](const pq::PackedField& p) {
        std::vector<std::byte> data;
        {
          const py::gil_scoped_release release;
          data = pq::to_bytes(p);
        }
        return bytes_of(data);
      },
      arg("packed"), "The serialised form (docs/PQ_FORMAT.md section 2).");
  m.def(
      "from_bytes",
      [](const py::object& data) {
        const InputBytes bytes(data, "data");
        const py::gil_scoped_release release;
        return pq::from_bytes(std::span<const std::byte>(
            reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()));
      },
      arg("data"), "Parses any bytes-like object; FormatError names the field and offset.");
  m.def(
      "run_kernel_parallel",
      [](const py::object& kernel, const pq::PackedField& packed, Integer num_workers,
         Integer block_sites, Integer block_elems, const py::object& halo,
         const std::string& boundary, bool check_contract) {
        const auto k = kernel_of(kernel);
        const dashi::ParallelOptions options =
            parallel_options(num_workers, block_sites, block_elems, halo, boundary, check_contract);
        const LiveInput live(nullptr, 0, py::none());
        const py::gil_scoped_release release;
        return k->run_packed(packed, options);
      },
      arg("kernel"), arg("packed"), py::kw_only(), arg("num_workers") = 0, arg("block_sites") = 0,
      arg("block_elems") = 0, arg("halo") = py::none(), arg("boundary") = "clip",
      arg("check_contract") = true, "Packed in, packed out: decode(result) equals the dense run.");

  m.def(
      "write_file",
      [](const std::filesystem::path& path, const py::object& x, Integer sb_bytes,
         Integer num_workers) {
        const InputArray in(x, "x");
        const pq::FileOptions options{u32(sb_bytes, "sb_bytes"),
                                      non_negative(num_workers, "num_workers")};
        const py::gil_scoped_release release;
        in.validate();
        pq::write_file(path, in.view(), options);
      },
      arg("path"), arg("x").noconvert(), py::kw_only(), arg("sb_bytes") = 262144,
      arg("num_workers") = 1, "Writes a PQ-FS file atomically (temporary file + rename).");

  py::class_<pq::PqFile>(m, "PqFile", "An open, validated PQ-FS file.")
      .def(py::init([](const std::filesystem::path& path, Integer num_workers) {
             const pq::FileOptions options{.num_workers = non_negative(num_workers, "num_workers")};
             const py::gil_scoped_release release;
             return std::make_unique<pq::PqFile>(path, options);
           }),
           arg("path"), py::kw_only(), arg("num_workers") = 1)
      .def_property_readonly("shape", [](const pq::PqFile& f) { return shape_tuple(f.shape()); })
      .def_property_readonly("size", &pq::PqFile::size)
      .def_property_readonly("support_count", &pq::PqFile::support_count)
      .def_property_readonly("sb_bytes", &pq::PqFile::sb_bytes)
      .def_property_readonly("superblock_count", &pq::PqFile::superblock_count)
      .def("read_all",
           [](const pq::PqFile& f) {
             dashi::TernaryField field;
             {
               const py::gil_scoped_release release;
               field = f.read_all();
             }
             return to_array(std::move(field));
           })
      .def(
          "read_rows",
          [](const pq::PqFile& f, Integer first, Integer count) {
            const std::size_t a = non_negative(first, "first");
            const std::size_t n = non_negative(count, "count");
            dashi::TernaryField field;
            {
              const py::gil_scoped_release release;
              field = f.read_rows(a, n);
            }
            return to_array(std::move(field));
          },
          arg("first"), arg("count"), "Rows [first, first + count), decoding only what it needs.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](const py::object&, const py::args&) { return false; });

  py::class_<FileWriter>(
      m, "FileWriter",
      "FileWriter(path, shape, *, sb_bytes=262144, num_workers=1): a streaming "
      "PQ-FS writer fed whole axis-0 rows. As a context manager it finishes the "
      "file when the block ends normally; when the block raises before finish(), "
      "the unfinished file is dropped and `path` is left as it was.")
      .def(py::init([](const std::filesystem::path& path, const py::object& shape, Integer sb_bytes,
                       Integer num_workers) {
             const dashi::Shape s = shape_from(shape, "shape");
             const pq::FileOptions options{u32(sb_bytes, "sb_bytes"),
                                           non_negative(num_workers, "num_workers")};
             const py::gil_scoped_release release;
             return std::make_unique<FileWriter>(path, s, options);
           }),
           arg("path"), arg("shape"), py::kw_only(), arg("sb_bytes") = 262144,
           arg("num_workers") = 1)
      .def("append", &FileWriter::append, arg("rows").noconvert(),
           "Appends whole axis-0 rows (shape equal to the field's but for axis 0).")
      .def("finish", &FileWriter::finish, "Writes the rest and commits the file atomically.")
      .def("abandon", &FileWriter::abandon, "Drops the unfinished file.")
      .def_property_readonly("shape", &FileWriter::shape)
      .def_property_readonly("rows_appended", &FileWriter::rows_appended)
      .def_property_readonly("finished", &FileWriter::finished)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](FileWriter& w, const py::object& type, const py::object&, const py::object&) {
             if (type.is_none()) {
               if (!w.finished()) {
                 w.finish();
               }
             } else {
               w.abandon();
             }
             return false;
           });

  legacy.def(
      "encode_2bit",
      [](const py::object& x) {
        const InputArray in(x, "x");
        std::vector<std::uint8_t> data;
        {
          const py::gil_scoped_release release;
          in.validate();
          data = pq::legacy::encode_2bit(in.view());
        }
        return py::bytes(reinterpret_cast<const char*>(data.data()), data.size());
      },
      arg("x").noconvert(), "pq.py's 2-bit code: 0 none, 1 = -1, 2 = +1, LSB first.");
  legacy.def(
      "decode_2bit",
      [](const py::object& data, const py::object& shape) {
        const InputBytes bytes(data, "data");
        const dashi::Shape s = shape_from(shape, "shape");
        dashi::TernaryField field;
        {
          const py::gil_scoped_release release;
          field =
              pq::legacy::decode_2bit(std::span<const std::uint8_t>(bytes.data(), bytes.size()), s);
        }
        return to_array(std::move(field));
      },
      arg("data"), arg("shape"), "The inverse of encode_2bit; FormatError for a bad buffer.");
}

}  // namespace dashi_python
