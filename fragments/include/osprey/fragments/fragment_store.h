// FragmentStore: durable storage of the fragments of every video stream.
//
// A fragment is what one MKV Cluster carried in PutMedia: the Cluster bytes
// as ingested, the stream header (Info + Tracks) that was in force, the
// producer's fragment metadata, and its timestamps. GetMedia,
// GetMediaForFragmentList, playback and the ML hooks read it back.
//
// The file implementation (file_fragment_store.h) keeps per stream a folder
// of append-only media files plus an index; an S3-compatible backend can
// implement the same interface later (cluster mode).
//
// Contract, for every implementation:
//  * Fragment indices are per stream, strictly increasing in ingest order and
//    never reused, also across restarts and after retention deleted
//    everything. They are not consecutive: ReserveIndex() hands out
//    max(last + 1, now in microseconds), and a reserved index whose fragment
//    fails is simply skipped. The API's 47-digit FragmentNumber is derived
//    from (stream creation time, index) by fragment_number.h.
//  * AppendAsync's callback reports OK only once the fragment's bytes and
//    its index entry are durable (fsynced). One sync may cover many
//    fragments of many streams (group commit). Readers see a fragment only
//    once it is acknowledged, so nothing a reader saw can vanish in a crash.
//  * After kill -9 at any moment, Open recovers by itself: every acknowledged
//    fragment is readable byte for byte; a torn tail is discarded and logged.
//  * After a storage failure the stream's log is failed: the error sticks
//    and later appends get it; reads of acknowledged fragments keep working.
//  * Retries: a producer that lost a PERSISTED ack sends the same fragment
//    again. FindOrClaim() recognises it (same producer timestamp, duration,
//    size and content hash as a recent or in-flight fragment) so that the
//    ingest answers with the original instead of storing it twice
//    (docs/video-ingest.md "Retries after a lost ACK").
//
// Thread safety: every method of both classes may be called from any thread
// concurrently. Callbacks (append acks, new-fragment notifications) run on an
// internal thread; they must be quick and must not block on the store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/fragments/mkv_types.h"

namespace osprey::fragments {

// What the index knows about one stored fragment (ListFragments' fields).
struct FragmentMeta {
  uint64_t index = 0;                 // per-stream, see the contract above
  int64_t producer_timestamp_ms = 0;  // epoch ms (cluster timecode converted)
  int64_t server_timestamp_ms = 0;    // epoch ms, arrival of the first byte
  int64_t duration_ms = 0;            // FragmentLengthInMilliseconds
  uint64_t size_bytes = 0;            // FragmentSizeInBytes: the Cluster's bytes
  uint64_t cluster_timecode = 0;      // raw Cluster Timecode as received
  // ContentHash(cluster); 0 = unknown (stored by an index format without
  // it). AppendAsync computes it when the caller left it 0.
  uint64_t content_hash = 0;
  bool operator==(const FragmentMeta&) const = default;
};

// The content identity of a fragment: XXH3-64 of its Cluster bytes as
// ingested, never 0 (0 is mapped to 1). A 64-bit non-cryptographic hash is
// enough because it is only compared between fragments that already share
// stream, producer timestamp, duration and size (FORMAT.md "Index entry").
uint64_t ContentHash(std::string_view cluster);

// A fragment to store. The index must come from ReserveIndex() on the same
// stream and be greater than every index appended before.
struct FragmentInput {
  FragmentMeta meta;                  // size_bytes is taken from cluster
  std::string stream_header;          // Info + Tracks elements as ingested
  std::string cluster;                // one complete Cluster element
  std::vector<SimpleTag> metadata;    // producer fragment metadata (<= 10)
};

// A fragment read back.
struct StoredFragment {
  FragmentMeta meta;
  std::string stream_header;
  std::string cluster;
  std::vector<SimpleTag> metadata;
};

// Which timestamp a range or a lookup refers to.
enum class TimestampKind { kServer, kProducer };

struct StreamStats {
  uint64_t fragments = 0;      // retained
  uint64_t bytes = 0;          // retained media bytes on disk
  uint64_t appends = 0;        // since open
  uint64_t syncs = 0;          // since open
  uint64_t duplicates = 0;     // since open: FindOrClaim calls that found one
};

struct RetentionPolicy {
  int64_t retention_ms = 0;    // 0: keep by time forever
  uint64_t max_bytes = 0;      // 0: no byte quota (Osprey extension)
};

// The fragments of one stream.
class FragmentLog {
 public:
  using AppendCallback = std::function<void(Status)>;
  using NewFragmentCallback = std::function<void(const FragmentMeta&)>;

  virtual ~FragmentLog() = default;

  // The index the next fragment will carry (announced in BUFFERING before
  // its bytes have arrived). Never returns the same value twice.
  virtual uint64_t ReserveIndex() = 0;

  // Stores `fragment`; `done` runs once it is durable, or with the error:
  // InvalidArgument (index not increasing, empty cluster), FailedPrecondition
  // (log deleted or closed), IOError (sticky). `done` may run before
  // AppendAsync returns or later on the store's thread.
  virtual void AppendAsync(FragmentInput fragment, AppendCallback done) = 0;

  // Retry recognition. The defaults recognise nothing (every fragment is
  // new), which is what a log without claims must answer.
  //
  // Cheap pre-check when a fragment starts (only its producer timestamp is
  // known): true when a fragment with this producer timestamp is among the
  // newest StoreOptions::dedupe_window acknowledged fragments or is claimed.
  virtual bool MayBeDuplicate(int64_t /*producer_timestamp_ms*/) const { return false; }
  // Atomically: looks for a fragment identical to `meta` (equal producer
  // timestamp, duration_ms, size_bytes and a known content_hash, which the
  // caller must set) among the newest dedupe_window acknowledged fragments
  // and the claimed ones (appends not yet acknowledged). Found: returns its
  // meta (the original index and timestamps); the caller stores nothing and
  // learns the original's outcome through WhenSettled(found->index).
  // Not found: claims `meta` (so an identical fragment arriving meanwhile
  // finds it) and returns nullopt; the caller must then AppendAsync it with
  // meta.index. The claim ends when that append is acknowledged or fails.
  // MayBeDuplicate and FindOrClaim run no callback, so callers may hold
  // their own locks (IngestSession holds its mutex).
  virtual std::optional<FragmentMeta> FindOrClaim(const FragmentMeta& /*meta*/) {
    return std::nullopt;
  }
  // Runs `done` once fragment `index` is durable: at once (on the calling
  // thread) with OK if it is already acknowledged, later (on the store's
  // thread) with the result of its claimed append, or at once with an error
  // when it is neither (its append failed, or retention removed it).
  virtual void WhenSettled(uint64_t index, AppendCallback done) {
    done(Find(index) ? Status::Ok()
                     : Status::NotFound("fragment " + std::to_string(index) + " not stored"));
  }

  // Index lookups; all see acknowledged fragments only, in index order.
  virtual std::optional<FragmentMeta> Find(uint64_t index) const = 0;
  virtual std::optional<FragmentMeta> Earliest() const = 0;
  virtual std::optional<FragmentMeta> Latest() const = 0;
  // The first fragment with index > `index`.
  virtual std::optional<FragmentMeta> After(uint64_t index) const = 0;
  // The first fragment (in index order) that contains `timestamp_ms`
  // (start <= t < start + duration), or else the first one starting after it.
  virtual std::optional<FragmentMeta> FindByTimestamp(TimestampKind kind,
                                                      int64_t timestamp_ms) const = 0;
  // Fragments whose start lies in [start_ms, end_ms] (inclusive), in index
  // order, beginning after `after_index` (0: from the start), at most
  // `limit`. Serves ListFragments pagination and playlists.
  virtual std::vector<FragmentMeta> ListRange(TimestampKind kind, int64_t start_ms,
                                              int64_t end_ms, uint64_t after_index,
                                              size_t limit) const = 0;

  // The stored fragment. NotFound when absent (never stored, or gone by
  // retention); Corruption when its bytes fail their checksum.
  virtual Result<StoredFragment> Read(uint64_t index) const = 0;

  // Calls `callback` for each fragment acknowledged from now on, in index
  // order, on the store's thread. Returns an id for Unsubscribe. A
  // subscriber must not block: it hands the work to its own strand.
  virtual uint64_t Subscribe(NewFragmentCallback callback) = 0;
  virtual void Unsubscribe(uint64_t id) = 0;

  // Deletes the oldest whole media files that hold only fragments older than
  // now_ms - retention_ms, then, while the stream is over max_bytes, the
  // oldest files regardless of age. The newest fragment is never deleted.
  virtual Result<uint64_t> ApplyRetention(int64_t now_ms, const RetentionPolicy& policy) = 0;

  virtual StreamStats Stats() const = 0;
};

struct StoreOptions {
  std::string root;                       // created when absent
  uint64_t media_file_bytes = 256ull << 20;  // roll media files at this size
  int64_t media_file_ms = 3600'000;       // ... or when the file spans this long
  // Default: system clock in epoch ms / fdatasync. Seams for tests.
  std::function<int64_t()> clock;
  std::function<Status(int fd)> sync;
  // Group commit makes a batch durable with one syncfs(2) on the root
  // instead of one fdatasync per dirty file once the batch dirtied at least
  // this many files (0: never). Ignored when `sync` is set. Measured choice:
  // see FORMAT.md "Fragment store".
  size_t syncfs_min_files = 8;
  // How many of a stream's newest acknowledged fragments FindOrClaim and
  // MayBeDuplicate look at (a retry follows its lost ack within a few
  // fragments; 1000 is ~30 min of 2-s fragments and a ~1 us scan).
  size_t dedupe_window = 1000;
};

// All streams' fragment logs under one root folder. One process per root.
class FragmentStore {
 public:
  virtual ~FragmentStore() = default;

  // The log of stream `stream_id` (a folder name: [A-Za-z0-9_.-]+, unique
  // for the stream's lifetime, e.g. "<name>-<creation ms>"), created when
  // absent. The same object is returned while it is open.
  virtual Result<std::shared_ptr<FragmentLog>> OpenStream(const std::string& stream_id) = 0;
  // Ids of every stream folder present (for retention sweeps and recovery).
  virtual std::vector<std::string> StreamIds() const = 0;
  // Fails further appends of the stream, waits for those in flight, and
  // deletes its files. Readers holding the log get NotFound afterwards.
  virtual Status DeleteStream(const std::string& stream_id) = 0;
  // Waits for in-flight appends, stops the internal thread. Idempotent.
  virtual Status Close() = 0;
};

// Opens the file store, recovering every stream folder under options.root.
Result<std::unique_ptr<FragmentStore>> OpenFileFragmentStore(const StoreOptions& options);

}  // namespace osprey::fragments
