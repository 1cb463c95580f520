// SPDX-License-Identifier: Apache-2.0
#include "registrar/registrar.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>

namespace sb::registrar {

namespace {

// RFC 3261 §20.10: q-value "0" / "1" / "0.xyz" into thousandths; nullopt if malformed.
std::optional<uint16_t> parseQ(std::string_view q) {
  if (q.empty() || q.size() > 5) return std::nullopt;
  if (q[0] != '0' && q[0] != '1') return std::nullopt;
  uint16_t whole = static_cast<uint16_t>(q[0] - '0') * 1000;
  if (q.size() == 1) return whole;
  if (q[1] != '.') return std::nullopt;
  uint16_t frac = 0;
  uint16_t scale = 100;
  for (size_t i = 2; i < q.size(); ++i) {
    if (q[i] < '0' || q[i] > '9') return std::nullopt;
    frac += static_cast<uint16_t>(q[i] - '0') * scale;
    scale /= 10;
  }
  if (whole == 1000 && frac != 0) return std::nullopt;
  return static_cast<uint16_t>(whole + frac);
}

std::string formatQ(uint16_t q) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%u.%03u", q / 1000, q % 1000);
  return buf;
}

bool sameContact(const std::string& a, const std::string& b) {
  auto ua = sip::parseUri(a);
  auto ub = sip::parseUri(b);
  if (!ua || !ub) return a == b;
  return sip::uriEquals(*ua, *ub);
}

uint32_t secondsLeft(const Binding& b, MonoTime now) {
  if (b.expires_at <= now) return 0;
  return static_cast<uint32_t>(
      std::chrono::ceil<std::chrono::seconds>(b.expires_at - now).count());
}

}  // namespace

Registrar::Registrar(RegistrarConfig config, const Directory& directory)
    : config_(std::move(config)),
      directory_(directory),
      auth_(config_.digest),
      limiter_(config_.limiter) {}

std::string Registrar::toTag(const sip::Message& req) const {
  // Stable for retransmissions of one request: derived from Call-ID and CSeq.
  const auto call_id = req.callId();
  const auto cseq = req.cseq();
  const size_t h = std::hash<std::string_view>{}(call_id ? *call_id : std::string_view{}) ^
                   (cseq ? cseq->number * 0x9e3779b97f4a7c15ULL : 0);
  char buf[20];
  std::snprintf(buf, sizeof(buf), "r%016zx", h);
  return buf;
}

RegisterResult Registrar::reject(const sip::Message& req, int code, std::string_view reason) {
  RegisterResult r;
  r.response = sip::makeResponse(req, code, reason, toTag(req));
  return r;
}

RegisterResult Registrar::handleRegister(const sip::Message& req, const Source& source,
                                         MonoTime now, WallTime wall_now) {
  const std::string source_key = "src:" + source.address;
  // A blocked source gets a bare 403 before any parsing or lookup: cheap, and no oracle.
  if (limiter_.check(source_key, now).blocked) return reject(req, 403, "Forbidden");

  auto to = req.to();
  if (!to) return reject(req, 400, "Bad To header");
  if (!to->uri.isSip()) return reject(req, 400, "AOR must be a SIP URI");  // RFC 4475 unksm2
  const auto tenant = directory_.tenantForDomain(to->uri.host);
  if (!tenant) return reject(req, 404, "Not Found");
  // Escapes in the user part are compared decoded (RFC 3261 §19.1.4).
  const std::string aor_user = sip::unescape(to->uri.user);

  // --- authentication (RFC 3261 §22.4): the realm is the tenant's domain ---
  const std::string realm(to->uri.host);
  std::optional<sip::DigestResponse> cred;
  for (auto value : req.headers(sip::HeaderId::Authorization)) {
    auto parsed = sip::parseDigestResponse(value);
    if (parsed && sip::iequals(parsed->realm, realm)) {
      cred = std::move(*parsed);
      break;
    }
  }
  auto challenge = [&](bool stale, Duration delay) {
    RegisterResult r = reject(req, 401, "Unauthorized");
    for (auto& v : auth_.challenge(realm, now, stale)) r.response->addHeader("WWW-Authenticate", v);
    r.delay = delay;
    return r;
  };
  if (!cred) return challenge(false, Duration{0});

  const std::string user_key = "user:" + aor_user + "@" + realm;
  const auto user_limit = limiter_.check(user_key, now);
  if (user_limit.blocked) return reject(req, 403, "Forbidden");
  const auto source_limit = limiter_.check(source_key, now);
  const Duration penalty = std::max(user_limit.delay, source_limit.delay);

  const auto creds = directory_.findUser(*tenant, cred->username);
  // An unknown user and a wrong password look the same from outside.
  const std::string* ha1 = nullptr;
  if (creds) {
    ha1 = cred->algorithm == sip::DigestAlgorithm::Sha256 ? &creds->ha1_sha256 : &creds->ha1_md5;
  }
  const auto verdict = auth_.verify(*cred, req.methodName(), realm, ha1 ? *ha1 : "", now);
  switch (verdict) {
    case sip::DigestVerdict::Ok:
      break;
    case sip::DigestVerdict::Stale:
      return challenge(true, penalty);
    case sip::DigestVerdict::BadNonce:
    case sip::DigestVerdict::Replay:
      return challenge(false, penalty);
    case sip::DigestVerdict::Malformed:
      return reject(req, 400, "Bad Authorization header");
    case sip::DigestVerdict::BadResponse: {
      limiter_.recordFailure(source_key, now);
      limiter_.recordFailure(user_key, now);
      RegisterResult r = reject(req, 403, "Forbidden");
      r.delay = penalty;
      return r;
    }
  }
  limiter_.recordSuccess(source_key);
  limiter_.recordSuccess(user_key);
  // The authenticated identity may only register its own AOR.
  if (cred->username != aor_user) return reject(req, 403, "Forbidden");

  RegisterResult result;
  result.tenant = *tenant;
  result.user = aor_user;

  auto call_id = req.callId();
  auto cseq = req.cseq();
  if (!call_id || !cseq) return reject(req, 400, "Bad Call-ID or CSeq");
  auto contacts = req.contacts();
  if (!contacts && contacts.error().code != Errc::NotFound) {
    return reject(req, 400, "Bad Contact header");
  }
  std::optional<uint32_t> expires_header;
  if (req.header(sip::HeaderId::Expires)) {
    auto e = req.expires();
    if (!e) return reject(req, 400, "Bad Expires header");
    expires_header = *e;
  }

  const AorKey key{*tenant, aor_user};
  auto& list = bindings_[key];
  std::erase_if(list, [&](const Binding& b) {
    if (b.expires_at > now) return false;
    result.removed.push_back(b);
    return true;
  });

  const bool supports_path = [&] {
    auto s = req.supported();
    if (!s) return false;
    return std::any_of(s->begin(), s->end(), [](auto t) { return sip::iequals(t, "path"); });
  }();
  std::vector<std::string> path;
  for (auto p : req.headers(sip::HeaderId::Path)) path.emplace_back(p);

  if (contacts) {
    const bool star = std::any_of(contacts->begin(), contacts->end(),
                                  [](const sip::Contact& c) { return c.star; });
    if (star) {
      // RFC 3261 §10.3 step 6: "*" only alone and with Expires: 0.
      if (contacts->size() != 1 || expires_header != 0u) {
        return reject(req, 400, "Contact * needs Expires: 0 and no other contact");
      }
      for (const auto& b : list) {
        if (b.call_id == *call_id && b.cseq >= cseq->number) {
          return reject(req, 500, "Out of order CSeq");
        }
      }
      result.removed.insert(result.removed.end(), list.begin(), list.end());
      list.clear();
    } else {
      // First pass: validate everything, so a bad contact changes nothing (step 7 is atomic).
      for (const auto& c : *contacts) {
        const uint32_t requested = c.expires.value_or(expires_header.value_or(config_.default_expires));
        if (requested != 0 && requested < config_.min_expires) {
          RegisterResult r = reject(req, 423, "Interval Too Brief");
          r.response->addHeader("Min-Expires", std::to_string(config_.min_expires));
          return r;
        }
        if (!c.uri.isSip() && c.uri.scheme != sip::Scheme::Tel) {
          return reject(req, 400, "Contact must be a SIP URI");
        }
        if (auto q = c.params.get("q"); q && !parseQ(*q)) return reject(req, 400, "Bad q-value");
        for (const auto& b : list) {
          if (sameContact(b.contact, std::string(c.uri.raw)) && b.call_id == *call_id &&
              b.cseq >= cseq->number) {
            return reject(req, 500, "Out of order CSeq");
          }
        }
      }
      for (const auto& c : *contacts) {
        const uint32_t expires = std::min(
            c.expires.value_or(expires_header.value_or(config_.default_expires)),
            config_.max_expires);
        const std::string uri(c.uri.raw);
        auto it = std::find_if(list.begin(), list.end(),
                               [&](const Binding& b) { return sameContact(b.contact, uri); });
        if (expires == 0) {
          if (it != list.end()) {
            result.removed.push_back(*it);
            list.erase(it);
          }
          continue;
        }
        Binding b;
        b.tenant = *tenant;
        b.user = aor_user;
        b.contact = uri;
        b.expires_at = now + std::chrono::seconds(expires);
        b.expires_wall = wall_now + std::chrono::seconds(expires);
        b.q = c.params.get("q") ? *parseQ(*c.params.get("q")) : 1000;
        b.call_id = std::string(*call_id);
        b.cseq = cseq->number;
        b.path = path;
        if (auto inst = c.params.get("+sip.instance")) b.instance = std::string(*inst);
        if (auto ua = req.header(sip::HeaderId::UserAgent)) b.user_agent = std::string(*ua);
        b.source = source;
        if (it != list.end()) {
          *it = b;
        } else {
          if (list.size() >= config_.max_contacts_per_aor) {
            return reject(req, 403, "Too many contacts");
          }
          list.push_back(b);
        }
        result.upserted.push_back(std::move(b));
      }
    }
  }

  sip::Message ok = sip::makeResponse(req, 200, "OK", toTag(req));
  for (const auto& b : list) {
    std::string v = "<" + b.contact + ">;expires=" + std::to_string(secondsLeft(b, now));
    if (b.q != 1000) v += ";q=" + formatQ(b.q);
    ok.addHeader("Contact", v);
  }
  if (supports_path) {
    for (const auto& p : path) ok.addHeader("Path", p);
  }
  if (list.empty()) bindings_.erase(key);
  result.response = std::move(ok);
  return result;
}

std::vector<Binding> Registrar::lookup(std::string_view tenant, std::string_view user,
                                       MonoTime now) const {
  std::vector<Binding> out;
  auto it = bindings_.find(AorKey{std::string(tenant), std::string(user)});
  if (it == bindings_.end()) return out;
  for (const auto& b : it->second) {
    if (b.expires_at > now) out.push_back(b);
  }
  std::stable_sort(out.begin(), out.end(), [](const Binding& a, const Binding& b) {
    if (a.q != b.q) return a.q > b.q;
    return a.expires_at > b.expires_at;
  });
  return out;
}

bool Registrar::isRegistered(std::string_view tenant, std::string_view user, MonoTime now) const {
  auto it = bindings_.find(AorKey{std::string(tenant), std::string(user)});
  if (it == bindings_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [now](const Binding& b) { return b.expires_at > now; });
}

std::vector<Binding> Registrar::expire(MonoTime now) {
  std::vector<Binding> gone;
  for (auto it = bindings_.begin(); it != bindings_.end();) {
    std::erase_if(it->second, [&](const Binding& b) {
      if (b.expires_at > now) return false;
      gone.push_back(b);
      return true;
    });
    it = it->second.empty() ? bindings_.erase(it) : std::next(it);
  }
  return gone;
}

std::optional<MonoTime> Registrar::nextExpiry() const {
  std::optional<MonoTime> next;
  for (const auto& [key, list] : bindings_) {
    for (const auto& b : list) {
      if (!next || b.expires_at < *next) next = b.expires_at;
    }
  }
  return next;
}

void Registrar::restore(std::vector<Binding> bindings, MonoTime now, WallTime wall_now) {
  for (auto& b : bindings) {
    if (b.expires_wall <= wall_now) continue;
    b.expires_at = monoOf(b.expires_wall, now, wall_now);
    auto& list = bindings_[AorKey{b.tenant, b.user}];
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const Binding& x) { return sameContact(x.contact, b.contact); });
    if (it != list.end()) {
      *it = std::move(b);
    } else {
      list.push_back(std::move(b));
    }
  }
}

size_t Registrar::bindingCount() const {
  size_t n = 0;
  for (const auto& [key, list] : bindings_) n += list.size();
  return n;
}

}  // namespace sb::registrar
