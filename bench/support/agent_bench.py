"""Helpers for bench/agent.sh (run with /usr/bin/python3).

  agent_bench.py measure SECONDS PID...   CPU (% of one core, utime+stime from
      /proc/PID/stat over the window) and memory (VmRSS at the end, VmHWM,
      RssAnon, RssFile) of each PID; one JSON object per line.
  agent_bench.py backlog SPOOL_DIR        the records in an osprey-agent spool
      (agent/FORMAT.md) that are not yet acknowledged: count, first/last seq
      and producer timestamps, bytes. JSON.
  agent_bench.py wait-acked SPOOL_DIR SEQ TIMEOUT   polls the spool's ACKED
      marker every 10 ms until it reaches SEQ; prints JSON with the epoch
      times of the first acknowledgement seen and of reaching SEQ.
"""
import glob
import json
import os
import struct
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")
MAGIC = 0x4650534F


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        # Fields after the parenthesised command name; utime and stime are
        # fields 14 and 15 of the whole line.
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def measure(seconds, pids):
    before = {p: cpu_ticks(p) for p in pids}
    start = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - start
    for p in pids:
        used = (cpu_ticks(p) - before[p]) / TICKS
        print(json.dumps({"pid": p, "cpu_pct": round(100.0 * used / wall, 2),
                          "rss_mib": round(status_kib(p, "VmRSS") / 1024, 1),
                          "hwm_mib": round(status_kib(p, "VmHWM") / 1024, 1),
                          # Private pages vs. file pages (shared libraries,
                          # shared between processes running the same binary).
                          "anon_mib": round(status_kib(p, "RssAnon") / 1024, 1),
                          "file_mib": round(status_kib(p, "RssFile") / 1024, 1)}))


def acked(spool):
    try:
        with open(os.path.join(spool, "ACKED"), "rb") as f:
            data = f.read(16)
        return struct.unpack("<Q", data[:8])[0] if len(data) >= 8 else 0
    except FileNotFoundError:
        return 0


def records(spool):
    for path in sorted(glob.glob(os.path.join(spool, "seg-*.osp"))):
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + 28 <= len(data):
            magic, length = struct.unpack_from("<II", data, pos)
            if magic != MAGIC or pos + 12 + length > len(data):
                break
            seq, ts = struct.unpack_from("<Qq", data, pos + 12)
            yield seq, ts, length
            pos += 12 + length


def backlog(spool):
    done = acked(spool)
    rows = [r for r in records(spool) if r[0] > done]
    out = {"acked": done, "count": len(rows), "bytes": sum(r[2] for r in rows)}
    if rows:
        out.update(first_seq=rows[0][0], last_seq=rows[-1][0], first_ts_ms=rows[0][1],
                   last_ts_ms=rows[-1][1])
    print(json.dumps(out))


def wait_acked(spool, seq, timeout):
    start_value = acked(spool)
    first = None
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = acked(spool)
        now = time.time()
        if first is None and value > start_value:
            first = {"t": now, "seq": value}
        if value >= seq:
            print(json.dumps({"first_ack": first, "done_t": now, "acked": value}))
            return 0
        time.sleep(0.01)
    print(json.dumps({"first_ack": first, "done_t": None, "acked": acked(spool)}))
    return 1


def main(argv):
    if len(argv) >= 3 and argv[1] == "measure":
        measure(float(argv[2]), [int(p) for p in argv[3:]])
        return 0
    if len(argv) == 3 and argv[1] == "backlog":
        backlog(argv[2])
        return 0
    if len(argv) == 5 and argv[1] == "wait-acked":
        return wait_acked(argv[2], int(argv[3]), float(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
