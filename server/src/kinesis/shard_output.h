// Writers of the structures several Kinesis operations return, so that
// DescribeStream, ListShards, GetRecords and SubscribeToShard render them
// one way.
#pragma once

#include "kinesis/protocol.h"
#include "osprey/streams/stream_types.h"

namespace osprey::server::kinesis {

// {"ShardId", "ParentShardId"?, "AdjacentParentShardId"?, "HashKeyRange",
//  "SequenceNumberRange"}
void WriteShard(Output& out, const streams::ShardDescription& shard);
// "EnhancedMonitoring":[{"ShardLevelMetrics":[...]}], "EncryptionType":
// "NONE" or "KMS" with "KeyId"
void WriteMonitoringAndEncryption(Output& out, const streams::StreamDescription& d);
// {"SequenceNumber", "ApproximateArrivalTimestamp", "Data", "PartitionKey",
//  "EncryptionType" (only "KMS", for records stored encrypted)}
void WriteRecord(Output& out, const streams::StreamRecord& record);
// "ChildShards":[{"ShardId","ParentShards","HashKeyRange"}]
void WriteChildShards(Output& out, const std::vector<streams::ChildShard>& children);

}  // namespace osprey::server::kinesis
