// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The collective PQ-FS writer (PQ_FORMAT.md §3) without gathering the field.
///
/// 1. Each rank counts the supported sites of every 64-site word it holds (words may
///    straddle ranks: each rank counts its own part).
/// 2. The greedy superblock chain is planned from these counts in rank order: each rank
///    receives the state of the open superblock from the previous rank, decides the
///    superblocks its words close, and passes the state on — only a few numbers travel.
/// 3. Every rank learns the whole plan (a few numbers per superblock). A superblock is written
///    by the rank owning its first site; the sites it holds on later ranks are sent to it.
/// 4. Each rank encodes its superblocks — consecutive ones, so one contiguous range of the
///    file — and writes them at their offsets with `MPI_File_write_at_all` into a temporary
///    file; rank 0 writes the file header. After a sync and close on all ranks, rank 0
///    renames the file into place: the file appears complete or not at all.

#include <mpi.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/distributed/detail/agree.hpp>
#include <dashi/distributed/detail/failure.hpp>
#include <dashi/distributed/detail/handles.hpp>
#include <dashi/distributed/detail/layout.hpp>
#include <dashi/pq/detail/crc32c.hpp>
#include <dashi/pq/file.hpp>
#include <exception>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace dashi::mpi::detail {

inline constexpr std::size_t pqfs_file_header_bytes = 4096;
inline constexpr std::size_t pqfs_sb_header_bytes = 64;

/// True when `sb_bytes` is a multiple of 4096 in [4096, 2^28] (PQ_FORMAT.md §3).
[[nodiscard]] constexpr bool pqfs_valid_sb_bytes(std::uint64_t sb_bytes) noexcept {
  return sb_bytes >= 4096 && sb_bytes <= (std::uint64_t{1} << 28) && sb_bytes % 4096 == 0;
}

/// Offset of Q in a superblock of `sites` sites: 64 + ceil(sites / 8), rounded up to 64.
[[nodiscard]] constexpr std::uint64_t pqfs_q_offset(std::uint64_t sites) noexcept {
  return (pqfs_sb_header_bytes + (sites + 7) / 8 + 63) / 64 * 64;
}

/// The fit rule: `sites` sites, `support` of them supported, fit in `sb_bytes`.
[[nodiscard]] constexpr bool pqfs_fits(std::uint64_t sites, std::uint64_t support,
                                       std::uint64_t sb_bytes) noexcept {
  return pqfs_q_offset(sites) + (support + 7) / 8 <= sb_bytes;
}

/// One planned superblock.
struct PlannedSuperblock {
  std::uint64_t first_site = 0;
  std::uint64_t sites = 0;
  std::uint64_t support = 0;
};

/// The state of the chain handed from rank to rank: the open superblock starts at `start`;
/// every candidate boundary up to `boundary` fits, with `support` supported sites in
/// `[start, boundary)`; `pending` sites are supported in `[boundary, position)`, the data seen
/// past the last boundary.
struct ChainState {
  std::uint64_t start = 0;
  std::uint64_t boundary = 0;
  std::uint64_t support = 0;
  std::uint64_t pending = 0;
};

/// Supported sites of this rank in each 64-site word that its sites `[first, first + n)`
/// touch, from word `first / 64` on.
[[nodiscard]] inline std::vector<std::uint32_t> word_counts(TernaryView local,
                                                            std::uint64_t first) {
  const std::uint64_t n = local.size();
  if (n == 0) {
    return {};
  }
  const std::uint64_t first_word = first / 64;
  const std::uint64_t end_word = (first + n + 63) / 64;
  std::vector<std::uint32_t> counts(static_cast<std::size_t>(end_word - first_word), 0);
  const std::int8_t* data = local.data();
  for (std::uint64_t i = 0; i < n; ++i) {
    counts[static_cast<std::size_t>((first + i) / 64 - first_word)] += data[i] != 0 ? 1U : 0U;
  }
  return counts;
}

/// Advances the chain over this rank's sites `[first, end)` (`counts` from `word_counts`),
/// appending the superblocks it closes; at the field's end (`end == total`) closes the last.
inline void advance_chain(ChainState& state, const std::vector<std::uint32_t>& counts,
                          std::uint64_t first, std::uint64_t end, std::uint64_t total,
                          std::uint64_t sb_bytes, std::vector<PlannedSuperblock>& closed) {
  const std::uint64_t first_word = first / 64;
  // Words [boundary, boundary + 64) that end within this rank's data.
  while (state.boundary + 64 <= end) {
    const std::uint64_t word = state.boundary / 64;
    const std::uint64_t word_support =
        state.pending +
        (word >= first_word ? counts[static_cast<std::size_t>(word - first_word)] : 0U);
    const std::uint64_t next = state.boundary + 64;
    if (!pqfs_fits(next - state.start, state.support + word_support, sb_bytes)) {
      closed.push_back({state.start, state.boundary - state.start, state.support});
      state.start = state.boundary;
      state.support = 0;
    }
    state.support += word_support;
    state.boundary = next;
    state.pending = 0;
  }
  if (end > state.boundary && end > first) {
    // The word at `boundary` continues on the next rank (or ends the field): count our part.
    const std::uint64_t word = state.boundary / 64;
    if (word >= first_word) {
      state.pending += counts[static_cast<std::size_t>(word - first_word)];
    }
  }
  if (end == total && state.start < total) {
    // The last candidate: all remaining sites.
    if (state.boundary == total ||
        pqfs_fits(total - state.start, state.support + state.pending, sb_bytes)) {
      closed.push_back({state.start, total - state.start, state.support + state.pending});
    } else {
      closed.push_back({state.start, state.boundary - state.start, state.support});
      closed.push_back({state.boundary, total - state.boundary, state.pending});
    }
    state.start = total;
  }
}

inline void put_u32(unsigned char* at, std::uint32_t value) noexcept {
  for (int i = 0; i < 4; ++i) {
    at[i] = static_cast<unsigned char>(value >> (8 * i));
  }
}

inline void put_u64(unsigned char* at, std::uint64_t value) noexcept {
  for (int i = 0; i < 8; ++i) {
    at[i] = static_cast<unsigned char>(value >> (8 * i));
  }
}

/// The file header of a field of `shape` with `support` supported sites in `count`
/// superblocks of `sb_bytes`.
inline void encode_file_header(unsigned char* out, const Shape& shape, std::uint64_t support,
                               std::uint64_t count, std::uint32_t sb_bytes) {
  std::memset(out, 0, pqfs_file_header_bytes);
  const std::array<unsigned char, 8> magic = {'D', 'A', 'S', 'H', 'I', 'P', 'Q', 'F'};
  std::copy(magic.begin(), magic.end(), out);
  put_u32(out + 8, 1);
  put_u32(out + 12, 0);
  put_u32(out + 16, static_cast<std::uint32_t>(shape.rank()));
  put_u32(out + 20, sb_bytes);
  for (std::size_t axis = 0; axis < 4; ++axis) {
    put_u64(out + 24 + 8 * axis, axis < shape.rank() ? shape[axis] : 0);
  }
  put_u64(out + 56, shape.size());
  put_u64(out + 64, support);
  put_u64(out + 72, count);
  put_u32(out + 80, ::dashi::pq::detail::crc32c(out, 80));
}

/// Superblock `index` holding `plan.sites` sites `values` (the superblock's own sites) into
/// `out` (`sb_bytes` bytes).
inline void encode_superblock(unsigned char* out, std::uint64_t index,
                              const PlannedSuperblock& plan, const std::int8_t* values,
                              std::uint32_t sb_bytes) {
  std::memset(out, 0, sb_bytes);
  const std::uint64_t p_bytes = (plan.sites + 7) / 8;
  const std::uint64_t q_offset = pqfs_q_offset(plan.sites);
  unsigned char* p = out + pqfs_sb_header_bytes;
  unsigned char* q = out + q_offset;
  std::uint64_t k = 0;
  for (std::uint64_t j = 0; j < plan.sites; ++j) {
    const std::int8_t v = values[j];
    if (v != 0) {
      p[j / 8] = static_cast<unsigned char>(p[j / 8] | (1U << (j % 8)));
      if (v > 0) {
        q[k / 8] = static_cast<unsigned char>(q[k / 8] | (1U << (k % 8)));
      }
      ++k;
    }
  }
  const std::array<unsigned char, 8> magic = {'D', 'P', 'Q', 'F', 'S', 'S', 'B', '1'};
  std::copy(magic.begin(), magic.end(), out);
  put_u32(out + 8, 1);
  put_u32(out + 12, 1);
  put_u64(out + 16, index);
  put_u64(out + 24, plan.first_site);
  put_u32(out + 32, static_cast<std::uint32_t>(plan.sites));
  put_u32(out + 36, static_cast<std::uint32_t>(plan.support));
  put_u32(out + 40, static_cast<std::uint32_t>(pqfs_sb_header_bytes));
  put_u32(out + 44, static_cast<std::uint32_t>(p_bytes));
  put_u32(out + 48, static_cast<std::uint32_t>(q_offset));
  put_u32(out + 52, static_cast<std::uint32_t>(plan.support));
  std::uint32_t crc = ::dashi::pq::detail::crc32c(p, static_cast<std::size_t>(p_bytes));
  crc = ::dashi::pq::detail::crc32c(q, static_cast<std::size_t>((plan.support + 7) / 8), crc);
  put_u32(out + 56, crc);
  put_u32(out + 60, ::dashi::pq::detail::crc32c(out, 56));
}

inline constexpr int tag_chain = 301;
inline constexpr int tag_superblock_sites = 302;

/// Step 2: the whole plan, the same on every rank.
[[nodiscard]] inline std::vector<PlannedSuperblock> plan_superblocks(const SlabLayout& layout,
                                                                     TernaryView local,
                                                                     std::uint32_t sb_bytes) {
  const MPI_Comm comm = LayoutAccess::resources(layout).internal.get();
  const std::uint64_t row_elems = layout.global_shape().row_elems();
  const std::uint64_t total = layout.global_shape().size();
  const std::uint64_t first = layout.first_row() * row_elems;
  const std::uint64_t end = first + local.size();
  const std::vector<std::uint32_t> counts = word_counts(local, first);
  ChainState state;
  std::array<std::uint64_t, 4> wire = {0, 0, 0, 0};
  if (layout.rank() > 0) {
    check_mpi(MPI_Recv(wire.data(), 4, MPI_UINT64_T, layout.rank() - 1, tag_chain, comm,
                       MPI_STATUS_IGNORE),
              "MPI_Recv");
    state = {wire[0], wire[1], wire[2], wire[3]};
  }
  std::vector<PlannedSuperblock> closed;
  advance_chain(state, counts, first, end, total, sb_bytes, closed);
  if (layout.rank() + 1 < layout.size()) {
    const std::array<std::uint64_t, 4> out = {state.start, state.boundary, state.support,
                                              state.pending};
    check_mpi(MPI_Send(out.data(), 4, MPI_UINT64_T, layout.rank() + 1, tag_chain, comm),
              "MPI_Send");
  }
  // Everyone learns every rank's closed superblocks, in rank order (= file order).
  const auto ranks = static_cast<std::size_t>(layout.size());
  int mine = static_cast<int>(3 * closed.size());
  std::vector<int> sizes(ranks);
  check_mpi(MPI_Allgather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, comm), "MPI_Allgather");
  std::vector<int> displacements(ranks, 0);
  for (std::size_t r = 1; r < ranks; ++r) {
    displacements[r] = displacements[r - 1] + sizes[r - 1];
  }
  std::vector<std::uint64_t> sent(3 * closed.size());
  for (std::size_t i = 0; i < closed.size(); ++i) {
    sent[3 * i] = closed[i].first_site;
    sent[3 * i + 1] = closed[i].sites;
    sent[3 * i + 2] = closed[i].support;
  }
  std::vector<std::uint64_t> all(static_cast<std::size_t>(displacements.back() + sizes.back()));
  check_mpi(MPI_Allgatherv(sent.data(), mine, MPI_UINT64_T, all.data(), sizes.data(),
                           displacements.data(), MPI_UINT64_T, comm),
            "MPI_Allgatherv");
  std::vector<PlannedSuperblock> plan(all.size() / 3);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    plan[i] = {all[3 * i], all[3 * i + 1], all[3 * i + 2]};
  }
  return plan;
}

/// The rank owning global site `site` (of a field with `row_elems` sites per row).
[[nodiscard]] inline int owner_of_site(const SlabLayout& layout, std::uint64_t site,
                                       std::uint64_t row_elems) {
  return layout.owner_of_row(static_cast<std::size_t>(site / row_elems));
}

/// Step 3 and 4: this rank's superblocks `[first, end)` of `plan`, encoded, with the sites
/// other ranks hold received from them (and this rank's sites of earlier ranks' superblocks
/// sent to them).
[[nodiscard]] inline std::vector<unsigned char> encode_my_superblocks(
    const SlabLayout& layout, TernaryView local, const std::vector<PlannedSuperblock>& plan,
    std::uint32_t sb_bytes, std::size_t& first_index) {
  const MPI_Comm comm = LayoutAccess::resources(layout).internal.get();
  const std::uint64_t row_elems = layout.global_shape().row_elems();
  const std::uint64_t begin = layout.first_row() * row_elems;
  const std::uint64_t end = begin + local.size();
  std::size_t first = plan.size();
  std::size_t last = plan.size();
  for (std::size_t k = 0; k < plan.size(); ++k) {
    if (owner_of_site(layout, plan[k].first_site, row_elems) == layout.rank()) {
      first = std::min(first, k);
      last = k + 1;
    }
  }
  if (first == plan.size()) {
    last = first;
  }
  first_index = first;
  // Sends: my sites of superblocks written by another rank (only the one or two that
  // straddle into my slab from an earlier rank).
  Requests requests;
  std::vector<Datatype> types;
  for (std::size_t k = 0; k < plan.size() && local.size() != 0; ++k) {
    const PlannedSuperblock& sb = plan[k];
    const std::uint64_t lo = std::max(sb.first_site, begin);
    const std::uint64_t hi = std::min(sb.first_site + sb.sites, end);
    if (lo >= hi) {
      continue;
    }
    const int writer = owner_of_site(layout, sb.first_site, row_elems);
    if (writer == layout.rank()) {
      continue;
    }
    types.push_back(bytes_type(static_cast<std::size_t>(hi - lo)));
    check_mpi(MPI_Isend(local.data() + (lo - begin), 1, types.back().get(), writer,
                        tag_superblock_sites, comm, requests.add()),
              "MPI_Isend");
  }
  std::vector<unsigned char> encoded((last - first) * std::size_t{sb_bytes});
  std::vector<std::int8_t> sites;
  for (std::size_t k = first; k < last; ++k) {
    const PlannedSuperblock& sb = plan[k];
    const std::int8_t* values = local.data() + (sb.first_site - begin);
    if (sb.first_site + sb.sites > end) {
      // The superblock runs past my slab: receive the rest from the ranks holding it.
      sites.resize(static_cast<std::size_t>(sb.sites));
      std::memcpy(sites.data(), values, static_cast<std::size_t>(end - sb.first_site));
      for (int q = layout.rank() + 1; q < layout.size(); ++q) {
        const std::uint64_t q_begin = layout.first_row(q) * row_elems;
        const std::uint64_t q_end = q_begin + layout.row_count(q) * row_elems;
        const std::uint64_t lo = std::max(q_begin, sb.first_site);
        const std::uint64_t hi = std::min(q_end, sb.first_site + sb.sites);
        if (q_begin >= sb.first_site + sb.sites) {
          break;
        }
        if (lo >= hi) {
          continue;
        }
        const Datatype piece = bytes_type(static_cast<std::size_t>(hi - lo));
        check_mpi(MPI_Recv(sites.data() + (lo - sb.first_site), 1, piece.get(), q,
                           tag_superblock_sites, comm, MPI_STATUS_IGNORE),
                  "MPI_Recv");
      }
      values = sites.data();
    }
    encode_superblock(encoded.data() + (k - first) * sb_bytes, k, sb, values, sb_bytes);
  }
  requests.wait();
  return encoded;
}

/// Collective: the lowest failing rank's text, thrown as `std::runtime_error` on every
/// rank; returns normally when `local_error` is empty everywhere.
inline void agree_on_io(MPI_Comm comm, const std::string& local_error) {
  Failure failure;
  if (!local_error.empty()) {
    failure.keep_first(0, 0, std::make_exception_ptr(std::runtime_error(local_error)));
  }
  try {
    agree_on_failures(comm, failure);
  } catch (const RemoteError& e) {
    throw std::runtime_error(e.message());
  }
}

/// The collective writer (see the file comment). Throws the same `std::invalid_argument` on
/// every rank for bad arguments and the same `std::runtime_error` for I/O failures.
inline void write_pqfs(const SlabLayout& layout, const std::filesystem::path& path,
                       TernaryView local, const ::dashi::pq::FileOptions& options) {
  const char* where = "dashi::mpi::write_file";
  const LayoutResources& resources = LayoutAccess::resources(layout);
  const MPI_Comm comm = resources.internal.get();
  std::string error;
  if (!(local.shape() == layout.local_shape())) {
    error = std::string(where) + ": rank " + std::to_string(layout.rank()) +
            " passed a slab of shape " + local.shape().to_string() + ", its rows are " +
            layout.local_shape().to_string();
  } else if (!pqfs_valid_sb_bytes(options.sb_bytes)) {
    error = std::string(where) + ": sb_bytes " + std::to_string(options.sb_bytes) +
            " is not a multiple of 4096 in [4096, 2^28]";
  }
  const std::string name = path.string();
  const std::array<Agreed, 2> agreed = {
      {{"sb_bytes", options.sb_bytes},
       {"the path", digest(std::vector<std::size_t>(name.begin(), name.end()))}}};
  agree(comm, where, error, agreed);

  const std::uint32_t sb_bytes = options.sb_bytes;
  const std::vector<PlannedSuperblock> plan = plan_superblocks(layout, local, sb_bytes);
  std::size_t first_index = 0;
  const std::vector<unsigned char> encoded =
      encode_my_superblocks(layout, local, plan, sb_bytes, first_index);
  std::uint64_t support = local.count_support();
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &support, 1, MPI_UINT64_T, MPI_SUM, comm), "MPI_Allreduce");

  // A temporary name beside the target, chosen by rank 0.
  std::string temporary;
  if (layout.rank() == 0) {
    std::random_device seed;
    temporary = name + ".tmp-" + std::to_string(seed()) + std::to_string(seed());
  }
  temporary = broadcast_text(comm, 0, layout.rank(), temporary);

  MPI_File file = MPI_FILE_NULL;
  const int opened =
      MPI_File_open(comm, temporary.c_str(), MPI_MODE_CREATE | MPI_MODE_WRONLY | MPI_MODE_EXCL,
                    MPI_INFO_NULL, &file);
  agree_on_io(comm, opened == MPI_SUCCESS ? std::string()
                                          : std::string(where) + ": cannot create " + temporary);
  std::string io_error;
  auto io = [&](int code, const char* what) {
    if (code != MPI_SUCCESS && io_error.empty()) {
      std::array<char, MPI_MAX_ERROR_STRING> text{};
      int length = 0;
      MPI_Error_string(code, text.data(), &length);
      io_error = std::string(where) + ": " + what + " on " + temporary +
                 " failed: " + std::string(text.data(), static_cast<std::size_t>(length));
    }
  };
  MPI_File_set_errhandler(file, MPI_ERRORS_RETURN);
  const std::uint64_t file_bytes = pqfs_file_header_bytes + plan.size() * std::uint64_t{sb_bytes};
  io(MPI_File_set_size(file, static_cast<MPI_Offset>(file_bytes)), "MPI_File_set_size");
  {
    const Datatype superblock = bytes_type(sb_bytes);
    const auto count = static_cast<int>(encoded.size() / sb_bytes);
    const std::uint64_t first_byte = pqfs_file_header_bytes + first_index * std::uint64_t{sb_bytes};
    const auto offset = static_cast<MPI_Offset>(first_byte);
    io(MPI_File_write_at_all(file, count == 0 ? 0 : offset, encoded.data(), count, superblock.get(),
                             MPI_STATUS_IGNORE),
       "MPI_File_write_at_all");
  }
  if (layout.rank() == 0) {
    std::array<unsigned char, pqfs_file_header_bytes> header{};
    encode_file_header(header.data(), layout.global_shape(), support, plan.size(), sb_bytes);
    io(MPI_File_write_at(file, 0, header.data(), static_cast<int>(header.size()), MPI_BYTE,
                         MPI_STATUS_IGNORE),
       "MPI_File_write_at");
  }
  io(MPI_File_sync(file), "MPI_File_sync");
  io(MPI_File_close(&file), "MPI_File_close");
  try {
    agree_on_io(comm, io_error);
  } catch (...) {
    if (layout.rank() == 0) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
    }
    throw;
  }
  std::string rename_error;
  if (layout.rank() == 0) {
    std::error_code code;
    std::filesystem::rename(temporary, path, code);
    if (code) {
      rename_error = std::string(where) + ": cannot rename " + temporary + " to " + name + ": " +
                     code.message();
      std::filesystem::remove(temporary, code);
    }
  }
  agree_on_io(comm, rename_error);
}

}  // namespace dashi::mpi::detail
