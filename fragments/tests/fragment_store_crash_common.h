// What the fragment store crash child writes and the crash test checks.
#pragma once

#include <string>

#include "fragment_store_test_util.h"
#include "osprey/fragments/fragment_store.h"

namespace osprey::fragments::testing {

inline StoreOptions CrashStoreOptions(const std::string& root) {
  StoreOptions o;
  o.root = root;
  o.media_file_bytes = 256 << 10;  // many rolls, so kills land around them too
  return o;
}

inline std::string CrashStreamId(int s) { return "cam-" + std::to_string(s); }

// The fragment `index` of stream `id`: everything derives from the two.
inline FragmentInput CrashFragment(const std::string& id, uint64_t index) {
  const int64_t ms = static_cast<int64_t>(index / 1000);
  return MakeFragment(index, ms, ms, id, 100 + (index * 7919) % 20000);
}

}  // namespace osprey::fragments::testing
