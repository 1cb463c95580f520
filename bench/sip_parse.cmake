# SPDX-License-Identifier: Apache-2.0
# SIP message parse benchmark (bench/sip_parse.sh builds and runs it).
if(TARGET sb_sip)
  add_executable(bench_sip_parse ${CMAKE_CURRENT_LIST_DIR}/sip_parse.cpp)
  target_link_libraries(bench_sip_parse PRIVATE sb_sip benchmark::benchmark)
endif()
