// ingest_load: N simulated KVS producers streaming to osprey-server's
// PutMedia at a fixed bitrate (or one at full speed), measuring what the
// issue asks of ingest: fragments/s, MB/s and the PERSISTED latency of each
// fragment. Driven by bench/ingest.sh, which starts the server, measures its
// CPU from /proc and prints the table; this program prints one JSON line.
//
// Each producer sends what the real producer sends (video-api.md section 7,
// appendix A): a signed chunked POST /putMedia with an EBML header, an
// unknown-size Segment, Info and Tracks, then one unknown-size Cluster per
// fragment with SimpleBlocks at the frame rate, one HTTP chunk per frame,
// absolute epoch-ms timecodes, and END_OF_FRAGMENT after the last cluster.
//
// Latency: a fragment of unknown size is complete for the server when the
// next Cluster (or the END_OF_FRAGMENT tag) arrives, so its clock starts
// when we hand that next element to the socket and stops when its PERSISTED
// ack is read. Frame payloads are random bytes: ingest never decodes video.
//
// Threading: one io_context on one thread; all producers are callbacks on it.
#include <boost/asio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "osprey/auth/sigv4.h"
#include "osprey/fragments/mkv_writer.h"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "9470";
  std::string access_key, secret_key, region = "us-east-1";
  int streams = 1;
  double seconds = 10;
  int64_t bitrate = 2'000'000;
  int fps = 25;
  int fragment_ms = 2000;
  bool full_speed = false;
  std::string prefix = "bench-";
  // Prints "PERSISTED <stream> <FragmentNumber> <sha256 of the Cluster bytes
  // sent>" per acknowledged fragment (the video crash test checks these
  // after restarting the server).
  bool report_persisted = false;
  bool create = true;
};

struct Totals {
  uint64_t bytes_sent = 0, fragments_sent = 0, persisted = 0, errors = 0;
  std::vector<double> latencies_ms;
  std::string first_error;
};

int64_t EpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// Signs and renders an HTTP/1.1 request head (and body, for JSON calls).
std::string SignedHead(const Options& o, const std::string& path,
                       std::vector<std::pair<std::string, std::string>> headers,
                       const std::string& body, bool empty_payload) {
  headers.insert(headers.begin(), {"Host", o.host});
  std::vector<osprey::auth::HeaderField> fields;
  for (auto& [n, v] : headers) fields.push_back({n, v});
  osprey::auth::RequestView view{"POST", path, fields};
  std::string hash = empty_payload ? std::string(osprey::auth::kEmptyPayloadSha256)
                                   : osprey::auth::Sha256Hex(body);
  auto signed_req = osprey::auth::SignRequest(
      view, hash, {o.access_key, o.secret_key, ""},
      {o.region, "kinesisvideo", std::chrono::system_clock::now()});
  if (!signed_req.ok()) {
    std::fprintf(stderr, "sign: %s\n", signed_req.status().ToString().c_str());
    std::exit(1);
  }
  std::string out = "POST " + path + " HTTP/1.1\r\n";
  for (auto& [n, v] : headers) out += n + ": " + v + "\r\n";
  for (auto& [n, v] : signed_req->headers_to_add) out += n + ": " + v + "\r\n";
  return out;
}

// CreateStream, synchronously; an existing stream is fine.
void CreateStream(asio::io_context& io, const Options& o, const std::string& name) {
  std::string body = "{\"StreamName\":\"" + name + "\",\"DataRetentionInHours\":1}";
  std::string req = SignedHead(o, "/createStream", {{"Content-Type", "application/json"}}, body,
                               false);
  req += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  tcp::socket s(io);
  asio::connect(s, tcp::resolver(io).resolve(o.host, o.port));
  asio::write(s, asio::buffer(req));
  std::string reply;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    size_t n = s.read_some(asio::buffer(buf), ec);
    reply.append(buf, n);
    if (ec) break;
  }
  if (reply.find(" 200 ") == std::string::npos && reply.find("ResourceInUse") == std::string::npos) {
    std::fprintf(stderr, "createStream %s failed:\n%s\n", name.c_str(), reply.c_str());
    std::exit(1);
  }
}

class Producer : public std::enable_shared_from_this<Producer> {
 public:
  Producer(asio::io_context& io, const Options& o, std::string name, Totals* totals,
           Clock::time_point stop_at)
      : o_(o), name_(std::move(name)), totals_(totals), socket_(io), timer_(io),
        stop_at_(stop_at), rng_(std::hash<std::string>()(name_)),
        writer_(MakeInfo(), MakeTracks()) {
    frame_bytes_ = static_cast<size_t>(o.bitrate / 8 / o.fps);
    frames_per_fragment_ = std::max(1, o.fragment_ms * o.fps / 1000);
    payload_.resize(frame_bytes_);
    for (auto& c : payload_) c = static_cast<char>(rng_());
  }

  // Connects after `delay`: cameras are not synchronised, so producers
  // start spread over one fragment duration (otherwise every stream would
  // complete its fragments in the same millisecond, which no deployment
  // sees).
  void Start(const tcp::resolver::results_type& endpoints, std::chrono::microseconds delay) {
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this(), endpoints](auto) {
      asio::async_connect(self->socket_, endpoints, [self](auto ec, auto&&) {
        if (ec) return self->Fail("connect: " + ec.message());
        self->SendHead();
      });
    });
  }

 private:
  static osprey::fragments::SegmentInfo MakeInfo() {
    osprey::fragments::SegmentInfo info;
    info.segment_uid = std::string(16, '\x42');
    info.writing_app = "osprey ingest_load";
    return info;
  }
  static std::vector<osprey::fragments::TrackEntry> MakeTracks() {
    osprey::fragments::TrackEntry t;
    t.number = 1;
    t.uid = 1;
    t.type = 1;
    t.codec_id = "V_MPEG4/ISO/AVC";
    t.name = "kinesis_video";
    t.codec_private = std::string("\x01\x64\x00\x1f\xff\xe1\x00\x00\x01\x00\x00", 11);
    t.pixel_width = 1280;
    t.pixel_height = 720;
    return {t};
  }

  void SendHead() {
    start_ms_ = EpochMs();
    char start[32];
    std::snprintf(start, sizeof start, "%.3f", static_cast<double>(start_ms_) / 1000.0);
    std::string head = SignedHead(o_, "/putMedia",
                                  {{"x-amzn-stream-name", name_},
                                   {"x-amzn-fragment-timecode-type", "ABSOLUTE"},
                                   {"x-amzn-producer-start-timestamp", start},
                                   {"x-amzn-fragment-acknowledgment-required", "1"},
                                   {"Content-Type", "application/json"}},
                                  "", true);
    head += "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n";
    std::string mkv;
    writer_.WriteHeader(&mkv);
    Queue(std::move(head), false);
    Queue(std::move(mkv), true);
    ReadAcks();
    started_ = Clock::now();
    NextFrame();
  }

  // Appends `data` to the send queue, as one HTTP chunk when `chunk`.
  void Queue(std::string data, bool chunk) {
    if (chunk) {
      char size[24];
      std::snprintf(size, sizeof size, "%zx\r\n", data.size());
      data = size + data + "\r\n";
    }
    totals_->bytes_sent += data.size();
    out_.push_back(std::move(data));
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (out_.empty()) {
      writing_ = false;
      if (o_.full_speed && !ending_) NextFrame();
      return;
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(out_.front()),
                      [self = shared_from_this()](auto ec, size_t) {
                        if (ec) return self->Fail("write: " + ec.message());
                        self->out_.pop_front();
                        self->WriteNext();
                      });
  }

  void NextFrame() {
    if (Clock::now() >= stop_at_) return End();
    int64_t timecode = start_ms_ + frame_no_ * 1000 / o_.fps;
    std::string bytes;
    bool key = frame_no_ % frames_per_fragment_ == 0;
    if (key) {
      // The previous fragment completes when the server sees this Cluster.
      if (cluster_tc_ >= 0) complete_at_[cluster_tc_] = Clock::now();
      SealCluster();
      cluster_tc_ = timecode;
      writer_.StartCluster(static_cast<uint64_t>(timecode), &bytes);
      ++totals_->fragments_sent;
    }
    osprey::fragments::FrameSpec frame{1, timecode, key, payload_};
    if (auto s = writer_.WriteFrame(frame, &bytes); !s.ok()) return Fail(s.ToString());
    if (o_.report_persisted) cluster_bytes_ += bytes;
    ++frame_no_;
    Queue(std::move(bytes), true);
    if (!o_.full_speed) {
      timer_.expires_at(started_ + std::chrono::microseconds(frame_no_ * 1'000'000 / o_.fps));
      timer_.async_wait([self = shared_from_this()](auto ec) {
        if (!ec) self->NextFrame();
      });
    }
  }

  void End() {
    if (ending_) return;
    ending_ = true;
    std::string bytes;
    writer_.WriteTags({{{{std::string(osprey::fragments::kTagEndOfFragment), ""}}}}, &bytes);
    if (cluster_tc_ >= 0) complete_at_[cluster_tc_] = Clock::now();
    SealCluster();
    Queue(std::move(bytes), true);
    MaybeFinish();
  }

  // Remembers the hash of the Cluster just completed, for the report.
  void SealCluster() {
    if (!o_.report_persisted || cluster_tc_ < 0 || cluster_bytes_.empty()) return;
    cluster_sha_[cluster_tc_] = osprey::auth::Sha256Hex(cluster_bytes_);
    cluster_bytes_.clear();
  }

  // Ends the body once every fragment we completed is PERSISTED.
  void MaybeFinish() {
    if (!ending_ || finished_ || !complete_at_.empty()) return;
    finished_ = true;
    Queue("0\r\n\r\n", false);
    timer_.expires_after(std::chrono::seconds(2));
    timer_.async_wait([self = shared_from_this()](auto) {
      boost::system::error_code ignored;
      self->socket_.close(ignored);
    });
  }

  void ReadAcks() {
    socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](auto ec, size_t n) {
      if (ec) {
        if (!self->finished_) self->Fail("read: " + ec.message());
        return;
      }
      self->in_.append(self->buf_, n);
      self->ParseAcks();
      self->ReadAcks();
    });
  }

  // Acks are flat JSON objects, one per HTTP chunk; chunk-size lines never
  // hold braces, so scanning for {...} de-chunks well enough.
  void ParseAcks() {
    for (;;) {
      size_t open = in_.find('{');
      if (open == std::string::npos) {
        in_.clear();
        return;
      }
      size_t close = in_.find('}', open);
      if (close == std::string::npos) {
        in_.erase(0, open);
        return;
      }
      std::string ack = in_.substr(open, close - open + 1);
      in_.erase(0, close + 1);
      OnAck(ack);
    }
  }

  void OnAck(const std::string& ack) {
    if (ack.find("\"ERROR\"") != std::string::npos) {
      ++totals_->errors;
      if (totals_->first_error.empty()) totals_->first_error = name_ + ": " + ack;
      return;
    }
    if (ack.find("\"PERSISTED\"") == std::string::npos) return;
    size_t at = ack.find("\"FragmentTimecode\":");
    if (at == std::string::npos) return;
    int64_t tc = std::strtoll(ack.c_str() + at + 19, nullptr, 10);
    ++totals_->persisted;
    if (o_.report_persisted) {
      size_t fn = ack.find("\"FragmentNumber\":\"");
      auto sha = cluster_sha_.find(tc);
      if (fn != std::string::npos && sha != cluster_sha_.end()) {
        std::printf("PERSISTED %s %s %s\n", name_.c_str(), ack.substr(fn + 18, 47).c_str(),
                    sha->second.c_str());
        std::fflush(stdout);
      }
    }
    auto it = complete_at_.find(tc);
    if (it != complete_at_.end()) {
      totals_->latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - it->second).count());
      complete_at_.erase(it);
    }
    MaybeFinish();
  }

  void Fail(const std::string& what) {
    ++totals_->errors;
    if (totals_->first_error.empty()) totals_->first_error = name_ + ": " + what;
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

  const Options& o_;
  std::string name_;
  Totals* totals_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  Clock::time_point stop_at_, started_;
  std::minstd_rand rng_;
  osprey::fragments::ProducerMkvWriter writer_;
  size_t frame_bytes_ = 0;
  int frames_per_fragment_ = 1;
  std::string payload_;
  int64_t start_ms_ = 0, frame_no_ = 0, cluster_tc_ = -1;
  std::deque<std::string> out_;
  bool writing_ = false, ending_ = false, finished_ = false;
  std::map<int64_t, Clock::time_point> complete_at_;  // cluster timecode -> completion
  std::string cluster_bytes_;                          // of the open cluster (report only)
  std::map<int64_t, std::string> cluster_sha_;         // cluster timecode -> sha256
  char buf_[4096];
  std::string in_;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--host") o.host = next();
    else if (a == "--port") o.port = next();
    else if (a == "--access-key") o.access_key = next();
    else if (a == "--secret-key") o.secret_key = next();
    else if (a == "--region") o.region = next();
    else if (a == "--streams") o.streams = std::stoi(next());
    else if (a == "--seconds") o.seconds = std::stod(next());
    else if (a == "--bitrate") o.bitrate = std::stoll(next());
    else if (a == "--fps") o.fps = std::stoi(next());
    else if (a == "--fragment-ms") o.fragment_ms = std::stoi(next());
    else if (a == "--full-speed") o.full_speed = true;
    else if (a == "--prefix") o.prefix = next();
    else if (a == "--report-persisted") o.report_persisted = true;
    else if (a == "--no-create") o.create = false;
    else {
      std::fprintf(stderr,
                   "usage: ingest_load --port P --access-key K --secret-key S [--streams N]\n"
                   "  [--seconds S] [--bitrate BPS] [--fps F] [--fragment-ms MS] [--full-speed]\n"
                   "  [--prefix P] [--report-persisted] [--no-create]\n");
      std::exit(2);
    }
  }
  if (o.access_key.empty() || o.secret_key.empty()) {
    std::fprintf(stderr, "--access-key and --secret-key are required\n");
    std::exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  asio::io_context io;
  if (o.create) {
    for (int i = 0; i < o.streams; ++i) CreateStream(io, o, o.prefix + std::to_string(i));
  }
  auto endpoints = tcp::resolver(io).resolve(o.host, o.port);
  Totals totals;
  auto t0 = Clock::now();
  auto stop_at = t0 + std::chrono::milliseconds(static_cast<int64_t>(o.seconds * 1000));
  for (int i = 0; i < o.streams; ++i) {
    auto delay = std::chrono::microseconds(int64_t{o.fragment_ms} * 1000 * i / o.streams);
    std::make_shared<Producer>(io, o, o.prefix + std::to_string(i), &totals, stop_at + delay)
        ->Start(endpoints, delay);
  }
  io.run();
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "{\"streams\":%d,\"seconds\":%.3f,\"full_speed\":%s,\"fragments_sent\":%llu,"
      "\"fragments_persisted\":%llu,\"errors\":%llu,\"bytes_sent\":%llu,\"mb_per_s\":%.2f,"
      "\"fragments_per_s\":%.2f,\"ack_p50_ms\":%.2f,\"ack_p99_ms\":%.2f,\"ack_max_ms\":%.2f,"
      "\"first_error\":\"%s\"}\n",
      o.streams, wall, o.full_speed ? "true" : "false",
      static_cast<unsigned long long>(totals.fragments_sent),
      static_cast<unsigned long long>(totals.persisted),
      static_cast<unsigned long long>(totals.errors),
      static_cast<unsigned long long>(totals.bytes_sent),
      static_cast<double>(totals.bytes_sent) / 1e6 / std::min(wall, o.seconds + 0.001),
      static_cast<double>(totals.persisted) / wall, Percentile(totals.latencies_ms, 0.5),
      Percentile(totals.latencies_ms, 0.99), Percentile(totals.latencies_ms, 1.0),
      totals.first_error.empty() ? "" : "see stderr");
  if (!totals.first_error.empty()) std::fprintf(stderr, "first error: %s\n", totals.first_error.c_str());
  return totals.errors == 0 ? 0 : 1;
}
