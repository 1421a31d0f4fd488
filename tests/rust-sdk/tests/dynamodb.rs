//! DynamoDB through the AWS SDK for Rust: CreateTable, PutItem, Query
//! and TransactWriteItems (a cancelled transaction's reasons included)
//! against a throwaway Gureum (`gureum-testing`, `$GUREUM_BIN`).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use gureum_testing::Gureum;

async fn client(gureum: &Gureum) -> Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(gureum.endpoint())
        .region(aws_config::Region::new(gureum.region()))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            gureum.access_key_id(),
            gureum.secret_access_key(),
            None,
            None,
            "gureum",
        ))
        .load()
        .await;
    Client::new(&config)
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

#[tokio::test]
async fn the_rust_sdk_creates_puts_queries_and_transacts() {
    let gureum = Gureum::start().expect("gureum starts");
    let ddb = client(&gureum).await;
    let created = ddb
        .create_table()
        .table_name("orders")
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable");
    assert_eq!(
        created.table_description().and_then(|t| t.table_name()),
        Some("orders")
    );

    for sk in ["2024-01", "2024-02", "2024-03"] {
        ddb.put_item()
            .table_name("orders")
            .item("pk", s("customer-1"))
            .item("sk", s(sk))
            .item("total", AttributeValue::N("10".into()))
            .send()
            .await
            .expect("PutItem");
    }
    let q = ddb
        .query()
        .table_name("orders")
        .key_condition_expression("pk = :p AND begins_with(sk, :y)")
        .expression_attribute_values(":p", s("customer-1"))
        .expression_attribute_values(":y", s("2024-0"))
        .scan_index_forward(false)
        .limit(2)
        .send()
        .await
        .expect("Query");
    assert_eq!(q.count(), 2);
    assert_eq!(q.items()[0].get("sk"), Some(&s("2024-03")));
    assert!(q.last_evaluated_key().is_some());

    ddb.transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("orders")
                        .item("pk", s("customer-2"))
                        .item("sk", s("2024-01"))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name("orders")
                        .key("pk", s("customer-1"))
                        .key("sk", s("2024-01"))
                        // `total` is a reserved word: a name placeholder, as on AWS.
                        .update_expression("SET #t = #t + :n")
                        .expression_attribute_names("#t", "total")
                        .expression_attribute_values(":n", AttributeValue::N("5".into()))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .expect("TransactWriteItems");
    let got = ddb
        .get_item()
        .table_name("orders")
        .key("pk", s("customer-1"))
        .key("sk", s("2024-01"))
        .send()
        .await
        .expect("GetItem");
    assert_eq!(
        got.item().and_then(|i| i.get("total")),
        Some(&AttributeValue::N("15".into()))
    );

    // The same put again: cancelled, with the reason the SDK parses.
    let err = ddb
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("orders")
                        .item("pk", s("customer-2"))
                        .item("sk", s("2024-01"))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("the condition fails");
    let service = err.into_service_error();
    assert!(service.is_transaction_canceled_exception(), "{service:?}");
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e) = service else {
        unreachable!()
    };
    assert_eq!(
        e.message(),
        Some("Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed]")
    );
    assert_eq!(
        e.cancellation_reasons()[0].code(),
        Some("ConditionalCheckFailed")
    );
}
