"""Tests of dataset_check itself on hand-built datasets: a valid one passes,
each kind of broken one fails. (The real export is checked by the CLI's
integration test.)"""
import json
import os

import pytest

from dataset_check import jpeg_size, parse_data_yaml, validate_coco, validate_yolo

LABELS = ["person", "car"]


def tiny_jpeg(width, height):
    """SOI, an APP0 segment, SOF0 with the size, EOI: all the validator reads."""
    app0 = b"\xff\xe0" + (16).to_bytes(2, "big") + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = (b"\xff\xc0" + (11).to_bytes(2, "big") + b"\x08" + height.to_bytes(2, "big") +
            width.to_bytes(2, "big") + b"\x01\x01\x11\x00")
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def make_yolo(root):
    write(root / "classes.txt", "person\ncar\n")
    write(root / "data.yaml", f"path: '{root}'\ntrain: images\nval: images\nnc: 2\n"
                              "names:\n  - 'person'\n  - 'car'\n")
    write(root / "images" / "cam_0001.jpg", tiny_jpeg(160, 120))
    write(root / "labels" / "cam_0001.txt",
          "0 0.937500 0.291667 0.125000 0.416667\n1 0.187500 0.625000 0.312500 0.250000\n")
    write(root / "images" / "cam_0002.jpg", tiny_jpeg(160, 120))
    write(root / "labels" / "cam_0002.txt", "")  # background
    write(root / "review" / "classes.txt", "person\ncar\n")
    write(root / "review" / "data.yaml", "nc: 2\nnames: ['person', 'car']\n")
    write(root / "review" / "images" / "cam_0003.jpg", tiny_jpeg(160, 120))
    write(root / "review" / "labels" / "cam_0003.txt", "0 0.5 0.5 0.1 0.1\n")
    return root


def make_coco(root, annotations=None, images=None):
    images = images if images is not None else [
        {"id": 1, "file_name": "cam_0001.jpg", "width": 160, "height": 120}]
    annotations = annotations if annotations is not None else [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [140, 10, 20, 50], "area": 1000,
         "iscrowd": 0, "score": 0.9},
        {"id": 2, "image_id": 1, "category_id": 2, "bbox": [0, 0, 20.5, 20], "area": 410,
         "iscrowd": 0, "score": 0.6}]
    doc = {"info": {}, "licenses": [], "images": images, "annotations": annotations,
           "categories": [{"id": 1, "name": "person"}, {"id": 2, "name": "car"}]}
    write(root / "images" / "cam_0001.jpg", tiny_jpeg(160, 120))
    write(root / "annotations.json", json.dumps(doc))
    return root


def test_jpeg_size_and_yaml_forms(tmp_path):
    write(tmp_path / "a.jpg", tiny_jpeg(640, 360))
    assert jpeg_size(tmp_path / "a.jpg") == (640, 360)
    write(tmp_path / "b.jpg", b"not a jpeg")
    with pytest.raises(AssertionError):
        jpeg_size(tmp_path / "b.jpg")
    write(tmp_path / "d.yaml", "nc: 2\nnames:\n  0: person\n  1: 'it''s'\n")
    assert parse_data_yaml(tmp_path / "d.yaml") == (2, ["person", "it's"])


def test_valid_yolo(tmp_path):
    summary = validate_yolo(make_yolo(tmp_path), LABELS)
    assert summary["images"] == 2
    assert summary["annotations"] == 2
    assert summary["background_images"] == 1
    assert summary["per_label"] == {"person": 1, "car": 1}
    assert summary["review"]["per_label"] == {"person": 1, "car": 0}


@pytest.mark.parametrize("breakage, message", [
    (lambda r: write(r / "labels" / "cam_0001.txt", "0 0.95 0.5 0.2 0.2\n"), "outside"),
    (lambda r: write(r / "labels" / "cam_0001.txt", "2 0.5 0.5 0.2 0.2\n"), "class 2"),
    (lambda r: write(r / "labels" / "cam_0009.txt", "0 0.5 0.5 0.2 0.2\n"), "has no image"),
    (lambda r: os.remove(r / "labels" / "cam_0002.txt"), "no label file"),
    (lambda r: write(r / "classes.txt", "person\ndog\n"), "classes.txt"),
    (lambda r: write(r / "review" / "labels" / "cam_0003.txt", "0 0.5 0.5 0 0.1\n"), "empty box"),
])
def test_broken_yolo(tmp_path, breakage, message):
    root = make_yolo(tmp_path)
    breakage(root)
    with pytest.raises(AssertionError, match=message):
        validate_yolo(root, LABELS)


def test_yolo_with_other_labels_fails(tmp_path):
    with pytest.raises(AssertionError, match="classes.txt"):
        validate_yolo(make_yolo(tmp_path), ["car", "person"])


def test_valid_coco(tmp_path):
    summary = validate_coco(make_coco(tmp_path), LABELS)
    assert summary == {"images": 1, "annotations": 2, "background_images": 0,
                       "per_label": {"person": 1, "car": 1}}


def test_broken_coco(tmp_path):
    ann = {"id": 1, "image_id": 1, "category_id": 1, "bbox": [150, 10, 20, 50], "area": 1000,
           "iscrowd": 0}
    with pytest.raises(AssertionError, match="outside"):
        validate_coco(make_coco(tmp_path / "a", annotations=[ann]), LABELS)
    with pytest.raises(AssertionError, match="category 3"):
        validate_coco(make_coco(tmp_path / "b", annotations=[
            dict(ann, bbox=[0, 0, 10, 10], area=100, category_id=3)]), LABELS)
    with pytest.raises(AssertionError, match="unknown image_id"):
        validate_coco(make_coco(tmp_path / "c", annotations=[
            dict(ann, bbox=[0, 0, 10, 10], area=100, image_id=7)]), LABELS)
    root = make_coco(tmp_path / "d")
    write(root / "images" / "stray.jpg", tiny_jpeg(160, 120))
    with pytest.raises(AssertionError, match="unlisted"):
        validate_coco(root, LABELS)
    with pytest.raises(AssertionError, match="JPEG is 160x120"):
        validate_coco(make_coco(tmp_path / "e", images=[
            {"id": 1, "file_name": "cam_0001.jpg", "width": 320, "height": 240}]), LABELS)
    with pytest.raises(AssertionError, match="categories"):
        validate_coco(make_coco(tmp_path / "f"), ["person"])
