// Every rejection, with its exact message and code. Each input is also
// parsed split every way (parse_helpers.h): the error must not depend on it.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mkv_builder.h"
#include "osprey/fragments/mkv_parser.h"
#include "parse_helpers.h"

namespace osprey::fragments::testing {
namespace {

using Code = Status::Code;

struct Case {
  const char* name;
  std::string input;
  Code code;
  std::string message;
  ParserOptions options = {};
};

std::string Cluster(std::string body) { return Unknown(id::kCluster, body); }
std::string Tc(uint64_t tc) { return Uint(id::kTimecode, tc); }

std::vector<Case> Cases() {
  const std::string s = StreamStart();  // 82 bytes
  ParserOptions small_cp;
  small_cp.max_codec_private = 4;
  ParserOptions small_elements;
  small_elements.max_element_size = 40;
  ParserOptions shallow;
  shallow.max_depth = 4;
  std::string nested = El(id::kSimpleTag, El(id::kTagName, "n"));
  for (int i = 0; i < 3; ++i) nested = El(id::kSimpleTag, nested);
  return {
      {"LacedBlock", s + Cluster(Tc(0) + Simple(1, 0, 0x82, "x")), Code::kCorruption,
       "SimpleBlock at offset 97: laced block (flags 0x82) is not supported"},
      {"ClusterTimecodeGoesBack",
       s + Cluster(Tc(2000) + Simple(1, 0, 0x80, "x")) + Cluster(Tc(1999)), Code::kCorruption,
       "Timecode at offset 117: Cluster Timecode 1999 is lower than the previous Cluster's 2000"},
      {"InvalidIdByte", s + std::string("\x00\x81\x00", 3), Code::kCorruption,
       "element at offset 82: invalid element ID (first byte 0x00)"},
      {"ReservedId", s + std::string("\xFF\x80", 2), Code::kCorruption,
       "element at offset 82: reserved element ID 0xFF"},
      {"InvalidSizeByte", s + std::string("\xEC\x00", 2), Code::kCorruption,
       "element at offset 82: invalid element size (first byte 0x00)"},
      {"ChildOverrunsKnownCluster",
       s + Id(id::kCluster) + Size(5) + Tc(1) + Simple(1, 0, 0x80, "x"), Code::kCorruption,
       "SimpleBlock at offset 90: size overruns its Cluster (ends at 92)"},
      {"UnknownSizeTracks", EbmlHeaderBytes() + Unknown(id::kSegment) + Unknown(id::kTracks),
       Code::kCorruption,
       "Tracks at offset 40: unknown size is only allowed for Segment and Cluster"},
      {"BlockInSegment", s + Simple(1, 0, 0x80, "x"), Code::kCorruption,
       "SimpleBlock at offset 82: not allowed in Segment"},
      {"TrackEntryInCluster", s + Cluster(Tc(0) + El(id::kTrackEntry, "")), Code::kCorruption,
       "TrackEntry at offset 97: not allowed in Cluster"},
      {"ClusterBeforeTracks",
       EbmlHeaderBytes() + Unknown(id::kSegment) + Cluster(Tc(0)), Code::kCorruption,
       "Cluster at offset 40: Cluster before Tracks"},
      {"BlockBeforeTimecode", s + Cluster(Simple(1, 0, 0x80, "x")), Code::kCorruption,
       "SimpleBlock at offset 94: block before the Cluster's Timecode"},
      {"ClusterWithoutTimecode", s + Cluster(""), Code::kCorruption,
       "Cluster at offset 82: ended without a Timecode"},
      {"SecondSegment", s + s, Code::kCorruption,
       "EBML at offset 82: only one EBML header and Segment per stream"},
      {"SegmentWithoutEbml", Unknown(id::kSegment), Code::kCorruption,
       "Segment at offset 0: Segment without an EBML header before it"},
      {"JunkAtTopLevel", El(0x7E5B, "x"), Code::kCorruption,
       "0x7E5B at offset 0: unknown element at the top level"},
      {"TruncatedBlock", s + Cluster(Tc(0)) + Id(id::kSimpleBlock) + Size(10) + "abc",
       Code::kCorruption, "SimpleBlock at offset 97: stream ended 7 bytes short"},
      {"TruncatedHeader", s + std::string("\x1F\x43", 2), Code::kCorruption,
       "element at offset 82: stream ended inside its header"},
      {"TruncatedKnownSegment", EbmlHeaderBytes() + Id(id::kSegment) + Size(100),
       Code::kCorruption, "Segment at offset 28: stream ended 100 bytes short"},
      {"EbmlWithoutSegment", EbmlHeaderBytes(), Code::kCorruption,
       "EBML at offset 0: stream ended without a Segment"},
      {"WrongDocType", EbmlHeaderBytes("mp4"), Code::kCorruption,
       "EBML at offset 0: DocType \"mp4\" is not \"matroska\" or \"webm\""},
      {"CodecPrivateTooLarge",
       EbmlHeaderBytes() + Unknown(id::kSegment) +
           El(id::kTracks, El(id::kTrackEntry, Uint(id::kTrackNumber, 1) +
                                                   El(id::kCodecPrivate, "12345"))),
       Code::kResourceExhausted, "CodecPrivate at offset 50: 5 bytes exceeds the limit of 4",
       small_cp},
      {"ElementTooLarge", s + Id(id::kCluster) + Size(41), Code::kResourceExhausted,
       "Cluster at offset 82: size 41 exceeds the limit of 40", small_elements},
      {"UnknownClusterTooLarge",
       s + Cluster(Tc(0) + Simple(1, 0, 0x80, std::string(20, 'a')) +
                   Simple(1, 1, 0, std::string(20, 'b'))),
       Code::kResourceExhausted, "Cluster at offset 82: grows past the limit of 40 bytes",
       small_elements},
      {"MissingTrackNumber",
       EbmlHeaderBytes() + Unknown(id::kSegment) + El(id::kTracks, El(id::kTrackEntry, "")),
       Code::kCorruption, "TrackEntry at offset 45: TrackNumber missing or 0"},
      {"DuplicateTrackNumber",
       EbmlHeaderBytes() + Unknown(id::kSegment) +
           El(id::kTracks, El(id::kTrackEntry, Uint(id::kTrackNumber, 1)) +
                               El(id::kTrackEntry, Uint(id::kTrackNumber, 1))),
       Code::kCorruption, "TrackEntry at offset 50: duplicate TrackNumber 1"},
      {"TimecodeScaleZero",
       EbmlHeaderBytes() + Unknown(id::kSegment) + El(id::kInfo, Uint(id::kTimecodeScale, 0)),
       Code::kCorruption, "TimecodeScale at offset 45: TimecodeScale is 0"},
      {"BadFloat",
       EbmlHeaderBytes() + Unknown(id::kSegment) +
           El(id::kTracks, El(id::kTrackEntry, Uint(id::kTrackNumber, 1) +
                                                   El(id::kAudio, El(id::kSamplingFrequency,
                                                                     "abc")))),
       Code::kCorruption, "SamplingFrequency at offset 52: float of 3 bytes (must be 0, 4 or 8)"},
      {"TooDeepSimpleTags", s + El(id::kTags, El(id::kTag, nested)), Code::kCorruption,
       "SimpleTag at offset 96: nesting deeper than 4", shallow},
      {"ChildOverrunsBufferedParent",
       EbmlHeaderBytes() + Unknown(id::kSegment) +
           El(id::kInfo, Id(id::kTimecodeScale) + Size(5) + "ab"),
       Code::kCorruption, "TimecodeScale at offset 45: size 5 overruns its parent (2 bytes left)"},
      {"TrackNumberZeroInBlock", s + Cluster(Tc(0) + El(id::kSimpleBlock,
                                                        std::string("\x80\x00\x00\x80", 4))),
       Code::kCorruption, "SimpleBlock at offset 97: track number 0"},
      {"ShortBlock", s + Cluster(Tc(0) + El(id::kSimpleBlock, std::string("\x81\x00", 2))),
       Code::kCorruption,
       "SimpleBlock at offset 97: block header truncated or track number invalid"},
      {"BlockGroupWithoutBlock", s + Cluster(Tc(0) + El(id::kBlockGroup, Uint(0x9B, 1))),
       Code::kCorruption, "BlockGroup at offset 97: no Block"},
  };
}

TEST(MkvParserErrorsTest, RejectsWithExactMessages) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    ParseOutcome out = ParseEveryWay(c.input, c.options);
    EXPECT_EQ(out.status.code(), c.code) << out.status.ToString();
    EXPECT_EQ(out.status.message(), c.message);
  }
}

TEST(MkvParserErrorsTest, HandlerErrorIsStickyAndStopsParsing) {
  struct Stop : EventRecorder {
    Status OnFrame(const Frame& f) override {
      OSPREY_RETURN_IF_ERROR(EventRecorder::OnFrame(f));
      return Status::Cancelled("enough");
    }
  } handler;
  MkvParser parser(&handler);
  const std::string in = StreamStart() + Cluster(Tc(0) + Simple(1, 0, 0x80, "a") +
                                                 Simple(1, 1, 0, "b"));
  EXPECT_EQ(parser.Feed(in), Status::Cancelled("enough"));
  EXPECT_EQ(handler.frames.size(), 1u);
  EXPECT_EQ(parser.Feed("more"), Status::Cancelled("enough"));
  EXPECT_EQ(parser.Finish(), Status::Cancelled("enough"));
}

TEST(MkvParserErrorsTest, FeedAfterFinishFails) {
  EventRecorder handler;
  MkvParser parser(&handler);
  ASSERT_TRUE(parser.Finish().ok());
  EXPECT_EQ(parser.Feed("x").code(), Code::kFailedPrecondition);
}

TEST(MkvParserErrorsTest, HugeDeclaredSizeDoesNotAllocate) {
  // A Tracks claiming 4 MiB, then nothing: the parser must not reserve it.
  ParseOutcome out = ParseInChunks(EbmlHeaderBytes() + Unknown(id::kSegment) +
                                       Id(id::kTracks) + Size(4 * 1024 * 1024) + "x", 0);
  EXPECT_EQ(out.status.message(), "Tracks at offset 40: stream ended 4194303 bytes short");
}

}  // namespace
}  // namespace osprey::fragments::testing
