// Options for a file-backed shard log. Every field documents its default.
//
// The clock and the sync function are seams: tests inject a manual clock
// (retention, timestamp reads) and a sync function that counts calls or
// fails (group commit, sticky background errors).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "osprey/base/status.h"

namespace osprey::streams {

// Returns the current time in epoch milliseconds. Must be callable from any
// thread.
using ClockFn = std::function<int64_t()>;

// Makes the written contents of `fd` durable (default: fdatasync). Called
// from the syncer thread and, when a segment rolls, from an appending thread;
// must be thread-safe.
using SyncFn = std::function<Status(int fd)>;

struct LogOptions {
  // A segment is closed and a new one started once the next batch would take
  // it past this size. A single batch is never split, so a segment can exceed
  // this by up to one batch. Default 64 MiB.
  uint64_t segment_bytes = 64ull << 20;

  // One sparse-index entry at least every this many bytes of a segment.
  // Reads scan at most this much before reaching the wanted record.
  // Default 4 KiB.
  uint64_t index_interval_bytes = 4096;

  // The most recent records are kept in memory up to this many payload
  // bytes, so live readers (the common case) never touch the disk.
  // 0 disables the tail. Default 8 MiB.
  size_t tail_cache_bytes = 8u << 20;

  // Largest encoded record accepted (and believed during recovery: a length
  // field above it is treated as corruption). Default 11 MiB, above the
  // 10 MiB Kinesis maximum plus the key.
  uint32_t max_record_bytes = 11u << 20;

  // Index of the first record of a brand-new log. Kinesis shards start at 1
  // (index 0 is the shard's StartingSequenceNumber). Default 1.
  uint64_t first_index = 1;

  // Open normally reads each sealed segment's index file and scans only the
  // last segment, so damage inside a sealed segment surfaces as Corruption
  // from the read that meets it. true: scan and checksum every record of
  // every segment on open (slow for big logs; for fsck-style checks).
  // Default false.
  bool verify_sealed_segments = false;

  // Arrival timestamps. Default: system_clock in ms. The log never lets
  // arrival time go backwards within a shard, even if this clock does, so
  // that reads by timestamp can binary-search.
  ClockFn clock;

  // Default: fdatasync(fd).
  SyncFn sync;
};

}  // namespace osprey::streams
