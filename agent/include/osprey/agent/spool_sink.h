// SpoolFragmentSink: the Fragmenter's output written straight into the
// on-disk spool, what both osprey-agent and ospreysink do between capture
// and upload (a fragment is durable before any upload is tried).
//
// Threading: called on the Fragmenter's thread; the Spool is thread-safe.
#pragma once

#include <string>

#include "osprey/agent/fragmenter.h"
#include "osprey/agent/spool.h"

namespace osprey::agent {

class SpoolFragmentSink final : public FragmentSink {
 public:
  // `spool` must outlive the sink; `log_module` tags the debug line per
  // recorded fragment ("agent", "ospreysink").
  SpoolFragmentSink(Spool* spool, std::string log_module)
      : spool_(spool), log_module_(std::move(log_module)) {}
  // A failed append (spool full with refuse-new, disk error) is returned to
  // the Fragmenter, which counts the fragment as lost.
  Status OnFragment(const Fragment& fragment) override;

 private:
  Spool* spool_;
  std::string log_module_;
};

}  // namespace osprey::agent
