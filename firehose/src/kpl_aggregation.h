// KPL de-aggregation (firehose-api.md section 7): the Kinesis Producer
// Library packs many user records into one Kinesis record as
//
//   F3 89 9A C2 | protobuf AggregatedRecord | MD5 of the protobuf (16 bytes)
//
//   AggregatedRecord { repeated string partition_key_table = 1;
//                      repeated string explicit_hash_key_table = 2;
//                      repeated Record records = 3; }
//   Record { uint64 partition_key_index = 1; uint64 explicit_hash_key_index = 2;
//            bytes data = 3; repeated Tag tags = 4; }
//
// Firehose reading a Kinesis stream hands the user records on one by one.
// A record without the magic, with a wrong MD5, or whose protobuf does not
// parse (unknown wire types, truncation, an index past its table) is not an
// aggregate: it passes through whole, as the spec asks for invalid
// envelopes. Tags are skipped.
//
// Pure functions over untrusted bytes (fuzz target firehose/fuzz/).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace osprey::firehose {

struct UserRecord {
  std::string partition_key;
  std::string explicit_hash_key;  // "" when the record has none
  std::string data;
};

// The user records of a KPL aggregate, in order; nullopt when `record` is
// not a valid aggregate (pass it through as one record).
std::optional<std::vector<UserRecord>> DeaggregateKpl(std::string_view record);

// The envelope of `records` with the tables they need (tests and the fuzz
// corpus; the KPL writes the same bytes).
std::string AggregateKpl(const std::vector<UserRecord>& records);

}  // namespace osprey::firehose
