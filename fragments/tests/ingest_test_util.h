// Test support for IngestSession: producer streams with the exact bytes of
// each Cluster, and a harness that records acks and the end of the session.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "memory_fragment_log.h"
#include "osprey/fragments/ingest_session.h"
#include "osprey/fragments/mkv_writer.h"

namespace osprey::fragments::testing {

// A stream as the KVS producer writes it (ProducerMkvWriter), with what the
// server must store for each Cluster.
struct ProducerStream {
  std::string bytes;
  std::string stream_header;          // Info + Tracks as written
  std::vector<std::string> clusters;  // each Cluster's bytes as written
  std::vector<uint64_t> timecodes;    // Cluster Timecodes
};

struct StreamSpec {
  int clusters = 3;
  int frames_per_cluster = 10;
  uint64_t first_timecode = 1'700'000'000'000;  // ABSOLUTE epoch ms
  int64_t frame_ms = 33;
  int tracks = 1;
  bool end_of_fragment = true;  // Tags(END_OF_FRAGMENT) after the last Cluster
  // Metadata Tags written just before Cluster i.
  std::map<int, std::vector<SimpleTag>> metadata_before;
  size_t payload_bytes = 100;
};

inline StreamSpec Spec(int clusters, bool end_of_fragment = true, int tracks = 1) {
  StreamSpec spec;
  spec.clusters = clusters;
  spec.end_of_fragment = end_of_fragment;
  spec.tracks = tracks;
  return spec;
}

inline std::vector<TrackEntry> SpecTracks(int n) {
  std::vector<TrackEntry> tracks;
  for (int i = 1; i <= n; ++i) {
    TrackEntry t;
    t.number = static_cast<uint64_t>(i);
    t.uid = static_cast<uint64_t>(i);
    t.type = i == 1 ? 1 : 2;
    t.codec_id = i == 1 ? "V_MPEG4/ISO/AVC" : "A_AAC";
    t.name = i == 1 ? "kinesis_video" : "audio";
    if (i == 1) {
      t.pixel_width = 640;
      t.pixel_height = 480;
    } else {
      t.sampling_frequency = 48000;
      t.channels = 2;
    }
    tracks.push_back(t);
  }
  return tracks;
}

inline ProducerStream MakeProducerStream(const StreamSpec& spec) {
  SegmentInfo info;
  info.segment_uid = std::string(16, '\x42');
  info.timecode_scale_ns = 1'000'000;
  info.writing_app = "test";
  ProducerMkvWriter writer(info, SpecTracks(spec.tracks));
  ProducerStream s;
  writer.WriteHeader(&s.bytes);
  s.stream_header = EncodeStreamHeader(info, SpecTracks(spec.tracks));
  uint64_t tc = spec.first_timecode;
  size_t cluster_start = std::string::npos;
  auto close_cluster = [&] {
    if (cluster_start != std::string::npos) s.clusters.push_back(s.bytes.substr(cluster_start));
    cluster_start = std::string::npos;
  };
  for (int c = 0; c < spec.clusters; ++c) {
    close_cluster();
    if (auto it = spec.metadata_before.find(c); it != spec.metadata_before.end()) {
      writer.WriteTags({Tag{it->second}}, &s.bytes);
    }
    cluster_start = s.bytes.size();
    writer.StartCluster(tc, &s.bytes);
    s.timecodes.push_back(tc);
    for (int f = 0; f < spec.frames_per_cluster; ++f) {
      for (int t = 1; t <= spec.tracks; ++t) {
        std::string payload(spec.payload_bytes, static_cast<char>('a' + (c + f + t) % 26));
        FrameSpec frame;
        frame.track_number = static_cast<uint64_t>(t);
        frame.timecode = static_cast<int64_t>(tc) + f * spec.frame_ms;
        frame.keyframe = f == 0 && t == 1;
        frame.payload = payload;
        if (!writer.WriteFrame(frame, &s.bytes).ok()) std::abort();
      }
    }
    tc += static_cast<uint64_t>(spec.frames_per_cluster * spec.frame_ms);
  }
  close_cluster();
  if (spec.end_of_fragment) {
    writer.WriteTags({Tag{{SimpleTag{std::string(kTagEndOfFragment), ""}}}}, &s.bytes);
  }
  return s;
}

// An ack without the log-only message, as text: "BUFFERING 1 1700000000000".
inline std::string AckLine(const Ack& a) {
  std::string out = EncodeAck(a);
  out.pop_back();
  return out;
}

// One IngestSession over a MemoryFragmentLog with a manual clock.
class IngestHarness {
 public:
  explicit IngestHarness(IngestOptions options = {}, bool deferred = false) {
    log = std::make_shared<MemoryFragmentLog>();
    log->set_deferred(deferred);
    options.log = log;
    if (options.stream_creation_ms == 0) options.stream_creation_ms = 1'600'000'000'000;
    options.clock = [this] { return now.load(); };
    session = std::make_unique<IngestSession>(
        options,
        [this](const Ack& a) {
          std::lock_guard lock(mu);
          acks.push_back(a);
        },
        [this](const IngestSummary& s) {
          std::lock_guard lock(mu);
          ++done_calls;
          summary = s;
        });
  }

  void FeedInPieces(std::string_view data, const std::vector<size_t>& cuts) {
    size_t pos = 0;
    for (size_t cut : cuts) {
      session->Feed(data.substr(pos, cut - pos));
      pos = cut;
    }
    session->Feed(data.substr(pos));
  }

  std::vector<Ack> Acks() {
    std::lock_guard lock(mu);
    return acks;
  }
  std::vector<std::string> AckLines() {
    std::vector<std::string> out;
    for (const Ack& a : Acks()) out.push_back(AckLine(a));
    return out;
  }
  int DoneCalls() {
    std::lock_guard lock(mu);
    return done_calls;
  }
  IngestSummary Summary() {
    std::lock_guard lock(mu);
    return summary;
  }
  size_t Count(AckType type) {
    size_t n = 0;
    for (const Ack& a : Acks()) n += a.type == type;
    return n;
  }
  std::optional<Ack> LastError() {
    for (const Ack& a : Acks()) {
      if (a.type == AckType::kError) return a;
    }
    return std::nullopt;
  }

  std::atomic<int64_t> now{1'700'000'100'000};
  std::shared_ptr<MemoryFragmentLog> log;
  std::unique_ptr<IngestSession> session;

 private:
  std::mutex mu;
  std::vector<Ack> acks;
  int done_calls = 0;
  IngestSummary summary;
};

}  // namespace osprey::fragments::testing
