"""DynamoDB Contributor Insights end to end (settings, AWS's rule names,
top keys counted from real traffic, read from /_gureum/health, kept across
a restart) and the Kinesis streaming destination, which refuses honestly
because Gureum serves no Kinesis stream."""
import json
import time
import urllib.request

import botocore.exceptions
import pytest


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]


def make_table(ddb, name):
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def report(gureum, rule_kind, table, index=None):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        rules = json.load(r)["endpoints"]["dynamodb"]["contributor_insights"]
    for rule in rules:
        if (
            rule["TableName"] == table
            and rule["IndexName"] == index
            and rule["RuleName"].startswith(f"DynamoDBContributorInsights-{rule_kind}-")
        ):
            return rule["Contributors"]
    return None


def test_contributor_insights_settings_and_rule_names(gureum):
    ddb = gureum.client("dynamodb")
    make_table(ddb, "ci-set")
    d = ddb.describe_contributor_insights(TableName="ci-set")
    assert d["ContributorInsightsStatus"] == "DISABLED" and "ContributorInsightsRuleList" not in d
    u = ddb.update_contributor_insights(TableName="ci-set", ContributorInsightsAction="ENABLE")
    assert u["ContributorInsightsStatus"] == "ENABLING"
    d = ddb.describe_contributor_insights(TableName="ci-set")
    assert d["ContributorInsightsStatus"] == "ENABLED"
    stamp = d["ContributorInsightsRuleList"][0].rsplit("-", 1)[1]
    assert d["ContributorInsightsRuleList"] == [
        f"DynamoDBContributorInsights-{k}-ci-set-{stamp}" for k in ("PKC", "SKC", "PKT", "SKT")
    ]
    ddb.update_contributor_insights(
        TableName="ci-set", IndexName="by-g", ContributorInsightsAction="ENABLE",
        ContributorInsightsMode="THROTTLED_KEYS",
    )
    d = ddb.describe_contributor_insights(TableName="ci-set", IndexName="by-g")
    assert d["ContributorInsightsMode"] == "THROTTLED_KEYS"
    assert [r.split("-")[1] for r in d["ContributorInsightsRuleList"]] == ["PKT"]
    listed = ddb.list_contributor_insights(TableName="ci-set")["ContributorInsightsSummaries"]
    assert listed == [
        {"TableName": "ci-set", "ContributorInsightsStatus": "ENABLED", "ContributorInsightsMode": "ACCESSED_AND_THROTTLED_KEYS"},
        {"TableName": "ci-set", "IndexName": "by-g", "ContributorInsightsStatus": "ENABLED", "ContributorInsightsMode": "THROTTLED_KEYS"},
    ]
    page = ddb.list_contributor_insights(MaxResults=1)
    assert len(page["ContributorInsightsSummaries"]) == 1 and "NextToken" in page
    u = ddb.update_contributor_insights(TableName="ci-set", ContributorInsightsAction="DISABLE")
    assert u["ContributorInsightsStatus"] == "DISABLING"
    assert ddb.describe_contributor_insights(TableName="ci-set")["ContributorInsightsStatus"] == "DISABLED"
    e = error(ddb.describe_contributor_insights, TableName="ci-nope")
    assert (e["Code"], e["Message"]) == ("ResourceNotFoundException", "Requested resource not found: Table: ci-nope not found")
    e = error(ddb.update_contributor_insights, TableName="ci-set", IndexName="nope", ContributorInsightsAction="ENABLE")
    assert (e["Code"], e["Message"]) == ("ResourceNotFoundException", "Requested resource not found: Index: nope not found")


def test_top_keys_are_counted_from_traffic_and_survive_restart(gureum):
    ddb = gureum.client("dynamodb")
    make_table(ddb, "ci-top")
    ddb.update_contributor_insights(TableName="ci-top", ContributorInsightsAction="ENABLE")
    ddb.update_contributor_insights(TableName="ci-top", IndexName="by-g", ContributorInsightsAction="ENABLE")
    for i in range(5):
        ddb.put_item(TableName="ci-top", Item={"pk": {"S": "hot"}, "sk": {"S": str(i % 2)}, "g": {"S": "x"}})
    ddb.get_item(TableName="ci-top", Key={"pk": {"S": "hot"}, "sk": {"S": "0"}})
    ddb.get_item(TableName="ci-top", Key={"pk": {"S": "cold"}, "sk": {"S": "0"}})
    for _ in range(3):
        ddb.query(TableName="ci-top", IndexName="by-g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "x"}})
    pkc = report(gureum, "PKC", "ci-top")
    assert pkc == [
        {"Keys": ["hot"], "ApproximateAggregateValue": 6},
        {"Keys": ["cold"], "ApproximateAggregateValue": 1},
    ]
    assert report(gureum, "SKC", "ci-top")[:2] == [
        {"Keys": ["hot", "0"], "ApproximateAggregateValue": 4},
        {"Keys": ["hot", "1"], "ApproximateAggregateValue": 2},
    ]
    # Gureum never throttles: the throttled-keys rules stay empty.
    assert report(gureum, "PKT", "ci-top") == []
    assert report(gureum, "PKC", "ci-top", "by-g") == [{"Keys": ["x"], "ApproximateAggregateValue": 3}]
    gureum.restart(kill=True)
    ddb = gureum.client("dynamodb")
    assert ddb.describe_contributor_insights(TableName="ci-top")["ContributorInsightsStatus"] == "ENABLED"
    ddb.get_item(TableName="ci-top", Key={"pk": {"S": "cold"}, "sk": {"S": "0"}})
    assert report(gureum, "PKC", "ci-top") == [
        {"Keys": ["hot"], "ApproximateAggregateValue": 6},
        {"Keys": ["cold"], "ApproximateAggregateValue": 2},
    ]


def test_kinesis_destination_refuses_because_no_stream_can_exist(gureum):
    ddb = gureum.client("dynamodb")
    make_table(ddb, "ci-kin")
    arn = "arn:aws:kinesis:us-east-1:000000000000:stream/orders"
    e = error(ddb.enable_kinesis_streaming_destination, TableName="ci-kin", StreamArn=arn)
    assert (e["Code"], e["Message"]) == ("ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found")
    e = error(ddb.disable_kinesis_streaming_destination, TableName="ci-kin", StreamArn=arn)
    assert e["Message"] == f"Requested resource not found: Stream: {arn} not found"
    e = error(ddb.enable_kinesis_streaming_destination, TableName="ci-none", StreamArn=arn)
    assert e["Message"] == "Requested resource not found: Table: ci-none not found"
    d = ddb.describe_kinesis_streaming_destination(TableName="ci-kin")
    assert d["TableName"] == "ci-kin" and d["KinesisDataStreamDestinations"] == []
    # The CLI reads the same.
    code, _, err = gureum.aws(
        "dynamodb", "enable-kinesis-streaming-destination", "--table-name", "ci-kin", "--stream-arn", arn, check=False
    )
    assert code != 0 and f"Requested resource not found: Stream: {arn} not found" in err
