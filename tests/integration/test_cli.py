"""The osprey CLI (issue "Operations") against the real server.

Every subcommand of build/bin/osprey (video, records, delivery) runs as a
subprocess with the server's credentials in the environment; the tests check
exit codes (0 ok, 1 failed on the server, 2 bad usage), one-line errors that
name the AWS error, and for `video get` that the MKV is accepted by mkvinfo
and ffprobe and that a resumed download gives the same bytes.
"""
import json
import os
import subprocess
import time

from conftest import AWS_CLI, aws_env
from test_agent import start_agent, stop_agent, wait_for_fragments

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CLI_BIN = os.environ.get("OSPREY_CLI_BIN", os.path.join(ROOT, "build", "bin", "osprey"))


def cli_env(server, secret=None):
    ak, sk = server.credentials()
    env = aws_env(ak, secret or sk)
    env = {k: v for k, v in env.items() if not k.startswith("OSPREY_")}
    env["OSPREY_ENDPOINT"] = server.endpoint
    return env


def osprey(server, *args, secret=None, timeout=60, extra_env=None):
    env = cli_env(server, secret)
    env.update(extra_env or {})
    return subprocess.run([CLI_BIN, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def one_line_error(r, name):
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("osprey: ") and name in lines[0], r.stderr


def aws(server, *args):
    subprocess.run([AWS_CLI, "--endpoint-url", server.endpoint, *args], env=cli_env(server),
                   check=True, capture_output=True, timeout=60)


def test_help_and_usage(server):
    r = subprocess.run([CLI_BIN, "help"], capture_output=True, text=True)
    assert r.returncode == 0 and "records put|tail" in r.stdout
    for group in ("video", "records", "delivery"):
        r = subprocess.run([CLI_BIN, group, "--help"], capture_output=True, text=True)
        assert r.returncode == 0 and f"osprey {group}" in r.stdout
    assert subprocess.run([CLI_BIN], capture_output=True).returncode == 2
    assert subprocess.run([CLI_BIN, "bogus"], capture_output=True).returncode == 2
    r = osprey(server, "video", "describe")
    assert r.returncode == 2
    one_line_error(r, "--stream is required")
    r = osprey(server, "video", "list", "--no-such-flag")
    assert r.returncode == 2


def test_video_control_plane(server):
    r = osprey(server, "video", "create", "--name", "cam1", "--retention-hours", "24")
    assert r.returncode == 0 and "stream/cam1/" in r.stdout, r.stderr
    r = osprey(server, "video", "list")
    assert r.returncode == 0 and r.stdout.splitlines()[0].startswith("NAME")
    assert "cam1" in r.stdout
    r = osprey(server, "video", "list", "--json")
    names = [s["StreamName"] for s in json.loads(r.stdout)["StreamInfoList"]]
    assert names == ["cam1"]
    r = osprey(server, "video", "describe", "--stream", "cam1", "--json")
    assert json.loads(r.stdout)["StreamInfo"]["DataRetentionInHours"] == 24
    r = osprey(server, "video", "retention", "--stream", "cam1", "--increase", "6")
    assert r.returncode == 0 and "30 hours" in r.stdout, r.stderr
    r = osprey(server, "video", "retention", "--stream", "cam1", "--decrease", "10")
    assert r.returncode == 0 and "20 hours" in r.stdout, r.stderr
    r = osprey(server, "video", "retention", "--stream", "cam1")
    assert r.returncode == 2
    r = osprey(server, "video", "create", "--name", "cam1")
    assert r.returncode == 1
    one_line_error(r, "ResourceInUseException")
    r = osprey(server, "video", "delete", "--stream", "cam1")
    assert r.returncode == 0, r.stderr
    for args in (["describe", "--stream", "nope"], ["delete", "--stream", "nope"],
                 ["retention", "--stream", "nope", "--increase", "1"]):
        r = osprey(server, "video", *args)
        assert r.returncode == 1, args
        one_line_error(r, "ResourceNotFoundException")


def test_wrong_credentials(server):
    r = osprey(server, "video", "list", secret="wrong" * 8)
    assert r.returncode == 1
    one_line_error(r, "InvalidSignatureException")
    for args in (["records", "put", "--stream", "x", "--data", "y"], ["delivery", "list"]):
        r = osprey(server, *args, secret="wrong" * 8)
        assert r.returncode == 1
        one_line_error(r, "Exception")


def test_records_put_and_tail(server):
    aws(server, "kinesis", "create-stream", "--stream-name", "ev", "--shard-count", "2")
    time.sleep(0.5)
    r = osprey(server, "records", "put", "--stream", "ev", "--data", "before", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ShardId"].startswith("shardId-")
    env = cli_env(server)
    tail = subprocess.Popen([CLI_BIN, "records", "tail", "--stream", "ev", "--limit", "4"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The tail prints this line once it holds an iterator on every shard.
    assert "following 2 shard(s)" in tail.stderr.readline()
    for i in range(4):
        r = osprey(server, "records", "put", "--stream", "ev", "--data", f"rec {i}",
                   "--partition-key", f"k{i}")
        assert r.returncode == 0, r.stderr
    out, _ = tail.communicate(timeout=20)
    assert tail.returncode == 0
    lines = out.splitlines()
    assert sorted(l.split("  ")[2] for l in lines) == [f"rec {i}" for i in range(4)]
    assert all(l.startswith("shardId-") for l in lines)
    r = osprey(server, "records", "tail", "--stream", "ev", "--from-start", "--limit", "5",
               "--json", timeout=20)
    records = [json.loads(l) for l in r.stdout.splitlines()]
    assert len(records) == 5 and {"ShardId", "SequenceNumber", "Data"} <= set(records[0])
    r = osprey(server, "records", "tail", "--stream", "ev", "--from-start", "--limit", "1",
               "--base64", timeout=20)
    assert r.stdout.split("  ")[2].strip() in ("YmVmb3Jl", "cmVjIDA=", "cmVjIDE=",
                                                  "cmVjIDI=", "cmVjIDM=")
    for args in (["put", "--stream", "nope", "--data", "x"], ["tail", "--stream", "nope"]):
        r = osprey(server, "records", *args, timeout=20)
        assert r.returncode == 1
        one_line_error(r, "ResourceNotFoundException")
    assert osprey(server, "records", "tail", "--stream", "ev", "--limit", "0").returncode == 2


def test_delivery(server):
    aws(server, "firehose", "create-delivery-stream", "--delivery-stream-name", "d1",
        "--extended-s3-destination-configuration",
        "RoleARN=arn:aws:iam::000000000000:role/t,BucketARN=arn:aws:s3:::b1")
    r = osprey(server, "delivery", "list")
    assert r.returncode == 0 and r.stdout.split() == ["d1"]
    # CREATING for a moment after create, then ACTIVE.
    deadline = time.time() + 30
    while True:
        r = osprey(server, "delivery", "describe", "--stream", "d1")
        assert r.returncode == 0 and "DeliveryStreamStatus:" in r.stdout, r.stderr
        if "ACTIVE" in r.stdout or time.time() > deadline:
            break
        time.sleep(0.2)
    assert "ACTIVE" in r.stdout
    r = osprey(server, "delivery", "describe", "--stream", "d1", "--json")
    assert json.loads(r.stdout)["DeliveryStreamDescription"]["DeliveryStreamName"] == "d1"
    r = osprey(server, "delivery", "put", "--stream", "d1", "--data", "hi", "--newline")
    assert r.returncode == 0 and r.stdout.strip(), r.stderr
    for args in (["describe", "--stream", "nope"], ["put", "--stream", "nope", "--data", "x"]):
        r = osprey(server, "delivery", *args)
        assert r.returncode == 1
        one_line_error(r, "ResourceNotFoundException")


def ffprobe_duration(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                          "json", path], capture_output=True, text=True, check=True).stdout
    return float(json.loads(out)["format"]["duration"])


def test_video_get(server, tmp_path):
    t0 = time.time() - 1
    log = tmp_path / "agent.log"
    agent = start_agent(server.endpoint, "cam", tmp_path / "spool", server.credentials(), log)
    frags = wait_for_fragments(server, "cam", 8, timeout=60)
    stop_agent(agent, log)
    frags = wait_for_fragments(server, "cam", len(frags))
    t1 = time.time() + 1
    rng = ["--stream", "cam", "--from", f"{t0:.3f}", "--to", f"{t1:.3f}"]
    full = str(tmp_path / "full.mkv")
    r = osprey(server, "video", "get", *rng, "-o", full)
    assert r.returncode == 0, r.stderr
    assert subprocess.run(["mkvinfo", full], capture_output=True).returncode == 0
    n = len(wait_for_fragments(server, "cam", len(frags)))
    assert abs(ffprobe_duration(full) - n) <= 1.0 + 1e-3, (ffprobe_duration(full), n)
    assert not os.path.exists(full + ".part")

    # Interrupted after 3 fragments (test hook), then resumed: the same bytes.
    part = str(tmp_path / "resumed.mkv")
    r = osprey(server, "video", "get", *rng, "-o", part,
               extra_env={"OSPREY_TEST_STOP_AFTER_FRAGMENTS": "3"})
    assert r.returncode == 1 and os.path.exists(part + ".part")
    assert len(open(part + ".part.idx").read().splitlines()) == 4  # header + 3
    # A torn write after the last indexed fragment is cut off on resume.
    with open(part + ".part", "ab") as f:
        f.write(b"\x1f\x43\xb6\x75garbage")
    r = osprey(server, "video", "get", *rng, "-o", part)
    assert r.returncode == 0, r.stderr
    assert open(part, "rb").read() == open(full, "rb").read()
    assert not os.path.exists(part + ".part.idx")

    mp4 = str(tmp_path / "clip.mp4")
    r = osprey(server, "video", "get", *rng, "-o", mp4)
    assert r.returncode == 0, r.stderr
    assert abs(ffprobe_duration(mp4) - n) <= 1.0 + 1e-3

    r = osprey(server, "video", "get", "--stream", "cam", "--from", f"{t1:.3f}", "--to",
               f"{t0:.3f}", "-o", full)
    assert r.returncode == 2
    one_line_error(r, "bad time range")
    r = osprey(server, "video", "get", *rng, "-o", str(tmp_path / "x.avi"))
    assert r.returncode == 2
    r = osprey(server, "video", "get", "--stream", "nope", "--from", f"{t0:.3f}", "--to",
               f"{t1:.3f}", "-o", str(tmp_path / "n.mkv"))
    assert r.returncode == 1
    one_line_error(r, "ResourceNotFoundException")


FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def doctor(server, *args, **kw):
    r = osprey(server, "doctor", "--json", *args, **kw)
    checks = {c["Check"]: c for c in json.loads(r.stdout)["Checks"]}
    return r, checks


def test_doctor(server_factory, tmp_path):
    server = server_factory()
    log = tmp_path / "agent.log"
    agent = start_agent(server.endpoint, "cam", tmp_path / "spool", server.credentials(), log)
    try:
        wait_for_fragments(server, "cam", 2, timeout=60)
        r, checks = doctor(server)
        assert r.returncode == 0, r.stdout
        for name in ("server", "clock", "credentials", "streams", "gstreamer", "ffmpeg"):
            assert checks[name]["Result"] in ("ok", "warn"), checks[name]
        assert checks["server"]["Result"] == "ok"
        assert checks["credentials"]["Result"] == "ok"
        assert checks["streams"]["Result"] == "ok", checks["streams"]
        # A camera that never sent anything is named.
        assert osprey(server, "video", "create", "--name", "idle").returncode == 0
        r, checks = doctor(server)
        assert r.returncode == 0
        assert checks["streams"]["Result"] == "warn"
        assert checks["streams"]["Detail"].endswith(": idle"), checks["streams"]
    finally:
        stop_agent(agent, log)
    # The table form says the same.
    r = osprey(server, "doctor")
    assert r.stdout.splitlines()[0].split() == ["CHECK", "RESULT", "DETAIL"]
    assert any(line.split()[:2] == ["streams", "warn"] for line in r.stdout.splitlines())

    r, checks = doctor(server, secret="wrong-secret-key-0000000000000000000000")
    assert r.returncode == 1
    assert checks["credentials"]["Result"] == "FAIL"
    assert "InvalidSignatureException" in checks["credentials"]["Detail"]
    assert "streams" not in checks

    r = osprey(server, "doctor", "--json", "--endpoint", "http://127.0.0.1:1")
    assert r.returncode == 1
    checks = {c["Check"]: c for c in json.loads(r.stdout)["Checks"]}
    assert checks["server"]["Result"] == "FAIL" and "cannot reach" in checks["server"]["Detail"]
    assert "credentials" not in checks
    assert osprey(server, "doctor", "--stale-seconds", "0").returncode == 2


def test_doctor_flags_a_server_clock_ten_minutes_off(server_factory):
    assert os.path.exists(FAKETIME_LIB), "deploy/install-deps.sh installs faketime"
    server = server_factory(env={
        "LD_PRELOAD": FAKETIME_LIB, "FAKETIME": "+600",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"})
    r, checks = doctor(server)
    assert r.returncode == 1
    assert checks["clock"]["Result"] == "FAIL", checks["clock"]
    # "server clock +600.2 s from ...": the Date header has 1 s resolution.
    offset = float(checks["clock"]["Detail"].split()[2])
    assert 598 <= offset <= 602, checks["clock"]
    # The same skew is why the signed call fails.
    assert checks["credentials"]["Result"] == "FAIL"


def usage_flags(text):
    """Every --flag (and -o) a usage text names, per 'osprey <group> <command>' line."""
    out = {}
    for line in text.splitlines():
        words = line.replace("usage:", "").replace("[", " ").replace("]", " ").replace(
            "(", " ").replace(")", " ").replace("|", " ").split()
        if len(words) >= 3 and words[0] == "osprey":
            flags = {w for w in words if w.startswith("-")}
            out[(words[1], words[2])] = flags
    return out


def complete(line):
    script = ('source <("$CLI" completion bash); read -ra COMP_WORDS <<< "$LINE"; '
              '[[ "$LINE" == *" " ]] && COMP_WORDS+=(""); '
              'COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _osprey; printf "%s\\n" "${COMPREPLY[@]}"')
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                       env={"CLI": CLI_BIN, "LINE": line, "PATH": os.environ["PATH"]})
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


def test_completion_offers_every_flag_of_every_usage_text():
    assert complete("osprey ") >= {"video", "records", "delivery", "dataset", "doctor",
                                   "completion"}
    assert complete("osprey video ") == {"list", "create", "describe", "delete", "retention",
                                         "get", "put"}
    usages = {}
    for group in ("video", "records", "delivery"):
        r = subprocess.run([CLI_BIN, group, "--help"], capture_output=True, text=True)
        usages.update(usage_flags(r.stdout))
    assert len(usages) == 12, usages
    for (group, command), flags in usages.items():
        offered = complete(f"osprey {group} {command} -")
        assert flags <= offered, (group, command, flags - offered)
    assert complete("osprey completion ") == {"bash", "zsh"}
    r = subprocess.run([CLI_BIN, "completion", "fish"], capture_output=True, text=True)
    assert r.returncode == 2


def test_video_put_uploads_every_frame_of_a_file(server, tmp_path):
    clip = str(tmp_path / "five.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=320x240:rate=15", "-t", "5", "-c:v", "libx264", "-g", "15",
                    clip], check=True, timeout=60)
    t0 = time.time() - 1
    r = osprey(server, "video", "put", clip, "--stream", "upload", "--fragment-ms", "1000",
               extra_env={"TMPDIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("uploaded ") and "fragments persisted" in r.stdout
    # The temporary spool is gone once everything is acknowledged.
    assert not [p for p in os.listdir(tmp_path) if p.startswith("osprey-put-")]
    out = str(tmp_path / "back.mkv")
    r = osprey(server, "video", "get", "--stream", "upload", "--from", f"{t0:.3f}", "--to",
               f"{time.time() + 1:.3f}", "-o", out)
    assert r.returncode == 0, r.stderr
    frames = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v",
                             "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert frames == "75"

    r = osprey(server, "video", "put", str(tmp_path / "missing.mp4"), "--stream", "upload")
    assert r.returncode == 2
    one_line_error(r, "no such file")
    r = osprey(server, "video", "put", "--stream", "upload")
    assert r.returncode == 2
    # A server that is not there, or wrong keys: said at once, nothing spooled.
    for extra in (["--endpoint", "http://127.0.0.1:1"], []):
        started = time.time()
        r = osprey(server, "video", "put", clip, "--stream", "upload", *extra,
                   secret=None if extra else "wrong-secret-key-000000000000000000000000",
                   extra_env={"TMPDIR": str(tmp_path)})
        assert r.returncode == 1 and time.time() - started < 10
        one_line_error(r, "Connection refused" if extra else "InvalidSignatureException")
    assert not [p for p in os.listdir(tmp_path) if p.startswith("osprey-put-")]


def test_aws_profile_gives_keys_region_and_endpoint(server, tmp_path):
    """osprey --profile reads the AWS CLI's own files: the same profile works
    for `aws --profile` and `osprey --profile`, keys from the credentials
    file and endpoint_url from the config file (whose nested "s3 =" block
    is skipped); --profile wins over key variables; an unknown profile is a
    one-line usage error. (The region is not checked: the server accepts
    any region in the signature scope.)"""
    ak, sk = server.credentials()
    creds = tmp_path / "credentials"
    config = tmp_path / "config"
    creds.write_text(f"# written by the test\n[osprey-test]\naws_access_key_id = {ak}\n"
                     f"aws_secret_access_key = {sk}\n\n[other]\naws_access_key_id = AKIDX\n"
                     "aws_secret_access_key = nope\n")
    config.write_text(f"[profile osprey-test]\nregion = eu-west-1\nendpoint_url = {server.endpoint}\n"
                      "s3 =\n  max_concurrent_requests = 4\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OSPREY_"))}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(creds), AWS_CONFIG_FILE=str(config))
    run = lambda *a, extra=None: subprocess.run([CLI_BIN, *a], capture_output=True, text=True,
                                                timeout=60, env={**env, **(extra or {})})
    # Debian 12's AWS CLI predates endpoint_url in profiles: give it the flag.
    created = subprocess.run([AWS_CLI, "--profile", "osprey-test", "--endpoint-url", server.endpoint,
                              "kinesisvideo", "create-stream", "--stream-name", "from-profile"],
                             env=env, capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    # Keys and endpoint from the profile (no --endpoint, no key variables).
    r = run("video", "describe", "--stream", "from-profile", "--json", "--profile", "osprey-test")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["StreamInfo"]["StreamName"] == "from-profile"
    # AWS_PROFILE instead of the flag.
    r = run("video", "list", extra={"AWS_PROFILE": "osprey-test"})
    assert r.returncode == 0 and "from-profile" in r.stdout, r.stderr
    # --profile beats wrong keys in the environment, as in the AWS CLI.
    r = run("video", "list", "--profile", "osprey-test",
            extra={"AWS_ACCESS_KEY_ID": "AKIDWRONG", "AWS_SECRET_ACCESS_KEY": "wrong" * 8})
    assert r.returncode == 0, r.stderr
    # A profile with keys the server does not know.
    r = run("video", "list", "--profile", "other", "--endpoint", server.endpoint)
    assert r.returncode == 1
    one_line_error(r, "UnrecognizedClientException")
    r = run("video", "list", "--profile", "missing")
    assert r.returncode == 2
    one_line_error(r, 'profile "missing"')
