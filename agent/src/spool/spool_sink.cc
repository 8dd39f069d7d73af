#include "osprey/agent/spool_sink.h"

#include "osprey/base/logging.h"

namespace osprey::agent {

Status SpoolFragmentSink::OnFragment(const Fragment& f) {
  Result<uint64_t> seq = spool_->Append(f.producer_timestamp_ms, f.stream_header, f.cluster);
  if (!seq.ok()) return seq.status();
  log::Debug(log_module_, "fragment recorded",
             {{"seq", *seq}, {"producer_timestamp_ms", f.producer_timestamp_ms},
              {"duration_ms", f.duration_ms}, {"frames", f.frames},
              {"bytes", static_cast<uint64_t>(f.cluster.size())},
              {"discontinuity", f.discontinuity}});
  return Status::Ok();
}

}  // namespace osprey::agent
