"""DynamoDB end to end: boto3's client and resource APIs (Table,
batch_writer, Key/Attr conditions) and the aws CLI against the real
binary; AWS's error texts as the client reads them; conditional-write
atomicity under 16 threads; persistence across kill -9."""
import threading
import time
from decimal import Decimal

import boto3
import botocore.exceptions
import pytest
from boto3.dynamodb.conditions import Attr, Key

from helpers import advance


@pytest.fixture(scope="module")
def ddb(gureum):
    return gureum.client("dynamodb")


@pytest.fixture(scope="module")
def resource(gureum):
    return boto3.resource(
        "dynamodb",
        endpoint_url=gureum.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response


def make_table(resource, name, gsi=False):
    attrs = [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    kw = {}
    if gsi:
        attrs.append({"AttributeName": "colour", "AttributeType": "S"})
        kw["GlobalSecondaryIndexes"] = [
            {
                "IndexName": "by-colour",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["size"]},
            }
        ]
    table = resource.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=attrs,
        BillingMode="PAY_PER_REQUEST",
        **kw,
    )
    table.wait_until_exists()
    return table


def test_create_describe_list_delete(ddb):
    out = ddb.create_table(
        TableName="plain",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
        Tags=[{"Key": "team", "Value": "core"}],
    )["TableDescription"]
    assert out["TableStatus"] == "CREATING"
    assert out["TableArn"] == "arn:aws:dynamodb:us-east-1:000000000000:table/plain"
    table = ddb.describe_table(TableName="plain")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert "plain" in ddb.list_tables()["TableNames"]
    tags = ddb.list_tags_of_resource(ResourceArn=out["TableArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "core"}]
    ddb.delete_table(TableName="plain")
    r = error(ddb.describe_table, TableName="plain")
    assert r["Error"]["Code"] == "ResourceNotFoundException"
    assert r["Error"]["Message"] == "Requested resource not found: Table: plain not found"


def test_create_table_validation_texts(ddb):
    r = error(
        ddb.create_table,
        TableName="bad",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert r["Error"]["Code"] == "ValidationException"
    assert r["Error"]["Message"] == (
        "One or more parameter values were invalid: Some index key attributes are not defined in "
        "AttributeDefinitions. Keys: [id], AttributeDefinitions: [other]"
    )


def test_list_tables_pages(ddb):
    for i in range(3):
        ddb.create_table(
            TableName=f"page-{i}",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    first = ddb.list_tables(ExclusiveStartTableName="page-", Limit=2)
    assert first["TableNames"] == ["page-0", "page-1"]
    assert first["LastEvaluatedTableName"] == "page-1"
    names = [n for p in ddb.get_paginator("list_tables").paginate() for n in p["TableNames"]]
    assert {"page-0", "page-1", "page-2"} <= set(names)


def test_resource_api_put_get_update_query(resource):
    table = make_table(resource, "things", gsi=True)
    with table.batch_writer() as batch:
        for i in range(40):
            batch.put_item(
                Item={
                    "pk": "user#1",
                    "sk": f"order#{i:03}",
                    "colour": "red" if i % 2 else "blue",
                    "size": i,
                    "price": Decimal("1.10") * i,
                }
            )
    got = table.get_item(Key={"pk": "user#1", "sk": "order#005"})["Item"]
    assert got["size"] == 5 and got["price"] == Decimal("5.5")
    q = table.query(
        KeyConditionExpression=Key("pk").eq("user#1") & Key("sk").begins_with("order#01"),
    )
    assert [i["sk"] for i in q["Items"]] == [f"order#{i:03}" for i in range(10, 20)]
    q = table.query(
        KeyConditionExpression=Key("pk").eq("user#1") & Key("sk").between("order#030", "order#033"),
        ScanIndexForward=False,
    )
    assert [i["sk"] for i in q["Items"]] == ["order#033", "order#032", "order#031", "order#030"]
    q = table.query(
        IndexName="by-colour",
        KeyConditionExpression=Key("colour").eq("red"),
        FilterExpression=Attr("size").gte(30),
    )
    assert q["Count"] == 5 and q["ScannedCount"] == 20
    assert set(q["Items"][0]) == {"pk", "sk", "colour", "size"}
    out = table.update_item(
        Key={"pk": "user#1", "sk": "order#005"},
        UpdateExpression="SET price = price + :d, tags = list_append(if_not_exists(tags, :e), :t) REMOVE colour",
        ExpressionAttributeValues={":d": Decimal("0.01"), ":e": [], ":t": ["gift"]},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    assert out["price"] == Decimal("5.51") and out["tags"] == ["gift"] and "colour" not in out
    blue = table.query(IndexName="by-colour", KeyConditionExpression=Key("colour").eq("blue"))
    assert "order#005" not in [i["sk"] for i in blue["Items"]]
    # Pages of a scan cover every item once.
    seen = []
    kw = {"Limit": 7}
    while True:
        page = table.scan(**kw)
        seen += [i["sk"] for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert sorted(seen) == [f"order#{i:03}" for i in range(40)]
    segments = [
        i["sk"] for s in range(4) for i in table.scan(Segment=s, TotalSegments=4)["Items"]
    ]
    assert sorted(segments) == sorted(seen)


def test_condition_failure_and_expression_errors(ddb, resource):
    table = make_table(resource, "conds")
    table.put_item(Item={"pk": "a", "sk": "1", "n": 1})
    r = error(
        table.put_item,
        Item={"pk": "a", "sk": "1"},
        ConditionExpression=Attr("pk").not_exists(),
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    assert r["Error"] == {"Message": "The conditional request failed", "Code": "ConditionalCheckFailedException"}
    assert r["Item"]["n"] == {"N": "1"}
    r = error(
        ddb.update_item,
        TableName="conds",
        Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
        UpdateExpression="SET status = :v",
        ExpressionAttributeValues={":v": {"S": "x"}},
    )
    assert r["Error"]["Message"] == (
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"
    )
    r = error(
        ddb.put_item,
        TableName="conds",
        Item={"pk": {"S": "a"}, "sk": {"S": "1"}},
        ExpressionAttributeValues={":unused": {"S": "x"}},
    )
    assert r["Error"]["Message"] == "ExpressionAttributeValues can only be specified when using expressions"
    r = error(
        ddb.put_item,
        TableName="conds",
        Item={"pk": {"S": "b"}, "sk": {"S": "1"}},
        ConditionExpression="attribute_not_exists(pk)",
        ExpressionAttributeValues={":unused": {"S": "x"}},
    )
    assert r["Error"]["Message"] == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    )
    r = error(
        ddb.put_item,
        TableName="conds",
        Item={"pk": {"S": "b"}, "sk": {"S": "1"}, "s": {"SS": []}},
    )
    assert r["Error"]["Message"] == "One or more parameter values were invalid: An string set  may not be empty"
    r = error(
        ddb.put_item,
        TableName="conds",
        Item={"pk": {"S": "b"}, "sk": {"S": "1"}, "n": {"N": "1E+126"}},
    )
    assert r["Error"]["Message"] == (
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )
    r = error(ddb.get_item, TableName="missing-table", Key={"pk": {"S": "a"}})
    assert r["Error"] == {"Message": "Requested resource not found", "Code": "ResourceNotFoundException"}


def test_numbers_are_exact(resource):
    table = make_table(resource, "numbers")
    table.put_item(Item={"pk": "n", "sk": "1", "v": Decimal("0.1")})
    for _ in range(2):
        table.update_item(
            Key={"pk": "n", "sk": "1"},
            UpdateExpression="ADD v :d",
            ExpressionAttributeValues={":d": Decimal("0.1")},
        )
    assert table.get_item(Key={"pk": "n", "sk": "1"})["Item"]["v"] == Decimal("0.3")
    big = Decimal("12345678901234567890123456789012345678")
    table.put_item(Item={"pk": "n", "sk": "2", "v": big})
    assert table.get_item(Key={"pk": "n", "sk": "2"})["Item"]["v"] == big


def test_transactions(ddb, resource):
    make_table(resource, "tx")
    ddb.put_item(TableName="tx", Item={"pk": {"S": "acct"}, "sk": {"S": "a"}, "bal": {"N": "10"}})
    r = error(
        ddb.transact_write_items,
        TransactItems=[
            {
                "ConditionCheck": {
                    "TableName": "tx",
                    "Key": {"pk": {"S": "acct"}, "sk": {"S": "a"}},
                    "ConditionExpression": "bal > :min",
                    "ExpressionAttributeValues": {":min": {"N": "100"}},
                }
            },
            {"Put": {"TableName": "tx", "Item": {"pk": {"S": "acct"}, "sk": {"S": "b"}}}},
        ],
    )
    assert r["Error"]["Code"] == "TransactionCanceledException"
    assert r["Error"]["Message"] == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[ConditionalCheckFailed, None]"
    )
    assert r["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
        {"Code": "None"},
    ]
    assert "Item" not in ddb.get_item(TableName="tx", Key={"pk": {"S": "acct"}, "sk": {"S": "b"}})
    ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": "tx",
                    "Key": {"pk": {"S": "acct"}, "sk": {"S": "a"}},
                    "UpdateExpression": "SET bal = bal - :x",
                    "ConditionExpression": "bal >= :x",
                    "ExpressionAttributeValues": {":x": {"N": "4"}},
                }
            },
            {"Put": {"TableName": "tx", "Item": {"pk": {"S": "acct"}, "sk": {"S": "b"}, "bal": {"N": "4"}}}},
        ]
    )
    got = ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": "tx", "Key": {"pk": {"S": "acct"}, "sk": {"S": k}}}} for k in "ab"
        ]
    )["Responses"]
    assert [g["Item"]["bal"]["N"] for g in got] == ["6", "4"]


def test_batch_get_and_write(ddb, resource):
    make_table(resource, "batch")
    r = error(
        ddb.batch_write_item,
        RequestItems={
            "batch": [
                {"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"S": "1"}}}},
                {"DeleteRequest": {"Key": {"pk": {"S": "a"}, "sk": {"S": "1"}}}},
            ]
        },
    )
    assert r["Error"]["Message"] == "Provided list of item keys contains duplicates"
    ddb.batch_write_item(
        RequestItems={
            "batch": [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"S": str(i)}}}} for i in range(25)]
        }
    )
    got = ddb.batch_get_item(
        RequestItems={"batch": {"Keys": [{"pk": {"S": "a"}, "sk": {"S": str(i)}} for i in range(30)]}}
    )
    assert len(got["Responses"]["batch"]) == 25
    assert got["UnprocessedKeys"] == {}


def test_aws_cli(gureum):
    gureum.aws(
        "dynamodb", "create-table", "--table-name", "cli",
        "--attribute-definitions", "AttributeName=id,AttributeType=S",
        "--key-schema", "AttributeName=id,KeyType=HASH",
        "--billing-mode", "PAY_PER_REQUEST",
    )
    gureum.aws("dynamodb", "put-item", "--table-name", "cli", "--item", '{"id": {"S": "x"}, "v": {"N": "7"}}')
    _, out, _ = gureum.aws("dynamodb", "get-item", "--table-name", "cli", "--key", '{"id": {"S": "x"}}')
    assert out["Item"]["v"] == {"N": "7"}
    _, out, _ = gureum.aws("dynamodb", "scan", "--table-name", "cli")
    assert out["Count"] == 1
    code, _, err = gureum.aws(
        "dynamodb", "put-item", "--table-name", "cli", "--item", '{"id": {"S": "x"}}',
        "--condition-expression", "attribute_not_exists(id)", check=False,
    )
    assert code != 0 and "ConditionalCheckFailedException" in err and "The conditional request failed" in err


def test_ttl_expires_items_on_the_clock(gureum, ddb, resource):
    table = make_table(resource, "ttl")
    ddb.update_time_to_live(
        TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    now = int(time.time())
    table.put_item(Item={"pk": "a", "sk": "1", "exp": now + 3600})
    table.put_item(Item={"pk": "a", "sk": "2", "exp": now + 3 * 86400})
    advance(gureum, 7200)
    deadline = time.time() + 10
    while time.time() < deadline:
        if table.scan()["Count"] == 1:
            break
        time.sleep(0.2)
    assert [i["sk"] for i in table.scan()["Items"]] == ["2"]


def test_concurrent_conditional_increments_are_atomic(gureum, resource):
    """16 threads x N optimistic increments (read n, write n+1 only if n is
    still what was read, retry on conflict) end exactly at 16 x N: two
    conditional writes on one key never both succeed."""
    table = make_table(resource, "counter")
    table.put_item(Item={"pk": "c", "sk": "c", "n": 0})
    threads, per_thread = 16, 200
    failures = []

    def worker():
        t = boto3.resource(
            "dynamodb", endpoint_url=gureum.endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        ).Table("counter")
        done = 0
        while done < per_thread:
            n = t.get_item(Key={"pk": "c", "sk": "c"}, ConsistentRead=True)["Item"]["n"]
            try:
                t.update_item(
                    Key={"pk": "c", "sk": "c"},
                    UpdateExpression="SET n = n + :one",
                    ConditionExpression="n = :expected",
                    ExpressionAttributeValues={":one": 1, ":expected": n},
                )
                done += 1
            except botocore.exceptions.ClientError as e:
                if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    failures.append(e)
                    return

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not failures
    assert table.get_item(Key={"pk": "c", "sk": "c"})["Item"]["n"] == threads * per_thread


def test_items_survive_kill_9(gureum, ddb, resource):
    table = make_table(resource, "durable", gsi=True)
    table.put_item(Item={"pk": "k", "sk": "1", "colour": "green", "size": 3})
    gureum.restart(kill=True)
    ddb2 = gureum.client("dynamodb")
    got = ddb2.get_item(TableName="durable", Key={"pk": {"S": "k"}, "sk": {"S": "1"}})["Item"]
    assert got["colour"] == {"S": "green"}
    q = ddb2.query(
        TableName="durable", IndexName="by-colour",
        KeyConditionExpression="colour = :c", ExpressionAttributeValues={":c": {"S": "green"}},
    )
    assert q["Count"] == 1
    assert ddb2.describe_table(TableName="durable")["Table"]["ItemCount"] == 1


def test_streams_record_every_change(gureum, ddb):
    ddb.create_table(
        TableName="streamed",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    arn = ddb.describe_table(TableName="streamed")["Table"]["LatestStreamArn"]
    ddb.put_item(TableName="streamed", Item={"id": {"S": "a"}, "v": {"N": "1"}})
    ddb.update_item(
        TableName="streamed", Key={"id": {"S": "a"}},
        UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "2"}},
    )
    ddb.delete_item(TableName="streamed", Key={"id": {"S": "a"}})
    streams = gureum.client("dynamodbstreams")
    assert arn in [s["StreamArn"] for s in streams.list_streams(TableName="streamed")["Streams"]]
    desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert desc["StreamStatus"] == "ENABLED" and desc["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    shard = desc["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    out = streams.get_records(ShardIterator=it)
    recs = out["Records"]
    assert [r["eventName"] for r in recs] == ["INSERT", "MODIFY", "REMOVE"]
    assert recs[1]["dynamodb"]["OldImage"]["v"] == {"N": "1"}
    assert recs[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}
    assert recs[2]["dynamodb"]["Keys"] == {"id": {"S": "a"}}
    assert "NewImage" not in recs[2]["dynamodb"]
    # LATEST sees only what comes after it.
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    assert streams.get_records(ShardIterator=latest)["Records"] == []
    ddb.put_item(TableName="streamed", Item={"id": {"S": "b"}})
    assert [r["eventName"] for r in streams.get_records(ShardIterator=out["NextShardIterator"])["Records"]] == ["INSERT"]


def test_ttl_deletions_are_stream_records_by_the_service(gureum, ddb):
    ddb.create_table(
        TableName="ttl-streamed",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    ddb.update_time_to_live(TableName="ttl-streamed", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    ddb.put_item(TableName="ttl-streamed", Item={"id": {"S": "x"}, "exp": {"N": str(int(time.time()) + 60)}})
    advance(gureum, 120)
    arn = ddb.describe_table(TableName="ttl-streamed")["Table"]["LatestStreamArn"]
    streams = gureum.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    deadline = time.time() + 10
    while time.time() < deadline:
        recs = streams.get_records(ShardIterator=it)["Records"]
        if len(recs) == 2:
            break
        time.sleep(0.2)
    assert recs[1]["eventName"] == "REMOVE"
    assert recs[1]["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


def test_endpoint_answers_at_the_dynamodb_host_name(gureum):
    """Routing is by X-Amz-Target, so `dynamodb.us-east-1.localhost` as the
    Host (what SDKs send for that endpoint) reaches DynamoDB."""
    client = gureum.client("dynamodb")
    host = f"dynamodb.us-east-1.localhost:{gureum.port}"

    def set_host(request, **_):
        request.headers["Host"] = host

    client.meta.events.register("before-sign.dynamodb.ListTables", set_host)
    assert "TableNames" in client.list_tables()


def test_partiql_statements(ddb, resource):
    make_table(resource, "partiql")
    ddb.execute_statement(
        Statement="INSERT INTO \"partiql\" VALUE {'pk': ?, 'sk': 'a', 'n': 1, 'tags': <<'x', 'y'>>}",
        Parameters=[{"S": "p"}],
    )
    r = error(ddb.execute_statement, Statement="INSERT INTO \"partiql\" VALUE {'pk': 'p', 'sk': 'a'}")
    assert r["Error"] == {"Message": "Duplicate primary key exists in table", "Code": "DuplicateItemException"}
    ddb.execute_statement(Statement="INSERT INTO partiql VALUE {'pk': 'p', 'sk': 'b', 'n': 2}")
    ddb.execute_statement(
        Statement="UPDATE partiql SET n = n + 10 WHERE pk = 'p' AND sk = 'a'",
    )
    out = ddb.execute_statement(
        Statement="SELECT pk, sk, n FROM partiql WHERE pk = ? AND n > ?",
        Parameters=[{"S": "p"}, {"N": "1"}],
    )
    assert sorted((i["sk"]["S"], i["n"]["N"]) for i in out["Items"]) == [("a", "11"), ("b", "2")]
    r = error(ddb.execute_statement, Statement="UPDATE partiql SET n = 1 WHERE pk = 'p' AND sk = 'zz'")
    assert r["Error"]["Code"] == "ConditionalCheckFailedException"
    ddb.execute_statement(Statement="DELETE FROM partiql WHERE pk = 'p' AND sk = 'b'")
    assert len(ddb.execute_statement(Statement="SELECT * FROM partiql")["Items"]) == 1
    r = error(ddb.execute_statement, Statement="SELEKT * FROM partiql")
    assert r["Error"]["Code"] == "ValidationException"


def test_descending_query_pages_backwards_in_order(ddb):
    ddb.create_table(
        TableName="desc-pages",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(300):
        ddb.put_item(TableName="desc-pages", Item={"pk": {"S": "p"}, "n": {"N": str(i)}})
    ddb.put_item(TableName="desc-pages", Item={"pk": {"S": "q"}, "n": {"N": "1000"}})
    seen, start = [], None
    while True:
        kw = {"ExclusiveStartKey": start} if start else {}
        page = ddb.query(
            TableName="desc-pages",
            KeyConditionExpression="pk = :p AND n BETWEEN :a AND :b",
            ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "10"}, ":b": {"N": "250"}},
            ScanIndexForward=False,
            Limit=70,
            **kw,
        )
        seen += [int(i["n"]["N"]) for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert seen == list(range(250, 9, -1))
    top = ddb.query(
        TableName="desc-pages",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        ScanIndexForward=False,
        Limit=3,
    )
    assert [i["n"]["N"] for i in top["Items"]] == ["299", "298", "297"]
    assert top["LastEvaluatedKey"] == {"pk": {"S": "p"}, "n": {"N": "297"}}
