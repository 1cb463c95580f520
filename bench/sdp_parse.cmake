# SPDX-License-Identifier: Apache-2.0
# SDP parse/serialize benchmark (offer/answer bodies as a B2BUA sees them per call).
if(TARGET sb_sdp)
  add_executable(bench_sdp_parse ${CMAKE_CURRENT_LIST_DIR}/sdp_parse.cpp)
  target_link_libraries(bench_sdp_parse PRIVATE sb_sdp benchmark::benchmark)
endif()
