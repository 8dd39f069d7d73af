// Fuzz target: KPL de-aggregation (firehose/src/kpl_aggregation.h) of the
// bytes of one Kinesis record. The MD5 check would keep the fuzzer out of
// the protobuf parser, so every input is tried twice: as given, and with
// the magic and a correct MD5 added around it. A valid aggregate must
// re-aggregate to records that de-aggregate to the same records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "kpl_aggregation.h"

namespace {

std::string Wrap(std::string_view proto) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(proto.data(), proto.size(), digest, &n, EVP_md5(), nullptr);
  return std::string("\xF3\x89\x9A\xC2", 4) + std::string(proto) +
         std::string(reinterpret_cast<char*>(digest), n);
}

void Check(std::string_view input) {
  auto records = osprey::firehose::DeaggregateKpl(input);
  if (!records) return;
  auto again = osprey::firehose::DeaggregateKpl(osprey::firehose::AggregateKpl(*records));
  if (!again || again->size() != records->size()) std::abort();
  for (size_t i = 0; i < records->size(); ++i) {
    if ((*again)[i].data != (*records)[i].data ||
        (*again)[i].partition_key != (*records)[i].partition_key ||
        (*again)[i].explicit_hash_key != (*records)[i].explicit_hash_key) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Check(input);
  Check(Wrap(input));
  return 0;
}
