// IngestSession: every ERROR ack (video-api.md 4.3). Each case checks the
// ErrorId, which fragment the ERROR names, that the errored fragment is not
// stored, that fragments received before it are stored and PERSISTED before
// the ERROR, and that the ERROR is the session's last ack.
#include <gtest/gtest.h>

#include "ingest_test_util.h"
#include "mkv_builder.h"
#include "osprey/fragments/fragment_number.h"

namespace osprey::fragments::testing {
namespace {

std::string Number(uint64_t index) { return FormatFragmentNumber(1'600'000'000'000, index); }

// Runs `bytes` through a session; checks the common error contract.
struct ErrorRun {
  std::vector<Ack> acks;
  std::vector<StoredFragment> stored;
  Ack error;
};

ErrorRun RunExpectingError(const std::string& bytes, int error_id, IngestOptions options = {},
                           size_t chunk = 0) {
  IngestHarness h(options);
  if (chunk == 0) {
    h.session->Feed(bytes);
  } else {
    for (size_t at = 0; at < bytes.size(); at += chunk) h.session->Feed(bytes.substr(at, chunk));
  }
  h.session->EndOfBody();
  ErrorRun run;
  run.acks = h.Acks();
  run.stored = h.log->All();
  EXPECT_EQ(h.DoneCalls(), 1);
  EXPECT_EQ(h.Summary().error_id, error_id) << h.Summary().error_message;
  EXPECT_FALSE(run.acks.empty());
  if (run.acks.empty()) return run;
  run.error = run.acks.back();
  EXPECT_EQ(run.error.type, AckType::kError);
  EXPECT_EQ(run.error.error_id, error_id) << run.error.message;
  EXPECT_EQ(h.Count(AckType::kError), 1u);
  // Every stored fragment was PERSISTED, and nothing else was.
  EXPECT_EQ(h.Count(AckType::kPersisted), run.stored.size());
  // More bytes after the error change nothing.
  h.session->Feed(bytes);
  EXPECT_EQ(h.Acks().size(), run.acks.size());
  return run;
}

std::string OneTrackStart() { return StreamStart(); }
std::string UnknownCluster(uint64_t tc, const std::string& blocks) {
  return Unknown(id::kCluster, Uint(id::kTimecode, tc) + blocks);
}

TEST(IngestErrorsTest, MoreThanThreeTracksIs4012) {
  ProducerStream s = MakeProducerStream(Spec(1, true, 4));
  ErrorRun r = RunExpectingError(s.bytes, 4012);
  EXPECT_TRUE(r.stored.empty());
  EXPECT_FALSE(r.error.fragment_timecode);  // no fragment yet
  EXPECT_EQ(EncodeAck(r.error),
            "{\"EventType\":\"ERROR\",\"ErrorId\":4012,\"ErrorCode\":\"MORE_THAN_ALLOWED_TRACKS_FOUND\"}\n");
}

TEST(IngestErrorsTest, BlockOfAnUndeclaredTrackIs4010) {
  std::string bytes = OneTrackStart() + UnknownCluster(10, Simple(1, 0, 0x80, "a")) +
                      UnknownCluster(20, Simple(1, 0, 0x80, "b") + Simple(2, 1, 0, "x"));
  ErrorRun r = RunExpectingError(bytes, 4010);
  ASSERT_EQ(r.stored.size(), 1u);
  EXPECT_EQ(r.error.fragment_timecode, 20u);
  EXPECT_EQ(r.error.fragment_number, Number(2));
}

TEST(IngestErrorsTest, TrackWithoutFramesInAFragmentIs4011) {
  StreamSpec spec = Spec(1, true, 2);
  ProducerStream ok = MakeProducerStream(spec);
  // Then a cluster with only track 1.
  std::string bytes = ok.bytes + UnknownCluster(1'700'000'001'000, Simple(1, 0, 0x80, "k"));
  ErrorRun r = RunExpectingError(bytes, 4011);
  ASSERT_EQ(r.stored.size(), 1u);
  EXPECT_EQ(r.stored[0].cluster, ok.clusters[0]);
  EXPECT_EQ(r.error.fragment_number, Number(2));
}

TEST(IngestErrorsTest, OversizedFragmentIs4001BothStreamedAndDeclared) {
  IngestOptions o;
  o.limits.max_fragment_bytes = 2000;
  std::string big(3000, 'x');
  std::string streamed = OneTrackStart() + UnknownCluster(10, Simple(1, 0, 0x80, "a")) +
                         UnknownCluster(20, Simple(1, 0, 0x80, "b") + Simple(1, 1, 0, big));
  for (size_t chunk : {size_t{0}, size_t{100}, size_t{1}}) {
    ErrorRun r = RunExpectingError(streamed, 4001, o, chunk);
    ASSERT_EQ(r.stored.size(), 1u) << chunk;
    EXPECT_EQ(r.error.fragment_number, Number(2)) << chunk;
  }
  // Many small frames: the Cluster grows past the limit.
  std::string blocks;
  for (int i = 0; i < 100; ++i) blocks += Simple(1, static_cast<int16_t>(i), i == 0 ? 0x80 : 0, std::string(50, 'y'));
  ErrorRun grown = RunExpectingError(OneTrackStart() + UnknownCluster(10, blocks), 4001, o, 64);
  EXPECT_TRUE(grown.stored.empty());
  // A known-size Cluster declaring more than the limit fails at its header.
  std::string declared = OneTrackStart() + El(id::kCluster, Uint(id::kTimecode, 5) +
                                                                Simple(1, 0, 0x80, big));
  RunExpectingError(declared, 4001, o);
}

TEST(IngestErrorsTest, FragmentLongerThanTheLimitIs4002) {
  // A frame 10.001 s after the Cluster Timecode.
  std::string late = OneTrackStart() + UnknownCluster(0, Simple(1, 0, 0x80, "k") +
                                                             Simple(1, 10001, 0, "p"));
  ErrorRun r = RunExpectingError(late, 4002);
  EXPECT_TRUE(r.stored.empty());
  EXPECT_EQ(r.error.fragment_timecode, 0u);
  // Last frame at exactly 10 s: only the frame-duration estimate (10 s over
  // one interval) takes it past the limit, when the Cluster ends.
  std::string edge = OneTrackStart() + UnknownCluster(0, Simple(1, 0, 0x80, "k") +
                                                             Simple(1, 10000, 0, "p"));
  RunExpectingError(edge, 4002);
  // 300 frames 33 ms apart (9.867 s + 33 ms) is fine.
  std::string blocks;
  for (int i = 0; i < 300; ++i) blocks += Simple(1, static_cast<int16_t>(i * 33), i == 0 ? 0x80 : 0, "f");
  IngestHarness h;
  h.session->Feed(OneTrackStart() + UnknownCluster(0, blocks));
  h.session->EndOfBody();
  EXPECT_EQ(h.Summary().error_id, 0);
  ASSERT_EQ(h.log->All().size(), 1u);
  EXPECT_EQ(h.log->All()[0].meta.duration_ms, 9900);
}

TEST(IngestErrorsTest, FrameNotLaterThanThePreviousFragmentIs4004) {
  // Cluster 2 starts at the previous fragment's last frame (the classic
  // producer-sdk #386 case): strictly later is required.
  std::string equal = OneTrackStart() +
                      UnknownCluster(100, Simple(1, 0, 0x80, "a") + Simple(1, 40, 0, "b")) +
                      UnknownCluster(140, Simple(1, 0, 0x80, "c"));
  ErrorRun r = RunExpectingError(equal, 4004);
  ASSERT_EQ(r.stored.size(), 1u);
  EXPECT_EQ(r.error.fragment_timecode, 140u);
  EXPECT_EQ(r.error.fragment_number, Number(2));
  EXPECT_EQ(r.error.message,
            "frame timecode 140 is not later than the previous fragment's last frame 140");
  // A Cluster Timecode going backwards (the parser's own check).
  std::string back = OneTrackStart() + UnknownCluster(100, Simple(1, 0, 0x80, "a")) +
                     UnknownCluster(50, Simple(1, 0, 0x80, "c"));
  ErrorRun b = RunExpectingError(back, 4004);
  ASSERT_EQ(b.stored.size(), 1u);
}

TEST(IngestErrorsTest, GarbageAndTruncationAre4006) {
  ErrorRun garbage = RunExpectingError("this is not matroska at all", 4006);
  EXPECT_TRUE(garbage.stored.empty());
  EXPECT_TRUE(garbage.acks.size() == 1);

  ProducerStream s = MakeProducerStream(Spec(2, false));
  std::string cut = s.bytes.substr(0, s.bytes.size() - 7);  // inside the last block
  ErrorRun r = RunExpectingError(cut, 4006);
  ASSERT_EQ(r.stored.size(), 1u);
  EXPECT_EQ(r.stored[0].cluster, s.clusters[0]);
  EXPECT_EQ(r.error.fragment_number, Number(2));

  // A second EBML header + Segment in one PutMedia.
  ProducerStream one = MakeProducerStream(Spec(1));
  ErrorRun twice = RunExpectingError(one.bytes + one.bytes, 4006);
  EXPECT_EQ(twice.stored.size(), 1u);
}

TEST(IngestErrorsTest, ProducerTimestampOutOfRangeIs4007) {
  // ABSOLUTE: 2^61 ms is far past the year 9999.
  std::string bytes = OneTrackStart() + UnknownCluster(uint64_t{1} << 61, Simple(1, 0, 0x80, "a"));
  ErrorRun r = RunExpectingError(bytes, 4007);
  EXPECT_TRUE(r.stored.empty());
  EXPECT_EQ(r.error.fragment_timecode, uint64_t{1} << 61);
  // RELATIVE with a start that pushes it past the range.
  IngestOptions o;
  o.timecode_type = TimecodeType::kRelative;
  o.producer_start_ms = 253'402'300'799'000;
  RunExpectingError(OneTrackStart() + UnknownCluster(5000, Simple(1, 0, 0x80, "a")), 4007, o);
}

TEST(IngestErrorsTest, MetadataLimitsAre4009) {
  auto with_tags = [](std::vector<SimpleTag> tags) {
    StreamSpec spec = Spec(2);
    spec.metadata_before = {{1, tags}};
    return MakeProducerStream(spec).bytes;
  };
  std::vector<SimpleTag> eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back({"k" + std::to_string(i), "v"});
  std::vector<SimpleTag> ten(eleven.begin(), eleven.begin() + 10);
  for (const auto& tags : std::vector<std::vector<SimpleTag>>{
           eleven,
           {{std::string(129, 'n'), "v"}},
           {{"name", std::string(257, 'v')}},
           {{"AWSsecret", "v"}},
           {{"AWS_KINESISVIDEO_FRAGMENT_NUMBER", "1"}},
           {{"", "v"}}}) {
    ErrorRun r = RunExpectingError(with_tags(tags), 4009);
    ASSERT_EQ(r.stored.size(), 1u);  // the cluster before the Tags
    EXPECT_EQ(r.error.fragment_number, Number(1));  // the last one started
  }
  // At the limits it is accepted.
  ten[9] = {std::string(128, 'n'), std::string(256, 'v')};
  IngestHarness ok;
  ok.session->Feed(with_tags(ten));
  ok.session->EndOfBody();
  EXPECT_EQ(ok.Summary().error_id, 0);
  EXPECT_EQ(ok.log->All()[1].metadata, ten);
}

TEST(IngestErrorsTest, ConnectionOlderThanTheLimitIs4003) {
  ProducerStream s = MakeProducerStream(Spec(2));
  IngestOptions o;
  o.limits.max_connection_duration_ms = 60'000;
  IngestHarness h(o);
  // Up to just inside the second Cluster: the first is sealed, the second open.
  const size_t split = s.bytes.find(s.clusters[1]) + 30;
  h.session->Feed(std::string_view(s.bytes).substr(0, split));
  EXPECT_EQ(h.Count(AckType::kBuffering), 2u);
  h.now += 60'001;
  h.session->Feed(std::string_view(s.bytes).substr(split));
  ASSERT_TRUE(h.LastError());
  EXPECT_EQ(h.LastError()->error_id, 4003);
  EXPECT_EQ(h.LastError()->fragment_number, Number(2));
  EXPECT_EQ(h.DoneCalls(), 1);
  EXPECT_EQ(h.log->All().size(), 1u);
}

TEST(IngestErrorsTest, FailedAppendIs5001AndStreamGoneIs4008) {
  ProducerStream s = MakeProducerStream(Spec(3));
  {
    IngestHarness h;
    h.log->FailAppendsWith(Status::IOError("disk on fire"));
    h.session->Feed(s.bytes);
    h.session->EndOfBody();
    ASSERT_TRUE(h.LastError());
    EXPECT_EQ(h.LastError()->error_id, 5001);
    EXPECT_EQ(h.LastError()->fragment_number, Number(1));
    EXPECT_EQ(h.Count(AckType::kPersisted), 0u);
    EXPECT_EQ(h.Acks().back().type, AckType::kError);
    EXPECT_EQ(h.DoneCalls(), 1);
  }
  {
    IngestHarness h;
    h.log->FailAppendsWith(Status::FailedPrecondition("log deleted"));
    h.session->Feed(s.bytes);
    ASSERT_TRUE(h.LastError());
    EXPECT_EQ(h.LastError()->error_id, 4008);
    EXPECT_EQ(h.DoneCalls(), 1);
  }
}

TEST(IngestErrorsTest, FailFromTheAdapterNamesTheOpenFragmentAndDropsIt) {
  ProducerStream s = MakeProducerStream(Spec(2, false));
  IngestHarness h({}, /*deferred=*/true);
  h.session->Feed(s.bytes);  // cluster 2 still open
  h.session->Fail(4000, "another PutMedia took over the stream");
  EXPECT_TRUE(h.session->ending());
  EXPECT_EQ(h.DoneCalls(), 0);  // fragment 1 is still being stored
  h.log->CompleteAll();
  EXPECT_EQ(h.DoneCalls(), 1);
  std::vector<Ack> acks = h.Acks();
  ASSERT_GE(acks.size(), 2u);
  EXPECT_EQ(acks[acks.size() - 2].type, AckType::kPersisted);  // PERSISTED, then ERROR
  EXPECT_EQ(acks.back().error_id, 4000);
  EXPECT_EQ(acks.back().fragment_number, Number(2));
  EXPECT_EQ(h.log->All().size(), 1u);
  // Later calls change nothing.
  h.session->Fail(4008, "deleted");
  h.session->EndOfBody();
  EXPECT_EQ(h.Acks().size(), acks.size());
  EXPECT_EQ(h.DoneCalls(), 1);
}

}  // namespace
}  // namespace osprey::fragments::testing
