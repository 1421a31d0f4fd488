"""DynamoDB exports to S3 and imports from S3 end to end: an export
writes AWS's layout (gzip DYNAMODB_JSON data files, manifests with MD5s)
into a real bucket of Gureum's S3, of the table as it was at ExportTime;
an import builds a new table, indexes included, from DYNAMODB_JSON
(an export's own data files) or CSV; jobs and their results survive a
restart; AWS's errors as the client reads them."""
import gzip
import hashlib
import base64
import json
import time

import botocore.exceptions
import pytest

from helpers import advance


@pytest.fixture(scope="module")
def ddb(gureum):
    return gureum.client("dynamodb")


@pytest.fixture(scope="module")
def s3(gureum):
    return gureum.client("s3")


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response


def wait(describe, status_key, **kw):
    for _ in range(100):
        out = describe(**kw)
        d = out.get("ExportDescription") or out.get("ImportTableDescription")
        if d[status_key] != "IN_PROGRESS":
            return d
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def make_table(ddb, name):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb.describe_table(TableName=name)["Table"]["TableArn"]


def test_export_writes_aws_layout_of_the_table_at_export_time(gureum, ddb, s3):
    s3.create_bucket(Bucket="ddb-exports")
    arn = make_table(ddb, "ex_src")
    r = error(ddb.export_table_to_point_in_time, TableArn=arn, S3Bucket="ddb-exports")
    assert r["Error"] == {
        "Code": "PointInTimeRecoveryUnavailableException",
        "Message": "Point in time recovery is not enabled for table 'ex_src'",
    }
    ddb.update_continuous_backups(
        TableName="ex_src", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    for k in ["a", "b"]:
        ddb.put_item(TableName="ex_src", Item={"pk": {"S": k}, "n": {"N": "1"}})
    advance(gureum, 400)
    at = ddb.describe_continuous_backups(TableName="ex_src")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["LatestRestorableDateTime"]
    advance(gureum, 300)
    # After the export time: not in the export.
    ddb.put_item(TableName="ex_src", Item={"pk": {"S": "late"}})
    ddb.delete_item(TableName="ex_src", Key={"pk": {"S": "a"}})

    d = ddb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket="ddb-exports", S3Prefix="backups", ExportTime=at
    )["ExportDescription"]
    assert d["ExportStatus"] == "IN_PROGRESS"
    assert d["ExportArn"].startswith(arn + "/export/")
    d = wait(ddb.describe_export, "ExportStatus", ExportArn=d["ExportArn"])
    assert d["ExportStatus"] == "COMPLETED", d
    assert d["ItemCount"] == 2
    export_id = d["ExportArn"].rsplit("/", 1)[1]
    base = f"backups/AWSDynamoDB/{export_id}"
    assert d["ExportManifest"] == f"{base}/manifest-summary.json"

    summary = json.loads(s3.get_object(Bucket="ddb-exports", Key=d["ExportManifest"])["Body"].read())
    assert summary["itemCount"] == 2 and summary["outputFormat"] == "DYNAMODB_JSON"
    assert summary["manifestFilesS3Key"] == f"{base}/manifest-files.json"
    files_body = s3.get_object(Bucket="ddb-exports", Key=summary["manifestFilesS3Key"])["Body"].read()
    md5 = s3.get_object(Bucket="ddb-exports", Key=f"{base}/manifest-files.md5")["Body"].read().decode()
    assert md5 == base64.b64encode(hashlib.md5(files_body).digest()).decode()
    entry = json.loads(files_body.decode().splitlines()[0])
    data = s3.get_object(Bucket="ddb-exports", Key=entry["dataFileS3Key"])["Body"].read()
    assert entry["md5Checksum"] == base64.b64encode(hashlib.md5(data).digest()).decode()
    lines = [json.loads(l) for l in gzip.decompress(data).decode().splitlines()]
    assert sorted(l["Item"]["pk"]["S"] for l in lines) == ["a", "b"]

    listed = ddb.list_exports(TableArn=arn)["ExportSummaries"]
    assert [e["ExportStatus"] for e in listed] == ["COMPLETED"]
    gureum.restart(kill=True)
    ddb2 = gureum.client("dynamodb")
    assert ddb2.describe_export(ExportArn=d["ExportArn"])["ExportDescription"]["ItemCount"] == 2

    # The export's own data files import back into a new table.
    imp = ddb2.import_table(
        S3BucketSource={"S3Bucket": "ddb-exports", "S3KeyPrefix": f"{base}/data/"},
        InputFormat="DYNAMODB_JSON",
        InputCompressionType="GZIP",
        TableCreationParameters={
            "TableName": "ex_back",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )["ImportTableDescription"]
    done = wait(ddb2.describe_import, "ImportStatus", ImportArn=imp["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED", done
    assert done["ImportedItemCount"] == 2 and done["ErrorCount"] == 0
    got = ddb2.scan(TableName="ex_back")["Items"]
    assert sorted(i["pk"]["S"] for i in got) == ["a", "b"]


def test_export_to_a_missing_bucket_fails_with_a_reason(gureum, ddb):
    arn = make_table(ddb, "ex_nobucket")
    ddb.update_continuous_backups(
        TableName="ex_nobucket", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    d = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="no-such-bucket-here")["ExportDescription"]
    d = wait(ddb.describe_export, "ExportStatus", ExportArn=d["ExportArn"])
    assert d["ExportStatus"] == "FAILED"
    assert d["FailureCode"] == "S3NoSuchBucket"


def test_csv_import_types_keys_and_counts_bad_rows(ddb, s3):
    s3.create_bucket(Bucket="ddb-imports")
    body = 'id,name,colour\n1,"Smith, Jo",red\n2,Lee,blue\nx,Bad,red\n3,Kim,\n'
    s3.put_object(Bucket="ddb-imports", Key="people/part-1.csv", Body=body.encode())
    imp = ddb.import_table(
        S3BucketSource={"S3Bucket": "ddb-imports", "S3KeyPrefix": "people/"},
        InputFormat="CSV",
        TableCreationParameters={
            "TableName": "im_people",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": "id", "AttributeType": "N"},
                {"AttributeName": "colour", "AttributeType": "S"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "GlobalSecondaryIndexes": [{
                "IndexName": "by-colour",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
        },
    )["ImportTableDescription"]
    assert imp["ImportStatus"] == "IN_PROGRESS"
    done = wait(ddb.describe_import, "ImportStatus", ImportArn=imp["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED", done
    assert (done["ProcessedItemCount"], done["ImportedItemCount"], done["ErrorCount"]) == (4, 3, 1)
    jo = ddb.get_item(TableName="im_people", Key={"id": {"N": "1"}})["Item"]
    assert jo["name"] == {"S": "Smith, Jo"}
    q = ddb.query(
        TableName="im_people", IndexName="by-colour",
        KeyConditionExpression="colour = :c", ExpressionAttributeValues={":c": {"S": "red"}},
    )
    assert q["Count"] == 1
    listed = ddb.list_imports(TableArn=done["TableArn"])["ImportSummaryList"]
    assert [i["ImportArn"] for i in listed] == [imp["ImportArn"]]

    r = error(
        ddb.import_table,
        S3BucketSource={"S3Bucket": "ddb-imports"},
        InputFormat="CSV",
        TableCreationParameters={
            "TableName": "im_people",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "N"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    assert r["Error"] == {"Code": "ResourceInUseException", "Message": "Table already exists: im_people"}


def test_unknown_jobs_are_not_found(ddb):
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/x/export/01234567890123-abcdef12"
    r = error(ddb.describe_export, ExportArn=arn)
    assert r["Error"] == {"Code": "ExportNotFoundException", "Message": f"Export not found: {arn}"}
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/x/import/01234567890123-abcdef12"
    r = error(ddb.describe_import, ImportArn=arn)
    assert r["Error"] == {"Code": "ImportNotFoundException", "Message": f"Import not found: {arn}"}


def test_client_token_makes_an_export_idempotent(ddb, s3):
    s3.create_bucket(Bucket="ddb-tokens")
    arn = make_table(ddb, "ex_token")
    ddb.update_continuous_backups(
        TableName="ex_token", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    first = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="ddb-tokens", ClientToken="tok-1")
    again = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="ddb-tokens", ClientToken="tok-1")
    assert again["ExportDescription"]["ExportArn"] == first["ExportDescription"]["ExportArn"]
    r = error(ddb.export_table_to_point_in_time, TableArn=arn, S3Bucket="ddb-tokens", S3Prefix="other",
              ClientToken="tok-1")
    assert r["Error"]["Code"] == "ImportConflictException"
    assert r["Error"]["Message"].startswith("There was a conflict when importing from the specified S3 source.")
    assert len(ddb.list_exports(TableArn=arn)["ExportSummaries"]) == 1
