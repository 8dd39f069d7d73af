list(APPEND ML_SOURCES src/geometry.cc)
function(ml_common_tests)
  osprey_test(NAME ml_geometry SOURCES tests/geometry_test.cc DEPS osprey::ml_hooks)
endfunction()
