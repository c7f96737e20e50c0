# Builds and runs the consumer with nothing but the flags pkg-config gives for the installed
# prefix: cmake -DPKG_CONFIG=... -DPREFIX=... -DCXX=... -DSOURCE=... -DWORK_DIR=... -P pkg_config.cmake
file(MAKE_DIRECTORY "${WORK_DIR}")
set(ENV{PKG_CONFIG_PATH} "${PREFIX}/share/pkgconfig")
execute_process(COMMAND "${PKG_CONFIG}" --cflags --libs dashicore
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE result ERROR_VARIABLE error)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "pkg-config does not find dashicore under ${PREFIX}: ${error}")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
execute_process(COMMAND "${CXX}" -O2 "${SOURCE}" -o "${WORK_DIR}/consumer" ${flags}
                RESULT_VARIABLE result ERROR_VARIABLE error)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the consumer does not build with pkg-config's flags (${flags}): ${error}")
endif()
execute_process(COMMAND "${WORK_DIR}/consumer" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the consumer built with pkg-config's flags failed (${result})")
endif()
message(STATUS "pkg-config flags: ${flags}")
