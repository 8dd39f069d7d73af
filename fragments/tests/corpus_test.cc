// The fuzz seed corpus (fuzz/corpus/mkv_parser) as regression tests: each
// seed parses the same every way and gives the expected outcome. Seeds are
// fuzz inputs: byte 0 picks options, bytes 1-2 a split point, then the MKV.
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "parse_helpers.h"

namespace osprey::fragments::testing {
namespace {

struct Seed {
  const char* name;
  size_t frames;
  std::string error;  // empty: must parse
};

TEST(CorpusTest, SeedsParseAsExpected) {
  const Seed seeds[] = {
      {"producer_stream", 5, ""},
      {"producer_stream_multi", 10, ""},
      {"getmedia_chunks", 4, ""},
      {"known_sizes_blockgroups", 2, ""},
      {"nul_padded", 1, ""},
      {"ffmpeg_tiny", 4, ""},
      {"laced_block", 0, "SimpleBlock at offset 210: laced block (flags 0x86) is not supported"},
  };
  for (const Seed& seed : seeds) {
    SCOPED_TRACE(seed.name);
    std::ifstream in(std::string(OSPREY_MKV_CORPUS_DIR) + "/" + seed.name, std::ios::binary);
    ASSERT_TRUE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string input = ss.str();
    ASSERT_GT(input.size(), 3u);
    const ParseOutcome out = ParseEveryWay(std::string_view(input).substr(3),
                                           OptionsFromModeByte(static_cast<uint8_t>(input[0])));
    EXPECT_EQ(out.status.message(), seed.error);
    EXPECT_EQ(out.recorder.frames.size(), seed.frames);
  }
}

}  // namespace
}  // namespace osprey::fragments::testing
