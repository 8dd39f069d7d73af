// The engine's metadata: every stream with its shards (and their lineage),
// tags, consumers and quotas, as plain values, plus the file that persists
// them (FORMAT.md "Engine registry"). Private to the module.
//
// The engine changes metadata copy-on-write: it copies RegistryMeta, edits
// the copy, writes it with SaveRegistry, and only then replaces its state,
// so memory never holds a change that is not on disk.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/streams/hash_key.h"
#include "osprey/streams/stream_types.h"

namespace osprey::streams::engine {

struct ShardMeta {
  uint32_t index = 0;
  HashKeyRange range;
  int64_t created_ms = 0;
  std::optional<int64_t> closed_ms;
  std::optional<uint32_t> parent;
  std::optional<uint32_t> adjacent_parent;
  bool open() const { return !closed_ms.has_value(); }
  friend bool operator==(const ShardMeta&, const ShardMeta&) = default;
};

struct ConsumerMeta {
  std::string name;
  int64_t created_ms = 0;
  friend bool operator==(const ConsumerMeta&, const ConsumerMeta&) = default;
};

struct StreamMeta {
  uint64_t id = 0;  // unique over the engine's life: names the directory
  std::string name;
  StreamMode mode = StreamMode::kProvisioned;
  int32_t retention_hours = 24;
  int64_t created_ms = 0;
  int64_t updating_until_ms = 0;  // UPDATING while now < this
  uint32_t next_shard_index = 0;
  uint32_t max_record_size_kib = 1024;
  std::map<std::string, std::string> tags;
  std::vector<ConsumerMeta> consumers;         // registration order
  std::vector<int64_t> shard_count_updates_ms;  // UpdateShardCount calls, last 24 h
  std::vector<ShardMeta> shards;               // by index; expired closed shards removed
  std::vector<std::string> shard_level_metrics;  // kShardLevelMetrics order
  std::optional<std::string> kms_key_id;         // set while encryption is on
  std::vector<int64_t> encryption_changes_ms;    // Start/StopEncryption, last 24 h

  const ShardMeta* FindShard(uint32_t index) const;
  ShardMeta* FindShard(uint32_t index);
  uint32_t OpenShardCount() const;
  int64_t retention_ms() const { return int64_t{retention_hours} * 3600 * 1000; }
  friend bool operator==(const StreamMeta&, const StreamMeta&) = default;
};

struct RegistryMeta {
  uint64_t next_stream_id = 1;
  std::map<std::string, StreamMeta, std::less<>> streams;  // by name, byte order
  friend bool operator==(const RegistryMeta&, const RegistryMeta&) = default;
};

// Text form of the registry (FORMAT.md), checksum line included.
std::string SerializeRegistry(const RegistryMeta& meta);
// Corruption (naming the line) when the text is not a valid registry.
Result<RegistryMeta> ParseRegistry(const std::string& text);

// Writes `path` atomically: path.tmp, fsync, rename, fsync of the directory.
Status SaveRegistry(const std::string& path, const RegistryMeta& meta);
// An absent file is an empty registry.
Result<RegistryMeta> LoadRegistry(const std::string& path);

}  // namespace osprey::streams::engine
