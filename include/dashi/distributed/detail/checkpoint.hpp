// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The collective PQ-FS writer (PQ_FORMAT.md §3) without gathering the field. Everything
/// about the bytes — the superblock plan, the superblocks, the file header, their offsets —
/// comes from `dashi::pq::detail`, as for `pq::write_file`; this file adds what MPI needs:
///
/// 1. Each rank counts the supported sites of every 64-site word it holds (words may
///    straddle ranks: each rank counts its own part).
/// 2. The greedy superblock chain is planned from these counts in rank order: each rank
///    receives the state of the open superblock from the previous rank, lets
///    `pq::detail::plan_superblocks` decide the superblocks its words close, and passes the
///    state on — only four numbers travel.
/// 3. Every rank learns the whole plan (three numbers per superblock). A superblock is
///    written by the rank owning its first site; the sites it holds on later ranks are sent
///    to it.
/// 4. Each rank builds its superblocks — consecutive ones, so one contiguous range of the
///    file — and writes them at their offsets with `MPI_File_write_at_all` into a temporary
///    file; rank 0 writes the file header. After a sync and close on all ranks, rank 0
///    renames the file into place: the file appears complete or not at all.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/distributed/detail/agree.hpp>
#include <dashi/distributed/detail/failure.hpp>
#include <dashi/distributed/detail/handles.hpp>
#include <dashi/distributed/detail/layout.hpp>
#include <dashi/distributed/detail/mpi_c.hpp>
#include <dashi/pq/detail/driver.hpp>
#include <dashi/pq/detail/file_io.hpp>
#include <dashi/pq/detail/file_layout.hpp>
#include <dashi/pq/detail/superblock.hpp>
#include <dashi/pq/detail/superblock_plan.hpp>
#include <dashi/pq/file.hpp>
#include <exception>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace dashi::mpi::detail {

namespace pqd = ::dashi::pq::detail;

/// Sites per word of `pq::detail::count_words` (and of a superblock's P section, so every
/// superblock starts at a multiple of it).
inline constexpr std::uint64_t word_sites = 64;

/// The state of the chain handed from rank to rank. The open superblock starts at `start`
/// (a multiple of 64); the whole words `[start, counted)` belong to it, all fitting, with
/// `support` supported sites; `pending` sites are supported in `[counted, first site of the
/// receiving rank)`, the earlier ranks' part of a word that straddles into it. `start`
/// equals n once the chain has closed the last superblock.
struct ChainState {
  std::uint64_t start = 0;
  std::uint64_t counted = 0;
  std::uint64_t support = 0;
  std::uint64_t pending = 0;
};

/// Supported sites of this rank's own part of each 64-site word that its sites
/// `[first, first + local.size())` touch, from word `first / 64` on.
[[nodiscard]] inline std::vector<std::uint8_t> own_word_counts(TernaryView local,
                                                               std::uint64_t first) {
  const std::size_t n = local.size();
  if (n == 0) {
    return {};
  }
  const auto head = static_cast<std::size_t>(
      std::min<std::uint64_t>(n, (word_sites - first % word_sites) % word_sites));
  const std::size_t head_words = head != 0 ? 1 : 0;
  std::vector<std::uint8_t> counts(head_words +
                                   static_cast<std::size_t>(pqd::ceil_div(n - head, word_sites)));
  pqd::count_words(local.data(), head, counts.data());
  pqd::count_words(local.data() + head, n - head, counts.data() + head_words);
  return counts;
}

/// Advances the chain over this rank's sites `local`, which start at global site `first`,
/// appending the superblocks they close to `closed`; the rank holding site n - 1 closes the
/// last. `pq::detail::plan_superblocks` plans from the start of a superblock, so the open
/// one is replayed to it as word counts that fill `[start, counted)` with `support` sites:
/// every prefix of a fitting superblock fits, so it decides exactly as over the real counts.
inline void advance_chain(ChainState& state, TernaryView local, std::uint64_t first,
                          std::uint64_t total, std::uint64_t sb_bytes,
                          std::vector<pqd::SuperblockPlanEntry>& closed) {
  if (state.start == total) {
    return;
  }
  const std::uint64_t end = first + local.size();
  const bool last = end == total;
  std::vector<std::uint8_t> own = own_word_counts(local, first);
  std::uint64_t pending = state.pending;
  if (!own.empty()) {
    own.front() = static_cast<std::uint8_t>(own.front() + pending);
    pending = 0;
  }
  if (!last && end % word_sites != 0 && !own.empty()) {
    pending = own.back();  // the word ends on a later rank
    own.pop_back();
  }
  std::vector<std::uint8_t> counts(
      static_cast<std::size_t>((state.counted - state.start) / word_sites));
  std::uint64_t replay = state.support;
  for (std::uint8_t& count : counts) {
    count = static_cast<std::uint8_t>(std::min<std::uint64_t>(replay, word_sites));
    replay -= count;
  }
  counts.insert(counts.end(), own.begin(), own.end());
  const std::uint64_t remaining = total - state.start;
  const std::uint64_t available = last ? remaining : word_sites * std::uint64_t{counts.size()};
  const std::uint64_t planned =
      pqd::plan_superblocks(counts, available, remaining, sb_bytes, state.start, closed);
  std::uint64_t support = 0;
  for (auto word = static_cast<std::size_t>(planned / word_sites); word < counts.size(); ++word) {
    support += counts[word];
  }
  state = {state.start + planned, state.start + available, support, pending};
}

inline constexpr int tag_chain = 301;
inline constexpr int tag_superblock_sites = 302;

/// Step 2: the whole plan, the same on every rank.
[[nodiscard]] inline std::vector<pqd::SuperblockPlanEntry> plan_chain(const SlabLayout& layout,
                                                                      TernaryView local,
                                                                      std::uint64_t sb_bytes) {
  const MPI_Comm comm = LayoutAccess::resources(layout).internal.get();
  const std::uint64_t total = layout.global_shape().size();
  const std::uint64_t first = layout.first_row() * layout.global_shape().row_elems();
  std::array<std::uint64_t, 4> wire = {0, 0, 0, 0};
  if (layout.rank() > 0) {
    check_mpi(MPI_Recv(wire.data(), 4, MPI_UINT64_T, layout.rank() - 1, tag_chain, comm,
                       MPI_STATUS_IGNORE),
              "MPI_Recv");
  }
  ChainState state = {wire[0], wire[1], wire[2], wire[3]};
  std::vector<pqd::SuperblockPlanEntry> closed;
  advance_chain(state, local, first, total, sb_bytes, closed);
  if (layout.rank() + 1 < layout.size()) {
    wire = {state.start, state.counted, state.support, state.pending};
    check_mpi(MPI_Send(wire.data(), 4, MPI_UINT64_T, layout.rank() + 1, tag_chain, comm),
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
  std::vector<std::uint64_t> sent;
  for (const pqd::SuperblockPlanEntry& entry : closed) {
    sent.insert(sent.end(), {entry.first_site, entry.sites, entry.support});
  }
  std::vector<std::uint64_t> all(static_cast<std::size_t>(displacements.back() + sizes.back()));
  check_mpi(MPI_Allgatherv(sent.data(), mine, MPI_UINT64_T, all.data(), sizes.data(),
                           displacements.data(), MPI_UINT64_T, comm),
            "MPI_Allgatherv");
  std::vector<pqd::SuperblockPlanEntry> plan(all.size() / 3);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    plan[i] = {all[3 * i], all[3 * i + 1], all[3 * i + 2], 0};
  }
  return plan;
}

/// The rank owning global site `site` (of a field with `row_elems` sites per row).
[[nodiscard]] inline int owner_of_site(const SlabLayout& layout, std::uint64_t site,
                                       std::uint64_t row_elems) {
  return layout.owner_of_row(static_cast<std::size_t>(site / row_elems));
}

/// This rank's superblocks of `plan`, built: `first_index` receives the index of the first.
struct OwnSuperblocks {
  std::size_t first_index = 0;
  std::size_t count = 0;
  std::vector<std::byte> bytes;  ///< `count` superblocks as stored, one after the other
  std::string error;             ///< why they could not be built (empty when they were)
};

/// Steps 3 and 4: builds this rank's superblocks of `plan` (those starting in its rows),
/// receiving the sites other ranks hold, and sends its sites of earlier ranks' superblocks
/// to them. A field holding bytes that are not trits is reported in `error`.
[[nodiscard]] inline OwnSuperblocks build_own_superblocks(
    const SlabLayout& layout, TernaryView local, const std::vector<pqd::SuperblockPlanEntry>& plan,
    std::uint64_t sb_bytes) {
  const MPI_Comm comm = LayoutAccess::resources(layout).internal.get();
  const std::uint64_t row_elems = layout.global_shape().row_elems();
  const std::uint64_t begin = layout.first_row() * row_elems;
  const std::uint64_t end = begin + local.size();
  OwnSuperblocks own;
  own.first_index = plan.size();
  for (std::size_t k = 0; k < plan.size(); ++k) {
    if (owner_of_site(layout, plan[k].first_site, row_elems) == layout.rank()) {
      own.first_index = std::min(own.first_index, k);
      ++own.count;
    }
  }
  // Sends: my sites of superblocks written by another rank (only the one or two that
  // straddle into my slab from an earlier rank).
  Requests requests;
  std::vector<Datatype> types;
  for (std::size_t k = 0; k < plan.size() && local.size() != 0; ++k) {
    const pqd::SuperblockPlanEntry& sb = plan[k];
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
  const auto sb_size = static_cast<std::size_t>(sb_bytes);
  own.bytes.resize(own.count * sb_size);
  std::vector<std::uint64_t> buffer(pqd::sb_buffer_words(sb_bytes));
  std::vector<std::uint64_t> q_scratch(pqd::sb_q_scratch_words(sb_bytes));
  const pqd::CodecPath path = pqd::resolve_path(pqd::CodecPath::automatic);
  std::vector<std::int8_t> sites;
  for (std::size_t j = 0; j < own.count; ++j) {
    const std::size_t k = own.first_index + j;
    const pqd::SuperblockPlanEntry& sb = plan[k];
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
    if (own.error.empty()) {
      try {
        pqd::build_superblock(values, sb, k, sb_bytes, path, buffer.data(), q_scratch.data());
        std::memcpy(own.bytes.data() + j * sb_size, buffer.data(), sb_size);
      } catch (const std::invalid_argument& e) {
        own.error = e.what();  // keep receiving: the senders must not wait for ever
      }
    }
  }
  requests.wait();
  return own;
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

/// Room left in a temporary file name for the side files that MPI-IO names after it (Open
/// MPI's shared file pointer component appends "_cid-<n>-<rank>.sm", and crashes when the
/// result passes NAME_MAX).
inline constexpr std::size_t mpi_io_suffix_room = 64;

/// A temporary file name beside `path`, short enough for MPI-IO whenever the name of `path`
/// is legal, chosen by rank 0 and the same on every rank.
[[nodiscard]] inline std::filesystem::path temporary_path(MPI_Comm comm, int rank,
                                                          const std::filesystem::path& path) {
  const std::filesystem::path folder = path.parent_path();
  std::string name;
  if (rank == 0) {
    const std::string filename = path.filename().string();
    const std::size_t limit = std::max(pqd::max_file_name(folder), filename.size());
    std::random_device seed;
    name = pqd::temporary_name(filename, "mpi" + std::to_string(seed()), seed(),
                               limit > 2 * mpi_io_suffix_room ? limit - mpi_io_suffix_room : limit);
  }
  name = broadcast_text(comm, 0, rank, name);
  return folder.empty() ? std::filesystem::path(name) : folder / name;
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
  } else {
    try {
      pqd::check_sb_bytes(options.sb_bytes, where);
    } catch (const std::invalid_argument& e) {
      error = e.what();
    }
  }
  const std::string name = path.string();
  const std::array<Agreed, 2> agreed = {
      {{"sb_bytes", options.sb_bytes},
       {"the path", digest(std::vector<std::size_t>(name.begin(), name.end()))}}};
  agree(comm, where, error, agreed);

  const std::uint64_t sb_bytes = options.sb_bytes;
  const std::vector<pqd::SuperblockPlanEntry> plan = plan_chain(layout, local, sb_bytes);
  const OwnSuperblocks own = build_own_superblocks(layout, local, plan, sb_bytes);
  agree(comm, where, own.error.empty() ? std::string() : std::string(where) + ": " + own.error, {});
  std::uint64_t support = 0;
  for (const pqd::SuperblockPlanEntry& entry : plan) {
    support += entry.support;
  }

  const std::filesystem::path temporary = temporary_path(comm, layout.rank(), path);
  const std::string temporary_name = temporary.string();
  MPI_File file = MPI_FILE_NULL;
  const int opened =
      MPI_File_open(comm, temporary_name.c_str(), MPI_MODE_CREATE | MPI_MODE_WRONLY | MPI_MODE_EXCL,
                    MPI_INFO_NULL, &file);
  agree_on_io(comm, opened == MPI_SUCCESS
                        ? std::string()
                        : std::string(where) + ": cannot create " + temporary_name);
  std::string io_error;
  auto io = [&](int code, const char* what) {
    if (code != MPI_SUCCESS && io_error.empty()) {
      std::array<char, MPI_MAX_ERROR_STRING> text{};
      int length = 0;
      MPI_Error_string(code, text.data(), &length);
      io_error = std::string(where) + ": " + what + " on " + temporary_name +
                 " failed: " + std::string(text.data(), static_cast<std::size_t>(length));
    }
  };
  MPI_File_set_errhandler(file, MPI_ERRORS_RETURN);
  const auto offset_of = [&](std::uint64_t index) {
    const std::uint64_t offset = pqd::file_header::bytes + index * sb_bytes;
    return static_cast<MPI_Offset>(offset);
  };
  io(MPI_File_set_size(file, offset_of(plan.size())), "MPI_File_set_size");
  {
    const Datatype superblock = bytes_type(static_cast<std::size_t>(sb_bytes));
    io(MPI_File_write_at_all(file, own.count == 0 ? 0 : offset_of(own.first_index),
                             own.bytes.data(), static_cast<int>(own.count), superblock.get(),
                             MPI_STATUS_IGNORE),
       "MPI_File_write_at_all");
  }
  if (layout.rank() == 0) {
    const auto header =
        pqd::make_file_header(layout.global_shape(), support, plan.size(), sb_bytes);
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
      rename_error = std::string(where) + ": cannot rename " + temporary_name + " to " + name +
                     ": " + code.message();
      std::filesystem::remove(temporary, code);
    }
  }
  agree_on_io(comm, rename_error);
}

}  // namespace dashi::mpi::detail
