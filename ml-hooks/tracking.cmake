# Tracking part of osprey-ml: IoU tracker, zones and masks, the intrusion
# rule with its schedules and overrides, event records (pure C++, no OpenCV).
list(APPEND ML_SOURCES
  src/tracking/tracker.cc
  src/tracking/zones.cc
  src/tracking/schedule.cc
  src/tracking/rules.cc
  src/tracking/event.cc
  src/tracking/event_parse.cc)

function(ml_tracking_tests)
  osprey_test(NAME ml_tracking SOURCES tests/tracking_test.cc DEPS osprey::ml_hooks)
  osprey_test(NAME ml_zones SOURCES tests/zones_test.cc DEPS osprey::ml_hooks)
  osprey_test(NAME ml_rules SOURCES tests/rules_test.cc DEPS osprey::ml_hooks)
  osprey_test(NAME ml_event SOURCES tests/event_test.cc DEPS osprey::ml_hooks)
endfunction()
