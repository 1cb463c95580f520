// SPDX-License-Identifier: Apache-2.0
#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace sb::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) noexcept {
  // Buckets are "less than or equal" (Prometheus `le`).
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t Histogram::bucketCount(std::size_t i) const noexcept {
  return i <= bounds_.size() ? buckets_[i].load(std::memory_order_relaxed) : 0;
}

std::vector<double> defaultLatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

CounterFamily& Registry::counter(std::string_view name, std::string_view help,
                                 std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end() && it->second.counter) return *it->second.counter;
  Entry e{Type::Counter, std::make_unique<CounterFamily>(
                             std::string(name), std::string(help), std::move(label_names),
                             [] { return std::make_unique<Counter>(); }),
          nullptr, nullptr};
  return *families_.insert_or_assign(std::string(name), std::move(e)).first->second.counter;
}

GaugeFamily& Registry::gauge(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end() && it->second.gauge) return *it->second.gauge;
  Entry e{Type::Gauge, nullptr,
          std::make_unique<GaugeFamily>(std::string(name), std::string(help),
                                        std::move(label_names),
                                        [] { return std::make_unique<Gauge>(); }),
          nullptr};
  return *families_.insert_or_assign(std::string(name), std::move(e)).first->second.gauge;
}

HistogramFamily& Registry::histogram(std::string_view name, std::string_view help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end() && it->second.histogram) return *it->second.histogram;
  std::sort(bounds.begin(), bounds.end());
  Entry e{Type::Histogram, nullptr, nullptr,
          std::make_unique<HistogramFamily>(
              std::string(name), std::string(help), std::move(label_names),
              [bounds] { return std::make_unique<Histogram>(bounds); })};
  return *families_.insert_or_assign(std::string(name), std::move(e)).first->second.histogram;
}

void Registry::addCollector(std::function<void()> collect) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collect));
}

std::string escapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

std::string escapeHelp(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string labelBlock(const std::vector<std::string>& names,
                       const std::vector<std::string>& values, std::string_view extra_name = {},
                       std::string_view extra_value = {}) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + escapeLabelValue(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += std::string(extra_name) + "=\"" + std::string(extra_value) + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}

}  // namespace

std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    // Shortest precision that reads back exactly (0.005, not 0.0050000000000000001).
    for (int precision = 1; precision <= 17; ++precision) {
      std::snprintf(buf, sizeof buf, "%.*g", precision, v);
      if (std::strtod(buf, nullptr) == v) break;
    }
  }
  return buf;
}

std::string Registry::renderText() const {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mu_);
    collectors = collectors_;
  }
  for (auto& c : collectors) c();  // outside the lock: collectors may touch the registry

  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, e] : families_) {
    const char* type = e.type == Type::Counter ? "counter"
                       : e.type == Type::Gauge ? "gauge"
                                               : "histogram";
    auto header = [&](const std::string& help) {
      out += "# HELP " + name + " " + escapeHelp(help) + "\n";
      out += "# TYPE " + name + " " + type + "\n";
    };
    if (e.counter) {
      header(e.counter->help());
      e.counter->forEach([&](const auto& values, const Counter& c) {
        out += name + labelBlock(e.counter->labelNames(), values) + " " + formatValue(c.value()) +
               "\n";
      });
    } else if (e.gauge) {
      header(e.gauge->help());
      e.gauge->forEach([&](const auto& values, const Gauge& g) {
        out += name + labelBlock(e.gauge->labelNames(), values) + " " + formatValue(g.value()) +
               "\n";
      });
    } else if (e.histogram) {
      header(e.histogram->help());
      const auto& names = e.histogram->labelNames();
      e.histogram->forEach([&](const auto& values, const Histogram& h) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
          cumulative += h.bucketCount(i);
          std::string le = i < h.bounds().size() ? formatValue(h.bounds()[i]) : "+Inf";
          out += name + "_bucket" + labelBlock(names, values, "le", le) + " " +
                 std::to_string(cumulative) + "\n";
        }
        out += name + "_sum" + labelBlock(names, values) + " " + formatValue(h.sum()) + "\n";
        out += name + "_count" + labelBlock(names, values) + " " + std::to_string(h.count()) +
               "\n";
      });
    }
  }
  return out;
}

}  // namespace sb::metrics
