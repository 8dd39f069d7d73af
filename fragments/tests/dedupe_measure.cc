// Hand-run measurement of what retry recognition adds to ingest (not a
// ctest; bench/dedupe.sh runs it). Two costs per fragment:
//  1. hashing the Cluster: ContentHash (XXH3-64) next to the CRC-32C every
//     media record already pays, and SHA-256 (OpenSSL), the alternative;
//  2. the lookups: MayBeDuplicate when a Cluster starts and FindOrClaim when
//     it is sealed, over a full window (StoreOptions::dedupe_window = 1000
//     acknowledged fragments), worst case (scan to the window's end).
//  3. the store's append of a 1 MiB fragment with and without hashing.
// Prints one table each; times are the median of 5 rounds.
//
// Usage: fragment_dedupe_measure [dir]   (dir: where the scratch store goes)

#include <openssl/sha.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "osprey/base/crc32c.h"
#include "osprey/base/logging.h"
#include "osprey/fragments/fragment_store.h"

namespace {

using osprey::fragments::ContentHash;
using osprey::fragments::FragmentInput;
using osprey::fragments::FragmentMeta;
using Clock = std::chrono::steady_clock;

// Median over 5 rounds of the seconds one call of `fn` takes.
double SecondsPerCall(const std::function<void()>& fn, int calls) {
  std::vector<double> rounds;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = Clock::now();
    for (int i = 0; i < calls; ++i) fn();
    rounds.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / calls);
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[2];
}

volatile uint64_t sink;  // keeps the hashes from being optimised away

void HashTable() {
  std::printf("Hashing one Cluster (median of 5 rounds)\n");
  std::printf("%-10s | %-28s | %-28s | %-28s\n", "cluster", "XXH3-64 (ContentHash)",
              "CRC-32C (already per record)", "SHA-256 (OpenSSL)");
  for (size_t size : {size_t{64} << 10, size_t{1} << 20, size_t{8} << 20}) {
    std::string data(size, '\0');
    uint64_t x = 88172645463325252ull;
    for (char& c : data) {  // xorshift: incompressible, like H.264
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x);
    }
    const int calls = static_cast<int>(std::max<size_t>(4, (size_t{256} << 20) / size));
    const double xxh = SecondsPerCall([&] { sink = ContentHash(data); }, calls);
    const double crc =
        SecondsPerCall([&] { sink = osprey::crc32c::Extend(0, data.data(), data.size()); }, calls);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    const double sha = SecondsPerCall(
        [&] {
          SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
          sink = digest[0];
        },
        calls / 4 + 1);
    auto cell = [&](double s) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%8.1f us  %6.2f GB/s", s * 1e6, size / s / 1e9);
      return std::string(buf);
    };
    std::printf("%7zu KiB | %-28s | %-28s | %-28s\n", size >> 10, cell(xxh).c_str(),
                cell(crc).c_str(), cell(sha).c_str());
  }
}

void LookupTable(const std::string& dir) {
  osprey::fragments::StoreOptions o;
  o.root = dir;
  o.sync = [](int) { return osprey::Status::Ok(); };
  auto store = osprey::fragments::OpenFileFragmentStore(o);
  if (!store.ok()) {
    std::fprintf(stderr, "open store: %s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  auto log = std::move((*store)->OpenStream("s")).value();
  const size_t window = o.dedupe_window;
  std::vector<FragmentMeta> stored;
  for (size_t i = 0; i < window; ++i) {
    FragmentInput f;
    f.meta.index = log->ReserveIndex();
    f.meta.producer_timestamp_ms = 1'700'000'000'000 + 2000 * static_cast<int64_t>(i);
    f.meta.server_timestamp_ms = f.meta.producer_timestamp_ms;
    f.meta.duration_ms = 2000;
    f.stream_header = "h";
    f.cluster = "cluster " + std::to_string(i);
    std::promise<osprey::Status> p;
    log->AppendAsync(f, [&p](osprey::Status s) { p.set_value(s); });
    if (!p.get_future().get().ok()) std::exit(1);
    stored.push_back(*log->Find(f.meta.index));
  }
  // Worst cases: a timestamp nobody has (scans the whole window), and a
  // retry of the oldest fragment in the window (found at the far end).
  const double pre = SecondsPerCall([&] { sink = log->MayBeDuplicate(42); }, 20000);
  FragmentMeta retry = stored.front();
  retry.index = log->ReserveIndex();
  const double find = SecondsPerCall([&] { sink = log->FindOrClaim(retry).has_value(); }, 20000);
  std::printf("\nLookups per fragment, %zu acknowledged fragments in the window\n", window);
  std::printf("%-44s | %10.2f us\n", "MayBeDuplicate (Cluster start, miss)", pre * 1e6);
  std::printf("%-44s | %10.2f us\n", "FindOrClaim (sealed, match at window end)", find * 1e6);
  (void)(*store)->Close();
}

// The store's append path for 1 MiB fragments (encode + CRC-32C + write(2)
// to the page cache + group commit with a no-op sync), with the content
// hash already set by the caller (the path without hashing) and left to
// AppendAsync (what a fragment costs now). Alternating, 3 rounds each
// (600 MiB written in all: give a tmpfs dir to leave the disk alone).
void AppendTable(const std::string& dir) {
  osprey::fragments::StoreOptions o;
  o.root = dir + "/append";
  o.sync = [](int) { return osprey::Status::Ok(); };
  auto store = osprey::fragments::OpenFileFragmentStore(o);
  if (!store.ok()) std::exit(1);
  auto log = std::move((*store)->OpenStream("a")).value();
  FragmentInput f;
  f.stream_header = std::string(300, 'h');
  f.cluster.resize(size_t{1} << 20);
  uint64_t x = 88172645463325252ull;
  for (char& c : f.cluster) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  const uint64_t hash = ContentHash(f.cluster);
  auto append = [&](bool prehashed) {
    FragmentInput g = f;
    g.meta.index = log->ReserveIndex();
    g.meta.content_hash = prehashed ? hash : 0;
    std::promise<osprey::Status> p;
    log->AppendAsync(std::move(g), [&p](osprey::Status s) { p.set_value(s); });
    if (!p.get_future().get().ok()) std::exit(1);
  };
  std::vector<double> with, without;
  for (int r = 0; r < 3; ++r) {
    without.push_back(SecondsPerCall([&] { append(true); }, 20));
    with.push_back(SecondsPerCall([&] { append(false); }, 20));
  }
  std::sort(with.begin(), with.end());
  std::sort(without.begin(), without.end());
  std::printf("\nStore append of a 1 MiB fragment (no-op sync), median of 3 medians of 5x20\n");
  std::printf("%-44s | %10.1f us\n", "hash set by the caller (no hashing)", without[1] * 1e6);
  std::printf("%-44s | %10.1f us\n", "hashed in AppendAsync", with[1] * 1e6);
  (void)(*store)->Close();
}

}  // namespace

int main(int argc, char** argv) {
  osprey::log::SetLevel(osprey::log::Level::kWarn);
  std::string base = argc > 1 ? argv[1] : std::filesystem::temp_directory_path().string();
  std::string tmpl = base + "/osprey_dedupe_XXXXXX";
  const char* dir = ::mkdtemp(tmpl.data());
  if (dir == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  HashTable();
  LookupTable(dir);
  AppendTable(dir);
  std::filesystem::remove_all(dir);
  return 0;
}
