// PutMedia sessions of the server: one PutMediaSession per upload (chunked
// HTTP or WebSocket), wrapping the protocol-free fragments::IngestSession,
// and the PutMediaRegistry that enforces one producer per stream, sends IDLE
// acks, closes quiet uploads and ends uploads of deleted streams.
// docs/video-ingest.md describes the behaviour; video-api.md section 4 the
// wire.
//
// Threading: every method may be called from any thread. Acks reach the
// transport in order (IngestSession emits them under its lock; IDLE acks are
// serialised with them by the session's send mutex). The registry runs one
// ticker thread for all sessions; it never blocks on I/O.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/fragments/ingest_session.h"
#include "video/access_guard.h"
#include "video/video_routes.h"

namespace osprey::server::video {

// Where acks go: one HTTP chunk per ack, or one WebSocket text message.
class AckTransport {
 public:
  virtual ~AckTransport() = default;
  // One encoded ack line (EncodeAck).
  virtual void Send(std::string line) = 0;
  // The session is over: end the response (terminating chunk) or close.
  virtual void End() = 0;
};

// What an upload names, from headers (HTTP) or query parameters (WebSocket).
struct PutMediaTarget {
  std::optional<std::string> stream_name;
  std::optional<std::string> stream_arn;
  std::optional<std::string> timecode_type;    // ABSOLUTE | RELATIVE
  std::optional<std::string> start_timestamp;  // epoch seconds, e.g. 1700000000.123
};

struct PreparedPutMedia {
  fragments::VideoStream stream;
  fragments::IngestOptions options;
};

// Checks `target` before any body byte is read (video-api.md 4.1):
// InvalidArgument (both or neither of name/ARN, bad name or ARN, bad timecode
// type or start timestamp), NotFound (unknown stream), Internal (store).
Result<PreparedPutMedia> PreparePutMedia(const PutMediaTarget& target, VideoContext* context);
// The stream name and ARN of `target`, for the access check (the WebSocket
// ingest applies the PutMedia rule too).
std::vector<std::string> TargetStreams(const PutMediaTarget& target);

// Epoch seconds with up to 3 decimals ("1700000000.123") to ms.
std::optional<int64_t> ParseEpochSecondsMs(std::string_view text);

class PutMediaRegistry;

class PutMediaSession : public std::enable_shared_from_this<PutMediaSession> {
 public:
  PutMediaSession(PreparedPutMedia prepared, std::unique_ptr<AckTransport> transport,
                  std::string remote);
  ~PutMediaSession();

  // Creates the IngestSession and makes this the stream's producer; a
  // producer already there gets ERROR 4000 and ends (newest wins).
  void Start(const std::shared_ptr<PutMediaRegistry>& registry);

  void OnData(std::string_view data);
  void OnEndOfBody();
  // Server shutdown or idle timeout: seal what is complete, last acks, end.
  void OnShutdown();
  // Ends with an ERROR ack (newest wins: 4000; stream deleted: 4008).
  void Fail(int error_id, std::string message);
  // The connection is gone: the open fragment is dropped, nothing more sent.
  void OnConnectionLost();

  // Ticker: IDLE acks while quiet; OnShutdown after the idle timeout.
  void Tick(int64_t now_ms, const VideoLimits& limits);

  bool ending() const;
  const std::string& stream_key() const { return stream_key_; }

 private:
  void SendAck(const fragments::Ack& ack);
  void Done(const fragments::IngestSummary& summary);

  PreparedPutMedia prepared_;
  std::string stream_key_;  // VideoStream::store_id()
  std::string remote_;
  std::unique_ptr<fragments::IngestSession> ingest_;
  std::weak_ptr<PutMediaRegistry> registry_;
  int64_t started_ms_ = 0;

  mutable std::mutex mu_;
  std::unique_ptr<AckTransport> transport_;  // GUARDED_BY(mu_)
  bool finished_ = false;                    // GUARDED_BY(mu_): nothing more is sent
  int64_t last_activity_ms_ = 0;             // GUARDED_BY(mu_): data in or IDLE out
  int64_t last_data_ms_ = 0;                 // GUARDED_BY(mu_)
  uint64_t acks_sent_ = 0;                   // GUARDED_BY(mu_)
  // Holds the session from Start to Done, however the connection goes.
  std::shared_ptr<PutMediaSession> keep_alive_;  // GUARDED_BY(mu_)
};

class PutMediaRegistry : public std::enable_shared_from_this<PutMediaRegistry> {
 public:
  explicit PutMediaRegistry(VideoLimits limits);
  ~PutMediaRegistry();
  PutMediaRegistry(const PutMediaRegistry&) = delete;
  PutMediaRegistry& operator=(const PutMediaRegistry&) = delete;

  // Starts the ticker thread.
  void Start();
  // Makes `session` its stream's producer; returns the one it replaces.
  std::shared_ptr<PutMediaSession> Register(const std::shared_ptr<PutMediaSession>& session);
  void Unregister(const PutMediaSession* session);
  // The stream (by store id) was deleted: its producer gets ERROR 4008.
  void OnStreamDeleted(const std::string& stream_key);

  const VideoLimits& limits() const { return limits_; }

 private:
  void TickerLoop();

  VideoLimits limits_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<std::string, std::weak_ptr<PutMediaSession>> producers_;  // by stream key
  std::vector<std::weak_ptr<PutMediaSession>> sessions_;  // every live one, for ticks
  std::thread ticker_;
};

int64_t NowMs();

}  // namespace osprey::server::video
