# The MPI component dashicore::mpi: header-only, <dashi/mpi.hpp> (also reached as
# <dashi/distributed/mpi.hpp>, which includes it), linking dashicore::dashicore and
# MPI::MPI_CXX. Skipped (with a status message) when MPI is absent.

set(MPI_CXX_SKIP_MPICXX ON)  # the C API only: no MPI-2 C++ bindings in users' translation units
find_package(MPI QUIET COMPONENTS CXX)
if(NOT MPI_CXX_FOUND)
  message(STATUS "dashicore: MPI not found, the component dashicore::mpi is not provided")
  return()
endif()
message(STATUS "dashicore: MPI ${MPI_CXX_VERSION} found, providing dashicore::mpi")

file(GLOB_RECURSE DASHICORE_MPI_HEADERS CONFIGURE_DEPENDS
     "${CMAKE_CURRENT_SOURCE_DIR}/include/dashi/mpi.hpp"
     "${CMAKE_CURRENT_SOURCE_DIR}/include/dashi/mpi/*.hpp"
     "${CMAKE_CURRENT_SOURCE_DIR}/include/dashi/distributed/*.hpp")

add_library(dashicore_mpi INTERFACE)
add_library(dashicore::mpi ALIAS dashicore_mpi)
set_target_properties(dashicore_mpi PROPERTIES EXPORT_NAME mpi)
target_link_libraries(dashicore_mpi INTERFACE dashicore::dashicore MPI::MPI_CXX)
target_sources(dashicore_mpi INTERFACE FILE_SET HEADERS BASE_DIRS include
                                       FILES ${DASHICORE_MPI_HEADERS})
if(PROJECT_IS_TOP_LEVEL AND CMAKE_VERSION VERSION_GREATER_EQUAL 3.24)
  set_property(TARGET dashicore_mpi PROPERTY VERIFY_INTERFACE_HEADER_SETS ON)
endif()

if(DASHICORE_INSTALL)
  include(GNUInstallDirs)
  install(TARGETS dashicore_mpi EXPORT dashicoreMpiTargets FILE_SET HEADERS)
  install(EXPORT dashicoreMpiTargets NAMESPACE dashicore::
          DESTINATION "${CMAKE_INSTALL_DATADIR}/cmake/dashicore")
endif()

# Command prefix of the MPI tests, examples and bench: mpiexec with a rank count.
set(DASHICORE_MPIEXEC "${MPIEXEC_EXECUTABLE}" ${MPIEXEC_PREFLAGS})
# Environment of every MPI test: allowed as root, oversubscribed on a small machine, kept on
# loopback (shared memory and self only; the runtime's own channel on lo).
set(DASHICORE_MPI_TEST_ENVIRONMENT
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl=self,vader
    OMPI_MCA_oob_tcp_if_include=lo OMPI_MCA_btl_vader_single_copy_mechanism=none)

if(DASHICORE_BUILD_TESTS)
  enable_testing()
  add_subdirectory(tests/mpi)
endif()
if(DASHICORE_BUILD_EXAMPLES AND EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/examples/mpi/CMakeLists.txt")
  add_subdirectory(examples/mpi)
endif()
if(DASHICORE_BUILD_BENCHMARKS
   AND EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/bench/distributed/CMakeLists.txt")
  add_subdirectory(bench/distributed)
endif()
