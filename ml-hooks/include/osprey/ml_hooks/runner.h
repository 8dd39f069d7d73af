// MlRunner: the osprey-ml process minus its command line. Watches the
// configured video streams of one server (a StreamWorker each, see
// docs/ml-hooks.md), publishes events, and takes arm/disarm requests.
//
// Threading: all methods from one controlling thread (main). Workers run
// their own threads between Start and Stop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "osprey/auth/sigv4.h"
#include "osprey/base/result.h"
#include "osprey/ml_hooks/config.h"

namespace osprey::ml_hooks {

struct StreamStats {
  std::string stream;
  int64_t fragments = 0;        // fully processed (journaled)
  int64_t frames_analysed = 0;
  int64_t frames_dropped = 0;   // by the queue policy (slow detectors)
  int64_t frames_gated = 0;     // costly detectors skipped by the motion gate
  int64_t events = 0;           // published
  int64_t errors = 0;           // decode / detector / connection errors
  std::string last_fragment;
};

class MlRunner {
 public:
  ~MlRunner();
  // Validates the configuration; InvalidArgument when it is wrong.
  static Result<std::unique_ptr<MlRunner>> Create(MlConfig config, auth::Credentials credentials);

  // Makes sure the outputs exist (creating them when configured), resolves
  // "*" into the server's streams, and starts one worker per stream.
  // Unavailable when the server cannot be reached.
  Status Start();
  // Streams named "*" are re-listed: new streams get a worker. Call now and
  // then (main does every 30 s).
  Status Refresh();
  void Stop();

  // Overrides the schedule of `rule` of `stream` ("*" = every stream / rule):
  // armed or disarmed until `until_ms` (frame time; nullopt: until cleared).
  Status Arm(const std::string& stream, const std::string& rule, bool armed,
             std::optional<int64_t> until_ms);
  Status ClearArm(const std::string& stream, const std::string& rule);

  std::vector<StreamStats> stats() const;

 private:
  MlRunner() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace osprey::ml_hooks
