"""API Gateway REST APIs that serve real requests: a Lambda proxy (a Python
function really runs), a mapping-template AWS integration, a MOCK, over plain
HTTP by Host header and by the path-style URL; API Gateway's own answers for
unknown routes and refused Lambda permissions; errors as AWS words them; and
APIs and deployments kept across a restart."""
import io
import json
import re
import urllib.error
import urllib.request
import zipfile

import botocore.exceptions
import pytest
from conftest import lambda_role

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"

PROXY_FN = """
import json
def handler(event, context):
    return {"statusCode": 201, "headers": {"X-From": "lambda"},
            "multiValueHeaders": {"X-Multi": ["a", "b"]},
            "body": json.dumps({"event": event})}
"""

PLAIN_FN = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("Bad input: fail was set")
    return {"doubled": event["n"] * 2, "who": event["who"]}
"""


def zipped(source):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", source)
    return buf.getvalue()


@pytest.fixture(scope="module")
def apigw(gureum):
    return gureum.client("apigateway")


@pytest.fixture(scope="module")
def lam(gureum):
    lambda_role(gureum)
    return gureum.client("lambda")


def function(lam, name, source):
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                              Code={"ZipFile": zipped(source)})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return arn


def lambda_uri(arn):
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"


def allow(lam, name, api_id):
    lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*")


def call(gureum, api_id, stage, path, method="GET", body=None, headers=None, by_path=False):
    """An HTTP request to the invoke URL: Host header, or path-style."""
    headers = dict(headers or {})
    if by_path:
        url = f"{gureum.endpoint}/_aws/execute-api/{api_id}/{stage}{path}"
    else:
        url = f"{gureum.endpoint}/{stage}{path}"
        headers["Host"] = f"{api_id}.execute-api.localhost:{gureum.port}"
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def proxy_api(apigw, name, function_arn):
    api = apigw.create_rest_api(name=name)
    proxy = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")
    apigw.put_method(restApiId=api["id"], resourceId=proxy["id"], httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=proxy["id"], httpMethod="ANY", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=lambda_uri(function_arn))
    apigw.create_deployment(restApiId=api["id"], stageName="prod", variables={"color": "blue"})
    return api["id"]


def test_a_lambda_proxy_serves_requests_by_host_and_by_path(gureum, apigw, lam):
    arn = function(lam, "proxy-fn", PROXY_FN)
    api_id = proxy_api(apigw, "proxy", arn)
    allow(lam, "proxy-fn", api_id)
    status, headers, body = call(gureum, api_id, "prod", "/pets/7?kind=cat&kind=dog", method="POST",
                                 body='{"a": 1}', headers={"Content-Type": "application/json"})
    assert status == 201, body
    assert headers["X-From"] == "lambda"
    assert headers.get_all("X-Multi") == ["a", "b"]
    event = json.loads(body)["event"]
    assert event["resource"] == "/{proxy+}"
    assert event["path"] == "/pets/7"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"proxy": "pets/7"}
    assert event["queryStringParameters"] == {"kind": "dog"}
    assert event["multiValueQueryStringParameters"] == {"kind": ["cat", "dog"]}
    assert event["stageVariables"] == {"color": "blue"}
    assert event["body"] == '{"a": 1}'
    assert event["isBase64Encoded"] is False
    assert event["headers"]["Content-Type"] == "application/json"
    ctx = event["requestContext"]
    assert (ctx["stage"], ctx["resourcePath"], ctx["apiId"], ctx["accountId"]) == ("prod", "/{proxy+}", api_id, ACCOUNT)
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    status, _, body = call(gureum, api_id, "prod", "/a/b", method="PUT", body="put body", by_path=True)
    assert status == 201
    event = json.loads(body)["event"]
    assert (event["pathParameters"], event["httpMethod"], event["body"]) == ({"proxy": "a/b"}, "PUT", "put body")


def test_a_function_without_permission_answers_internal_server_error(gureum, apigw, lam):
    arn = function(lam, "no-permission-fn", PROXY_FN)
    api_id = proxy_api(apigw, "no-permission", arn)
    status, _, body = call(gureum, api_id, "prod", "/x")
    assert (status, json.loads(body)) == (500, {"message": "Internal server error"})


def test_unknown_routes_and_stages_answer_as_api_gateway(gureum, apigw):
    api = apigw.create_rest_api(name="routes")
    apigw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api["id"], stageName="v1")
    status, headers, body = call(gureum, api["id"], "v1", "/nothing/here")
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    status, _, body = call(gureum, api["id"], "v1", "/", method="DELETE")
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    status, _, body = call(gureum, api["id"], "nostage", "/")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})


def test_a_mock_answers_through_its_templates_over_plain_http(gureum):
    def cli(*args):
        return gureum.aws("apigateway", *args)[1]
    api = cli("create-rest-api", "--name", "mock")
    res = cli("create-resource", "--rest-api-id", api["id"], "--parent-id", api["rootResourceId"], "--path-part", "hello")
    common = ["--rest-api-id", api["id"], "--resource-id", res["id"], "--http-method", "GET"]
    cli("put-method", *common, "--authorization-type", "NONE")
    cli("put-integration", *common, "--type", "MOCK",
        "--request-templates", json.dumps({"application/json": '{"statusCode": 200}'}))
    cli("put-method-response", *common, "--status-code", "200")
    cli("put-integration-response", *common, "--status-code", "200",
        "--response-templates", json.dumps({"application/json": '{"hello": "$input.params(\'name\')", "stage": "$context.stage"}'}))
    cli("create-deployment", "--rest-api-id", api["id"], "--stage-name", "dev")
    for by_path in (False, True):
        status, headers, body = call(gureum, api["id"], "dev", "/hello?name=kim", by_path=by_path)
        assert status == 200
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body) == {"hello": "kim", "stage": "dev"}
    tested = gureum.client("apigateway").test_invoke_method(
        restApiId=api["id"], resourceId=res["id"], httpMethod="GET", pathWithQueryString="/hello?name=lee")
    assert tested["status"] == 200
    assert json.loads(tested["body"]) == {"hello": "lee", "stage": "test-invoke-stage"}


def test_an_aws_integration_maps_request_and_response_with_templates(gureum, apigw, lam):
    arn = function(lam, "plain-fn", PLAIN_FN)
    api = apigw.create_rest_api(name="mapped")
    res = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{who}")
    m = dict(restApiId=api["id"], resourceId=res["id"], httpMethod="POST")
    apigw.put_method(**m, authorizationType="NONE")
    apigw.put_integration(**m, type="AWS", integrationHttpMethod="POST", uri=lambda_uri(arn),
                          requestTemplates={"application/json": '#set($b = $input.path(\'$\'))\n'
                                            '{"n": $b.n, "who": "$input.params(\'who\')", "fail": $b.fail}'})
    apigw.put_method_response(**m, statusCode="200")
    apigw.put_method_response(**m, statusCode="400")
    apigw.put_integration_response(**m, statusCode="200",
                                   responseTemplates={"application/json": '{"result": $input.json(\'$.doubled\'), "for": "$input.path(\'$.who\')"}'})
    apigw.put_integration_response(**m, statusCode="400", selectionPattern="Bad input.*",
                                   responseTemplates={"application/json": '{"error": "$util.escapeJavaScript($input.path(\'$.errorMessage\'))"}'})
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    allow(lam, "plain-fn", api["id"])
    status, _, body = call(gureum, api["id"], "prod", "/lee", method="POST", body='{"n": 21, "fail": false}',
                           headers={"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (200, {"result": 42, "for": "lee"})
    status, _, body = call(gureum, api["id"], "prod", "/lee", method="POST", body='{"n": 1, "fail": true}',
                           headers={"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (400, {"error": "Bad input: fail was set"})


def test_api_keys_are_required_and_quotas_enforced(gureum, apigw):
    api = apigw.create_rest_api(name="keyed")
    m = dict(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET")
    apigw.put_method(**m, authorizationType="NONE", apiKeyRequired=True)
    apigw.put_integration(**m, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(**m, statusCode="200")
    apigw.put_integration_response(**m, statusCode="200", responseTemplates={"application/json": '{"ok": true}'})
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    key = apigw.create_api_key(name="k", enabled=True)
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api["id"], "stage": "prod"}],
                                   quota={"limit": 1, "period": "DAY"})
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    status, _, body = call(gureum, api["id"], "prod", "/")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    status, _, body = call(gureum, api["id"], "prod", "/", headers={"x-api-key": key["value"]})
    assert (status, json.loads(body)) == (200, {"ok": True})
    status, _, body = call(gureum, api["id"], "prod", "/", headers={"x-api-key": key["value"]})
    assert (status, json.loads(body)) == (429, {"message": "Limit Exceeded"})
    got = apigw.get_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert (got["id"], got["type"], got["value"]) == (key["id"], "API_KEY", key["value"])
    other = apigw.create_api_key(name="other")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.get_usage_plan_key(usagePlanId=plan["id"], keyId=other["id"])
    assert e.value.response["Error"]["Message"] == "Invalid Usage Plan Key identifier specified"


def test_control_plane_errors_carry_api_gateways_messages(apigw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.get_rest_api(restApiId="abcdefghij")
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    assert e.value.response["Error"]["Message"] == f"Invalid API identifier specified {ACCOUNT}:abcdefghij"
    api = apigw.create_rest_api(name="errors")
    apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="users")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="users")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    assert e.value.response["Error"]["Message"] == "Another resource with the same parent already has this name: users"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.create_deployment(restApiId=api["id"], stageName="prod")
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    assert e.value.response["Error"]["Message"] == "The REST API doesn't contain any methods"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.get_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET")
    assert e.value.response["Error"]["Message"] == "Invalid Method identifier specified"
    updated = apigw.update_rest_api(restApiId=api["id"], patchOperations=[{"op": "replace", "path": "/description", "value": "d"}])
    assert updated["description"] == "d"
    apigw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", authorizationType="NONE")
    method = apigw.update_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET",
                                 patchOperations=[{"op": "replace", "path": "/apiKeyRequired", "value": "true"}])
    assert method["apiKeyRequired"] is True
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", authorizationType="NONE")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    assert e.value.response["Error"]["Message"] == "Method already exists for this resource"
    assert re.fullmatch(r"[a-z0-9]{10}", api["id"]), api["id"]


def test_health_lists_the_execute_api_endpoint(gureum):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        health = json.load(r)
    assert health["endpoints"]["execute_api"] == f"http://API_ID.execute-api.localhost:{gureum.port}/STAGE/PATH"
    assert health["services"]["apigateway"] == "running"


def test_restart_keeps_apis_deployments_and_stages(gureum, apigw):
    api = apigw.create_rest_api(name="durable")
    m = dict(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET")
    apigw.put_method(**m, authorizationType="NONE")
    apigw.put_integration(**m, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(**m, statusCode="200")
    apigw.put_integration_response(**m, statusCode="200", responseTemplates={"application/json": '{"kept": true}'})
    deployment = apigw.create_deployment(restApiId=api["id"], stageName="prod")
    gureum.restart(kill=True)
    apigw = gureum.client("apigateway")
    assert apigw.get_rest_api(restApiId=api["id"])["name"] == "durable"
    assert apigw.get_stage(restApiId=api["id"], stageName="prod")["deploymentId"] == deployment["id"]
    status, _, body = call(gureum, api["id"], "prod", "/")
    assert (status, json.loads(body)) == (200, {"kept": True})


def signed_call(gureum, api_id, stage, path, key, secret, token=None):
    """A SigV4-signed (execute-api) request to the path-style invoke URL."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{gureum.endpoint}/_aws/execute-api/{api_id}/{stage}{path}"
    req = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key, secret, token), "execute-api", "us-east-1").add_auth(req)
    r = urllib.request.Request(url, headers=dict(req.headers.items()), method="GET")
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_aws_iam_methods_need_a_signature_and_permission(gureum, apigw):
    api = apigw.create_rest_api(name="iam")
    m = dict(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET")
    apigw.put_method(**m, authorizationType="AWS_IAM")
    apigw.put_integration(**m, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(**m, statusCode="200")
    apigw.put_integration_response(**m, statusCode="200",
                                   responseTemplates={"application/json": '{"caller": "$context.identity.userArn"}'})
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    status, _, body = call(gureum, api["id"], "prod", "/", by_path=True)
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    assert signed_call(gureum, api["id"], "prod", "/", "test", "test") == (200, {"caller": f"arn:aws:iam::{ACCOUNT}:root"})
    iam = gureum.client("iam")
    iam.create_user(UserName="caller")
    key = iam.create_access_key(UserName="caller")["AccessKey"]
    method_arn = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api['id']}/prod/GET/"
    status, body = signed_call(gureum, api["id"], "prod", "/", key["AccessKeyId"], key["SecretAccessKey"])
    assert (status, body) == (403, {"Message": f"User: arn:aws:iam::{ACCOUNT}:user/caller is not authorized to perform: "
                                               f"execute-api:Invoke on resource: {method_arn}"})
    iam.put_user_policy(UserName="caller", PolicyName="invoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke",
                       "Resource": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api['id']}/*"}]}))
    status, body = signed_call(gureum, api["id"], "prod", "/", key["AccessKeyId"], key["SecretAccessKey"])
    assert (status, body) == (200, {"caller": f"arn:aws:iam::{ACCOUNT}:user/caller"})
    status, body = signed_call(gureum, api["id"], "prod", "/", key["AccessKeyId"], "wrong-secret")
    assert status == 403
    assert "signature" in body["message"]


@pytest.fixture
def backend():
    """A loopback HTTP server (a thread of this process, on a free port)
    that echoes what it received; shut down after the test."""
    import http.server
    import threading

    class Echo(http.server.BaseHTTPRequestHandler):
        def handle_one(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            out = json.dumps({"method": self.command, "path": self.path, "body": body,
                              "header": self.headers.get("X-Probe")}).encode()
            status = 404 if "missing" in self.path else 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Backend", "echo")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST = do_PUT = do_DELETE = handle_one

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_proxy_and_http_integrations_reach_a_real_backend(gureum, apigw, backend):
    api = apigw.create_rest_api(name="http")
    proxy = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")
    apigw.put_method(restApiId=api["id"], resourceId=proxy["id"], httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=proxy["id"], httpMethod="ANY", type="HTTP_PROXY",
                          integrationHttpMethod="ANY", uri=backend + "/up/{proxy}")
    m = dict(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="POST")
    apigw.put_method(**m, authorizationType="NONE")
    apigw.put_integration(**m, type="HTTP", integrationHttpMethod="PUT", uri=backend + "/mapped",
                          requestTemplates={"application/json": '{"wrapped": $input.json(\'$\')}'})
    apigw.put_method_response(**m, statusCode="200")
    apigw.put_integration_response(**m, statusCode="200", selectionPattern="2\\d{2}",
                                   responseParameters={"method.response.header.X-Seen": "integration.response.header.X-Backend"},
                                   responseTemplates={"application/json": '{"backend_saw": $input.json(\'$.body\')}'})
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    status, headers, body = call(gureum, api["id"], "prod", "/a/b?x=1", method="DELETE", headers={"X-Probe": "p"})
    assert status == 200
    assert headers["X-Backend"] == "echo"
    assert json.loads(body) == {"method": "DELETE", "path": "/up/a/b?x=1", "body": "", "header": "p"}
    status, _, body = call(gureum, api["id"], "prod", "/missing", by_path=True)
    assert status == 404
    status, headers, body = call(gureum, api["id"], "prod", "/", method="POST", body='{"k": 1}',
                                 headers={"Content-Type": "application/json"})
    assert status == 200
    assert headers["X-Seen"] == "echo"
    assert json.loads(json.loads(body)["backend_saw"]) == {"wrapped": {"k": 1}}


AUTHORIZER_FN = """
def handler(event, context):
    token = event["headers"].get("X-Token") if event["type"] == "REQUEST" else None
    if token == "boom":
        raise Exception("Unauthorized")
    effect = "Allow" if token == "good" else "Deny"
    return {"principalId": "user-" + str(token),
            "context": {"tier": "gold", "query": event["queryStringParameters"]["q"]},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": effect, "Action": "execute-api:Invoke", "Resource": event["methodArn"]}]}}
"""


def test_a_lambda_request_authorizer_guards_a_method(gureum, apigw, lam):
    arn = function(lam, "authorizer-fn", AUTHORIZER_FN)
    api = apigw.create_rest_api(name="guarded")
    auth = apigw.create_authorizer(restApiId=api["id"], name="req", type="REQUEST", authorizerUri=lambda_uri(arn),
                                   identitySource="method.request.header.X-Token, method.request.querystring.q",
                                   authorizerResultTtlInSeconds=0)
    assert len(auth["id"]) == 6
    m = dict(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET")
    apigw.put_method(**m, authorizationType="CUSTOM", authorizerId=auth["id"])
    apigw.put_integration(**m, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(**m, statusCode="200")
    apigw.put_integration_response(**m, statusCode="200", responseTemplates={
        "application/json": '{"who": "$context.authorizer.principalId", "q": "$context.authorizer.query"}'})
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    status, _, body = call(gureum, api["id"], "prod", "/?q=1", headers={"X-Token": "good"})
    assert (status, json.loads(body)) == (500, {"message": None}), "no permission for the authorizer yet"
    allow(lam, "authorizer-fn", api["id"])
    status, _, body = call(gureum, api["id"], "prod", "/?q=1", headers={"X-Token": "good"})
    assert (status, json.loads(body)) == (200, {"who": "user-good", "q": "1"})
    status, _, body = call(gureum, api["id"], "prod", "/?q=1", headers={"X-Token": "bad"})
    assert (status, json.loads(body)) == (403, {"Message": "User is not authorized to access this resource with an explicit deny"})
    status, _, body = call(gureum, api["id"], "prod", "/?q=1", headers={"X-Token": "boom"})
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    status, _, body = call(gureum, api["id"], "prod", "/", headers={"X-Token": "good"})
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"}), "an identity source is missing"


def test_flushing_a_stages_authorizer_cache_makes_the_authorizer_run_again(gureum, apigw, lam):
    arn = function(lam, "cached-authorizer-fn", AUTHORIZER_FN)
    api = apigw.create_rest_api(name="cached")
    auth = apigw.create_authorizer(restApiId=api["id"], name="req", type="REQUEST", authorizerUri=lambda_uri(arn),
                                   identitySource="method.request.header.X-Token, method.request.querystring.q",
                                   authorizerResultTtlInSeconds=300)
    m = dict(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET")
    apigw.put_method(**m, authorizationType="CUSTOM", authorizerId=auth["id"])
    apigw.put_integration(**m, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(**m, statusCode="200")
    apigw.put_integration_response(**m, statusCode="200", responseTemplates={"application/json": '{"ok": 1}'})
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    allow(lam, "cached-authorizer-fn", api["id"])
    assert call(gureum, api["id"], "prod", "/?q=1", headers={"X-Token": "good"})[0] == 200
    lam.remove_permission(FunctionName="cached-authorizer-fn", StatementId="apigw")
    # The cached policy still answers; after a flush the authorizer runs and is refused.
    assert call(gureum, api["id"], "prod", "/?q=1", headers={"X-Token": "good"})[0] == 200
    apigw.flush_stage_authorizers_cache(restApiId=api["id"], stageName="prod")
    assert call(gureum, api["id"], "prod", "/?q=1", headers={"X-Token": "good"})[0] == 500
    with pytest.raises(botocore.exceptions.ClientError) as e:
        apigw.flush_stage_authorizers_cache(restApiId=api["id"], stageName="nope")
    assert e.value.response["Error"]["Message"] == "Invalid stage identifier specified"
