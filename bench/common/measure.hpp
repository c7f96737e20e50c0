// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// What the machine was doing while a row ran: CPU time of this process and of the whole
/// machine, the load average, and `quiesce`, which waits until this process's other threads
/// (OpenMP, TBB, the pool) have stopped spinning before the next row starts.

#include <cstddef>
#include <string>

namespace dashi_bench {

/// A point in time with the CPU time spent so far, by this process and by the machine.
struct CpuSnapshot {
  double wall_s = 0.0;         ///< steady clock
  double process_cpu_s = 0.0;  ///< user + system time of every thread of this process
  double machine_busy_s = -1;  ///< busy time of all CPUs (steal included); -1 where unknown
};

[[nodiscard]] CpuSnapshot cpu_snapshot() noexcept;

/// The share of the machine's CPUs that other processes (or the hypervisor) used between
/// two snapshots, in [0, 1]; -1 where unknown.
[[nodiscard]] double others_share(const CpuSnapshot& from, const CpuSnapshot& to) noexcept;

/// The 1-minute load average (-1 where unknown).
[[nodiscard]] double load_average() noexcept;

/// CPU time of the calling thread (user + system), seconds; -1 where unknown.
[[nodiscard]] double thread_cpu_seconds() noexcept;

/// Sleeps in steps of 0.5 ms until this process's threads other than the caller used less
/// than 10% of a core over the last step (OpenMP, TBB and pool threads asleep), at most
/// `max_ms`. Returns the time waited in milliseconds. Where per-thread CPU time is unknown,
/// sleeps `fallback_ms` instead.
double quiesce(double max_ms = 200.0, double fallback_ms = 20.0) noexcept;

/// The instruction sets of the running CPU the library has paths for (AVX2, BMI2,
/// AVX-512 subsets), space-separated.
[[nodiscard]] std::string isa_text();

/// The CPU model name from /proc/cpuinfo.
[[nodiscard]] std::string cpu_model();

/// Hardware threads (at least 1).
[[nodiscard]] std::size_t hardware_threads() noexcept;

}  // namespace dashi_bench
