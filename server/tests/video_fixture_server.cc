// Test helper (not shipped): puts fragments into a data directory the way
// osprey-server lays it out, and optionally serves the video read routes on
// it, so GetMedia/ListFragments/GetMediaForFragmentList can be tested with the
// AWS CLI, boto3, mkvinfo and ffprobe before (and independently of) the
// PutMedia path. Used by tests/integration/test_get_media.py.
//
//   video_fixture_server --data-dir DIR --stream NAME [--mkv FILE]
//                        [--fragments N] [--serve]
//
// Layout (what app.cc opens): DIR/video/catalog.json (StreamCatalog) and
// DIR/video/fragments (the file FragmentStore); the stream is created when
// absent. Fragments: one per key frame group of --mkv (an H.264 MKV made by
// ffmpeg; its Info and Tracks become the stream header), or synthetic ones.
// Each appended fragment prints "FRAGMENT <number>".
//
// With --serve it then listens on 127.0.0.1 (free port, no authentication),
// prints "listening on <port>", and reads commands from stdin:
//   append   append the next fragment (cycling through the source groups);
//            prints "PERSISTED <number> <epoch us when the store acked it>",
//            the hook the live-tail latency measurement uses
//   delete   delete the stream in the catalog (GetMedia readers end)
// End of input shuts the server down gracefully (GetMedia responses end
// cleanly), then the program exits 0.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "osprey/base/metrics.h"
#include "osprey/fragments/fragment_number.h"
#include "osprey/fragments/fragment_store.h"
#include "osprey/fragments/mkv_parser.h"
#include "osprey/fragments/mkv_writer.h"
#include "osprey/fragments/stream_catalog.h"
#include "osprey/server/http_server.h"
#include "video/video_routes.h"

namespace {

using namespace osprey;

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct OwnedFrame {
  uint64_t track = 1;
  int64_t timecode = 0;  // ms from the start of the source
  bool keyframe = false;
  std::string payload;
};

struct Source {
  std::string stream_header;
  std::vector<std::vector<OwnedFrame>> groups;  // one fragment each
  int64_t group_ms = 1000;                      // duration of one group
};

class Collector : public fragments::MkvHandler {
 public:
  Source source;
  std::vector<OwnedFrame> frames;
  Status OnInfo(const fragments::SegmentInfo& info, std::span<const uint8_t> raw) override {
    if (info.timecode_scale_ns != 1'000'000) {
      return Status::InvalidArgument("only a TimecodeScale of 1 ms is supported");
    }
    source.stream_header.append(reinterpret_cast<const char*>(raw.data()), raw.size());
    return Status::Ok();
  }
  Status OnTracks(const std::vector<fragments::TrackEntry>&, std::span<const uint8_t> raw) override {
    source.stream_header.append(reinterpret_cast<const char*>(raw.data()), raw.size());
    return Status::Ok();
  }
  Status OnFrame(const fragments::Frame& f) override {
    frames.push_back({f.track_number, f.timecode, f.keyframe,
                      std::string(reinterpret_cast<const char*>(f.payload.data()), f.payload.size())});
    return Status::Ok();
  }
};

Result<Source> LoadMkv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  Collector c;
  fragments::MkvParser parser(&c);
  OSPREY_RETURN_IF_ERROR(parser.Feed(ss.str()));
  OSPREY_RETURN_IF_ERROR(parser.Finish());
  for (OwnedFrame& f : c.frames) {
    if (f.keyframe && f.track == 1) c.source.groups.emplace_back();
    if (!c.source.groups.empty()) c.source.groups.back().push_back(std::move(f));
  }
  if (c.source.groups.empty()) return Status::InvalidArgument(path + " has no key frame");
  // Every group spans the same time in an ffmpeg file with a fixed GOP.
  const auto& g = c.source.groups;
  c.source.group_ms = g.size() > 1 ? g[1].front().timecode - g[0].front().timecode : 1000;
  for (auto& group : c.source.groups) {
    const int64_t base = group.front().timecode;
    for (auto& f : group) f.timecode -= base;
  }
  return c.source;
}

Source Synthetic() {
  Source s;
  fragments::SegmentInfo info;
  fragments::TrackEntry t;
  t.number = 1;
  t.uid = 1;
  t.type = 1;
  t.codec_id = "V_MPEG4/ISO/AVC";
  t.pixel_width = 160;
  t.pixel_height = 120;
  s.stream_header = fragments::EncodeStreamHeader(info, {t});
  for (int g = 0; g < 4; ++g) {
    std::vector<OwnedFrame> frames;
    for (int i = 0; i < 10; ++i) frames.push_back({1, i * 100, i == 0, std::string(500, 'a' + g)});
    s.groups.push_back(std::move(frames));
  }
  return s;
}

class Fixture {
 public:
  Fixture(std::shared_ptr<fragments::FragmentLog> log, fragments::VideoStream stream, Source source)
      : log_(std::move(log)), stream_(std::move(stream)), source_(std::move(source)) {}

  // Appends the next group as a fragment starting at `start_ms` (server and
  // producer time). Returns the fragment number and the ack time.
  Result<std::pair<std::string, int64_t>> Append(int64_t start_ms) {
    const auto& group = source_.groups[next_++ % source_.groups.size()];
    std::vector<fragments::FrameSpec> specs;
    for (const auto& f : group) {
      specs.push_back({f.track, start_ms + f.timecode, f.keyframe, f.payload});
    }
    OSPREY_ASSIGN_OR_RETURN(std::string cluster,
                            fragments::EncodeCluster(static_cast<uint64_t>(start_ms), specs));
    fragments::FragmentInput in;
    in.meta.index = log_->ReserveIndex();
    in.meta.server_timestamp_ms = start_ms;
    in.meta.producer_timestamp_ms = start_ms;
    in.meta.duration_ms = source_.group_ms;
    in.meta.cluster_timecode = static_cast<uint64_t>(start_ms);
    in.stream_header = source_.stream_header;
    in.cluster = std::move(cluster);
    in.metadata = {{"FIXTURE_GROUP", std::to_string(next_ - 1)}};
    const uint64_t index = in.meta.index;
    std::promise<std::pair<Status, int64_t>> done;
    log_->AppendAsync(std::move(in), [&done](Status s) { done.set_value({s, NowUs()}); });
    auto [status, at] = done.get_future().get();
    OSPREY_RETURN_IF_ERROR(status);
    return std::make_pair(fragments::FormatFragmentNumber(stream_.creation_ms, index), at);
  }
  int64_t group_ms() const { return source_.group_ms; }

 private:
  std::shared_ptr<fragments::FragmentLog> log_;
  fragments::VideoStream stream_;
  Source source_;
  size_t next_ = 0;
};

int Fail(const Status& s) {
  std::fprintf(stderr, "video_fixture_server: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir, stream_name, mkv;
  int count = 0;
  bool serve = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--data-dir") data_dir = value();
    else if (a == "--stream") stream_name = value();
    else if (a == "--mkv") mkv = value();
    else if (a == "--fragments") count = std::atoi(value().c_str());
    else if (a == "--serve") serve = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (data_dir.empty() || stream_name.empty()) {
    std::fprintf(stderr, "usage: video_fixture_server --data-dir DIR --stream NAME [--mkv FILE] "
                         "[--fragments N] [--serve]\n");
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(data_dir + "/video", ec);

  fragments::CatalogOptions copts;
  copts.path = data_dir + "/video/catalog.json";
  auto catalog = fragments::StreamCatalog::Open(copts);
  if (!catalog.ok()) return Fail(catalog.status());
  auto stream = catalog.value()->GetByName(stream_name);
  if (!stream.ok()) {
    fragments::CreateStreamInput in;
    in.name = stream_name;
    in.media_type = "video/h264";
    in.retention_hours = 24;
    stream = catalog.value()->Create(in);
    if (!stream.ok()) return Fail(stream.status());
  }
  fragments::StoreOptions sopts;
  sopts.root = data_dir + "/video/fragments";
  auto store = fragments::OpenFileFragmentStore(sopts);
  if (!store.ok()) return Fail(store.status());
  auto log = store.value()->OpenStream(stream.value().store_id());
  if (!log.ok()) return Fail(log.status());

  Source source = Synthetic();
  if (!mkv.empty()) {
    auto loaded = LoadMkv(mkv);
    if (!loaded.ok()) return Fail(loaded.status());
    source = std::move(loaded).value();
  }
  Fixture fixture(log.value(), stream.value(), std::move(source));
  // Seeded fragments end just before now, back to back.
  int64_t start = NowUs() / 1000 - static_cast<int64_t>(count + 1) * fixture.group_ms();
  for (int i = 0; i < count; ++i, start += fixture.group_ms()) {
    auto r = fixture.Append(start);
    if (!r.ok()) return Fail(r.status());
    std::printf("FRAGMENT %s\n", r.value().first.c_str());
  }
  std::fflush(stdout);

  if (serve) {
    server::video::VideoContext context;
    context.catalog = catalog.value().get();
    context.store = store.value().get();
    server::Router router;
    server::video::RegisterGetMediaRoutes(&router, &context);
    server::video::RegisterArchivedMediaRoutes(&router, &context);
    server::HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.shutdown_grace = std::chrono::milliseconds(5000);
    auto http = server::HttpServer::Start(options, &router, nullptr, &MetricsRegistry::Global());
    if (!http.ok()) return Fail(http.status());
    std::printf("listening on %u\n", static_cast<unsigned>(http.value()->port()));
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line == "append") {
        auto r = fixture.Append(NowUs() / 1000);
        if (!r.ok()) return Fail(r.status());
        std::printf("PERSISTED %s %lld\n", r.value().first.c_str(),
                    static_cast<long long>(r.value().second));
      } else if (line == "delete") {
        auto d = catalog.value()->Delete(stream.value().arn, std::nullopt);
        std::printf("DELETED %s\n", d.ok() ? "ok" : d.status().ToString().c_str());
      } else if (line == "metrics") {
        std::printf("%s", MetricsRegistry::Global().RenderPrometheus().c_str());
        std::printf("END\n");
      }
      std::fflush(stdout);
    }
    http.value()->Shutdown();
  }
  Status closed = store.value()->Close();
  return closed.ok() ? 0 : Fail(closed);
}
