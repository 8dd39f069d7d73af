#include "sink_session.h"

#include <utility>

#include "osprey/auth/sigv4.h"
#include "osprey/base/logging.h"

namespace osprey::agent::sink {

// Decorates the PutMedia transport to remember why the upload failed: the
// Uplink only counts failures (UplinkStats::errors), and the bus message
// should say what went wrong (connection refused, ERROR ack 4xxx, ...).
// Errors are kept per attempt (an attempt starts at EnsureStream() or
// Open()): the first error of an attempt is the cause, later ones are its
// echo on the other half of the session ("acks ended"). Every counted
// failure is preceded by a noted error of its own attempt, so the failed
// attempt is the current one, or the previous one when the uplink already
// started the next attempt before the watch thread looked.
class SinkSession::ObservedTransport final : public MediaTransport {
 public:
  explicit ObservedTransport(std::unique_ptr<MediaTransport> inner) : inner_(std::move(inner)) {}

  Status EnsureStream() override {
    NewAttempt();
    return Note(inner_->EnsureStream());
  }

  Result<std::unique_ptr<MediaSession>> Open(int64_t producer_start_ms) override {
    NewAttempt();
    Result<std::unique_ptr<MediaSession>> session = inner_->Open(producer_start_ms);
    if (!session.ok()) return Note(session.status());
    return std::unique_ptr<MediaSession>(
        std::make_unique<ObservedSession>(this, std::move(session).value()));
  }

  // The cause of the most recent failed attempt.
  std::string LastError() {
    std::lock_guard lock(mu_);
    return attempt_error_.empty() ? previous_error_ : attempt_error_;
  }

 private:
  class ObservedSession final : public MediaSession {
   public:
    ObservedSession(ObservedTransport* owner, std::unique_ptr<MediaSession> inner)
        : owner_(owner), inner_(std::move(inner)) {}
    Status Send(std::string_view bytes) override { return owner_->Note(inner_->Send(bytes)); }
    Status FinishBody() override { return owner_->Note(inner_->FinishBody()); }
    Result<UploadAck> ReadAck() override {
      Result<UploadAck> ack = inner_->ReadAck();
      if (!ack.ok()) {
        (void)owner_->Note(ack.status());
      } else if (ack->type == UploadAck::Type::kError) {
        (void)owner_->Note(Status::Unavailable("ERROR ack " + std::to_string(ack->error_id) + " " +
                                               ack->error_code));
      }
      return ack;
    }
    void Abort() override { inner_->Abort(); }

   private:
    ObservedTransport* owner_;
    std::unique_ptr<MediaSession> inner_;
  };

  void NewAttempt() {
    std::lock_guard lock(mu_);
    if (!attempt_error_.empty()) previous_error_ = std::exchange(attempt_error_, std::string());
  }

  Status Note(Status s) {
    if (!s.ok()) {
      std::lock_guard lock(mu_);
      if (attempt_error_.empty()) attempt_error_ = s.ToString();
    }
    return s;
  }

  std::unique_ptr<MediaTransport> inner_;
  std::mutex mu_;
  std::string attempt_error_;   // guarded by mu_
  std::string previous_error_;  // guarded by mu_
};

std::string StableSegmentUid(const std::string& stream_name) {
  const std::string hex = auth::Sha256Hex("osprey-agent/" + stream_name);
  std::string uid;
  for (size_t i = 0; i < 32; i += 2) {
    uid.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return uid;
}

Result<std::unique_ptr<SinkSession>> SinkSession::Open(SinkSessionOptions options,
                                                       ConnectionCallback on_connection) {
  std::unique_ptr<SinkSession> s(new SinkSession());
  s->on_connection_ = std::move(on_connection);
  s->watch_interval_ = options.watch_interval;
  OSPREY_ASSIGN_OR_RETURN(s->spool_, Spool::Open(options.spool));
  const std::string stream = options.transport.stream_name;
  WebSocketTransportOptions transport_options;
  transport_options.common = std::move(options.transport);
  transport_options.ca_file = std::move(options.ca_file);
  OSPREY_ASSIGN_OR_RETURN(std::unique_ptr<MediaTransport> http,
                          MakeUplinkTransport(options.uplink, std::move(transport_options)));
  s->transport_ = std::make_unique<ObservedTransport>(std::move(http));
  s->uplink_ = std::make_unique<Uplink>(UplinkOptions{}, s->spool_.get(), s->transport_.get());
  s->spool_sink_ = std::make_unique<SpoolFragmentSink>(s->spool_.get(), "ospreysink");

  FragmenterOptions fragmenter;
  fragmenter.target_ms = options.fragment_ms;
  // Above the spool's newest timestamp, so a restart never sends time
  // backwards (4004) even if the clock did.
  fragmenter.min_timestamp_ms = s->spool_->LastProducerTimestamp();
  fragmenter.segment_uid = StableSegmentUid(stream);
  s->fragmenter_ = std::make_unique<Fragmenter>(fragmenter, s->spool_sink_.get());

  s->uplink_->Start();
  s->watch_ = std::thread([raw = s.get()] { raw->Watch(); });
  log::Info(
      "ospreysink", "started",
      {{"stream", stream}, {"spool_dir", options.spool.dir}, {"backlog_fragments", s->Backlog()}});
  return s;
}

SinkSession::~SinkSession() { Close(); }

void SinkSession::OnFormat(const VideoFormat& format) { fragmenter_->OnFormat(format); }

void SinkSession::OnAccessUnit(AccessUnit unit) { fragmenter_->OnAccessUnit(std::move(unit)); }

uint64_t SinkSession::Backlog() const {
  const SpoolStats st = spool_->Stats();
  return st.last_seq > st.acked_seq ? st.last_seq - st.acked_seq : 0;
}

bool SinkSession::Drain(std::chrono::milliseconds timeout) {
  // The open fragment starts with an IDR and is whole up to here: keep it,
  // shorter than the target, rather than lose the end of the recording.
  fragmenter_->Flush();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  for (;;) {
    // Backlog() takes the spool's mutex under ours; the spool never calls
    // back into this class, so the order cannot invert.
    if (Backlog() == 0) return true;
    if (interrupted_ || std::chrono::steady_clock::now() >= deadline) return false;
    // Acks arrive on the uplink's threads, which do not signal us: poll.
    cv_.wait_until(
        lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(50)));
  }
}

void SinkSession::Interrupt(bool on) {
  std::lock_guard lock(mu_);
  interrupted_ = on;
  cv_.notify_all();
}

void SinkSession::Close() {
  // !fragmenter_: Open() failed half-way; the members that exist clean up
  // by themselves and no thread was started.
  if (closed_ || !fragmenter_) return;
  closed_ = true;
  fragmenter_->Flush();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (watch_.joinable()) watch_.join();
  uplink_->Stop(std::chrono::milliseconds(0));
  spool_->Close();
  const SpoolStats st = spool_->Stats();
  const UplinkStats up = uplink_->Stats();
  const FragmenterStats& fs = fragmenter_->stats();
  log::Info("ospreysink", "stopped",
            {{"fragments", fs.fragments},
             {"spool_last_seq", st.last_seq},
             {"spool_acked_seq", st.acked_seq},
             {"persisted", up.persisted},
             {"sessions", up.sessions},
             {"rejected", up.rejected},
             {"dropped_units", fs.dropped_units},
             {"repaired_timestamps", fs.repaired_timestamps},
             {"spool_dropped", st.dropped_fragments}});
}

// Samples the uplink's counters: a new failure (UplinkStats::errors grew)
// while healthy is "lost"; a new PERSISTED while lost is "recovered". One
// message per outage, not one per retry, so an application is not flooded
// while the server is down for an hour.
void SinkSession::Watch() {
  bool lost = false;
  // From zero, not from a first sample: the uplink started before this
  // thread, and a server that is down at start has already failed once.
  UplinkStats last;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, watch_interval_);
    if (stopping_) break;
    const UplinkStats now = uplink_->Stats();
    ConnectionEvent event;
    bool report = false;
    if (!lost && now.errors > last.errors) {
      lost = report = true;
      event.state = ConnectionEvent::State::kLost;
      event.error = transport_->LastError();
    } else if (lost && now.persisted > last.persisted) {
      lost = false;
      report = true;
      event.state = ConnectionEvent::State::kRecovered;
    }
    last = now;
    if (!report) continue;
    event.backlog_fragments = Backlog();
    lock.unlock();
    if (event.state == ConnectionEvent::State::kLost) {
      log::Warn("ospreysink", "upload connection lost",
                {{"error", event.error}, {"backlog_fragments", event.backlog_fragments}});
    } else {
      log::Info("ospreysink", "upload connection recovered",
                {{"backlog_fragments", event.backlog_fragments}});
    }
    if (on_connection_) on_connection_(event);
    lock.lock();
  }
}

}  // namespace osprey::agent::sink
