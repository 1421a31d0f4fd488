"""DynamoDB backups and point-in-time recovery end to end: on-demand
backups are real copies (later writes do not reach them) restored with
their indexes into new tables; point-in-time restores reproduce the table
as it was at the time asked, on Gureum's clock; AWS's errors and messages
as the client reads them; everything survives a restart."""
import datetime

import botocore.exceptions
import pytest

from helpers import advance


@pytest.fixture(scope="module")
def ddb(gureum):
    return gureum.client("dynamodb")


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response


def make_table(ddb, name):
    ddb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "colour", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-colour",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def put(ddb, table, sk, colour, n=1):
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "p"}, "sk": {"S": sk}, "colour": {"S": colour}, "n": {"N": str(n)}},
    )


def items(ddb, table):
    out = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted((i["sk"]["S"], i["colour"]["S"], i["n"]["N"]) for i in out)


def by_colour(ddb, table, colour):
    return ddb.query(
        TableName=table, IndexName="by-colour",
        KeyConditionExpression="colour = :c", ExpressionAttributeValues={":c": {"S": colour}},
    )["Count"]


def test_backup_is_a_copy_restored_with_its_indexes(gureum, ddb):
    make_table(ddb, "bk_src")
    for sk, colour in [("a", "red"), ("b", "red"), ("c", "blue")]:
        put(ddb, "bk_src", sk, colour)
    details = ddb.create_backup(TableName="bk_src", BackupName="nightly")["BackupDetails"]
    arn = details["BackupArn"]
    assert arn.startswith("arn:aws:dynamodb:us-east-1:000000000000:table/bk_src/backup/")
    assert details["BackupStatus"] == "CREATING" and details["BackupType"] == "USER"
    # Later writes do not reach the backup.
    ddb.delete_item(TableName="bk_src", Key={"pk": {"S": "p"}, "sk": {"S": "a"}})
    put(ddb, "bk_src", "d", "green")

    desc = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    assert desc["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    assert desc["BackupDetails"]["BackupName"] == "nightly"
    assert desc["SourceTableDetails"]["ItemCount"] == 3
    assert desc["SourceTableDetails"]["TableName"] == "bk_src"
    assert desc["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"][0]["IndexName"] == "by-colour"

    gureum.restart(kill=True)
    ddb = gureum.client("dynamodb")
    listed = ddb.list_backups(TableName="bk_src")["BackupSummaries"]
    assert [b["BackupArn"] for b in listed] == [arn]
    assert ddb.list_backups(TableName="other")["BackupSummaries"] == []
    assert ddb.list_backups(BackupType="SYSTEM")["BackupSummaries"] == []

    out = ddb.restore_table_from_backup(TargetTableName="bk_copy", BackupArn=arn)["TableDescription"]
    assert out["TableStatus"] == "CREATING"
    assert out["RestoreSummary"]["SourceBackupArn"] == arn
    assert out["RestoreSummary"]["RestoreInProgress"] is True
    table = ddb.describe_table(TableName="bk_copy")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["ItemCount"] == 3
    assert table["RestoreSummary"]["RestoreInProgress"] is False
    assert table["TableArn"] == "arn:aws:dynamodb:us-east-1:000000000000:table/bk_copy"
    assert items(ddb, "bk_copy") == [("a", "red", "1"), ("b", "red", "1"), ("c", "blue", "1")]
    assert by_colour(ddb, "bk_copy", "red") == 2
    assert by_colour(ddb, "bk_copy", "green") == 0
    # The source is untouched by the restore.
    assert items(ddb, "bk_src") == [("b", "red", "1"), ("c", "blue", "1"), ("d", "green", "1")]

    r = error(ddb.restore_table_from_backup, TargetTableName="bk_copy", BackupArn=arn)
    assert r["Error"] == {"Code": "TableAlreadyExistsException", "Message": "Table already exists: bk_copy"}

    deleted = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    r = error(ddb.describe_backup, BackupArn=arn)
    assert r["Error"] == {"Code": "BackupNotFoundException", "Message": f"Backup not found: {arn}"}
    r = error(ddb.restore_table_from_backup, TargetTableName="bk_again", BackupArn=arn)
    assert r["Error"]["Code"] == "BackupNotFoundException"
    # The restored table lives on without its backup.
    assert items(ddb, "bk_copy")[0] == ("a", "red", "1")


def test_backup_of_a_missing_table_is_table_not_found(ddb):
    r = error(ddb.create_backup, TableName="bk_nowhere", BackupName="xyz")
    assert r["Error"] == {"Code": "TableNotFoundException", "Message": "Table not found: bk_nowhere"}


def test_list_backups_pages_oldest_first(ddb):
    make_table(ddb, "bk_pages")
    arns = [ddb.create_backup(TableName="bk_pages", BackupName=f"bk{i}")["BackupDetails"]["BackupArn"] for i in range(3)]
    first = ddb.list_backups(TableName="bk_pages", Limit=2)
    assert [b["BackupArn"] for b in first["BackupSummaries"]] == arns[:2]
    rest = ddb.list_backups(TableName="bk_pages", ExclusiveStartBackupArn=first["LastEvaluatedBackupArn"])
    assert [b["BackupArn"] for b in rest["BackupSummaries"]] == arns[2:]
    assert "LastEvaluatedBackupArn" not in rest


def test_point_in_time_restore_reproduces_the_table_at_that_time(gureum, ddb):
    make_table(ddb, "pitr_src")
    put(ddb, "pitr_src", "a", "red", 1)
    put(ddb, "pitr_src", "b", "red", 1)
    off = ddb.describe_continuous_backups(TableName="pitr_src")["ContinuousBackupsDescription"]
    assert off["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    r = error(ddb.restore_table_to_point_in_time, SourceTableName="pitr_src", TargetTableName="pitr_none",
              UseLatestRestorableTime=True)
    assert r["Error"] == {
        "Code": "PointInTimeRecoveryUnavailableException",
        "Message": "Point in time recovery is not enabled for table 'pitr_src'",
    }
    on = ddb.update_continuous_backups(
        TableName="pitr_src", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert on["PointInTimeRecoveryStatus"] == "ENABLED" and on["RecoveryPeriodInDays"] == 35
    enabled_at = on["EarliestRestorableDateTime"]

    advance(gureum, 600)
    d = ddb.describe_continuous_backups(TableName="pitr_src")["ContinuousBackupsDescription"]
    before_changes = d["PointInTimeRecoveryDescription"]["LatestRestorableDateTime"]
    # Latest restorable time trails Gureum's clock by five minutes.
    assert (before_changes - enabled_at).total_seconds() == pytest.approx(300, abs=2)

    ddb.update_item(
        TableName="pitr_src", Key={"pk": {"S": "p"}, "sk": {"S": "a"}},
        UpdateExpression="SET n = :n, colour = :c",
        ExpressionAttributeValues={":n": {"N": "2"}, ":c": {"S": "blue"}},
    )
    ddb.delete_item(TableName="pitr_src", Key={"pk": {"S": "p"}, "sk": {"S": "b"}})
    put(ddb, "pitr_src", "c", "green", 3)
    advance(gureum, 600)

    gureum.restart(kill=True)
    ddb = gureum.client("dynamodb")
    out = ddb.restore_table_to_point_in_time(
        SourceTableName="pitr_src", TargetTableName="pitr_then", RestoreDateTime=before_changes
    )["TableDescription"]
    assert out["RestoreSummary"]["SourceTableArn"].endswith(":table/pitr_src")
    assert items(ddb, "pitr_then") == [("a", "red", "1"), ("b", "red", "1")]
    assert by_colour(ddb, "pitr_then", "red") == 2
    ddb.restore_table_to_point_in_time(
        SourceTableName="pitr_src", TargetTableName="pitr_now", UseLatestRestorableTime=True
    )
    assert items(ddb, "pitr_now") == [("a", "blue", "2"), ("c", "green", "3")]
    assert by_colour(ddb, "pitr_now", "blue") == 1
    assert ddb.describe_table(TableName="pitr_now")["Table"]["ItemCount"] == 2
    # A restored table has no recovery of its own, as on AWS.
    d = ddb.describe_continuous_backups(TableName="pitr_now")["ContinuousBackupsDescription"]
    assert d["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"

    too_early = enabled_at - datetime.timedelta(seconds=60)
    r = error(ddb.restore_table_to_point_in_time, SourceTableName="pitr_src", TargetTableName="pitr_x",
              RestoreDateTime=too_early)
    assert r["Error"] == {"Code": "InvalidRestoreTimeException", "Message": "Invalid restore time"}
    r = error(ddb.restore_table_to_point_in_time, SourceTableName="pitr_src", TargetTableName="pitr_now",
              UseLatestRestorableTime=True)
    assert r["Error"] == {"Code": "TableAlreadyExistsException", "Message": "Table already exists: pitr_now"}
    r = error(ddb.describe_continuous_backups, TableName="pitr_nowhere")
    assert r["Error"] == {"Code": "TableNotFoundException", "Message": "Table not found: pitr_nowhere"}

    # Turning recovery off drops the history; on again starts a new one.
    ddb.update_continuous_backups(
        TableName="pitr_src", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )
    r = error(ddb.restore_table_to_point_in_time, SourceTableName="pitr_src", TargetTableName="pitr_y",
              UseLatestRestorableTime=True)
    assert r["Error"]["Code"] == "PointInTimeRecoveryUnavailableException"


def test_recovery_period_is_bounded(ddb):
    make_table(ddb, "pitr_days")
    r = error(ddb.update_continuous_backups, TableName="pitr_days",
              PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 36})
    assert r["Error"]["Code"] == "ValidationException"
    d = ddb.update_continuous_backups(
        TableName="pitr_days",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert d["RecoveryPeriodInDays"] == 7


def test_cli_creates_and_restores_a_backup(gureum):
    gureum.aws(
        "dynamodb", "create-table", "--table-name", "bk_cli",
        "--key-schema", "AttributeName=pk,KeyType=HASH",
        "--attribute-definitions", "AttributeName=pk,AttributeType=S",
        "--billing-mode", "PAY_PER_REQUEST",
    )
    gureum.aws("dynamodb", "put-item", "--table-name", "bk_cli", "--item", '{"pk": {"S": "one"}}')
    rc, out, _ = gureum.aws("dynamodb", "create-backup", "--table-name", "bk_cli", "--backup-name", "cli")
    arn = out["BackupDetails"]["BackupArn"]
    rc, out, _ = gureum.aws(
        "dynamodb", "restore-table-from-backup", "--target-table-name", "bk_cli_copy", "--backup-arn", arn
    )
    assert out["TableDescription"]["TableName"] == "bk_cli_copy"
    rc, out, _ = gureum.aws("dynamodb", "scan", "--table-name", "bk_cli_copy")
    assert out["Items"] == [{"pk": {"S": "one"}}]
