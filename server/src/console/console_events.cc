// Event markers for the console's timeline: the ML events osprey-ml
// publishes to the data stream `osprey-events` (docs/ml-hooks.md
// "Events"), read through the stream engine as GetRecords would, filtered
// to one camera and a time range.
//
// Only the events a person wants to jump to become markers: track_start
// (someone appeared) and intrusion (an armed zone was entered). detection
// events repeat every few hundred ms per track and track_end adds nothing
// a marker at the start does not say.
#include <algorithm>

#include "console/console_internal.h"
#include "osprey/base/json_writer.h"
#include "video/kvs_json.h"

namespace osprey::server::console {

namespace {

constexpr std::string_view kEventsStream = "osprey-events";
// Events reach the stream within seconds of their frame; read a margin
// around the range so one published late is still found.
constexpr int64_t kArrivalSlackMs = 60'000;
// Bounds on one answer: a week of a busy camera stays cheap to scan.
constexpr size_t kMaxScanned = 50'000;
constexpr size_t kMaxMarkers = 2'000;

struct Marker {
  int64_t t = 0;
  std::string type, label, zone;
  int64_t track_id = -1;
};

// The marker of one event record, if it is one for `stream` in range.
std::optional<Marker> ParseEvent(std::string_view data, std::string_view stream, int64_t start,
                                 int64_t end) {
  Result<video::JsonRequest> doc = video::JsonRequest::Parse(data);
  if (!doc.ok()) return std::nullopt;
  auto name = doc->String("stream_name");
  if (!name.ok() || !*name || **name != stream) return std::nullopt;
  auto type = doc->String("event_type");
  if (!type.ok() || !*type || (**type != "track_start" && **type != "intrusion")) return std::nullopt;
  Marker m;
  m.type = **type;
  auto frame = doc->Int("frame_time_ms");
  auto server = doc->Int("server_timestamp_ms");
  if (frame.ok() && *frame) m.t = **frame;
  else if (server.ok() && *server) m.t = **server;
  else return std::nullopt;
  if (m.t < start || m.t > end) return std::nullopt;
  if (auto label = doc->String("label"); label.ok() && *label) m.label = **label;
  if (auto zone = doc->String("zone"); zone.ok() && *zone) m.zone = **zone;
  if (auto track = doc->Int("track_id"); track.ok() && *track) m.track_id = **track;
  return m;
}

}  // namespace

Response Events(const ConsoleState& state, const Query& query) {
  auto stream = query.find("stream");
  if (stream == query.end() || stream->second.empty()) return JsonError(400, "stream is required");
  Result<int64_t> start = QueryMs(query, "start");
  if (!start.ok()) return JsonError(400, start.status().message());
  Result<int64_t> end = QueryMs(query, "end");
  if (!end.ok()) return JsonError(400, end.status().message());
  if (*end <= *start) return JsonError(400, "end must be after start");

  std::vector<Marker> markers;
  bool source = false;
  size_t scanned = 0;
  if (state.streams != nullptr) {
    auto shards = state.streams->ListShards(kEventsStream, streams::ShardFilter{});
    source = shards.ok();
    for (const auto& shard : shards.ok() ? *shards : std::vector<streams::ShardDescription>{}) {
      streams::IteratorRequest at;
      at.type = streams::IteratorType::kAtTimestamp;
      at.timestamp_ms = *start - kArrivalSlackMs;
      auto position = state.streams->ResolvePosition(kEventsStream, shard.shard_id, at);
      if (!position.ok()) continue;
      uint64_t next = position->index;
      while (scanned < kMaxScanned && markers.size() < kMaxMarkers) {
        streams::ReadLimits limits;
        limits.max_records = 1000;
        limits.max_bytes = 4u << 20;
        auto read = state.streams->ReadShard(kEventsStream, position->shard_index, next, limits);
        if (!read.ok() || read->records.empty()) break;
        bool past = false;
        for (const auto& record : read->records) {
          ++scanned;
          if (record.arrival_ms > *end + kArrivalSlackMs) { past = true; break; }
          if (auto m = ParseEvent(record.data, stream->second, *start, *end)) {
            markers.push_back(std::move(*m));
          }
        }
        if (past) break;
        next = read->next_index;
      }
    }
  }
  std::sort(markers.begin(), markers.end(), [](const Marker& a, const Marker& b) { return a.t < b.t; });
  if (markers.size() > kMaxMarkers) markers.resize(kMaxMarkers);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("source");
  if (source) w.String(kEventsStream); else w.Null();
  w.Key("events").BeginArray();
  for (const Marker& m : markers) {
    w.BeginObject().Key("t").Int64(m.t).Key("type").String(m.type).Key("label").String(m.label);
    w.Key("zone").String(m.zone).Key("track_id").Int64(m.track_id);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return JsonOk(std::move(out));
}

}  // namespace osprey::server::console
