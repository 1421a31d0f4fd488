"""DynamoDB PartiQL end to end: ExecuteStatement's statements and
functions, BatchExecuteStatement's per-statement errors, and
ExecuteTransaction's all-or-nothing writes, cancellation reasons and
idempotency tokens, through boto3 and the aws CLI; AWS's messages as the
client reads them; writes survive a restart."""
import json

import botocore.exceptions
import pytest


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
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def get(ddb, table, pk, sk):
    return ddb.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item")


def test_update_functions_nested_paths_and_returning(ddb):
    make_table(ddb, "pq_funcs")
    ddb.execute_statement(
        Statement="INSERT INTO pq_funcs VALUE {'pk': 'a', 'sk': '1', 'l': [1], 'm': {'x': {'y': 1}}, 's': <<'p'>>}"
    )
    out = ddb.execute_statement(
        Statement="UPDATE pq_funcs SET l = list_append(l, [2, 3]) SET m.x.y = 5 SET c = if_not_exists(c, 7) "
        "SET s = set_add(s, <<'q'>>) REMOVE gone WHERE pk = 'a' AND sk = '1' RETURNING ALL NEW *"
    )
    item = out["Items"][0]
    assert item["l"] == {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}
    assert item["m"]["M"]["x"]["M"]["y"] == {"N": "5"}
    assert item["c"] == {"N": "7"}
    assert sorted(item["s"]["SS"]) == ["p", "q"]
    out = ddb.execute_statement(
        Statement="UPDATE pq_funcs SET c = c + 1 WHERE pk = 'a' AND sk = '1' RETURNING MODIFIED OLD *"
    )
    assert out["Items"] == [{"c": {"N": "7"}}]
    out = ddb.execute_statement(
        Statement="SELECT m.x.y, l[1] FROM pq_funcs WHERE pk = 'a' AND size(l) = 3 AND c IS NOT MISSING"
    )
    assert out["Items"] == [{"m": {"M": {"x": {"M": {"y": {"N": "5"}}}}}, "l": {"L": [{"N": "2"}]}}]
    out = ddb.execute_statement(Statement="SELECT * FROM pq_funcs WHERE nope IS MISSING AND contains(s, 'q')")
    assert len(out["Items"]) == 1
    out = ddb.execute_statement(
        Statement="DELETE FROM pq_funcs WHERE pk = 'a' AND sk = '1' RETURNING ALL OLD *"
    )
    assert out["Items"][0]["c"] == {"N": "8"}
    assert get(ddb, "pq_funcs", "a", "1") is None


def test_where_must_fix_the_whole_key_and_parameters_must_match(ddb):
    make_table(ddb, "pq_rules")
    r = error(ddb.execute_statement, Statement="UPDATE pq_rules SET n = 1 WHERE pk = 'a'")
    assert r["Error"] == {
        "Code": "ValidationException",
        "Message": "Where clause does not contain a mandatory equality on all key attributes",
    }
    r = error(ddb.execute_statement, Statement="SELECT * FROM pq_rules WHERE pk = ?")
    assert r["Error"]["Message"] == "Number of parameters in request and statement don't match."
    r = error(ddb.execute_statement, Statement="SELEKT * FROM pq_rules")
    assert r["Error"] == {
        "Code": "ValidationException",
        "Message": "Statement wasn't well formed, can't be processed: Expected data manipulation",
    }
    r = error(ddb.execute_statement, Statement="SELECT * FROM nowhere")
    assert r["Error"] == {"Code": "ResourceNotFoundException", "Message": "Requested resource not found"}
    r = error(ddb.execute_statement, Statement="UPDATE pq_rules SET pk = 'b' WHERE pk = 'a' AND sk = 'b'")
    assert r["Error"]["Message"] == (
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    )


def test_select_pages_with_limit_and_next_token(ddb):
    make_table(ddb, "pq_pages")
    for i in range(7):
        ddb.execute_statement(Statement=f"INSERT INTO pq_pages VALUE {{'pk': 'p', 'sk': '{i}'}}")
    seen, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        out = ddb.execute_statement(
            Statement="SELECT sk FROM pq_pages WHERE pk = 'p'", Limit=3, ConsistentRead=True, **kw
        )
        seen += [i["sk"]["S"] for i in out["Items"]]
        token = out.get("NextToken")
        if not token:
            break
    assert seen == [str(i) for i in range(7)]
    r = error(ddb.execute_statement, Statement="SELECT * FROM pq_pages", NextToken="forged")
    assert r["Error"]["Message"] == "Given NextToken is not valid"


def test_batch_answers_each_statement_on_its_own(ddb):
    make_table(ddb, "pq_batch")
    ddb.execute_statement(Statement="INSERT INTO pq_batch VALUE {'pk': 'x', 'sk': '1', 'n': 1}")
    out = ddb.batch_execute_statement(
        Statements=[
            {"Statement": "INSERT INTO pq_batch VALUE {'pk': 'y', 'sk': '1'}"},
            {"Statement": "INSERT INTO pq_batch VALUE {'pk': 'x', 'sk': '1'}"},
            {
                "Statement": "UPDATE pq_batch SET n = 2 WHERE pk = 'x' AND sk = '1' AND n = 9",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            },
            {"Statement": "INSERT INTO missing_table VALUE {'pk': 'y', 'sk': '1'}"},
            {"Statement": "UPDATE pq_batch SET n = ? WHERE pk = 'x' AND sk = '1'", "Parameters": [{"N": "3"}]},
        ]
    )["Responses"]
    assert out[0] == {"TableName": "pq_batch"}
    assert out[1]["Error"] == {"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"}
    assert out[2]["Error"]["Code"] == "ConditionalCheckFailed"
    assert out[2]["Error"]["Message"] == "The conditional request failed"
    assert out[2]["Error"]["Item"]["n"] == {"N": "1"}
    assert out[3]["Error"] == {"Code": "ResourceNotFound", "Message": "Requested resource not found"}
    assert out[4] == {"TableName": "pq_batch"}
    assert get(ddb, "pq_batch", "x", "1")["n"] == {"N": "3"}
    assert get(ddb, "pq_batch", "y", "1") is not None

    reads = ddb.batch_execute_statement(
        Statements=[
            {"Statement": "SELECT n FROM pq_batch WHERE pk = 'x' AND sk = '1'"},
            {"Statement": "SELECT * FROM pq_batch WHERE pk = 'nobody' AND sk = '1'"},
            {"Statement": "SELECT * FROM pq_batch WHERE pk = 'x'"},
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    assert reads["Responses"][0] == {"TableName": "pq_batch", "Item": {"n": {"N": "3"}}}
    assert reads["Responses"][1] == {"TableName": "pq_batch"}
    assert reads["Responses"][2]["Error"] == {
        "Code": "ValidationError",
        "Message": "Where clause does not contain a mandatory equality on all key attributes",
    }
    assert reads["ConsumedCapacity"][0]["TableName"] == "pq_batch"

    r = error(
        ddb.batch_execute_statement,
        Statements=[
            {"Statement": "SELECT * FROM pq_batch WHERE pk = 'x' AND sk = '1'"},
            {"Statement": "DELETE FROM pq_batch WHERE pk = 'x' AND sk = '1'"},
        ],
    )
    assert r["Error"] == {
        "Code": "ValidationException",
        "Message": "Transaction must contain either all reads or all writes",
    }


def test_transaction_is_all_or_nothing_with_cancellation_reasons(ddb):
    make_table(ddb, "pq_tx")
    ddb.execute_statement(Statement="INSERT INTO pq_tx VALUE {'pk': 'acct', 'sk': 'a', 'bal': 10}")
    ddb.execute_statement(Statement="INSERT INTO pq_tx VALUE {'pk': 'acct', 'sk': 'z'}")
    r = error(
        ddb.execute_transaction,
        TransactStatements=[
            {"Statement": "INSERT INTO pq_tx VALUE {'pk': 'new', 'sk': '1'}"},
            {
                "Statement": "UPDATE pq_tx SET bal = bal - 50 WHERE pk = 'acct' AND sk = 'a' AND bal >= 50",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            },
            {"Statement": "INSERT INTO pq_tx VALUE {'pk': 'acct', 'sk': 'z'}"},
        ],
    )
    assert r["Error"]["Code"] == "TransactionCanceledException"
    assert r["Error"]["Message"] == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[None, ConditionalCheckFailed, DuplicateItem]"
    )
    reasons = r["CancellationReasons"]
    assert reasons[0] == {"Code": "None"}
    assert reasons[1]["Code"] == "ConditionalCheckFailed"
    assert reasons[1]["Item"]["bal"] == {"N": "10"}
    assert reasons[2] == {"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"}
    # Nothing of the cancelled transaction was written.
    assert get(ddb, "pq_tx", "new", "1") is None

    ddb.execute_transaction(
        TransactStatements=[
            {"Statement": "UPDATE pq_tx SET bal = bal - 5 WHERE pk = 'acct' AND sk = 'a' AND bal >= 5"},
            {"Statement": "INSERT INTO pq_tx VALUE {'pk': 'acct', 'sk': 'b', 'bal': 5}"},
            {"Statement": "EXISTS(SELECT * FROM pq_tx WHERE pk = 'acct' AND sk = 'z' AND sk >= 'a')"},
        ]
    )
    assert get(ddb, "pq_tx", "acct", "a")["bal"] == {"N": "5"}
    assert get(ddb, "pq_tx", "acct", "b")["bal"] == {"N": "5"}

    r = error(
        ddb.execute_transaction,
        TransactStatements=[
            {"Statement": "EXISTS(SELECT * FROM pq_tx WHERE pk = 'acct' AND sk = 'zzz')"},
            {"Statement": "DELETE FROM pq_tx WHERE pk = 'acct' AND sk = 'b'"},
        ],
    )
    assert r["CancellationReasons"][0]["Code"] == "ConditionalCheckFailed"
    assert get(ddb, "pq_tx", "acct", "b") is not None

    r = error(
        ddb.execute_transaction,
        TransactStatements=[
            {"Statement": "DELETE FROM pq_tx WHERE pk = 'acct' AND sk = 'b'"},
            {"Statement": "UPDATE pq_tx SET x = 1 WHERE pk = 'acct' AND sk = 'b'"},
        ],
    )
    assert r["Error"]["Message"] == "Transaction request cannot include multiple operations on one item"

    out = ddb.execute_transaction(
        TransactStatements=[
            {"Statement": "SELECT bal FROM pq_tx WHERE pk = 'acct' AND sk = 'a'"},
            {"Statement": "SELECT * FROM pq_tx WHERE pk = 'acct' AND sk = 'nope'"},
        ]
    )
    assert out["Responses"] == [{"Item": {"bal": {"N": "5"}}}, {}]
    r = error(
        ddb.execute_transaction,
        TransactStatements=[
            {"Statement": "SELECT * FROM pq_tx WHERE pk = 'acct' AND sk = 'a'"},
            {"Statement": "DELETE FROM pq_tx WHERE pk = 'acct' AND sk = 'b'"},
        ],
    )
    assert r["Error"]["Message"] == "Transaction must contain either all reads or all writes"
    r = error(
        ddb.execute_transaction,
        TransactStatements=[{"Statement": "DELETE FROM nowhere WHERE pk = 'a' AND sk = 'b'"}],
    )
    assert r["Error"] == {"Code": "ResourceNotFoundException", "Message": "Requested resource not found"}


def test_transaction_token_is_idempotent_for_ten_minutes(gureum, ddb):
    make_table(ddb, "pq_token")
    stmts = [{"Statement": "UPDATE pq_token SET n = if_not_exists(n, 0) + 1 WHERE pk = 'c' AND sk = 'c'"}]
    ddb.execute_statement(Statement="INSERT INTO pq_token VALUE {'pk': 'c', 'sk': 'c'}")
    ddb.execute_transaction(TransactStatements=stmts, ClientRequestToken="tok-1")
    ddb.execute_transaction(TransactStatements=stmts, ClientRequestToken="tok-1")
    assert get(ddb, "pq_token", "c", "c")["n"] == {"N": "1"}
    r = error(
        ddb.execute_transaction,
        TransactStatements=[{"Statement": "DELETE FROM pq_token WHERE pk = 'c' AND sk = 'c'"}],
        ClientRequestToken="tok-1",
    )
    assert r["Error"] == {
        "Code": "IdempotentParameterMismatchException",
        "Message": "Specified idempotency token was used with different request parameters within the 10-minute idempotency window.",
    }
    # The token and the writes persist across a restart.
    gureum.restart(kill=True)
    ddb2 = gureum.client("dynamodb")
    ddb2.execute_transaction(TransactStatements=stmts, ClientRequestToken="tok-1")
    assert get(ddb2, "pq_token", "c", "c")["n"] == {"N": "1"}


def test_cli_runs_batches_and_transactions(gureum):
    gureum.aws(
        "dynamodb", "create-table", "--table-name", "pq_cli",
        "--key-schema", "AttributeName=pk,KeyType=HASH",
        "--attribute-definitions", "AttributeName=pk,AttributeType=S",
        "--billing-mode", "PAY_PER_REQUEST",
    )
    stmts = [{"Statement": "INSERT INTO pq_cli VALUE {'pk': ?}", "Parameters": [{"S": k}]} for k in "ab"]
    rc, out, _ = gureum.aws("dynamodb", "batch-execute-statement", "--statements", json.dumps(stmts))
    assert rc == 0 and out["Responses"] == [{"TableName": "pq_cli"}, {"TableName": "pq_cli"}]
    rc, out, err = gureum.aws(
        "dynamodb", "execute-transaction", "--transact-statements",
        json.dumps([{"Statement": "INSERT INTO pq_cli VALUE {'pk': 'a'}"}]),
        check=False,
    )
    assert rc != 0
    assert "TransactionCanceledException" in err and "[DuplicateItem]" in err
