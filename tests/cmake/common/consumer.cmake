# The consumer program of the packaging tests that build with CMake: common/consumer.cpp
# against dashicore::dashicore. However the library arrived (installed package,
# add_subdirectory, FetchContent), the consumer never sees its private warnings target.
if(TARGET dashicore_warnings)
  message(FATAL_ERROR "the consumer project sees dashicore's private warnings target")
endif()

add_executable(consumer "${CMAKE_CURRENT_LIST_DIR}/consumer.cpp")
target_link_libraries(consumer PRIVATE dashicore::dashicore)
