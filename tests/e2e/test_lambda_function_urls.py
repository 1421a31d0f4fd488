"""Lambda function URLs over plain HTTP: the URL configuration API, AWS's
payload 2.0 event and response mapping, NONE URLs that need the
lambda:InvokeFunctionUrl permission, AWS_IAM URLs that need a SigV4
signature and IAM's allow, CORS, and URLs surviving a restart."""
import base64
import http.client
import io
import json
import urllib.parse
import zipfile

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions
import pytest

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/url-role"

APP = """
import base64, json
def handler(event, context):
    if event["rawPath"] == "/plain":
        return {"plain": True}
    if event["rawPath"] == "/boom":
        raise RuntimeError("boom")
    if event["rawPath"] == "/teapot":
        return {"statusCode": 418, "headers": {"x-kind": "teapot", "content-type": "text/plain"},
                "cookies": ["a=1", "b=2"], "body": base64.b64encode(b"short and stout").decode(),
                "isBase64Encoded": True}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


def zipped(text):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", text)
    return buf.getvalue()


@pytest.fixture(scope="module")
def lam(gureum):
    iam = gureum.client("iam")
    iam.create_role(RoleName="url-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    lam = gureum.client("lambda")
    for name in ("web", "private"):
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": zipped(APP)}, Timeout=30)
        lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return lam


def call(gureum, url, path="/", method="GET", body=None, headers=None, path_style=False):
    """One HTTP request to a function URL, host-style or path-style."""
    parsed = urllib.parse.urlsplit(url)
    url_id = parsed.hostname.split(".")[0]
    conn = http.client.HTTPConnection("127.0.0.1", gureum.port, timeout=60)
    headers = dict(headers or {})
    if path_style:
        target = f"/_aws/lambda-url/{url_id}{path}"
    else:
        target = path
        headers["Host"] = parsed.netloc
    conn.request(method, target, body=body, headers=headers)
    r = conn.getresponse()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    conn.close()
    return out


def test_url_configs_are_created_read_listed_and_conflict(lam):
    made = lam.create_function_url_config(FunctionName="web", AuthType="NONE",
                                          Cors={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"],
                                                "MaxAge": 60})
    assert made["FunctionUrl"].startswith("http://") and ".lambda-url.us-east-1.localhost:" in made["FunctionUrl"]
    assert made["FunctionUrl"].endswith("/")
    assert made["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:web"
    assert made["AuthType"] == "NONE" and made["InvokeMode"] == "BUFFERED"
    got = lam.get_function_url_config(FunctionName="web")
    assert got["FunctionUrl"] == made["FunctionUrl"] and got["Cors"]["MaxAge"] == 60
    assert [u["FunctionUrl"] for u in lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"]] == [made["FunctionUrl"]]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.create_function_url_config(FunctionName="web", AuthType="NONE")
    assert e.value.response["Error"]["Code"] == "ResourceConflictException"
    assert e.value.response["Error"]["Message"] == (
        f"Failed to create function url config for [functionArn = {made['FunctionArn']}]. "
        "Error message:  FunctionUrlConfig exists for this Lambda function")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.get_function_url_config(FunctionName="private")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["Error"]["Message"] == "The resource you requested does not exist."


def test_a_none_url_without_the_permission_is_forbidden(gureum, lam):
    url = lam.get_function_url_config(FunctionName="web")["FunctionUrl"]
    status, _, body = call(gureum, url, "/")
    assert (status, json.loads(body)) == (403, {"Message": "Forbidden"})


def test_a_request_becomes_awss_payload_2_event(gureum, lam):
    lam.add_permission(FunctionName="web", StatementId="url", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE")
    url = lam.get_function_url_config(FunctionName="web")["FunctionUrl"]
    status, headers, body = call(gureum, url, "/orders/7?x=1&x=2&y=z", method="POST", body=b'{"n": 1}',
                                 headers={"Content-Type": "application/json", "Cookie": "s=1; t=2"})
    assert status == 200, body
    event = json.loads(body)
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/orders/7" and event["rawQueryString"] == "x=1&x=2&y=z"
    assert event["queryStringParameters"] == {"x": "1,2", "y": "z"}
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["headers"]["content-type"] == "application/json"
    assert event["body"] == '{"n": 1}' and event["isBase64Encoded"] is False
    http_ctx = event["requestContext"]["http"]
    assert http_ctx["method"] == "POST" and http_ctx["path"] == "/orders/7"
    assert event["requestContext"]["apiId"] == urllib.parse.urlsplit(url).hostname.split(".")[0]
    # Path-style reaches the same function with the same path.
    status, _, body = call(gureum, url, "/orders/8", path_style=True)
    assert status == 200 and json.loads(body)["rawPath"] == "/orders/8"


def test_the_answer_maps_to_status_headers_cookies_and_body(gureum, lam):
    url = lam.get_function_url_config(FunctionName="web")["FunctionUrl"]
    status, headers, body = call(gureum, url, "/teapot")
    assert (status, body) == (418, b"short and stout")
    assert headers["x-kind"] == "teapot" and headers["content-type"] == "text/plain"
    status, headers, body = call(gureum, url, "/plain")
    assert (status, json.loads(body)) == (200, {"plain": True})
    assert headers["content-type"] == "application/json"
    # A function error is the URL's 502, not the error document.
    status, _, body = call(gureum, url, "/boom")
    assert status == 502 and b"boom" not in body


def test_cors_preflights_and_responses_carry_the_urls_cors(gureum, lam):
    url = lam.get_function_url_config(FunctionName="web")["FunctionUrl"]
    status, headers, _ = call(gureum, url, "/", method="OPTIONS",
                              headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert status == 200
    assert headers["access-control-allow-origin"] == "https://app.example"
    assert headers["access-control-allow-methods"] == "GET,POST"
    assert headers["access-control-max-age"] == "60"
    _, headers, _ = call(gureum, url, "/plain", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in headers


def signed_call(gureum, url, key, secret, path="/"):
    parsed = urllib.parse.urlsplit(url)
    full = f"http://127.0.0.1:{gureum.port}/_aws/lambda-url/{parsed.hostname.split('.')[0]}{path}"
    req = botocore.awsrequest.AWSRequest(method="GET", url=full)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "lambda", "us-east-1").add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", gureum.port, timeout=60)
    conn.request("GET", urllib.parse.urlsplit(full).path, headers=dict(req.headers))
    r = conn.getresponse()
    out = (r.status, r.read())
    conn.close()
    return out


def test_an_aws_iam_url_needs_a_signature_and_iams_allow(gureum, lam):
    url = lam.create_function_url_config(FunctionName="private", AuthType="AWS_IAM")["FunctionUrl"]
    status, _, body = call(gureum, url, "/", path_style=True)
    assert (status, json.loads(body)) == (403, {"Message": "Forbidden"})
    iam = gureum.client("iam")
    keys = {}
    for user, allowed in (("caller", True), ("stranger", False)):
        iam.create_user(UserName=user)
        if allowed:
            iam.put_user_policy(UserName=user, PolicyName="url", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunctionUrl",
                                                         "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:private"}]}))
        k = iam.create_access_key(UserName=user)["AccessKey"]
        keys[user] = (k["AccessKeyId"], k["SecretAccessKey"])
    status, body = signed_call(gureum, url, *keys["caller"], path="/who")
    assert status == 200, body
    event = json.loads(body)
    assert event["requestContext"]["authorizer"]["iam"]["userArn"] == f"arn:aws:iam::{ACCOUNT}:user/caller"
    status, body = signed_call(gureum, url, *keys["stranger"])
    assert (status, json.loads(body)) == (403, {"Message": "Forbidden"})
    status, body = signed_call(gureum, url, keys["caller"][0], "wrong-secret")
    assert status == 403


def test_an_alias_has_its_own_url(gureum, lam):
    version = lam.publish_version(FunctionName="web")["Version"]
    lam.create_alias(FunctionName="web", Name="live", FunctionVersion=version)
    made = lam.create_function_url_config(FunctionName="web", Qualifier="live", AuthType="NONE")
    assert made["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:web:live"
    base = lam.get_function_url_config(FunctionName="web")["FunctionUrl"]
    assert made["FunctionUrl"] != base
    assert len(lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"]) == 2
    status, _, body = call(gureum, made["FunctionUrl"], "/plain")
    assert (status, json.loads(body)) == (200, {"plain": True})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.create_function_url_config(FunctionName="web", Qualifier="nope", AuthType="NONE")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    lam.delete_function_url_config(FunctionName="web", Qualifier="live")


def test_urls_update_delete_and_survive_a_restart(gureum, lam):
    url = lam.get_function_url_config(FunctionName="web")["FunctionUrl"]
    gureum.restart(kill=True)
    lam = gureum.client("lambda")
    assert call(gureum, url, "/plain")[0] == 200
    updated = lam.update_function_url_config(FunctionName="web", AuthType="AWS_IAM")
    assert updated["AuthType"] == "AWS_IAM" and updated["FunctionUrl"] == url
    assert call(gureum, url, "/plain")[0] == 403
    lam.delete_function_url_config(FunctionName="web")
    assert lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"] == []
    assert call(gureum, url, "/plain")[0] == 403
    # Deleting a function deletes its URLs.
    private = lam.get_function_url_config(FunctionName="private")["FunctionUrl"]
    lam.delete_function(FunctionName="private")
    lam.create_function(FunctionName="private", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zipped(APP)})
    assert lam.list_function_url_configs(FunctionName="private")["FunctionUrlConfigs"] == []
    assert call(gureum, private, "/", path_style=True)[0] == 403
