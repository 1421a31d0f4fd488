"""DynamoDB global tables (version 2019.11.21) end to end: UpdateTable's
ReplicaUpdates builds a replica in another region on the clock, changes
really replicate both ways (last writer wins), replica GSIs follow, the
group survives a kill -9 and replication resumes; AWS's validation texts."""
import time

import botocore.exceptions
import pytest


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]


def wait_for(what, check, timeout=15):
    """Polls `check` until it answers something truthy."""
    end = time.time() + timeout
    while time.time() < end:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def make_table(ddb, name, **kw):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode=kw.pop("billing", "PAY_PER_REQUEST"),
        **kw,
    )


def add_replica(ddb, name, region):
    return ddb.update_table(
        TableName=name, ReplicaUpdates=[{"Create": {"RegionName": region}}]
    )["TableDescription"]


def replicas_active(ddb, name):
    t = ddb.describe_table(TableName=name)["Table"]
    ok = t["TableStatus"] == "ACTIVE" and all(
        r["ReplicaStatus"] == "ACTIVE" for r in t.get("Replicas", [])
    )
    return t if ok and t.get("Replicas") else None


def get(ddb, name, pk):
    return ddb.get_item(TableName=name, Key={"pk": {"S": pk}}).get("Item")


def test_replica_is_built_on_the_clock_from_existing_items(gureum):
    us, eu = gureum.client("dynamodb"), gureum.client("dynamodb", region="eu-west-1")
    make_table(us, "gt-build")
    us.put_item(TableName="gt-build", Item={"pk": {"S": "old"}, "v": {"N": "1"}})
    d = add_replica(us, "gt-build", "eu-west-1")
    assert d["TableStatus"] == "UPDATING"
    assert d["GlobalTableVersion"] == "2019.11.21"
    assert d["Replicas"] == [
        {"RegionName": "eu-west-1", "ReplicaStatus": "CREATING", "ReplicaStatusPercentProgress": "0"}
    ]
    # AWS turns the stream on with both images for replication.
    assert d["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    t = wait_for("the replica", lambda: replicas_active(us, "gt-build"))
    assert t["Replicas"] == [{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}]
    there = eu.describe_table(TableName="gt-build")["Table"]
    assert there["TableArn"].startswith("arn:aws:dynamodb:eu-west-1:")
    assert there["Replicas"] == [{"RegionName": "us-east-1", "ReplicaStatus": "ACTIVE"}]
    assert there["ItemCount"] == 1
    assert get(eu, "gt-build", "old") == {"pk": {"S": "old"}, "v": {"N": "1"}}
    assert "gt-build" in eu.list_tables()["TableNames"]


def test_writes_replicate_both_ways_and_survive_kill_9(gureum):
    us, eu = gureum.client("dynamodb"), gureum.client("dynamodb", region="eu-west-1")
    make_table(us, "gt-rep")
    add_replica(us, "gt-rep", "eu-west-1")
    wait_for("the replica", lambda: replicas_active(us, "gt-rep"))
    us.put_item(TableName="gt-rep", Item={"pk": {"S": "a"}, "from": {"S": "us"}})
    assert wait_for("us → eu", lambda: get(eu, "gt-rep", "a")) == {"pk": {"S": "a"}, "from": {"S": "us"}}
    eu.update_item(
        TableName="gt-rep",
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "7"}},
    )
    wait_for("eu → us", lambda: (get(us, "gt-rep", "a") or {}).get("n") == {"N": "7"})
    # No aws:rep:* attributes in version 2019.11.21.
    assert set(get(us, "gt-rep", "a")) == {"pk", "from", "n"}
    eu.delete_item(TableName="gt-rep", Key={"pk": {"S": "a"}})
    wait_for("the deletion", lambda: get(us, "gt-rep", "a") is None)
    # The group and the positions are stored: after kill -9 both regions
    # still replicate.
    gureum.restart(kill=True)
    us, eu = gureum.client("dynamodb"), gureum.client("dynamodb", region="eu-west-1")
    assert eu.describe_table(TableName="gt-rep")["Table"]["Replicas"] == [
        {"RegionName": "us-east-1", "ReplicaStatus": "ACTIVE"}
    ]
    us.put_item(TableName="gt-rep", Item={"pk": {"S": "after"}})
    wait_for("replication after restart", lambda: get(eu, "gt-rep", "after"))
    eu.put_item(TableName="gt-rep", Item={"pk": {"S": "back"}})
    wait_for("replication back after restart", lambda: get(us, "gt-rep", "back"))
    assert us.describe_table(TableName="gt-rep")["Table"]["ItemCount"] == 2


def test_concurrent_writes_converge_on_the_last_writer(gureum):
    us, eu = gureum.client("dynamodb"), gureum.client("dynamodb", region="eu-west-1")
    make_table(us, "gt-lww")
    add_replica(us, "gt-lww", "eu-west-1")
    wait_for("the replica", lambda: replicas_active(us, "gt-lww"))
    for i in range(5):
        us.put_item(TableName="gt-lww", Item={"pk": {"S": f"k{i}"}, "w": {"S": "us"}})
        time.sleep(0.01)
        eu.put_item(TableName="gt-lww", Item={"pk": {"S": f"k{i}"}, "w": {"S": "eu"}})
    for i in range(5):
        for c in (us, eu):
            wait_for(f"k{i} to converge", lambda c=c: (get(c, "gt-lww", f"k{i}") or {}).get("w") == {"S": "eu"})
    # Nothing later undoes it.
    time.sleep(2.5)
    assert all(get(c, "gt-lww", "k4")["w"] == {"S": "eu"} for c in (us, eu))


def test_replica_gsis_follow_the_table(gureum):
    us, eu = gureum.client("dynamodb"), gureum.client("dynamodb", region="eu-west-1")
    make_table(us, "gt-gsi")
    add_replica(us, "gt-gsi", "eu-west-1")
    wait_for("the replica", lambda: replicas_active(us, "gt-gsi"))
    us.update_table(
        TableName="gt-gsi",
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    names = [i["IndexName"] for i in eu.describe_table(TableName="gt-gsi")["Table"]["GlobalSecondaryIndexes"]]
    assert names == ["by-g"]
    us.put_item(TableName="gt-gsi", Item={"pk": {"S": "1"}, "g": {"S": "green"}})
    q = lambda: eu.query(  # noqa: E731
        TableName="gt-gsi",
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "green"}},
    )["Items"]
    assert wait_for("the replicated item in the replica's index", q) == [{"pk": {"S": "1"}, "g": {"S": "green"}}]


def test_removing_replicas(gureum):
    us = gureum.client("dynamodb")
    eu = gureum.client("dynamodb", region="eu-west-1")
    ap = gureum.client("dynamodb", region="ap-northeast-2")
    make_table(us, "gt-del")
    add_replica(us, "gt-del", "eu-west-1")
    wait_for("eu", lambda: replicas_active(us, "gt-del"))
    add_replica(us, "gt-del", "ap-northeast-2")
    wait_for("ap", lambda: len((replicas_active(us, "gt-del") or {}).get("Replicas", [])) == 2)
    # A third member replicates with both others.
    ap.put_item(TableName="gt-del", Item={"pk": {"S": "seoul"}})
    wait_for("ap → eu", lambda: get(eu, "gt-del", "seoul"))
    wait_for("ap → us", lambda: get(us, "gt-del", "seoul"))
    d = us.update_table(TableName="gt-del", ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
    assert {"RegionName": "eu-west-1", "ReplicaStatus": "DELETING"} in d["TableDescription"]["Replicas"]
    wait_for("eu's replica to go", lambda: "gt-del" not in eu.list_tables()["TableNames"])
    assert error(eu.describe_table, TableName="gt-del")["Message"] == (
        "Requested resource not found: Table: gt-del not found"
    )
    # DeleteTable in a member removes that member; the last one left is an
    # ordinary table again.
    ap.delete_table(TableName="gt-del")
    t = us.describe_table(TableName="gt-del")["Table"]
    assert "Replicas" not in t and "GlobalTableVersion" not in t


def test_replica_updates_validation_texts(gureum):
    us, eu = gureum.client("dynamodb"), gureum.client("dynamodb", region="eu-west-1")
    make_table(us, "gt-bad")
    e = error(us.update_table, TableName="gt-bad", ReplicaUpdates=[{"Create": {"RegionName": "us-east-1"}}])
    assert e["Code"] == "ValidationException"
    assert e["Message"] == "Cannot add replica in the same region as the table: us-east-1"
    e = error(us.update_table, TableName="gt-bad", ReplicaUpdates=[{"Create": {"RegionName": "mars-north-1"}}])
    assert e["Message"] == "Provided region_name mars-north-1 is not a valid AWS region."
    e = error(us.update_table, TableName="gt-bad", ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
    assert e["Message"] == (
        "Replica specified in the Replica Update or Replica Delete action of the request was not found: "
        "Region eu-west-1 of table gt-bad"
    )
    make_table(eu, "gt-bad")
    e = error(us.update_table, TableName="gt-bad", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    assert e["Message"] == (
        "Failed to create a the new replica of table with name: 'gt-bad' because one or more replicas "
        "already existed as tables."
    )
    make_table(us, "gt-prov", billing="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    e = error(us.update_table, TableName="gt-prov", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-2"}}])
    assert e["Message"] == "Table write capacity should either be Pay-Per-Request or AutoScaled."
    make_table(us, "gt-keys", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    e = error(us.update_table, TableName="gt-keys", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-2"}}])
    assert e["Message"] == "Table gt-keys has a stream with StreamViewType KEYS_ONLY; replicas need NEW_AND_OLD_IMAGES"
    # A global table keeps its stream.
    make_table(us, "gt-stream")
    add_replica(us, "gt-stream", "eu-west-2")
    wait_for("the replica", lambda: replicas_active(us, "gt-stream"))
    e = error(us.update_table, TableName="gt-stream", StreamSpecification={"StreamEnabled": False})
    assert e["Message"] == (
        "Table gt-stream is a global table replica; its stream cannot be disabled while it has replicas"
    )


def stream_table(ddb, name):
    make_table(ddb, name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})


def test_legacy_global_table_joins_existing_tables_and_replicates(gureum):
    us, eu = gureum.client("dynamodb"), gureum.client("dynamodb", region="eu-west-1")
    e = error(us.create_global_table, GlobalTableName="gl-1", ReplicationGroup=[{"RegionName": "us-east-1"}])
    assert (e["Code"], e["Message"]) == ("TableNotFoundException", "Table not found: gl-1")
    for c in (us, eu):
        stream_table(c, "gl-1")
    d = us.create_global_table(
        GlobalTableName="gl-1", ReplicationGroup=[{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}]
    )["GlobalTableDescription"]
    assert d["GlobalTableStatus"] == "ACTIVE"
    assert d["GlobalTableArn"] == "arn:aws:dynamodb::000000000000:global-table/gl-1"
    assert [r["RegionName"] for r in d["ReplicationGroup"]] == ["us-east-1", "eu-west-1"]
    assert us.describe_table(TableName="gl-1")["Table"]["GlobalTableVersion"] == "2017.11.29"
    e = error(us.create_global_table, GlobalTableName="gl-1", ReplicationGroup=[{"RegionName": "us-east-1"}])
    assert (e["Code"], e["Message"]) == ("GlobalTableAlreadyExistsException", "Global table already exists: gl-1")
    eu.put_item(TableName="gl-1", Item={"pk": {"S": "x"}})
    wait_for("eu → us", lambda: get(us, "gl-1", "x"))
    listed = us.list_global_tables()["GlobalTables"]
    assert {"GlobalTableName": "gl-1", "ReplicationGroup": [{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}]} in listed
    assert all(t["GlobalTableName"] != "gl-1" for t in us.list_global_tables(RegionName="ap-south-1")["GlobalTables"])
    e = error(us.describe_global_table, GlobalTableName="gl-none")
    assert (e["Code"], e["Message"]) == ("GlobalTableNotFoundException", "Global table not found: gl-none")
    # AWS's rules for a new legacy replica: existing, empty, with its stream.
    ap = gureum.client("dynamodb", region="ap-south-1")
    make_table(ap, "gl-1")
    e = error(us.update_global_table, GlobalTableName="gl-1", ReplicaUpdates=[{"Create": {"RegionName": "ap-south-1"}}])
    assert e["Message"] == (
        "One or more parameter values were invalid: Table gl-1 in region ap-south-1 must have DynamoDB "
        "Streams enabled with the NEW_AND_OLD_IMAGES view type"
    )
    e = error(us.update_global_table, GlobalTableName="gl-1", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    assert (e["Code"], e["Message"]) == ("ReplicaAlreadyExistsException", "Replica already exists: eu-west-1")
    stream_table(gureum.client("dynamodb", region="sa-east-1"), "gl-1")
    sa = gureum.client("dynamodb", region="sa-east-1")
    sa.put_item(TableName="gl-1", Item={"pk": {"S": "full"}})
    e = error(us.update_global_table, GlobalTableName="gl-1", ReplicaUpdates=[{"Create": {"RegionName": "sa-east-1"}}])
    assert e["Message"] == "One or more parameter values were invalid: Table gl-1 in region sa-east-1 is not empty"
    d = us.update_global_table(GlobalTableName="gl-1", ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
    assert [r["RegionName"] for r in d["GlobalTableDescription"]["ReplicationGroup"]] == ["us-east-1"]
    # The removed table stays, on its own.
    assert "Replicas" not in eu.describe_table(TableName="gl-1")["Table"]
    e = error(us.update_global_table, GlobalTableName="gl-1", ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
    assert (e["Code"], e["Message"]) == ("ReplicaNotFoundException", "Replica not found: eu-west-1")
    gureum.restart(kill=True)
    assert gureum.client("dynamodb").describe_global_table(GlobalTableName="gl-1")["GlobalTableDescription"][
        "GlobalTableName"
    ] == "gl-1"
