"""Kinesis through the AWS SDK for JavaScript v3 (issue 6 acceptance): the
npm package @aws-sdk/client-kinesis, installed by deploy/install-deps.sh
under /opt/osprey/node, runs js/kinesis_sdk.mjs against the real server."""
import os
import shutil
import subprocess

import pytest

NODE_MODULES = os.environ.get("OSPREY_NODE_MODULES", "/opt/osprey/node/node_modules")
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None or not os.path.isdir(
    os.path.join(NODE_MODULES, "@aws-sdk", "client-kinesis")),
    reason="node or @aws-sdk/client-kinesis not installed (deploy/install-deps.sh)")
def test_javascript_sdk_round_trip(server):
    ak, sk = server.credentials()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"OSPREY_ENDPOINT": server.endpoint, "OSPREY_NODE_MODULES": NODE_MODULES,
                "AWS_ACCESS_KEY_ID": ak, "AWS_SECRET_ACCESS_KEY": sk})
    script = os.path.join(os.path.dirname(__file__), "js", "kinesis_sdk.mjs")
    r = subprocess.run([NODE, script], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "js round trip ok" in r.stdout
