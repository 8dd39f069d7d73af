#include "osprey/base/metrics.h"

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace osprey {
namespace {

TEST(MetricsTest, EmptyRegistryRendersNothing) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.RenderPrometheus(), "");
}

TEST(MetricsTest, CounterWithLabelsRendersExactText) {
  MetricsRegistry registry;
  auto* f = registry.CounterFamily("osprey_http_requests_total", "HTTP requests by API and status.",
                                   {"api", "status"});
  f->WithLabels({"PutRecord", "200"})->Increment();
  f->WithLabels({"PutRecord", "200"})->Increment(2);
  f->WithLabels({"GetRecords", "400"})->Increment();
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP osprey_http_requests_total HTTP requests by API and status.\n"
            "# TYPE osprey_http_requests_total counter\n"
            "osprey_http_requests_total{api=\"GetRecords\",status=\"400\"} 1\n"
            "osprey_http_requests_total{api=\"PutRecord\",status=\"200\"} 3\n");
}

TEST(MetricsTest, LabelledFamilyWithoutSeriesIsOmitted) {
  MetricsRegistry registry;
  registry.CounterFamily("a_total", "A.", {"x"});
  EXPECT_EQ(registry.RenderPrometheus(), "");
}

TEST(MetricsTest, UnlabelledFamilyRendersZeroBeforeFirstUpdate) {
  MetricsRegistry registry;
  registry.CounterFamily("osprey_restarts_total", "Restarts.");
  registry.GaugeFamily("osprey_up", "Whether the server is up.");
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP osprey_restarts_total Restarts.\n"
            "# TYPE osprey_restarts_total counter\n"
            "osprey_restarts_total 0\n"
            "# HELP osprey_up Whether the server is up.\n"
            "# TYPE osprey_up gauge\n"
            "osprey_up 0\n");
}

TEST(MetricsTest, FamiliesAreSortedByNameNotRegistrationOrder) {
  MetricsRegistry registry;
  registry.GaugeFamily("zeta", "Z.")->WithLabels({})->Set(1);
  registry.CounterFamily("alpha_total", "A.")->WithLabels({})->Increment();
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP alpha_total A.\n"
            "# TYPE alpha_total counter\n"
            "alpha_total 1\n"
            "# HELP zeta Z.\n"
            "# TYPE zeta gauge\n"
            "zeta 1\n");
}

TEST(MetricsTest, GaugeSetAddAndFormatting) {
  MetricsRegistry registry;
  auto* f = registry.GaugeFamily("g", "G.", {"k"});
  f->WithLabels({"a"})->Set(2.5);
  f->WithLabels({"b"})->Set(-0.0005);
  f->WithLabels({"c"})->Set(1e-7);
  Gauge* d = f->WithLabels({"d"});
  d->Increment();
  d->Increment();
  d->Decrement();
  d->Add(1e6);
  f->WithLabels({"e"})->Set(NAN);
  f->WithLabels({"f"})->Set(-INFINITY);
  f->WithLabels({"g"})->Set(123456.789);
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP g G.\n"
            "# TYPE g gauge\n"
            "g{k=\"a\"} 2.5\n"
            "g{k=\"b\"} -0.0005\n"
            "g{k=\"c\"} 1e-07\n"
            "g{k=\"d\"} 1000001\n"
            "g{k=\"e\"} NaN\n"
            "g{k=\"f\"} -Inf\n"
            "g{k=\"g\"} 123456.789\n");
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.CounterFamily("e_total", "Back\\slash, \"quotes\" and\nnewline.", {"v"})
      ->WithLabels({"a\\b\"c\nd"})
      ->Increment();
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP e_total Back\\\\slash, \"quotes\" and\\nnewline.\n"
            "# TYPE e_total counter\n"
            "e_total{v=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  MetricsRegistry registry;
  auto* f = registry.HistogramFamily("osprey_put_seconds", "PutRecord latency.", {"api"},
                                     {0.1, 0.5, 1});
  Histogram* h = f->WithLabels({"PutRecord"});
  h->Observe(0.05);
  h->Observe(0.1);  // inclusive upper bound: lands in le="0.1"
  h->Observe(0.3);
  h->Observe(4);
  EXPECT_EQ(h->Count(), 4u);
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP osprey_put_seconds PutRecord latency.\n"
            "# TYPE osprey_put_seconds histogram\n"
            "osprey_put_seconds_bucket{api=\"PutRecord\",le=\"0.1\"} 2\n"
            "osprey_put_seconds_bucket{api=\"PutRecord\",le=\"0.5\"} 3\n"
            "osprey_put_seconds_bucket{api=\"PutRecord\",le=\"1\"} 3\n"
            "osprey_put_seconds_bucket{api=\"PutRecord\",le=\"+Inf\"} 4\n"
            "osprey_put_seconds_sum{api=\"PutRecord\"} 4.45\n"
            "osprey_put_seconds_count{api=\"PutRecord\"} 4\n");
}

TEST(MetricsTest, UnlabelledHistogramAndIgnoredNaN) {
  MetricsRegistry registry;
  Histogram* h = registry.HistogramFamily("h", "H.", {}, {1, 2})->WithLabels({});
  h->Observe(1.5);
  h->Observe(NAN);
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP h H.\n"
            "# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 0\n"
            "h_bucket{le=\"2\"} 1\n"
            "h_bucket{le=\"+Inf\"} 1\n"
            "h_sum 1.5\n"
            "h_count 1\n");
}

TEST(MetricsTest, DefaultLatencyBucketsRenderAsWritten) {
  MetricsRegistry registry;
  registry.HistogramFamily("lat_seconds", "L.");
  std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.0005\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.0025\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"10\"} 0\n"), std::string::npos) << text;
  EXPECT_EQ(DefaultLatencyBuckets().front(), 0.0005);
  EXPECT_EQ(DefaultLatencyBuckets().back(), 10);
}

TEST(MetricsTest, SameRegistrationReturnsSameFamilyAndSeries) {
  MetricsRegistry registry;
  auto* a = registry.CounterFamily("c_total", "C.", {"x"});
  auto* b = registry.CounterFamily("c_total", "C.", {"x"});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a->WithLabels({"1"}), b->WithLabels({std::string("1")}));
  auto* h1 = registry.HistogramFamily("h", "H.", {}, {1, 2});
  auto* h2 = registry.HistogramFamily("h", "H.", {}, {1, 2, INFINITY});  // +Inf is implicit
  EXPECT_EQ(h1, h2);
}

TEST(MetricsTest, GaugeCallbackIsEvaluatedAtRenderTime) {
  MetricsRegistry registry;
  Gauge* g = registry.GaugeFamily("osprey_open_connections", "Open connections.")->WithLabels({});
  int connections = 3;
  g->SetCallback([&connections] { return static_cast<double>(connections); });
  connections = 7;
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP osprey_open_connections Open connections.\n"
            "# TYPE osprey_open_connections gauge\n"
            "osprey_open_connections 7\n");
  g->SetCallback(nullptr);
  g->Set(1);
  EXPECT_EQ(g->Value(), 1);
}

TEST(MetricsTest, CallbackMayUseTheRegistryWithoutDeadlock) {
  MetricsRegistry registry;
  Gauge* g = registry.GaugeFamily("g", "G.")->WithLabels({});
  g->SetCallback([&registry] {
    registry.CounterFamily("late_total", "Registered from a callback.");
    return 1.0;
  });
  EXPECT_NE(registry.RenderPrometheus().find("g 1\n"), std::string::npos);
}

TEST(MetricsTest, ConcurrentIncrementsSumExactly) {
  MetricsRegistry registry;
  auto* f = registry.CounterFamily("n_total", "N.", {"t"});
  auto* hf = registry.HistogramFamily("d", "D.", {}, {0.5});
  auto* gauge = registry.GaugeFamily("level", "L.")->WithLabels({});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter* shared = f->WithLabels({"shared"});
      for (int i = 0; i < kPerThread; ++i) {
        shared->Increment();
        // Lookups race with creation of the same and of other series.
        f->WithLabels({std::to_string(t % 3)})->Increment();
        hf->WithLabels({})->Observe(i % 2 == 0 ? 0.25 : 1.0);
        gauge->Add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(f->WithLabels({"shared"})->Value(), uint64_t{kThreads} * kPerThread);
  uint64_t per_key = 0;
  for (const char* k : {"0", "1", "2"}) per_key += f->WithLabels({k})->Value();
  EXPECT_EQ(per_key, uint64_t{kThreads} * kPerThread);
  Histogram* h = hf->WithLabels({});
  EXPECT_EQ(h->Count(), uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(h->CumulativeCounts()[0], uint64_t{kThreads} * kPerThread / 2);
  EXPECT_DOUBLE_EQ(h->Sum(), kThreads * kPerThread / 2 * 1.25);
  EXPECT_DOUBLE_EQ(gauge->Value(), kThreads * kPerThread);
}

TEST(MetricsTest, GlobalIsOneInstance) {
  EXPECT_EQ(&MetricsRegistry::Global(), &MetricsRegistry::Global());
}

using MetricsDeathTest = ::testing::Test;

TEST_F(MetricsDeathTest, ReRegisteringWithDifferentTypeOrLabelsAborts) {
  MetricsRegistry registry;
  registry.CounterFamily("x_total", "X.", {"a"});
  EXPECT_DEATH(registry.GaugeFamily("x_total", "X.", {"a"}), "x_total: registered again");
  EXPECT_DEATH(registry.CounterFamily("x_total", "X.", {"b"}), "x_total: registered again");
  registry.HistogramFamily("h", "H.", {}, {1});
  EXPECT_DEATH(registry.HistogramFamily("h", "H.", {}, {2}), "h: registered again");
}

TEST_F(MetricsDeathTest, InvalidNamesAndLabelCountsAbort) {
  MetricsRegistry registry;
  EXPECT_DEATH(registry.CounterFamily("9bad", "B."), "invalid metric name \"9bad\"");
  EXPECT_DEATH(registry.CounterFamily("ok_total", "B.", {"__x"}), "invalid label name \"__x\"");
  EXPECT_DEATH(registry.HistogramFamily("h", "H.", {"le"}), "reserve the label \"le\"");
  EXPECT_DEATH(registry.HistogramFamily("h2", "H.", {}, {2, 1}), "strictly increasing");
  auto* f = registry.CounterFamily("two_total", "T.", {"a", "b"});
  EXPECT_DEATH(f->WithLabels({"only-one"}), "got 1 values for 2 labels");
}

}  // namespace
}  // namespace osprey
