#include "osprey/base/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace osprey {
namespace {

using metrics_internal::FamilyBase;
using metrics_internal::Type;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "metrics: %s\n", message.c_str());
  std::abort();
}

bool IsMetricName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsLabelName(std::string_view s) {
  return IsMetricName(s) && s.find(':') == std::string_view::npos && !s.starts_with("__");
}

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kCounter: return "counter";
    case Type::kGauge: return "gauge";
    case Type::kHistogram: return "histogram";
  }
  return "untyped";
}

// Formats like Go's strconv.FormatFloat(v, 'g', -1, 64), which the reference
// client uses, except that plain notation is kept up to 1e21: shortest
// round-trip digits, so 0.0005 stays "0.0005" rather than "5e-04" and bucket
// bounds read as written.
void AppendDouble(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (v == 0) {  // also folds -0 into "0"
    out->push_back('0');
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(end - buf));  // e.g. "-1.25e-04"
  bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+'), sci.data() + sci.size(), exp);
  if (negative) out->push_back('-');
  if (exp < -4 || exp >= 21) {
    out->append(sci);
    return;
  }
  if (exp < 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-exp - 1), '0');
    out->append(digits);
    return;
  }
  size_t int_len = static_cast<size_t>(exp) + 1;
  if (digits.size() <= int_len) {
    out->append(digits);
    out->append(int_len - digits.size(), '0');
  } else {
    out->append(digits, 0, int_len);
    out->push_back('.');
    out->append(digits, int_len);
  }
}

// HELP text escapes backslash and newline; label values also escape quotes.
void AppendEscaped(std::string* out, std::string_view s, bool escape_quote) {
  for (char c : s) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && escape_quote) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

// Appends `{a="x",b="y"}` (with `le` last when given), or nothing when there
// are no labels at all.
void AppendLabels(std::string* out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, const std::string* le = nullptr) {
  if (names.empty() && le == nullptr) return;
  out->push_back('{');
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append(names[i]);
    out->append("=\"");
    AppendEscaped(out, values[i], true);
    out->push_back('"');
  }
  if (le != nullptr) {
    if (!names.empty()) out->push_back(',');
    out->append("le=\"");
    out->append(*le);
    out->push_back('"');
  }
  out->push_back('}');
}

}  // namespace

std::vector<double> DefaultLatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void Gauge::SetCallback(std::function<double()> callback) {
  std::lock_guard<std::mutex> lock(callback_mu_);
  has_callback_.store(callback != nullptr, std::memory_order_release);
  callback_ = std::move(callback);
}

double Gauge::Value() const {
  if (has_callback_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(callback_mu_);
    if (callback_) return callback_();
  }
  return value_.load(std::memory_order_relaxed);
}

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds->size() + 1)) {}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;
  // First bound >= v: buckets are inclusive of their upper bound.
  size_t i = static_cast<size_t>(std::lower_bound(bounds_->begin(), bounds_->end(), v) -
                                 bounds_->begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out(bounds_->size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

uint64_t Histogram::Count() const { return CumulativeCounts().back(); }

namespace metrics_internal {

FamilyBase::FamilyBase(std::string name, std::string help, Type type,
                       std::vector<std::string> label_names, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

}  // namespace metrics_internal

template <typename M>
M* Family<M>::WithLabels(std::initializer_list<std::string_view> values) {
  return Find(std::vector<std::string>(values.begin(), values.end()));
}

template <typename M>
M* Family<M>::WithLabels(const std::vector<std::string>& values) {
  return Find(values);
}

template <typename M>
M* Family<M>::Find(std::vector<std::string> key) {
  if (key.size() != label_names_.size()) {
    Die(name_ + ": WithLabels() got " + std::to_string(key.size()) + " values for " +
        std::to_string(label_names_.size()) + " labels");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = series_.find(key);
  if (it != series_.end()) return it->second.get();
  std::unique_ptr<M> series;
  if constexpr (std::is_same_v<M, Histogram>) {
    series = std::make_unique<Histogram>(&bounds_);
  } else {
    series = std::make_unique<M>();
  }
  M* raw = series.get();
  series_.emplace(std::move(key), std::move(series));
  return raw;
}

template <typename M>
void Family<M>::Render(std::string* out) const {
  // Snapshot the series under the lock and read values outside it, so gauge
  // callbacks never run with a registry lock held.
  std::vector<std::pair<const std::vector<std::string>*, const M*>> snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot.reserve(series_.size());
    for (const auto& [labels, series] : series_) snapshot.emplace_back(&labels, series.get());
  }
  if (snapshot.empty()) return;
  out->append("# HELP ").append(name_).push_back(' ');
  AppendEscaped(out, help_, false);
  out->append("\n# TYPE ").append(name_).push_back(' ');
  out->append(TypeName(type_)).push_back('\n');
  for (const auto& [labels, series] : snapshot) {
    if constexpr (std::is_same_v<M, Histogram>) {
      std::vector<uint64_t> cumulative = series->CumulativeCounts();
      std::string le;
      for (size_t i = 0; i < cumulative.size(); ++i) {
        le.clear();
        if (i < bounds_.size()) {
          AppendDouble(&le, bounds_[i]);
        } else {
          le = "+Inf";
        }
        out->append(name_).append("_bucket");
        AppendLabels(out, label_names_, *labels, &le);
        out->append(" ").append(std::to_string(cumulative[i])).push_back('\n');
      }
      out->append(name_).append("_sum");
      AppendLabels(out, label_names_, *labels);
      out->push_back(' ');
      AppendDouble(out, series->Sum());
      out->append("\n").append(name_).append("_count");
      AppendLabels(out, label_names_, *labels);
      // _count is the +Inf bucket of the same snapshot, so they always agree.
      out->append(" ").append(std::to_string(cumulative.back())).push_back('\n');
    } else {
      out->append(name_);
      AppendLabels(out, label_names_, *labels);
      out->push_back(' ');
      if constexpr (std::is_same_v<M, Counter>) {
        out->append(std::to_string(series->Value()));
      } else {
        AppendDouble(out, series->Value());
      }
      out->push_back('\n');
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

MetricsRegistry& MetricsRegistry::Global() {
  static MetricsRegistry* const registry = new MetricsRegistry();
  return *registry;
}

Family<Counter>* MetricsRegistry::CounterFamily(std::string_view name, std::string_view help,
                                                std::vector<std::string> label_names) {
  return static_cast<Family<Counter>*>(
      Register(name, help, Type::kCounter, std::move(label_names), {}));
}

Family<Gauge>* MetricsRegistry::GaugeFamily(std::string_view name, std::string_view help,
                                            std::vector<std::string> label_names) {
  return static_cast<Family<Gauge>*>(
      Register(name, help, Type::kGauge, std::move(label_names), {}));
}

Family<Histogram>* MetricsRegistry::HistogramFamily(std::string_view name, std::string_view help,
                                                    std::vector<std::string> label_names,
                                                    std::vector<double> bounds) {
  return static_cast<Family<Histogram>*>(
      Register(name, help, Type::kHistogram, std::move(label_names), std::move(bounds)));
}

FamilyBase* MetricsRegistry::Register(std::string_view name, std::string_view help, Type type,
                                      std::vector<std::string> label_names,
                                      std::vector<double> bounds) {
  std::string n(name);
  if (!IsMetricName(name)) Die("invalid metric name \"" + n + "\"");
  for (size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!IsLabelName(label)) Die(n + ": invalid label name \"" + label + "\"");
    if (type == Type::kHistogram && label == "le") Die(n + ": histograms reserve the label \"le\"");
    if (std::find(label_names.begin(), label_names.begin() + i, label) != label_names.begin() + i) {
      Die(n + ": duplicate label name \"" + label + "\"");
    }
  }
  // A trailing +Inf is implicit in every histogram; accept it as a courtesy.
  if (!bounds.empty() && bounds.back() == INFINITY) bounds.pop_back();
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      Die(n + ": histogram bounds must be finite and strictly increasing");
    }
  }

  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    FamilyBase* existing = it->second.get();
    if (existing->type() != type || existing->label_names() != label_names ||
        existing->bounds() != bounds) {
      Die(n + ": registered again as a different " + std::string(TypeName(type)) +
          " (type, label names or buckets differ from the first registration as " +
          std::string(TypeName(existing->type())) + ")");
    }
    return existing;
  }
  std::unique_ptr<FamilyBase> family;
  std::string h(help);
  switch (type) {
    case Type::kCounter:
      family = std::make_unique<Family<Counter>>(n, h, type, std::move(label_names), std::move(bounds));
      break;
    case Type::kGauge:
      family = std::make_unique<Family<Gauge>>(n, h, type, std::move(label_names), std::move(bounds));
      break;
    case Type::kHistogram:
      family = std::make_unique<Family<Histogram>>(n, h, type, std::move(label_names), std::move(bounds));
      break;
  }
  FamilyBase* raw = family.get();
  families_.emplace(std::move(n), std::move(family));
  // Label-less families have exactly one series; create it now so it renders
  // as 0 before its first update, as Prometheus clients do.
  if (raw->label_names().empty()) {
    switch (type) {
      case Type::kCounter: static_cast<Family<Counter>*>(raw)->WithLabels({}); break;
      case Type::kGauge: static_cast<Family<Gauge>*>(raw)->WithLabels({}); break;
      case Type::kHistogram: static_cast<Family<Histogram>*>(raw)->WithLabels({}); break;
    }
  }
  return raw;
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::vector<const FamilyBase*> families;
  {
    std::lock_guard<std::mutex> lock(mu_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family.get());
  }
  std::string out;
  for (const FamilyBase* family : families) family->Render(&out);
  return out;
}

}  // namespace osprey
