// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// PQ-FS checkpoint files (docs/PQ_FORMAT.md §3): a 4096-byte header, then fixed-size
/// self-contained superblocks, each packing as many sites as fit. `write_file` and the
/// streaming `FileWriter` write them atomically (temporary file, fsync, rename); `PqFile`
/// validates and reads them, whole or by rows, decoding only the superblocks it needs.
///
/// The file is a pure function of the field and `sb_bytes`: identical whatever the worker
/// count and however a `FileWriter` is fed.
///
/// System headers: on POSIX systems this header includes `<unistd.h>` (positioned reads
/// and writes, fsync); it keeps `<fcntl.h>` and `<sys/stat.h>` (and macros such as
/// `st_mtime`) out of the including translation unit. Elsewhere it uses `<fstream>`.

#include <dashi/pq/file_options.hpp>
#include <dashi/pq/file_reader.hpp>
#include <dashi/pq/file_writer.hpp>
