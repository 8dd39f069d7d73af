#include <gtest/gtest.h>

#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks {
namespace {

TEST(GeometryTest, IoUOfIdenticalDisjointAndHalfOverlappingBoxes) {
  const Box a{10, 10, 20, 20};
  EXPECT_DOUBLE_EQ(IoU(a, a), 1.0);
  EXPECT_DOUBLE_EQ(IoU(a, Box{100, 100, 5, 5}), 0.0);
  // b covers the right half of a: inter 200, union 400 + 400 - 200.
  EXPECT_DOUBLE_EQ(IoU(a, Box{20, 10, 20, 20}), 200.0 / 600.0);
  EXPECT_DOUBLE_EQ(IoU(a, Box{0, 0, 0, 5}), 0.0);
}

TEST(GeometryTest, ClipBoxKeepsTheInsideOfTheFrame) {
  const Box c = ClipBox(Box{-5, 90, 20, 20}, 100, 100);
  EXPECT_DOUBLE_EQ(c.x, 0);
  EXPECT_DOUBLE_EQ(c.y, 90);
  EXPECT_DOUBLE_EQ(c.w, 15);
  EXPECT_DOUBLE_EQ(c.h, 10);
  EXPECT_DOUBLE_EQ(ClipBox(Box{200, 200, 5, 5}, 100, 100).Area(), 0);
}

}  // namespace
}  // namespace osprey::ml_hooks
