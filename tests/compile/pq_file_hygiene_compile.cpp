// SPDX-License-Identifier: Apache-2.0
// <dashi/pq/file.hpp> needs POSIX file calls but keeps <sys/stat.h> and <fcntl.h> out of
// the including translation unit: their macros (st_mtime, st_atime, S_ISDIR...) would
// rewrite the user's own names.

#include <dashi/pq/file.hpp>

#if defined(st_mtime) || defined(st_atime) || defined(st_ctime) || defined(S_ISDIR) || \
    defined(O_CREAT)
#  error "dashi/pq/file.hpp leaked the macros of <sys/stat.h> or <fcntl.h>"
#endif

namespace {

/// A user type whose members share names with `struct stat`'s macro-renamed fields.
struct FileTimes {
  long st_mtime = 0;
  long st_atime = 0;
  long st_ctime = 0;
};

static_assert(sizeof(FileTimes) == 3 * sizeof(long));

}  // namespace
