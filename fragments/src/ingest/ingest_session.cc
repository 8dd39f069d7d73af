// IngestSession: the locking, the append queue and the ack order around
// FragmentCutter (ingest_session.h has the contract).
#include "osprey/fragments/ingest_session.h"

#include <deque>
#include <mutex>

#include "ingest/fragment_cutter.h"
#include "osprey/fragments/fragment_number.h"

namespace osprey::fragments {

using internal::FragmentCutter;
using internal::FragmentRef;
using internal::IngestError;

class IngestSession::Core : public std::enable_shared_from_this<Core>,
                            private FragmentCutter::Sink {
 public:
  Core(IngestOptions options, AckCallback on_ack, DoneCallback on_done)
      : log_(options.log),
        creation_ms_(options.stream_creation_ms),
        cutter_(options, this),
        on_ack_(std::move(on_ack)),
        on_done_(std::move(on_done)) {}

  void Feed(std::span<const uint8_t> data) {
    // on_done may drop the last IngestSession (and so this Core) reference.
    const auto self = shared_from_this();
    bool run_done = false;
    {
      std::lock_guard lock(mu_);
      if (state_ != State::kActive) return;
      if (!cutter_.Feed(data)) {
        SetError(*cutter_.error(), cutter_.ErrorTarget());
        state_ = State::kDraining;
      }
      run_done = MaybeFinish();
    }
    After(run_done);
  }

  void EndOfBody() {
    const auto self = shared_from_this();
    bool run_done = false;
    {
      std::lock_guard lock(mu_);
      if (state_ != State::kActive) return;
      if (!cutter_.EndOfBody()) SetError(*cutter_.error(), cutter_.ErrorTarget());
      state_ = State::kDraining;
      run_done = MaybeFinish();
    }
    After(run_done);
  }

  void Shutdown() {
    const auto self = shared_from_this();
    bool run_done = false;
    {
      std::lock_guard lock(mu_);
      if (state_ != State::kActive) return;
      cutter_.Shutdown();
      state_ = State::kDraining;
      run_done = MaybeFinish();
    }
    After(run_done);
  }

  void Fail(int error_id, std::string message) {
    const auto self = shared_from_this();
    bool run_done = false;
    {
      std::lock_guard lock(mu_);
      if (state_ != State::kActive) return;
      SetError(IngestError{error_id, std::move(message)}, cutter_.ErrorTarget());
      state_ = State::kDraining;
      run_done = MaybeFinish();
    }
    After(run_done);
  }

  void Detach() {
    std::lock_guard lock(mu_);
    on_ack_ = nullptr;
    on_done_ = nullptr;
  }

  bool ending() const {
    std::lock_guard lock(mu_);
    return state_ != State::kActive;
  }
  bool done() const {
    std::lock_guard lock(mu_);
    return state_ == State::kDone;
  }

 private:
  enum class State { kActive, kDraining, kDone };
  struct InFlight {
    uint64_t seq = 0;  // per session; a retry shares its original's index
    FragmentRef ref;
    bool completed = false;
    Status status;
  };
  struct PendingAppend {
    uint64_t seq = 0;
    // A retry (FindOrClaim found the original, whose index this is) waits
    // for the original's append instead of appending `input`.
    bool retry = false;
    uint64_t index = 0;
    FragmentInput input;
  };

  // FragmentCutter::Sink; called inside cutter_ calls, so with mu_ held.
  void OnBuffering(const FragmentRef& f, int64_t producer_timestamp_ms) override {
    // A fragment whose producer timestamp the stream already has may be a
    // retry: its BUFFERING waits until the Cluster is whole and OnSealed
    // knows which FragmentNumber it carries (docs/video-ingest.md).
    if (log_->MayBeDuplicate(producer_timestamp_ms)) {
      held_buffering_ = f.index;
      return;
    }
    Emit(AckType::kBuffering, f);
  }
  void OnSealed(const FragmentRef& f, FragmentInput input) override {
    const bool held = held_buffering_ == f.index;
    held_buffering_.reset();
    input.meta.content_hash = ContentHash(input.cluster);
    const uint64_t seq = next_seq_++;
    if (std::optional<FragmentMeta> original = log_->FindOrClaim(input.meta)) {
      // A retry: every ack names the stored original. (If BUFFERING already
      // went out, the copy was claimed by another connection while this one
      // was receiving it; RECEIVED and PERSISTED still name the original.)
      const FragmentRef ref{original->index,
                            FormatFragmentNumber(creation_ms_, original->index), f.timecode};
      if (held) Emit(AckType::kBuffering, ref);
      Emit(AckType::kReceived, ref);
      ++summary_.fragments_retried;
      inflight_.push_back(InFlight{seq, ref, false, Status::Ok()});
      to_append_.push_back(PendingAppend{seq, true, original->index, {}});
      return;
    }
    if (held) Emit(AckType::kBuffering, f);
    Emit(AckType::kReceived, f);
    inflight_.push_back(InFlight{seq, f, false, Status::Ok()});
    to_append_.push_back(PendingAppend{seq, false, f.index, std::move(input)});
  }

  // REQUIRES: mu_ held.
  void Emit(AckType type, const FragmentRef& f) {
    if (!on_ack_) return;
    Ack ack;
    ack.type = type;
    ack.fragment_timecode = f.timecode;
    ack.fragment_number = f.number;
    on_ack_(ack);
  }

  // REQUIRES: mu_ held. The first error wins.
  void SetError(const IngestError& error, std::optional<FragmentRef> target) {
    if (error_) return;
    error_ = error;
    error_target_ = std::move(target);
  }

  // REQUIRES: mu_ held. PERSISTED in fragment order; after a failed append,
  // nothing more is acknowledged.
  void PumpPersisted() {
    while (!inflight_.empty() && inflight_.front().completed) {
      InFlight e = std::move(inflight_.front());
      inflight_.pop_front();
      if (persist_failed_) continue;
      if (e.status.ok()) {
        ++summary_.fragments_persisted;
        Emit(AckType::kPersisted, e.ref);
        continue;
      }
      persist_failed_ = true;
      // A deleted or closed log means the stream went away (4008).
      const bool gone = e.status.code() == Status::Code::kFailedPrecondition ||
                        e.status.code() == Status::Code::kNotFound;
      SetError(IngestError{gone ? ack_error::kStreamNotActive : ack_error::kArchivalError,
                           "storing fragment: " + e.status.ToString()},
               e.ref);
      if (state_ == State::kActive) state_ = State::kDraining;
    }
  }

  // REQUIRES: mu_ held. Ends the session once nothing is in flight: the
  // ERROR ack (if any) is the last ack. True when on_done must run.
  bool MaybeFinish() {
    if (state_ != State::kDraining || !inflight_.empty()) return false;
    state_ = State::kDone;
    summary_.bytes_received = cutter_.bytes_received();
    if (error_) {
      summary_.error_id = error_->id;
      summary_.error_message = error_->message;
      if (on_ack_) {
        Ack ack;
        ack.type = AckType::kError;
        if (error_target_) {
          ack.fragment_timecode = error_target_->timecode;
          ack.fragment_number = error_target_->number;
        }
        ack.error_id = error_->id;
        ack.message = error_->message;
        on_ack_(ack);
      }
    }
    return true;
  }

  // Without mu_: hands sealed fragments to the store in order, then runs
  // on_done if the session just ended.
  void After(bool run_done) {
    SubmitAppends();
    if (run_done) RunDone();
  }

  void SubmitAppends() {
    // append_mu_ keeps appends in index order when several threads get
    // here; AppendAsync may call back at once, which takes only mu_.
    std::lock_guard append_lock(append_mu_);
    for (;;) {
      PendingAppend p;
      {
        std::lock_guard lock(mu_);
        if (to_append_.empty()) return;
        p = std::move(to_append_.front());
        to_append_.pop_front();
      }
      auto done = [self = shared_from_this(), seq = p.seq](Status s) {
        self->OnAppended(seq, std::move(s));
      };
      if (p.retry) {
        log_->WhenSettled(p.index, std::move(done));
      } else {
        log_->AppendAsync(std::move(p.input), std::move(done));
      }
    }
  }

  void OnAppended(uint64_t seq, Status status) {
    bool run_done = false;
    {
      std::lock_guard lock(mu_);
      for (InFlight& e : inflight_) {
        if (e.seq == seq) {
          e.completed = true;
          e.status = std::move(status);
          break;
        }
      }
      PumpPersisted();
      run_done = MaybeFinish();
    }
    if (run_done) RunDone();
  }

  void RunDone() {
    DoneCallback done;
    IngestSummary summary;
    {
      std::lock_guard lock(mu_);
      done = std::move(on_done_);
      on_done_ = nullptr;
      summary = summary_;
    }
    if (done) done(summary);
  }

  std::shared_ptr<FragmentLog> log_;
  const int64_t creation_ms_;
  mutable std::mutex mu_;
  std::mutex append_mu_;  // taken before mu_, never while holding it
  FragmentCutter cutter_;  // GUARDED_BY(mu_)
  AckCallback on_ack_;     // GUARDED_BY(mu_)
  DoneCallback on_done_;   // GUARDED_BY(mu_)
  State state_ = State::kActive;
  std::optional<IngestError> error_;
  std::optional<FragmentRef> error_target_;
  std::deque<InFlight> inflight_;        // sealed, not yet acknowledged by the store
  std::deque<PendingAppend> to_append_;  // sealed, not yet handed to the store
  bool persist_failed_ = false;
  std::optional<uint64_t> held_buffering_;  // index of the open fragment whose BUFFERING waits
  uint64_t next_seq_ = 0;
  IngestSummary summary_;
};

IngestSession::IngestSession(IngestOptions options, AckCallback on_ack, DoneCallback on_done)
    : core_(std::make_shared<Core>(std::move(options), std::move(on_ack), std::move(on_done))) {}

IngestSession::~IngestSession() { core_->Detach(); }

void IngestSession::Feed(std::span<const uint8_t> data) { core_->Feed(data); }
void IngestSession::EndOfBody() { core_->EndOfBody(); }
void IngestSession::Shutdown() { core_->Shutdown(); }
void IngestSession::Fail(int error_id, std::string message) {
  core_->Fail(error_id, std::move(message));
}
bool IngestSession::ending() const { return core_->ending(); }
bool IngestSession::done() const { return core_->done(); }

}  // namespace osprey::fragments
