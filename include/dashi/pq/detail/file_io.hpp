// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// File I/O of PQ-FS: `FileOutput` writes a temporary file beside the target and commits
/// it atomically (fsync, rename, fsync of the folder); `FileInput` reads with positioned
/// reads.
///
/// POSIX systems: `<unistd.h>` (`pread`, `pwrite`, `fsync`, `lseek`, `getpid`, `pathconf`)
/// on descriptors opened with `std::fopen`, so neither `<fcntl.h>` nor `<sys/stat.h>` (and
/// their macros such as `st_mtime`) reach the including translation unit. Elsewhere a
/// portable fallback on `std::fstream` and `std::filesystem::rename` (without the fsyncs,
/// and with reads serialised by a mutex).
///
/// Every I/O failure throws `std::system_error` whose message names the path.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#if defined(__unix__) || defined(__APPLE__)
#  define DASHI_DETAIL_PQ_POSIX 1
#  include <unistd.h>
#else
#  define DASHI_DETAIL_PQ_POSIX 0
#  include <fstream>
#  include <memory>
#  include <mutex>
#endif

namespace dashi::pq::detail {

/// `std::system_error` for `code` with "<where>: <what> '<path>'" (the system adds the
/// reason).
[[nodiscard]] inline std::system_error io_error(std::error_code code, const std::string& where,
                                                const std::string& what,
                                                const std::filesystem::path& path) {
  return {code, where + ": " + what + " '" + path.string() + "'"};
}

[[nodiscard]] inline std::error_code errno_code() noexcept {
  return {errno, std::generic_category()};
}

/// The longest file name `folder` accepts (`NAME_MAX`, 255 when the system does not say).
[[nodiscard]] inline std::size_t max_file_name(const std::filesystem::path& folder) noexcept {
#if DASHI_DETAIL_PQ_POSIX
  const std::filesystem::path dir = folder.empty() ? std::filesystem::path(".") : folder;
  const long limit = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  if (limit > 0) {
    return static_cast<std::size_t>(limit);
  }
#else
  (void)folder;
#endif
  return 255;
}

/// The name of a temporary file for `target_name`: ".<name>.tmp-<tag>-<serial>", with the
/// name cut short so that the whole fits `max_length` (which the target's name fits).
[[nodiscard]] inline std::string temporary_name(const std::string& target_name,
                                                const std::string& tag, std::uint64_t serial,
                                                std::size_t max_length) {
  std::string suffix = ".tmp-";
  suffix += tag;
  suffix += '-';
  suffix += std::to_string(serial);
  const std::size_t room = max_length > suffix.size() + 1 ? max_length - suffix.size() - 1 : 0;
  std::string name(1, '.');  // built with += (GCC 12 warns falsely about `"." + std::string`)
  name += target_name.substr(0, room);
  name += suffix;
  return name;
}

#if DASHI_DETAIL_PQ_POSIX
/// A descriptor opened with `std::fopen(path, mode)`, or -1 with `errno` set. `stream`
/// receives the stream that owns it (closed with `std::fclose`).
[[nodiscard]] inline int open_stream(const std::filesystem::path& path, const char* mode,
                                     std::FILE*& stream) noexcept {
  stream = std::fopen(path.c_str(), mode);
  return stream == nullptr ? -1 : ::fileno(stream);
}

inline void close_stream(std::FILE*& stream) noexcept {
  if (stream != nullptr) {
    std::fclose(std::exchange(stream, nullptr));
  }
}

#  if defined(__GLIBC__)
inline constexpr const char* create_mode = "wbxe";  // O_EXCL | O_CLOEXEC
inline constexpr const char* read_mode = "rbe";
#  else
inline constexpr const char* create_mode = "wbx";
inline constexpr const char* read_mode = "rb";
#  endif
#endif

/// A temporary file beside `target`, renamed onto it by `commit()`; removed when
/// destroyed uncommitted. Not thread-safe. Not copyable or movable.
class FileOutput {
 public:
  /// Creates the temporary file (mode 0666 minus the umask); its name fits wherever the
  /// target's does. Throws `std::system_error` when `target` names a folder or the
  /// temporary file cannot be created.
  FileOutput(std::filesystem::path target, std::string where)
      : target_(std::move(target)), where_(std::move(where)) {
    std::error_code ignored;
    if (target_.filename().empty() || std::filesystem::is_directory(target_, ignored)) {
      throw io_error(std::make_error_code(std::errc::is_a_directory), where_,
                     "cannot write a file over the folder", target_);
    }
    static std::atomic<std::uint64_t> counter{0};
    const std::filesystem::path folder = target_.parent_path();
    const std::string filename = target_.filename().string();
    const std::size_t max_length = std::max(max_file_name(folder), filename.size());
    for (int attempt = 0;; ++attempt) {
      const std::string name = temporary_name(
          filename, process_tag(), counter.fetch_add(1, std::memory_order_relaxed), max_length);
      temp_ = folder.empty() ? std::filesystem::path(name) : folder / name;
#if DASHI_DETAIL_PQ_POSIX
      fd_ = open_stream(temp_, create_mode, stream_);
      if (fd_ >= 0) {
        break;
      }
      if (errno != EEXIST || attempt >= 100) {
        const std::error_code code = errno_code();
        temp_.clear();
        throw io_error(code, where_, "cannot create a temporary file to write", target_);
      }
#else
      std::error_code exists_error;
      if (std::filesystem::exists(temp_, exists_error) && attempt < 100) {
        continue;
      }
      file_ = std::make_unique<std::fstream>(
          temp_, std::ios::binary | std::ios::in | std::ios::out | std::ios::trunc);
      if (!*file_) {
        temp_.clear();
        throw io_error(std::make_error_code(std::errc::io_error), where_,
                       "cannot create a temporary file to write", target_);
      }
      break;
#endif
    }
  }

  FileOutput(const FileOutput&) = delete;
  FileOutput& operator=(const FileOutput&) = delete;
  FileOutput(FileOutput&&) = delete;
  FileOutput& operator=(FileOutput&&) = delete;

  /// Removes the temporary file unless committed.
  ~FileOutput() { discard(); }

  /// Appends `size` bytes. Throws `std::system_error` (for example ENOSPC).
  void write(const void* data, std::size_t size) {
    write_at(size_, data, size);
    size_ += size;
  }

  /// Writes `size` bytes at `offset` (inside what was written). Throws `std::system_error`.
  void write_at(std::uint64_t offset, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const char*>(data);
#if DASHI_DETAIL_PQ_POSIX
    while (size != 0) {
      const ::ssize_t done = ::pwrite(fd_, bytes, size, static_cast<::off_t>(offset));
      if (done < 0) {
        if (errno == EINTR) {
          continue;
        }
        throw io_error(errno_code(), where_, "cannot write", target_);
      }
      bytes += done;
      size -= static_cast<std::size_t>(done);
      offset += static_cast<std::uint64_t>(done);
    }
#else
    file_->seekp(static_cast<std::streamoff>(offset));
    file_->write(bytes, static_cast<std::streamsize>(size));
    if (!*file_) {
      throw io_error(std::make_error_code(std::errc::io_error), where_, "cannot write", target_);
    }
#endif
  }

  /// Bytes appended so far.
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

  /// Fsyncs the temporary file, renames it onto the target and fsyncs the folder. Throws
  /// `std::system_error`; the target is then untouched (or, if only the folder sync
  /// failed, already replaced).
  void commit() {
#if DASHI_DETAIL_PQ_POSIX
    if (::fsync(fd_) != 0) {
      throw io_error(errno_code(), where_, "cannot flush", target_);
    }
    fd_ = -1;
    if (std::fclose(std::exchange(stream_, nullptr)) != 0) {
      throw io_error(errno_code(), where_, "cannot close", target_);
    }
    if (std::rename(temp_.c_str(), target_.c_str()) != 0) {
      throw io_error(errno_code(), where_, "cannot rename the temporary file onto", target_);
    }
    committed_ = true;
    const std::filesystem::path folder =
        target_.parent_path().empty() ? std::filesystem::path(".") : target_.parent_path();
    std::FILE* dir_stream = nullptr;
    const int dir = open_stream(folder, read_mode, dir_stream);
    if (dir < 0) {
      throw io_error(errno_code(), where_, "cannot open the folder to sync it", folder);
    }
    // Some file systems cannot sync a folder (EINVAL): the rename is then as durable as
    // they make it.
    const int synced = ::fsync(dir);
    const int sync_errno = errno;
    close_stream(dir_stream);
    if (synced != 0 && sync_errno != EINVAL && sync_errno != ENOTSUP) {
      throw io_error({sync_errno, std::generic_category()}, where_, "cannot sync the folder",
                     folder);
    }
#else
    file_->flush();
    const bool flushed = static_cast<bool>(*file_);
    file_->close();
    if (!flushed || file_->fail()) {
      throw io_error(std::make_error_code(std::errc::io_error), where_, "cannot flush", target_);
    }
    std::error_code error;
    std::filesystem::rename(temp_, target_, error);
    if (error) {
      throw io_error(error, where_, "cannot rename the temporary file onto", target_);
    }
    committed_ = true;
#endif
  }

  /// Closes and removes the temporary file (nothing once committed). Never throws.
  void discard() noexcept {
    if (committed_ || temp_.empty()) {
      return;
    }
#if DASHI_DETAIL_PQ_POSIX
    fd_ = -1;
    close_stream(stream_);
#else
    if (file_) {
      file_->close();
    }
#endif
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
    temp_.clear();
  }

  /// The temporary file's path (empty once committed or discarded).
  [[nodiscard]] const std::filesystem::path& temp_path() const noexcept { return temp_; }

 private:
  [[nodiscard]] static std::string process_tag() {
#if DASHI_DETAIL_PQ_POSIX
    return std::to_string(static_cast<long long>(::getpid()));
#else
    static const int anchor = 0;
    return std::to_string(reinterpret_cast<std::uintptr_t>(&anchor));
#endif
  }

  std::filesystem::path target_;
  std::string where_;
  std::filesystem::path temp_;
  std::uint64_t size_ = 0;
  bool committed_ = false;
#if DASHI_DETAIL_PQ_POSIX
  std::FILE* stream_ = nullptr;
  int fd_ = -1;
#else
  std::unique_ptr<std::fstream> file_;
#endif
};

/// A file opened for positioned reads. `read_at` is thread-safe. Move-only.
class FileInput {
 public:
  /// Opens `path` read-only. Throws `std::system_error` naming the path when it is
  /// missing, unreadable or a folder.
  FileInput(const std::filesystem::path& path, const std::string& where) : path_(path) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      throw io_error(std::make_error_code(std::errc::is_a_directory), where,
                     "cannot read a folder as a file:", path);
    }
#if DASHI_DETAIL_PQ_POSIX
    fd_ = open_stream(path, read_mode, stream_);
    if (fd_ < 0) {
      throw io_error(errno_code(), where, "cannot open", path);
    }
    const ::off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) {
      const std::error_code code = errno_code();
      close();
      throw io_error(code, where, "cannot find the length of", path);
    }
    length_ = static_cast<std::uint64_t>(end);
#else
    file_ = std::make_unique<std::ifstream>(path, std::ios::binary);
    if (!*file_) {
      throw io_error(std::make_error_code(std::errc::no_such_file_or_directory), where,
                     "cannot open", path);
    }
    file_->seekg(0, std::ios::end);
    length_ = static_cast<std::uint64_t>(file_->tellg());
    mutex_ = std::make_unique<std::mutex>();
#endif
  }

  FileInput(const FileInput&) = delete;
  FileInput& operator=(const FileInput&) = delete;
  FileInput(FileInput&& other) noexcept
      : path_(std::move(other.path_)),
        length_(other.length_)
#if DASHI_DETAIL_PQ_POSIX
        ,
        stream_(std::exchange(other.stream_, nullptr)),
        fd_(std::exchange(other.fd_, -1))
#else
        ,
        file_(std::move(other.file_)),
        mutex_(std::move(other.mutex_))
#endif
  {
  }
  FileInput& operator=(FileInput&& other) noexcept {
    if (this != &other) {
      close();
      path_ = std::move(other.path_);
      length_ = other.length_;
#if DASHI_DETAIL_PQ_POSIX
      stream_ = std::exchange(other.stream_, nullptr);
      fd_ = std::exchange(other.fd_, -1);
#else
      file_ = std::move(other.file_);
      mutex_ = std::move(other.mutex_);
#endif
    }
    return *this;
  }
  ~FileInput() { close(); }

  /// Length of the file when it was opened.
  [[nodiscard]] std::uint64_t length() const noexcept { return length_; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  /// Reads up to `size` bytes at `offset` into `dst`; returns the bytes read (fewer only
  /// at the end of the file). Throws `std::system_error` on a read error. Thread-safe.
  [[nodiscard]] std::size_t read_at(std::uint64_t offset, void* dst, std::size_t size,
                                    const std::string& where) const {
    auto* bytes = static_cast<char*>(dst);
    std::size_t total = 0;
#if DASHI_DETAIL_PQ_POSIX
    while (total < size) {
      const ::ssize_t done =
          ::pread(fd_, bytes + total, size - total, static_cast<::off_t>(offset + total));
      if (done < 0) {
        if (errno == EINTR) {
          continue;
        }
        throw io_error(errno_code(), where, "cannot read", path_);
      }
      if (done == 0) {
        break;
      }
      total += static_cast<std::size_t>(done);
    }
#else
    const std::lock_guard lock(*mutex_);
    file_->clear();
    file_->seekg(static_cast<std::streamoff>(offset));
    file_->read(bytes, static_cast<std::streamsize>(size));
    total = static_cast<std::size_t>(file_->gcount());
    if (file_->bad()) {
      throw io_error(std::make_error_code(std::errc::io_error), where, "cannot read", path_);
    }
#endif
    return total;
  }

 private:
  void close() noexcept {
#if DASHI_DETAIL_PQ_POSIX
    fd_ = -1;
    close_stream(stream_);
#else
    file_.reset();
#endif
  }

  std::filesystem::path path_;
  std::uint64_t length_ = 0;
#if DASHI_DETAIL_PQ_POSIX
  std::FILE* stream_ = nullptr;
  int fd_ = -1;
#else
  std::unique_ptr<std::ifstream> file_;
  std::unique_ptr<std::mutex> mutex_;
#endif
};

}  // namespace dashi::pq::detail

#undef DASHI_DETAIL_PQ_POSIX
