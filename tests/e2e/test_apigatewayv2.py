"""API Gateway v2: HTTP APIs and WebSocket APIs whose routes really serve
requests on Gureum's port (host form `ID.execute-api.localhost` and
path-style `/_aws/execute-api/ID`), through real Python Lambda functions,
HTTP proxies, JWT authorizers checked against a key set served on
loopback, and WebSocket connections pushed to through `@connections`."""
import base64
import http.server
import io
import json
import os
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
import zipfile

import botocore.exceptions
import pytest
from conftest import lambda_role

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"

ECHO = """
import json
def handler(event, context):
    if event.get("rawPath", "").endswith("/plain"):
        return "just a string"
    if event.get("rawPath", "").endswith("/object"):
        return {"no": "statusCode"}
    if event.get("rawPath", "").endswith("/boom"):
        raise RuntimeError("boom")
    return {"statusCode": 201, "headers": {"x-echo": "yes"},
            "cookies": ["a=1", "b=2"], "body": json.dumps(event)}
"""

WS = """
import json, os, boto3
def handler(event, context):
    ctx = event["requestContext"]
    if ctx["eventType"] == "CONNECT":
        qs = event.get("queryStringParameters") or {}
        if qs.get("deny") == "1":
            return {"statusCode": 403}
        return {"statusCode": 200}
    if ctx["eventType"] == "DISCONNECT":
        sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="disconnects")["QueueUrl"],
                         MessageBody=ctx["connectionId"])
    if ctx["eventType"] == "MESSAGE" and ctx["routeKey"] == "echo":
        return {"statusCode": 200, "body": "echo " + event["body"]}
    if ctx["eventType"] == "MESSAGE":
        # The API's own @connections endpoint (path-style: *.localhost
        # names do not resolve inside every host).
        endpoint = f"{os.environ['AWS_ENDPOINT_URL']}/_aws/execute-api/{ctx['apiId']}/{ctx['stage']}"
        api = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint,
                           region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
        api.post_to_connection(ConnectionId=ctx["connectionId"], Data=json.dumps(
            {"route": ctx["routeKey"], "body": event.get("body"), "id": ctx["connectionId"]}).encode())
    return {"statusCode": 200}
"""


def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.fixture(scope="module")
def apigw(gureum):
    return gureum.client("apigatewayv2")


@pytest.fixture(scope="module")
def lam(gureum):
    lambda_role(gureum)
    return gureum.client("lambda")


def make_function(lam, name, code, env=None, allow=True):
    made = lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                               Code={"ZipFile": zipped({"app.py": code})},
                               Environment={"Variables": env or {}}, Timeout=30)
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    if allow:
        lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com",
                           SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*")
    return made["FunctionArn"]


def call(gureum, api_id, path, method="GET", headers=None, body=None, style="host"):
    """One request to the API; answers (status, headers, body bytes)."""
    if style == "host":
        url = f"http://127.0.0.1:{gureum.port}{path}"
        headers = {"Host": f"{api_id}.execute-api.localhost:{gureum.port}", **(headers or {})}
    else:
        url = f"http://127.0.0.1:{gureum.port}/_aws/execute-api/{api_id}{path}"
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


# --- control plane -----------------------------------------------------------

def test_an_unknown_api_is_not_found_with_the_account_in_the_message(apigw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.get_api(ApiId="nope123456")
    err = e.value.response["Error"]
    assert err["Code"] == "NotFoundException"
    assert err["Message"] == f"Invalid API identifier specified {ACCOUNT}:nope123456"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_http_apis_take_only_the_method_and_path_selection_expression(apigw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.create_api(Name="x", ProtocolType="HTTP", RouteSelectionExpression="$request.body.action")
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    assert "$request.method $request.path" in e.value.response["Error"]["Message"]


def test_a_route_key_with_a_greedy_variable_in_the_middle_is_refused(apigw):
    api = apigw.create_api(Name="keys", ProtocolType="HTTP")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.create_route(ApiId=api["ApiId"], RouteKey="GET /{proxy+}/more")
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    assert e.value.response["Error"]["Message"] == "One or more path parts appear to be invalid"
    made = apigw.create_route(ApiId=api["ApiId"], RouteKey="ANY /{proxy+}")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.create_route(ApiId=api["ApiId"], RouteKey="ANY /{proxy+}")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    got = apigw.get_routes(ApiId=api["ApiId"])["Items"]
    assert [r["RouteId"] for r in got] == [made["RouteId"]]
    apigw.delete_route(ApiId=api["ApiId"], RouteId=made["RouteId"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.get_route(ApiId=api["ApiId"], RouteId=made["RouteId"])
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def test_websocket_apis_need_a_route_selection_expression(gureum):
    code, _, err = gureum.aws("apigatewayv2", "create-api", "--name", "ws", "--protocol-type", "WEBSOCKET",
                              check=False)
    assert code != 0
    assert "BadRequestException" in err and "RouteSelectionExpression is required" in err


def test_the_cli_creates_and_lists_apis_stages_and_tags(gureum):
    _, api, _ = gureum.aws("apigatewayv2", "create-api", "--name", "cli-api", "--protocol-type", "HTTP",
                           "--tags", "team=blue")
    assert api["ProtocolType"] == "HTTP"
    assert api["RouteSelectionExpression"] == "$request.method $request.path"
    assert api["ApiEndpoint"] == f"http://{api['ApiId']}.execute-api.localhost:{gureum.port}"
    _, stage, _ = gureum.aws("apigatewayv2", "create-stage", "--api-id", api["ApiId"], "--stage-name", "prod")
    assert stage["StageName"] == "prod" and stage["AutoDeploy"] is False
    arn = f"arn:aws:apigateway:{REGION}::/apis/{api['ApiId']}"
    gureum.aws("apigatewayv2", "tag-resource", "--resource-arn", arn, "--tags", "env=test")
    _, tags, _ = gureum.aws("apigatewayv2", "get-tags", "--resource-arn", arn)
    assert tags["Tags"] == {"team": "blue", "env": "test"}
    _, listed, _ = gureum.aws("apigatewayv2", "get-apis")
    assert api["ApiId"] in [a["ApiId"] for a in listed["Items"]]


# --- HTTP APIs through Lambda ------------------------------------------------

@pytest.fixture(scope="module")
def http_api(apigw, lam):
    arn = make_function(lam, "echo", ECHO)
    api = apigw.create_api(Name="echo-api", ProtocolType="HTTP", Target=arn,
                           CorsConfiguration={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"]})
    api_id = api["ApiId"]
    integration = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                           PayloadFormatVersion="2.0")
    v1 = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                  PayloadFormatVersion="1.0")
    apigw.create_route(ApiId=api_id, RouteKey="GET /items/{id}",
                       Target=f"integrations/{integration['IntegrationId']}")
    apigw.create_route(ApiId=api_id, RouteKey="POST /v1/{proxy+}", Target=f"integrations/{v1['IntegrationId']}")
    return api_id


def test_quick_create_makes_a_default_route_integration_and_stage(apigw, http_api):
    routes = apigw.get_routes(ApiId=http_api)["Items"]
    default = [r for r in routes if r["RouteKey"] == "$default"]
    assert default and default[0]["ApiGatewayManaged"] is True
    stage = apigw.get_stage(ApiId=http_api, StageName="$default")
    assert stage["AutoDeploy"] is True
    integrations = apigw.get_integrations(ApiId=http_api)["Items"]
    assert {i["PayloadFormatVersion"] for i in integrations} == {"1.0", "2.0"}


def test_the_readmes_cli_quick_create_serves_the_function(gureum, lam, http_api):
    arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    _, api, _ = gureum.aws("apigatewayv2", "create-api", "--name", "hello", "--protocol-type", "HTTP",
                           "--target", arn)
    status, _, body = call(gureum, api["ApiId"], "/anything")
    assert status == 201
    assert json.loads(body)["routeKey"] == "$default"
    _, routes, _ = gureum.aws("apigatewayv2", "get-routes", "--api-id", api["ApiId"])
    assert [r["RouteKey"] for r in routes["Items"]] == ["$default"]


def test_a_lambda_route_gets_the_payload_2_event_through_the_host_form(gureum, http_api):
    status, headers, body = call(gureum, http_api, "/items/42?a=1&a=2&b=x", headers={
        "Cookie": "c1=v1; c2=v2", "X-Custom": "hello", "User-Agent": "gureum-test"})
    assert status == 201
    assert headers["x-echo"] == "yes"
    assert headers.get_all("set-cookie") == ["a=1", "b=2"]
    event = json.loads(body)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/42"
    assert event["rawQueryString"] == "a=1&a=2&b=x"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-custom"] == "hello"
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["accountId"] == ACCOUNT and ctx["apiId"] == http_api
    assert ctx["stage"] == "$default" and ctx["routeKey"] == "GET /items/{id}"
    assert ctx["http"] == {"method": "GET", "path": "/items/42", "protocol": "HTTP/1.1",
                           "sourceIp": "127.0.0.1", "userAgent": "gureum-test"}
    assert ctx["domainPrefix"] == http_api
    assert isinstance(ctx["timeEpoch"], int)


def test_the_path_style_form_reaches_the_same_api(gureum, http_api):
    status, _, body = call(gureum, http_api, "/items/7", method="GET", style="path")
    assert status == 201
    assert json.loads(body)["pathParameters"] == {"id": "7"}


def test_the_default_route_catches_what_no_other_route_matches(gureum, http_api):
    status, _, body = call(gureum, http_api, "/items", method="POST", body=b'{"k": 1}',
                           headers={"Content-Type": "application/json"})
    assert status == 201
    event = json.loads(body)
    assert event["routeKey"] == "$default"
    assert event["body"] == '{"k": 1}'


def test_a_binary_body_reaches_the_function_base64_encoded(gureum, http_api):
    status, _, body = call(gureum, http_api, "/upload", method="PUT", body=b"\x00\xff\x10",
                           headers={"Content-Type": "application/octet-stream"})
    event = json.loads(body)
    assert status == 201
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xff\x10"


def test_payload_1_routes_get_the_rest_style_event(gureum, http_api):
    status, _, body = call(gureum, http_api, "/v1/a/b?q=1", method="POST", body=b"hi",
                           headers={"Content-Type": "text/plain"})
    assert status == 201
    event = json.loads(body)
    assert event["version"] == "1.0"
    assert event["httpMethod"] == "POST"
    assert event["resource"] == "/v1/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b"}
    assert event["queryStringParameters"] == {"q": "1"}
    assert event["multiValueQueryStringParameters"] == {"q": ["1"]}
    assert event["body"] == "hi"


def test_a_plain_string_or_object_answer_becomes_a_200_json_body(gureum, http_api):
    status, headers, body = call(gureum, http_api, "/plain")
    assert (status, body) == (200, b"just a string")
    assert headers["content-type"] == "application/json"
    status, _, body = call(gureum, http_api, "/object")
    assert status == 200 and json.loads(body) == {"no": "statusCode"}


def test_a_function_error_is_an_internal_server_error(gureum, http_api):
    status, _, body = call(gureum, http_api, "/boom")
    assert status == 500
    assert json.loads(body) == {"message": "Internal Server Error"}


def test_cors_preflights_are_answered_by_the_api(gureum, http_api):
    status, headers, _ = call(gureum, http_api, "/items/1", method="OPTIONS", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert status == 204
    assert headers["access-control-allow-origin"] == "https://app.example"
    assert "POST" in headers["access-control-allow-methods"]
    _, headers, _ = call(gureum, http_api, "/items/1", headers={"Origin": "https://app.example"})
    assert headers["access-control-allow-origin"] == "https://app.example"


def test_a_function_whose_policy_does_not_allow_api_gateway_is_not_invoked(gureum, apigw, lam):
    arn = make_function(lam, "closed", ECHO, allow=False)
    api = apigw.create_api(Name="closed-api", ProtocolType="HTTP", Target=arn)
    status, _, body = call(gureum, api["ApiId"], "/anything")
    assert status == 500
    assert json.loads(body) == {"message": "Internal Server Error"}


def test_a_body_over_10_mb_is_refused_before_the_function(gureum, http_api):
    status, _, body = call(gureum, http_api, "/items/1", method="POST", body=b"x" * (10 * 1024 * 1024 + 1),
                           headers={"Content-Type": "text/plain"})
    assert (status, json.loads(body)) == (413, {"message": "Request Entity Too Large"})


def test_no_matching_route_and_no_stage_are_not_found(gureum, apigw):
    api = apigw.create_api(Name="empty", ProtocolType="HTTP")
    status, _, body = call(gureum, api["ApiId"], "/x")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    status, _, body = call(gureum, api["ApiId"], "/x")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_a_named_stage_is_the_first_path_segment(gureum, apigw, lam, http_api):
    arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    api = apigw.create_api(Name="staged", ProtocolType="HTTP")
    i = apigw.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                 PayloadFormatVersion="2.0")
    apigw.create_route(ApiId=api["ApiId"], RouteKey="GET /hello", Target=f"integrations/{i['IntegrationId']}")
    apigw.create_stage(ApiId=api["ApiId"], StageName="prod", AutoDeploy=True,
                       StageVariables={"color": "red"})
    status, _, body = call(gureum, api["ApiId"], "/prod/hello")
    assert status == 201
    event = json.loads(body)
    assert event["requestContext"]["stage"] == "prod"
    assert event["rawPath"] == "/prod/hello"
    assert event["stageVariables"] == {"color": "red"}
    status, _, _ = call(gureum, api["ApiId"], "/hello")
    assert status == 404


def test_a_stage_without_auto_deploy_serves_its_last_deployment(gureum, apigw, lam, http_api):
    arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    api = apigw.create_api(Name="deployed", ProtocolType="HTTP")
    i = apigw.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                 PayloadFormatVersion="2.0")
    apigw.create_route(ApiId=api["ApiId"], RouteKey="GET /v1", Target=f"integrations/{i['IntegrationId']}")
    apigw.create_stage(ApiId=api["ApiId"], StageName="live")
    status, _, _ = call(gureum, api["ApiId"], "/live/v1")
    assert status == 404
    apigw.create_deployment(ApiId=api["ApiId"], StageName="live")
    apigw.create_route(ApiId=api["ApiId"], RouteKey="GET /v2", Target=f"integrations/{i['IntegrationId']}")
    assert call(gureum, api["ApiId"], "/live/v1")[0] == 201
    assert call(gureum, api["ApiId"], "/live/v2")[0] == 404
    apigw.create_deployment(ApiId=api["ApiId"], StageName="live")
    assert call(gureum, api["ApiId"], "/live/v2")[0] == 201


SLOW = """
import time
def handler(event, context):
    time.sleep(3)
    return {"statusCode": 200, "body": "late"}
"""


def test_an_integration_slower_than_its_timeout_is_service_unavailable(gureum, apigw, lam):
    arn = make_function(lam, "slow", SLOW)
    api = apigw.create_api(Name="slow", ProtocolType="HTTP")
    i = apigw.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                 PayloadFormatVersion="2.0", TimeoutInMillis=1000)
    apigw.create_route(ApiId=api["ApiId"], RouteKey="$default", Target=f"integrations/{i['IntegrationId']}")
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    started = time.time()
    status, _, body = call(gureum, api["ApiId"], "/")
    assert (status, json.loads(body)) == (503, {"message": "Service Unavailable"})
    assert time.time() - started < 2.9


def test_an_api_with_its_endpoint_disabled_answers_forbidden(gureum, apigw, lam, http_api):
    arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    api = apigw.create_api(Name="hidden", ProtocolType="HTTP", Target=arn)
    assert call(gureum, api["ApiId"], "/x")[0] == 201
    apigw.update_api(ApiId=api["ApiId"], DisableExecuteApiEndpoint=True)
    status, _, body = call(gureum, api["ApiId"], "/x")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})


def test_a_stage_throttles_past_its_burst_with_429(gureum, apigw, lam, http_api):
    arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    api = apigw.create_api(Name="throttled", ProtocolType="HTTP", Target=arn)
    apigw.update_stage(ApiId=api["ApiId"], StageName="$default",
                       DefaultRouteSettings={"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.01})
    assert call(gureum, api["ApiId"], "/a")[0] == 201
    status, _, body = call(gureum, api["ApiId"], "/a")
    assert (status, json.loads(body)) == (429, {"message": "Too Many Requests"})


def test_a_stage_writes_access_logs_in_its_format(gureum, apigw, lam, http_api):
    logs = gureum.client("logs")
    logs.create_log_group(logGroupName="/apigw/access")
    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/apigw/access:*"
    arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    api = apigw.create_api(Name="logged", ProtocolType="HTTP", Target=arn)
    apigw.update_stage(ApiId=api["ApiId"], StageName="$default", AccessLogSettings={
        "DestinationArn": group_arn,
        "Format": '{"requestId":"$context.requestId","route":"$context.routeKey","status":"$context.status",'
                  '"ip":"$context.identity.sourceIp"}'})
    _, headers, _ = call(gureum, api["ApiId"], "/logged")
    deadline = time.time() + 10
    lines = []
    while not lines and time.time() < deadline:
        lines = logs.filter_log_events(logGroupName="/apigw/access")["events"]
        time.sleep(0.2)
    assert [json.loads(e["message"]) for e in lines] == [{
        "requestId": headers["apigw-requestid"], "route": "$default", "status": "201", "ip": "127.0.0.1"}]


def test_requests_are_counted_in_cloudwatch_by_api_and_stage(gureum, apigw, lam, http_api):
    import datetime

    arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    api = apigw.create_api(Name="metered", ProtocolType="HTTP", Target=arn)
    call(gureum, api["ApiId"], "/ok")
    call(gureum, api["ApiId"], "/boom")
    cw = gureum.client("cloudwatch")
    now = datetime.datetime.now(datetime.timezone.utc)
    dims = [{"Name": "ApiId", "Value": api["ApiId"]}, {"Name": "Stage", "Value": "$default"}]

    def total(name):
        points = cw.get_metric_statistics(Namespace="AWS/ApiGateway", MetricName=name, Dimensions=dims,
                                          StartTime=now - datetime.timedelta(minutes=5),
                                          EndTime=now + datetime.timedelta(minutes=5),
                                          Period=60, Statistics=["Sum"])["Datapoints"]
        return sum(p["Sum"] for p in points)

    deadline = time.time() + 10
    while total("Count") < 2 and time.time() < deadline:
        time.sleep(0.2)
    assert (total("Count"), total("5xx"), total("4xx")) == (2, 1, 0)
    assert total("IntegrationLatency") > 0


# --- HTTP proxy --------------------------------------------------------------

class _Upstream(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path, "hdr": self.headers.get("X-Up")}).encode()
        self.send_response(203)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def loopback_server():
    servers = []

    def start(handler):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def test_an_http_proxy_route_forwards_to_its_url(gureum, apigw, loopback_server):
    base = loopback_server(_Upstream)
    api = apigw.create_api(Name="proxy", ProtocolType="HTTP")
    i = apigw.create_integration(ApiId=api["ApiId"], IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                 IntegrationUri=base + "/up/{proxy}", PayloadFormatVersion="1.0")
    apigw.create_route(ApiId=api["ApiId"], RouteKey="GET /p/{proxy+}", Target=f"integrations/{i['IntegrationId']}")
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    status, _, body = call(gureum, api["ApiId"], "/p/x/y?z=1", headers={"X-Up": "v"})
    assert status == 203
    assert json.loads(body) == {"path": "/up/x/y?z=1", "hdr": "v"}


def test_parameter_mapping_rewrites_what_an_http_proxy_forwards(gureum, apigw, loopback_server):
    base = loopback_server(_Upstream)
    api = apigw.create_api(Name="mapped", ProtocolType="HTTP")
    i = apigw.create_integration(ApiId=api["ApiId"], IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                 IntegrationUri=base, PayloadFormatVersion="1.0", RequestParameters={
                                     "overwrite:path": "/v2/things/$request.path.id",
                                     "overwrite:header.X-Up": "from ${request.querystring.who}",
                                     "append:querystring.stage": "$context.stage"},
                                 ResponseParameters={"203": {"overwrite:statuscode": "200",
                                                             "append:header.x-mapped": "$context.routeKey"}})
    apigw.create_route(ApiId=api["ApiId"], RouteKey="GET /things/{id}", Target=f"integrations/{i['IntegrationId']}")
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    status, headers, body = call(gureum, api["ApiId"], "/things/7?who=kim", headers={"X-Up": "ignored"})
    assert status == 200
    assert headers["x-mapped"] == "GET /things/{id}"
    assert json.loads(body) == {"path": "/v2/things/7?who=kim&stage=%24default", "hdr": "from kim"}


# --- JWT authorizers ---------------------------------------------------------

def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def issuer(loopback_server):
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwks = {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
                      "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                      "e": _b64(numbers.e.to_bytes(3, "big"))}]}

    class Keys(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/.well-known/jwks.json":
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps(jwks).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    url = loopback_server(Keys)
    return url, key


def sign(key, claims, kid="k1"):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    head = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
    body = _b64(json.dumps(claims).encode())
    sig = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{_b64(sig)}"


def test_a_jwt_authorizer_refuses_bad_tokens_and_admits_a_good_one(gureum, apigw, lam, issuer, http_api):
    url, key = issuer
    arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    api = apigw.create_api(Name="secured", ProtocolType="HTTP")
    auth = apigw.create_authorizer(ApiId=api["ApiId"], AuthorizerType="JWT", Name="jwt",
                                   IdentitySource=["$request.header.Authorization"],
                                   JwtConfiguration={"Issuer": url, "Audience": ["my-app"]})
    i = apigw.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                 PayloadFormatVersion="2.0")
    apigw.create_route(ApiId=api["ApiId"], RouteKey="GET /me", AuthorizationType="JWT",
                       AuthorizerId=auth["AuthorizerId"], AuthorizationScopes=["read"],
                       Target=f"integrations/{i['IntegrationId']}")
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    now = int(time.time())
    good = {"iss": url, "aud": "my-app", "sub": "user-1", "exp": now + 600, "nbf": now - 10, "scope": "read write"}

    status, _, body = call(gureum, api["ApiId"], "/me")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    for bad in [dict(good, aud="other"), dict(good, exp=now - 5), dict(good, iss="http://elsewhere"),
                dict(good, nbf=now + 600)]:
        status, _, body = call(gureum, api["ApiId"], "/me", headers={"Authorization": "Bearer " + sign(key, bad)})
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"}), bad
    forged = sign(key, good)[:-4] + "AAAA"
    status, _, _ = call(gureum, api["ApiId"], "/me", headers={"Authorization": "Bearer " + forged})
    assert status == 401
    status, _, body = call(gureum, api["ApiId"], "/me",
                           headers={"Authorization": "Bearer " + sign(key, dict(good, scope="other"))})
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})

    status, _, body = call(gureum, api["ApiId"], "/me", headers={"Authorization": "Bearer " + sign(key, good)})
    assert status == 201
    jwt = json.loads(body)["requestContext"]["authorizer"]["jwt"]
    assert jwt["claims"]["sub"] == "user-1"
    assert jwt["claims"]["exp"] == str(now + 600)
    assert jwt["scopes"] == ["read", "write"]


AUTHORIZER = """
import uuid
def handler(event, context):
    token = event["headers"].get("authorization")
    return {"isAuthorized": token == "letmein",
            "context": {"user": "kim", "route": event["routeKey"], "run": str(uuid.uuid4())}}
"""


def test_a_lambda_request_authorizer_decides_with_a_simple_response(gureum, apigw, lam, http_api):
    auth_arn = make_function(lam, "authz", AUTHORIZER)
    arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    api = apigw.create_api(Name="lambda-authz", ProtocolType="HTTP")
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{auth_arn}/invocations"
    auth = apigw.create_authorizer(ApiId=api["ApiId"], AuthorizerType="REQUEST", Name="l", AuthorizerUri=uri,
                                   IdentitySource=["$request.header.Authorization"],
                                   AuthorizerPayloadFormatVersion="2.0", EnableSimpleResponses=True)
    i = apigw.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                 PayloadFormatVersion="2.0")
    apigw.create_route(ApiId=api["ApiId"], RouteKey="GET /private", AuthorizationType="CUSTOM",
                       AuthorizerId=auth["AuthorizerId"], Target=f"integrations/{i['IntegrationId']}")
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)

    status, _, body = call(gureum, api["ApiId"], "/private")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    status, _, body = call(gureum, api["ApiId"], "/private", headers={"Authorization": "wrong"})
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    status, _, body = call(gureum, api["ApiId"], "/private", headers={"Authorization": "letmein"})
    assert status == 201
    first = json.loads(body)["requestContext"]["authorizer"]["lambda"]
    assert (first["user"], first["route"]) == ("kim", "GET /private")
    # Without a TTL the authorizer runs for every request.
    _, _, body = call(gureum, api["ApiId"], "/private", headers={"Authorization": "letmein"})
    assert json.loads(body)["requestContext"]["authorizer"]["lambda"]["run"] != first["run"]

    # With one, its decision for the same identity is reused.
    cached = apigw.create_authorizer(ApiId=api["ApiId"], AuthorizerType="REQUEST", Name="c", AuthorizerUri=uri,
                                     IdentitySource=["$request.header.Authorization"],
                                     AuthorizerPayloadFormatVersion="2.0", EnableSimpleResponses=True,
                                     AuthorizerResultTtlInSeconds=300)
    apigw.create_route(ApiId=api["ApiId"], RouteKey="GET /cached", AuthorizationType="CUSTOM",
                       AuthorizerId=cached["AuthorizerId"], Target=f"integrations/{i['IntegrationId']}")
    runs = set()
    for _ in range(2):
        _, _, body = call(gureum, api["ApiId"], "/cached", headers={"Authorization": "letmein"})
        runs.add(json.loads(body)["requestContext"]["authorizer"]["lambda"]["run"])
    assert len(runs) == 1


def signed(gureum, api_id, path, key, secret):
    """A GET signed with SigV4 for execute-api, by the host form."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials

    host = f"{api_id}.execute-api.localhost:{gureum.port}"
    req = botocore.awsrequest.AWSRequest(method="GET", url=f"http://{host}{path}")
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "execute-api", REGION).add_auth(req)
    headers = {k: v for k, v in req.prepare().headers.items() if k.lower() != "host"}
    return call(gureum, api_id, path, headers=headers)


def test_an_iam_route_admits_signed_callers_their_policies_allow(gureum, apigw, lam, http_api):
    arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    api = apigw.create_api(Name="iam", ProtocolType="HTTP")
    api_id = api["ApiId"]
    i = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                 PayloadFormatVersion="2.0")
    apigw.create_route(ApiId=api_id, RouteKey="GET /iam", AuthorizationType="AWS_IAM",
                       Target=f"integrations/{i['IntegrationId']}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    iam = gureum.client("iam")
    iam.create_user(UserName="caller")
    k = iam.create_access_key(UserName="caller")["AccessKey"]

    status, _, body = call(gureum, api_id, "/iam")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    status, _, body = signed(gureum, api_id, "/iam", k["AccessKeyId"], k["SecretAccessKey"])
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    status, _, _ = signed(gureum, api_id, "/iam", k["AccessKeyId"], "wrong-secret")
    assert status == 403
    iam.put_user_policy(UserName="caller", PolicyName="invoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke",
        "Resource": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*/GET/iam"}]}))
    status, _, body = signed(gureum, api_id, "/iam", k["AccessKeyId"], k["SecretAccessKey"])
    assert status == 201
    who = json.loads(body)["requestContext"]["authorizer"]["iam"]
    assert who["userArn"] == f"arn:aws:iam::{ACCOUNT}:user/caller"
    assert who["accessKey"] == k["AccessKeyId"]


# --- WebSocket APIs ----------------------------------------------------------

class WsClient:
    """A minimal RFC 6455 client: enough to connect, send text and read frames."""

    def __init__(self, port, host, path="/"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        self.status = int(head.split(b" ")[1]) if head else 0
        self.head = head.decode(errors="replace")
        self.buf = b""

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        header += bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + struct.pack(">H", len(data))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """The next text message (pings are skipped); None on close."""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 8:
                return None
            if op in (1, 2):
                return payload.decode()

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def ws_api(gureum, apigw, lam):
    arn = make_function(lam, "ws", WS)
    api = apigw.create_api(Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    api_id = api["ApiId"]
    assert api["ApiEndpoint"] == f"ws://{api_id}.execute-api.localhost:{gureum.port}"
    i = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn)
    for key in ["$connect", "$disconnect", "$default", "send"]:
        apigw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{i['IntegrationId']}")
    echo = apigw.create_route(ApiId=api_id, RouteKey="echo", RouteResponseSelectionExpression="$default",
                              Target=f"integrations/{i['IntegrationId']}")
    apigw.create_route_response(ApiId=api_id, RouteId=echo["RouteId"], RouteResponseKey="$default")
    apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    return api_id


def test_a_two_way_route_answers_the_client_with_the_functions_body(gureum, ws_api):
    # (Path-style, this time.)
    ws = WsClient(gureum.port, f"127.0.0.1:{gureum.port}", f"/_aws/execute-api/{ws_api}/prod")
    try:
        assert ws.status == 101, ws.head
        ws.send('{"action": "echo"}')
        assert ws.recv() == 'echo {"action": "echo"}'
    finally:
        ws.close()


def test_a_websocket_client_gets_messages_pushed_through_post_to_connection(gureum, ws_api):
    queue = gureum.client("sqs").create_queue(QueueName="disconnects")["QueueUrl"]
    ws = WsClient(gureum.port, f"{ws_api}.execute-api.localhost:{gureum.port}", "/prod")
    try:
        assert ws.status == 101, ws.head
        ws.send(json.dumps({"action": "send", "text": "hi"}))
        pushed = json.loads(ws.recv())
        assert pushed["route"] == "send"
        assert json.loads(pushed["body"]) == {"action": "send", "text": "hi"}
        ws.send("not json at all")
        pushed = json.loads(ws.recv())
        assert pushed["route"] == "$default"
        assert pushed["body"] == "not json at all"

        mgmt = gureum.client("apigatewaymanagementapi")
        conn = mgmt.get_connection(ConnectionId=pushed["id"])
        unsigned = urllib.request.Request(
            f"{gureum.endpoint}/_aws/execute-api/{ws_api}/prod/@connections/{pushed['id']}")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(unsigned, timeout=30)
        assert refused.value.code == 403
        assert json.loads(refused.value.read()) == {"message": "Forbidden"}
        assert conn["Identity"]["SourceIp"] == "127.0.0.1"
        mgmt.post_to_connection(ConnectionId=pushed["id"], Data=b"from the test")
        assert ws.recv() == "from the test"
        mgmt.delete_connection(ConnectionId=pushed["id"])
        assert ws.recv() is None
        # `$disconnect` ran: its function (reaching Gureum through the
        # AWS_ENDPOINT_URL Lambda gives it) reported the connection id.
        # (Other tests' connections may report theirs to the same queue.)
        sqs = gureum.client("sqs")
        reported = set()
        deadline = time.time() + 30
        while pushed["id"] not in reported and time.time() < deadline:
            got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5, MaxNumberOfMessages=10)
            reported.update(m["Body"] for m in got.get("Messages", []))
        assert pushed["id"] in reported
        with pytest.raises(botocore.exceptions.ClientError) as e:
            mgmt.post_to_connection(ConnectionId=pushed["id"], Data=b"late")
        assert e.value.response["Error"]["Code"] == "GoneException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    finally:
        ws.close()


def test_a_message_over_128_kb_closes_the_connection(gureum, ws_api):
    ws = WsClient(gureum.port, f"{ws_api}.execute-api.localhost:{gureum.port}", "/prod")
    try:
        assert ws.status == 101
        data = b"x" * (128 * 1024 + 1)
        mask = os.urandom(4)
        ws.sock.sendall(bytes([0x81, 0x80 | 127]) + struct.pack(">Q", len(data)) + mask
                        + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
        assert ws.recv() is None
    finally:
        ws.close()


def test_a_connect_route_requiring_an_api_key_refuses_connections(gureum, apigw, lam, ws_api):
    arn = lam.get_function(FunctionName="ws")["Configuration"]["FunctionArn"]
    api = apigw.create_api(Name="keyed", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    i = apigw.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=arn)
    apigw.create_route(ApiId=api["ApiId"], RouteKey="$connect", ApiKeyRequired=True,
                       Target=f"integrations/{i['IntegrationId']}")
    apigw.create_stage(ApiId=api["ApiId"], StageName="prod", AutoDeploy=True)
    ws = WsClient(gureum.port, f"{api['ApiId']}.execute-api.localhost:{gureum.port}", "/prod")
    try:
        assert ws.status == 403
    finally:
        ws.close()


WS_AUTHORIZER = """
def handler(event, context):
    token = (event.get("queryStringParameters") or {}).get("token")
    effect = "Allow" if token == "ok" else "Deny"
    return {"principalId": "me", "context": {"who": "kim"}, "policyDocument": {"Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
"""


def test_a_connect_authorizer_admits_only_what_its_policy_allows(gureum, apigw, lam, ws_api):
    auth_arn = make_function(lam, "ws-authz", WS_AUTHORIZER)
    arn = lam.get_function(FunctionName="ws")["Configuration"]["FunctionArn"]
    api = apigw.create_api(Name="guarded", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    api_id = api["ApiId"]
    auth = apigw.create_authorizer(ApiId=api_id, AuthorizerType="REQUEST", Name="a",
                                   AuthorizerUri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{auth_arn}/invocations",
                                   IdentitySource=["route.request.querystring.token"])
    i = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn)
    apigw.create_route(ApiId=api_id, RouteKey="$connect", AuthorizationType="CUSTOM",
                       AuthorizerId=auth["AuthorizerId"], Target=f"integrations/{i['IntegrationId']}")
    apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    host = f"{api_id}.execute-api.localhost:{gureum.port}"
    for path, status in [("/prod", 401), ("/prod?token=bad", 403), ("/prod?token=ok", 101)]:
        ws = WsClient(gureum.port, host, path)
        try:
            assert ws.status == status, path
        finally:
            ws.close()


def test_the_connect_function_may_refuse_the_connection(gureum, ws_api):
    ws = WsClient(gureum.port, f"{ws_api}.execute-api.localhost:{gureum.port}", "/prod?deny=1")
    try:
        assert ws.status == 403
    finally:
        ws.close()


# --- persistence -------------------------------------------------------------

def test_apis_routes_and_stages_survive_a_restart(gureum, http_api):
    gureum.restart(kill=True)
    apigw = gureum.client("apigatewayv2")
    assert apigw.get_api(ApiId=http_api)["Name"] == "echo-api"
    keys = {r["RouteKey"] for r in apigw.get_routes(ApiId=http_api)["Items"]}
    assert keys == {"$default", "GET /items/{id}", "POST /v1/{proxy+}"}
    status, _, body = call(gureum, http_api, "/items/9")
    assert status == 201
    assert json.loads(body)["pathParameters"] == {"id": "9"}


def test_health_lists_the_execute_api_data_plane(gureum):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        health = json.load(r)
    assert "execute_api_v2" in health["endpoints"]
