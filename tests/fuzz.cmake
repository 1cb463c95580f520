# SPDX-License-Identifier: Apache-2.0
if(SB_FUZZ)
  add_subdirectory(${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
endif()
