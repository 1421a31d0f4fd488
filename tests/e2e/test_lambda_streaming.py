"""InvokeWithResponseStream for real: a runtime answering in the Runtime
API's streaming response mode (chunked, with errors in trailers) reaches a
boto3 EventStream as PayloadChunk events while the function still runs,
then InvokeComplete; buffered runtimes' answers arrive as one chunk."""
import base64
import http.client
import io
import json
import time
import zipfile

import botocore.exceptions
import pytest

from conftest import lambda_role

ACCOUNT = "000000000000"

# A custom runtime speaking the Runtime API over a raw socket, so that it
# can send a chunked body in streaming mode and trailers, as AWS documents.
STREAMING_BOOTSTRAP = r'''#!/usr/bin/env python3
import base64, json, os, socket, time, urllib.request
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
api = "http://%s:%s/2018-06-01/runtime" % (host, port)
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    s = socket.create_connection((host, int(port)))
    s.sendall(("POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\n"
               "Host: runtime\r\nLambda-Runtime-Function-Response-Mode: streaming\r\n"
               "Transfer-Encoding: chunked\r\n"
               "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n" % rid).encode())
    for i in range(event.get("chunks", 3)):
        data = ("part %d;" % i).encode()
        s.sendall(b"%x\r\n%s\r\n" % (len(data), data))
        time.sleep(event.get("pause", 0.4))
    if event.get("fail"):
        doc = base64.b64encode(json.dumps({"errorType": "Stream.Broken", "errorMessage": "gave up midway"}).encode())
        s.sendall(b"0\r\nLambda-Runtime-Function-Error-Type: Stream.Broken\r\nLambda-Runtime-Function-Error-Body: " + doc + b"\r\n\r\n")
    else:
        s.sendall(b"0\r\n\r\n")
    s.recv(4096)
    s.close()
'''


NODE_STREAM = """
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  for (let i = 0; i < 3; i++) {
    responseStream.write(`node ${i};`);
    await new Promise((r) => setTimeout(r, 300));
  }
  responseStream.end();
});
"""

NODE_HTTP_STREAM = """
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201, headers: {"Content-Type": "text/plain", "X-Streamed": "yes"}});
  stream.write("first ");
  await new Promise((r) => setTimeout(r, 400));
  stream.write("second");
  stream.end();
});
"""


def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            z.writestr(info, text)
    return buf.getvalue()


@pytest.fixture(scope="module")
def lam(gureum):
    role = lambda_role(gureum)
    lam = gureum.client("lambda")
    lam.create_function(FunctionName="streamer", Runtime="provided.al2023", Role=role, Handler="x",
                        Code={"ZipFile": zipped({"bootstrap": STREAMING_BOOTSTRAP})}, Timeout=10)
    lam.create_function(FunctionName="buffered", Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": zipped({"app.py": "def handler(e, c):\n    print('buffered ran')\n    return {'echo': e}\n"})})
    lam.create_function(FunctionName="raiser", Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": zipped({"app.py": "def handler(e, c):\n    raise KeyError('missing')\n"})})
    for name, code in [("node-streamer", NODE_STREAM), ("node-http", NODE_HTTP_STREAM)]:
        lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=role, Handler="index.handler",
                            Code={"ZipFile": zipped({"index.mjs": code})}, Timeout=10)
    return lam


def read_events(out):
    """The stream's events, each with the seconds since the call returned."""
    start = time.monotonic()
    events = []
    for event in out["EventStream"]:
        events.append((time.monotonic() - start, event))
    return events


def test_a_streaming_runtime_sends_chunks_while_it_runs(lam):
    out = lam.invoke_with_response_stream(FunctionName="streamer", Payload=json.dumps({"chunks": 3, "pause": 0.4}))
    assert out["StatusCode"] == 200
    assert out["ExecutedVersion"] == "$LATEST"
    assert out["ResponseStreamContentType"] == "application/vnd.amazon.eventstream"
    events = read_events(out)
    chunks = [(t, e["PayloadChunk"]["Payload"]) for t, e in events if "PayloadChunk" in e]
    assert [c for _, c in chunks] == [b"part 0;", b"part 1;", b"part 2;"]
    # The first chunk came well before the function finished (3 × 0.4 s).
    assert chunks[-1][0] - chunks[0][0] > 0.6
    assert "InvokeComplete" in events[-1][1]
    assert "ErrorCode" not in events[-1][1]["InvokeComplete"]


def test_a_mid_stream_error_ends_with_its_code_and_details(lam):
    out = lam.invoke_with_response_stream(FunctionName="streamer", Payload=json.dumps({"chunks": 1, "pause": 0, "fail": True}))
    events = [e for _, e in read_events(out)]
    assert events[0]["PayloadChunk"]["Payload"] == b"part 0;"
    assert events[-1]["InvokeComplete"]["ErrorCode"] == "Stream.Broken"
    assert events[-1]["InvokeComplete"]["ErrorDetails"] == "gave up midway"


def test_a_buffered_answer_is_one_chunk_and_the_log_tail_comes_last(lam):
    out = lam.invoke_with_response_stream(FunctionName="buffered", Payload=json.dumps({"k": 1}), LogType="Tail")
    events = [e for _, e in read_events(out)]
    assert json.loads(events[0]["PayloadChunk"]["Payload"]) == {"echo": {"k": 1}}
    log = base64.b64decode(events[-1]["InvokeComplete"]["LogResult"]).decode()
    assert "buffered ran" in log and "REPORT RequestId:" in log


def test_a_raised_error_is_reported_in_invoke_complete(lam):
    out = lam.invoke_with_response_stream(FunctionName="raiser")
    events = [e for _, e in read_events(out)]
    assert [list(e) for e in events] == [["InvokeComplete"]]
    assert events[0]["InvokeComplete"]["ErrorCode"] == "KeyError"
    assert events[0]["InvokeComplete"]["ErrorDetails"] == "'missing'"


def test_the_plain_invoke_of_a_streaming_function_gets_the_whole_body(lam):
    out = lam.invoke(FunctionName="streamer", Payload=json.dumps({"chunks": 2, "pause": 0}))
    assert out["Payload"].read() == b"part 0;part 1;"


def test_errors_before_the_stream_are_aws_errors(lam):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke_with_response_stream(FunctionName="nope")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["Error"]["Message"] == f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:nope"
    dry = lam.invoke_with_response_stream(FunctionName="buffered", InvocationType="DryRun")
    assert dry["StatusCode"] == 204


def test_a_node_function_streams_through_awslambda_streamify_response(lam):
    out = lam.invoke_with_response_stream(FunctionName="node-streamer")
    chunks = [(t, e["PayloadChunk"]["Payload"]) for t, e in read_events(out) if "PayloadChunk" in e]
    assert b"".join(c for _, c in chunks) == b"node 0;node 1;node 2;"
    assert len(chunks) >= 2 and chunks[-1][0] - chunks[0][0] > 0.3


def test_a_response_stream_url_sends_the_prelude_then_the_body_as_it_comes(gureum, lam):
    url = lam.create_function_url_config(FunctionName="node-http", AuthType="NONE", InvokeMode="RESPONSE_STREAM")
    assert url["InvokeMode"] == "RESPONSE_STREAM"
    lam.add_permission(FunctionName="node-http", StatementId="url", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE")
    url_id = url["FunctionUrl"].split("//")[1].split(".")[0]
    conn = http.client.HTTPConnection("127.0.0.1", gureum.port, timeout=10)
    conn.request("GET", f"/_aws/lambda-url/{url_id}/", headers={"Host": "localhost"})
    r = conn.getresponse()
    head_at = time.monotonic()
    assert r.status == 201
    assert r.getheader("X-Streamed") == "yes" and r.getheader("Content-Type") == "text/plain"
    assert r.getheader("Transfer-Encoding") == "chunked"
    body = r.read()
    # The head came before the function's second write, 0.4 s later.
    assert time.monotonic() - head_at > 0.3
    assert body == b"first second"


def test_streaming_functions_survive_a_restart(gureum):
    gureum.restart(kill=True)
    out = gureum.client("lambda").invoke_with_response_stream(FunctionName="streamer", Payload=json.dumps({"chunks": 1, "pause": 0}))
    assert [e["PayloadChunk"]["Payload"] for _, e in read_events(out) if "PayloadChunk" in e] == [b"part 0;"]
