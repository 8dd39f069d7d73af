"""Validators for training sets written by `osprey dataset export`.

validate_yolo(dir, labels) and validate_coco(dir, labels) read an export the
way a trainer would and raise AssertionError on the first violation: image
count, every box inside its image, classes from the chosen labels in order,
every label file with its image. They return a summary dict:

    {"images": 41, "annotations": 69, "background_images": 0,
     "per_label": {"person": 57, "car": 12}, "review": {...same keys...}}

("review" only when the export has a review/ set; it is validated too.)

Stdlib only: image sizes come from the JPEG SOF marker, data.yaml is read
with a parser for the subset the exporter writes (and the common list and
mapping forms of `names`). Violations raise AssertionError explicitly rather
than with `assert`, so they still fire under `python -O`.
"""
import json
import os

# Rounding slack: YOLO coordinates have 6 decimals, COCO boxes are doubles.
YOLO_EPS = 1e-5
COCO_EPS = 1e-6


def fail(message):
    raise AssertionError(message)


def jpeg_size(path):
    """(width, height) from the first SOF marker of a JPEG file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] != b"\xff\xd8":
        fail(f"{path}: not a JPEG (no SOI marker)")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            fail(f"{path}: bad JPEG marker at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > len(data):
                break
            height = int.from_bytes(data[i + 5:i + 7], "big")
            width = int.from_bytes(data[i + 7:i + 9], "big")
            if width <= 0 or height <= 0:
                fail(f"{path}: JPEG of {width}x{height}")
            return width, height
        if marker == 0xDA:  # start of scan before any SOF
            break
        i += 2 + length
    fail(f"{path}: no SOF marker")


def _unquote(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def parse_data_yaml(path):
    """nc and names (a list) from a data.yaml of the usual shapes."""
    nc = None
    names = None
    in_names = False
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if in_names and line.startswith((" ", "\t", "-")):
                item = line.strip()
                if item.startswith("- "):
                    names.append(_unquote(item[2:]))
                elif ":" in item:  # "0: person"
                    names.append(_unquote(item.split(":", 1)[1]))
                continue
            in_names = False
            key, _, value = line.partition(":")
            value = value.strip()
            if key == "nc":
                nc = int(value)
            elif key == "names":
                if value.startswith("["):
                    names = [_unquote(v) for v in value.strip("[]").split(",") if v.strip()]
                else:
                    names = []
                    in_names = True
    return nc, names


def _check_dir(path, what):
    if not os.path.isdir(path):
        fail(f"{what} {path} is missing")


def _files(path, suffix):
    return sorted(n for n in os.listdir(path) if n.endswith(suffix))


def validate_yolo(directory, labels):
    labels = list(labels)
    _check_dir(directory, "YOLO dataset")
    with open(os.path.join(directory, "classes.txt"), encoding="utf-8") as f:
        classes = f.read().splitlines()
    if classes != labels:
        fail(f"classes.txt lists {classes}, expected {labels}")
    nc, names = parse_data_yaml(os.path.join(directory, "data.yaml"))
    if nc != len(labels) or names != labels:
        fail(f"data.yaml has nc={nc} names={names}, expected {len(labels)} {labels}")

    images_dir = os.path.join(directory, "images")
    labels_dir = os.path.join(directory, "labels")
    _check_dir(images_dir, "images folder")
    _check_dir(labels_dir, "labels folder")
    images = {n[:-4]: n for n in _files(images_dir, ".jpg")}
    label_files = {n[:-4]: n for n in _files(labels_dir, ".txt")}
    for stem in label_files:
        if stem not in images:
            fail(f"labels/{stem}.txt has no image")
    for stem in images:
        if stem not in label_files:
            fail(f"images/{stem}.jpg has no label file")

    per_label = {label: 0 for label in labels}
    annotations = 0
    background = 0
    for stem, image in images.items():
        jpeg_size(os.path.join(images_dir, image))  # a readable JPEG
        with open(os.path.join(labels_dir, label_files[stem]), encoding="utf-8") as f:
            lines = [ln for ln in f.read().splitlines() if ln.strip()]
        if not lines:
            background += 1
        for n, line in enumerate(lines, 1):
            where = f"labels/{stem}.txt:{n}"
            fields = line.split()
            if len(fields) != 5:
                fail(f"{where}: {len(fields)} fields, expected 5: {line!r}")
            try:
                cls = int(fields[0])
                cx, cy, w, h = (float(v) for v in fields[1:])
            except ValueError:
                fail(f"{where}: not numbers: {line!r}")
            if not 0 <= cls < len(labels):
                fail(f"{where}: class {cls} outside 0..{len(labels) - 1}")
            if w <= 0 or h <= 0:
                fail(f"{where}: empty box {line!r}")
            if (cx - w / 2 < -YOLO_EPS or cy - h / 2 < -YOLO_EPS or
                    cx + w / 2 > 1 + YOLO_EPS or cy + h / 2 > 1 + YOLO_EPS):
                fail(f"{where}: box outside the image: {line!r}")
            per_label[labels[cls]] += 1
            annotations += 1

    summary = {"images": len(images), "annotations": annotations,
               "background_images": background, "per_label": per_label}
    review = os.path.join(directory, "review")
    if os.path.isdir(review):
        summary["review"] = validate_yolo(review, labels)
    return summary


def validate_coco(directory, labels):
    labels = list(labels)
    _check_dir(directory, "COCO dataset")
    with open(os.path.join(directory, "annotations.json"), encoding="utf-8") as f:
        doc = json.load(f)
    for key in ("images", "annotations", "categories"):
        if not isinstance(doc.get(key), list):
            fail(f"annotations.json: '{key}' is not a list")

    categories = {}
    for c in doc["categories"]:
        categories[c["id"]] = c["name"]
    expected = {i + 1: label for i, label in enumerate(labels)}
    if categories != expected:
        fail(f"categories {categories}, expected {expected}")

    images_dir = os.path.join(directory, "images")
    _check_dir(images_dir, "images folder")
    on_disk = set(_files(images_dir, ".jpg"))
    images = {}
    for im in doc["images"]:
        if im["id"] in images:
            fail(f"image id {im['id']} listed twice")
        name = im["file_name"]
        if name not in on_disk:
            fail(f"image {name} is listed but not in images/")
        width, height = jpeg_size(os.path.join(images_dir, name))
        if (width, height) != (im["width"], im["height"]):
            fail(f"{name}: listed as {im['width']}x{im['height']}, JPEG is {width}x{height}")
        images[im["id"]] = im
    listed = {im["file_name"] for im in images.values()}
    if listed != on_disk:
        fail(f"images/ holds {len(on_disk)} JPEGs, annotations.json lists {len(listed)}: "
             f"unlisted {sorted(on_disk - listed)[:5]}")

    per_label = {label: 0 for label in labels}
    seen_ids = set()
    annotated = set()
    for a in doc["annotations"]:
        where = f"annotation {a.get('id')}"
        if a["id"] in seen_ids:
            fail(f"{where}: id listed twice")
        seen_ids.add(a["id"])
        im = images.get(a["image_id"])
        if im is None:
            fail(f"{where}: unknown image_id {a['image_id']}")
        if a["category_id"] not in categories:
            fail(f"{where}: category {a['category_id']} not among the chosen labels")
        bbox = a["bbox"]
        if len(bbox) != 4:
            fail(f"{where}: bbox {bbox} is not [x, y, w, h]")
        x, y, w, h = bbox
        if w <= 0 or h <= 0:
            fail(f"{where}: empty bbox {bbox}")
        if (x < -COCO_EPS or y < -COCO_EPS or x + w > im["width"] + COCO_EPS or
                y + h > im["height"] + COCO_EPS):
            fail(f"{where}: bbox {bbox} outside {im['width']}x{im['height']}")
        if abs(a.get("area", w * h) - w * h) > 1e-3 * max(1.0, w * h):
            fail(f"{where}: area {a['area']} is not w*h")
        if a.get("iscrowd", 0) != 0:
            fail(f"{where}: iscrowd {a['iscrowd']}")
        per_label[categories[a["category_id"]]] += 1
        annotated.add(a["image_id"])

    summary = {"images": len(images), "annotations": len(seen_ids),
               "background_images": len(set(images) - annotated), "per_label": per_label}
    review = os.path.join(directory, "review")
    if os.path.isdir(review):
        summary["review"] = validate_coco(review, labels)
    return summary
