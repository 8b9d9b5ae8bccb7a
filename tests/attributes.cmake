# Scene-attribute tables through the command line (tests/attributes_check.py): the real BDD100K table joined to
# the ground truth reproduces pycocotools' slices; random CSV tables read as Python's csv module reads them.
if(TARGET stratum_cli)
  add_test(NAME attributes_join
           COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/attributes_check.py $<TARGET_FILE:stratum_cli>
                   ${STRATUM_SHARED_DIR} ${CMAKE_CURRENT_BINARY_DIR}/attributes_join)
endif()
# YOLO labels (tests/yolo_check.py): the BDD100K YOLO files read into the same ground truth as gt_coco.json and
# pycocotools' reference slices reproduced from them plus the attribute table; predictions as YOLO files; refusals.
if(TARGET stratum_cli)
  add_test(NAME yolo_labels
           COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/yolo_check.py $<TARGET_FILE:stratum_cli>
                   ${STRATUM_SHARED_DIR} ${CMAKE_CURRENT_BINARY_DIR}/yolo_labels)
endif()
# Image sizes from file headers (tests/image_size_check.py, --images): PNG, JPEG, GIF, BMP and WebP files
# written by Pillow, their sizes as Pillow reads them.
if(TARGET stratum_cli)
  add_test(NAME image_sizes
           COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/image_size_check.py $<TARGET_FILE:stratum_cli>
                   ${CMAKE_CURRENT_BINARY_DIR}/image_sizes)
endif()
# BDD100K / Scalabel JSON (tests/scalabel_check.py): the 200 BDD100K images written in their own label format
# read into gt_coco.json's ground truth, and pycocotools' reference slices reproduced from the frame attributes,
# with COCO results and with Scalabel predictions; format recognition and refusals.
if(TARGET stratum_cli)
  add_test(NAME scalabel_labels
           COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/scalabel_check.py $<TARGET_FILE:stratum_cli>
                   ${STRATUM_SHARED_DIR} ${CMAKE_CURRENT_BINARY_DIR}/scalabel_labels)
endif()
# Pascal VOC (tests/voc_check.py): a random VOC folder and results files through the command line against
# Python's own reading of them (ElementTree, difficult objects out of every area range as pycocotools ignores
# them), pooled and per slice, through JSONL and with an image set; refusals.
if(TARGET stratum_cli)
  add_test(NAME voc_labels
           COMMAND ${STRATUM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/voc_check.py $<TARGET_FILE:stratum_cli>
                   ${CMAKE_CURRENT_BINARY_DIR}/voc_labels)
endif()
