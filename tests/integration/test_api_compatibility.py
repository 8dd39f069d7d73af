"""docs/api-compatibility.md against the real server (issue 9, item 5).

The table must list every operation of the AWS service models botocore ships
(Kinesis Data Streams, Firehose, the four Kinesis Video Streams clients), and
each row's status must match what osprey-server answers:
- supported / partial: the operation is routed. A signed request with an
  empty JSON object gets a validation or not-found error (or success), never
  UnknownOperationException and never a 404 "no such route".
- not yet: the server answers UnknownOperationException (404 for the REST
  APIs), so the table cannot claim less than the server does either.
"""
import json
import os
import re
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.session

import conftest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(ROOT, "docs", "api-compatibility.md")

# Table "API" column -> (botocore service models, signing service, protocol).
APIS = {
    "Kinesis Data Streams": (["kinesis"], "kinesis", "Kinesis_20131202"),
    "Firehose": (["firehose"], "firehose", "Firehose_20150804"),
    "Kinesis Video Streams": (["kinesisvideo"], "kinesisvideo", None),
    "KVS media": (["kinesis-video-media"], "kinesisvideo", None),
    "KVS archived media": (["kinesis-video-archived-media"], "kinesisvideo", None),
    "KVS signaling": (["kinesis-video-signaling"], "kinesisvideo", None),
}
STATUSES = {"supported", "partial", "not yet"}


def table():
    rows = []
    with open(DOC) as f:
        for line in f:
            m = re.match(r"^\| ([^|]+?) \| `(\w+)` \| (supported|partial|not yet) \|", line)
            if m:
                rows.append(m.groups())
    return rows


def models():
    session = botocore.session.get_session()
    out = {}
    for api, (services, _, _) in APIS.items():
        for service in services:
            model = session.get_service_model(service)
            for op in model.operation_names:
                out[(api, op)] = model.operation_model(op).http.get("requestUri", "/")
    return out


def test_table_lists_every_operation_of_the_service_models():
    rows = table()
    listed = {(api, op) for api, op, _ in rows}
    assert len(listed) == len(rows), "an operation is listed twice"
    assert {api for api, _, _ in rows} <= set(APIS)
    missing = sorted(set(models()) - listed)
    assert not missing, f"docs/api-compatibility.md lacks {missing}"


def path_of(api, op, uris):
    uri = uris.get((api, op))
    if uri is not None:
        return uri.split("?")[0]
    return "/" + op[0].lower() + op[1:]  # KVS convention: POST /<lowerCamelName>


def call(server, api, op, uris):
    _, service, target_prefix = APIS[api]
    ak, sk = server.credentials()
    headers = {}
    if target_prefix:
        url = server.endpoint + "/"
        headers["X-Amz-Target"] = f"{target_prefix}.{op}"
        headers["Content-Type"] = "application/x-amz-json-1.1"
    else:
        url = server.endpoint + path_of(api, op, uris)
        headers["Content-Type"] = "application/json"
    # PutMedia's body is the MKV stream, signed as empty (spec section 4).
    data = b"" if op == "PutMedia" else b"{}"
    req = botocore.awsrequest.AWSRequest("POST", url, data=data, headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(ak, sk), service,
                            "us-east-1").add_auth(req)
    prepared = urllib.request.Request(url, data=data, method="POST",
                                      headers=dict(req.headers.items()))
    status, resp_headers, body = conftest.status_and_body(prepared)
    error = resp_headers.get("x-amzn-ErrorType", "") or ""
    try:
        error = error or json.loads(body).get("__type", "")
    except (ValueError, AttributeError):
        pass
    return status, error.split(":")[0].split("#")[-1], body


def test_every_row_matches_the_server(server):
    uris = models()
    wrong = []
    for api, op, status_text in table():
        status, error, body = call(server, api, op, uris)
        unknown = status == 404 or error == "UnknownOperationException"
        if status_text == "not yet" and not unknown:
            wrong.append(f"{api} {op}: marked not yet, but routed ({status} {error})")
        if status_text != "not yet" and unknown:
            wrong.append(f"{api} {op}: marked {status_text}, but {status} {error} {body[:120]}")
        if status_text != "not yet":
            # 403 would be authentication, which runs before routing: no proof.
            assert status not in (403, 500), f"{api} {op}: {status} {body[:300]}"
    assert not wrong, "\n".join(wrong)


def test_osprey_extensions_are_routed(server):
    # Rows of the extensions table: method and path. Signed, because
    # authentication runs before routing: an unsigned probe of a missing
    # route gets 403 too, which would prove nothing.
    with open(DOC) as f:
        routes = re.findall(r"^\| `(GET|POST) (/[\w/.-]*)` \|", f.read(), re.M)
    assert ("GET", "/healthz") in routes and ("GET", "/metrics") in routes, routes
    ak, sk = server.credentials()
    for method, path in routes:
        url = server.endpoint + path
        data = b"{}" if method == "POST" else None
        req = botocore.awsrequest.AWSRequest(method, url, data=data or b"",
                                             headers={"Content-Type": "application/json"})
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(ak, sk), "kinesisvideo",
                                "us-east-1").add_auth(req)
        prepared = urllib.request.Request(url, data=data, method=method,
                                          headers=dict(req.headers.items()))
        status, headers, body = conftest.status_and_body(prepared)
        error = headers.get("x-amzn-ErrorType", "") or ""
        assert status != 404 and "UnknownOperation" not in error + body, (method, path, status)
        assert status not in (403, 500), (method, path, status, body[:300])


def test_an_unrouted_path_is_reported(server):
    # The check above and the "not yet" rows rely on this answer.
    status, error, _ = call(server, "Kinesis Video Streams", "NoSuchOperation", {})
    assert status == 404 or error == "UnknownOperationException", (status, error)
