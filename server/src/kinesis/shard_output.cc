#include "kinesis/shard_output.h"

namespace osprey::server::kinesis {

namespace {
void WriteRange(Output& out, const streams::HashKeyRange& r) {
  out.Key("HashKeyRange").BeginObject();
  out.Key("StartingHashKey").String(streams::FormatHashKey(r.start));
  out.Key("EndingHashKey").String(streams::FormatHashKey(r.end));
  out.EndObject();
}
}  // namespace

void WriteShard(Output& out, const streams::ShardDescription& s) {
  out.BeginObject().Key("ShardId").String(s.shard_id);
  if (s.parent_shard_id) out.Key("ParentShardId").String(*s.parent_shard_id);
  if (s.adjacent_parent_shard_id) out.Key("AdjacentParentShardId").String(*s.adjacent_parent_shard_id);
  WriteRange(out, s.hash_key_range);
  out.Key("SequenceNumberRange").BeginObject();
  out.Key("StartingSequenceNumber").String(s.starting_sequence_number);
  if (s.ending_sequence_number) out.Key("EndingSequenceNumber").String(*s.ending_sequence_number);
  out.EndObject().EndObject();
}

void WriteMonitoringAndEncryption(Output& out, const streams::StreamDescription& d) {
  out.Key("EnhancedMonitoring").BeginArray().BeginObject().Key("ShardLevelMetrics").BeginArray();
  for (const auto& m : d.shard_level_metrics) out.String(m);
  out.EndArray().EndObject().EndArray();
  out.Key("EncryptionType").String(d.kms_key_id ? "KMS" : "NONE");
  if (d.kms_key_id) out.Key("KeyId").String(*d.kms_key_id);
}

void WriteRecord(Output& out, const streams::StreamRecord& r) {
  out.BeginObject().Key("SequenceNumber").String(r.sequence_number);
  out.Key("ApproximateArrivalTimestamp").TimestampMs(r.arrival_ms);
  out.Key("Data").Blob(r.data).Key("PartitionKey").String(r.partition_key);
  if (r.encrypted) out.Key("EncryptionType").String("KMS");
  out.EndObject();
}

void WriteChildShards(Output& out, const std::vector<streams::ChildShard>& children) {
  out.Key("ChildShards").BeginArray();
  for (const auto& child : children) {
    out.BeginObject().Key("ShardId").String(child.shard_id).Key("ParentShards").BeginArray();
    for (const auto& p : child.parent_shards) out.String(p);
    out.EndArray();
    WriteRange(out, child.hash_key_range);
    out.EndObject();
  }
  out.EndArray();
}

}  // namespace osprey::server::kinesis
