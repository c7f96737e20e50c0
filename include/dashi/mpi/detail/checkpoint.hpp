// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The collective PQ-FS writer (docs/PQ_FORMAT.md §3) without gathering the field. Everything
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
///    file — and writes them at their offsets with positioned writes into a temporary file
///    that rank 0 created (and whose header it writes). After a sync and close on all ranks,
///    rank 0 renames the file into place and syncs the folder, as `pq::write_file` does:
///    the file appears complete or not at all. The ranks share a file system (as
///    `read_slab` assumes too); MPI-IO is not used, so no MPI component limits the path.
///
/// Every rank-local step that can throw (allocations, building superblocks, file I/O) is
/// agreed before a transfer or collective could wait on the rank.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/mpi/detail/agree.hpp>
#include <dashi/mpi/detail/failure.hpp>
#include <dashi/mpi/detail/handles.hpp>
#include <dashi/mpi/detail/layout.hpp>
#include <dashi/mpi/detail/mpi_c.hpp>
#include <dashi/pq/detail/driver.hpp>
#include <dashi/pq/detail/file_io.hpp>
#include <dashi/pq/detail/file_layout.hpp>
#include <dashi/pq/detail/superblock.hpp>
#include <dashi/pq/detail/superblock_plan.hpp>
#include <dashi/pq/file.hpp>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#  define DASHI_DETAIL_MPI_POSIX 1
#  include <unistd.h>
#else
#  define DASHI_DETAIL_MPI_POSIX 0
#  include <fstream>
#endif

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
  const auto ranks = static_cast<std::size_t>(layout.size());
  std::vector<int> sizes;
  std::vector<int> displacements;
  std::vector<std::uint64_t> sent;
  const Failure counted = attempt_local([&] {
    advance_chain(state, local, first, total, sb_bytes, closed);
    sizes.resize(ranks);
    displacements.resize(ranks, 0);
    sent.reserve(3 * closed.size());
  });
  if (layout.rank() + 1 < layout.size()) {
    // A rank that failed passes a closed chain on, so that the next ones plan nothing.
    wire = counted.error ? std::array<std::uint64_t, 4>{total, total, 0, 0}
                         : std::array<std::uint64_t, 4>{state.start, state.counted, state.support,
                                                        state.pending};
    check_mpi(MPI_Send(wire.data(), 4, MPI_UINT64_T, layout.rank() + 1, tag_chain, comm),
              "MPI_Send");
  }
  agree_on_failures(comm, counted);
  // Everyone learns every rank's closed superblocks, in rank order (= file order).
  const int mine = static_cast<int>(3 * closed.size());
  std::vector<std::uint64_t> all;
  std::vector<pqd::SuperblockPlanEntry> plan;
  check_mpi(MPI_Allgather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, comm), "MPI_Allgather");
  for (std::size_t r = 1; r < ranks; ++r) {
    displacements[r] = displacements[r - 1] + sizes[r - 1];
  }
  for (const pqd::SuperblockPlanEntry& entry : closed) {
    sent.insert(sent.end(), {entry.first_site, entry.sites, entry.support});
  }
  agree_on_local_step(comm, [&] {
    all.resize(static_cast<std::size_t>(displacements.back()) +
               static_cast<std::size_t>(sizes.back()));
    plan.resize(all.size() / 3);
  });
  check_mpi(MPI_Allgatherv(sent.data(), mine, MPI_UINT64_T, all.data(), sizes.data(),
                           displacements.data(), MPI_UINT64_T, comm),
            "MPI_Allgatherv");
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
  Failure failure;               ///< a failure other than bytes that are not trits
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
  // Everything this rank allocates, agreed before any transfer: the senders of a
  // superblock's sites must not wait for a writer that could not allocate.
  std::size_t sends = 0;
  std::uint64_t straddling_sites = 0;
  for (const pqd::SuperblockPlanEntry& entry : plan) {
    const std::uint64_t lo = std::max(entry.first_site, begin);
    const std::uint64_t hi = std::min(entry.first_site + entry.sites, end);
    const int writer = owner_of_site(layout, entry.first_site, row_elems);
    sends += lo < hi && writer != layout.rank() ? 1U : 0U;
    if (writer == layout.rank() && entry.first_site + entry.sites > end) {
      straddling_sites = std::max(straddling_sites, entry.sites);
    }
  }
  const auto sb_size = static_cast<std::size_t>(sb_bytes);
  Requests requests;
  std::vector<Datatype> types;
  std::vector<std::uint64_t> buffer;
  std::vector<std::uint64_t> q_scratch;
  std::vector<std::int8_t> sites;
  agree_on_local_step(comm, [&] {
    requests.reserve(sends);
    types.reserve(sends);
    own.bytes.resize(own.count * sb_size);
    buffer.resize(own.count != 0 ? pqd::sb_buffer_words(sb_bytes) : 0);
    q_scratch.resize(own.count != 0 ? pqd::sb_q_scratch_words(sb_bytes) : 0);
    sites.resize(static_cast<std::size_t>(straddling_sites));
  });
  // Sends: my sites of superblocks written by another rank (only the one or two that
  // straddle into my slab from an earlier rank).
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
  const pqd::Isa path = pqd::codec_isa();
  for (std::size_t j = 0; j < own.count; ++j) {
    const std::size_t k = own.first_index + j;
    const pqd::SuperblockPlanEntry& sb = plan[k];
    const std::int8_t* values = local.data() + (sb.first_site - begin);
    if (sb.first_site + sb.sites > end) {
      // The superblock runs past my slab: receive the rest from the ranks holding it.
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
      } catch (...) {
        own.failure.keep_first(0, outside_blocks, std::current_exception());
        own.error = "-";  // build no more; the failure is agreed first
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

/// Writes `size` bytes at `offset` of the existing file `path` (opened for writing without
/// truncation), syncs and closes it. Throws `std::system_error` naming the path.
inline void write_range(const std::filesystem::path& path, std::uint64_t offset, const void* data,
                        std::size_t size, const std::string& where) {
#if DASHI_DETAIL_MPI_POSIX
#  if defined(__GLIBC__)
  const char* mode = "r+be";  // O_CLOEXEC
#  else
  const char* mode = "r+b";
#  endif
  std::FILE* stream = nullptr;
  const int fd = pqd::open_stream(path, mode, stream);
  if (fd < 0) {
    throw pqd::io_error(pqd::errno_code(), where, "cannot open", path);
  }
  const auto* bytes = static_cast<const char*>(data);
  while (size != 0) {
    const ::ssize_t done = ::pwrite(fd, bytes, size, static_cast<::off_t>(offset));
    if (done < 0 && errno == EINTR) {
      continue;
    }
    if (done < 0) {
      const std::error_code code = pqd::errno_code();
      pqd::close_stream(stream);
      throw pqd::io_error(code, where, "cannot write", path);
    }
    bytes += done;
    size -= static_cast<std::size_t>(done);
    offset += static_cast<std::uint64_t>(done);
  }
  if (::fsync(fd) != 0) {
    const std::error_code code = pqd::errno_code();
    pqd::close_stream(stream);
    throw pqd::io_error(code, where, "cannot flush", path);
  }
  if (std::fclose(stream) != 0) {
    throw pqd::io_error(pqd::errno_code(), where, "cannot close", path);
  }
#else
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  file.flush();
  if (!file) {
    throw pqd::io_error(std::make_error_code(std::errc::io_error), where, "cannot write", path);
  }
#endif
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
  agree_on_failures(comm, own.failure);
  agree(comm, where, own.error.empty() ? std::string() : std::string(where) + ": " + own.error, {});
  std::uint64_t support = 0;
  for (const pqd::SuperblockPlanEntry& entry : plan) {
    support += entry.support;
  }

  // The file: rank 0 creates a temporary file beside `path` as `pq::write_file` does, every
  // rank writes its byte range with positioned writes on its own descriptor and syncs it,
  // then rank 0 renames the file into place and syncs the folder. Every step is agreed, so
  // every rank throws the same `std::runtime_error` when one fails; no MPI-IO is involved,
  // so any path the single-process writer accepts works here.
  std::optional<pqd::FileOutput> output;
  std::string create_error;
  if (layout.rank() == 0) {
    try {
      output.emplace(path, where);
    } catch (const std::exception& e) {
      create_error = e.what();
    }
  }
  agree_on_io(comm, create_error);
  const std::filesystem::path temporary = broadcast_text(
      comm, 0, layout.rank(), layout.rank() == 0 ? output->temp_path().string() : "");
  std::string io_error;
  try {
    const std::uint64_t offset = pqd::file_header::bytes + own.first_index * sb_bytes;
    if (layout.rank() == 0) {
      const auto header =
          pqd::make_file_header(layout.global_shape(), support, plan.size(), sb_bytes);
      output->write_at(0, header.data(), header.size());
      output->write_at(offset, own.bytes.data(), own.bytes.size());
    } else if (own.count != 0) {
      write_range(temporary, offset, own.bytes.data(), own.bytes.size(), where);
    }
  } catch (const std::exception& e) {
    io_error = e.what();
  }
  agree_on_io(comm, io_error);  // on a throw, rank 0's `output` removes the temporary file
  std::string commit_error;
  if (layout.rank() == 0) {
    try {
      output->commit();
    } catch (const std::exception& e) {
      commit_error = e.what();
    }
  }
  agree_on_io(comm, commit_error);
}

}  // namespace dashi::mpi::detail

#undef DASHI_DETAIL_MPI_POSIX
