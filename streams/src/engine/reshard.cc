// Resharding edits of a StreamMeta; see reshard.h.
#include "reshard.h"

#include <algorithm>
#include <vector>

namespace osprey::streams::engine {

int64_t ChildCreatedMs(const StreamMeta& s, std::initializer_list<uint32_t> parents, int64_t now_ms) {
  int64_t at = now_ms;
  for (uint32_t p : parents) {
    const ShardMeta* m = s.FindShard(p);
    if (m == nullptr) continue;
    const int64_t next_second = (m->created_ms / 1000 + 1) * 1000;
    at = std::max(at, next_second);
  }
  return at;
}

uint32_t SplitShardMeta(StreamMeta* s, uint32_t index, HashKey k, int64_t now_ms) {
  const ShardMeta parent = *s->FindShard(index);
  const int64_t created = ChildCreatedMs(*s, {index}, now_ms);
  s->FindShard(index)->closed_ms = now_ms;
  const uint32_t low = s->next_shard_index++;
  const uint32_t high = s->next_shard_index++;
  ShardMeta a;
  a.index = low;
  a.range = {parent.range.start, k - 1};
  a.created_ms = created;
  a.parent = index;
  ShardMeta b = a;
  b.index = high;
  b.range = {k, parent.range.end};
  s->shards.push_back(a);  // indices only grow, so shards stay sorted
  s->shards.push_back(b);
  return low;
}

uint32_t MergeShardsMeta(StreamMeta* s, uint32_t shard, uint32_t adjacent, int64_t now_ms) {
  const ShardMeta x = *s->FindShard(shard);
  const ShardMeta y = *s->FindShard(adjacent);
  const int64_t created = ChildCreatedMs(*s, {shard, adjacent}, now_ms);
  s->FindShard(shard)->closed_ms = now_ms;
  s->FindShard(adjacent)->closed_ms = now_ms;
  ShardMeta c;
  c.index = s->next_shard_index++;
  c.range = {std::min(x.range.start, y.range.start), std::max(x.range.end, y.range.end)};
  c.created_ms = created;
  c.parent = shard;
  c.adjacent_parent = adjacent;
  s->shards.push_back(c);
  return c.index;
}

void ScaleUniformly(StreamMeta* s, uint32_t target, int64_t now_ms) {
  const std::vector<HashKeyRange> goal = EvenSplit(target);
  std::vector<HashKey> bounds;  // interior starts of the target ranges
  for (size_t j = 1; j < goal.size(); ++j) bounds.push_back(goal[j].start);

  std::vector<uint32_t> open;
  for (const auto& sh : s->shards) {
    if (sh.open()) open.push_back(sh.index);
  }
  // 1. Cut every open shard at each boundary strictly inside it. The upper
  //    child of one cut is cut again, so only the last upper piece stays open.
  std::vector<uint32_t> pieces;
  for (uint32_t idx : open) {
    uint32_t cur = idx;
    for (HashKey b : bounds) {
      const HashKeyRange r = s->FindShard(cur)->range;
      if (b <= r.start || b > r.end) continue;
      const uint32_t low = SplitShardMeta(s, cur, b, now_ms);
      pieces.push_back(low);
      cur = low + 1;
    }
    pieces.push_back(cur);
  }
  std::sort(pieces.begin(), pieces.end(), [&](uint32_t a, uint32_t b) {
    return s->FindShard(a)->range.start < s->FindShard(b)->range.start;
  });
  // 2. Each target range now holds whole pieces; merge them left to right.
  size_t p = 0;
  for (const HashKeyRange& g : goal) {
    uint32_t acc = pieces[p++];
    while (p < pieces.size() && s->FindShard(pieces[p])->range.end <= g.end) {
      acc = MergeShardsMeta(s, acc, pieces[p++], now_ms);
    }
  }
}

}  // namespace osprey::streams::engine
