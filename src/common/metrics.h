// SPDX-License-Identifier: Apache-2.0
// sb::metrics: a small Prometheus-style registry (counters, gauges, histograms with labels)
// rendered in the text exposition format 0.0.4. Any module may register; app/ owns the
// Registry and hands it out by reference. Thread-safe: values are atomics; looking up a label
// set takes a per-family mutex, so hot paths should keep the returned reference (it stays
// valid for the registry's lifetime).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sb::metrics {

class Counter {
 public:
  void inc(double v = 1.0) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double v) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // bounds: strictly increasing upper bounds; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v) noexcept;
  const std::vector<double>& bounds() const noexcept { return bounds_; }
  // Non-cumulative count of bucket i (i == bounds().size() is the +Inf overflow bucket).
  std::uint64_t bucketCount(std::size_t i) const noexcept;
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

std::vector<double> defaultLatencyBuckets();  // 0.5 ms .. 10 s, in seconds

enum class Type { Counter, Gauge, Histogram };

// One metric name with a fixed list of label names; children per label-value tuple.
template <typename M>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<M>()> make)
      : name_(std::move(name)), help_(std::move(help)), labels_(std::move(label_names)),
        make_(std::move(make)) {}
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  // values.size() must equal the label-name count (extra values are ignored, missing are "").
  M& with(std::vector<std::string> values) {
    values.resize(labels_.size());
    std::lock_guard lock(mu_);
    auto& slot = children_[values];
    if (!slot) slot = make_();
    return *slot;
  }
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labelNames() const { return labels_; }
  // Calls f(label_values, metric) for each child, in label order, under the family lock.
  template <typename F>
  void forEach(F&& f) const {
    std::lock_guard lock(mu_);
    for (const auto& [values, m] : children_) f(values, *m);
  }

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> labels_;
  std::function<std::unique_ptr<M>()> make_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;  // GUARDED_BY(mu_)
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering an existing name returns the existing family (its help and labels win).
  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]*; the caller owns that contract.
  CounterFamily& counter(std::string_view name, std::string_view help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& gauge(std::string_view name, std::string_view help,
                     std::vector<std::string> label_names = {});
  HistogramFamily& histogram(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names = {},
                             std::vector<double> bounds = defaultLatencyBuckets());

  // Runs before each render (e.g. to sample a queue length into a gauge). Any thread.
  void addCollector(std::function<void()> collect);

  // Text exposition format 0.0.4 (Content-Type: text/plain; version=0.0.4).
  std::string renderText() const;

 private:
  struct Entry {
    Type type;
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<GaugeFamily> gauge;
    std::unique_ptr<HistogramFamily> histogram;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> families_;  // GUARDED_BY(mu_)
  std::vector<std::function<void()>> collectors_;       // GUARDED_BY(mu_)
};

// Escapes a label value per the exposition format (backslash, double quote, newline).
std::string escapeLabelValue(std::string_view v);
// Formats a sample value: integers without a fraction, +Inf/-Inf/NaN spelled as Prometheus does.
std::string formatValue(double v);

}  // namespace sb::metrics
