"""Backlog drain over osprey-agent's two uplinks (bench/agent_uplink.sh).

1. Records a backlog: a 10 s H.264 clip of noise (videotestsrc pattern=snow,
   x264enc at --bitrate-kbps, an IDR each second) made with gst-launch-1.0,
   played by osprey-agent (--source file+loop:, passed through) against a
   port where nothing listens, for --record-seconds; SIGTERM. The spool then
   holds N fragments of about bitrate/8 bytes each (noise does not compress,
   so fragments have the size a busy camera's would).
2. For each uplink (http = chunked POST /putMedia, ws = GET /ws/putMedia
   through libwebsockets) and each of --runs repetitions: a copy of that
   spool, a fresh osprey-server with its own data directory, and the agent
   started with --uplink on it. The drain time is from the agent's start to
   the spool's ACKED marker (agent/FORMAT.md) reaching N, polled every 5 ms;
   ListFragments then confirms N fragments stored. Agent CPU (utime+stime
   from /proc) is read at the same moment.

Prints the table (median of the runs, http next to ws) and writes
bench/results/agent_uplink.json.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import boto3
import botocore.config

AK = "AKIDUPLINKBENCH00001"
SK = "uplinkbenchsecretuplinkbenchsecret000001"
CLK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_credentials(data_dir):
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, "credentials.toml")
    with open(path, "w") as f:
        f.write(f'[[keys]]\naccess_key_id = "{AK}"\nsecret_access_key = "{SK}"\n')
    os.chmod(path, 0o600)


def start_server(binary, work, name):
    port = free_port()
    data = os.path.join(work, name)
    write_credentials(data)
    log = open(os.path.join(work, name + ".log"), "w")
    proc = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}", "--data-dir", data],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"agent_uplink: server exited: see {log.name}")
            time.sleep(0.05)
    sys.exit("agent_uplink: server did not listen")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def make_clip(a, path):
    pipeline = (f"videotestsrc pattern=snow num-buffers={10 * a.fps} ! "
                f"video/x-raw,width={a.width},height={a.height},framerate={a.fps}/1 ! "
                f"x264enc bitrate={a.bitrate_kbps} key-int-max={a.fps} bframes=0 "
                f"option-string=scenecut=0 speed-preset=ultrafast ! h264parse ! mp4mux ! "
                f"filesink location={path}")
    r = subprocess.run(["gst-launch-1.0", "-q", *pipeline.split()], capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        sys.exit("agent_uplink: could not make the clip: " + r.stderr[-2000:])


def agent_args(a, endpoint, spool, extra=()):
    return [a.agent, "--endpoint", endpoint, "--stream", "bench-cam", "--source", a.source,
            "--spool-dir", spool, "--fragment-ms", "1000", "--width", str(a.width), "--height",
            str(a.height), "--fps", str(a.fps), "--bitrate-kbps", str(a.bitrate_kbps),
            "--drain-ms", "0", "--log-level", "warn", *extra]


def agent_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK})
    return env


def acked(spool):
    try:
        with open(os.path.join(spool, "ACKED"), "rb") as f:
            return struct.unpack("<Q", f.read(8))[0]
    except (OSError, struct.error):
        return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def list_count(port):
    c = boto3.client("kinesis-video-archived-media", endpoint_url=f"http://127.0.0.1:{port}",
                     region_name="us-east-1", aws_access_key_id=AK, aws_secret_access_key=SK,
                     config=botocore.config.Config(retries={"max_attempts": 1}))
    n, kw = 0, {"StreamName": "bench-cam", "FragmentSelector": {
        "FragmentSelectorType": "PRODUCER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": 0, "EndTimestamp": time.time() + 3600}}}
    while True:
        page = c.list_fragments(**kw)
        n += len(page["Fragments"])
        if not page.get("NextToken"):
            return n
        kw = {"StreamName": "bench-cam", "NextToken": page["NextToken"]}


def spool_bytes(spool):
    return sum(os.path.getsize(os.path.join(spool, f)) for f in os.listdir(spool)
               if f.endswith(".osp"))


def drain_once(a, work, backlog, n, uplink, run):
    spool = os.path.join(work, f"spool-{uplink}-{run}")
    shutil.copytree(backlog, spool)
    server, port = start_server(a.server, work, f"data-{uplink}-{run}")
    scheme = "ws" if uplink == "ws" else "http"
    log = open(os.path.join(work, f"agent-{uplink}-{run}.log"), "w")
    t0 = time.monotonic()
    agent = subprocess.Popen(agent_args(a, f"{scheme}://127.0.0.1:{port}", spool,
                                        ["--uplink", uplink]),
                             stdout=log, stderr=subprocess.STDOUT, env=agent_env())
    try:
        deadline = t0 + 120
        while acked(spool) < n:
            if time.monotonic() > deadline or agent.poll() is not None:
                sys.exit(f"agent_uplink: {uplink} run {run} did not drain; see {log.name}")
            time.sleep(0.005)
        seconds = time.monotonic() - t0
        cpu = cpu_seconds(agent.pid)
    finally:
        stop(agent)
    stored = list_count(port)
    stop(server)
    if stored < n:
        sys.exit(f"agent_uplink: {uplink} run {run}: {stored} fragments stored, expected {n}")
    return seconds, cpu


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--agent", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--record-seconds", type=int, default=30)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=720)
    p.add_argument("--fps", type=int, default=15)
    p.add_argument("--bitrate-kbps", type=int, default=4000)
    p.add_argument("--results", required=True)
    p.add_argument("--command", default="bench/agent_uplink.sh")
    a = p.parse_args()
    load = os.getloadavg()[0]
    work = tempfile.mkdtemp(prefix="osprey-agent-uplink.")
    try:
        clip = os.path.join(work, "snow.mp4")
        make_clip(a, clip)
        a.source = "file+loop:" + clip
        backlog = os.path.join(work, "backlog")
        rec_log = os.path.join(work, "record.log")
        args = agent_args(a, f"http://127.0.0.1:{free_port()}", backlog)
        args[args.index("--log-level") + 1] = "info"
        rec = subprocess.Popen(args, stdout=open(rec_log, "w"), stderr=subprocess.STDOUT,
                               env=agent_env())
        time.sleep(a.record_seconds)
        stop(rec)
        # The agent's last line: msg=stopped ... spool_last_seq=N.
        stopped = [l for l in open(rec_log) if "msg=stopped" in l]
        if not stopped:
            sys.exit("agent_uplink: recording agent did not stop cleanly")
        n = int(re.search(r"spool_last_seq=(\d+)", stopped[-1]).group(1))
        size = spool_bytes(backlog)
        results = {"http": [], "ws": []}
        for run in range(a.runs):
            for uplink in ("http", "ws"):
                results[uplink].append(drain_once(a, work, backlog, n, uplink, run))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {u: (statistics.median(s for s, _ in v), statistics.median(c for _, c in v))
           for u, v in results.items()}
    mb = size / 1e6
    rows = [("drain time (median of %d)" % a.runs, "%.2f s" % med["http"][0], "%.2f s" % med["ws"][0]),
            ("fragments/s", "%.1f" % (n / med["http"][0]), "%.1f" % (n / med["ws"][0])),
            ("MB/s", "%.1f" % (mb / med["http"][0]), "%.1f" % (mb / med["ws"][0])),
            ("agent CPU to drain", "%.2f s" % med["http"][1], "%.2f s" % med["ws"][1])]
    print(f"backlog: {n} fragments of noise ({a.width}x{a.height}, {a.fps} fps, "
          f"{a.bitrate_kbps} kbit/s, 1 s each), spool {mb:.1f} MB; load average at start {load:.1f}")
    print("| | HTTP PutMedia (chunked POST) | WebSocket (libwebsockets) |")
    print("|---|---|---|")
    for r in rows:
        print("| %s | %s | %s |" % r)
    with open(a.results, "w") as f:
        json.dump({"date": time.strftime("%Y-%m-%d"), "command": a.command,
                   "load_average_at_start": load, "fragments": n, "spool_mb": mb,
                   "settings": {k: v for k, v in vars(a).items() if k != "source"},
                   "runs": {u: [{"seconds": s, "agent_cpu_s": c} for s, c in v]
                            for u, v in results.items()},
                   "table": rows}, f, indent=2)


if __name__ == "__main__":
    main()
