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
    j["statusMessage"] = toJson(*p.status_message);
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

json toJson(const StatusMessage& m) {
  json j;
  j["message"] = {{"content", m.content}, {"contentType", m.content_type}};
  if (m.expiry) {
    // dateTimeTimeZone: the local date-time without an offset, and the zone it is in.
    std::string t = formatIsoDateTime(*m.expiry);
    t.pop_back();  // the 'Z'
    j["expiryDateTime"] = {{"dateTime", t}, {"timeZone", "UTC"}};
  } else {
    j["expiryDateTime"] = nullptr;
  }
  j["publishedDateTime"] = formatIsoDateTime(m.published);
  return j;
}

namespace {

// A dateTimeTimeZone in UTC: the date-time gets its 'Z' unless it already has a zone.
Result<WallTime> readUtcDateTime(const json& j, const std::string& field) {
  if (!j.is_object()) return invalid("must be an object {dateTime, timeZone}", field);
  auto text = requireString(j, "dateTime");
  if (!text) return invalid(text.error().message, field + ".dateTime");
  auto zone = requireString(j, "timeZone");
  if (!zone) return invalid(zone.error().message, field + ".timeZone");
  if (*zone != "UTC" && *zone != "Etc/UTC" && *zone != "Coordinated Universal Time") {
    return invalid("only UTC is supported, not '" + *zone + "'", field + ".timeZone");
  }
  std::string t = *text;
  if (t.size() <= 19 ||
      (t.back() != 'Z' && t.back() != 'z' && t[t.size() - 6] != '+' && t[t.size() - 6] != '-')) {
    t += 'Z';
  }
  auto when = parseIsoDateTime(t);
  if (!when) return invalid(when.error().message, field + ".dateTime");
  return *when;
}

// Code points in UTF-8 text (continuation bytes do not count).
size_t codePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::optional<StatusMessage> parseStatusMessage(const json& j) {
  if (!j.is_object() || !j.contains("message") || !j["message"].is_object()) return std::nullopt;
  const json& msg = j["message"];
  StatusMessage m;
  if (!msg.contains("content") || !msg["content"].is_string()) return std::nullopt;
  m.content = msg["content"].get<std::string>();
  if (msg.contains("contentType") && msg["contentType"].is_string()) {
    m.content_type = msg["contentType"].get<std::string>();
  }
  if (j.contains("expiryDateTime") && !j["expiryDateTime"].is_null()) {
    auto e = readUtcDateTime(j["expiryDateTime"], "expiryDateTime");
    if (!e) return std::nullopt;
    m.expiry = *e;
  }
  if (!j.contains("publishedDateTime") || !j["publishedDateTime"].is_string()) return std::nullopt;
  auto published = parseIsoDateTime(j["publishedDateTime"].get<std::string>());
  if (!published) return std::nullopt;
  m.published = *published;
  return m;
}

Result<std::optional<StatusMessage>> parseSetStatusMessage(const json& body, WallTime now) {
  SB_TRY(requireObject(body));
  SB_TRY(rejectUnknown(body, {"statusMessage"}));
  auto it = body.find("statusMessage");
  if (it == body.end() || it->is_null()) {
    return invalid("required property is missing", "statusMessage");
  }
  const json& sm = *it;
  if (!sm.is_object()) return invalid("must be an object", "statusMessage");
  for (const auto& [key, value] : sm.items()) {
    if (key != "message" && key != "expiryDateTime" && !key.starts_with("@odata.")) {
      return invalid("unknown property", "statusMessage." + key);
    }
  }
  auto mit = sm.find("message");
  if (mit == sm.end() || mit->is_null()) {
    return invalid("required property is missing", "statusMessage.message");
  }
  if (!mit->is_object()) return invalid("must be an object", "statusMessage.message");
  for (const auto& [key, value] : mit->items()) {
    if (key != "content" && key != "contentType" && !key.starts_with("@odata.")) {
      return invalid("unknown property", "statusMessage.message." + key);
    }
  }
  auto content = requireString(*mit, "content");
  if (!content) return invalid(content.error().message, "statusMessage.message.content");
  if (codePoints(*content) > kMaxStatusMessageChars) {
    return invalid("at most " + std::to_string(kMaxStatusMessageChars) + " characters",
                   "statusMessage.message.content");
  }
  StatusMessage m;
  m.content = std::move(*content);
  if (auto ct = mit->find("contentType"); ct != mit->end() && !ct->is_null()) {
    if (!ct->is_string() || (*ct != "text" && *ct != "html")) {
      return invalid("must be \"text\" or \"html\"", "statusMessage.message.contentType");
    }
    m.content_type = ct->get<std::string>();
  }
  if (auto e = sm.find("expiryDateTime"); e != sm.end() && !e->is_null()) {
    auto when = readUtcDateTime(*e, "statusMessage.expiryDateTime");
    if (!when) return std::unexpected(when.error());
    if (*when <= now) return invalid("must be in the future", "statusMessage.expiryDateTime");
    m.expiry = *when;
  }
  m.published = now;
  if (m.content.empty()) return std::optional<StatusMessage>{};
  return std::optional<StatusMessage>{std::move(m)};
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
