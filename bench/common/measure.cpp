// SPDX-License-Identifier: Apache-2.0
#include "measure.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <utility>

#if defined(__linux__)
#  include <sys/resource.h>
#  include <unistd.h>
#endif

namespace dashi_bench {

namespace {

[[nodiscard]] double steady_seconds() noexcept {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

#if defined(__linux__)
[[nodiscard]] double usage_seconds(int who) noexcept {
  rusage usage{};
  if (getrusage(who, &usage) != 0) {
    return -1.0;
  }
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

/// Busy seconds of all CPUs from the first line of /proc/stat (user, nice, system, irq,
/// softirq and steal; idle and iowait left out).
[[nodiscard]] double machine_busy_seconds() noexcept {
  std::FILE* file = std::fopen("/proc/stat", "r");
  if (file == nullptr) {
    return -1.0;
  }
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                     steal = 0;
  const int read = std::fscanf(file, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice,
                               &system, &idle, &iowait, &irq, &softirq, &steal);
  std::fclose(file);
  if (read < 4) {
    return -1.0;
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) {
    return -1.0;
  }
  return static_cast<double>(user + nice + system + irq + softirq + steal) /
         static_cast<double>(ticks);
}
#endif

}  // namespace

std::size_t hardware_threads() noexcept {
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

CpuSnapshot cpu_snapshot() noexcept {
  CpuSnapshot s;
  s.wall_s = steady_seconds();
#if defined(__linux__)
  s.process_cpu_s = usage_seconds(RUSAGE_SELF);
  s.machine_busy_s = machine_busy_seconds();
#endif
  return s;
}

double others_share(const CpuSnapshot& from, const CpuSnapshot& to) noexcept {
  const double wall = to.wall_s - from.wall_s;
  if (from.machine_busy_s < 0.0 || to.machine_busy_s < 0.0 || wall <= 0.0) {
    return -1.0;
  }
  const double others =
      (to.machine_busy_s - from.machine_busy_s) - (to.process_cpu_s - from.process_cpu_s);
  const double share = others / (wall * static_cast<double>(hardware_threads()));
  return std::clamp(share, 0.0, 1.0);
}

double load_average() noexcept {
  std::FILE* file = std::fopen("/proc/loadavg", "r");
  if (file == nullptr) {
    return -1.0;
  }
  double load = -1.0;
  if (std::fscanf(file, "%lf", &load) != 1) {
    load = -1.0;
  }
  std::fclose(file);
  return load;
}

double thread_cpu_seconds() noexcept {
#if defined(__linux__) && defined(RUSAGE_THREAD)
  return usage_seconds(RUSAGE_THREAD);
#else
  return -1.0;
#endif
}

double quiesce(double max_ms, [[maybe_unused]] double fallback_ms) noexcept {
  const double start = steady_seconds();
#if defined(__linux__) && defined(RUSAGE_THREAD)
  constexpr double step_s = 0.5e-3;
  double others = usage_seconds(RUSAGE_SELF) - usage_seconds(RUSAGE_THREAD);
  while (1e3 * (steady_seconds() - start) < max_ms) {
    const double before = steady_seconds();
    std::this_thread::sleep_for(std::chrono::duration<double>(step_s));
    const double now_others = usage_seconds(RUSAGE_SELF) - usage_seconds(RUSAGE_THREAD);
    const double slept = steady_seconds() - before;
    const double used = now_others - others;
    others = now_others;
    if (used < 0.1 * slept) {
      break;
    }
  }
#else
  (void)max_ms;
  std::this_thread::sleep_for(std::chrono::duration<double>(1e-3 * fallback_ms));
#endif
  return 1e3 * (steady_seconds() - start);
}

std::string isa_text() {
  std::string text;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  const std::pair<const char*, bool> features[] = {
      {"avx2", __builtin_cpu_supports("avx2") != 0},
      {"bmi2", __builtin_cpu_supports("bmi2") != 0},
      {"avx512f", __builtin_cpu_supports("avx512f") != 0},
      {"avx512bw", __builtin_cpu_supports("avx512bw") != 0},
      {"avx512vl", __builtin_cpu_supports("avx512vl") != 0},
      {"avx512vbmi", __builtin_cpu_supports("avx512vbmi") != 0},
      {"avx512vbmi2", __builtin_cpu_supports("avx512vbmi2") != 0},
      {"avx512vpopcntdq", __builtin_cpu_supports("avx512vpopcntdq") != 0},
      {"avx512bitalg", __builtin_cpu_supports("avx512bitalg") != 0},
  };
  for (const auto& [name, on] : features) {
    if (on) {
      if (!text.empty()) {
        text.push_back(' ');
      }
      text.append(name);
    }
  }
#endif
  return text.empty() ? "none detected" : text;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const std::size_t colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

}  // namespace dashi_bench
