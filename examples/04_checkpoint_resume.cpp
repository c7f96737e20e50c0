// SPDX-License-Identifier: Apache-2.0
// Checkpoint and resume: an iterated stencil saves its field to a PQ-FS file every few
// steps, "crashes" midway, resumes from the last checkpoint on disk and must end
// byte-identical to a run that never stopped. Exits non-zero on any mismatch.
#include <array>
#include <cstdio>
#include <dashi/execution/iterate.hpp>
#include <dashi/pq/file.hpp>
#include <exception>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

// One step: 3x3 majority vote on supported sites, then every sign flipped, so the field
// keeps changing instead of settling on a fixed point.
const auto step_kernel = dashi::compose(dashi::kernels::Majority3x3{}, dashi::kernels::SignFlip{});

constexpr std::size_t total_steps = 40;
constexpr std::size_t checkpoint_every = 8;

/// Checkpoint file of `step`: written atomically, so a file under this name is complete.
fs::path checkpoint_path(const fs::path& dir, std::size_t step) {
  std::array<char, 32> name{};
  std::snprintf(name.data(), name.size(), "step_%06zu.pqfs", step);
  return dir / name.data();
}

/// The latest checkpoint in `dir`, if any: (step, path).
std::optional<std::pair<std::size_t, fs::path>> latest_checkpoint(const fs::path& dir) {
  std::optional<std::pair<std::size_t, fs::path>> latest;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    std::size_t step = 0;
    if (std::sscanf(name.c_str(), "step_%zu.pqfs", &step) == 1 && name.ends_with(".pqfs") &&
        (!latest || step > latest->first)) {
      latest.emplace(step, entry.path());
    }
  }
  return latest;
}

/// Runs from `state` at `step` to `stop_at`, writing a checkpoint every
/// `checkpoint_every` steps and keeping only the newest one. The steps between two
/// checkpoints are one `run_kernel_iterated` call into buffers reused across calls.
dashi::TernaryField run(dashi::TernaryField state, std::size_t step, std::size_t stop_at,
                        const fs::path& dir) {
  dashi::TernaryField next_state = dashi::TernaryField::uninitialized(state.shape());
  dashi::TernaryField spare = dashi::TernaryField::uninitialized(state.shape());
  dashi::IterateOptions options;
  options.steps_per_sync = 4;  // temporal blocking: 4 steps per synchronisation
  while (step < stop_at) {
    const std::size_t next = std::min(stop_at, (step / checkpoint_every + 1) * checkpoint_every);
    dashi::run_kernel_iterated(dashi::default_thread_pool(), step_kernel, state, next - step,
                               next_state.span(), spare.span(), options);
    std::swap(state, next_state);
    const std::size_t previous = step;
    step = next;
    if (step % checkpoint_every == 0) {
      dashi::pq::write_file(checkpoint_path(dir, step), state,
                            {.sb_bytes = 32768, .num_workers = 2});
      std::error_code ignored;
      fs::remove(checkpoint_path(dir, previous), ignored);
      std::printf("  step %2zu: checkpoint %s (%ju bytes)\n", step,
                  checkpoint_path(dir, step).filename().c_str(),
                  static_cast<std::uintmax_t>(fs::file_size(checkpoint_path(dir, step))));
    }
  }
  return state;
}

struct TempDir {
  fs::path path;
  TempDir()
      : path(fs::temp_directory_path() /
             ("dashi_checkpoint_example_" + std::to_string(std::random_device{}()))) {
    fs::create_directories(path);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

}  // namespace

int run_example() {
  // A 768 x 1024 field, 70% supported.
  std::mt19937_64 rng(2024);
  std::vector<std::int8_t> values(std::size_t{768} * 1024);
  for (auto& v : values) {
    const auto r = rng() % 10;
    v = r < 3 ? std::int8_t{0} : (r % 2 == 0 ? std::int8_t{1} : std::int8_t{-1});
  }
  const auto initial = dashi::TernaryField::from_signed(values, dashi::Shape{768, 1024});

  // The reference: all steps, never interrupted.
  const dashi::TernaryField reference =
      dashi::run_kernel_iterated(step_kernel, initial, total_steps);

  const TempDir dir;
  // First run: "crashes" after step 27 (whatever it computed after step 24 is lost).
  std::printf("run 1 (stops at step 27):\n");
  (void)run(initial, 0, 27, dir.path);

  // Second run: resume from the newest checkpoint on disk.
  const auto latest = latest_checkpoint(dir.path);
  if (!latest) {
    std::printf("no checkpoint found\n");
    return 1;
  }
  const dashi::pq::PqFile file(latest->second);
  std::printf("run 2 resumes from step %zu: shape %s, %ju supported sites\n", latest->first,
              file.shape().to_string().c_str(), static_cast<std::uintmax_t>(file.support_count()));
  // A partial read decodes only the superblocks holding the rows asked for.
  const dashi::TernaryField band = file.read_rows(100, 8);
  const bool band_ok = band.view() == file.read_all().rows(100, 8);
  const dashi::TernaryField resumed = run(file.read_all(), latest->first, total_steps, dir.path);

  const bool same = resumed == reference;
  std::printf("resumed run: fingerprint %016llx, uninterrupted: %016llx -> %s\n",
              static_cast<unsigned long long>(dashi::fingerprint(resumed)),
              static_cast<unsigned long long>(dashi::fingerprint(reference)),
              same ? "byte-identical" : "MISMATCH");
  return same && band_ok ? 0 : 1;
}

int main() {
  try {
    return run_example();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
}
