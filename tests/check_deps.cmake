# SPDX-License-Identifier: Apache-2.0
# The module dependency table (STYLE.md §2) is a test, so a layering violation fails `make test`.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_test(NAME check_deps COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tools/check_deps.py)
