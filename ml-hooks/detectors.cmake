# Detectors: motion (MOG2), person (HOG), face (Haar), dnn (cv::dnn), behind
# include/osprey/ml_hooks/detector.h.
list(APPEND ML_SOURCES
  src/detectors/detector.cc
  src/detectors/motion_detector.cc
  src/detectors/people_detector.cc
  src/detectors/face_detector.cc
  src/detectors/dnn_detector.cc
  src/detectors/dnn_decode.cc)

function(ml_detectors_tests)
  # The tests build synthetic clips and read OpenCV's sample data
  # (opencv-doc, opencv-data from deploy/install-deps.sh), so they use OpenCV
  # directly, and the private dnn_decode.h.
  osprey_test(NAME ml_detectors TIMEOUT 300
    SOURCES tests/detectors_test.cc tests/motion_detector_test.cc
            tests/image_detectors_test.cc tests/dnn_decode_test.cc
            tests/dnn_detector_test.cc
    DEPS osprey::ml_hooks)
  if(TARGET ml_detectors_test)
    # videoio reads vtest.avi; the library itself does not need it (frames
    # come decoded), so it is found here, in this function's scope only.
    find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs videoio)
    target_link_libraries(ml_detectors_test PRIVATE ${OpenCV_LIBS})
    target_include_directories(ml_detectors_test SYSTEM PRIVATE ${OpenCV_INCLUDE_DIRS})
    target_include_directories(ml_detectors_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_compile_definitions(ml_detectors_test PRIVATE
      OSPREY_OPENCV_SAMPLES_DIR="/usr/share/doc/opencv-doc/examples/data")
  endif()
endfunction()
