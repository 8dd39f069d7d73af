// Uplink: uploads spooled fragments to the server and advances the spool's
// acknowledgement marker on PERSISTED.
//
// One worker thread runs sessions one after another. A session (one PutMedia
// request) sends the stream header, then every spooled fragment from the
// first unacknowledged one in order: the backlog as fast as the connection
// and the in-flight window allow, with its original producer timestamps,
// then the live tail as capture appends it. Each Cluster is followed by a
// Tags element with AWS_KINESISVIDEO_END_OF_FRAGMENT, so the server seals it
// at once (the KVS producer sends it only at the end; video-ingest.md: the
// marker seals the Cluster before it) and PERSISTED does not wait for the
// next fragment. Acks are read concurrently on a second thread. PERSISTED of
// a contiguous prefix of what was sent advances the marker.
//
// On ERROR, a dropped connection or no ack for `ack_timeout`, the session
// ends and a new one starts after a backoff (doubling from backoff_min to
// backoff_max, reset by a PERSISTED), from the first unacknowledged fragment:
// nothing PERSISTED is sent twice; a fragment whose ack was lost is sent
// again with the same bytes and timestamp (the server must recognise the
// duplicate). An ERROR with a permanent ErrorId (the fragment itself is bad:
// 4001, 4002, 4004, 4006, 4007, 4009-4012) for the first unacknowledged
// fragment skips it (acknowledged in the spool, counted as rejected), so a
// poison fragment cannot stall the upload forever. A change of stream
// header (caps) ends the body and starts a new session (one Segment per
// PutMedia request).
//
// Before the first session, and again after a 404 from PutMedia, the
// transport makes sure the stream exists (DescribeStream; CreateStream on
// 404, like the KVS producer).
//
// Threading: Start/Stop/Stats from any thread; Stop() must not be called from
// a transport callback. The Spool, transport and Uplink are owned by the
// caller; the Spool must outlive the Uplink.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "osprey/agent/spool.h"
#include "osprey/auth/sigv4.h"
#include "osprey/base/result.h"

namespace osprey::agent {

// One acknowledgement line of video-api.md 4.3.
struct UploadAck {
  enum class Type { kBuffering, kReceived, kPersisted, kError, kIdle, kUnknown };
  Type type = Type::kUnknown;
  std::optional<int64_t> fragment_timecode;  // raw Cluster Timecode (epoch ms here)
  std::string fragment_number;
  int error_id = 0;
  std::string error_code;
};
// Parses one JSON ack object. InvalidArgument when it is not one.
Result<UploadAck> ParseUploadAck(std::string_view json);
// ErrorIds for which resending the same fragment cannot succeed.
bool IsPermanentAckError(int error_id);

// --- Transport seam: chunked HTTP PutMedia or the WebSocket ingest. --------

// One upload (one PutMedia request / one WebSocket).
// Threading: Send/FinishBody from the writer thread, ReadAck from the reader
// thread, concurrently; Abort from any thread unblocks both.
class MediaSession {
 public:
  virtual ~MediaSession() = default;
  virtual Status Send(std::string_view mkv_bytes) = 0;
  // Ends the request body (terminating chunk / END_OF_STREAM).
  virtual Status FinishBody() = 0;
  // The next ack. Unavailable when the response ended or the connection
  // dropped; DeadlineExceeded after the transport's ack timeout.
  virtual Result<UploadAck> ReadAck() = 0;
  virtual void Abort() = 0;
};

class MediaTransport {
 public:
  virtual ~MediaTransport() = default;
  // DescribeStream; CreateStream when it is 404. OK once the stream is
  // ACTIVE.
  virtual Status EnsureStream() = 0;
  // Opens an upload whose first Cluster has `producer_start_ms`. NotFound
  // when the server does not know the stream.
  virtual Result<std::unique_ptr<MediaSession>> Open(int64_t producer_start_ms) = 0;
};

struct HttpTransportOptions {
  std::string endpoint;  // http://host:port or https://host:port
  // https://: a PEM file of CA certificates to trust instead of the system
  // store (e.g. osprey-server --self-signed's ca.pem). Certificate and host
  // name are always verified.
  std::string ca_file;
  std::string stream_name;
  std::string region = "us-east-1";
  auth::Credentials credentials;
  int retention_hours = 24;  // CreateStream
  std::string media_type = "video/h264";
  std::chrono::milliseconds connect_timeout{5000};
  // No byte from the server for this long ends the session (the server
  // sends IDLE every few seconds; kvssink's connection-staleness is 60 s).
  std::chrono::milliseconds ack_timeout{30000};
};
// PutMedia over chunked HTTP/1.1, SigV4-signed as the KVS producer signs it.
// InvalidArgument for a bad endpoint.
Result<std::unique_ptr<MediaTransport>> MakeHttpPutMediaTransport(HttpTransportOptions options);

// --- The uploader. --------------------------------------------------------

struct UplinkOptions {
  size_t max_in_flight = 32;  // fragments sent but not PERSISTED
  std::chrono::milliseconds backoff_min{200};
  // A backlog waits at most this long after the server comes back (the
  // issue's 20x catch-up of a 60 s backlog needs it under 3 s); a retry
  // against a server that is down costs one refused connect.
  std::chrono::milliseconds backoff_max{2000};
  // A session is ended cleanly (and a new one started) after this long,
  // before the server's 45 min limit (4003) would cut it mid-fragment.
  std::chrono::milliseconds max_session{40 * 60 * 1000};
  // Called for each fragment as the spool marker passes it (PERSISTED), on
  // the session's reader thread without the uplink's lock held, with the
  // time from its send to its PERSISTED (osprey-agent's /metrics). Must not
  // block or call into the Uplink.
  std::function<void(int64_t producer_timestamp_ms, std::chrono::milliseconds ack_latency)>
      on_persisted;
};

struct UplinkStats {
  uint64_t sessions = 0;
  uint64_t fragments_sent = 0;   // resends included
  uint64_t persisted = 0;
  uint64_t rejected = 0;         // skipped after a permanent ERROR
  uint64_t errors = 0;           // ERROR acks and failed sessions
  bool connected = false;
};

class Uplink {
 public:
  // `spool` and `transport` must outlive the Uplink.
  Uplink(UplinkOptions options, Spool* spool, MediaTransport* transport);
  ~Uplink();  // Stop(0)

  void Start();
  // Waits up to `drain` for every fragment appended so far to be PERSISTED,
  // then ends the upload and joins the threads. Returns true when drained.
  bool Stop(std::chrono::milliseconds drain);
  UplinkStats Stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace osprey::agent
