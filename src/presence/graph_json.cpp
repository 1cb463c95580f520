// SPDX-License-Identifier: Apache-2.0
#include "presence/graph_json.h"

#include <initializer_list>

#include "presence/iso8601.h"

namespace sb::presence {
namespace {

using nlohmann::json;

auto invalid(std::string msg, std::string field) {
  return fail(Errc::InvalidArgument, std::move(msg), std::move(field));
}

Status requireObject(const json& body) {
  if (!body.is_object()) return invalid("request body must be a JSON object", "");
  return {};
}

// Rejects properties the action does not define (Graph answers 400 for those too).
Status rejectUnknown(const json& body, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : body.items()) {
    if (key.starts_with("@odata.")) continue;
    bool ok = false;
    for (auto k : known) ok = ok || key == k;
    if (!ok) return invalid("unknown property", key);
  }
  return {};
}

Result<std::string> requireString(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return invalid("required property is missing", name);
  if (!it->is_string()) return invalid("must be a string", name);
  return it->get<std::string>();
}

// Availability + activity, each field-precise, then the pair against `allowed`.
Result<PresencePair> readPair(const json& body, bool (*allowed)(PresencePair), const char* table) {
  auto avail_text = requireString(body, "availability");
  if (!avail_text) return std::unexpected(avail_text.error());
  auto avail = parseAvailability(*avail_text);
  if (!avail) return invalid("unknown availability '" + *avail_text + "'", "availability");
  auto act_text = requireString(body, "activity");
  if (!act_text) return std::unexpected(act_text.error());
  auto act = parseActivity(*act_text);
  if (!act) return invalid("unknown activity '" + *act_text + "'", "activity");
  PresencePair pair{*avail, *act};
  if (!allowed(pair)) {
    return invalid(std::string("the pair ") + std::string(toString(*avail)) + "/" +
                       std::string(toString(*act)) + " is not allowed for " + table,
                   "activity");
  }
  return pair;
}

Result<std::optional<Duration>> readDuration(const json& body) {
  auto it = body.find("expirationDuration");
  if (it == body.end() || it->is_null()) return std::optional<Duration>{};
  if (!it->is_string()) return invalid("must be an ISO 8601 duration string", "expirationDuration");
  auto d = parseIsoDuration(it->get_ref<const std::string&>());
  if (!d) return invalid(d.error().message, "expirationDuration");
  return std::optional<Duration>{*d};
}

}  // namespace

json toJson(PresencePair p) {
  return {{"availability", std::string(toString(p.availability))},
          {"activity", std::string(toString(p.activity))}};
}

Result<PresencePair> parsePair(const json& body) {
  if (!body.is_object()) return invalid("must be an object", "availability");
  return readPair(
      body, [](PresencePair) { return true; }, "");
}

json toJson(const Presence& p) {
  json j;
  j["id"] = p.user_id;
  j["availability"] = std::string(toString(p.pair.availability));
  j["activity"] = std::string(toString(p.pair.activity));
  if (p.status_message) {
    j["statusMessage"] = {{"message", {{"content", *p.status_message}, {"contentType", "text"}}}};
  } else {
    j["statusMessage"] = nullptr;
  }
  j["outOfOfficeSettings"] = {{"message", nullptr}, {"isOutOfOffice", false}};
  j["sequenceNumber"] = formatSequenceNumber(p.sequence);
  return j;
}

json toJsonCollection(std::span<const Presence> list) {
  json arr = json::array();
  for (const auto& p : list) arr.push_back(toJson(p));
  return json{{"value", std::move(arr)}};
}

json toJson(const GraphError& e) {
  return json{{"error", {{"code", e.code}, {"message", e.message}}}};
}

Result<json> parseJsonBody(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid("request body is not valid JSON", "");
  return j;
}

Result<SetPresenceRequest> parseSetPresence(const json& body,
                                            std::optional<std::string_view> caller_client_id) {
  SB_TRY(requireObject(body));
  SB_TRY(rejectUnknown(body, {"sessionId", "availability", "activity", "expirationDuration"}));
  SetPresenceRequest req;
  auto sid = requireString(body, "sessionId");
  if (!sid) return std::unexpected(sid.error());
  auto norm = checkSessionId(*sid, caller_client_id);
  if (!norm) return std::unexpected(norm.error());
  req.session_id = std::move(*norm);
  auto pair = readPair(body, &isSessionPair, "setPresence");
  if (!pair) return std::unexpected(pair.error());
  req.pair = *pair;
  auto d = readDuration(body);
  if (!d) return std::unexpected(d.error());
  if (*d) {
    SB_TRY(checkSessionExpiration(**d));
    req.expiration = **d;
  }
  return req;
}

Result<ClearPresenceRequest> parseClearPresence(const json& body,
                                                std::optional<std::string_view> caller_client_id) {
  SB_TRY(requireObject(body));
  SB_TRY(rejectUnknown(body, {"sessionId"}));
  auto sid = requireString(body, "sessionId");
  if (!sid) return std::unexpected(sid.error());
  auto norm = checkSessionId(*sid, caller_client_id);
  if (!norm) return std::unexpected(norm.error());
  return ClearPresenceRequest{std::move(*norm)};
}

Result<SetPreferredRequest> parseSetUserPreferredPresence(const json& body) {
  SB_TRY(requireObject(body));
  SB_TRY(rejectUnknown(body, {"availability", "activity", "expirationDuration"}));
  auto pair = readPair(body, &isPreferredPair, "setUserPreferredPresence");
  if (!pair) return std::unexpected(pair.error());
  auto d = readDuration(body);
  if (!d) return std::unexpected(d.error());
  SetPreferredRequest req;
  req.pair = *pair;
  if (*d) {
    if (**d <= Duration::zero()) return invalid("must be positive", "expirationDuration");
    req.expiration = **d;
  } else {
    req.expiration = defaultPreferredExpiration(pair->availability);
  }
  return req;
}

Result<std::vector<std::string>> parseGetPresencesByUserId(const json& body) {
  SB_TRY(requireObject(body));
  SB_TRY(rejectUnknown(body, {"ids"}));
  auto it = body.find("ids");
  if (it == body.end() || it->is_null()) return invalid("required property is missing", "ids");
  if (!it->is_array()) return invalid("must be an array of user ids", "ids");
  if (it->empty()) return invalid("must contain at least one id", "ids");
  if (it->size() > kMaxPresenceIds) return invalid("at most 650 ids per request", "ids");
  std::vector<std::string> ids;
  ids.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& v = (*it)[i];
    std::string field = "ids[" + std::to_string(i) + "]";
    if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
      return invalid("must be a non-empty string", field);
    }
    ids.push_back(v.get<std::string>());
  }
  return ids;
}

}  // namespace sb::presence
