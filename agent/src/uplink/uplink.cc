// The Uplink engine (uplink.h): one worker thread running sessions, one
// reader thread per session for acks.
#include "osprey/agent/uplink.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "osprey/base/logging.h"
#include "osprey/fragments/mkv_writer.h"

namespace osprey::agent {
namespace {

std::string EndOfFragmentTags() {
  std::string out;
  fragments::Tag tag;
  tag.simple_tags.push_back({std::string(fragments::kTagEndOfFragment), ""});
  out = fragments::EncodeTags({tag});
  return out;
}

}  // namespace

class Uplink::Impl {
 public:
  Impl(UplinkOptions options, Spool* spool, MediaTransport* transport)
      : options_(options), spool_(spool), transport_(transport),
        end_of_fragment_(EndOfFragmentTags()) {}

  void Start() { worker_ = std::thread([this] { Run(); }); }

  bool Stop(std::chrono::milliseconds drain) {
    const uint64_t target = spool_->Stats().last_seq;
    bool drained = false;
    {
      std::unique_lock lock(mu_);
      drained = cv_.wait_for(lock, drain, [&] { return spool_->acked_seq() >= target; });
      stopping_ = true;
      // Drained: the writer ends the body and the server closes the response
      // after its last ack. Otherwise cut the connection now.
      if (!drained && session_ != nullptr) session_->Abort();
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    return drained || spool_->acked_seq() >= target;
  }

  UplinkStats Stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }

 private:
  struct InFlight {
    uint64_t seq;
    int64_t timecode;
    bool persisted = false;
    std::chrono::steady_clock::time_point sent_at = std::chrono::steady_clock::now();
  };

  void Run() {
    auto backoff = options_.backoff_min;
    bool stream_ready = false;
    while (!IsStopping()) {
      Status s;
      if (!stream_ready) {
        s = transport_->EnsureStream();
        stream_ready = s.ok();
      }
      if (s.ok()) {
        const uint64_t next = spool_->acked_seq() + 1;
        if (!spool_->WaitFor(next, std::chrono::milliseconds(500))) continue;
        bool progressed = false;
        s = RunSession(&progressed);
        if (progressed) backoff = options_.backoff_min;
        if (s.code() == Status::Code::kNotFound) stream_ready = false;
      }
      if (s.ok() || IsStopping()) continue;
      {
        std::lock_guard lock(mu_);
        ++stats_.errors;
      }
      log::Warn("agent.uplink", "upload interrupted, retrying",
                {{"error", s.ToString()}, {"backoff_ms", static_cast<int64_t>(backoff.count())}});
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, backoff, [&] { return stopping_; });
      backoff = std::min(backoff * 2, options_.backoff_max);
    }
  }

  bool IsStopping() {
    std::lock_guard lock(mu_);
    return stopping_;
  }

  // One PutMedia request. OK when it ended cleanly (header change); an error
  // otherwise. `progressed` is set when a PERSISTED arrived.
  Status RunSession(bool* progressed) {
    uint64_t seq = spool_->acked_seq() + 1;
    Result<std::optional<SpooledFragment>> read = spool_->ReadFrom(seq);
    if (!read.ok() && read.status().code() == Status::Code::kCorruption) {
      // A record that rotted on disk after it was written: skip it rather
      // than stall the upload forever. Nothing is in flight here, so the
      // marker stays a contiguous prefix.
      log::Error("agent.uplink", "skipping an unreadable spool record",
                 {{"seq", seq}, {"error", read.status().ToString()}});
      {
        std::lock_guard lock(mu_);
        ++stats_.rejected;
      }
      return spool_->Acknowledge(seq);
    }
    if (!read.ok()) return read.status();
    std::optional<SpooledFragment> first = std::move(read).value();
    if (!first) return Status::Ok();
    OSPREY_ASSIGN_OR_RETURN(std::unique_ptr<MediaSession> session,
                            transport_->Open(first->producer_timestamp_ms));
    {
      std::lock_guard lock(mu_);
      if (stopping_) return Status::Cancelled("stopping");
      session_ = session.get();
      in_flight_.clear();
      session_error_ = Status::Ok();
      reader_done_ = false;
      ++stats_.sessions;
      stats_.connected = true;
    }
    log::Info("agent.uplink", "upload session started",
              {{"from_seq", first->seq}, {"producer_start_ms", first->producer_timestamp_ms}});
    std::thread reader([this, progressed] { ReadAcks(progressed); });
    Status result = WriteFragments(std::move(*first));
    if (result.ok()) {
      // Clean end (header change or stop): end the body, wait for the acks.
      result = session->FinishBody();
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(10), [&] { return reader_done_ || in_flight_.empty(); });
    }
    session->Abort();
    reader.join();
    std::lock_guard lock(mu_);
    session_ = nullptr;
    stats_.connected = false;
    if (result.ok() && !session_error_.ok() && !in_flight_.empty()) result = session_error_;
    return result.ok() ? Status::Ok() : result;
  }

  // Writer side: header, then fragments in spool order until an error, a
  // header change or Stop(). Returns OK for a clean end.
  Status WriteFragments(SpooledFragment first) {
    const std::string header = first.stream_header;
    OSPREY_RETURN_IF_ERROR(session_->Send(header));
    std::optional<SpooledFragment> next = std::move(first);
    uint64_t seq = next->seq;
    const auto session_end = std::chrono::steady_clock::now() + options_.max_session;
    for (;;) {
      if (std::chrono::steady_clock::now() >= session_end) {
        log::Info("agent.uplink", "session at its maximum duration, starting a new one");
        return Status::Ok();
      }
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] {
          return stopping_ || reader_done_ || in_flight_.size() < options_.max_in_flight;
        });
        if (stopping_) return Status::Ok();
        if (reader_done_) return session_error_.ok() ? Status::Unavailable("acks ended") : session_error_;
      }
      if (!next) {
        if (!spool_->WaitFor(seq, std::chrono::milliseconds(200))) continue;
        Result<std::optional<SpooledFragment>> read = spool_->ReadFrom(seq);
        if (!read.ok() && read.status().code() == Status::Code::kCorruption) {
          // End this upload cleanly (what is in flight gets its acks); the
          // next session starts at the bad record and skips it.
          return Status::Ok();
        }
        if (!read.ok()) return read.status();
        next = std::move(read).value();
        if (!next) continue;
      }
      if (next->stream_header != header) {
        log::Info("agent.uplink", "stream header changed, starting a new upload");
        return Status::Ok();
      }
      {
        std::lock_guard lock(mu_);
        in_flight_.push_back({next->seq, next->producer_timestamp_ms});
        ++stats_.fragments_sent;
      }
      OSPREY_RETURN_IF_ERROR(session_->Send(next->cluster));
      OSPREY_RETURN_IF_ERROR(session_->Send(end_of_fragment_));
      seq = next->seq + 1;
      next.reset();
    }
  }

  // Reader side: acks until the response ends or fails.
  void ReadAcks(bool* progressed) {
    Status end;
    for (;;) {
      Result<UploadAck> ack = session_->ReadAck();
      if (!ack.ok()) {
        end = ack.status();
        break;
      }
      if (ack->type == UploadAck::Type::kPersisted && ack->fragment_timecode) {
        if (OnPersisted(*ack->fragment_timecode)) *progressed = true;
      } else if (ack->type == UploadAck::Type::kError) {
        end = OnError(*ack);
        break;
      }
    }
    // Unblock a writer stuck in a send to a server that stopped reading.
    session_->Abort();
    std::lock_guard lock(mu_);
    if (session_error_.ok()) session_error_ = end;
    reader_done_ = true;
    cv_.notify_all();
  }

  bool OnPersisted(int64_t timecode) {
    uint64_t ack_upto = 0;
    std::vector<InFlight> done;  // for options_.on_persisted, outside the lock
    {
      std::lock_guard lock(mu_);
      for (InFlight& f : in_flight_) {
        if (f.timecode == timecode) f.persisted = true;
      }
      while (!in_flight_.empty() && in_flight_.front().persisted) {
        ack_upto = in_flight_.front().seq;
        if (options_.on_persisted) done.push_back(in_flight_.front());
        in_flight_.pop_front();
        ++stats_.persisted;
      }
    }
    if (ack_upto == 0) return false;
    if (Status s = spool_->Acknowledge(ack_upto); !s.ok()) {
      log::Error("agent.uplink", "could not persist the ack marker", {{"error", s.ToString()}});
    }
    const auto now = std::chrono::steady_clock::now();
    for (const InFlight& f : done) {
      options_.on_persisted(f.timecode,
                            std::chrono::duration_cast<std::chrono::milliseconds>(now - f.sent_at));
    }
    cv_.notify_all();
    return true;
  }

  Status OnError(const UploadAck& ack) {
    log::Warn("agent.uplink", "ERROR ack",
              {{"error_id", ack.error_id}, {"error_code", ack.error_code},
               {"fragment_timecode", ack.fragment_timecode.value_or(-1)}});
    if (IsPermanentAckError(ack.error_id) && ack.fragment_timecode) {
      uint64_t skip = 0;
      {
        std::lock_guard lock(mu_);
        if (!in_flight_.empty() && in_flight_.front().timecode == *ack.fragment_timecode) {
          skip = in_flight_.front().seq;
          in_flight_.pop_front();
          ++stats_.rejected;
        }
      }
      if (skip != 0) {
        log::Error("agent.uplink", "fragment rejected by the server, skipping it",
                   {{"seq", skip}, {"error_code", ack.error_code}});
        (void)spool_->Acknowledge(skip);
      }
    }
    return Status::Unavailable("ERROR ack " + std::to_string(ack.error_id) + " " + ack.error_code);
  }

  const UplinkOptions options_;
  Spool* const spool_;
  MediaTransport* const transport_;
  const std::string end_of_fragment_;
  std::thread worker_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;            // guarded by mu_
  MediaSession* session_ = nullptr;  // guarded by mu_ (set/cleared by the worker)
  std::deque<InFlight> in_flight_;   // guarded by mu_
  Status session_error_;             // guarded by mu_
  bool reader_done_ = false;         // guarded by mu_
  UplinkStats stats_;                // guarded by mu_
};

Uplink::Uplink(UplinkOptions options, Spool* spool, MediaTransport* transport)
    : impl_(std::make_unique<Impl>(options, spool, transport)) {}
Uplink::~Uplink() { Stop(std::chrono::milliseconds(0)); }
void Uplink::Start() { impl_->Start(); }
bool Uplink::Stop(std::chrono::milliseconds drain) { return impl_->Stop(drain); }
UplinkStats Uplink::Stats() const { return impl_->Stats(); }

}  // namespace osprey::agent
