// HttpEndpoint destination configurations (spec 3 and 6): validation, the
// stored description (AccessKey kept, never described), the description
// shown by Describe, and UpdateDestination's merge.
#pragma once

#include <string_view>

#include "firehose/firehose_common.h"
#include "osprey/base/result.h"

namespace osprey::server::firehose {

// Validates HttpEndpointDestinationConfiguration / ...Update at `path`.
Status ValidateHttpEndpointConfig(const Input& config, std::string_view path, bool is_update,
                                  Validation* v);

// The stored document (defaults filled, AccessKey kept, the S3Configuration
// as "S3DestinationDescription").
Value HttpEndpointDocument(const Value& config);

// What Describe shows: the document without the access key.
Value HttpEndpointDescription(const Value& document);

// Merges an HttpEndpointDestinationUpdate into the stored document.
Result<Value> MergeHttpEndpointUpdate(const Value& document, const Value& update);

}  // namespace osprey::server::firehose
