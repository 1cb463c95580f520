// SPDX-License-Identifier: Apache-2.0
// Sign-in and credential routes: POST /api/v1/auth/token (password and refresh_token grants),
// GET /api/v1/auth/me, GET /api/v1/auth/jwks, tenant API keys and local users. Password hashing
// runs on `blocking` (a thread pool the app owns), never on a connection strand.
#pragma once

#include "api/router.h"
#include "api/token_service.h"
#include "common/asio.h"
#include "common/result.h"

namespace sb::api {

namespace asio = boost::asio;

// Characters of an API key shown in listings ("sb_" + 9 random ones): the store's unique,
// public handle of the key.
inline constexpr std::size_t kApiKeyDisplayPrefix = 12;

// tokens must outlive the routes; blocking must stay valid while the server runs.
Status registerAuthRoutes(Router& router, TokenService& tokens, asio::any_io_executor blocking);

}  // namespace sb::api
