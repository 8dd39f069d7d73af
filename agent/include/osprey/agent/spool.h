// Spool: the agent's crash-safe, bounded, on-disk queue of whole fragments
// waiting to be uploaded (issue "Edge agent"). Capture appends fragments;
// the uplink reads them in order and advances a persisted "acknowledged up
// to" marker when the server answers PERSISTED. The format, the fsync rules
// and recovery are written down in agent/FORMAT.md.
//
// Guarantees:
//  * Append() returns only after the record is fdatasync'ed: a fragment whose
//    Append() returned OK survives kill -9 and power loss.
//  * Acknowledge() returns only after the marker file is durable (written to
//    a temporary file, fsynced, renamed, directory fsynced).
//  * Open() recovers: a torn or corrupt tail is cut off (the file truncated
//    to its last whole record), segments whose records are all acknowledged
//    are deleted, sequence numbers continue after the last record.
//  * Sequence numbers start at 1, increase by one per Append() and are never
//    reused, even after the records they named were dropped or deleted.
//  * Bounded: the bytes of all segment files stay within max_bytes. When full,
//    kDropOldest deletes whole oldest segments (acknowledged or not; counted
//    in Stats::dropped_fragments); kRefuseNew fails Append() with
//    ResourceExhausted.
//
// Thread safety: all methods may be called from any thread (one internal
// mutex; disk I/O happens under it, so a reader waits for a concurrent
// fsync). One Spool per directory: Open() takes an flock on dir/LOCK and
// fails with Unavailable when another process holds it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "osprey/base/result.h"

namespace osprey::agent {

enum class SpoolOverflowPolicy { kDropOldest, kRefuseNew };

struct SpoolOptions {
  std::string dir;                              // created if missing
  uint64_t max_bytes = uint64_t{1} << 30;      // 1 GiB, all segment files
  SpoolOverflowPolicy policy = SpoolOverflowPolicy::kDropOldest;
  // A new segment file is started past this size. 0: max_bytes / 16,
  // clamped to [64 KiB, 64 MiB] (drop-oldest frees one segment at a time).
  uint64_t segment_bytes = 0;
};

// One spooled fragment: enough to rebuild the PutMedia stream on its own.
struct SpooledFragment {
  uint64_t seq = 0;
  int64_t producer_timestamp_ms = 0;  // epoch ms; the Cluster Timecode
  // The stream header the cluster belongs to (EBML header, Segment start,
  // Info, Tracks: ProducerMkvWriter::WriteHeader output). A change of header
  // needs a new PutMedia request.
  std::string stream_header;
  std::string cluster;  // one Cluster element (unknown size), whole fragment
};

struct SpoolStats {
  uint64_t first_seq = 0;         // oldest record on disk, 0 when empty
  uint64_t last_seq = 0;          // newest record ever appended, 0 when none
  uint64_t acked_seq = 0;         // marker
  uint64_t bytes = 0;             // segment file bytes
  uint64_t segments = 0;
  uint64_t dropped_fragments = 0;  // by kDropOldest since Open()
  uint64_t truncated_bytes = 0;    // cut off by recovery in Open()
};

class Spool {
 public:
  virtual ~Spool() = default;

  // Opens or creates the spool in options.dir and recovers it (see above).
  // IOError on filesystem failures; InvalidArgument for bad options;
  // Unavailable when the directory is locked by another process.
  static Result<std::unique_ptr<Spool>> Open(const SpoolOptions& options);

  // Appends one fragment durably; returns its sequence number.
  // InvalidArgument: record larger than the segment size or max_bytes.
  // ResourceExhausted: full under kRefuseNew. IOError: the write or fsync
  // failed; the spool then refuses further appends (sticky error).
  virtual Result<uint64_t> Append(int64_t producer_timestamp_ms, std::string_view stream_header,
                                  std::string_view cluster) = 0;

  // The first record with seq >= `seq` still on disk, or nullopt when there
  // is none. Corruption if its CRC does not match.
  virtual Result<std::optional<SpooledFragment>> ReadFrom(uint64_t seq) = 0;

  // Waits until a record with seq >= `seq` exists, Close() is called, or the
  // timeout passes; true when such a record exists.
  virtual bool WaitFor(uint64_t seq, std::chrono::milliseconds timeout) = 0;

  // Persists "everything up to and including `seq` is acknowledged" and
  // deletes the segments that then hold only acknowledged records. A `seq`
  // at or below the current marker is a no-op; above last_seq is
  // InvalidArgument.
  virtual Status Acknowledge(uint64_t seq) = 0;

  // The newest producer timestamp ever appended (also after recovery), so a
  // restarted capture can keep timestamps strictly increasing; nullopt when
  // nothing was ever appended.
  virtual std::optional<int64_t> LastProducerTimestamp() const = 0;

  virtual uint64_t acked_seq() const = 0;
  virtual SpoolStats Stats() const = 0;

  // Wakes WaitFor() callers; later WaitFor() calls return at once. Appends
  // still work (data is durable either way).
  virtual void Close() = 0;
};

}  // namespace osprey::agent
