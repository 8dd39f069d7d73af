// PutMediaSession and PutMediaRegistry (put_media_session.h).
#include "video/put_media_session.h"

#include <algorithm>
#include <chrono>

#include "osprey/base/logging.h"

namespace osprey::server::video {

using fragments::Ack;
using fragments::AckType;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --- PutMediaSession ------------------------------------------------------

PutMediaSession::PutMediaSession(PreparedPutMedia prepared,
                                 std::unique_ptr<AckTransport> transport, std::string remote)
    : prepared_(std::move(prepared)),
      stream_key_(prepared_.stream.store_id()),
      remote_(std::move(remote)),
      transport_(std::move(transport)) {
  started_ms_ = NowMs();
  last_activity_ms_ = last_data_ms_ = started_ms_;
}

PutMediaSession::~PutMediaSession() {
  // First, so that no ack callback can run into members being destroyed.
  ingest_.reset();
}

void PutMediaSession::Start(const std::shared_ptr<PutMediaRegistry>& registry) {
  registry_ = registry;
  std::weak_ptr<PutMediaSession> weak = weak_from_this();
  // The ack callback runs under the IngestSession's lock and ingest_ dies
  // first in the destructor, so `this` is valid whenever it runs.
  ingest_ = std::make_unique<fragments::IngestSession>(
      prepared_.options, [this](const Ack& ack) { SendAck(ack); },
      [weak](const fragments::IngestSummary& summary) {
        if (auto self = weak.lock()) self->Done(summary);
      });
  {
    std::lock_guard lock(mu_);
    keep_alive_ = shared_from_this();  // until Done: PERSISTED may come after the body
  }
  log::Info("putmedia", "upload started",
            {{"stream", prepared_.stream.name}, {"remote", remote_}});
  if (auto old = registry->Register(shared_from_this()); old && old.get() != this) {
    // KVS: one connection per stream, the newest wins (video-api.md 4.3).
    old->Fail(fragments::ack_error::kStreamReadError,
              "another PutMedia connection took over the stream");
  }
}

void PutMediaSession::OnData(std::string_view data) {
  {
    std::lock_guard lock(mu_);
    last_data_ms_ = last_activity_ms_ = NowMs();
  }
  ingest_->Feed(data);
}

void PutMediaSession::OnEndOfBody() { ingest_->EndOfBody(); }

void PutMediaSession::OnShutdown() { ingest_->Shutdown(); }

void PutMediaSession::Fail(int error_id, std::string message) {
  ingest_->Fail(error_id, std::move(message));
}

void PutMediaSession::OnConnectionLost() {
  {
    std::lock_guard lock(mu_);
    finished_ = true;  // nowhere to send acks
  }
  ingest_->Fail(fragments::ack_error::kStreamReadError, "connection lost");
}

bool PutMediaSession::ending() const { return ingest_->ending(); }

void PutMediaSession::Tick(int64_t now_ms, const VideoLimits& limits) {
  bool timed_out = false;
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    if (now_ms - last_data_ms_ >= limits.idle_timeout_ms) {
      timed_out = true;
    } else if (now_ms - last_activity_ms_ >= limits.idle_ack_interval_ms) {
      transport_->Send(fragments::EncodeAck(Ack{}));  // {"EventType":"IDLE"}
      last_activity_ms_ = now_ms;
      ++acks_sent_;
    }
  }
  if (timed_out && !ingest_->ending()) {
    // KVS closes a PutMedia connection after 30 s without data.
    log::Info("putmedia", "no data, closing",
              {{"stream", prepared_.stream.name}, {"remote", remote_},
               {"idle_ms", now_ms - last_data_ms_}});
    ingest_->Shutdown();
  }
}

void PutMediaSession::SendAck(const Ack& ack) {
  std::lock_guard lock(mu_);
  if (finished_) return;
  transport_->Send(fragments::EncodeAck(ack));
  ++acks_sent_;
  if (ack.type == AckType::kError) {
    finished_ = true;  // the ERROR is the last ack: no IDLE after it
    log::Warn("putmedia", "upload failed",
              {{"stream", prepared_.stream.name}, {"remote", remote_},
               {"error_id", ack.error_id},
               {"error_code", fragments::AckErrorCodeName(ack.error_id)},
               {"fragment", ack.fragment_number}, {"why", ack.message}});
  }
}

void PutMediaSession::Done(const fragments::IngestSummary& summary) {
  if (auto registry = registry_.lock()) registry->Unregister(this);
  std::shared_ptr<PutMediaSession> self;
  {
    std::lock_guard lock(mu_);
    finished_ = true;
    transport_->End();
    self = std::move(keep_alive_);
  }
  log::Info("putmedia", "upload ended",
            {{"stream", prepared_.stream.name}, {"remote", remote_},
             {"fragments", summary.fragments_persisted},
             {"retried", summary.fragments_retried}, {"bytes", summary.bytes_received},
             {"error_id", summary.error_id}, {"duration_ms", NowMs() - started_ms_}});
  // `self` may be the last reference: this object can end here.
}

// --- PutMediaRegistry -----------------------------------------------------

PutMediaRegistry::PutMediaRegistry(VideoLimits limits) : limits_(limits) {}

PutMediaRegistry::~PutMediaRegistry() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) {
    // The last reference can be dropped by a session ending on the ticker.
    if (ticker_.get_id() == std::this_thread::get_id()) {
      ticker_.detach();
    } else {
      ticker_.join();
    }
  }
}

void PutMediaRegistry::Start() {
  ticker_ = std::thread([this] { TickerLoop(); });
}

std::shared_ptr<PutMediaSession> PutMediaRegistry::Register(
    const std::shared_ptr<PutMediaSession>& session) {
  std::lock_guard lock(mu_);
  std::weak_ptr<PutMediaSession>& slot = producers_[session->stream_key()];
  std::shared_ptr<PutMediaSession> old = slot.lock();
  slot = session;
  sessions_.push_back(session);
  return old;
}

void PutMediaRegistry::Unregister(const PutMediaSession* session) {
  std::lock_guard lock(mu_);
  auto it = producers_.find(session->stream_key());
  if (it != producers_.end()) {
    auto current = it->second.lock();
    if (!current || current.get() == session) producers_.erase(it);
  }
  std::erase_if(sessions_, [session](const std::weak_ptr<PutMediaSession>& w) {
    auto s = w.lock();
    return !s || s.get() == session;
  });
}

void PutMediaRegistry::OnStreamDeleted(const std::string& stream_key) {
  std::shared_ptr<PutMediaSession> producer;
  {
    std::lock_guard lock(mu_);
    auto it = producers_.find(stream_key);
    if (it != producers_.end()) producer = it->second.lock();
  }
  if (producer) producer->Fail(fragments::ack_error::kStreamNotActive, "the stream was deleted");
}

void PutMediaRegistry::TickerLoop() {
  const int64_t shortest = std::max<int64_t>(
      1, std::min(limits_.idle_ack_interval_ms, limits_.idle_timeout_ms));
  const auto period = std::chrono::milliseconds(std::clamp<int64_t>(shortest / 4, 10, 250));
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period, [this] { return stop_; });
    if (stop_) break;
    std::vector<std::shared_ptr<PutMediaSession>> live;
    for (const auto& w : sessions_) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
    lock.unlock();
    const int64_t now = NowMs();
    for (const auto& s : live) s->Tick(now, limits_);
    live.clear();  // may end sessions (and, at exit, this registry): outside the lock
    lock.lock();
  }
}

}  // namespace osprey::server::video
