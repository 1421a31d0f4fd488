"""S3 event notifications with boto3: queue configurations validated with
an s3:TestEvent (a queue whose policy does not let S3 send refuses, with
AWS's error), AWS's event records for puts, copies, multipart uploads,
browser POSTs and deletes, key filters, and EventBridge configurations
reaching a rule on the default bus."""
import json
import urllib.request
import uuid

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"
BUCKET = "notify-e2e"


@pytest.fixture(scope="module")
def s3(gureum):
    client = gureum.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(scope="module")
def sqs(gureum):
    return gureum.client("sqs")


def queue(sqs, name, bucket=BUCKET, principal="s3.amazonaws.com"):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"
    if principal:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": principal},
                "Action": "sqs:SendMessage", "Resource": arn,
                "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"},
                              "StringEquals": {"aws:SourceAccount": ACCOUNT}}}]})})
    return url, arn


def drain(sqs, url, wait=1):
    out = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get("Messages", [])
        if not got:
            return out
        for m in got:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        wait = 0


def records(messages):
    return [r for m in messages for r in m.get("Records", [])]


def test_a_queue_configuration_is_validated_with_a_test_event(s3, sqs):
    url, arn = queue(sqs, "notify-all")
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
        "QueueConfigurations": [{"Id": "all", "QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}]})
    (test,) = drain(sqs, url)
    assert (test["Service"], test["Event"], test["Bucket"]) == ("Amazon S3", "s3:TestEvent", BUCKET)
    assert test["Time"].endswith("Z") and test["RequestId"]
    got = s3.get_bucket_notification_configuration(Bucket=BUCKET)
    assert got["QueueConfigurations"] == [{"Id": "all", "QueueArn": arn,
                                           "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}]


def test_a_put_sends_awss_event_record(s3, sqs):
    url = sqs.get_queue_url(QueueName="notify-all")["QueueUrl"]
    put = s3.put_object(Bucket=BUCKET, Key="photos/my cat.jpg", Body=b"meow")
    (r,) = records(drain(sqs, url))
    assert (r["eventVersion"], r["eventSource"], r["awsRegion"]) == ("2.1", "aws:s3", "us-east-1")
    assert r["eventName"] == "ObjectCreated:Put"
    assert r["eventTime"].endswith("Z")
    assert r["userIdentity"]["principalId"] == ACCOUNT
    assert r["requestParameters"]["sourceIPAddress"] == "127.0.0.1"
    assert r["responseElements"]["x-amz-request-id"]
    s3r = r["s3"]
    assert (s3r["s3SchemaVersion"], s3r["configurationId"]) == ("1.0", "all")
    assert s3r["bucket"] == {"name": BUCKET, "ownerIdentity": {"principalId": ACCOUNT},
                             "arn": f"arn:aws:s3:::{BUCKET}"}
    obj = s3r["object"]
    assert obj["key"] == "photos/my+cat.jpg"
    assert (obj["size"], obj["eTag"]) == (4, put["ETag"].strip('"'))
    assert "versionId" not in obj and obj["sequencer"]


def test_copies_multipart_uploads_and_deletes_are_named_as_aws_names_them(s3, sqs):
    url = sqs.get_queue_url(QueueName="notify-all")["QueueUrl"]
    s3.copy_object(Bucket=BUCKET, Key="copied", CopySource=f"{BUCKET}/photos/my cat.jpg")
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="mpu")
    part = s3.upload_part(Bucket=BUCKET, Key="mpu", UploadId=up["UploadId"], PartNumber=1, Body=b"p")
    s3.complete_multipart_upload(Bucket=BUCKET, Key="mpu", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    s3.delete_object(Bucket=BUCKET, Key="copied")
    s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "mpu"}]})
    got = [(r["eventName"], r["s3"]["object"]["key"]) for r in records(drain(sqs, url))]
    assert got == [("ObjectCreated:Copy", "copied"), ("ObjectCreated:CompleteMultipartUpload", "mpu"),
                   ("ObjectRemoved:Delete", "copied"), ("ObjectRemoved:Delete", "mpu")]


def test_a_versioned_delete_creates_a_marker_and_says_so(s3, sqs, gureum):
    s3.create_bucket(Bucket="notify-versioned")
    s3.put_bucket_versioning(Bucket="notify-versioned", VersioningConfiguration={"Status": "Enabled"})
    url, arn = queue(sqs, "notify-versioned", bucket="notify-versioned")
    s3.put_bucket_notification_configuration(Bucket="notify-versioned", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:Put", "s3:ObjectRemoved:*"]}]})
    drain(sqs, url)
    v = s3.put_object(Bucket="notify-versioned", Key="k", Body=b"1")["VersionId"]
    marker = s3.delete_object(Bucket="notify-versioned", Key="k")["VersionId"]
    s3.delete_object(Bucket="notify-versioned", Key="k", VersionId=v)
    got = records(drain(sqs, url))
    assert [(r["eventName"], r["s3"]["object"].get("versionId")) for r in got] == [
        ("ObjectCreated:Put", v), ("ObjectRemoved:DeleteMarkerCreated", marker), ("ObjectRemoved:Delete", v)]
    # A configuration without an Id gets one.
    (conf,) = s3.get_bucket_notification_configuration(Bucket="notify-versioned")["QueueConfigurations"]
    assert conf["Id"] and got[0]["s3"]["configurationId"] == conf["Id"]


def test_key_filters_pick_the_objects_that_notify(s3, sqs):
    s3.create_bucket(Bucket="notify-filtered")
    url, arn = queue(sqs, "notify-filtered", bucket="notify-filtered")
    s3.put_bucket_notification_configuration(Bucket="notify-filtered", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {
            "FilterRules": [{"Name": "prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".csv"}]}}}]})
    drain(sqs, url)
    for key in ["in/a.csv", "in/b.txt", "out/c.csv", "in/d.csv"]:
        s3.put_object(Bucket="notify-filtered", Key=key, Body=b"x")
    assert [r["s3"]["object"]["key"] for r in records(drain(sqs, url))] == ["in/a.csv", "in/d.csv"]
    (conf,) = s3.get_bucket_notification_configuration(Bucket="notify-filtered")["QueueConfigurations"]
    assert conf["Filter"] == {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"},
                                                      {"Name": "Suffix", "Value": ".csv"}]}}


def test_a_queue_that_does_not_let_s3_send_fails_the_configuration(s3, sqs):
    _, arn = queue(sqs, "notify-closed", principal=None)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    err = e.value.response["Error"]
    assert (err["Code"], err["Message"]) == ("InvalidArgument",
                                             "Unable to validate the following destination configurations")
    assert err["ArgumentName"] == arn
    assert err["ArgumentValue"] == ("Permissions on the destination queue do not allow S3 to publish "
                                    "notifications from this bucket")
    # The bucket kept its earlier configuration.
    assert s3.get_bucket_notification_configuration(Bucket=BUCKET)["QueueConfigurations"][0]["Id"] == "all"
    missing = f"arn:aws:sqs:us-east-1:{ACCOUNT}:no-such-queue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": missing, "Events": ["s3:ObjectCreated:*"]}]})
    assert e.value.response["Error"]["ArgumentValue"] == "The destination queue does not exist"


def test_invalid_and_overlapping_configurations_are_refused(s3, sqs):
    _, arn = queue(sqs, "notify-checks")

    def refused(config):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration=config)
        return e.value.response["Error"]

    err = refused({"QueueConfigurations": [
        {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]},
        {"QueueArn": arn, "Events": ["s3:ObjectCreated:Put"]}]})
    assert (err["Code"], err["Message"]) == (
        "InvalidArgument", "Configurations overlap. Configurations on the same bucket cannot share a common event type.")
    err = refused({"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": {
        "Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}}}]})
    assert err["Message"] == "filter rule name must be either prefix or suffix"
    err = refused({"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectRestore:Completed"]}]})
    assert err["Code"] == "NotImplemented"
    assert "s3:ObjectRestore:Completed" in err["Message"]
    err = refused({"TopicConfigurations": [{"TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:t",
                                            "Events": ["s3:ObjectCreated:*"]}]})
    assert (err["Code"], err["Message"]) == (
        "InvalidArgument", "Unable to validate the following destination configurations")


def test_tagging_and_acl_changes_notify(s3, sqs):
    s3.create_bucket(Bucket="notify-tags", ObjectOwnership="ObjectWriter")
    url, arn = queue(sqs, "notify-tags", bucket="notify-tags")
    s3.put_bucket_notification_configuration(Bucket="notify-tags", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectTagging:*", "s3:ObjectAcl:Put"]}]})
    drain(sqs, url)
    put = s3.put_object(Bucket="notify-tags", Key="t", Body=b"x")
    s3.put_object_tagging(Bucket="notify-tags", Key="t", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    s3.delete_object_tagging(Bucket="notify-tags", Key="t")
    s3.put_object_acl(Bucket="notify-tags", Key="t", ACL="private")
    got = records(drain(sqs, url))
    assert [r["eventName"] for r in got] == ["ObjectTagging:Put", "ObjectTagging:Delete", "ObjectAcl:Put"]
    assert {r["s3"]["object"]["eTag"] for r in got} == {put["ETag"].strip('"')}
    assert all("size" not in r["s3"]["object"] for r in got)


def test_an_empty_configuration_turns_notifications_off(s3, sqs):
    s3.create_bucket(Bucket="notify-off")
    url, arn = queue(sqs, "notify-off", bucket="notify-off")
    s3.put_bucket_notification_configuration(Bucket="notify-off", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_bucket_notification_configuration(Bucket="notify-off", NotificationConfiguration={})
    got = s3.get_bucket_notification_configuration(Bucket="notify-off")
    assert "QueueConfigurations" not in got and "EventBridgeConfiguration" not in got
    drain(sqs, url)
    s3.put_object(Bucket="notify-off", Key="k", Body=b"x")
    assert drain(sqs, url) == []


def test_eventbridge_configuration_sends_object_events_to_the_default_bus(gureum, s3, sqs):
    events = gureum.client("events")
    s3.create_bucket(Bucket="notify-eventbridge")
    rule = events.put_rule(Name="s3-created", EventPattern=json.dumps({
        "source": ["aws.s3"], "detail": {"bucket": {"name": ["notify-eventbridge"]}}}))["RuleArn"]
    url, arn = queue(sqs, "notify-eventbridge", principal=None)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule}}}]})})
    events.put_targets(Rule="s3-created", Targets=[{"Id": "q", "Arn": arn}])
    s3.put_bucket_notification_configuration(Bucket="notify-eventbridge", NotificationConfiguration={
        "EventBridgeConfiguration": {}})
    assert s3.get_bucket_notification_configuration(Bucket="notify-eventbridge")["EventBridgeConfiguration"] == {}
    put = s3.put_object(Bucket="notify-eventbridge", Key="doc.txt", Body=b"hello")
    s3.delete_object(Bucket="notify-eventbridge", Key="doc.txt")
    created, deleted = drain(sqs, url)
    assert (created["source"], created["detail-type"]) == ("aws.s3", "Object Created")
    assert created["resources"] == ["arn:aws:s3:::notify-eventbridge"]
    d = created["detail"]
    assert d["bucket"] == {"name": "notify-eventbridge"}
    assert (d["object"]["key"], d["object"]["size"], d["object"]["etag"]) == ("doc.txt", 5, put["ETag"].strip('"'))
    assert (d["reason"], d["requester"], d["version"]) == ("PutObject", ACCOUNT, "0")
    assert deleted["detail-type"] == "Object Deleted"
    assert (deleted["detail"]["reason"], deleted["detail"]["deletion-type"]) == ("DeleteObject", "Permanently Deleted")
    s3.put_object(Bucket="notify-eventbridge", Key="tagged", Body=b"x")
    s3.put_object_tagging(Bucket="notify-eventbridge", Key="tagged", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    kinds = [(m["detail-type"], "reason" in m["detail"]) for m in drain(sqs, url)]
    assert kinds == [("Object Created", True), ("Object Tags Added", False)]


def test_a_browser_post_upload_notifies_as_a_post(gureum, s3, sqs):
    s3.create_bucket(Bucket="notify-post")
    url, arn = queue(sqs, "notify-post", bucket="notify-post")
    s3.put_bucket_notification_configuration(Bucket="notify-post", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:Post"]}]})
    drain(sqs, url)
    s3.put_object(Bucket="notify-post", Key="put-does-not-count", Body=b"x")
    post = s3.generate_presigned_post("notify-post", "posted.txt", ExpiresIn=60)
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in post["fields"].items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.txt"\r\n'
                 f"Content-Type: text/plain\r\n\r\nposted\r\n--{boundary}--\r\n".encode())
    req = urllib.request.Request(post["url"], data=b"".join(parts), method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status in (200, 204)
    got = records(drain(sqs, url))
    assert [(r["eventName"], r["s3"]["object"]["key"]) for r in got] == [("ObjectCreated:Post", "posted.txt")]


def test_configurations_survive_a_crash(gureum, s3, sqs):
    gureum.restart(kill=True)
    s3 = gureum.client("s3")
    sqs = gureum.client("sqs")
    assert s3.get_bucket_notification_configuration(Bucket=BUCKET)["QueueConfigurations"][0]["Id"] == "all"
    url = sqs.get_queue_url(QueueName="notify-all")["QueueUrl"]
    drain(sqs, url)
    s3.put_object(Bucket=BUCKET, Key="after-crash", Body=b"x")
    assert [r["s3"]["object"]["key"] for r in records(drain(sqs, url))] == ["after-crash"]
