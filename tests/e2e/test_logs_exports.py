"""CloudWatch Logs exports to S3: CreateExportTask checks the group, the
one-active-task limit, the bucket and its policy (which must let
logs.amazonaws.com GetBucketAcl and PutObject) and writes
aws-logs-write-test; the task goes PENDING -> RUNNING -> COMPLETED on the
clock and leaves prefix/taskId/stream/000000.gz objects that gunzip to
`<time> <message>` lines; tasks can be cancelled and survive a restart."""
import gzip
import json
import time

import pytest

ACCOUNT = "000000000000"


def _policy(bucket, service="logs.us-east-1.amazonaws.com"):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service},
             "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}",
             "Condition": {"StringEquals": {"aws:SourceAccount": [ACCOUNT]}}},
            {"Effect": "Allow", "Principal": {"Service": service},
             "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*",
             "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                            "aws:SourceAccount": [ACCOUNT]}}},
        ],
    })


def _bucket(s3, name, policy=True, service="logs.us-east-1.amazonaws.com"):
    s3.create_bucket(Bucket=name)
    if policy:
        s3.put_bucket_policy(Bucket=name, Policy=_policy(name, service))


def _group(logs, name, lines):
    logs.create_log_group(logGroupName=name)
    for stream, messages in lines.items():
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
        logs.put_log_events(logGroupName=name, logStreamName=stream, logEvents=[
            {"timestamp": ts, "message": m} for ts, m in messages])


def _wait(logs, task_id, status="COMPLETED", timeout=20):
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        task = logs.describe_export_tasks(taskId=task_id)["exportTasks"][0]
        code = task["status"]["code"]
        if not seen or seen[-1] != code:
            seen.append(code)
        if code == status:
            return task, seen
        time.sleep(0.2)
    raise AssertionError(f"task stayed {seen}")


def test_an_export_writes_gzipped_lines_per_stream_under_prefix_and_task_id(gureum):
    logs, s3 = gureum.client("logs"), gureum.client("s3")
    now = int(time.time() * 1000)
    _group(logs, "/exp/app", {
        "web-1": [(now - 3000, "GET /"), (now - 2000, "GET /health")],
        "worker": [(now - 1500, "job done")],
        "web-2": [(now - 10 * 60_000, "too old for the range")],
    })
    _bucket(s3, "exp-dest")
    task_id = logs.create_export_task(
        taskName="nightly", logGroupName="/exp/app", **{"from": now - 60_000}, to=now,
        destination="exp-dest", destinationPrefix="logs/app",
    )["taskId"]
    first = logs.describe_export_tasks(taskId=task_id)["exportTasks"][0]
    assert first["status"]["code"] == "PENDING"
    task, seen = _wait(logs, task_id)
    assert seen[-2:] == ["RUNNING", "COMPLETED"] or seen == ["PENDING", "RUNNING", "COMPLETED"]
    assert task["taskName"] == "nightly"
    assert task["destinationPrefix"] == "logs/app"
    assert task["executionInfo"]["completionTime"] >= task["executionInfo"]["creationTime"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="exp-dest")["Contents"]}
    assert keys == {
        "logs/app/aws-logs-write-test",
        f"logs/app/{task_id}/web-1/000000.gz",
        f"logs/app/{task_id}/worker/000000.gz",
    }
    body = s3.get_object(Bucket="exp-dest", Key=f"logs/app/{task_id}/web-1/000000.gz")["Body"].read()
    lines = gzip.decompress(body).decode().splitlines()
    assert [l.split(" ", 1)[1] for l in lines] == ["GET /", "GET /health"]
    assert lines[0].split(" ", 1)[0].endswith("Z") and "T" in lines[0]


def test_a_stream_prefix_limits_what_is_exported(gureum):
    logs, s3 = gureum.client("logs"), gureum.client("s3")
    now = int(time.time() * 1000)
    _group(logs, "/exp/prefix", {"a-1": [(now - 1000, "a")], "b-1": [(now - 1000, "b")]})
    _bucket(s3, "exp-prefix", service="logs.amazonaws.com")
    task_id = logs.create_export_task(
        logGroupName="/exp/prefix", logStreamNamePrefix="b-", **{"from": 0}, to=now,
        destination="exp-prefix")["taskId"]
    _wait(logs, task_id)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="exp-prefix")["Contents"]}
    assert keys == {"exportedlogs/aws-logs-write-test", f"exportedlogs/{task_id}/b-1/000000.gz"}


def test_only_one_task_may_be_active_per_account(gureum):
    logs, s3 = gureum.client("logs"), gureum.client("s3")
    _group(logs, "/exp/limit", {"s": [(int(time.time() * 1000), "x")]})
    _bucket(s3, "exp-limit")
    first = logs.create_export_task(logGroupName="/exp/limit", **{"from": 0}, to=1,
                                    destination="exp-limit")["taskId"]
    with pytest.raises(logs.exceptions.LimitExceededException) as e:
        logs.create_export_task(logGroupName="/exp/limit", **{"from": 0}, to=1,
                                destination="exp-limit")
    assert e.value.response["Error"]["Message"] == "Resource limit exceeded."
    logs.cancel_export_task(taskId=first)
    task = logs.describe_export_tasks(taskId=first)["exportTasks"][0]
    assert task["status"] == {"code": "CANCELLED", "message": "Cancelled by user"}
    with pytest.raises(logs.exceptions.InvalidOperationException):
        logs.cancel_export_task(taskId=first)


def test_a_bucket_whose_policy_does_not_allow_logs_is_refused(gureum):
    logs, s3 = gureum.client("logs"), gureum.client("s3")
    _group(logs, "/exp/denied", {})
    _bucket(s3, "exp-nopolicy", policy=False)
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.create_export_task(logGroupName="/exp/denied", **{"from": 0}, to=1,
                                destination="exp-nopolicy")
    assert e.value.response["Error"]["Message"] == (
        "GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs "
        "has been granted permission to perform this operation.")
    assert "Contents" not in s3.list_objects_v2(Bucket="exp-nopolicy")


def test_a_missing_bucket_or_group_is_refused(gureum):
    logs = gureum.client("logs")
    _group(logs, "/exp/nobucket", {})
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.create_export_task(logGroupName="/exp/nobucket", **{"from": 0}, to=1,
                                destination="exp-no-such-bucket")
    assert e.value.response["Error"]["Message"] == (
        "The given bucket does not exist. Please make sure the bucket is valid.")
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as e:
        logs.create_export_task(logGroupName="/exp/none", **{"from": 0}, to=1, destination="x")
    assert e.value.response["Error"]["Message"] == "The specified log group does not exist."


def test_an_unknown_task_cannot_be_cancelled(gureum):
    logs = gureum.client("logs")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.cancel_export_task(taskId="00000000-0000-0000-0000-000000000000")


def test_tasks_persist_across_restart(gureum):
    logs, s3 = gureum.client("logs"), gureum.client("s3")
    now = int(time.time() * 1000)
    _group(logs, "/exp/restart", {"s": [(now - 1000, "kept")]})
    _bucket(s3, "exp-restart")
    task_id = logs.create_export_task(logGroupName="/exp/restart", **{"from": 0}, to=now,
                                      destination="exp-restart")["taskId"]
    _wait(logs, task_id)
    gureum.restart(kill=True)
    logs = gureum.client("logs")
    tasks = logs.describe_export_tasks(statusCode="COMPLETED")["exportTasks"]
    assert task_id in [t["taskId"] for t in tasks]
