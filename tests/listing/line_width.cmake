# Every test line of `ctest -N` on BUILD_DIR, and every result line a run of all of them would
# print, is at most MAX_COLUMNS wide; fails naming each test over it, and fails when ctest lists
# no test or fewer than it counts (so it cannot pass on an empty list).
# cmake -DCTEST=<ctest> -DBUILD_DIR=<build tree> -DMAX_COLUMNS=120 -P line_width.cmake
execute_process(COMMAND "${CTEST}" --test-dir "${BUILD_DIR}" -N OUTPUT_VARIABLE listing
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "ctest -N on ${BUILD_DIR} failed (${status}):\n${listing}")
endif()
# One list item per line, with the list separator and brackets kept out of the items.
string(REPLACE ";" "<semicolon>" listing "${listing}")
string(REPLACE "[" "<open>" listing "${listing}")
string(REPLACE "]" "<close>" listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")

set(listed 0)
set(total -1)
set(longest_name 0)
set(too_wide "")
foreach(line IN LISTS lines)
  if(line MATCHES "^  Test +#[0-9]+: (.*)$")
    math(EXPR listed "${listed} + 1")
    string(REGEX REPLACE " \\(Disabled\\)$" "" name "${CMAKE_MATCH_1}")
    string(LENGTH "${name}" name_length)
    if(name_length GREATER longest_name)
      set(longest_name ${name_length})
    endif()
    list(APPEND names "${name}")
    string(LENGTH "${line}" width)
    if(width GREATER MAX_COLUMNS)
      string(APPEND too_wide "\n  ${width} columns: ${line}")
    endif()
  elseif(line MATCHES "^Total Tests: ([0-9]+)")
    set(total ${CMAKE_MATCH_1})
  endif()
endforeach()
if(listed EQUAL 0 OR NOT listed EQUAL total)
  message(FATAL_ERROR "ctest -N listed ${listed} test lines but counted ${total}:\n${listing}")
endif()
if(too_wide)
  message(FATAL_ERROR "ctest -N lines wider than ${MAX_COLUMNS} columns:${too_wide}")
endif()

# A result line of a run: `1234/1234 Test #1234: <name, dots to the longest name + 4>` then
# `   Passed    0.04 sec` (or ***Failed, ***Skipped, ***Not Run of the same width). Every line
# is padded to the longest name, so one long name widens them all.
string(LENGTH "${total}" digits)
math(EXPR fixed "2 * ${digits} + 2 + 4 + 3 + ${digits} + 1 + 4 + 21")
math(EXPR max_name "${MAX_COLUMNS} - ${fixed}")
set(too_long "")
foreach(name IN LISTS names)
  string(LENGTH "${name}" name_length)
  if(name_length GREATER max_name)
    string(APPEND too_long "\n  ${name_length}: ${name}")
  endif()
endforeach()
if(too_long)
  message(FATAL_ERROR "test names longer than ${max_name} characters widen every result line of "
                      "a ctest run of ${total} tests past ${MAX_COLUMNS} columns:${too_long}")
endif()
math(EXPR widest_result "${fixed} + ${longest_name}")
message(STATUS "${listed} tests; the longest name has ${longest_name} characters, so result lines "
               "are ${widest_result} columns wide (at most ${MAX_COLUMNS})")
