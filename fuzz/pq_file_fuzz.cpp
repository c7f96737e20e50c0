// SPDX-License-Identifier: Apache-2.0
// Fuzz harness of the PQ-FS reader `dashi::pq::PqFile` (docs/PQ_FORMAT.md §3): the input becomes a
// file, which is opened and read whole and by rows.
//
// Input: one mode byte, then the file.
//   bit 0  repair the CRC-32C fields (file header, and each complete superblock's header
//          and payload, from the counts its header states) so mutations reach the checks
//          behind the checksums;
//   bit 1  compact form: the file header's first 84 bytes (the rest of the 4096-byte page
//          zero), then each superblock as its used prefix — up to q_offset +
//          ceil(q_bits / 8) as its own header says — zero-filled to SB_BYTES; the file is
//          then zero-extended to the length the header implies (at most 1 MiB);
//   bit 2  read with 3 workers instead of 1 (and re-read with the other count);
//   bit 3  write what was read back with `write_file` and read that again.
// Every outcome is success, `dashi::pq::FormatError` or `std::system_error`. A file that
// reads must: decode to its header's shape and support count; give every row range the
// same values as the whole read (a row read may not fail where the whole read succeeded);
// read identically with 1 and 3 workers; and survive write_file → PqFile unchanged in a
// file with no more superblocks than the input (the writer's greedy fill is optimal).

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <dashi/carrier.hpp>
#include <dashi/pq/file.hpp>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"

namespace {

constexpr const char* harness = "pq_file_fuzz";
constexpr std::size_t header_bytes = 4096;
constexpr std::size_t sb_header_bytes = 64;
constexpr std::size_t compact_cap = std::size_t{1} << 20;

using dashi::TernaryField;
using dashi::pq::PqFile;
using dashi_fuzz::load_le;
using dashi_fuzz::require;
using dashi_fuzz::store_le;

/// The two files this process uses, in a RAM-backed folder when there is one (the round
/// trip fsyncs). `DASHI_FUZZ_TMPDIR` overrides the folder. Removed at exit.
struct TempFiles {
  std::filesystem::path input;
  std::filesystem::path rewritten;
  TempFiles() {
    std::filesystem::path folder;
    if (const char* env = std::getenv("DASHI_FUZZ_TMPDIR"); env != nullptr && *env != '\0') {
      folder = env;
    } else if (std::error_code ec; std::filesystem::is_directory("/dev/shm", ec)) {
      folder = "/dev/shm";
    } else {
      folder = std::filesystem::temp_directory_path();
    }
    const std::string stem = "dashi_pq_file_fuzz_" + std::to_string(::getpid());
    input = folder / (stem + ".pqfs");
    rewritten = folder / (stem + "_rewritten.pqfs");
  }
  TempFiles(const TempFiles&) = delete;
  TempFiles& operator=(const TempFiles&) = delete;
  ~TempFiles() {
    std::error_code ec;
    std::filesystem::remove(input, ec);
    std::filesystem::remove(rewritten, ec);
  }
};

TempFiles& temp_files() {
  static TempFiles files;
  return files;
}

[[nodiscard]] bool valid_sb_bytes(std::uint64_t sb_bytes) {
  return sb_bytes % 4096 == 0 && sb_bytes >= 4096 && sb_bytes <= (std::uint64_t{1} << 28);
}

[[nodiscard]] std::uint64_t ceil8(std::uint64_t bits) { return bits / 8 + (bits % 8 != 0); }

/// The compact form (mode bit 1) expanded to a file.
std::vector<std::uint8_t> expand_compact(std::span<const std::uint8_t> in) {
  std::vector<std::uint8_t> file(header_bytes, 0);
  const std::size_t head = std::min<std::size_t>(84, in.size());
  std::copy_n(in.begin(), head, file.begin());
  std::size_t pos = head;
  const std::uint64_t sb_bytes = load_le(file.data() + 20, 4);
  if (!valid_sb_bytes(sb_bytes) || sb_bytes > compact_cap) {
    file.resize(header_bytes + (in.size() - pos));
    std::copy(in.begin() + static_cast<std::ptrdiff_t>(pos), in.end(),
              file.begin() + static_cast<std::ptrdiff_t>(header_bytes));
    return file;
  }
  const auto sb = static_cast<std::size_t>(sb_bytes);
  while (pos < in.size() && file.size() + sb <= compact_cap) {
    const std::size_t base = file.size();
    file.resize(base + sb, 0);
    const std::size_t left = in.size() - pos;
    std::size_t used = sb_header_bytes;
    if (left >= sb_header_bytes) {
      const std::uint64_t q_offset = load_le(in.data() + pos + 48, 4);
      const std::uint64_t q_bits = load_le(in.data() + pos + 52, 4);
      used = static_cast<std::size_t>(
          std::clamp<std::uint64_t>(q_offset + ceil8(q_bits), sb_header_bytes, sb_bytes));
    }
    const std::size_t take = std::min(used, left);
    std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(pos), take,
                file.begin() + static_cast<std::ptrdiff_t>(base));
    pos += take;
  }
  const std::uint64_t count = load_le(file.data() + 72, 8);
  if (count <= (compact_cap - header_bytes) / sb) {
    file.resize(
        std::max<std::size_t>(file.size(), header_bytes + static_cast<std::size_t>(count) * sb));
  }
  return file;
}

/// Mode bit 0: recomputes the CRCs that the header and superblock fields locate.
void repair_crcs(std::vector<std::uint8_t>& file) {
  if (file.size() < 84) {
    return;
  }
  store_le(file.data() + 80, dashi_fuzz::crc32c(file.data(), 80), 4);
  const std::uint64_t sb_bytes = load_le(file.data() + 20, 4);
  if (!valid_sb_bytes(sb_bytes)) {
    return;
  }
  const auto sb = static_cast<std::size_t>(sb_bytes);
  for (std::size_t base = header_bytes; base + sb <= file.size(); base += sb) {
    std::uint8_t* h = file.data() + base;
    const std::uint64_t p_bytes = load_le(h + 44, 4);
    const std::uint64_t q_offset = load_le(h + 48, 4);
    const std::uint64_t q_bytes = ceil8(load_le(h + 52, 4));
    if (sb_header_bytes + p_bytes <= sb_bytes && q_offset <= sb_bytes &&
        q_bytes <= sb_bytes - q_offset) {
      std::uint32_t crc =
          dashi_fuzz::crc32c(h + sb_header_bytes, static_cast<std::size_t>(p_bytes));
      crc = dashi_fuzz::crc32c(h + q_offset, static_cast<std::size_t>(q_bytes), crc);
      store_le(h + 56, crc, 4);
    }
    store_le(h + 60, dashi_fuzz::crc32c(h, 56), 4);
  }
}

void write_bytes(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  require(static_cast<bool>(out), harness, "cannot write the temporary file " + path.string());
}

/// Reads `path` with `workers` threads: whole, then by row ranges. Returns the whole
/// field when it reads.
std::optional<TernaryField> read_file(const std::filesystem::path& path, std::size_t workers) {
  const PqFile file(path, {.num_workers = workers});
  const dashi::Shape shape = file.shape();
  require(file.size() == shape.size(), harness, "size() differs from shape().size()");
  std::optional<TernaryField> all;
  try {
    all = file.read_all();
  } catch (const dashi::pq::FormatError&) {
    all.reset();
  }
  if (all) {
    require(all->shape() == shape, harness, "read_all changed the shape");
    require(all->count_support() == file.support_count(), harness,
            "read_all's support count differs from the header's n_support");
  }
  const std::size_t rows = shape.rows();
  const std::pair<std::size_t, std::size_t> ranges[] = {
      {0, rows},
      {rows / 3, rows / 3},
      {rows - rows / 2, rows / 2},
      {rows / 2, 0},
      {rows == 0 ? 0 : rows - 1, rows == 0 ? 0 : 1}};
  for (const auto& [first, count] : ranges) {
    try {
      const TernaryField part = file.read_rows(first, count);
      if (all) {
        require(part.view() == all->rows(first, count), harness,
                "read_rows(" + std::to_string(first) + ", " + std::to_string(count) +
                    ") differs from read_all");
      }
    } catch (const dashi::pq::FormatError& error) {
      require(!all, harness,
              "read_rows(" + std::to_string(first) + ", " + std::to_string(count) +
                  ") failed where read_all succeeded: " + error.what());
    }
  }
  return all;
}

void check(std::span<const std::uint8_t> input, unsigned mode) {
  std::vector<std::uint8_t> bytes = (mode & 2U) != 0
                                        ? expand_compact(input)
                                        : std::vector<std::uint8_t>(input.begin(), input.end());
  if ((mode & 1U) != 0) {
    repair_crcs(bytes);
  }
  const TempFiles& files = temp_files();
  write_bytes(files.input, bytes);
  const std::size_t workers = (mode & 4U) != 0 ? 3 : 1;
  const std::optional<TernaryField> all = read_file(files.input, workers);
  if (!all) {
    return;
  }
  // From here on the file is known to be valid: any exception is a bug.
  try {
    const std::optional<TernaryField> again = read_file(files.input, workers == 1 ? 3 : 1);
    require(again && *again == *all, harness, "reads with 1 and 3 workers differ");
    if ((mode & 8U) != 0) {
      const PqFile original(files.input);
      dashi::pq::write_file(files.rewritten, *all, {.sb_bytes = original.sb_bytes()});
      const PqFile rewritten(files.rewritten);
      require(rewritten.read_all() == *all, harness, "write_file → PqFile changed the field");
      require(rewritten.superblock_count() <= original.superblock_count(), harness,
              "write_file used more superblocks (" + std::to_string(rewritten.superblock_count()) +
                  ") than the input file (" + std::to_string(original.superblock_count()) + ")");
    }
  } catch (const std::exception& error) {
    require(false, harness,
            std::string("a valid file failed on a second read or a rewrite: ") + error.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  try {
    check(std::span<const std::uint8_t>(data + 1, size - 1), data[0]);
  } catch (const dashi::pq::FormatError&) {
    // Malformed content: an expected outcome.
  } catch (const std::system_error&) {
    // An I/O failure: an expected outcome.
  }
  return 0;
}
