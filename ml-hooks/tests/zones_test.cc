#include "osprey/ml_hooks/zones.h"

#include <gtest/gtest.h>

namespace osprey::ml_hooks {
namespace {

const Polygon kSquare = {{0.2, 0.2}, {0.6, 0.2}, {0.6, 0.6}, {0.2, 0.6}};
// A "U" open at the top: the notch x in (0.4, 0.6), y < 0.7 is outside.
const Polygon kU = {{0.2, 0.2}, {0.4, 0.2}, {0.4, 0.7}, {0.6, 0.7},
                    {0.6, 0.2}, {0.8, 0.2}, {0.8, 0.9}, {0.2, 0.9}};

TEST(PointInPolygonTest, ConvexInsideOutside) {
  EXPECT_TRUE(PointInPolygon({0.4, 0.4}, kSquare));
  EXPECT_FALSE(PointInPolygon({0.1, 0.4}, kSquare));
  EXPECT_FALSE(PointInPolygon({0.7, 0.4}, kSquare));
  EXPECT_FALSE(PointInPolygon({0.4, 0.65}, kSquare));
}

TEST(PointInPolygonTest, ConcavePolygon) {
  EXPECT_TRUE(PointInPolygon({0.3, 0.5}, kU));   // left arm
  EXPECT_TRUE(PointInPolygon({0.7, 0.5}, kU));   // right arm
  EXPECT_TRUE(PointInPolygon({0.5, 0.8}, kU));   // bottom bar
  EXPECT_FALSE(PointInPolygon({0.5, 0.5}, kU));  // the notch
  EXPECT_FALSE(PointInPolygon({0.5, 0.2}, kU));  // notch, level with the arms' tops
  // A ray from this point runs through the vertices (0.4,0.7) and (0.6,0.7):
  // vertex crossings must count once.
  EXPECT_TRUE(PointInPolygon({0.3, 0.7}, kU));
  EXPECT_FALSE(PointInPolygon({0.1, 0.7}, kU));
}

TEST(PointInPolygonTest, EdgesAndVerticesAreInside) {
  EXPECT_TRUE(PointInPolygon({0.2, 0.2}, kSquare));  // vertex
  EXPECT_TRUE(PointInPolygon({0.6, 0.6}, kSquare));  // vertex
  EXPECT_TRUE(PointInPolygon({0.4, 0.2}, kSquare));  // top edge
  EXPECT_TRUE(PointInPolygon({0.6, 0.3}, kSquare));  // right edge
  EXPECT_TRUE(PointInPolygon({0.4, 0.6}, kSquare));  // bottom edge
  EXPECT_TRUE(PointInPolygon({0.5, 0.7}, kU));       // bottom of the notch
  EXPECT_TRUE(PointInPolygon({0.4, 0.5}, kU));       // inner side of the notch
  // A diagonal edge.
  const Polygon tri = {{0, 0}, {1, 1}, {0, 1}};
  EXPECT_TRUE(PointInPolygon({0.5, 0.5}, tri));
  EXPECT_FALSE(PointInPolygon({0.5, 0.49}, tri));
  EXPECT_FALSE(PointInPolygon({0.5, 0.5}, Polygon{{0, 0}, {1, 1}}));  // not a polygon
}

TEST(ZonesTest, PolygonValidation) {
  EXPECT_TRUE(ValidatePolygon(kSquare).ok());
  EXPECT_TRUE(ValidatePolygon({{0, 0}, {1, 0}, {1, 1}}).ok());  // the bounds are allowed
  EXPECT_EQ(ValidatePolygon({{0, 0}, {1, 0}}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ValidatePolygon({}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ValidatePolygon({{0, 0}, {1.2, 0}, {1, 1}}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ValidatePolygon({{0, -0.01}, {1, 0}, {1, 1}}).code(), Status::Code::kInvalidArgument);
  // Pixels instead of normalised coordinates: the classic config mistake.
  EXPECT_EQ(ValidatePolygon({{10, 10}, {300, 10}, {300, 200}}).code(),
            Status::Code::kInvalidArgument);

  auto bad = ZoneSet::Create({{"yard", {{0, 0}, {1, 0}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("yard"), std::string::npos);
  EXPECT_FALSE(ZoneSet::Create({{"", kSquare}}).ok());
  EXPECT_FALSE(ZoneSet::Create({{"a", kSquare}, {"a", kU}}).ok());
  auto bad_mask = ZoneSet::Create({}, {kSquare, {{0, 0}, {2, 2}, {0, 1}}});
  ASSERT_FALSE(bad_mask.ok());
  EXPECT_NE(bad_mask.status().message().find("mask 1"), std::string::npos);
}

TEST(ZonesTest, AnchorIsTheBottomCentreByDefault) {
  // A 100x200 person box in a 1000x500 frame.
  const Box person{400, 50, 100, 200};
  const Point feet = AnchorPoint(person, 1000, 500, Anchor::kBottomCenter);
  EXPECT_DOUBLE_EQ(feet.x, 0.45);
  EXPECT_DOUBLE_EQ(feet.y, 0.5);
  const Point centre = AnchorPoint(person, 1000, 500, Anchor::kCenter);
  EXPECT_DOUBLE_EQ(centre.y, 0.3);

  // A driveway zone on the ground, y in [0.45, 0.7]: the person standing on
  // the pavement in front of it (feet at 0.8) overlaps it in the image but
  // is not in it; the one whose feet are on it is.
  auto zones = ZoneSet::Create({{"driveway", {{0.3, 0.45}, {0.7, 0.45}, {0.7, 0.7}, {0.3, 0.7}}}});
  ASSERT_TRUE(zones.ok());
  EXPECT_FALSE(zones->InZone("driveway", Box{400, 150, 100, 250}, 1000, 500));
  EXPECT_TRUE(zones->InZone("driveway", Box{400, 100, 100, 200}, 1000, 500));
  EXPECT_FALSE(zones->InZone("garden", Box{400, 100, 100, 200}, 1000, 500));
  // By centre, the pavement person (centre y 0.55) would count.
  auto by_centre = ZoneSet::Create(zones->zones(), {}, Anchor::kCenter);
  ASSERT_TRUE(by_centre.ok());
  EXPECT_TRUE(by_centre->InZone("driveway", Box{400, 150, 100, 250}, 1000, 500));

  EXPECT_EQ(*ParseAnchor("center"), Anchor::kCenter);
  EXPECT_EQ(*ParseAnchor("bottom_center"), Anchor::kBottomCenter);
  EXPECT_FALSE(ParseAnchor("top").ok());
}

TEST(ZonesTest, ZonesOfListsEveryZoneHoldingTheAnchor) {
  auto zones = ZoneSet::Create({{"left", {{0, 0}, {0.5, 0}, {0.5, 1}, {0, 1}}},
                                {"all", {{0, 0}, {1, 0}, {1, 1}, {0, 1}}},
                                {"right", {{0.5, 0}, {1, 0}, {1, 1}, {0.5, 1}}}});
  ASSERT_TRUE(zones.ok());
  EXPECT_EQ(zones->ZonesOf(Box{10, 10, 20, 20}, 100, 100),
            (std::vector<std::string>{"left", "all"}));
  // Feet on the shared border, and on the frame's bottom edge (y = 1).
  EXPECT_EQ(zones->ZonesOf(Box{40, 60, 20, 40}, 100, 100),
            (std::vector<std::string>{"left", "all", "right"}));
}

TEST(ZonesTest, MasksDropDetectionsAnchoredInside) {
  // Mask the road along the bottom of the frame.
  auto zones = ZoneSet::Create({}, {{{0, 0.8}, {1, 0.8}, {1, 1}, {0, 1}}});
  ASSERT_TRUE(zones.ok());
  std::vector<Detection> dets = {
      {"person", 0.9, Box{100, 100, 50, 100}, "hog", ""},  // feet at y 200/480
      {"car", 0.8, Box{300, 350, 120, 80}, "dnn", ""},     // wheels at 430/480: road
      {"person", 0.7, Box{500, 300, 40, 90}, "hog", ""},   // feet at 390/480 = 0.8125
      {"person", 0.6, Box{200, 284, 40, 100}, "hog", ""},  // feet at 384/480 = 0.8: edge
  };
  EXPECT_TRUE(zones->Masked(dets[1].box, 640, 480));
  zones->ApplyMasks(&dets, 640, 480);
  ASSERT_EQ(dets.size(), 1u);
  EXPECT_EQ(dets[0].label, "person");
  EXPECT_DOUBLE_EQ(dets[0].score, 0.9);
  // No masks: nothing dropped.
  std::vector<Detection> keep = {{"car", 0.8, Box{300, 350, 120, 80}, "dnn", ""}};
  ZoneSet().ApplyMasks(&keep, 640, 480);
  EXPECT_EQ(keep.size(), 1u);
}

}  // namespace
}  // namespace osprey::ml_hooks
