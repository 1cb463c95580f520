# SPDX-License-Identifier: Apache-2.0
# bench_routing: ACD decisions/s and latency at 10k agents / 1k queues / 100k waiting.
if(TARGET sb_routing)
  add_executable(bench_routing ${CMAKE_CURRENT_LIST_DIR}/routing.cpp)
  target_link_libraries(bench_routing PRIVATE sb_routing benchmark::benchmark)
endif()
