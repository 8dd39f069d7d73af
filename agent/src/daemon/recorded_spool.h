// RecordedSpool: a read-only Spool over files of the recording directory,
// so that an upload-on-event (POST /upload) runs through the ordinary
// Uplink engine: same sessions, acks, retries and PERSISTED rule. Each file
// is read from disk when the uplink asks for it; the acknowledgement marker
// lives in memory only (an event upload that the agent's exit interrupts is
// not resumed: POST it again).
//
// Threading: safe from any thread (one mutex), as Spool requires.
#pragma once

#include <condition_variable>
#include <mutex>
#include <vector>

#include "osprey/agent/recorder.h"
#include "osprey/agent/spool.h"

namespace osprey::agent {

class RecordedSpool final : public Spool {
 public:
  // Sequence numbers 1..files.size(), in the given (timestamp) order.
  explicit RecordedSpool(std::vector<RecordedFile> files) : files_(std::move(files)) {}

  Result<uint64_t> Append(int64_t, std::string_view, std::string_view) override {
    return Status::FailedPrecondition("a recorded spool is read-only");
  }
  Result<std::optional<SpooledFragment>> ReadFrom(uint64_t seq) override;
  bool WaitFor(uint64_t seq, std::chrono::milliseconds timeout) override;
  Status Acknowledge(uint64_t seq) override;
  std::optional<int64_t> LastProducerTimestamp() const override;
  uint64_t acked_seq() const override;
  SpoolStats Stats() const override;
  void Close() override;

  bool done() const { return acked_seq() >= files_.size(); }

 private:
  const std::vector<RecordedFile> files_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t acked_ = 0;   // guarded by mu_
  bool closed_ = false;  // guarded by mu_
};

}  // namespace osprey::agent
