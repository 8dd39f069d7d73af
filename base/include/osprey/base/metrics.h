// Prometheus metrics: counters, gauges and histograms grouped in families
// whose label names are fixed at registration, rendered in the text
// exposition format 0.0.4 (what GET /metrics serves).
//
//   auto* requests = MetricsRegistry::Global().CounterFamily(
//       "osprey_http_requests_total", "HTTP requests by API and status.", {"api", "status"});
//   Counter* ok = requests->WithLabels({"PutRecord", "200"});  // cache this
//   ok->Increment();
//
// Cost model: WithLabels() looks the series up under the family's mutex and
// may allocate, so hot paths call it once and keep the pointer. Increment(),
// Set(), Add() and Observe() are lock-free relaxed atomics.
//
// Lifetime: families and series are never removed; every pointer the registry
// hands out stays valid for the registry's lifetime (Global() is never
// destroyed).
//
// Programming errors abort with a message on stderr rather than return a
// Status: invalid metric or label names, registering one name twice with a
// different type, label names or buckets, and WithLabels() with the wrong
// number of values. They are bugs at a call site, not runtime conditions.
//
// Thread safety: every method of every class here may be called from any
// thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace osprey {

// The Content-Type to serve RenderPrometheus() with.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// Upper bounds in seconds from 0.5 ms to 10 s, for request and I/O latencies.
std::vector<double> DefaultLatencyBuckets();

// A monotonically increasing integer. Integer rather than double so that
// concurrent increments sum exactly and counts render without rounding.
class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down, or one computed by a callback at render
// time (open connections, free disk space).
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Increment() { Add(1); }
  void Decrement() { Add(-1); }

  // While a callback is set, Value() and rendering return its result and
  // Set()/Add() have no visible effect. Pass nullptr to clear it. The callback
  // runs on the rendering thread without registry locks held; it must not
  // call SetCallback() on this gauge. Clearing waits for a running callback to
  // return, so after SetCallback(nullptr) the old callback's captures may be
  // destroyed.
  void SetCallback(std::function<double()> callback);

  double Value() const;

 private:
  std::atomic<double> value_{0};
  std::atomic<bool> has_callback_{false};  // lets Value() skip the mutex
  mutable std::mutex callback_mu_;
  std::function<double()> callback_;  // guarded by callback_mu_
};

// Counts observations into buckets with fixed upper bounds (inclusive, like
// Prometheus `le`) plus an implicit +Inf bucket, and keeps their sum.
class Histogram {
 public:
  // `bounds` must be strictly increasing and finite, and must outlive the
  // histogram (families own them).
  explicit Histogram(const std::vector<double>* bounds);

  // NaN observations are ignored: they would poison _sum forever.
  void Observe(double v);

  // Per-bucket cumulative counts: one per bound, then +Inf (== Count()).
  // A snapshot: concurrent Observe() calls may be partly included.
  std::vector<uint64_t> CumulativeCounts() const;
  uint64_t Count() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const { return *bounds_; }

 private:
  const std::vector<double>* bounds_;
  // Non-cumulative: counts_[i] holds observations in (bounds[i-1], bounds[i]];
  // the last slot is (bounds.back(), +Inf). Cumulated only when rendering, so
  // Observe() touches one bucket.
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

namespace metrics_internal {

enum class Type { kCounter, kGauge, kHistogram };

// What the registry keeps per name; see Family<M> for the typed interface.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> label_names,
             std::vector<double> bounds);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  Type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  const std::vector<double>& bounds() const { return bounds_; }

  // Appends this family's HELP, TYPE and sample lines; nothing when it has
  // no series yet.
  virtual void Render(std::string* out) const = 0;

 protected:
  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;  // histograms only
};

}  // namespace metrics_internal

// All series of one metric name, one per distinct tuple of label values.
// A family with no label names has exactly one series, created (at zero) on
// registration so that it renders before the first update.
template <typename M>
class Family final : public metrics_internal::FamilyBase {
 public:
  using FamilyBase::FamilyBase;

  // The series for these label values (in label-name order), created at zero
  // on first use. Aborts if the count differs from label_names().size().
  M* WithLabels(std::initializer_list<std::string_view> values);
  M* WithLabels(const std::vector<std::string>& values);

  void Render(std::string* out) const override;

 private:
  M* Find(std::vector<std::string> key);

  mutable std::mutex mu_;
  // Ordered by label values, which gives the stable render order.
  std::map<std::vector<std::string>, std::unique_ptr<M>> series_;  // guarded by mu_
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The process-wide registry that /metrics serves. Never destroyed, so
  // pointers into it stay valid during static destruction too.
  static MetricsRegistry& Global();

  // Registers a family, or returns the existing one when `name` was already
  // registered with the same type and label names (and bounds). `help` is
  // taken from the first registration.
  Family<Counter>* CounterFamily(std::string_view name, std::string_view help,
                                 std::vector<std::string> label_names = {});
  Family<Gauge>* GaugeFamily(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names = {});
  Family<Histogram>* HistogramFamily(std::string_view name, std::string_view help,
                                     std::vector<std::string> label_names = {},
                                     std::vector<double> bounds = DefaultLatencyBuckets());

  // Text exposition format 0.0.4: families sorted by name, series sorted by
  // label values, each family preceded by its # HELP and # TYPE lines.
  std::string RenderPrometheus() const;

 private:
  metrics_internal::FamilyBase* Register(std::string_view name, std::string_view help,
                                         metrics_internal::Type type,
                                         std::vector<std::string> label_names,
                                         std::vector<double> bounds);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<metrics_internal::FamilyBase>, std::less<>>
      families_;  // guarded by mu_
};

}  // namespace osprey
