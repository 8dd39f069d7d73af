// The moov parts shared by the fMP4 init segment (empty sample tables) and
// the progressive clip (full tables): ftyp, mvhd, trak with its sample entry
// (avc1/avcC, hvc1/hvcC, mp4a/esds).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "box_writer.h"
#include "osprey/base/status.h"
#include "osprey/playback/media_fragment.h"

namespace osprey::playback {

// Sample tables of a progressive MP4 track (all vectors per sample, except
// the chunk ones).
struct SampleTables {
  std::vector<uint32_t> durations;
  std::vector<uint32_t> sizes;
  std::vector<int32_t> composition_offsets;  // >= 0 (decode times shifted)
  std::vector<bool> sync;
  std::vector<uint64_t> chunk_offsets;       // absolute file offsets
  std::vector<uint32_t> chunk_samples;       // samples in each chunk
};

struct TrakTimes {
  uint64_t movie_duration = 0;  // mvhd timescale (1000)
  uint64_t media_duration = 0;  // the track's timescale
  // Edit list (clip only): an empty edit first (movie ticks), then the
  // media from media_time. No edts when both are 0.
  uint64_t empty_edit = 0;
  int64_t media_time = 0;
};

inline constexpr uint32_t kMovieTimescale = 1000;

void WriteFtyp(BoxWriter* w, bool fragmented);
void WriteMvhd(BoxWriter* w, uint64_t duration, uint32_t next_track_id);
// `tables` null: the empty tables of a fragmented track.
Status WriteTrak(BoxWriter* w, const Track& track, const TrakTimes& times,
                 const SampleTables* tables);

}  // namespace osprey::playback
