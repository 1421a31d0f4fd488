"""Lambda functions whose code really runs, as host processes speaking AWS's
Runtime API: Python, Node.js and provided.al2023 functions, errors, timeouts
and logs as AWS reports them, asynchronous invocations, EventBridge targets,
persistence, and no process left behind when the server stops."""
import base64
import io
import json
import os
import subprocess
import tempfile
import time
import urllib.request
import zipfile

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"


def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            z.writestr(info, text)
    return buf.getvalue()


PY_OK = """
import os
def handler(event, context):
    print("hello from python")
    return {"sum": event["a"] + event["b"], "fn": context.function_name,
            "env": os.environ.get("GREETING"), "region": os.environ["AWS_REGION"],
            "remaining": context.get_remaining_time_in_millis() > 0}
"""

PY_RAISE = """
def handler(event, context):
    raise ValueError("something broke")
"""

NODE_OK = """
export const handler = async (event, context) => {
  console.log("hello from node");
  return { doubled: event.n * 2, fn: context.functionName };
};
"""

BOOTSTRAP = """#!/usr/bin/env python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    body = json.dumps({"custom": True, "echo": event, "handler": os.environ["_HANDLER"]}).encode()
    urllib.request.urlopen(urllib.request.Request(api + "/invocation/" + rid + "/response", data=body, method="POST")).read()
"""


@pytest.fixture(scope="module")
def lam(gureum):
    # Lambda assumes the execution role: it must exist and trust Lambda.
    iam = gureum.client("iam")
    iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="lambda-role", PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    return gureum.client("lambda")


def create(lam, name, files, handler="app.handler", runtime="python3.12", **kw):
    return lam.create_function(
        FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
        Code={"ZipFile": zipped(files)}, **kw)


def invoke(lam, name, event=None, **kw):
    out = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), **kw)
    out["Body"] = json.loads(out["Payload"].read() or b"null")
    return out


def test_a_python_function_returns_its_value_and_sees_its_environment(lam):
    made = create(lam, "py-ok", {"app.py": PY_OK}, Environment={"Variables": {"GREETING": "hi"}})
    assert made["State"] == "Pending"
    assert made["StateReasonCode"] == "Creating"
    lam.get_waiter("function_active_v2").wait(FunctionName="py-ok")
    out = invoke(lam, "py-ok", {"a": 2, "b": 3})
    assert out["StatusCode"] == 200
    assert "FunctionError" not in out
    assert out["Body"] == {"sum": 5, "fn": "py-ok", "env": "hi", "region": "us-east-1", "remaining": True}


def test_tail_logs_have_start_end_and_report(lam):
    out = invoke(lam, "py-ok", {"a": 1, "b": 1}, LogType="Tail")
    log = base64.b64decode(out["LogResult"]).decode()
    lines = log.strip().split("\n")
    assert lines[0].startswith("START RequestId: ") and lines[0].endswith(" Version: $LATEST")
    assert "hello from python" in lines
    assert lines[-2].startswith("END RequestId: ")
    assert lines[-1].startswith("REPORT RequestId: ")
    for field in ("Duration: ", "Billed Duration: ", "Memory Size: 128 MB", "Max Memory Used: "):
        assert field in lines[-1]


def test_a_function_that_logged_has_its_lines_in_cloudwatch_logs(gureum):
    logs = gureum.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    assert "/aws/lambda/py-ok" in [g["logGroupName"] for g in groups]
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/py-ok")["logStreams"]
    assert streams and all("/[$LATEST]" in s["logStreamName"] for s in streams), streams
    lines = [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/py-ok")["events"]]
    assert any(line.startswith("START RequestId: ") for line in lines), lines
    assert any("hello from python" in line for line in lines), lines
    assert any(line.startswith("REPORT RequestId: ") for line in lines), lines


def test_a_raised_exception_is_reported_as_aws_reports_it(lam):
    create(lam, "py-raise", {"app.py": PY_RAISE})
    out = invoke(lam, "py-raise")
    assert out["FunctionError"] == "Unhandled"
    body = out["Body"]
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "something broke"
    assert isinstance(body["stackTrace"], list) and body["stackTrace"]
    assert 'in handler\n    raise ValueError("something broke")\n' in body["stackTrace"][-1]
    assert body["requestId"]


def test_a_node_function_returns_its_value(lam):
    create(lam, "node-ok", {"index.mjs": NODE_OK}, handler="index.handler", runtime="nodejs20.x")
    out = invoke(lam, "node-ok", {"n": 21}, LogType="Tail")
    assert out["Body"] == {"doubled": 42, "fn": "node-ok"}
    assert "hello from node" in base64.b64decode(out["LogResult"]).decode()


def test_a_provided_function_runs_its_bootstrap(lam):
    create(lam, "custom", {"bootstrap": BOOTSTRAP}, handler="whatever.handler", runtime="provided.al2023")
    out = invoke(lam, "custom", {"x": 1})
    assert out["Body"] == {"custom": True, "echo": {"x": 1}, "handler": "whatever.handler"}


def test_a_timeout_answers_with_aws_text(lam):
    create(lam, "slow", {"app.py": "import time\ndef handler(e, c):\n    time.sleep(10)\n"}, Timeout=1)
    out = invoke(lam, "slow")
    assert out["FunctionError"] == "Unhandled"
    assert out["Body"]["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_a_code_update_takes_effect(lam):
    create(lam, "upd", {"app.py": "def handler(e, c):\n    return 1\n"})
    assert invoke(lam, "upd")["Body"] == 1
    updated = lam.update_function_code(FunctionName="upd", ZipFile=zipped({"app.py": "def handler(e, c):\n    return 2\n"}))
    assert updated["LastUpdateStatus"] == "InProgress"
    assert invoke(lam, "upd")["Body"] == 2
    lam.update_function_configuration(FunctionName="upd", Handler="app.other",
                                      Environment={"Variables": {"K": "v"}})
    lam.update_function_code(FunctionName="upd", ZipFile=zipped({"app.py": "import os\ndef other(e, c):\n    return os.environ['K']\n"}))
    assert invoke(lam, "upd")["Body"] == "v"
    conf = lam.get_function_configuration(FunctionName="upd")
    assert conf["LastUpdateStatus"] == "Successful" and conf["State"] == "Active"


def test_errors_are_aws_errors(lam):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create(lam, "py-ok", {"app.py": PY_OK})
    assert e.value.response["Error"]["Code"] == "ResourceConflictException"
    assert e.value.response["Error"]["Message"] == "Function already exist: py-ok"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.get_function(FunctionName="nope")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["Error"]["Message"] == f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:nope"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.create_function(FunctionName="bad", Runtime="python3.12", Role=ROLE, Handler="a.b",
                            Code={"ZipFile": b"not a zip"})
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert e.value.response["Error"]["Message"] == "Could not unzip uploaded file. Please check your file, then try to upload again."
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create(lam, "old", {"app.py": ""}, runtime="python2.7")
    assert e.value.response["Error"]["Message"].startswith("The runtime parameter of python2.7 is no longer supported")


def test_dry_run_and_async_invocations(lam, tmp_path):
    assert lam.invoke(FunctionName="py-ok", InvocationType="DryRun")["StatusCode"] == 204
    create(lam, "writer", {"app.py": "def handler(e, c):\n    open(e['path'], 'w').write(e['text'])\n"})
    target = str(tmp_path / "written.txt")
    out = lam.invoke(FunctionName="writer", InvocationType="Event",
                     Payload=json.dumps({"path": target, "text": "async ran"}))
    assert out["StatusCode"] == 202
    deadline = time.time() + 20
    while time.time() < deadline and not os.path.exists(target):
        time.sleep(0.1)
    assert open(target).read() == "async ran"
    # The deprecated InvokeAsync queues the same way.
    target2 = str(tmp_path / "written2.txt")
    out = lam.invoke_async(FunctionName="writer", InvokeArgs=json.dumps({"path": target2, "text": "old api"}))
    assert out["Status"] == 202
    deadline = time.time() + 20
    while time.time() < deadline and not os.path.exists(target2):
        time.sleep(0.1)
    assert open(target2).read() == "old api"


def test_a_function_calls_gureum_with_the_sdk(gureum, lam):
    sqs = gureum.client("sqs")
    url = sqs.create_queue(QueueName="from-lambda")["QueueUrl"]
    create(lam, "sdk", {"app.py": "import boto3\ndef handler(e, c):\n    boto3.client('sqs').send_message(QueueUrl=e['url'], MessageBody='from lambda')\n    return 'sent'\n"})
    out = invoke(lam, "sdk", {"url": url})
    assert out["Body"] == "sent", out["Body"]
    msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert msgs[0]["Body"] == "from lambda"


def test_an_eventbridge_rule_invokes_a_permitted_function(gureum, lam, tmp_path):
    events = gureum.client("events")
    target = str(tmp_path / "event.json")
    create(lam, "on-event", {"app.py": f"import json\ndef handler(e, c):\n    open({target!r}, 'w').write(json.dumps(e))\n"})
    rule_arn = events.put_rule(Name="to-lambda", EventPattern=json.dumps({"source": ["my.app"]}))["RuleArn"]
    fn_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:on-event"
    events.put_targets(Rule="to-lambda", Targets=[{"Id": "fn", "Arn": fn_arn}])
    # Without a permission the function is not invoked.
    events.put_events(Entries=[{"Source": "my.app", "DetailType": "t", "Detail": "{}"}])
    time.sleep(1)
    assert not os.path.exists(target)
    lam.add_permission(FunctionName="on-event", StatementId="events", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule_arn)
    policy = json.loads(lam.get_policy(FunctionName="on-event")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    events.put_events(Entries=[{"Source": "my.app", "DetailType": "t", "Detail": json.dumps({"k": 1})}])
    deadline = time.time() + 20
    while time.time() < deadline and not os.path.exists(target):
        time.sleep(0.1)
    time.sleep(0.2)
    got = json.loads(open(target).read())
    assert got["source"] == "my.app" and got["detail"] == {"k": 1}


def test_an_sns_subscription_invokes_a_permitted_function_with_the_sns_event(gureum, lam, tmp_path):
    sns = gureum.client("sns")
    target = str(tmp_path / "sns.json")
    create(lam, "on-sns", {"app.py": f"import json\ndef handler(e, c):\n    open({target!r}, 'w').write(json.dumps(e))\n"})
    topic = sns.create_topic(Name="to-lambda")["TopicArn"]
    fn_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:on-sns"
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn)["SubscriptionArn"]
    # Without a permission the function is not invoked and the failure is listed.
    sns.publish(TopicArn=topic, Message="refused")
    time.sleep(1)
    assert not os.path.exists(target)
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/sns/messages") as r:
        failed = [m for m in json.load(r)["messages"] if m["subscription_arn"] == sub]
    assert failed and "not authorized to perform: lambda:InvokeFunction" in failed[0]["status"], failed
    lam.add_permission(FunctionName="on-sns", StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com", SourceArn=topic)
    sent = sns.publish(TopicArn=topic, Message="hello lambda", Subject="greeting",
                       MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}})
    deadline = time.time() + 20
    while time.time() < deadline and not os.path.exists(target):
        time.sleep(0.1)
    time.sleep(0.2)
    record = json.loads(open(target).read())["Records"][0]
    assert (record["EventSource"], record["EventSubscriptionArn"]) == ("aws:sns", sub)
    got = record["Sns"]
    assert (got["MessageId"], got["TopicArn"], got["Message"], got["Subject"]) == (
        sent["MessageId"], topic, "hello lambda", "greeting")
    assert got["MessageAttributes"] == {"kind": {"Type": "String", "Value": "test"}}
    assert got["Signature"] and got["SigningCertUrl"].endswith(".pem")


def test_the_aws_cli_invokes(gureum, tmp_path):
    outfile = str(tmp_path / "out.json")
    _, out, _ = gureum.aws("lambda", "invoke", "--function-name", "py-ok",
                           "--payload", '{"a": 40, "b": 2}', outfile)
    assert out["StatusCode"] == 200
    assert json.load(open(outfile))["sum"] == 42
    _, listed, _ = gureum.aws("lambda", "list-functions")
    assert "py-ok" in [f["FunctionName"] for f in listed["Functions"]]


def test_versions_and_aliases_pick_what_runs(lam):
    create(lam, "ver", {"app.py": "def handler(e, c):\n    return ['one', c.function_version]\n"})
    v1 = lam.publish_version(FunctionName="ver")
    assert v1["Version"] == "1"
    assert v1["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:ver:1"
    # Nothing changed: the same version again.
    assert lam.publish_version(FunctionName="ver")["Version"] == "1"
    lam.update_function_code(FunctionName="ver", ZipFile=zipped({"app.py": "def handler(e, c):\n    return ['two', c.function_version]\n"}))
    assert lam.publish_version(FunctionName="ver")["Version"] == "2"
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName="ver")["Versions"]]
    assert versions == ["$LATEST", "1", "2"]
    listed = [(f["FunctionName"], f["Version"]) for f in lam.list_functions(FunctionVersion="ALL")["Functions"]]
    assert [("ver", "$LATEST"), ("ver", "1"), ("ver", "2")] == [x for x in listed if x[0] == "ver"]
    out = lam.invoke(FunctionName="ver", Qualifier="1")
    assert out["ExecutedVersion"] == "1"
    assert json.loads(out["Payload"].read()) == ["one", "1"]
    alias = lam.create_alias(FunctionName="ver", Name="live", FunctionVersion="2")
    assert alias["AliasArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:ver:live"
    assert json.loads(lam.invoke(FunctionName="ver:live")["Payload"].read()) == ["two", "2"]
    lam.update_alias(FunctionName="ver", Name="live", FunctionVersion="1")
    assert lam.get_alias(FunctionName="ver", Name="live")["FunctionVersion"] == "1"
    assert json.loads(lam.invoke(FunctionName="ver", Qualifier="live")["Payload"].read())[0] == "one"
    lam.update_alias(FunctionName="ver", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 1.0}})
    assert json.loads(lam.invoke(FunctionName="ver", Qualifier="live")["Payload"].read())[0] == "two"
    assert [a["Name"] for a in lam.list_aliases(FunctionName="ver")["Aliases"]] == ["live"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.create_alias(FunctionName="ver", Name="live", FunctionVersion="1")
    assert e.value.response["Error"]["Code"] == "ResourceConflictException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="ver", Qualifier="9")
    assert e.value.response["Error"]["Message"] == f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:ver:9"
    lam.delete_alias(FunctionName="ver", Name="live")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.get_alias(FunctionName="ver", Name="live")
    assert e.value.response["Error"]["Message"] == f"Cannot find alias arn: arn:aws:lambda:us-east-1:{ACCOUNT}:function:ver:live"


def test_unsupported_members_are_refused_not_ignored(lam):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create(lam, "vpc", {"app.py": ""}, VpcConfig={"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]})
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert e.value.response["Error"]["Message"] == "Gureum does not support VpcConfig yet."


def test_tags_and_account_settings(lam):
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:py-ok"
    lam.tag_resource(Resource=arn, Tags={"team": "a", "env": "dev"})
    lam.untag_resource(Resource=arn, TagKeys=["env"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "a"}
    assert lam.get_function(FunctionName="py-ok")["Tags"] == {"team": "a"}
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["CodeSizeZipped"] == 52428800
    assert settings["AccountUsage"]["FunctionCount"] >= 1


def test_an_sqs_mapping_drains_the_queue_with_partial_batch_failures(gureum, lam, tmp_path):
    sqs = gureum.client("sqs")
    url = sqs.create_queue(QueueName="to-lambda", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    queue_arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:to-lambda"
    seen = str(tmp_path / "seen")
    code = f"""
import json
def handler(event, context):
    failures = []
    with open({seen!r}, "a") as f:
        for r in event["Records"]:
            f.write(json.dumps({{"body": r["body"], "source": r["eventSource"], "arn": r["eventSourceARN"],
                                 "attr": r["messageAttributes"].get("k", {{}}).get("stringValue")}}) + "\\n")
            if r["body"] == "bad":
                failures.append({{"itemIdentifier": r["messageId"]}})
    return {{"batchItemFailures": failures}}
"""
    create(lam, "drain", {"app.py": code})
    m = lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="drain", BatchSize=5,
                                        FunctionResponseTypes=["ReportBatchItemFailures"])
    assert m["State"] == "Creating"
    assert lam.get_event_source_mapping(UUID=m["UUID"])["State"] == "Enabled"
    assert [x["UUID"] for x in lam.list_event_source_mappings(FunctionName="drain")["EventSourceMappings"]] == [m["UUID"]]
    sqs.send_message(QueueUrl=url, MessageBody="good", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    sqs.send_message(QueueUrl=url, MessageBody="bad")
    deadline = time.time() + 20
    lines = []
    while time.time() < deadline:
        lines = open(seen).read().splitlines() if os.path.exists(seen) else []
        if len(lines) >= 2:
            break
        time.sleep(0.2)
    got = sorted((json.loads(l) for l in lines), key=lambda r: r["body"])
    assert got[0] == {"body": "bad", "source": "aws:sqs", "arn": queue_arn, "attr": None}
    assert got[1] == {"body": "good", "source": "aws:sqs", "arn": queue_arn, "attr": "v"}
    time.sleep(1.5)
    # The good message was deleted; the reported failure stays (in flight).
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
    lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
    assert lam.get_event_source_mapping(UUID=m["UUID"])["State"] == "Disabled"
    assert lam.delete_event_source_mapping(UUID=m["UUID"])["State"] == "Deleting"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.get_event_source_mapping(UUID=m["UUID"])
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_code_from_s3(gureum, lam):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="code-bucket")
    s3.put_object(Bucket="code-bucket", Key="fn.zip", Body=zipped({"app.py": "def handler(e, c):\n    return 's3 code'\n"}))
    lam.create_function(FunctionName="from-s3", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"S3Bucket": "code-bucket", "S3Key": "fn.zip"})
    assert invoke(lam, "from-s3")["Body"] == "s3 code"
    s3.put_object(Bucket="code-bucket", Key="fn2.zip", Body=zipped({"app.py": "def handler(e, c):\n    return 'updated from s3'\n"}))
    lam.update_function_code(FunctionName="from-s3", S3Bucket="code-bucket", S3Key="fn2.zip")
    assert invoke(lam, "from-s3")["Body"] == "updated from s3"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.create_function(FunctionName="no-object", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"S3Bucket": "code-bucket", "S3Key": "missing.zip"})
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert e.value.response["Error"]["Message"] == (
        "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.")


def test_reserved_concurrency_throttles(lam):
    lam.put_function_concurrency(FunctionName="py-ok", ReservedConcurrentExecutions=0)
    assert lam.get_function_concurrency(FunctionName="py-ok")["ReservedConcurrentExecutions"] == 0
    assert lam.get_function(FunctionName="py-ok")["Concurrency"] == {"ReservedConcurrentExecutions": 0}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="py-ok", Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert e.value.response["Error"]["Message"] == "Rate Exceeded."
    assert e.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.delete_function_concurrency(FunctionName="py-ok")
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName="py-ok")
    assert invoke(lam, "py-ok", {"a": 1, "b": 1})["Body"]["sum"] == 2


def test_payload_limits(lam):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="py-ok", InvocationType="Event", Payload=json.dumps({"x": "a" * (1024 * 1024)}))
    assert e.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert e.value.response["Error"]["Message"] == "Request must be smaller than 1048576 bytes for the InvokeFunction operation"


def test_event_invoke_config(lam):
    out = lam.put_function_event_invoke_config(FunctionName="writer", MaximumRetryAttempts=0)
    assert out["MaximumRetryAttempts"] == 0
    assert out["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:writer:$LATEST"
    out = lam.update_function_event_invoke_config(FunctionName="writer", MaximumEventAgeInSeconds=120)
    assert (out["MaximumRetryAttempts"], out["MaximumEventAgeInSeconds"]) == (0, 120)
    assert lam.get_function_event_invoke_config(FunctionName="writer")["MaximumEventAgeInSeconds"] == 120
    listed = lam.list_function_event_invoke_configs(FunctionName="writer")["FunctionEventInvokeConfigs"]
    assert [c["MaximumEventAgeInSeconds"] for c in listed] == [120]
    lam.delete_function_event_invoke_config(FunctionName="writer")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.get_function_event_invoke_config(FunctionName="writer")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_hot_reload_reads_a_host_directory_and_its_changes(lam, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("def handler(e, c):\n    return 'first'\n")
    made = lam.create_function(FunctionName="hot", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                               Code={"S3Bucket": "hot-reload", "S3Key": str(src)})
    assert made["CodeSha256"] == "hot-reloading-hash-not-available"
    assert invoke(lam, "hot")["Body"] == "first"
    time.sleep(0.01)
    (src / "app.py").write_text("def handler(e, c):\n    return 'second'\n")
    assert invoke(lam, "hot")["Body"] == "second"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.create_function(FunctionName="hot2", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"S3Bucket": "hot-reload", "S3Key": "relative/dir"})
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_iam_users_need_lambda_actions_on_the_function(gureum):
    iam = gureum.client("iam")
    iam.create_user(UserName="invoker")
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:py-ok"
    iam.put_user_policy(UserName="invoker", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": arn}]}))
    key = iam.create_access_key(UserName="invoker")["AccessKey"]
    lam = gureum.client("lambda", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert invoke(lam, "py-ok", {"a": 2, "b": 2})["Body"]["sum"] == 4
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.get_function(FunctionName="py-ok")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert e.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/invoker is not authorized to perform: lambda:GetFunction "
        f"on resource: {arn} because no identity-based policy allows the lambda:GetFunction action")


def function_processes(gureum):
    """PIDs of processes whose parent is the server."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(gureum.proc.pid)],
                         capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_functions_persist_and_no_process_outlives_the_server(gureum, lam):
    invoke(lam, "py-ok", {"a": 1, "b": 2})
    children = function_processes(gureum)
    assert children, "a warm environment is running"
    gureum.restart()  # SIGTERM: a graceful stop ends every environment
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    lam2 = gureum.client("lambda")
    assert invoke(lam2, "py-ok", {"a": 4, "b": 5})["Body"]["sum"] == 9
    children = function_processes(gureum)
    assert children
    gureum.restart(kill=True)  # SIGKILL: the parent-death signal ends them
    time.sleep(0.5)
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    lam3 = gureum.client("lambda")
    assert invoke(lam3, "upd")["Body"] == "v"
    # Versions, aliases, policies and mappings survive too.
    assert [v["Version"] for v in lam3.list_versions_by_function(FunctionName="ver")["Versions"]] == ["$LATEST", "1", "2"]
    assert json.loads(lam3.invoke(FunctionName="ver", Qualifier="1")["Payload"].read())[0] == "one"
    assert json.loads(lam3.get_policy(FunctionName="on-event")["Policy"])["Statement"][0]["Sid"] == "events"
    assert invoke(lam3, "from-s3")["Body"] == "updated from s3"


def test_delete_function(lam):
    lam.delete_function(FunctionName="writer")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.invoke(FunctionName="writer")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_reset_forgets_functions_and_ends_their_environments(gureum):
    import urllib.request
    lam = gureum.client("lambda")
    invoke(lam, "py-ok", {"a": 1, "b": 1})
    assert function_processes(gureum)
    req = urllib.request.Request(gureum.endpoint + "/_gureum/reset", method="POST")
    urllib.request.urlopen(req).read()
    assert lam.list_functions()["Functions"] == []
    deadline = time.time() + 5
    while time.time() < deadline and [p for p in function_processes(gureum) if not _zombie(p)]:
        time.sleep(0.1)
    assert not [p for p in function_processes(gureum) if not _zombie(p)]


def _zombie(pid):
    try:
        return open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    except OSError:
        return True
