// Resharding as pure edits of a StreamMeta (spec 4.6 and UpdateShardCount
// in section 5). The engine validates the request, applies one of these to
// a copy of the registry and commits the copy. Private to the module.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "registry.h"

namespace osprey::streams::engine {

// Creation time of a new child: now, moved to a later epoch second than
// every parent's creation when needed, because sequence numbers encode the
// shard creation second and a child must not share its parent's (spec 4.6).
int64_t ChildCreatedMs(const StreamMeta& s, std::initializer_list<uint32_t> parents, int64_t now_ms);

// REQUIRES: shard `index` exists and is open, range.start < k <= range.end.
// Closes it at now_ms and adds children [start, k-1] and [k, end] with the
// next indices. Returns the lower child's index (the upper one is +1).
uint32_t SplitShardMeta(StreamMeta* s, uint32_t index, HashKey k, int64_t now_ms);

// REQUIRES: both open, and their ranges adjacent (either order). Closes both
// and adds one child covering the union, ParentShardId = `shard`,
// AdjacentParentShardId = `adjacent`. Returns the child's index.
uint32_t MergeShardsMeta(StreamMeta* s, uint32_t shard, uint32_t adjacent, int64_t now_ms);

// UNIFORM_SCALING to `target` >= 1 open shards with the ranges of
// EvenSplit(target): every open shard is split at each target boundary
// inside it (intermediate pieces closed at once), then the pieces of each
// target range are merged left to right, so no child has more than two
// parents. Open shards whose range already is a target range are kept.
void ScaleUniformly(StreamMeta* s, uint32_t target, int64_t now_ms);

}  // namespace osprey::streams::engine
