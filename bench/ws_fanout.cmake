# SPDX-License-Identifier: Apache-2.0
# ws_fanout_client: N WebSocket subscribers, one agent state change, delivery latency (used by
# bench/ws_fanout.sh).
find_package(Boost 1.74 REQUIRED COMPONENTS system)
add_executable(ws_fanout_client ${CMAKE_CURRENT_LIST_DIR}/ws_fanout_client.cpp)
target_link_libraries(ws_fanout_client PRIVATE Boost::system Threads::Threads)
