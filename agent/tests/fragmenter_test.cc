// Fragmenter unit tests on synthetic access units, and one test feeding a
// real videotestsrc ! x264enc pipeline through the GStreamer capture source.
#include "osprey/agent/fragmenter.h"

#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "osprey/fragments/mkv_parser.h"

namespace osprey::agent {
namespace {

struct CollectingSink : FragmentSink {
  Status OnFragment(const Fragment& f) override {
    fragments.push_back(f);
    return Status::Ok();
  }
  std::vector<Fragment> fragments;
};

// avcC v1 with 4-byte NAL lengths and no SPS/PPS (enough for the fragmenter).
std::string FakeAvcc() { return std::string("\x01\x64\x00\x1f\xff\xe0\x00", 7); }

std::string Nal(uint8_t type, size_t size = 20) {
  std::string s = {0, 0, 0, static_cast<char>(size)};
  s.push_back(static_cast<char>(0x60 | type));
  s.append(size - 1, 'x');
  return s;
}

AccessUnit Unit(int64_t ms, bool idr, bool key_hint = false) {
  AccessUnit u;
  u.capture_time_ms = ms;
  u.data = idr ? Nal(7) + Nal(8) + Nal(5) : Nal(1);
  u.key_hint = idr || key_hint;
  return u;
}

TEST(ContainsIdrTest, FindsType5AmongNals) {
  std::string au = Nal(9) + Nal(7) + Nal(8) + Nal(5);
  auto span = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(au.data()), au.size());
  EXPECT_TRUE(ContainsIdr(span, 4));
  std::string p = Nal(1);
  EXPECT_FALSE(ContainsIdr({reinterpret_cast<const uint8_t*>(p.data()), p.size()}, 4));
  std::string bad = "\x00\x00\x00\xff\x65";
  EXPECT_FALSE(ContainsIdr({reinterpret_cast<const uint8_t*>(bad.data()), bad.size()}, 4));
}

TEST(FragmenterTest, CutsAtIdrOnlyNotAtKeyHints) {
  CollectingSink sink;
  Fragmenter f({}, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  const int64_t t0 = 1700000000000;
  for (int i = 0; i < 100; ++i) {  // 10 fps, IDR every 20 frames, I (non-IDR) every 10
    f.OnAccessUnit(Unit(t0 + i * 100, i % 20 == 0, i % 10 == 0));
  }
  f.Flush();
  ASSERT_EQ(sink.fragments.size(), 5u);
  for (size_t i = 0; i < sink.fragments.size(); ++i) {
    EXPECT_EQ(sink.fragments[i].producer_timestamp_ms, t0 + static_cast<int64_t>(i) * 2000);
    EXPECT_EQ(sink.fragments[i].frames, 20u);
  }
}

TEST(FragmenterTest, ShortGopIsGroupedUpToTheTarget) {
  CollectingSink sink;
  Fragmenter f({}, &sink);  // target 2 s
  f.OnFormat({FakeAvcc(), 320, 240});
  for (int i = 0; i < 90; ++i) {  // 15 fps, IDR every second
    f.OnAccessUnit(Unit(1000 + i * 1000 / 15, i % 15 == 0));
  }
  f.Flush();
  ASSERT_EQ(sink.fragments.size(), 3u);
  EXPECT_EQ(sink.fragments[0].frames, 30u);
  EXPECT_EQ(sink.fragments[1].producer_timestamp_ms - sink.fragments[0].producer_timestamp_ms,
            2000);
}

TEST(FragmenterTest, DropsUntilFirstIdr) {
  CollectingSink sink;
  Fragmenter f({}, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  f.OnAccessUnit(Unit(1000, false));
  f.OnAccessUnit(Unit(1100, false));
  f.OnAccessUnit(Unit(1200, true));
  f.Flush();
  ASSERT_EQ(sink.fragments.size(), 1u);
  EXPECT_EQ(sink.fragments[0].producer_timestamp_ms, 1200);
  EXPECT_EQ(f.stats().dropped_units, 2u);
}

TEST(FragmenterTest, RepairsNonIncreasingTimestamps) {
  CollectingSink sink;
  Fragmenter f({}, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  f.OnAccessUnit(Unit(1000, true));
  f.OnAccessUnit(Unit(1000, false));
  f.OnAccessUnit(Unit(990, false));
  f.OnAccessUnit(Unit(1100, false));
  f.Flush();
  EXPECT_EQ(f.stats().repaired_timestamps, 2u);
  ASSERT_EQ(sink.fragments.size(), 1u);
  EXPECT_EQ(sink.fragments[0].duration_ms, 100);
}

TEST(FragmenterTest, ClockJumpIsADiscontinuity) {
  CollectingSink sink;
  Fragmenter f({}, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  f.OnAccessUnit(Unit(10000, true));
  f.OnAccessUnit(Unit(10100, false));
  f.OnAccessUnit(Unit(2000, false));  // clock stepped back 8 s
  f.OnAccessUnit(Unit(2100, true));
  f.OnAccessUnit(Unit(2200, false));
  f.Flush();
  ASSERT_EQ(sink.fragments.size(), 2u);
  EXPECT_FALSE(sink.fragments[0].discontinuity);
  EXPECT_TRUE(sink.fragments[1].discontinuity);
  // Time continues from the previous frame instead of going back.
  EXPECT_GT(sink.fragments[1].producer_timestamp_ms, 10100);
  EXPECT_EQ(f.stats().discontinuities, 1u);
}

TEST(FragmenterTest, StaysAboveMinimumTimestamp) {
  CollectingSink sink;
  FragmenterOptions o;
  o.min_timestamp_ms = 5000;
  Fragmenter f(o, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  f.OnAccessUnit(Unit(4000, true));
  f.Flush();
  ASSERT_EQ(sink.fragments.size(), 1u);
  EXPECT_EQ(sink.fragments[0].producer_timestamp_ms, 5001);
}

TEST(FragmenterTest, LongGopIsCutAtMaximumAndWaitsForIdr) {
  CollectingSink sink;
  FragmenterOptions o;
  o.max_fragment_ms = 1000;
  Fragmenter f(o, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  for (int i = 0; i < 15; ++i) f.OnAccessUnit(Unit(i * 100, i == 0));
  f.OnAccessUnit(Unit(1500, true));
  f.Flush();
  ASSERT_EQ(sink.fragments.size(), 2u);
  EXPECT_EQ(sink.fragments[1].producer_timestamp_ms, 1500);
  EXPECT_EQ(f.stats().dropped_units, 5u);  // frames at 1000..1400 ms
}

// Parses a fragment (stream header + cluster) back and returns its frames'
// timecodes, checking the first frame is an IDR.
struct FrameCollector : fragments::MkvHandler {
  Status OnFrame(const fragments::Frame& frame) override {
    timecodes.push_back(frame.timecode);
    if (timecodes.size() == 1) {
      first_is_idr = ContainsIdr(frame.payload, 4);
    }
    return Status::Ok();
  }
  std::vector<int64_t> timecodes;
  bool first_is_idr = false;
};

TEST(FragmenterGstTest, VideotestsrcFragmentsStartWithIdr) {
  CaptureOptions co;
  co.kind = SourceKind::kTestPattern;
  co.width = 320;
  co.height = 240;
  co.fps = 20;
  co.fragment_ms = 1000;
  auto source = OpenGstCaptureSource(co);
  ASSERT_TRUE(source.ok());

  struct CountingSink : CaptureSink {
    explicit CountingSink(Fragmenter* f) : f(f) {}
    void OnFormat(const VideoFormat& v) override { f->OnFormat(v); }
    void OnAccessUnit(AccessUnit u) override {
      if (ContainsIdr({reinterpret_cast<const uint8_t*>(u.data.data()), u.data.size()}, 4)) ++idrs;
      f->OnAccessUnit(std::move(u));
    }
    void OnEnd(const Status& s) override { f->OnEnd(s); }
    Fragmenter* f;
    int idrs = 0;
  };
  CollectingSink fragments_out;
  FragmenterOptions fo;
  fo.target_ms = 1000;
  Fragmenter fragmenter(fo, &fragments_out);
  CountingSink sink(&fragmenter);
  ASSERT_TRUE((*source)->Start(&sink).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));
  (*source)->Stop();
  fragmenter.Flush();

  ASSERT_GE(sink.idrs, 4);
  EXPECT_EQ(static_cast<int>(fragments_out.fragments.size()), sink.idrs);
  int64_t previous = 0;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  for (const Fragment& fr : fragments_out.fragments) {
    EXPECT_NEAR(static_cast<double>(fr.producer_timestamp_ms), static_cast<double>(now_ms), 10000.0);
    FrameCollector frames;
    fragments::MkvParser parser(&frames);
    ASSERT_TRUE(parser.Feed({reinterpret_cast<const uint8_t*>(fr.stream_header.data()),
                             fr.stream_header.size()}).ok());
    ASSERT_TRUE(parser.Feed({reinterpret_cast<const uint8_t*>(fr.cluster.data()),
                             fr.cluster.size()}).ok());
    ASSERT_TRUE(parser.Finish().ok());
    ASSERT_FALSE(frames.timecodes.empty());
    EXPECT_TRUE(frames.first_is_idr);
    EXPECT_EQ(frames.timecodes.front(), fr.producer_timestamp_ms);
    for (int64_t t : frames.timecodes) {
      EXPECT_GT(t, previous);
      previous = t;
    }
  }
  // Fragments of the target length (all but the last, cut by Stop()).
  for (size_t i = 0; i + 1 < fragments_out.fragments.size(); ++i) {
    int64_t len = fragments_out.fragments[i + 1].producer_timestamp_ms -
                  fragments_out.fragments[i].producer_timestamp_ms;
    EXPECT_NEAR(static_cast<double>(len), 1000.0, 150.0);
  }
}

}  // namespace
}  // namespace osprey::agent
