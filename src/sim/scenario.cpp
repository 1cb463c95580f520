// SPDX-License-Identifier: Apache-2.0
#include "sim/scenario.h"

#include <cmath>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace sb::sim {

std::string InputError::toString() const {
  std::ostringstream out;
  out << file;
  if (line > 0) out << ':' << line << ':' << column;
  out << ": " << reason;
  return out.str();
}

Scenario simpleScenario(int agents, double arrivals_per_hour, double aht_s, double sl_threshold_s,
                        double hours, std::uint64_t seed) {
  Scenario s;
  s.seed = seed;
  s.hours = hours;
  s.sl_threshold_s = sl_threshold_s;
  QueueScenario q;
  q.id = "default";
  q.arrivals_per_hour = arrivals_per_hour;
  q.handle = {Distribution::Kind::Exponential, aht_s, 0};
  q.sl_threshold_s = sl_threshold_s;
  s.queues.push_back(q);
  for (int i = 1; i <= agents; ++i) s.agents.push_back({"agent-" + std::to_string(i), {}, {}});
  return s;
}

namespace {

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// Walks YAML nodes and stops at the first problem; never throws (yaml-cpp conversions are
// done by hand on scalars).
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  bool ok() const { return !error_.has_value(); }
  const InputError& error() const { return *error_; }

  void fail(const YAML::Node& node, std::string reason) {
    if (error_) return;
    const auto& mark = node.Mark();
    error_ = InputError{file_, mark.line + 1, mark.column + 1, std::move(reason)};
  }

  bool expectMap(const YAML::Node& node, std::string_view where,
                 std::initializer_list<std::string_view> allowed) {
    if (!node.IsMap()) {
      fail(node, std::string(where) + " must be a mapping");
      return false;
    }
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      bool known = false;
      for (auto a : allowed) known = known || a == key;
      if (!known) {
        fail(kv.first, "unknown key '" + key + "' in " + std::string(where));
        return false;
      }
    }
    return true;
  }

  void readString(const YAML::Node& map, const char* key, std::string& out) {
    const YAML::Node node = map[key];
    if (!node) return;
    if (!node.IsScalar()) return fail(node, std::string(key) + " must be a string");
    out = node.Scalar();
  }

  void readNumber(const YAML::Node& map, const char* key, double& out, double min, double max) {
    const YAML::Node node = map[key];
    if (!node) return;
    readNumberNode(node, key, out, min, max);
  }

  void readNumberNode(const YAML::Node& node, std::string_view what, double& out, double min,
                      double max) {
    if (!node.IsScalar()) return fail(node, std::string(what) + " must be a number");
    const std::string& s = node.Scalar();
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
      return fail(node, std::string(what) + " must be a number, not '" + s + "'");
    }
    if (v < min || v > max) {
      std::ostringstream msg;
      msg << what << " must be between " << min << " and " << max << ", not " << s;
      return fail(node, msg.str());
    }
    out = v;
  }

  template <typename Int>
  void readInt(const YAML::Node& map, const char* key, Int& out, double min, double max) {
    const YAML::Node node = map[key];
    if (!node) return;
    double v = 0;
    readNumberNode(node, key, v, min, max);
    if (!ok()) return;
    if (v != std::floor(v)) return fail(node, std::string(key) + " must be a whole number");
    out = static_cast<Int>(v);
  }

 private:
  std::string file_;
  std::optional<InputError> error_;
};

std::optional<Distribution> readDistribution(Reader& r, const YAML::Node& node,
                                             std::string_view where) {
  if (!r.expectMap(node, where, {"distribution", "mean_s", "sd_s"})) return std::nullopt;
  Distribution d;
  std::string kind = "exponential";
  r.readString(node, "distribution", kind);
  if (kind == "exponential") {
    d.kind = Distribution::Kind::Exponential;
  } else if (kind == "lognormal" || kind == "log-normal") {
    d.kind = Distribution::Kind::LogNormal;
  } else if (kind == "constant") {
    d.kind = Distribution::Kind::Constant;
  } else {
    r.fail(node["distribution"],
           "distribution must be exponential, lognormal or constant, not '" + kind + "'");
    return std::nullopt;
  }
  if (!node["mean_s"]) {
    r.fail(node, std::string(where) + " needs mean_s");
    return std::nullopt;
  }
  r.readNumber(node, "mean_s", d.mean_s, 0.001, 1e7);
  if (d.kind == Distribution::Kind::LogNormal) {
    if (!node["sd_s"]) {
      r.fail(node, std::string(where) + ": lognormal needs sd_s");
      return std::nullopt;
    }
    r.readNumber(node, "sd_s", d.sd_s, 0.0, 1e7);
  } else if (node["sd_s"]) {
    r.fail(node["sd_s"], "sd_s applies to lognormal only");
  }
  if (!r.ok()) return std::nullopt;
  return d;
}

// skills: {name: level, ...}
template <typename Fn>
void readSkillMap(Reader& r, const YAML::Node& node, std::string_view where, Fn&& add) {
  if (!node) return;
  if (!node.IsMap()) return r.fail(node, std::string(where) + " must be a mapping name: level");
  for (const auto& kv : node) {
    double level = 0;
    r.readNumberNode(kv.second, std::string(where) + "." + kv.first.Scalar(), level, 1, 10);
    if (!r.ok()) return;
    add(kv.first.Scalar(), static_cast<int>(level));
  }
}

void readQueue(Reader& r, const YAML::Node& node, Scenario& s) {
  if (!r.expectMap(
          node, "queues[]",
          {"id", "arrivals_per_hour", "strategy", "skills", "members", "priority", "handle_time",
           "patience", "wrap_up_s", "max_wait_s", "sl_threshold_s", "short_abandon_s"})) {
    return;
  }
  QueueScenario q;
  q.sl_threshold_s = s.sl_threshold_s;
  q.short_abandon_s = s.short_abandon_s;
  r.readString(node, "id", q.id);
  if (r.ok() && q.id.empty()) return r.fail(node, "a queue needs an id");
  for (const auto& other : s.queues) {
    if (other.id == q.id) return r.fail(node["id"], "duplicate queue id '" + q.id + "'");
  }
  r.readNumber(node, "arrivals_per_hour", q.arrivals_per_hour, 0, 1e6);
  std::string strategy;
  r.readString(node, "strategy", strategy);
  if (!strategy.empty()) {
    auto st = routing::strategyFromName(strategy);
    if (!st) return r.fail(node["strategy"], "unknown strategy '" + strategy + "'");
    q.strategy = *st;
  }
  readSkillMap(r, node["skills"], "skills", [&](const std::string& name, int level) {
    q.skills.push_back({name, level});
  });
  if (const YAML::Node members = node["members"]) {
    if (!members.IsSequence()) return r.fail(members, "members must be a list of agent ids");
    for (const auto& m : members) {
      if (!m.IsScalar()) return r.fail(m, "members must be a list of agent ids");
      q.members.push_back(m.Scalar());
    }
  }
  r.readInt(node, "priority", q.priority, -1000, 1000);
  if (const YAML::Node h = node["handle_time"]) {
    if (auto d = readDistribution(r, h, "handle_time")) q.handle = *d;
  }
  if (const YAML::Node p = node["patience"]) {
    if (auto d = readDistribution(r, p, "patience")) q.patience = *d;
  }
  r.readNumber(node, "wrap_up_s", q.wrap_up_s, 0, 86400);
  r.readNumber(node, "max_wait_s", q.max_wait_s, 0, 86400 * 7);
  r.readNumber(node, "sl_threshold_s", q.sl_threshold_s, 0, 86400);
  r.readNumber(node, "short_abandon_s", q.short_abandon_s, 0, 3600);
  if (r.ok()) s.queues.push_back(std::move(q));
}

void readAgent(Reader& r, const YAML::Node& node, Scenario& s) {
  if (!r.expectMap(node, "agents[]", {"id", "count", "skills", "shifts"})) return;
  AgentScenario a;
  r.readString(node, "id", a.id);
  if (r.ok() && a.id.empty()) return r.fail(node, "an agent needs an id");
  int count = 1;
  r.readInt(node, "count", count, 1, 100000);
  readSkillMap(r, node["skills"], "skills",
               [&](const std::string& name, int level) { a.skills.emplace_back(name, level); });
  if (const YAML::Node shifts = node["shifts"]) {
    if (!shifts.IsSequence()) return r.fail(shifts, "shifts must be a list");
    for (const auto& item : shifts) {
      if (!r.expectMap(item, "shifts[]", {"start_h", "end_h"})) return;
      if (!item["start_h"] || !item["end_h"])
        return r.fail(item, "a shift needs start_h and end_h");
      Shift sh;
      r.readNumber(item, "start_h", sh.start_h, 0, 1e5);
      r.readNumber(item, "end_h", sh.end_h, 0, 1e5);
      if (r.ok() && sh.end_h <= sh.start_h)
        return r.fail(item, "shift end_h must be after start_h");
      a.shifts.push_back(sh);
    }
  }
  if (!r.ok()) return;
  // `count: N` expands to id-1 .. id-N (one line per team instead of one per person).
  std::set<std::string> seen;
  for (const auto& other : s.agents) seen.insert(other.id);
  for (int i = 1; i <= count; ++i) {
    AgentScenario copy = a;
    if (count > 1) copy.id = a.id + "-" + std::to_string(i);
    if (!seen.insert(copy.id).second)
      return r.fail(node["id"], "duplicate agent id '" + copy.id + "'");
    s.agents.push_back(std::move(copy));
  }
}

}  // namespace

InputResult<Scenario> parseScenario(const std::string& text, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return std::unexpected(
        InputError{name, e.mark.line + 1, e.mark.column + 1, "YAML syntax: " + e.msg});
  }
  Reader r(name);
  Scenario s;
  s.queues.clear();
  if (!r.expectMap(
          root, "scenario",
          {"seed", "hours", "sl_threshold_s", "short_abandon_s", "preset", "queues", "agents"})) {
    return std::unexpected(r.error());
  }
  r.readInt(root, "seed", s.seed, 0, 1.8e19);
  r.readNumber(root, "hours", s.hours, 0.001, 1e5);
  r.readNumber(root, "sl_threshold_s", s.sl_threshold_s, 0, 86400);
  r.readNumber(root, "short_abandon_s", s.short_abandon_s, 0, 3600);
  r.readString(root, "preset", s.preset);
  const YAML::Node queues = root["queues"];
  if (r.ok() && (!queues || !queues.IsSequence() || queues.size() == 0)) {
    r.fail(queues ? queues : root, "queues must be a non-empty list");
  }
  if (r.ok()) {
    for (const auto& q : queues) {
      readQueue(r, q, s);
      if (!r.ok()) break;
    }
  }
  const YAML::Node agents = root["agents"];
  if (r.ok() && agents) {
    if (!agents.IsSequence()) {
      r.fail(agents, "agents must be a list");
    } else {
      for (const auto& a : agents) {
        readAgent(r, a, s);
        if (!r.ok()) break;
      }
    }
  }
  // Cross-references: queue members must be agents.
  if (r.ok()) {
    std::set<std::string> agent_ids;
    for (const auto& a : s.agents) agent_ids.insert(a.id);
    for (std::size_t i = 0; i < s.queues.size() && r.ok(); ++i) {
      for (std::size_t m = 0; m < s.queues[i].members.size(); ++m) {
        if (!agent_ids.contains(s.queues[i].members[m])) {
          r.fail(queues[i]["members"][m], "unknown agent '" + s.queues[i].members[m] + "'");
          break;
        }
      }
    }
  }
  if (!r.ok()) return std::unexpected(r.error());
  return s;
}

InputResult<Scenario> loadScenarioFile(const std::string& path) {
  auto text = readFile(path);
  if (!text) return std::unexpected(InputError{path, 0, 0, "cannot read file"});
  return parseScenario(*text, path);
}

InputResult<std::vector<JournalEntry>> parseJournal(const std::string& text,
                                                    const std::string& name) {
  std::vector<JournalEntry> out;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  double last_t = 0;
  auto bad = [&](std::string reason) {
    return std::unexpected(InputError{name, line_no, 1, std::move(reason)});
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return bad("not a JSON object");
    if (!j.is_object()) return bad("not a JSON object");
    JournalEntry e;
    for (const auto& [key, value] : j.items()) {
      if (key == "t_s" || key == "handle_s" || key == "patience_s") {
        if (!value.is_number()) return bad(key + " must be a number");
        const double v = value.get<double>();
        if (!std::isfinite(v) || v < 0) return bad(key + " must be >= 0");
        if (key == "t_s") e.t_s = v;
        if (key == "handle_s") e.handle_s = v;
        if (key == "patience_s") e.patience_s = v;
      } else if (key == "queue" || key == "id") {
        if (!value.is_string() || value.get<std::string>().empty()) {
          return bad(key + " must be a non-empty string");
        }
        (key == "queue" ? e.queue : e.id) = value.get<std::string>();
      } else if (key == "priority") {
        if (!value.is_number_integer()) return bad("priority must be an integer");
        e.priority = value.get<int>();
      } else if (key == "attributes") {
        if (!value.is_object()) return bad("attributes must be an object of strings");
        for (const auto& [k, v] : value.items()) {
          if (!v.is_string()) return bad("attributes." + k + " must be a string");
          e.attributes.emplace_back(k, v.get<std::string>());
        }
      } else {
        return bad("unknown key '" + key + "'");
      }
    }
    if (!j.contains("t_s")) return bad("t_s is required");
    if (e.queue.empty()) return bad("queue is required");
    if (e.t_s < last_t) return bad("t_s goes backwards (entries must be in time order)");
    last_t = e.t_s;
    if (e.id.empty()) e.id = "j" + std::to_string(line_no);
    e.line = line_no;
    out.push_back(std::move(e));
  }
  return out;
}

InputResult<std::vector<JournalEntry>> loadJournalFile(const std::string& path) {
  auto text = readFile(path);
  if (!text) return std::unexpected(InputError{path, 0, 0, "cannot read file"});
  return parseJournal(*text, path);
}

std::string formatJournal(const std::vector<JournalEntry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    nlohmann::ordered_json j;
    j["t_s"] = e.t_s;
    j["queue"] = e.queue;
    j["id"] = e.id;
    if (e.handle_s) j["handle_s"] = *e.handle_s;
    if (e.patience_s) j["patience_s"] = *e.patience_s;
    if (e.priority != 0) j["priority"] = e.priority;
    if (!e.attributes.empty()) {
      nlohmann::ordered_json attrs = nlohmann::ordered_json::object();
      for (const auto& [k, v] : e.attributes) attrs[k] = v;
      j["attributes"] = attrs;
    }
    out += j.dump();
    out += '\n';
  }
  return out;
}

}  // namespace sb::sim
