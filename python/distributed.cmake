# The extension module `dashicore._distributed` (MPI from Python, `dashicore.distributed`):
# built when the MPI component dashicore::mpi exists and mpi4py with its C headers is
# importable by ${Python_EXECUTABLE} (Debian: python3-mpi4py); otherwise skipped with a STATUS
# message, and `import dashicore.distributed` raises ImportError saying why. Its tests run the
# pytest files tests/python/mpi/mpi_*.py under mpiexec at 1 to 3 ranks (labels mpi and
# python), with the MPI tests' environment (oversubscribed, loopback only, allowed as root).

if(NOT TARGET dashicore::mpi)
  message(STATUS "dashicore: dashicore.distributed skipped: no MPI (dashicore::mpi)")
  return()
endif()
execute_process(COMMAND "${Python_EXECUTABLE}" -c "import mpi4py; print(mpi4py.get_include())"
                RESULT_VARIABLE _dashi_mpi4py_result OUTPUT_VARIABLE _dashi_mpi4py_include
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT _dashi_mpi4py_result EQUAL 0 OR NOT EXISTS "${_dashi_mpi4py_include}/mpi4py/mpi4py.h")
  message(STATUS "dashicore: dashicore.distributed skipped: mpi4py (with mpi4py/mpi4py.h) not "
                 "importable by ${Python_EXECUTABLE} (Debian: python3-mpi4py)")
  return()
endif()
message(STATUS "dashicore: dashicore.distributed with mpi4py from ${_dashi_mpi4py_include}")

pybind11_add_module(dashicore_python_distributed MODULE NO_EXTRAS src/distributed/module.cpp
                    src/arrays.cpp)
set_target_properties(dashicore_python_distributed
                      PROPERTIES OUTPUT_NAME _distributed LIBRARY_OUTPUT_DIRECTORY "${_dashi_package_dir}")
# mpi4py's generated header is not warning-clean: a system include.
target_include_directories(dashicore_python_distributed SYSTEM PRIVATE "${_dashi_mpi4py_include}")
target_link_libraries(dashicore_python_distributed PRIVATE dashicore::mpi dashicore_warnings)
add_dependencies(dashicore_python_distributed dashicore_python)

if(DASHICORE_INSTALL)
  install(TARGETS dashicore_python_distributed
          LIBRARY DESTINATION "${DASHICORE_PYTHON_INSTALL_DIR}/dashicore" COMPONENT python)
endif()

if(DASHICORE_BUILD_TESTS)
  set(_dashi_mpi_pytest_env ${DASHICORE_MPI_TEST_ENVIRONMENT}
                            "PYTHONPATH=${CMAKE_CURRENT_BINARY_DIR}"
                            "DASHICORE_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
                            "DASHICORE_TEST_DATA_DIR=${PROJECT_SOURCE_DIR}/tests/data")
  # The files are named mpi_*.py so that the plain pytest run of tests/python skips them.
  file(GLOB _dashi_mpi_pytests CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/python/mpi/mpi_*.py")
  foreach(_ranks 1 2 3)
    add_test(NAME python_mpi.np${_ranks}
             COMMAND ${DASHICORE_MPIEXEC} ${MPIEXEC_NUMPROC_FLAG} ${_ranks} "${Python_EXECUTABLE}"
                     -m pytest -q -p no:cacheprovider --color=no ${_dashi_mpi_pytests}
                     ${MPIEXEC_POSTFLAGS}
             WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
    set_tests_properties(python_mpi.np${_ranks} PROPERTIES
                         LABELS "mpi;python" TIMEOUT 300 PROCESSORS ${_ranks}
                         ENVIRONMENT "${_dashi_mpi_pytest_env}")
  endforeach()
  foreach(_ranks 1 3)
    add_test(NAME example.python.distributed_majority.np${_ranks}
             COMMAND ${DASHICORE_MPIEXEC} ${MPIEXEC_NUMPROC_FLAG} ${_ranks} "${Python_EXECUTABLE}"
                     "${PROJECT_SOURCE_DIR}/examples/python/distributed_majority.py"
                     "${CMAKE_CURRENT_BINARY_DIR}/example-np${_ranks}" ${MPIEXEC_POSTFLAGS}
             WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
    file(MAKE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/example-np${_ranks}")
    set_tests_properties(example.python.distributed_majority.np${_ranks} PROPERTIES
                         LABELS "example;mpi;python" TIMEOUT 300 PROCESSORS ${_ranks}
                         ENVIRONMENT "${_dashi_mpi_pytest_env}")
  endforeach()
endif()
