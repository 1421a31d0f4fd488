"""DynamoDB resource-based policies end to end with boto3 and the aws CLI:
put, get and delete with revision ids that `ExpectedRevisionId` must
match, AWS's errors as the client reads them, and the policy kept across
a restart."""
import json

import botocore.exceptions
import pytest

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                   "Action": "dynamodb:GetItem", "Resource": "*"}],
}


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def table(gureum):
    ddb = gureum.client("dynamodb")
    return ddb.create_table(
        TableName="with-policy", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )["TableDescription"]["TableArn"]


def test_a_table_without_a_policy_answers_policy_not_found(gureum, table):
    ddb = gureum.client("dynamodb")
    assert error(ddb.get_resource_policy, ResourceArn=table) == (
        "PolicyNotFoundException",
        f"Resource-based policy not found for the provided ResourceArn: {table}")
    assert error(ddb.delete_resource_policy, ResourceArn=table)[0] == "PolicyNotFoundException"


def test_a_put_policy_is_read_back_with_its_revision_and_survives_a_restart(gureum, table):
    ddb = gureum.client("dynamodb")
    revision = ddb.put_resource_policy(ResourceArn=table, Policy=json.dumps(POLICY))["RevisionId"]
    got = ddb.get_resource_policy(ResourceArn=table)
    assert (json.loads(got["Policy"]), got["RevisionId"]) == (POLICY, revision)
    gureum.restart(kill=True)
    _, out, _ = gureum.aws("dynamodb", "get-resource-policy", "--resource-arn", table)
    assert out["RevisionId"] == revision and json.loads(out["Policy"]) == POLICY


def test_expected_revision_ids_guard_updates_and_deletes(gureum, table):
    ddb = gureum.client("dynamodb")
    current = ddb.put_resource_policy(ResourceArn=table, Policy=json.dumps(POLICY))["RevisionId"]
    code, message = error(ddb.put_resource_policy, ResourceArn=table, Policy=json.dumps(POLICY),
                          ExpectedRevisionId="1")
    assert code == "PolicyNotFoundException"
    assert f"has revision id {current}" in message
    deleted = ddb.delete_resource_policy(ResourceArn=table, ExpectedRevisionId=current)["RevisionId"]
    assert deleted == current
    assert error(ddb.get_resource_policy, ResourceArn=table)[0] == "PolicyNotFoundException"


def test_bad_documents_and_unknown_tables_are_refused(gureum, table):
    ddb = gureum.client("dynamodb")
    code, _ = error(ddb.put_resource_policy, ResourceArn=table, Policy="{not json")
    assert code == "ValidationException"
    code, _ = error(ddb.put_resource_policy, ResourceArn=table, Policy=json.dumps(POLICY) + " " * 21000)
    assert code == "ValidationException"
    missing = table.replace("with-policy", "no-such-table")
    assert error(ddb.get_resource_policy, ResourceArn=missing) == (
        "ResourceNotFoundException", f"Requested resource not found: ResourceArn: {missing} not found")
