// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `<mpi.h>` without the MPI-2 C++ bindings, which the library does not use and which do not
/// compile with `-Wextra -Werror` (Open MPI's `op_inln.h`): the skip macros are set only for
/// this inclusion when the user has not set them, and removed again.

#if !defined(OMPI_SKIP_MPICXX)
#  define OMPI_SKIP_MPICXX 1
#  define DASHI_DETAIL_UNDEF_OMPI_SKIP
#endif
#if !defined(MPICH_SKIP_MPICXX)
#  define MPICH_SKIP_MPICXX 1
#  define DASHI_DETAIL_UNDEF_MPICH_SKIP
#endif
#include <mpi.h>
#if defined(DASHI_DETAIL_UNDEF_OMPI_SKIP)
#  undef OMPI_SKIP_MPICXX
#  undef DASHI_DETAIL_UNDEF_OMPI_SKIP
#endif
#if defined(DASHI_DETAIL_UNDEF_MPICH_SKIP)
#  undef MPICH_SKIP_MPICXX
#  undef DASHI_DETAIL_UNDEF_MPICH_SKIP
#endif
