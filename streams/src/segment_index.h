// The persisted sparse index of a sealed segment ("<base>.idx" beside
// "<base>.log"), so that opening a log reads a few KiB per sealed segment
// instead of scanning gigabytes. Format: streams/FORMAT.md "Index files".
//
// An index file is a cache: when it is missing, damaged, or does not match
// its segment's size, the segment is scanned instead and the file rewritten.
#pragma once

#include <cstdint>
#include <string>

#include "osprey/base/status.h"
#include "osprey/streams/log_options.h"
#include "segment.h"

namespace osprey::streams {

std::string IndexPathFor(const Segment& seg);

// Writes the index of `seg` (which must be sealed and synced) to a temporary
// file, syncs it and renames it into place. The caller syncs the directory
// (rolling a segment does, right after). REQUIRES: seg's fields stable
// (the owning log's mu_ held).
Status WriteSegmentIndex(const Segment& seg, const SyncFn& sync);

// Fills seg's index, last_index, max_arrival_ms and sizes from its index
// file. False (seg untouched) when the file is missing or does not describe
// exactly `file_size` bytes of this segment.
bool LoadSegmentIndex(Segment* seg, uint64_t file_size);

}  // namespace osprey::streams
