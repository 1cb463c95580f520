// SPDX-License-Identifier: Apache-2.0
// The one include for Boost.Asio. Boost 1.74's asio/awaitable.hpp uses std::exchange without
// including <utility>, which breaks C++20+ builds: include it first (STYLE.md §6 toolchain note).
#pragma once

#include <utility>

#include <boost/asio.hpp>
