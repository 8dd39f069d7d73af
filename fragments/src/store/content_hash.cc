// ContentHash (fragment_store.h): the identity a retried fragment is
// recognised by. XXH3-64 from Debian's libxxhash: 19 GB/s on one core of
// the 2-core dev VM (7-8 GB/s while it was loaded; bench/dedupe.sh), against
// 2.2 GB/s for the CRC-32C every media record already pays, so a 1 MiB
// Cluster costs 55 us more (docs/benchmarks.md "Retry recognition").
// SHA-256 (OpenSSL) measured 1.8 GB/s: it would double the per-byte cost of
// an append for collision resistance nobody needs between fragments that
// already share stream, producer timestamp, duration and size.
#include <xxhash.h>

#include "osprey/fragments/fragment_store.h"

namespace osprey::fragments {

uint64_t ContentHash(std::string_view cluster) {
  const uint64_t h = XXH3_64bits(cluster.data(), cluster.size());
  return h == 0 ? 1 : h;  // 0 means "unknown" in FragmentMeta
}

}  // namespace osprey::fragments
