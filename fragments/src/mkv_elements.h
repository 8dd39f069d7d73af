// Decoders for the elements MkvParser reads whole from memory: the EBML
// header, Info, Tracks, Tags and the two block forms. Each takes the element
// body and the stream offset of the element (for messages) and validates it.
#pragma once

#include <cstdint>
#include <vector>

#include "ebml.h"
#include "osprey/base/result.h"
#include "osprey/fragments/mkv_parser.h"
#include "osprey/fragments/mkv_types.h"

namespace osprey::fragments::internal {

// `offset` is the stream offset of the element; `header_length` the length
// of its ID + size, so that body[0] is at offset + header_length.
struct Located {
  ebml::Bytes body;
  uint64_t offset = 0;
  int header_length = 0;
  uint64_t body_offset() const { return offset + header_length; }
};

Result<EbmlHeader> ParseEbmlHeader(const Located& e, const ParserOptions& o);
Result<SegmentInfo> ParseInfo(const Located& e, const ParserOptions& o);
Result<std::vector<TrackEntry>> ParseTracks(const Located& e, const ParserOptions& o);
Result<std::vector<Tag>> ParseTags(const Located& e, const ParserOptions& o);

// Block header and payload of a SimpleBlock or a Block; fills track_number,
// relative_timecode, flags and payload of `frame` (not timecode or offset).
// Laced blocks are rejected.
Status ParseBlock(const Located& e, bool simple_block, Frame* frame);
// A BlockGroup: its Block, BlockDuration and ReferenceBlock (absent = key).
Status ParseBlockGroup(const Located& e, Frame* frame);

}  // namespace osprey::fragments::internal
