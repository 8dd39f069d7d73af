#!/usr/bin/env bash
# ml_detectors.sh: osprey-ml cost per camera on one core (issue "ML hooks").
# Makes two H.264 clips of OpenCV's vtest.avi (768x576, 10 fps, people
# walking) with ffmpeg, one Matroska Cluster per 1-s GOP:
#   576p  vtest as it is: 768x576, 10 fps, 1 Mbit/s
#   720p  vtest scaled up to 1280x720 and read as 15 fps (so 53 s), 2 Mbit/s
# (libx264 veryfast, CABAC, no B-frames), then runs build/bin/ml_detectors_bench:
# decode through ml_hooks::FragmentFrames (every frame, and osprey-ml's
# default 5 fps), motion on every 5 fps frame, person and face on every
# --heavy-every-th of them, each next to the same OpenCV calls made
# directly. Single thread (OpenCV's pool off, one libavcodec thread), CPU
# time from CLOCK_THREAD_CPUTIME_ID. Then the number of 720p 15 fps cameras
# one core can watch at 5 fps with the motion gate.
# Prints the tables and writes bench/results/ml_detectors.json.
#
# Usage: bench/ml_detectors.sh [--heavy-every 10] [--bench PATH]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/build/bin/ml_detectors_bench"
VTEST=/usr/share/doc/opencv-doc/examples/data/vtest.avi
HEAVY_EVERY=10
RESULTS="$ROOT/bench/results/ml_detectors.json"
COMMAND="bench/ml_detectors.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --heavy-every) HEAVY_EVERY=$2; shift 2 ;;
    --bench) BENCH=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
die() { echo "ml_detectors: $*" >&2; exit 1; }
[[ -x $BENCH ]] || die "$BENCH missing (cmake --build build --target ml_detectors_bench)"
[[ -r $VTEST ]] || die "$VTEST missing (apt-get install opencv-doc)"
command -v ffmpeg >/dev/null || die "ffmpeg missing"

WORK=$(mktemp -d /tmp/osprey-mldet.XXXXXX)
source "$ROOT/bench/support/processes.sh"

# Clusters are cut only at key frames: the size and time limits are set out
# of reach, and -g = fps with scene-cut off gives exactly one IDR per second.
X264=(-an -c:v libx264 -preset veryfast -bf 0 -sc_threshold 0 -pix_fmt yuv420p
      -cluster_size_limit 50000000 -cluster_time_limit 100000000)
ffmpeg -hide_banner -loglevel error -y -i "$VTEST" "${X264[@]}" -g 10 -keyint_min 10 \
  -b:v 1000k "$WORK/576p.mkv"
ffmpeg -hide_banner -loglevel error -y -r 15 -i "$VTEST" -vf scale=1280:720 "${X264[@]}" \
  -g 15 -keyint_min 15 -b:v 2000k "$WORK/720p.mkv"

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
"$BENCH" --clip "576p=$WORK/576p.mkv" --clip "720p=$WORK/720p.mkv" --heavy-every "$HEAVY_EVERY" \
  | tee "$WORK/out.jsonl" >&2
LOAD_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$RESULTS" "$COMMAND" "$LOAD_AT_START" "$LOAD_AT_END" "$WORK/out.jsonl" <<'PY'
import json, os, platform, sys, time
path, command, load0, load1, out = sys.argv[1:6]
rows = [json.loads(l) for l in open(out) if l.startswith("{")]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"machine: nproc {os.cpu_count()}, {cpu}, load average {load0} at start, {load1} at end")

def find(kind, clip, what=None, impl=None):
    for r in rows:
        if r["kind"] == kind and r["clip"] == clip and (what is None or r.get("what") == what) \
           and (impl is None or r.get("impl") == impl):
            return r
    return None

def ms(r):  # mean thread CPU per frame (capacity is about the mean)
    return 1e3 * r["thread_cpu_s"] / r["frames"]

summary = {}
print("\n| stage | clip | Osprey: CPU ms/frame mean (median) | frames/s per core | OpenCV direct: CPU ms/frame mean (median) | frames/s per core | frames timed | wall/CPU |")
print("|---|---|---|---|---|---|---|---|")
for clip in ("576p", "720p"):
    d_all, d_5 = find("decode", clip, "every frame"), find("decode", clip, "5 fps")
    for label, r in (("decode, every frame to BGR", d_all), ("decode, all frames, 5 fps to BGR", d_5)):
        if r:
            print(f"| {label} | {clip} | {ms(r):.2f} ({r['median_call_ms'] * r['calls'] / r['frames']:.2f}) | "
                  f"{1e3 / ms(r):.0f} | no peer (same libavcodec call) | | {r['frames']} | {r['wall_s'] / r['thread_cpu_s']:.2f} |")
    for det in ("motion", "person", "face"):
        o, p = find("detect", clip, det, "osprey"), find("detect", clip, det, "opencv")
        if not o:
            continue
        print(f"| {det} | {clip} | {ms(o):.1f} ({o['median_call_ms']:.1f}) | {1e3 / ms(o):.1f} | "
              f"{ms(p):.1f} ({p['median_call_ms']:.1f}) | {1e3 / ms(p):.1f} | {o['frames']} | {o['wall_s'] / o['thread_cpu_s']:.2f} |")
        summary[f"{det}_{clip}_ms"] = ms(o)
    print(f"| dnn | {clip} | no model available offline | | | | | |")
    if d_5:
        summary[f"decode5_{clip}_ms_per_video_s"] = 1e3 * d_5["thread_cpu_s"] / d_5["seconds"]
        summary[f"decode_{clip}_ms_per_frame"] = ms(d_all) if d_all else None

print("\nDecode is timed per fragment: its median is the median fragment's time per frame.")

# Cameras per core: a 720p 15 fps camera analysed at 5 fps with the motion
# gate costs, per second of video, the decode of all 15 frames (H.264 needs
# them) with 5 converted, motion on 5 frames, and person on the gated share.
g = find("gate", "720p")
measured = g["gate_open_2s"] / g["frames"] if g and g["frames"] else None
fired = g["motion_fired"] / g["frames"] if g and g["frames"] else None
dec = summary.get("decode5_720p_ms_per_video_s")
mot = summary.get("motion_720p_ms")
per = summary.get("person_720p_ms")
cams = []
if dec and mot and per:
    print(f"\n720p 15 fps camera at 5 fps, motion gate on; per video second: decode {dec:.1f} ms, "
          f"motion 5 x {mot:.1f} ms, person 5 x {per:.1f} ms x share gated in")
    print("\n| person runs on | CPU ms per camera-second | cameras per core |")
    print("|---|---|---|")
    shares = [(0.0, "0% of frames"), (0.1, "10%"), (0.5, "50%")]
    if measured is not None:
        shares.append((measured, f"{100 * measured:.0f}% (measured on vtest: motion in {100 * fired:.0f}% of frames, gate hold 2 s)"))
    for share, label in shares:
        cost = dec + 5 * mot + share * 5 * per
        cams.append({"person_share": share, "cpu_ms_per_camera_s": cost, "cameras_per_core": 1e3 / cost})
        print(f"| {label} | {cost:.0f} | {1e3 / cost:.1f} |")
json.dump({"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "command": command,
           "machine": {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
                       "loadavg_start": load0, "loadavg_end": load1},
           "clips": {"576p": "vtest.avi 768x576 10 fps, libx264 veryfast 1 Mbit/s, GOP 10",
                     "720p": "vtest.avi scaled to 1280x720, read as 15 fps, libx264 veryfast 2 Mbit/s, GOP 15"},
           "rows": rows, "summary": summary,
           "gate": {"motion_fired_share": fired, "gate_open_share": measured},
           "cameras_per_core_720p15_at_5fps": cams}, open(path, "w"), indent=1)
PY
