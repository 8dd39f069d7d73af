// kinesis_load: native load generator for osprey-server's Kinesis Data
// Streams API, driven by bench/kinesis.sh (which starts the server). The JS
// SDK tops out near 100,000 records/s of writes on the 2-core CI machine, so
// this measures what the server can do. Phases, each printing one JSON line:
//
//  throughput  --connections keep-alive HTTP/1.1 connections on one io_context
//              thread, each sending PutRecords of --batch records of
//              --record-bytes back to back for --seconds. Bodies are encoded
//              and SigV4-signed before the clock starts (--bodies distinct
//              ones, partition keys spread over the shards; one signature is
//              valid for 5 minutes, longer than the phase), so the generator
//              only writes bytes and reads answers. Every answer must be 200
//              with "FailedRecordCount":0.
//  putrecord   --latency-connections connections, each a closed loop of
//              single-record PutRecord (1 record of --record-bytes, signed
//              once per body) for --latency-seconds: p50/p99/max latency.
//  visibility  a 1-shard stream; one writer does a PutRecord every
//              --visibility-interval-ms whose PartitionKey carries its send
//              time; a polling reader loops GetRecords back to back (poll
//              interval --poll-ms) from LATEST; the put-to-get latency of each
//              record is the time the reader first sees it minus its send time.
//  subscribe   the same with a SubscribeToShard (HTTP/1.1, chunked event
//              stream) reader instead of polling.
//
// --target firehose switches the same machinery to the Firehose API
// (X-Amz-Target Firehose_20150804.*, SigV4 service "firehose"), driven by
// bench/firehose.sh, with two phases of its own:
//
//  fh_throughput  a DirectPut delivery stream (--stream) to the local bucket
//              folder of the same name, GZIP, BufferingHints --size-mb /
//              --interval-s; PutRecordBatch of --batch records back to back as
//              in `throughput`. Each record is "<body> <index> <filler>\n", so
//              the caller can check the delivered objects: record (b, i) must
//              appear exactly acked_per_body[b] times.
//  fh_lag      a second stream (--stream + "-lag"); one PutRecordBatch of one
//              record "lag <seq> <filler>\n" every --visibility-interval-ms;
//              prints the CLOCK_MONOTONIC ns of each acknowledgement so a
//              folder watcher can compute acknowledgement-to-object lag.
//
// With --server-pid, each phase reports the server's CPU seconds (utime +
// stime from /proc/<pid>/stat) over the phase, and records per CPU-second.
#include <boost/asio.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

#include "osprey/auth/sigv4.h"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "9470";
  std::string access_key, secret_key, region = "us-east-1";
  std::string stream = "bench";
  int shards = 4;
  int connections = 32;
  double seconds = 10;
  int batch = 500;
  int record_bytes = 1024;
  int bodies = 16;
  int latency_connections = 4;
  double latency_seconds = 5;
  double visibility_seconds = 5;
  int visibility_interval_ms = 10;
  int poll_ms = 0;
  int server_pid = 0;
  std::string phases = "throughput,putrecord,visibility,subscribe";
  // Firehose mode (--target firehose); the defaults are the Kinesis API.
  std::string target_prefix = "Kinesis_20131202.";
  std::string service = "kinesis";
  int size_mb = 1;
  int interval_s = 1;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "kinesis_load: %s\n", what.c_str());
  std::exit(1);
}

double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double ServerCpuSeconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  auto p = s.rfind(')');
  if (p == std::string::npos) return 0;
  std::istringstream in(s.substr(p + 2));
  std::string field;
  // After ")": state is field 3; utime is 14, stime 15.
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string Base64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// A complete signed HTTP/1.1 request (head and body) for one Kinesis action.
std::string SignedRequest(const Options& o, std::string_view action, const std::string& body) {
  std::string target = o.target_prefix + std::string(action);
  std::string host = o.host + ":" + o.port;
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", host},
      {"Content-Type", "application/x-amz-json-1.1"},
      {"X-Amz-Target", target}};
  std::vector<osprey::auth::HeaderField> fields;
  for (auto& [n, v] : headers) fields.push_back({n, v});
  osprey::auth::RequestView view{"POST", "/", fields};
  auto s = osprey::auth::SignRequest(view, osprey::auth::Sha256Hex(body),
                                     {o.access_key, o.secret_key, ""},
                                     {o.region, o.service, std::chrono::system_clock::now()});
  if (!s.ok()) Die("sign: " + s.status().ToString());
  std::string out = "POST / HTTP/1.1\r\n";
  for (auto& [n, v] : headers) out += n + ": " + v + "\r\n";
  for (auto& [n, v] : s->headers_to_add) out += n + ": " + v + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

// Parses one HTTP response head; returns status, sets *content_length
// (-1 when chunked).
int ParseHead(std::string_view head, long* content_length) {
  int status = 0;
  if (head.size() > 12) status = std::atoi(std::string(head.substr(9, 3)).c_str());
  *content_length = 0;
  size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    auto end = head.find("\r\n", pos);
    std::string line(head.substr(pos, end == std::string_view::npos ? head.npos : end - pos));
    for (auto& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (line.rfind("content-length:", 0) == 0) *content_length = std::atol(line.c_str() + 15);
    if (line.rfind("transfer-encoding:", 0) == 0 && line.find("chunked") != line.npos)
      *content_length = -1;
  }
  return status;
}

// Synchronous keep-alive client for the control calls and the readers.
class SyncClient {
 public:
  SyncClient(asio::io_context& io, const Options& o) : o_(o), socket_(io) {
    asio::connect(socket_, tcp::resolver(io).resolve(o.host, o.port));
    socket_.set_option(tcp::no_delay(true));
  }
  // Returns the status; *body gets the response body.
  int Call(std::string_view action, const std::string& json, std::string* body) {
    return Send(SignedRequest(o_, action, json), body);
  }
  int Send(const std::string& request, std::string* body) {
    asio::write(socket_, asio::buffer(request));
    size_t head_end = asio::read_until(socket_, asio::dynamic_buffer(buf_), "\r\n\r\n");
    long length = 0;
    int status = ParseHead(std::string_view(buf_).substr(0, head_end), &length);
    if (length < 0) Die("unexpected chunked answer");
    buf_.erase(0, head_end);
    if (buf_.size() < static_cast<size_t>(length))
      asio::read(socket_, asio::dynamic_buffer(buf_),
                 asio::transfer_exactly(static_cast<size_t>(length) - buf_.size()));
    body->assign(buf_, 0, static_cast<size_t>(length));
    buf_.erase(0, static_cast<size_t>(length));
    return status;
  }
  tcp::socket& socket() { return socket_; }
  std::string& buffer() { return buf_; }

 private:
  const Options& o_;
  tcp::socket socket_;
  std::string buf_;
};

std::string JsonString(const std::string& body, const std::string& key) {
  std::string k = "\"" + key + "\":\"";
  auto p = body.find(k);
  if (p == std::string::npos) return "";
  p += k.size();
  auto e = body.find('"', p);
  return body.substr(p, e - p);
}

void CreateStream(asio::io_context& io, const Options& o, const std::string& name, int shards) {
  SyncClient c(io, o);
  std::string body;
  int st = c.Call("CreateStream",
                  "{\"StreamName\":\"" + name + "\",\"ShardCount\":" + std::to_string(shards) + "}",
                  &body);
  if (st != 200 && body.find("ResourceInUse") == std::string::npos)
    Die("CreateStream " + name + ": " + std::to_string(st) + " " + body);
  for (int i = 0; i < 200; ++i) {
    st = c.Call("DescribeStreamSummary", "{\"StreamName\":\"" + name + "\"}", &body);
    if (st == 200 && body.find("\"ACTIVE\"") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Die("stream " + name + " never ACTIVE: " + body);
}

struct Stats {
  std::vector<double> ms;
  double Pct(double p) {
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    size_t i = std::min(ms.size() - 1, static_cast<size_t>(p / 100.0 * ms.size()));
    return ms[i];
  }
};

// ---- Async closed-loop connection -------------------------------------------------

struct LoopShared {
  const std::vector<std::string>* requests;
  int records_per_request;
  Clock::time_point stop_at;
  uint64_t requests_done = 0, records_done = 0, errors = 0, bytes_sent = 0;
  std::string first_error;
  std::vector<double> latencies_ms;
  bool record_latency = false;
  // What a successful batch answer contains (the APIs name the count
  // differently); when set, acked[i] counts successes of requests[i].
  std::string ok_marker = "\"FailedRecordCount\":0";
  std::vector<uint64_t>* acked = nullptr;
};

class LoopConn : public std::enable_shared_from_this<LoopConn> {
 public:
  LoopConn(asio::io_context& io, LoopShared* sh, size_t first) : socket_(io), sh_(sh), next_(first) {}
  void Start(const tcp::resolver::results_type& eps) {
    asio::async_connect(socket_, eps, [self = shared_from_this()](auto ec, auto&&) {
      if (ec) return self->Fail("connect: " + ec.message());
      self->socket_.set_option(tcp::no_delay(true));
      self->SendNext();
    });
  }

 private:
  void Fail(const std::string& e) {
    if (sh_->first_error.empty()) sh_->first_error = e;
    ++sh_->errors;
  }
  void SendNext() {
    if (Clock::now() >= sh_->stop_at) return;
    current_ = next_++ % sh_->requests->size();
    const std::string& req = (*sh_->requests)[current_];
    sent_at_ = Clock::now();
    sh_->bytes_sent += req.size();
    asio::async_write(socket_, asio::buffer(req), [self = shared_from_this()](auto ec, size_t) {
      if (ec) return self->Fail("write: " + ec.message());
      self->ReadHead();
    });
  }
  void ReadHead() {
    asio::async_read_until(socket_, asio::dynamic_buffer(buf_), "\r\n\r\n",
                           [self = shared_from_this()](auto ec, size_t n) {
                             if (ec) return self->Fail("read: " + ec.message());
                             self->OnHead(n);
                           });
  }
  void OnHead(size_t head_end) {
    long length = 0;
    status_ = ParseHead(std::string_view(buf_).substr(0, head_end), &length);
    if (length < 0) return Fail("chunked answer");
    buf_.erase(0, head_end);
    length_ = static_cast<size_t>(length);
    if (buf_.size() >= length_) return OnBody();
    asio::async_read(socket_, asio::dynamic_buffer(buf_), asio::transfer_exactly(length_ - buf_.size()),
                     [self = shared_from_this()](auto ec, size_t) {
                       if (ec) return self->Fail("read body: " + ec.message());
                       self->OnBody();
                     });
  }
  void OnBody() {
    std::string_view body(buf_.data(), length_);
    bool ok = status_ == 200 && (sh_->records_per_request == 1 ||
                                 body.find(sh_->ok_marker) != std::string_view::npos);
    if (!ok) {
      Fail("HTTP " + std::to_string(status_) + ": " + std::string(body.substr(0, 300)));
    } else {
      ++sh_->requests_done;
      sh_->records_done += static_cast<uint64_t>(sh_->records_per_request);
      if (sh_->acked) ++(*sh_->acked)[current_];
      if (sh_->record_latency)
        sh_->latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - sent_at_).count());
    }
    buf_.erase(0, length_);
    if (ok) SendNext();
  }

  tcp::socket socket_;
  LoopShared* sh_;
  size_t next_;
  size_t current_ = 0;
  std::string buf_;
  int status_ = 0;
  size_t length_ = 0;
  Clock::time_point sent_at_;
};

std::string Fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// Runs a closed loop of `requests` on `conns` connections; prints a JSON line.
void RunLoop(const Options& o, const std::string& phase, const std::vector<std::string>& requests,
             int records_per_request, int conns, double seconds, bool latency,
             const std::string& ok_marker = "\"FailedRecordCount\":0", bool per_body = false) {
  asio::io_context io;
  auto eps = tcp::resolver(io).resolve(o.host, o.port);
  LoopShared sh;
  sh.requests = &requests;
  sh.records_per_request = records_per_request;
  sh.record_latency = latency;
  sh.ok_marker = ok_marker;
  std::vector<uint64_t> acked(requests.size(), 0);
  if (per_body) sh.acked = &acked;
  double cpu0 = ServerCpuSeconds(o.server_pid);
  double self0 = SelfCpuSeconds();
  auto start = Clock::now();
  sh.stop_at = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int i = 0; i < conns; ++i)
    std::make_shared<LoopConn>(io, &sh, static_cast<size_t>(i) * 7)->Start(eps);
  io.run();
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu = ServerCpuSeconds(o.server_pid) - cpu0;
  double self_cpu = SelfCpuSeconds() - self0;
  Stats st{std::move(sh.latencies_ms)};
  std::string out = "{\"phase\":\"" + phase + "\",\"connections\":" + std::to_string(conns) +
                    ",\"records_per_request\":" + std::to_string(records_per_request) +
                    ",\"record_bytes\":" + std::to_string(o.record_bytes) +
                    ",\"requests\":" + std::to_string(sh.requests_done) +
                    ",\"records\":" + std::to_string(sh.records_done) +
                    ",\"wall_s\":" + Fmt("%.3f", wall) +
                    ",\"records_per_s\":" + Fmt("%.1f", sh.records_done / wall) +
                    ",\"requests_per_s\":" + Fmt("%.1f", sh.requests_done / wall) +
                    ",\"mb_per_s\":" + Fmt("%.2f", sh.bytes_sent / wall / 1e6) +
                    ",\"server_cpu_s\":" + Fmt("%.3f", cpu) +
                    ",\"generator_cpu_s\":" + Fmt("%.3f", self_cpu) +
                    ",\"records_per_cpu_s\":" + Fmt("%.1f", cpu > 0 ? sh.records_done / cpu : 0) +
                    ",\"errors\":" + std::to_string(sh.errors);
  if (latency)
    out += ",\"p50_ms\":" + Fmt("%.3f", st.Pct(50)) + ",\"p99_ms\":" + Fmt("%.3f", st.Pct(99)) +
           ",\"max_ms\":" + Fmt("%.3f", st.Pct(100));
  if (per_body) {
    out += ",\"acked_per_body\":[";
    for (size_t i = 0; i < acked.size(); ++i) out += (i ? "," : "") + std::to_string(acked[i]);
    out += "]";
  }
  if (!sh.first_error.empty()) {
    std::string e;
    for (char c : sh.first_error) e += (c == '"' || c == '\\') ? '\'' : (c < 32 ? ' ' : c);
    out += ",\"first_error\":\"" + e + "\"";
  }
  std::printf("%s}\n", out.c_str());
  std::fflush(stdout);
}

std::string Payload(std::mt19937_64& rng, int bytes) {
  std::string p(static_cast<size_t>(bytes), '\0');
  for (auto& c : p) c = static_cast<char>(rng());
  return p;
}

void Throughput(const Options& o) {
  CreateStream(*std::make_unique<asio::io_context>(), o, o.stream, o.shards);
  std::mt19937_64 rng(42);
  std::vector<std::string> requests;
  uint64_t key = 0;
  for (int b = 0; b < o.bodies; ++b) {
    std::string body = "{\"StreamName\":\"" + o.stream + "\",\"Records\":[";
    for (int i = 0; i < o.batch; ++i) {
      if (i) body += ',';
      body += "{\"Data\":\"" + Base64(Payload(rng, o.record_bytes)) + "\",\"PartitionKey\":\"pk-" +
              std::to_string(key++) + "\"}";
    }
    body += "]}";
    requests.push_back(SignedRequest(o, "PutRecords", body));
  }
  RunLoop(o, "throughput", requests, o.batch, o.connections, o.seconds, true);
}

void PutRecordLatency(const Options& o) {
  std::string name = o.stream + "-single";
  CreateStream(*std::make_unique<asio::io_context>(), o, name, o.shards);
  std::mt19937_64 rng(7);
  std::vector<std::string> requests;
  for (int b = 0; b < 256; ++b) {
    std::string body = "{\"StreamName\":\"" + name + "\",\"Data\":\"" +
                       Base64(Payload(rng, o.record_bytes)) + "\",\"PartitionKey\":\"pk-" +
                       std::to_string(b) + "\"}";
    requests.push_back(SignedRequest(o, "PutRecord", body));
  }
  RunLoop(o, "putrecord", requests, 1, o.latency_connections, o.latency_seconds, true);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// Finds every "PartitionKey":"ts-<ns>" in `text` from *cursor on and records
// now - ns (ms) for each; advances *cursor past complete matches.
void ScanKeys(std::string_view text, size_t* cursor, std::vector<double>* out, int64_t now) {
  static constexpr std::string_view kKey = "\"PartitionKey\":\"ts-";
  for (;;) {
    auto p = text.find(kKey, *cursor);
    if (p == std::string_view::npos) {
      if (text.size() > kKey.size()) *cursor = std::max(*cursor, text.size() - kKey.size());
      return;
    }
    auto q = text.find('"', p + kKey.size());
    if (q == std::string_view::npos) return;  // incomplete: wait for more bytes
    int64_t ns = std::atoll(std::string(text.substr(p + kKey.size(), q - p - kKey.size())).c_str());
    out->push_back(static_cast<double>(now - ns) / 1e6);
    *cursor = q;
  }
}

// Writes one timestamped record every interval until stop; returns the count.
void TimedWriter(const Options& o, const std::string& name, Clock::time_point stop,
                 std::atomic<int>* sent) {
  asio::io_context io;
  SyncClient c(io, o);
  std::string data = Base64(std::string(static_cast<size_t>(o.record_bytes), 'x'));
  auto next = Clock::now();
  std::string body;
  while (Clock::now() < stop) {
    std::string req = "{\"StreamName\":\"" + name + "\",\"Data\":\"" + data +
                      "\",\"PartitionKey\":\"ts-" + std::to_string(NowNs()) + "\"}";
    // Signing is part of what a producer does per record; it takes ~10 us.
    if (c.Call("PutRecord", req, &body) != 200) Die("PutRecord: " + body);
    sent->fetch_add(1);
    next += std::chrono::milliseconds(o.visibility_interval_ms);
    std::this_thread::sleep_until(next);
  }
}

void PrintVisibility(const std::string& phase, Stats& st, int sent, double cpu, double wall,
                     const Options& o) {
  size_t seen = st.ms.size();
  std::printf(
      "{\"phase\":\"%s\",\"sent\":%d,\"seen\":%zu,\"interval_ms\":%d,\"poll_ms\":%d,"
      "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"server_cpu_s\":%.3f,"
      "\"wall_s\":%.3f}\n",
      phase.c_str(), sent, seen, o.visibility_interval_ms, o.poll_ms, st.Pct(50), st.Pct(90),
      st.Pct(99), st.Pct(100), cpu, wall);
  std::fflush(stdout);
}

void PollingVisibility(const Options& o) {
  std::string name = o.stream + "-vis";
  asio::io_context io;
  CreateStream(io, o, name, 1);
  SyncClient reader(io, o);
  std::string body;
  if (reader.Call("GetShardIterator",
                  "{\"StreamName\":\"" + name +
                      "\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"LATEST\"}",
                  &body) != 200)
    Die("GetShardIterator: " + body);
  std::string it = JsonString(body, "ShardIterator");
  double cpu0 = ServerCpuSeconds(o.server_pid);
  auto start = Clock::now();
  auto stop = start + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(o.visibility_seconds));
  std::atomic<int> sent{0};
  std::thread writer(TimedWriter, std::cref(o), name, stop, &sent);
  Stats st;
  uint64_t polls = 0;
  auto drain_until = stop + std::chrono::milliseconds(500);
  while (Clock::now() < drain_until) {
    if (reader.Call("GetRecords", "{\"ShardIterator\":\"" + it + "\",\"Limit\":10000}", &body) != 200)
      Die("GetRecords: " + body);
    int64_t now = NowNs();
    ++polls;
    size_t cursor = 0;
    ScanKeys(body, &cursor, &st.ms, now);
    it = JsonString(body, "NextShardIterator");
    if (Clock::now() >= stop && static_cast<int>(st.ms.size()) >= sent.load()) break;
    if (o.poll_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(o.poll_ms));
  }
  writer.join();
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  PrintVisibility("visibility_poll", st, sent.load(), ServerCpuSeconds(o.server_pid) - cpu0, wall, o);
  std::fprintf(stderr, "visibility_poll: %llu GetRecords calls\n",
               static_cast<unsigned long long>(polls));
}

void SubscribeVisibility(const Options& o) {
  std::string name = o.stream + "-sub";
  asio::io_context io;
  CreateStream(io, o, name, 1);
  SyncClient ctl(io, o);
  std::string body;
  if (ctl.Call("DescribeStreamSummary", "{\"StreamName\":\"" + name + "\"}", &body) != 200)
    Die("DescribeStreamSummary: " + body);
  std::string arn = JsonString(body, "StreamARN");
  if (ctl.Call("RegisterStreamConsumer",
               "{\"StreamARN\":\"" + arn + "\",\"ConsumerName\":\"bench\"}", &body) != 200)
    Die("RegisterStreamConsumer: " + body);
  std::string consumer = JsonString(body, "ConsumerARN");
  for (int i = 0; i < 200; ++i) {
    ctl.Call("DescribeStreamConsumer", "{\"ConsumerARN\":\"" + consumer + "\"}", &body);
    if (body.find("\"ACTIVE\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  SyncClient sub(io, o);
  std::string req = SignedRequest(
      o, "SubscribeToShard",
      "{\"ConsumerARN\":\"" + consumer +
          "\",\"ShardId\":\"shardId-000000000000\",\"StartingPosition\":{\"Type\":\"LATEST\"}}");
  asio::write(sub.socket(), asio::buffer(req));
  std::string& raw = sub.buffer();
  size_t head_end = asio::read_until(sub.socket(), asio::dynamic_buffer(raw), "\r\n\r\n");
  long length = 0;
  int status = ParseHead(std::string_view(raw).substr(0, head_end), &length);
  if (status != 200) Die("SubscribeToShard: HTTP " + std::to_string(status) + " " + raw);
  raw.erase(0, head_end);
  bool chunked = length < 0;
  // Wait for the initial-response before writing: LATEST is taken then.
  std::string data;  // de-chunked event-stream bytes
  size_t cursor = 0;
  Stats st;
  double cpu0 = ServerCpuSeconds(o.server_pid);
  auto start = Clock::now();
  auto stop = start + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(o.visibility_seconds));
  std::atomic<int> sent{0};
  std::thread writer;
  bool writer_started = false;
  sub.socket().non_blocking(false);
  auto drain_until = stop + std::chrono::milliseconds(500);
  char tmp[65536];
  for (;;) {
    // De-chunk what we have.
    if (chunked) {
      for (;;) {
        auto eol = raw.find("\r\n");
        if (eol == std::string::npos) break;
        size_t n = std::strtoul(raw.c_str(), nullptr, 16);
        if (raw.size() < eol + 2 + n + 2) break;
        data.append(raw, eol + 2, n);
        raw.erase(0, eol + 2 + n + 2);
      }
    } else {
      data += raw;
      raw.clear();
    }
    int64_t now = NowNs();
    ScanKeys(data, &cursor, &st.ms, now);
    if (!writer_started && data.find("initial-response") != std::string::npos) {
      writer_started = true;
      start = Clock::now();
      stop = start + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(o.visibility_seconds));
      drain_until = stop + std::chrono::milliseconds(500);
      writer = std::thread(TimedWriter, std::cref(o), name, stop, &sent);
    }
    if (writer_started && Clock::now() >= stop && static_cast<int>(st.ms.size()) >= sent.load()) break;
    if (Clock::now() >= drain_until) break;
    // Wait for bytes, at most 100 ms.
    pollfd pfd{sub.socket().native_handle(), POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    boost::system::error_code ec;
    size_t n = sub.socket().read_some(asio::buffer(tmp), ec);
    if (ec) Die("SubscribeToShard read: " + ec.message());
    raw.append(tmp, n);
  }
  if (writer.joinable()) writer.join();
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  PrintVisibility("visibility_subscribe", st, sent.load(), ServerCpuSeconds(o.server_pid) - cpu0,
                  wall, o);
}

// ---- Firehose mode ------------------------------------------------------------------

// Creates a DirectPut delivery stream to the local bucket folder named like
// the stream (DATA_DIR/s3/<name>/) and waits until it is ACTIVE.
void CreateDeliveryStream(const Options& o, const std::string& name) {
  asio::io_context io;
  SyncClient c(io, o);
  std::string body;
  std::string req =
      "{\"DeliveryStreamName\":\"" + name + "\",\"DeliveryStreamType\":\"DirectPut\","
      "\"ExtendedS3DestinationConfiguration\":{\"RoleARN\":\"arn:aws:iam::000000000000:role/bench\","
      "\"BucketARN\":\"arn:aws:s3:::" + name + "\",\"Prefix\":\"" + name + "/\","
      "\"CompressionFormat\":\"GZIP\",\"BufferingHints\":{\"SizeInMBs\":" +
      std::to_string(o.size_mb) + ",\"IntervalInSeconds\":" + std::to_string(o.interval_s) + "}}}";
  int st = c.Call("CreateDeliveryStream", req, &body);
  if (st != 200) Die("CreateDeliveryStream " + name + ": " + std::to_string(st) + " " + body);
  for (int i = 0; i < 200; ++i) {
    st = c.Call("DescribeDeliveryStream", "{\"DeliveryStreamName\":\"" + name + "\"}", &body);
    if (st == 200 && body.find("\"ACTIVE\"") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Die("delivery stream " + name + " never ACTIVE: " + body);
}

// Printable filler (no '\n', which separates records in the objects): random
// over 64 symbols, so GZIP sees data that compresses about as well as text
// (~0.75), not the all-same bytes that would flatter the compressor.
std::string Filler(std::mt19937_64& rng, size_t bytes) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string p(bytes, '\0');
  for (auto& c : p) c = t[rng() & 63];
  return p;
}

// One record of exactly --record-bytes: `head` then filler then '\n'.
std::string FirehoseRecord(std::mt19937_64& rng, const Options& o, const std::string& head) {
  size_t total = static_cast<size_t>(std::max<int>(o.record_bytes, static_cast<int>(head.size()) + 2));
  return head + " " + Filler(rng, total - head.size() - 2) + "\n";
}

void FirehoseThroughput(const Options& o) {
  CreateDeliveryStream(o, o.stream);
  std::mt19937_64 rng(42);
  std::vector<std::string> requests;
  for (int b = 0; b < o.bodies; ++b) {
    std::string body = "{\"DeliveryStreamName\":\"" + o.stream + "\",\"Records\":[";
    for (int i = 0; i < o.batch; ++i) {
      if (i) body += ',';
      body += "{\"Data\":\"" +
              Base64(FirehoseRecord(rng, o, std::to_string(b) + " " + std::to_string(i))) + "\"}";
    }
    body += "]}";
    requests.push_back(SignedRequest(o, "PutRecordBatch", body));
  }
  RunLoop(o, "fh_throughput", requests, o.batch, o.connections, o.seconds, true,
          "\"FailedPutCount\":0", true);
}

void FirehoseLag(const Options& o) {
  std::string name = o.stream + "-lag";
  CreateDeliveryStream(o, name);
  asio::io_context io;
  SyncClient c(io, o);
  std::mt19937_64 rng(9);
  std::string body;
  std::string acks;
  int sent = 0;
  auto stop = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(o.visibility_seconds));
  auto next = Clock::now();
  while (Clock::now() < stop) {
    std::string rec = FirehoseRecord(rng, o, "lag " + std::to_string(sent));
    std::string req = "{\"DeliveryStreamName\":\"" + name + "\",\"Records\":[{\"Data\":\"" +
                      Base64(rec) + "\"}]}";
    if (c.Call("PutRecordBatch", req, &body) != 200 ||
        body.find("\"FailedPutCount\":0") == std::string::npos)
      Die("PutRecordBatch: " + body);
    // Steady clock = CLOCK_MONOTONIC on Linux: the watcher compares against it.
    acks += (sent ? "," : "") + std::to_string(NowNs());
    ++sent;
    next += std::chrono::milliseconds(o.visibility_interval_ms);
    std::this_thread::sleep_until(next);
  }
  std::printf("{\"phase\":\"fh_lag\",\"stream\":\"%s\",\"sent\":%d,\"interval_ms\":%d,"
              "\"ack_ns\":[%s]}\n",
              name.c_str(), sent, o.visibility_interval_ms, acks.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--host") o.host = next();
    else if (a == "--port") o.port = next();
    else if (a == "--access-key") o.access_key = next();
    else if (a == "--secret-key") o.secret_key = next();
    else if (a == "--region") o.region = next();
    else if (a == "--stream") o.stream = next();
    else if (a == "--shards") o.shards = std::stoi(next());
    else if (a == "--connections") o.connections = std::stoi(next());
    else if (a == "--seconds") o.seconds = std::stod(next());
    else if (a == "--batch") o.batch = std::stoi(next());
    else if (a == "--record-bytes") o.record_bytes = std::stoi(next());
    else if (a == "--bodies") o.bodies = std::stoi(next());
    else if (a == "--latency-connections") o.latency_connections = std::stoi(next());
    else if (a == "--latency-seconds") o.latency_seconds = std::stod(next());
    else if (a == "--visibility-seconds") o.visibility_seconds = std::stod(next());
    else if (a == "--visibility-interval-ms") o.visibility_interval_ms = std::stoi(next());
    else if (a == "--poll-ms") o.poll_ms = std::stoi(next());
    else if (a == "--server-pid") o.server_pid = std::stoi(next());
    else if (a == "--phases") o.phases = next();
    else if (a == "--size-mb") o.size_mb = std::stoi(next());
    else if (a == "--interval-s") o.interval_s = std::stoi(next());
    else if (a == "--target") {
      std::string t = next();
      if (t == "firehose") {
        o.target_prefix = "Firehose_20150804.";
        o.service = "firehose";
      } else if (t != "kinesis") {
        Die("--target must be kinesis or firehose");
      }
    }
    else Die("unknown option " + a);
  }
  auto has = [&](const std::string& p) { return ("," + o.phases + ",").find("," + p + ",") != std::string::npos; };
  if (has("throughput")) Throughput(o);
  if (has("putrecord")) PutRecordLatency(o);
  if (has("visibility")) PollingVisibility(o);
  if (has("subscribe")) SubscribeVisibility(o);
  if (has("fh_lag")) FirehoseLag(o);
  if (has("fh_throughput")) FirehoseThroughput(o);
  return 0;
}
