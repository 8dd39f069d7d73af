// The reader/analyser hand-off: frames are dropped oldest first when the
// analyser falls behind, drops are charged to the fragment they came from,
// and fragment ends are never dropped (they carry the checkpoint).
#include "pipeline/frame_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace osprey::ml_hooks::pipeline {
namespace {

Frame FrameAt(int64_t pts_us) {
  Frame f;
  f.pts_us = pts_us;
  return f;
}

client::MediaFragment Fragment(const std::string& number) {
  client::MediaFragment m;
  m.fragment_number = number;
  m.continuation_token = number;
  m.cluster = "bytes the queue must not keep";
  return m;
}

TEST(FrameQueueTest, DropsOldestFramesAndChargesTheirFragments) {
  FrameQueue q(3);
  for (int i = 0; i < 4; ++i) q.PushFrame(FrameAt(i));  // fragment A: 4 frames
  q.PushEnd(Fragment("A"));
  for (int i = 10; i < 12; ++i) q.PushFrame(FrameAt(i));  // fragment B: 2 more
  q.PushEnd(Fragment("B"));
  // Capacity 3: frames 0, 1, 2 were dropped (one when frame 3 came, two for
  // B's frames); all three belong to A.
  EXPECT_EQ(q.dropped_total(), 3u);
  std::vector<int64_t> frames;
  std::vector<FragmentEnd> ends;
  for (int i = 0; i < 5; ++i) {
    auto item = q.Pop();
    ASSERT_TRUE(item.has_value());
    if (item->frame) frames.push_back(item->frame->pts_us);
    if (item->end) ends.push_back(*item->end);
  }
  EXPECT_EQ(frames, (std::vector<int64_t>{3, 10, 11}));
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends[0].meta.fragment_number, "A");
  EXPECT_EQ(ends[0].frames, 4);
  EXPECT_EQ(ends[0].dropped, 3);
  EXPECT_EQ(ends[1].frames, 2);
  EXPECT_EQ(ends[1].dropped, 0);
  EXPECT_TRUE(ends[0].meta.cluster.empty()) << "the queue holds no media bytes";
}

TEST(FrameQueueTest, DropsWhileAFragmentIsStillBeingPushedCountForIt) {
  FrameQueue q(1);
  q.PushFrame(FrameAt(1));
  q.PushFrame(FrameAt(2));  // drops frame 1, fragment not ended yet
  q.PushEnd(Fragment("A"));
  auto frame = q.Pop();
  ASSERT_TRUE(frame && frame->frame);
  EXPECT_EQ(frame->frame->pts_us, 2);
  auto end = q.Pop();
  ASSERT_TRUE(end && end->end);
  EXPECT_EQ(end->end->frames, 2);
  EXPECT_EQ(end->end->dropped, 1);
}

TEST(FrameQueueTest, CloseWakesAWaitingConsumer) {
  FrameQueue q(2);
  std::optional<QueueItem> got = QueueItem{};
  std::thread consumer([&] { got = q.Pop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  q.Close();
  consumer.join();
  EXPECT_FALSE(got.has_value());
}

}  // namespace
}  // namespace osprey::ml_hooks::pipeline
