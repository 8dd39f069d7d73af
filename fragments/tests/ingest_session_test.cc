// IngestSession: fragment cutting, stored bytes, ack order, chunking.
// Error codes are in ingest_errors_test.cc.
#include <random>

#include <gtest/gtest.h>

#include "ingest_test_util.h"
#include "mkv_builder.h"
#include "osprey/fragments/fragment_number.h"

namespace osprey::fragments::testing {
namespace {

std::string Number(uint64_t index) { return FormatFragmentNumber(1'600'000'000'000, index); }

// Checks per fragment: BUFFERING < RECEIVED < PERSISTED, once each.
void ExpectOrderedAcks(const std::vector<Ack>& acks, size_t fragments) {
  std::map<std::string, std::vector<AckType>> per;
  for (const Ack& a : acks) {
    if (a.type != AckType::kError) per[a.fragment_number].push_back(a.type);
  }
  ASSERT_EQ(per.size(), fragments);
  for (const auto& [number, types] : per) {
    EXPECT_EQ(types, (std::vector<AckType>{AckType::kBuffering, AckType::kReceived,
                                           AckType::kPersisted}))
        << number;
  }
}

TEST(IngestSessionTest, CutsOneFragmentPerClusterAndStoresTheBytesAsReceived) {
  ProducerStream s = MakeProducerStream({});
  IngestHarness h;
  h.session->Feed(s.bytes);
  h.session->EndOfBody();
  ASSERT_EQ(h.DoneCalls(), 1);
  EXPECT_EQ(h.Summary().error_id, 0);
  EXPECT_EQ(h.Summary().fragments_persisted, 3u);
  EXPECT_EQ(h.Summary().bytes_received, s.bytes.size());
  ExpectOrderedAcks(h.Acks(), 3);

  std::vector<StoredFragment> stored = h.log->All();
  ASSERT_EQ(stored.size(), 3u);
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].cluster, s.clusters[i]) << i;
    EXPECT_EQ(stored[i].stream_header, s.stream_header);
    EXPECT_EQ(stored[i].meta.cluster_timecode, s.timecodes[i]);
    EXPECT_EQ(stored[i].meta.producer_timestamp_ms, static_cast<int64_t>(s.timecodes[i]));
    EXPECT_EQ(stored[i].meta.server_timestamp_ms, 1'700'000'100'000);
    EXPECT_EQ(stored[i].meta.size_bytes, s.clusters[i].size());
    // 10 frames 33 ms apart: last at 297 ms, plus the mean interval.
    EXPECT_EQ(stored[i].meta.duration_ms, 330);
    EXPECT_TRUE(stored[i].metadata.empty());
  }
}

TEST(IngestSessionTest, AckLinesAreExact) {
  ProducerStream s = MakeProducerStream(Spec(1));
  IngestHarness h;
  h.session->Feed(s.bytes);
  h.session->EndOfBody();
  const std::string n = Number(1);
  EXPECT_EQ(h.AckLines(),
            (std::vector<std::string>{
                R"({"EventType":"BUFFERING","FragmentTimecode":1700000000000,"FragmentNumber":")" + n + R"("})",
                R"({"EventType":"RECEIVED","FragmentTimecode":1700000000000,"FragmentNumber":")" + n + R"("})",
                R"({"EventType":"PERSISTED","FragmentTimecode":1700000000000,"FragmentNumber":")" + n + R"("})"}));
}

TEST(IngestSessionTest, EncodeAckShapes) {
  EXPECT_EQ(EncodeAck(Ack()), "{\"EventType\":\"IDLE\"}\n");
  Ack e;
  e.type = AckType::kError;
  e.fragment_timecode = 5;
  e.fragment_number = "9123";
  e.error_id = 4004;
  e.message = "why";
  EXPECT_EQ(EncodeAck(e),
            "{\"EventType\":\"ERROR\",\"FragmentTimecode\":5,\"FragmentNumber\":\"9123\","
            "\"ErrorId\":4004,\"ErrorCode\":\"FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS\"}\n");
  Ack bare;
  bare.type = AckType::kError;
  bare.error_id = 4006;
  EXPECT_EQ(EncodeAck(bare),
            "{\"EventType\":\"ERROR\",\"ErrorId\":4006,\"ErrorCode\":\"INVALID_MKV_DATA\"}\n");
  EXPECT_EQ(AckErrorCodeName(4012), "MORE_THAN_ALLOWED_TRACKS_FOUND");
  EXPECT_EQ(AckErrorCodeName(5001), "ARCHIVAL_ERROR");
  EXPECT_EQ(AckErrorCodeName(1), "UNKNOWN_ERROR");
  // Appendix A: one ack per HTTP chunk of at most 1024 bytes.
  Ack big = e;
  big.fragment_timecode = UINT64_MAX;
  big.fragment_number = std::string(47, '9');
  big.message = std::string(5000, 'x');
  EXPECT_LT(EncodeAck(big).size(), 1024u);
}

// Feeds the same stream in different pieces with deferred appends, so that
// every ack sequence must be identical.
std::vector<std::string> AcksFor(const std::string& bytes, const std::vector<size_t>& cuts,
                                 std::vector<StoredFragment>* stored) {
  IngestHarness h({}, /*deferred=*/true);
  h.FeedInPieces(bytes, cuts);
  h.session->EndOfBody();
  EXPECT_EQ(h.DoneCalls(), 0);  // waits for PERSISTED
  h.log->CompleteAll();
  EXPECT_EQ(h.DoneCalls(), 1);
  *stored = h.log->All();
  return h.AckLines();
}

TEST(IngestSessionTest, ChunkingNeverChangesAcksOrStoredBytes) {
  StreamSpec spec;
  spec.tracks = 2;
  spec.metadata_before = {{1, {{"motion", "yes"}}}};
  ProducerStream s = MakeProducerStream(spec);
  std::vector<StoredFragment> whole_stored;
  const std::vector<std::string> whole = AcksFor(s.bytes, {}, &whole_stored);
  ASSERT_EQ(whole_stored.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(whole_stored[i].cluster, s.clusters[i]);

  std::vector<size_t> every_byte;
  for (size_t i = 1; i < s.bytes.size(); ++i) every_byte.push_back(i);
  std::vector<StoredFragment> stored;
  EXPECT_EQ(AcksFor(s.bytes, every_byte, &stored), whole) << "byte by byte";
  ASSERT_EQ(stored.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(stored[i].cluster, s.clusters[i]);
    EXPECT_EQ(stored[i].metadata, whole_stored[i].metadata);
  }

  std::mt19937 rng(7);
  for (int round = 0; round < 30; ++round) {
    std::vector<size_t> cuts;
    std::uniform_int_distribution<size_t> step(1, 300);
    for (size_t at = step(rng); at < s.bytes.size(); at += step(rng)) cuts.push_back(at);
    EXPECT_EQ(AcksFor(s.bytes, cuts, &stored), whole) << "round " << round;
    ASSERT_EQ(stored.size(), 3u);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(stored[i].cluster, s.clusters[i]) << round;
  }
}

TEST(IngestSessionTest, MetadataBelongsToTheNextCluster) {
  StreamSpec spec;
  spec.metadata_before = {
      {1, {{"motion", "yes"}, {"AWS_KINESISVIDEO_NOTIFICATION", "x"}}},
      {2, {{"zone", "3"}}},
  };
  ProducerStream s = MakeProducerStream(spec);
  IngestHarness h;
  h.session->Feed(s.bytes);
  h.session->EndOfBody();
  std::vector<StoredFragment> stored = h.log->All();
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_TRUE(stored[0].metadata.empty());
  EXPECT_EQ(stored[1].metadata, (std::vector<SimpleTag>{{"motion", "yes"},
                                                        {"AWS_KINESISVIDEO_NOTIFICATION", "x"}}));
  EXPECT_EQ(stored[2].metadata, (std::vector<SimpleTag>{{"zone", "3"}}));
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(stored[i].cluster, s.clusters[i]);
}

TEST(IngestSessionTest, EndOfFragmentSealsWithoutWaitingForMoreData) {
  ProducerStream s = MakeProducerStream(Spec(2));
  IngestHarness h;
  h.session->Feed(s.bytes);  // the body stays open, as kvssink keeps it
  EXPECT_EQ(h.Count(AckType::kPersisted), 2u);
  EXPECT_EQ(h.DoneCalls(), 0);
  h.session->EndOfBody();
  EXPECT_EQ(h.DoneCalls(), 1);
  EXPECT_EQ(h.Count(AckType::kPersisted), 2u);
}

TEST(IngestSessionTest, WithoutEndOfFragmentTheLastClusterEndsWithTheBody) {
  ProducerStream s = MakeProducerStream(Spec(2, false));
  IngestHarness h;
  h.session->Feed(s.bytes);
  EXPECT_EQ(h.Count(AckType::kBuffering), 2u);
  EXPECT_EQ(h.Count(AckType::kReceived), 1u);
  h.session->EndOfBody();
  ExpectOrderedAcks(h.Acks(), 2);
  ASSERT_EQ(h.log->All().size(), 2u);
  EXPECT_EQ(h.log->All()[1].cluster, s.clusters[1]);
}

TEST(IngestSessionTest, RelativeTimecodesAddTheProducerStart) {
  StreamSpec spec;
  spec.first_timecode = 0;
  ProducerStream s = MakeProducerStream(spec);
  IngestOptions o;
  o.timecode_type = TimecodeType::kRelative;
  o.producer_start_ms = 1'700'000'000'123;
  IngestHarness h(o);
  h.session->Feed(s.bytes);
  h.session->EndOfBody();
  std::vector<StoredFragment> stored = h.log->All();
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[1].meta.producer_timestamp_ms, 1'700'000'000'123 + 330);
  EXPECT_EQ(h.Acks()[0].fragment_timecode, 0u);  // raw, never converted
}

TEST(IngestSessionTest, KnownSizeClustersAndSkippedElementsBetweenThem) {
  // What matroskamux and ffmpeg write: known sizes, SeekHead, Void, Cues.
  std::string c1 = El(id::kCluster, Cat({Uint(id::kTimecode, 0), Simple(1, 0, 0x80, "k1"),
                                         Simple(1, 40, 0, "p1")}));
  std::string c2 = El(id::kCluster, Cat({Uint(id::kTimecode, 80), El(id::kVoid, "zz"),
                                         Simple(1, 0, 0x80, "k2")}));
  std::string segment_body =
      Cat({El(id::kSeekHead, "xxxx"), El(id::kInfo, Uint(id::kTimecodeScale, 1000000)),
           TracksBytes(), El(id::kVoid, std::string(300, '\0')), c1, El(id::kVoid, "v"), c2,
           El(id::kCues, "cues")});
  std::string bytes = EbmlHeaderBytes() + El(id::kSegment, segment_body);
  IngestOptions o;
  o.timecode_type = TimecodeType::kRelative;
  o.producer_start_ms = 1'000;
  for (size_t chunk : {bytes.size(), size_t{1}, size_t{5}}) {
    IngestHarness h(o);
    std::vector<size_t> cuts;
    for (size_t at = chunk; at < bytes.size(); at += chunk) cuts.push_back(at);
    h.FeedInPieces(bytes, cuts);
    h.session->EndOfBody();
    ASSERT_EQ(h.Summary().error_id, 0) << h.Summary().error_message;
    std::vector<StoredFragment> stored = h.log->All();
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].cluster, c1);
    EXPECT_EQ(stored[1].cluster, c2);
    EXPECT_EQ(stored[0].stream_header, El(id::kInfo, Uint(id::kTimecodeScale, 1000000)) + TracksBytes());
    EXPECT_EQ(stored[0].meta.duration_ms, 80);  // 40 + one 40 ms interval
    EXPECT_EQ(stored[1].meta.duration_ms, 0);   // one frame, no estimate
    ExpectOrderedAcks(h.Acks(), 2);
  }
}

TEST(IngestSessionTest, SkippedElementsBetweenClustersAreNotRetained) {
  // Cues end the unknown-size Cluster; then 5 KB of Void at Segment level,
  // more than a fragment may hold: dropped as they stream past.
  IngestOptions o;
  o.limits.max_fragment_bytes = 1000;
  std::string c1 = Unknown(id::kCluster, Uint(id::kTimecode, 10) + Simple(1, 0, 0x80, "a"));
  std::string c2 = Unknown(id::kCluster, Uint(id::kTimecode, 20) + Simple(1, 0, 0x80, "b"));
  std::string voids;
  for (int i = 0; i < 6; ++i) voids += El(id::kVoid, std::string(900, '\0'));
  std::string bytes = StreamStart() + c1 + El(id::kCues, "c") + voids + c2;
  for (size_t chunk : {size_t{1}, size_t{333}, bytes.size()}) {
    IngestHarness h(o);
    std::vector<size_t> cuts;
    for (size_t at = chunk; at < bytes.size(); at += chunk) cuts.push_back(at);
    h.FeedInPieces(bytes, cuts);
    h.session->EndOfBody();
    ASSERT_EQ(h.Summary().error_id, 0) << h.Summary().error_message;
    std::vector<StoredFragment> stored = h.log->All();
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].cluster, c1);
    EXPECT_EQ(stored[1].cluster, c2);
  }
}

TEST(IngestSessionTest, PersistedComesInFragmentOrderAndDoneWaitsForIt) {
  ProducerStream s = MakeProducerStream({});
  IngestHarness h({}, /*deferred=*/true);
  h.session->Feed(s.bytes);
  EXPECT_EQ(h.Count(AckType::kReceived), 3u);
  EXPECT_EQ(h.Count(AckType::kPersisted), 0u);
  h.session->EndOfBody();
  EXPECT_EQ(h.DoneCalls(), 0);
  h.log->CompleteNext();
  EXPECT_EQ(h.Count(AckType::kPersisted), 1u);
  h.log->CompleteAll();
  EXPECT_EQ(h.DoneCalls(), 1);
  std::vector<std::string> persisted;
  for (const Ack& a : h.Acks()) {
    if (a.type == AckType::kPersisted) persisted.push_back(a.fragment_number);
  }
  EXPECT_EQ(persisted, (std::vector<std::string>{Number(1), Number(2), Number(3)}));
}

TEST(IngestSessionTest, ShutdownSealsACompleteOpenCluster) {
  ProducerStream s = MakeProducerStream(Spec(2, false));
  IngestHarness h;
  h.session->Feed(s.bytes);
  h.session->Shutdown();
  EXPECT_EQ(h.DoneCalls(), 1);
  EXPECT_EQ(h.Summary().error_id, 0);
  ExpectOrderedAcks(h.Acks(), 2);
  EXPECT_EQ(h.log->All().size(), 2u);
}

TEST(IngestSessionTest, ShutdownMidBlockDropsTheOpenClusterSilently) {
  ProducerStream s = MakeProducerStream(Spec(2, false));
  IngestHarness h;
  h.session->Feed(std::string_view(s.bytes).substr(0, s.bytes.size() - 5));
  h.session->Shutdown();
  EXPECT_EQ(h.DoneCalls(), 1);
  EXPECT_EQ(h.Summary().error_id, 0);
  EXPECT_FALSE(h.LastError());
  EXPECT_EQ(h.log->All().size(), 1u);
  EXPECT_EQ(h.Count(AckType::kBuffering), 2u);
  EXPECT_EQ(h.Count(AckType::kPersisted), 1u);
}

TEST(IngestSessionTest, EmptyBodyEndsCleanly) {
  IngestHarness h;
  h.session->EndOfBody();
  EXPECT_EQ(h.DoneCalls(), 1);
  EXPECT_TRUE(h.Acks().empty());
}

TEST(IngestSessionTest, DestroyedWithAppendsInFlightCallsNothing) {
  ProducerStream s = MakeProducerStream({});
  auto h = std::make_unique<IngestHarness>(IngestOptions{}, /*deferred=*/true);
  h->session->Feed(s.bytes);
  std::shared_ptr<MemoryFragmentLog> log = h->log;
  h->session.reset();
  log->CompleteAll();  // must not touch the session or the harness
  EXPECT_EQ(h->Count(AckType::kPersisted), 0u);
  EXPECT_EQ(log->All().size(), 3u);
}

}  // namespace
}  // namespace osprey::fragments::testing
