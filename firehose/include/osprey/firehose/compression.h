// Whole-object compression for S3 delivery (spec 5.2).
//
//  UNCOMPRESSED  raw bytes
//  GZIP          one gzip member (zlib)
//  ZIP           a zip archive with one entry named `entry_name` (minizip)
//  Snappy        the Snappy framing format (stream identifier, then
//                compressed chunks of <= 64 KiB with masked CRC-32C)
//  HADOOP_SNAPPY Hadoop's block format: per block of <= 256 KiB, a 4-byte
//                big-endian uncompressed length, then one 4-byte big-endian
//                compressed length and the raw snappy bytes
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/firehose/config.h"

namespace osprey::firehose {

// Default extension: "", ".gz", ".zip", ".snappy", ".snappy".
std::string_view DefaultExtension(Compression compression);

// Compresses `data`. IOError/Internal only on library failures.
Result<std::string> Compress(Compression compression, std::string_view data,
                             std::string_view entry_name);

// Inverse of Compress, for tests and tools (ZIP: the first entry).
Result<std::string> Decompress(Compression compression, std::string_view data);

}  // namespace osprey::firehose
