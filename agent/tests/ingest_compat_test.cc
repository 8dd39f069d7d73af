// Wire compatibility with the server's ingest core: the Uplink's exact byte
// stream (stream header, Clusters, END_OF_FRAGMENT Tags, split as it sends
// it) goes into fragments::IngestSession over a real file fragment store,
// and the acks it emits go back through EncodeAck/ParseUploadAck. Every
// spooled fragment must be stored once, PERSISTED, and the spool marker
// advanced, with no ERROR.
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "osprey/agent/fragmenter.h"
#include "osprey/agent/uplink.h"
#include "osprey/fragments/fragment_store.h"
#include "osprey/fragments/ingest_session.h"

namespace osprey::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class IngestMediaSession final : public MediaSession {
 public:
  explicit IngestMediaSession(std::shared_ptr<fragments::FragmentLog> log) {
    fragments::IngestOptions o;
    o.log = std::move(log);
    o.stream_creation_ms = 1;
    session_ = std::make_unique<fragments::IngestSession>(
        o,
        [this](const fragments::Ack& ack) {
          std::lock_guard lock(mu_);
          acks_.push_back(fragments::EncodeAck(ack));
          cv_.notify_all();
        },
        [this](const fragments::IngestSummary& s) {
          std::lock_guard lock(mu_);
          done_ = true;
          error_id_ = s.error_id;
          cv_.notify_all();
        });
  }
  ~IngestMediaSession() override {
    session_->Shutdown();
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return done_; });
  }
  Status Send(std::string_view bytes) override {
    // Split like a network would, to exercise the parser's reassembly.
    while (!bytes.empty()) {
      size_t n = std::min<size_t>(bytes.size(), 1000);
      session_->Feed(bytes.substr(0, n));
      bytes.remove_prefix(n);
    }
    return Status::Ok();
  }
  Status FinishBody() override {
    session_->EndOfBody();
    return Status::Ok();
  }
  Result<UploadAck> ReadAck() override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !acks_.empty() || done_ || aborted_; });
    if (acks_.empty()) return Status::Unavailable("ingest session ended");
    std::string line = acks_.front();
    acks_.pop_front();
    EXPECT_EQ(line.back(), '\n');
    line.pop_back();
    all_.push_back(line);
    return ParseUploadAck(line);
  }
  void Abort() override {
    std::lock_guard lock(mu_);
    aborted_ = true;
    cv_.notify_all();
  }
  int error_id() {
    std::lock_guard lock(mu_);
    return error_id_;
  }

 private:
  std::unique_ptr<fragments::IngestSession> session_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> acks_;
  std::vector<std::string> all_;
  bool done_ = false;
  bool aborted_ = false;
  int error_id_ = 0;
};

class IngestTransport final : public MediaTransport {
 public:
  explicit IngestTransport(std::shared_ptr<fragments::FragmentLog> log) : log_(std::move(log)) {}
  Status EnsureStream() override { return Status::Ok(); }
  Result<std::unique_ptr<MediaSession>> Open(int64_t) override {
    ++opened;
    return std::unique_ptr<MediaSession>(std::make_unique<IngestMediaSession>(log_));
  }
  std::atomic<int> opened{0};

 private:
  std::shared_ptr<fragments::FragmentLog> log_;
};

struct SpoolSink : FragmentSink {
  explicit SpoolSink(Spool* s) : spool(s) {}
  Status OnFragment(const Fragment& f) override {
    return spool->Append(f.producer_timestamp_ms, f.stream_header, f.cluster).status();
  }
  Spool* spool;
};

std::string Nal(uint8_t type, size_t size) {
  std::string s = {0, 0, static_cast<char>(size >> 8), static_cast<char>(size & 0xff)};
  s.push_back(static_cast<char>(0x60 | type));
  s.append(size - 1, 'x');
  return s;
}

TEST(IngestCompatTest, UplinkStreamIsAcceptedByIngestSession) {
  fs::path dir = fs::temp_directory_path() / ("ingest_compat_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  SpoolOptions so;
  so.dir = (dir / "spool").string();
  auto spool = std::move(Spool::Open(so)).value();

  // 6 fragments of 2 s at 25 fps through the real fragmenter.
  SpoolSink sink(spool.get());
  Fragmenter fragmenter({}, &sink);
  fragmenter.OnFormat({std::string("\x01\x64\x00\x1f\xff\xe0\x00", 7), 640, 480});
  const int64_t t0 = 1700000000000;
  for (int i = 0; i < 150; ++i) {
    AccessUnit u;
    u.capture_time_ms = t0 + i * 40;
    u.data = i % 50 == 0 ? Nal(7, 10) + Nal(8, 4) + Nal(5, 3000) : Nal(1, 800);
    fragmenter.OnAccessUnit(std::move(u));
  }
  fragmenter.Flush();
  ASSERT_EQ(spool->Stats().last_seq, 3u);

  fragments::StoreOptions store_options;
  store_options.root = (dir / "store").string();
  auto store = std::move(fragments::OpenFileFragmentStore(store_options)).value();
  auto log = std::move(store->OpenStream("cam-1")).value();
  IngestTransport transport(log);
  Uplink uplink({}, spool.get(), &transport);
  uplink.Start();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (spool->acked_seq() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(spool->acked_seq(), 3u);
  EXPECT_TRUE(uplink.Stop(2s));
  EXPECT_EQ(uplink.Stats().errors, 0u);
  EXPECT_EQ(transport.opened.load(), 1);

  auto stored = log->ListRange(fragments::TimestampKind::kProducer, 0, INT64_MAX, 0, 100);
  ASSERT_EQ(stored.size(), 3u);
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].producer_timestamp_ms, t0 + static_cast<int64_t>(i) * 2000);
    EXPECT_NEAR(static_cast<double>(stored[i].duration_ms), 2000.0, 1.0);
  }
  ASSERT_TRUE(store->Close().ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace osprey::agent
