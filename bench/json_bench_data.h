// Realistic Kinesis Data Streams request bodies and response contents for
// json_parse_bench (parsers in json_parse_bench.cc, writers in
// json_write_cases.cc). Everything is generated deterministically, so runs
// compare like with like.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace osprey::bench {

// Base64 of `n` deterministic pseudo-random bytes (seeded by `seed`).
std::string RandomBase64(size_t raw_bytes, uint32_t seed);

// Request bodies as an AWS SDK sends them.
struct RequestBodies {
  std::string put_record;       // one record, ~200 raw bytes of Data
  std::string put_records;      // 100 records of 1 KiB base64 Data each
  std::string describe_stream;  // StreamName, Limit, ExclusiveStartShardId
};
const RequestBodies& Bodies();

// What a handler would hand to the writer for each response.
struct ResponseRecord {
  std::string sequence_number;  // 56 decimal digits
  std::string shard_id;
  std::string partition_key;
  std::string data;             // base64, for GetRecords
  double arrival_timestamp;     // epoch seconds with milliseconds
};
struct ResponseData {
  std::vector<ResponseRecord> records;  // 100
  std::string stream_name;
  std::string stream_arn;
  std::string next_shard_iterator;
  std::vector<std::string> shard_ids;   // 4 shards for DescribeStream
  std::vector<std::string> hash_key_bounds;  // 5 boundaries, 39-digit decimals
};
const ResponseData& Responses();

// Registers "write/<Response>/<impl>" benchmarks and checks that every
// writer produces the same JSON value; aborts on a mismatch.
void RegisterWriteBenchmarks();

}  // namespace osprey::bench
