// The non-virtual helpers of the ShardLog interface, shared by every
// implementation.

#include "osprey/streams/shard_log.h"

#include <future>

namespace osprey::streams {

Result<AppendResult> ShardLog::AppendAndWait(std::vector<RecordInput> records) {
  std::promise<Result<AppendResult>> promise;
  auto future = promise.get_future();
  AppendAsync(std::move(records),
              [&promise](Result<AppendResult> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace osprey::streams
