"""Hostile and careless clients against the real server process.

Each test checks that the server answers what it should and that the process
survives: /healthz still answers at the end.
"""
import socket
import time
import urllib.request

import pytest


def healthy(server):
    with urllib.request.urlopen(server.endpoint + "/healthz", timeout=5) as r:
        return r.status == 200 and server.alive()


def connect(server, timeout=5):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return s


def read_until_closed(sock, limit):
    """Everything the server sends until it closes; fails past `limit` seconds."""
    sock.settimeout(limit)
    data = b""
    start = time.monotonic()
    while True:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            pytest.fail(f"connection still open after {limit}s; got {data[:200]!r}")
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
        if time.monotonic() - start > limit:
            pytest.fail(f"connection still open after {limit}s")


def test_a_thousand_idle_connections_do_not_block_a_new_request(server_factory):
    server = server_factory(["--idle-timeout-ms", "60000"])
    idle = [connect(server) for _ in range(1000)]
    try:
        time.sleep(0.5)
        start = time.monotonic()
        assert healthy(server)
        assert time.monotonic() - start < 2.0
        metrics = urllib.request.urlopen(server.endpoint + "/metrics", timeout=5).read().decode()
        open_line = [l for l in metrics.splitlines() if l.startswith("osprey_http_open_connections ")]
        assert open_line and float(open_line[0].split()[1]) >= 1000, open_line
    finally:
        for s in idle:
            s.close()
    assert healthy(server)


def test_header_sent_one_byte_per_second_is_cut_off(server_factory):
    server = server_factory(["--header-timeout-ms", "2000"])
    sock = connect(server)
    start = time.monotonic()
    request = b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
    cut = False
    for byte in request:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            cut = True
            break
        sock.settimeout(1.0)
        try:
            if sock.recv(1) == b"":
                cut = True
                break
        except socket.timeout:
            pass
        if time.monotonic() - start > 10:
            break
    elapsed = time.monotonic() - start
    assert cut, "server kept a slow-header connection open"
    assert 1.5 <= elapsed <= 5.0, elapsed
    assert healthy(server)


def test_json_request_announcing_one_gibibyte_is_refused_before_reading(server):
    sock = connect(server)
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.PutRecord\r\n"
                 b"Content-Type: application/x-amz-json-1.1\r\n"
                 b"Content-Length: 1073741824\r\n\r\n{\"StreamName\":")
    start = time.monotonic()
    reply = read_until_closed(sock, 5)
    assert time.monotonic() - start < 2
    assert reply.startswith(b"HTTP/1.1 413"), reply
    assert b"RequestEntityTooLargeException" in reply
    assert b"x-amzn-RequestId" in reply
    assert healthy(server)


@pytest.mark.parametrize("garbage", [
    b"THIS IS NOT HTTP\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET / HTTP/1.1\r\nNoColonHere\r\n\r\n",
    b"\x00\x01\x02\x03\xff\xfe\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
])
def test_malformed_http_gets_400_and_the_connection_closes(server, garbage):
    sock = connect(server)
    sock.sendall(garbage)
    reply = read_until_closed(sock, 5)
    assert reply.startswith(b"HTTP/1.1 400"), reply
    assert healthy(server)


def test_oversized_header_gets_431(server):
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 64 * 1024 + b"\r\n\r\n")
    reply = read_until_closed(sock, 5)
    assert reply.startswith(b"HTTP/1.1 431"), reply[:200]
    assert healthy(server)


def test_client_vanishing_mid_body_does_not_hurt(server):
    for _ in range(50):
        sock = connect(server)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"a\":")
        sock.close()
    assert healthy(server)


@pytest.mark.parametrize("after_preface", [
    b"\x00\x00\x04\x99\x00\x00\x00\x00\x00junk",            # unknown frame type, bad length
    b"\xff" * 64,                                            # garbage frame header
    b"\x00\x00\x00\x04\x00\x00\x00\x00\x00" + b"\x00" * 4000,  # settings then zeros
])
def test_broken_http2_after_the_preface_closes_only_that_connection(server, after_preface):
    sock = connect(server)
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + after_preface)
    read_until_closed(sock, 5)
    assert healthy(server)


def test_truncated_http2_preface_is_cut_off_at_the_header_timeout(server_factory):
    server = server_factory(["--header-timeout-ms", "1000"])
    sock = connect(server)
    sock.sendall(b"PRI * HTTP/2.0\r\n")
    start = time.monotonic()
    read_until_closed(sock, 5)
    assert time.monotonic() - start < 3
    assert healthy(server)
