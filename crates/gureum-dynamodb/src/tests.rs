//! DynamoDB's rules, one per test, through `Service::call`.

use crate::DynamoDbService;
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;
use std::future::Future;
use std::task::{Context, Poll, Waker};

pub(crate) struct Env {
    pub(crate) svc: DynamoDbService,
    pub(crate) clock: Clock,
}

/// The service's futures are ready at once; no runtime needed.
fn now<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

impl Env {
    pub(crate) fn new() -> Self {
        Env {
            svc: DynamoDbService::new(Store::in_memory().expect("store")),
            clock: Clock::with_offset(0),
        }
    }

    pub(crate) fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        let c = RequestContext::root("000000000000", "us-east-1", self.clock.clone());
        now(self.svc.call(&c, op, input))
    }

    pub(crate) fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input) {
            Ok(v) => v,
            Err(e) => panic!("{op}: {} {}", e.code, e.message),
        }
    }

    pub(crate) fn err(&self, op: &str, input: Value) -> AwsError {
        self.call(op, input).expect_err(op)
    }

    /// A table `t` keyed `pk` (S) and `sk` (N) with a GSI `by-g` on `g`.
    pub(crate) fn table(&self) {
        self.ok(
            "CreateTable",
            json!({
                "TableName": "t",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "N"}, {"AttributeName": "g", "AttributeType": "S"}],
                "GlobalSecondaryIndexes": [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"}}],
                "BillingMode": "PAY_PER_REQUEST",
            }),
        );
    }

    pub(crate) fn put(&self, item: Value) {
        self.ok("PutItem", json!({"TableName": "t", "Item": item}));
    }
}

fn key_schema() -> Value {
    json!([{"AttributeName": "pk", "KeyType": "HASH"}])
}

#[test]
fn create_table_checks_definitions_with_aws_texts() {
    let env = Env::new();
    let e = env.err(
        "CreateTable",
        json!({"TableName": "t", "KeySchema": key_schema(), "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "x", "AttributeType": "S"}]}),
    );
    assert_eq!(e.code, "ValidationException");
    assert_eq!(e.message, "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [x]");
    let e = env.err(
        "CreateTable",
        json!({"TableName": "t", "KeySchema": key_schema(), "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}]}),
    );
    assert_eq!(e.message, "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions");
    let e = env.err(
        "CreateTable",
        json!({"TableName": "t", "KeySchema": key_schema(),
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}),
    );
    assert_eq!(e.message, "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
    let e = env.err(
        "CreateTable",
        json!({"TableName": "t", "KeySchema": key_schema(), "BillingMode": "PAY_PER_REQUEST",
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}),
    );
    assert_eq!(e.message, "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
}

#[test]
fn create_answers_creating_then_describe_active_and_duplicate_is_in_use() {
    let env = Env::new();
    env.table();
    let d = env.ok("DescribeTable", json!({"TableName": "t"}));
    assert_eq!(d["Table"]["TableStatus"], "ACTIVE");
    assert_eq!(
        d["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"],
        "ACTIVE"
    );
    let e = env.err(
        "CreateTable",
        json!({"TableName": "t", "KeySchema": key_schema(), "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}),
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("ResourceInUseException", "Table already exists: t")
    );
    let e = env.err("DescribeTable", json!({"TableName": "nope"}));
    assert_eq!(
        e.message,
        "Requested resource not found: Table: nope not found"
    );
}

#[test]
fn deletion_protection_blocks_delete() {
    let env = Env::new();
    env.table();
    env.ok(
        "UpdateTable",
        json!({"TableName": "t", "DeletionProtectionEnabled": true}),
    );
    let e = env.err("DeleteTable", json!({"TableName": "t"}));
    assert_eq!(e.code, "ValidationException");
    assert_eq!(e.message, "1 validation error detected: Table 't' can't be deleted while DeletionProtectionEnabled is set to True");
    env.ok(
        "UpdateTable",
        json!({"TableName": "t", "DeletionProtectionEnabled": false}),
    );
    env.ok("DeleteTable", json!({"TableName": "t"}));
}

#[test]
fn conditional_put_fails_with_aws_text_and_old_item_on_request() {
    let env = Env::new();
    env.table();
    env.put(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "x"}}));
    let e = env.err(
        "PutItem",
        json!({"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}},
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}),
    );
    assert_eq!(e.code, "ConditionalCheckFailedException");
    assert_eq!(e.message, "The conditional request failed");
    assert_eq!(e.fields[0].0, "Item");
    assert_eq!(e.fields[0].1["v"], json!({"S": "x"}));
}

#[test]
fn key_values_are_checked() {
    let env = Env::new();
    env.table();
    let e = env.err(
        "PutItem",
        json!({"TableName": "t", "Item": {"pk": {"S": ""}, "sk": {"N": "1"}}}),
    );
    assert_eq!(e.message, "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk");
    let e = env.err(
        "PutItem",
        json!({"TableName": "t", "Item": {"pk": {"N": "1"}, "sk": {"N": "1"}}}),
    );
    assert_eq!(
        e.message,
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    );
    let e = env.err(
        "PutItem",
        json!({"TableName": "t", "Item": {"sk": {"N": "1"}}}),
    );
    assert_eq!(
        e.message,
        "One or more parameter values were invalid: Missing the key pk in the item"
    );
    let long = "x".repeat(2049);
    let e = env.err(
        "PutItem",
        json!({"TableName": "t", "Item": {"pk": {"S": long}, "sk": {"N": "1"}}}),
    );
    assert_eq!(e.message, "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes");
    let e = env.err(
        "GetItem",
        json!({"TableName": "t", "Key": {"pk": {"S": "a"}}}),
    );
    assert_eq!(
        e.message,
        "The provided key element does not match the schema"
    );
    let big = "x".repeat(400 * 1024);
    let e = env.err(
        "PutItem",
        json!({"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "b": {"S": big}}}),
    );
    assert_eq!(e.message, "Item size has exceeded the maximum allowed size");
}

#[test]
fn query_orders_numbers_by_value_both_ways_and_pages() {
    let env = Env::new();
    env.table();
    for n in ["10", "-1", "2", "1.5", "100", "-20"] {
        env.put(json!({"pk": {"S": "p"}, "sk": {"N": n}}));
    }
    env.put(json!({"pk": {"S": "other"}, "sk": {"N": "5"}}));
    let q = |extra: Value| {
        let mut input = json!({"TableName": "t", "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p"}}});
        for (k, v) in extra.as_object().expect("object") {
            input[k] = v.clone();
        }
        env.ok("Query", input)
    };
    let sks = |r: &Value| -> Vec<String> {
        r["Items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["sk"]["N"].as_str().expect("n").to_string())
            .collect()
    };
    assert_eq!(sks(&q(json!({}))), ["-20", "-1", "1.5", "2", "10", "100"]);
    assert_eq!(
        sks(&q(json!({"ScanIndexForward": false}))),
        ["100", "10", "2", "1.5", "-1", "-20"]
    );
    let first = q(json!({"Limit": 4}));
    assert_eq!(
        first["LastEvaluatedKey"],
        json!({"pk": {"S": "p"}, "sk": {"N": "2"}})
    );
    let rest = q(json!({"ExclusiveStartKey": first["LastEvaluatedKey"].clone()}));
    assert_eq!(sks(&rest), ["10", "100"]);
    let r = env.ok(
        "Query",
        json!({"TableName": "t", "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":p": {"S": "p"}, ":a": {"N": "-1"}, ":b": {"N": "10"}}}),
    );
    assert_eq!(sks(&r), ["-1", "1.5", "2", "10"]);
    let e = env.err(
        "Query",
        json!({"TableName": "t", "KeyConditionExpression": "sk = :a",
        "ExpressionAttributeValues": {":a": {"N": "1"}}}),
    );
    assert_eq!(e.message, "Query condition missed key schema element: pk");
}

#[test]
fn filter_applies_after_limit() {
    let env = Env::new();
    env.table();
    for i in 0..10 {
        env.put(
            json!({"pk": {"S": "p"}, "sk": {"N": i.to_string()}, "even": {"BOOL": i % 2 == 0}}),
        );
    }
    let r = env.ok(
        "Query",
        json!({"TableName": "t", "KeyConditionExpression": "pk = :p",
        "FilterExpression": "even = :t", "Limit": 5,
        "ExpressionAttributeValues": {":p": {"S": "p"}, ":t": {"BOOL": true}}}),
    );
    assert_eq!(r["Count"], 3);
    assert_eq!(r["ScannedCount"], 5);
}

#[test]
fn global_index_follows_every_write() {
    let env = Env::new();
    env.table();
    env.put(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"S": "red"}}));
    let q = |g: &str| {
        env.ok(
            "Query",
            json!({"TableName": "t", "IndexName": "by-g", "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": {":g": {"S": g}}}),
        )["Count"]
            .clone()
    };
    assert_eq!(q("red"), 1);
    env.ok(
        "UpdateItem",
        json!({"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
        "UpdateExpression": "SET g = :g", "ExpressionAttributeValues": {":g": {"S": "blue"}}}),
    );
    assert_eq!(q("red"), 0);
    assert_eq!(q("blue"), 1);
    let d = env.ok("DescribeTable", json!({"TableName": "t"}));
    assert_eq!(d["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"], 1);
    env.ok(
        "DeleteItem",
        json!({"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}),
    );
    assert_eq!(q("blue"), 0);
    let d = env.ok("DescribeTable", json!({"TableName": "t"}));
    assert_eq!(d["Table"]["ItemCount"], 0);
}

#[test]
fn new_index_is_backfilled() {
    let env = Env::new();
    env.table();
    env.put(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "h": {"N": "7"}}));
    let r = env.ok("UpdateTable", json!({"TableName": "t",
        "AttributeDefinitions": [{"AttributeName": "h", "AttributeType": "N"}],
        "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by-h",
            "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}}]}));
    assert_eq!(
        r["TableDescription"]["GlobalSecondaryIndexes"][1]["IndexStatus"],
        "CREATING"
    );
    let q = env.ok(
        "Query",
        json!({"TableName": "t", "IndexName": "by-h", "KeyConditionExpression": "h = :h",
        "ExpressionAttributeValues": {":h": {"N": "7"}}}),
    );
    assert_eq!(q["Count"], 1);
}

#[test]
fn transaction_is_all_or_nothing_with_reasons() {
    let env = Env::new();
    env.table();
    env.put(json!({"pk": {"S": "a"}, "sk": {"N": "1"}}));
    let e = env.err(
        "TransactWriteItems",
        json!({"TransactItems": [
        {"Put": {"TableName": "t", "Item": {"pk": {"S": "b"}, "sk": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
            "ConditionExpression": "attribute_not_exists(pk)"}}]}),
    );
    assert_eq!(e.code, "TransactionCanceledException");
    assert_eq!(e.message, "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]");
    let got = env.ok(
        "GetItem",
        json!({"TableName": "t", "Key": {"pk": {"S": "b"}, "sk": {"N": "1"}}}),
    );
    assert!(got.get("Item").is_none());
    let e = env.err(
        "TransactWriteItems",
        json!({"TransactItems": [
        {"Put": {"TableName": "t", "Item": {"pk": {"S": "b"}, "sk": {"N": "1"}}}},
        {"Delete": {"TableName": "t", "Key": {"pk": {"S": "b"}, "sk": {"N": "1"}}}}]}),
    );
    assert_eq!(
        e.message,
        "Transaction request cannot include multiple operations on one item"
    );
}

#[test]
fn client_token_is_idempotent_for_ten_minutes() {
    let env = Env::new();
    env.table();
    let req = json!({"ClientRequestToken": "tok", "TransactItems": [
        {"Update": {"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
            "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}]});
    env.ok("TransactWriteItems", req.clone());
    env.ok("TransactWriteItems", req.clone());
    let got = env.ok(
        "GetItem",
        json!({"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}),
    );
    assert_eq!(got["Item"]["n"], json!({"N": "1"}));
    let mut other = req.clone();
    other["TransactItems"][0]["Update"]["ExpressionAttributeValues"][":one"] = json!({"N": "2"});
    let e = env.err("TransactWriteItems", other);
    assert_eq!(e.code, "IdempotentParameterMismatchException");
    env.clock.advance_millis(11 * 60 * 1000);
    env.ok("TransactWriteItems", req);
    let got = env.ok(
        "GetItem",
        json!({"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}),
    );
    assert_eq!(got["Item"]["n"], json!({"N": "2"}));
}

#[test]
fn batch_write_rejects_duplicates_and_too_many() {
    let env = Env::new();
    env.table();
    let put =
        |n: usize| json!({"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": n.to_string()}}}});
    let e = env.err(
        "BatchWriteItem",
        json!({"RequestItems": {"t": [put(1), put(1)]}}),
    );
    assert_eq!(e.message, "Provided list of item keys contains duplicates");
    let many: Vec<Value> = (0..26).map(put).collect();
    let e = env.err("BatchWriteItem", json!({"RequestItems": {"t": many}}));
    assert_eq!(
        e.message,
        "Too many items requested for the BatchWriteItem call"
    );
    let ok: Vec<Value> = (0..25).map(put).collect();
    env.ok("BatchWriteItem", json!({"RequestItems": {"t": ok}}));
    let keys: Vec<Value> = (0..30)
        .map(|n| json!({"pk": {"S": "a"}, "sk": {"N": n.to_string()}}))
        .collect();
    let r = env.ok(
        "BatchGetItem",
        json!({"RequestItems": {"t": {"Keys": keys}}}),
    );
    assert_eq!(r["Responses"]["t"].as_array().map(Vec::len), Some(25));
}

#[test]
fn ttl_pass_deletes_expired_items_on_the_clock() {
    let env = Env::new();
    env.table();
    env.ok("UpdateTimeToLive", json!({"TableName": "t", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}}));
    let now = env.clock.now_secs();
    env.put(json!({"pk": {"S": "old"}, "sk": {"N": "1"}, "exp": {"N": (now - 10).to_string()}}));
    env.put(json!({"pk": {"S": "new"}, "sk": {"N": "1"}, "exp": {"N": (now + 100).to_string()}}));
    assert_eq!(env.svc.expire_due(env.clock.now_millis()).expect("pass"), 1);
    env.clock.advance_millis(200_000);
    assert_eq!(env.svc.expire_due(env.clock.now_millis()).expect("pass"), 1);
    let e = env.err("UpdateTimeToLive", json!({"TableName": "t", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}}));
    assert_eq!(e.message, "TimeToLive is already enabled");
    let d = env.ok("DescribeTimeToLive", json!({"TableName": "t"}));
    assert_eq!(
        d["TimeToLiveDescription"],
        json!({"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"})
    );
}

#[test]
fn update_item_return_values() {
    let env = Env::new();
    env.table();
    env.put(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "1"}, "o": {"S": "x"}}));
    let r = env.ok("UpdateItem", json!({"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
        "UpdateExpression": "SET n = n + :d", "ExpressionAttributeValues": {":d": {"N": "1"}}, "ReturnValues": "UPDATED_OLD"}));
    assert_eq!(r["Attributes"], json!({"n": {"N": "1"}}));
    let r = env.ok("UpdateItem", json!({"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
        "UpdateExpression": "SET n = n + :d", "ExpressionAttributeValues": {":d": {"N": "1"}}, "ReturnValues": "UPDATED_NEW"}));
    assert_eq!(r["Attributes"], json!({"n": {"N": "3"}}));
    let e = env.err(
        "UpdateItem",
        json!({"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}},
        "UpdateExpression": "SET pk = :d", "ExpressionAttributeValues": {":d": {"S": "b"}}}),
    );
    assert_eq!(e.message, "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key");
    let e = env.err("PutItem", json!({"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ReturnValues": "ALL_NEW"}));
    assert_eq!(e.message, "ReturnValues can only be ALL_OLD or NONE");
}

#[test]
fn consumed_capacity_counts_indexes() {
    let env = Env::new();
    env.table();
    let r = env.ok(
        "PutItem",
        json!({"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"S": "x"}},
        "ReturnConsumedCapacity": "INDEXES"}),
    );
    assert_eq!(r["ConsumedCapacity"]["CapacityUnits"], 2.0);
    assert_eq!(r["ConsumedCapacity"]["Table"]["CapacityUnits"], 1.0);
    assert_eq!(
        r["ConsumedCapacity"]["GlobalSecondaryIndexes"]["by-g"]["CapacityUnits"],
        1.0
    );
}

/// Handler cost (no HTTP) on an on-disk store, as the server keeps it:
/// `cargo test --release -p gureum-dynamodb handler_costs -- --ignored --nocapture`.
/// Prints µs per GetItem, PutItem, PutItem with a GSI, PutItem with
/// point-in-time recovery on, and a 20-item
/// Query on a 1,000-item table and on a 1,000,000-item table.
#[test]
#[ignore]
fn handler_costs() {
    let dir = std::env::temp_dir().join(format!("gureum-ddb-cost-{}", std::process::id()));
    let env = Env {
        svc: DynamoDbService::new(Store::open(&dir).expect("store")),
        clock: Clock::with_offset(0),
    };
    let create = |name: &str, gsi: bool| {
        let mut input = json!({
            "TableName": name,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
            "BillingMode": "PAY_PER_REQUEST",
        });
        if gsi {
            input["AttributeDefinitions"]
                .as_array_mut()
                .expect("defs")
                .push(json!({"AttributeName": "g", "AttributeType": "S"}));
            input["GlobalSecondaryIndexes"] = json!([{"IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}]);
        }
        env.ok("CreateTable", input);
    };
    let item = |p: &str, s: u64| json!({"pk": {"S": p}, "sk": {"N": s.to_string()}, "data": {"S": "x".repeat(100)}, "n": {"N": "42"}});
    let time = |n: u64, f: &mut dyn FnMut(u64)| {
        let t = std::time::Instant::now();
        for i in 0..n {
            f(i);
        }
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    };
    let fill = |table: &str, partitions: u64| {
        let mut batch = vec![];
        for p in 0..partitions {
            for s in 0..20 {
                batch.push(json!({"PutRequest": {"Item": item(&format!("p{p}"), s)}}));
                if batch.len() == 25 {
                    env.ok("BatchWriteItem", json!({"RequestItems": {table: batch}}));
                    batch = vec![];
                }
            }
        }
        if !batch.is_empty() {
            env.ok("BatchWriteItem", json!({"RequestItems": {table: batch}}));
        }
    };
    let query = |table: &'static str, partitions: u64, i: u64| {
        let r = env.ok("Query", json!({"TableName": table, "KeyConditionExpression": "pk = :p AND sk >= :z",
            "ExpressionAttributeValues": {":p": {"S": format!("p{}", i % partitions)}, ":z": {"N": "0"}}, "Limit": 20}));
        assert_eq!(r["Count"], 20);
    };
    create("plain", false);
    create("indexed", true);
    let n = 20_000;
    let put = time(n, &mut |i| env.put_to("plain", item("k", i)));
    let get = time(n, &mut |i| {
        env.ok(
            "GetItem",
            json!({"TableName": "plain", "Key": {"pk": {"S": "k"}, "sk": {"N": i.to_string()}}}),
        );
    });
    let put_gsi = time(n, &mut |i| {
        let mut it = item("k", i);
        it["g"] = json!({"S": format!("g{}", i % 50)});
        env.put_to("indexed", it);
    });
    // Point-in-time recovery on: each write also logs the old item.
    create("recovered", false);
    env.ok(
        "UpdateContinuousBackups",
        json!({"TableName": "recovered",
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    );
    let put_pitr = time(n, &mut |i| env.put_to("recovered", item("k", i)));
    create("small", false);
    fill("small", 50);
    let q_small = time(n, &mut |i| query("small", 50, i));
    // GUREUM_DDB_LARGE_PARTITIONS (default 50,000 × 20 items = 1,000,000).
    let parts: u64 = std::env::var("GUREUM_DDB_LARGE_PARTITIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    create("large", false);
    fill("large", parts);
    let q_large = time(n, &mut |i| query("large", parts, i));
    println!("GetItem {get:.1} µs, PutItem {put:.1} µs, PutItem with a GSI {put_gsi:.1} µs, PutItem with recovery on {put_pitr:.1} µs, Query(20) on 1,000 items {q_small:.1} µs, on {} items {q_large:.1} µs", parts * 20);
    let _ = std::fs::remove_dir_all(&dir);
}

impl Env {
    fn put_to(&self, table: &str, item: Value) {
        self.ok("PutItem", json!({"TableName": table, "Item": item}));
    }
}

#[test]
fn a_write_with_a_stale_description_still_maintains_a_new_index() {
    let env = Env::new();
    env.table();
    let ctx = RequestContext::root("000000000000", "us-east-1", env.clock.clone());
    let (tkey, stale) = env.svc.meta(&ctx, "t", false).expect("meta");
    env.ok("UpdateTable", json!({"TableName": "t",
        "AttributeDefinitions": [{"AttributeName": "h", "AttributeType": "N"}],
        "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by-h",
            "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}}]}));
    let item = crate::value::item_from_json(Some(
        &json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "h": {"N": "7"}}),
    ))
    .expect("item");
    let (h, r) = stale.check_item(&item).expect("key");
    let ikey = crate::storage::item_key(&tkey, &h, r.as_ref());
    env.svc
        .s
        .store
        .write(|txn| {
            crate::storage::write_item(&env.svc.s, txn, &tkey, &stale, &ikey, None, Some(&item), 0)
        })
        .expect("write");
    let q = env.ok(
        "Query",
        json!({"TableName": "t", "IndexName": "by-h", "KeyConditionExpression": "h = :h",
        "ExpressionAttributeValues": {":h": {"N": "7"}}}),
    );
    assert_eq!(q["Count"], 1);
}

#[test]
fn local_index_orders_by_its_sort_key_and_fetches_unprojected_attributes() {
    let env = Env::new();
    env.ok("CreateTable", json!({
        "TableName": "l",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"}, {"AttributeName": "ts", "AttributeType": "N"}],
        "LocalSecondaryIndexes": [{"IndexName": "by-ts",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "ts", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        "BillingMode": "PAY_PER_REQUEST",
    }));
    for (sk, at) in [("a", "30"), ("b", "10"), ("c", "20")] {
        env.ok("PutItem", json!({"TableName": "l", "Item": {"pk": {"S": "p"}, "sk": {"S": sk}, "ts": {"N": at}, "extra": {"S": sk}}}));
    }
    let r = env.ok("Query", json!({"TableName": "l", "IndexName": "by-ts", "KeyConditionExpression": "pk = :p AND ts > :z",
        "ExpressionAttributeValues": {":p": {"S": "p"}, ":z": {"N": "0"}}}));
    let sks: Vec<&str> = r["Items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["sk"]["S"].as_str().expect("s"))
        .collect();
    assert_eq!(sks, ["b", "c", "a"]);
    assert!(r["Items"][0].get("extra").is_none());
    let r = env.ok(
        "Query",
        json!({"TableName": "l", "IndexName": "by-ts", "KeyConditionExpression": "pk = :p",
        "ProjectionExpression": "extra", "ExpressionAttributeValues": {":p": {"S": "p"}}}),
    );
    assert_eq!(r["Items"][0], json!({"extra": {"S": "b"}}));
    let e = env.err("CreateTable", json!({
        "TableName": "bad",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "ts", "AttributeType": "N"}],
        "LocalSecondaryIndexes": [{"IndexName": "by-ts",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "ts", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}],
        "BillingMode": "PAY_PER_REQUEST",
    }));
    assert_eq!(e.message, "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex");
}
