# Training-set export: YOLO / COCO writers, the export driver, CLI text.
list(APPEND ML_SOURCES
  src/dataset/dataset_render.cc
  src/dataset/dataset_writer.cc
  src/dataset/export.cc
  src/dataset/jpeg_encode.cc
  src/dataset/output_dir.cc
  src/dataset/archive_source.cc)

function(ml_dataset_tests)
  osprey_test(NAME ml_dataset SOURCES tests/dataset_test.cc DEPS osprey::ml_hooks)
endfunction()
