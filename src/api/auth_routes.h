// SPDX-License-Identifier: Apache-2.0
// Sign-in and credential routes: POST /api/v1/auth/token (password, refresh_token and
// client_credentials grants),
// GET /api/v1/auth/me, GET /api/v1/auth/jwks, tenant API keys and local users. Password hashing
// runs on `blocking` (a thread pool the app owns), never on a connection strand.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "api/token_service.h"
#include "common/asio.h"
#include "common/result.h"

namespace sb::api {

namespace asio = boost::asio;

// Characters of an API key shown in listings ("sb_" + 9 random ones): the store's unique,
// public handle of the key.
inline constexpr std::size_t kApiKeyDisplayPrefix = 12;

// RFC 6749 2.3.1: the client of a client-credentials request, authenticated either by HTTP
// Basic (client id and secret form-urlencoded, then base64) or by the `client_id` and
// `client_secret` body fields, never both. Errors: InvalidArgument (field "client_id" or
// "Authorization") for a malformed header, two methods at once or a missing id or secret.
struct ClientCredentials {
  std::string client_id;
  std::string client_secret;
  bool basic = false;  // came in the Authorization header (401s then carry WWW-Authenticate)
};
Result<ClientCredentials> clientCredentialsOf(std::optional<std::string_view> authorization,
                                              const nlohmann::json& body);

// tokens must outlive the routes; blocking must stay valid while the server runs.
Status registerAuthRoutes(Router& router, TokenService& tokens, asio::any_io_executor blocking);

}  // namespace sb::api
