// Test support for the GetMedia and archived-media tests: a real file
// fragment store and stream catalog in a temporary directory, the HTTP server
// with the read routes, fragments built with the fragments writers, an HTTP
// client that reads a streamed response as it arrives, and a GetMedia body
// splitter (chunk by chunk: tags and cluster bytes).
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "osprey/base/metrics.h"
#include "osprey/fragments/fragment_number.h"
#include "osprey/fragments/fragment_store.h"
#include "osprey/fragments/mkv_parser.h"
#include "osprey/fragments/mkv_writer.h"
#include "osprey/fragments/stream_catalog.h"
#include "osprey/server/http_server.h"
#include "video/video_routes.h"

namespace osprey::server::video::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One chunk of a GetMedia body.
struct MediaChunk {
  std::map<std::string, std::string> tags;  // every SimpleTag of the chunk
  std::string cluster;                      // the Cluster element's bytes
  size_t frames = 0;
  std::string number() const {
    auto it = tags.find("AWS_KINESISVIDEO_FRAGMENT_NUMBER");
    return it == tags.end() ? "" : it->second;
  }
  bool error() const { return tags.count("AWS_KINESISVIDEO_ERROR_ID") != 0; }
};

// Splits a GetMedia body into chunks with the fragments parser (several
// Segments allowed). Complete chunks only: one whose final Tags have not
// arrived is left out.
class ChunkSplitter : public fragments::MkvHandler {
 public:
  static std::vector<MediaChunk> Split(std::string_view body, Status* status = nullptr) {
    ChunkSplitter s(body);
    fragments::ParserOptions options;
    options.allow_multiple_segments = true;
    fragments::MkvParser parser(&s, options);
    Status st = parser.Feed({reinterpret_cast<const uint8_t*>(body.data()), body.size()});
    if (status) *status = st;
    std::vector<MediaChunk> out;
    for (auto& c : s.chunks_) {
      if (c.error() || c.tags.count("AWS_KINESISVIDEO_CONTINUATION_TOKEN")) out.push_back(c);
    }
    return out;
  }

  Status OnEbmlHeader(const fragments::EbmlHeader&, uint64_t) override {
    chunks_.emplace_back();
    return Status::Ok();
  }
  Status OnClusterStart(const fragments::ClusterStart& c) override {
    cluster_start_ = c.offset;
    return Status::Ok();
  }
  Status OnFrame(const fragments::Frame&) override {
    if (!chunks_.empty()) ++chunks_.back().frames;
    return Status::Ok();
  }
  Status OnClusterEnd(const fragments::ClusterEnd& c) override {
    if (!chunks_.empty()) {
      chunks_.back().cluster = std::string(body_.substr(cluster_start_, c.end_offset - cluster_start_));
    }
    return Status::Ok();
  }
  Status OnTags(const std::vector<fragments::Tag>& tags, std::span<const uint8_t>,
                uint64_t) override {
    if (chunks_.empty()) return Status::Ok();
    for (const auto& t : tags) {
      for (const auto& st : t.simple_tags) chunks_.back().tags[st.name] = st.value;
    }
    return Status::Ok();
  }

 private:
  explicit ChunkSplitter(std::string_view body) : body_(body) {}
  std::string_view body_;
  uint64_t cluster_start_ = 0;
  std::vector<MediaChunk> chunks_;
};

// An HTTP/1.1 client for one request whose response is read as it streams.
class MediaClient {
 public:
  explicit MediaClient(uint16_t port) : stream_(ioc_) {
    stream_.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  // Sends the request and reads the response header. Returns the status.
  int Post(const std::string& path, const std::string& json) {
    http::request<http::string_body> req(http::verb::post, path, 11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = json;
    req.prepare_payload();
    stream_.expires_after(5s);
    http::write(stream_, req);
    parser_.body_limit(std::numeric_limits<uint64_t>::max());
    http::read_header(stream_, buffer_, parser_);
    return static_cast<int>(parser_.get().result_int());
  }
  std::string Header(std::string_view name) const {
    auto it = parser_.get().find(name);
    return it == parser_.get().end() ? "" : std::string(it->value());
  }

  // Reads body bytes until `done(body)` holds, the response ends, or
  // `timeout` passes. True unless it timed out.
  bool ReadUntil(const std::function<bool(const std::string&)>& done,
                 std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ended_ && !done(body_)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return false;
      if (!ReadSome(left)) return ended_ || done(body_);
    }
    return true;
  }
  // Reads until the response ends (terminating chunk or close).
  bool ReadToEnd(std::chrono::milliseconds timeout = 10s) {
    return ReadUntil([](const std::string&) { return false; }, timeout) && ended_;
  }
  // Complete chunks so far.
  std::vector<MediaChunk> Chunks() const { return ChunkSplitter::Split(body_); }
  bool ReadChunks(size_t n, std::chrono::milliseconds timeout = 10s) {
    return ReadUntil([n](const std::string& b) { return ChunkSplitter::Split(b).size() >= n; },
                     timeout);
  }

  const std::string& body() const { return body_; }
  bool ended() const { return ended_; }
  bool clean_end() const { return clean_end_; }
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  // One read; false on timeout or error (error also sets ended_). Async
  // with run_for, since the stream's timeouts do not apply to sync reads
  // (and would close the socket).
  bool ReadSome(std::chrono::milliseconds timeout) {
    char buf[64 * 1024];
    parser_.get().body().data = buf;
    parser_.get().body().size = sizeof buf;
    beast::error_code ec;
    bool finished = false;
    http::async_read_some(stream_, buffer_, parser_, [&](beast::error_code e, size_t) {
      ec = e;
      finished = true;
    });
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!finished) {
      stream_.socket().cancel();
      ioc_.restart();
      while (!finished) ioc_.run_one();
    }
    body_.append(buf, sizeof buf - parser_.get().body().size);
    parser_.get().body().data = nullptr;
    if (ec == http::error::need_buffer) ec = {};
    if (ec == net::error::operation_aborted) return false;
    if (ec) {
      ended_ = true;
      return false;
    }
    if (parser_.is_done()) {
      ended_ = true;
      clean_end_ = true;
    }
    return true;
  }

  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
  std::string body_;
  bool ended_ = false;
  bool clean_end_ = false;
};

// Wraps a FragmentLog to inject read failures (test double).
class FaultyLog : public fragments::FragmentLog {
 public:
  explicit FaultyLog(std::shared_ptr<fragments::FragmentLog> inner) : inner_(std::move(inner)) {}
  // Read(index) fails with `status`; with `hide`, Find(index) also forgets it
  // (as after retention).
  void FailRead(uint64_t index, Status status, bool hide) {
    std::lock_guard lock(mu_);
    faults_[index] = {std::move(status), hide};
  }
  uint64_t ReserveIndex() override { return inner_->ReserveIndex(); }
  void AppendAsync(fragments::FragmentInput f, AppendCallback done) override {
    inner_->AppendAsync(std::move(f), std::move(done));
  }
  std::optional<fragments::FragmentMeta> Find(uint64_t index) const override {
    std::lock_guard lock(mu_);
    auto it = faults_.find(index);
    if (it != faults_.end() && it->second.second) return std::nullopt;
    return inner_->Find(index);
  }
  std::optional<fragments::FragmentMeta> Earliest() const override { return inner_->Earliest(); }
  std::optional<fragments::FragmentMeta> Latest() const override { return inner_->Latest(); }
  std::optional<fragments::FragmentMeta> After(uint64_t index) const override {
    return inner_->After(index);
  }
  std::optional<fragments::FragmentMeta> FindByTimestamp(fragments::TimestampKind k,
                                                         int64_t t) const override {
    return inner_->FindByTimestamp(k, t);
  }
  std::vector<fragments::FragmentMeta> ListRange(fragments::TimestampKind k, int64_t s, int64_t e,
                                                 uint64_t after, size_t limit) const override {
    return inner_->ListRange(k, s, e, after, limit);
  }
  Result<fragments::StoredFragment> Read(uint64_t index) const override {
    {
      std::lock_guard lock(mu_);
      auto it = faults_.find(index);
      if (it != faults_.end()) return it->second.first;
    }
    return inner_->Read(index);
  }
  uint64_t Subscribe(NewFragmentCallback cb) override { return inner_->Subscribe(std::move(cb)); }
  void Unsubscribe(uint64_t id) override { inner_->Unsubscribe(id); }
  Result<uint64_t> ApplyRetention(int64_t now, const fragments::RetentionPolicy& p) override {
    return inner_->ApplyRetention(now, p);
  }
  fragments::StreamStats Stats() const override { return inner_->Stats(); }

 private:
  std::shared_ptr<fragments::FragmentLog> inner_;
  mutable std::mutex mu_;
  std::map<uint64_t, std::pair<Status, bool>> faults_;
};

// A store that hands out FaultyLogs over the real ones.
class FaultyStore : public fragments::FragmentStore {
 public:
  explicit FaultyStore(fragments::FragmentStore* inner) : inner_(inner) {}
  Result<std::shared_ptr<fragments::FragmentLog>> OpenStream(const std::string& id) override {
    std::lock_guard lock(mu_);
    auto& log = logs_[id];
    if (!log) {
      OSPREY_ASSIGN_OR_RETURN(auto inner, inner_->OpenStream(id));
      log = std::make_shared<FaultyLog>(std::move(inner));
    }
    return std::shared_ptr<fragments::FragmentLog>(log);
  }
  std::shared_ptr<FaultyLog> Log(const std::string& id) {
    auto r = OpenStream(id);
    std::lock_guard lock(mu_);
    return logs_[id];
  }
  std::vector<std::string> StreamIds() const override { return inner_->StreamIds(); }
  Status DeleteStream(const std::string& id) override { return inner_->DeleteStream(id); }
  Status Close() override { return inner_->Close(); }

 private:
  fragments::FragmentStore* inner_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<FaultyLog>> logs_;
};

// Store, catalog and server with the GetMedia and archived-media routes.
class MediaServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/osprey_video_media_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fragments::CatalogOptions copts;
    copts.path = dir_ + "/catalog.json";
    auto catalog = fragments::StreamCatalog::Open(copts);
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::move(catalog).value();
    fragments::StoreOptions sopts;
    sopts.root = dir_ + "/fragments";
    sopts.sync = [](int) { return Status::Ok(); };  // durability is not under test
    auto store = fragments::OpenFileFragmentStore(sopts);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    faulty_ = std::make_unique<FaultyStore>(store_.get());
    stream_ = CreateStream("cam");
  }
  void TearDown() override {
    server_.reset();
    if (store_) (void)store_->Close();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  fragments::VideoStream CreateStream(const std::string& name) {
    fragments::CreateStreamInput in;
    in.name = name;
    in.retention_hours = 24;
    auto s = catalog_->Create(in);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? s.value() : fragments::VideoStream{};
  }

  // Starts the server; call after adjusting context_.limits.
  void StartServer() {
    context_.catalog = catalog_.get();
    context_.store = faulty_.get();
    RegisterGetMediaRoutes(&router_, &context_);
    RegisterArchivedMediaRoutes(&router_, &context_);
    HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.shutdown_grace = 3000ms;
    auto server = HttpServer::Start(options, &router_, nullptr, &metrics_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  std::shared_ptr<FaultyLog> Log(const fragments::VideoStream& s) {
    return faulty_->Log(s.store_id());
  }

  static std::string StreamHeader() {
    fragments::SegmentInfo info;
    info.timecode_scale_ns = 1'000'000;
    fragments::TrackEntry t;
    t.number = 1;
    t.uid = 1;
    t.type = 1;
    t.codec_id = "V_MPEG4/ISO/AVC";
    t.pixel_width = 640;
    t.pixel_height = 480;
    return fragments::EncodeStreamHeader(info, {t});
  }

  // Appends one fragment (5 frames, 200 ms) and waits until it is persisted.
  fragments::FragmentMeta Append(const fragments::VideoStream& s, int64_t server_ms,
                                 int64_t producer_ms, size_t payload_bytes = 100,
                                 std::vector<fragments::SimpleTag> metadata = {}) {
    auto log = Log(s);
    fragments::FragmentInput in;
    in.meta.index = log->ReserveIndex();
    in.meta.server_timestamp_ms = server_ms;
    in.meta.producer_timestamp_ms = producer_ms;
    in.meta.duration_ms = 200;
    in.meta.cluster_timecode = static_cast<uint64_t>(producer_ms);
    std::string payload(payload_bytes, static_cast<char>('a' + in.meta.index % 26));
    std::vector<fragments::FrameSpec> frames;
    for (int i = 0; i < 5; ++i) frames.push_back({1, producer_ms + i * 40, i == 0, payload});
    in.cluster = fragments::EncodeCluster(static_cast<uint64_t>(producer_ms), frames).value();
    in.stream_header = StreamHeader();
    in.metadata = std::move(metadata);
    fragments::FragmentMeta meta = in.meta;
    meta.size_bytes = in.cluster.size();
    std::promise<Status> done;
    log->AppendAsync(std::move(in), [&done](Status st) { done.set_value(st); });
    Status st = done.get_future().get();
    EXPECT_TRUE(st.ok()) << st.ToString();
    return meta;
  }

  std::string Number(const fragments::VideoStream& s, uint64_t index) const {
    return fragments::FormatFragmentNumber(s.creation_ms, index);
  }

  std::string dir_;
  std::unique_ptr<fragments::StreamCatalog> catalog_;
  std::unique_ptr<fragments::FragmentStore> store_;
  std::unique_ptr<FaultyStore> faulty_;
  fragments::VideoStream stream_;
  VideoContext context_;
  Router router_;
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace osprey::server::video::testing
