# SPDX-License-Identifier: Apache-2.0
# ws_fanout_client: N WebSocket subscribers, one agent state change, delivery latency (used by
# bench/ws_fanout.sh). Plain epoll and sockets, so it needs no library.
add_executable(ws_fanout_client ${CMAKE_CURRENT_LIST_DIR}/ws_fanout_client.cpp)
