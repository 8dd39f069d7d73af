// Zones and masks of one camera: named polygons in normalised coordinates
// (frame.h), so they survive a change of resolution.
//
// Point in polygon: even-odd rule (a point is inside when a ray from it
// crosses the outline an odd number of times), which handles concave
// polygons; self-intersecting outlines get the even-odd meaning (the lobes
// of a figure eight are inside, a doubly covered area is not). A point on an
// edge or a vertex, within 1e-9, is inside: a zone drawn along the bottom of
// the frame (y = 1) must contain a person whose feet touch that border.
//
// Anchor: a detection is "in" a zone by one point of its box, not by overlap.
// The default is the bottom centre, where a person's feet (or a car's wheels)
// touch the ground: zones are drawn on the ground plane ("the driveway"), and
// a standing person's box also covers whatever is behind them in the image,
// so the box centre or any overlap would put someone walking on the pavement
// "in" a driveway drawn behind them. kCenter suits things that are not on the
// ground (faces, motion blobs, objects on a shelf).
//
// Masks drop detections whose anchor is inside any mask polygon (a road, a
// neighbour's window, a tree that moves in the wind); the pipeline applies
// them before tracking, so masked objects make no tracks either.
//
// Thread safety: a ZoneSet is immutable after Create; const methods are safe
// from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks {

struct Zone {
  std::string name;
  Polygon polygon;
};

enum class Anchor {
  kBottomCenter,  // (x + w/2, y + h): feet, wheels
  kCenter,        // (x + w/2, y + h/2)
};

// InvalidArgument unless the polygon has >= 3 points, each finite and in
// [0,1] x [0,1].
Status ValidatePolygon(const Polygon& polygon);

// Even-odd rule, edges and vertices inside (see above). False for fewer than
// 3 points.
bool PointInPolygon(const Point& point, const Polygon& polygon);

// The anchor of a pixel box in normalised coordinates; {0,0} when the frame
// size is not positive.
Point AnchorPoint(const Box& box, int width, int height, Anchor anchor);

// The config spelling: "bottom_center" or "center"; InvalidArgument otherwise.
Result<Anchor> ParseAnchor(std::string_view text);

class ZoneSet {
 public:
  ZoneSet() = default;  // no zones, no masks

  // InvalidArgument when a polygon is invalid (the message names the zone or
  // the mask index), a zone name is empty, or two zones share a name.
  static Result<ZoneSet> Create(std::vector<Zone> zones, std::vector<Polygon> masks = {},
                                Anchor anchor = Anchor::kBottomCenter);

  // Names of the zones holding the box's anchor, in configuration order.
  std::vector<std::string> ZonesOf(const Box& box, int width, int height) const;
  // Whether the box's anchor is in the named zone (false for unknown names).
  bool InZone(std::string_view zone, const Box& box, int width, int height) const;
  // Whether the box's anchor is inside a mask.
  bool Masked(const Box& box, int width, int height) const;
  // Removes masked detections, keeping the others' order.
  void ApplyMasks(std::vector<Detection>* detections, int width, int height) const;

  const Zone* Find(std::string_view name) const;
  const std::vector<Zone>& zones() const { return zones_; }
  const std::vector<Polygon>& masks() const { return masks_; }
  Anchor anchor() const { return anchor_; }

 private:
  std::vector<Zone> zones_;
  std::vector<Polygon> masks_;
  Anchor anchor_ = Anchor::kBottomCenter;
};

}  // namespace osprey::ml_hooks
