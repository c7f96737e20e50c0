# The tests' helper library (tests/support, header-only) and GoogleTest, for every C++ suite.
# Included by tests/CMakeLists.txt and tests/mpi/CMakeLists.txt (the MPI tests are added
# first, from cmake/dashicore_mpi.cmake), so each directory finds GoogleTest in its own scope:
# an installed one when there is one, else the pinned release, fetched once.

find_package(GTest CONFIG QUIET)
if(NOT GTest_FOUND)
  include(FetchContent)
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  FetchContent_Declare(
    googletest
    URL https://github.com/google/googletest/archive/refs/tags/v1.14.0.tar.gz
    URL_HASH SHA256=8ad598c73ad796e0d8280b082cebd82a630d73e73cfa4dc563fe5b26105bab5d)
  FetchContent_MakeAvailable(googletest)
endif()
include(GoogleTest)

# Link it with GoogleTest: `#include "support/<part>.hpp"` (support/fields.hpp includes
# every part used by more than one suite).
if(NOT TARGET dashicore_test_support)
  add_library(dashicore_test_support INTERFACE)
  target_include_directories(dashicore_test_support INTERFACE "${CMAKE_CURRENT_LIST_DIR}/..")
  target_link_libraries(dashicore_test_support INTERFACE dashicore::dashicore dashicore_warnings)
endif()
