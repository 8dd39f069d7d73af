// The console's stream list and fragment timeline: read straight from the
// catalog and the fragment index (the same engines DescribeStream and
// ListFragments answer from), summarised for a screen.
#include <algorithm>
#include <vector>

#include "console/console_internal.h"
#include "osprey/base/json_writer.h"

namespace osprey::server::console {

namespace {

// A stream is shown as live while its newest fragment ended less than this
// long ago (a fragment is at most 10 s, and it is stored once complete).
constexpr int64_t kLiveSlackMs = 15'000;
// Bitrate is averaged over the fragments that arrived in this window.
constexpr int64_t kBitrateWindowMs = 60'000;
// A timeline covers at most this much (the player offers up to 7 days).
constexpr int64_t kMaxTimelineMs = 8 * 24 * 3600'000LL;
constexpr size_t kPage = 2000;

int64_t EndOf(const fragments::FragmentMeta& m) {
  return m.server_timestamp_ms + std::max<int64_t>(m.duration_ms, 0);
}

}  // namespace

Response ListStreams(const ConsoleState& state) {
  const int64_t now = state.now_ms();
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("now").Int64(now).Key("streams").BeginArray();
  for (const fragments::VideoStream& s : state.video->catalog->List("", "", SIZE_MAX)) {
    w.BeginObject();
    w.Key("name").String(s.name);
    w.Key("device").String(s.device_name);
    w.Key("media_type").String(s.media_type);
    w.Key("state").String(s.status);
    w.Key("retention_hours").Int64(s.retention_hours);
    w.Key("created").Int64(s.creation_ms);
    std::string status = "empty";
    auto log = state.video->store->OpenStream(s.store_id());
    if (log.ok()) {
      std::optional<fragments::FragmentMeta> newest = (*log)->Latest();
      std::optional<fragments::FragmentMeta> oldest = (*log)->Earliest();
      fragments::StreamStats stats = (*log)->Stats();
      w.Key("fragments").Uint64(stats.fragments).Key("bytes").Uint64(stats.bytes);
      if (newest && oldest) {
        status = EndOf(*newest) + kLiveSlackMs >= now ? "live" : "offline";
        w.Key("newest").Int64(newest->server_timestamp_ms);
        w.Key("newest_end").Int64(EndOf(*newest));
        w.Key("oldest").Int64(oldest->server_timestamp_ms);
        // Bits of the fragments that arrived in the window, over the media
        // time they cover: what the camera is sending now.
        uint64_t bytes = 0;
        int64_t media_ms = 0;
        for (const auto& m : (*log)->ListRange(fragments::TimestampKind::kServer,
                                               now - kBitrateWindowMs, now, 0, 1000)) {
          bytes += m.size_bytes;
          media_ms += m.duration_ms;
        }
        w.Key("bitrate_bps").Int64(media_ms > 0 ? int64_t(bytes * 8 * 1000 / uint64_t(media_ms)) : 0);
      }
    }
    w.Key("status").String(status);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return JsonOk(std::move(out));
}

// The fragments of [start, end] coalesced into covered intervals: two
// fragments join when the second starts no later than a tolerance after
// the first ends (server arrival times jitter around the media durations).
// A day of 2 s fragments is ~43,000 fragments but, recorded without
// interruption, a single interval.
Response Timeline(const ConsoleState& state, const Query& query) {
  auto stream_it = query.find("stream");
  if (stream_it == query.end() || stream_it->second.empty()) {
    return JsonError(400, "stream is required");
  }
  Result<int64_t> start = QueryMs(query, "start");
  if (!start.ok()) return JsonError(400, start.status().message());
  Result<int64_t> end = QueryMs(query, "end");
  if (!end.ok()) return JsonError(400, end.status().message());
  if (*end <= *start || *end - *start > kMaxTimelineMs) {
    return JsonError(400, "end must be after start and at most 8 days after it");
  }
  Result<fragments::VideoStream> stream = state.video->catalog->GetByName(stream_it->second);
  if (!stream.ok()) return JsonError(404, "no stream named " + stream_it->second);
  auto log = state.video->store->OpenStream(stream->store_id());
  if (!log.ok()) return JsonError(500, log.status().message());

  struct Interval {
    int64_t start, end;
  };
  std::vector<Interval> covered;
  uint64_t count = 0;
  uint64_t after = 0;
  // Fragments starting just before the window may reach into it.
  const int64_t lookback = 10'000;
  for (;;) {
    std::vector<fragments::FragmentMeta> page = (*log)->ListRange(
        fragments::TimestampKind::kServer, *start - lookback, *end, after, kPage);
    for (const auto& m : page) {
      int64_t s = m.server_timestamp_ms, e = EndOf(m);
      if (e < *start) continue;
      ++count;
      covered.push_back({s, std::max(e, s + 1)});
    }
    if (page.size() < kPage) break;
    after = page.back().index;
  }
  std::sort(covered.begin(), covered.end(),
            [](const Interval& a, const Interval& b) { return a.start < b.start; });
  std::vector<Interval> merged;
  for (const Interval& i : covered) {
    const int64_t tolerance = std::max<int64_t>(1500, (i.end - i.start) / 2);
    if (!merged.empty() && i.start <= merged.back().end + tolerance) {
      merged.back().end = std::max(merged.back().end, i.end);
    } else {
      merged.push_back(i);
    }
  }
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("stream").String(stream->name);
  w.Key("start").Int64(*start).Key("end").Int64(*end).Key("now").Int64(state.now_ms());
  w.Key("fragments").Uint64(count).Key("intervals").BeginArray();
  for (const Interval& i : merged) w.BeginArray().Int64(i.start).Int64(i.end).EndArray();
  w.EndArray().EndObject();
  return JsonOk(std::move(out));
}

}  // namespace osprey::server::console
