// ExtendedS3 / S3 destination configurations: validation of the request
// members (ValidationException texts) and the description document the
// engine stores (configuration members with every default filled in, spec 3
// DescribeDeliveryStream), plus UpdateDestination's merge.
#pragma once

#include <string_view>

#include "firehose/firehose_common.h"
#include "osprey/base/result.h"

namespace osprey::server::firehose {

// Validates `config` (the *DestinationConfiguration member at `path`) into
// `v`; semantic problems (BufferingHints with one member, unsupported
// backup) are returned as InvalidArgument. `is_update`: nothing required.
Status ValidateS3Config(const Input& config, std::string_view path, bool is_update, Validation* v);

// The description for a validated configuration. `extended` adds the
// ExtendedS3-only defaults (S3BackupMode).
Value S3Description(const Value& config, bool extended);

// `current` description with the members of `update` replacing its own
// (nested structures replaced whole), re-normalised. InvalidArgument for the
// irreversible changes of spec 3 (dynamic partitioning, S3BackupMode).
Result<Value> MergeS3Update(const Value& current, const Value& update, bool extended);

// The plain S3DestinationDescription view of an ExtendedS3 description.
Value FlattenToS3(const Value& extended_description);

}  // namespace osprey::server::firehose
