//! SQS's rules, one per test, through `Service::call`.

use crate::SqsService;
use gureum_core::{AwsError, Clock, RequestBody, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;

fn ctx(clock: &Clock) -> RequestContext {
    let mut c = RequestContext::root("000000000000", "us-east-1", clock.clone());
    c.host = Some("localhost:4566".into());
    c
}

struct Env {
    svc: SqsService,
    clock: Clock,
}

impl Env {
    fn new() -> Self {
        Env {
            svc: SqsService::new(Store::in_memory().expect("store")),
            clock: Clock::with_offset(0),
        }
    }

    async fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        let c = ctx(&self.clock);
        if op == "ReceiveMessage" {
            return self
                .svc
                .call_streaming(&c, op, input, RequestBody::from_bytes(Default::default()))
                .await
                .map(|r| r.output);
        }
        self.svc.call(&c, op, input).await
    }

    async fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input).await {
            Ok(v) => v,
            Err(e) => panic!("{op}: {} {}", e.code, e.message),
        }
    }

    async fn err(&self, op: &str, input: Value) -> AwsError {
        self.call(op, input).await.expect_err(op)
    }

    async fn queue(&self, name: &str, attributes: Value) -> String {
        self.ok(
            "CreateQueue",
            json!({"QueueName": name, "Attributes": attributes}),
        )
        .await["QueueUrl"]
            .as_str()
            .expect("url")
            .to_string()
    }

    async fn receive(&self, url: &str, extra: Value) -> Vec<Value> {
        let mut input = json!({"QueueUrl": url, "MaxNumberOfMessages": 10});
        if let (Some(m), Some(e)) = (input.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        self.ok("ReceiveMessage", input).await["Messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    async fn count(&self, url: &str, name: &str) -> String {
        self.ok(
            "GetQueueAttributes",
            json!({"QueueUrl": url, "AttributeNames": [name]}),
        )
        .await["Attributes"][name]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

#[tokio::test]
async fn queue_urls_use_the_sqs_localhost_host_on_the_request_port() {
    let env = Env::new();
    let url = env.queue("orders", json!({})).await;
    assert_eq!(
        url,
        "http://sqs.us-east-1.localhost:4566/000000000000/orders"
    );
    let got = env.ok("GetQueueUrl", json!({"QueueName": "orders"})).await;
    assert_eq!(got["QueueUrl"], url.as_str());
}

#[tokio::test]
async fn create_queue_is_idempotent_only_with_the_same_attributes() {
    let env = Env::new();
    env.queue("q", json!({"VisibilityTimeout": "40"})).await;
    env.queue("q", json!({"VisibilityTimeout": "40"})).await;
    let e = env
        .err(
            "CreateQueue",
            json!({"QueueName": "q", "Attributes": {"VisibilityTimeout": "41"}}),
        )
        .await;
    assert_eq!(e.code, "QueueNameExists");
}

#[tokio::test]
async fn fifo_queue_names_must_end_in_fifo() {
    let env = Env::new();
    let e = env
        .err(
            "CreateQueue",
            json!({"QueueName": "jobs", "Attributes": {"FifoQueue": "true"}}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    let e = env
        .err("CreateQueue", json!({"QueueName": "jobs.fifo"}))
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
}

#[tokio::test]
async fn an_unknown_queue_url_is_queue_does_not_exist() {
    let env = Env::new();
    let e = env
        .err(
            "SendMessage",
            json!({"QueueUrl": "http://localhost:4566/000000000000/nope", "MessageBody": "x"}),
        )
        .await;
    assert_eq!(e.code, "QueueDoesNotExist");
    assert_eq!(e.message, "The specified queue does not exist.");
}

#[tokio::test]
async fn list_queues_filters_by_prefix_and_pages() {
    let env = Env::new();
    for n in ["a1", "a2", "a3", "b1"] {
        env.queue(n, json!({})).await;
    }
    let page = env
        .ok(
            "ListQueues",
            json!({"QueueNamePrefix": "a", "MaxResults": 2}),
        )
        .await;
    assert_eq!(page["QueueUrls"].as_array().map(Vec::len), Some(2));
    let token = page["NextToken"].as_str().expect("token");
    let rest = env
        .ok(
            "ListQueues",
            json!({"QueueNamePrefix": "a", "MaxResults": 2, "NextToken": token}),
        )
        .await;
    assert_eq!(rest["QueueUrls"].as_array().map(Vec::len), Some(1));
    assert!(rest.get("NextToken").is_none());
}

#[tokio::test]
async fn send_receive_delete_round_trip_with_the_body_md5() {
    let env = Env::new();
    let url = env.queue("q", json!({})).await;
    let sent = env
        .ok(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "hello"}),
        )
        .await;
    assert_eq!(sent["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592");
    let got = env.receive(&url, json!({})).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["Body"], "hello");
    assert_eq!(got[0]["MessageId"], sent["MessageId"]);
    env.ok(
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"]}),
    )
    .await;
    env.clock.advance_millis(60_000);
    assert!(env.receive(&url, json!({})).await.is_empty());
}

#[tokio::test]
async fn a_received_message_reappears_after_its_visibility_timeout() {
    let env = Env::new();
    let url = env.queue("q", json!({"VisibilityTimeout": "10"})).await;
    env.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}))
        .await;
    assert_eq!(env.receive(&url, json!({})).await.len(), 1);
    assert!(env.receive(&url, json!({})).await.is_empty());
    assert_eq!(
        env.count(&url, "ApproximateNumberOfMessagesNotVisible")
            .await,
        "1"
    );
    env.clock.advance_millis(10_000);
    let again = env
        .receive(&url, json!({"AttributeNames": ["ApproximateReceiveCount"]}))
        .await;
    assert_eq!(again[0]["Attributes"]["ApproximateReceiveCount"], "2");
}

#[tokio::test]
async fn a_stale_receipt_handle_deletes_nothing() {
    let env = Env::new();
    let url = env.queue("q", json!({"VisibilityTimeout": "5"})).await;
    env.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}))
        .await;
    let first = env.receive(&url, json!({})).await;
    env.clock.advance_millis(5_000);
    let _second = env.receive(&url, json!({})).await;
    env.ok(
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": first[0]["ReceiptHandle"]}),
    )
    .await;
    assert_eq!(
        env.count(&url, "ApproximateNumberOfMessagesNotVisible")
            .await,
        "1"
    );
    let e = env
        .err(
            "DeleteMessage",
            json!({"QueueUrl": url, "ReceiptHandle": "garbage"}),
        )
        .await;
    assert_eq!(e.code, "ReceiptHandleIsInvalid");
}

#[tokio::test]
async fn delay_seconds_hold_a_message_back_and_count_it_delayed() {
    let env = Env::new();
    let url = env.queue("q", json!({})).await;
    env.ok(
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x", "DelaySeconds": 30}),
    )
    .await;
    assert_eq!(
        env.count(&url, "ApproximateNumberOfMessagesDelayed").await,
        "1"
    );
    assert!(env.receive(&url, json!({})).await.is_empty());
    env.clock.advance_millis(30_000);
    assert_eq!(env.receive(&url, json!({})).await.len(), 1);
    let e = env
        .err(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "x", "DelaySeconds": 901}),
        )
        .await;
    assert_eq!(
        e.message,
        "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
    );
}

#[tokio::test]
async fn max_number_of_messages_is_one_to_ten() {
    let env = Env::new();
    let url = env.queue("q", json!({})).await;
    let e = env
        .err(
            "ReceiveMessage",
            json!({"QueueUrl": url, "MaxNumberOfMessages": 11}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    assert_eq!(
        e.message,
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
    );
}

#[tokio::test]
async fn messages_expire_after_the_retention_period() {
    let env = Env::new();
    let url = env
        .queue("q", json!({"MessageRetentionPeriod": "60"}))
        .await;
    env.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}))
        .await;
    env.clock.advance_millis(60_000);
    assert!(env.receive(&url, json!({})).await.is_empty());
    assert_eq!(env.count(&url, "ApproximateNumberOfMessages").await, "0");
}

#[tokio::test]
async fn a_long_poll_returns_as_soon_as_a_message_is_sent() {
    let env = std::sync::Arc::new(Env::new());
    let url = env.queue("q", json!({})).await;
    let sender = {
        let env = env.clone();
        let url = url.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            env.ok(
                "SendMessage",
                json!({"QueueUrl": url, "MessageBody": "late"}),
            )
            .await;
        })
    };
    let started = std::time::Instant::now();
    let got = env.receive(&url, json!({"WaitTimeSeconds": 5})).await;
    sender.await.expect("sender");
    assert_eq!(got.len(), 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[tokio::test]
async fn fifo_drops_a_duplicate_within_the_window() {
    let env = Env::new();
    let url = env
        .queue(
            "q.fifo",
            json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
        )
        .await;
    let a = env
        .ok(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g"}),
        )
        .await;
    let b = env
        .ok(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g"}),
        )
        .await;
    assert_eq!(a["MessageId"], b["MessageId"]);
    assert_eq!(env.count(&url, "ApproximateNumberOfMessages").await, "1");
    let e = env
        .err("SendMessage", json!({"QueueUrl": url, "MessageBody": "y"}))
        .await;
    assert_eq!(e.code, "MissingParameter");
}

#[tokio::test]
async fn a_fifo_group_is_locked_while_a_message_is_in_flight() {
    let env = Env::new();
    let url = env
        .queue(
            "q.fifo",
            json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
        )
        .await;
    for body in ["1", "2"] {
        env.ok(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": body, "MessageGroupId": "g"}),
        )
        .await;
    }
    let first = env.receive(&url, json!({"MaxNumberOfMessages": 1})).await;
    assert_eq!(first[0]["Body"], "1");
    assert!(env.receive(&url, json!({})).await.is_empty());
    env.ok(
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": first[0]["ReceiptHandle"]}),
    )
    .await;
    assert_eq!(env.receive(&url, json!({})).await[0]["Body"], "2");
}

#[tokio::test]
async fn a_message_received_more_than_max_receive_count_moves_to_the_dlq_and_back() {
    let env = Env::new();
    let dlq = env.queue("dlq", json!({})).await;
    let dlq_arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
    let policy = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}).to_string();
    let src = env
        .queue(
            "src",
            json!({"RedrivePolicy": policy, "VisibilityTimeout": "1"}),
        )
        .await;
    env.ok("SendMessage", json!({"QueueUrl": src, "MessageBody": "x"}))
        .await;
    for _ in 0..3 {
        assert_eq!(env.receive(&src, json!({})).await.len(), 1);
        env.clock.advance_millis(1_000);
    }
    assert!(env.receive(&src, json!({})).await.is_empty());
    assert_eq!(env.count(&dlq, "ApproximateNumberOfMessages").await, "1");
    let sources = env
        .ok("ListDeadLetterSourceQueues", json!({"QueueUrl": dlq}))
        .await;
    assert_eq!(sources["queueUrls"][0], src.as_str());
    env.ok("StartMessageMoveTask", json!({"SourceArn": dlq_arn}))
        .await;
    assert_eq!(env.count(&dlq, "ApproximateNumberOfMessages").await, "0");
    assert_eq!(env.receive(&src, json!({})).await.len(), 1);
    let tasks = env
        .ok("ListMessageMoveTasks", json!({"SourceArn": dlq_arn}))
        .await;
    assert_eq!(tasks["Results"][0]["Status"], "COMPLETED");
}

#[tokio::test]
async fn batches_answer_each_entry_and_refuse_repeated_ids() {
    let env = Env::new();
    let url = env.queue("q", json!({})).await;
    let out = env
        .ok(
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": [
                {"Id": "a", "MessageBody": "1"},
                {"Id": "b", "MessageBody": "2", "DelaySeconds": 1000},
            ]}),
        )
        .await;
    assert_eq!(out["Successful"].as_array().map(Vec::len), Some(1));
    assert_eq!(out["Failed"][0]["Id"], "b");
    assert_eq!(out["Failed"][0]["Code"], "InvalidParameterValue");
    let e = env
        .err(
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": [
                {"Id": "a", "MessageBody": "1"}, {"Id": "a", "MessageBody": "2"},
            ]}),
        )
        .await;
    assert_eq!(e.code, "BatchEntryIdsNotDistinct");
    let e = env
        .err("SendMessageBatch", json!({"QueueUrl": url, "Entries": []}))
        .await;
    assert_eq!(e.code, "EmptyBatchRequest");
}

#[tokio::test]
async fn purge_queue_twice_within_sixty_seconds_is_refused() {
    let env = Env::new();
    let url = env.queue("q", json!({})).await;
    env.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}))
        .await;
    env.ok("PurgeQueue", json!({"QueueUrl": url})).await;
    assert_eq!(env.count(&url, "ApproximateNumberOfMessages").await, "0");
    let e = env.err("PurgeQueue", json!({"QueueUrl": url})).await;
    assert_eq!(e.code, "PurgeQueueInProgress");
    assert_eq!(
        e.message,
        "Only one PurgeQueue operation on q is allowed every 60 seconds."
    );
    env.clock.advance_millis(60_000);
    env.ok("PurgeQueue", json!({"QueueUrl": url})).await;
}

#[tokio::test]
async fn the_index_is_rebuilt_from_the_store() {
    let env = Env::new();
    let url = env.queue("q", json!({"VisibilityTimeout": "10"})).await;
    env.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}))
        .await;
    env.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "y"}))
        .await;
    assert_eq!(
        env.receive(&url, json!({"MaxNumberOfMessages": 1}))
            .await
            .len(),
        1
    );
    env.svc.reset_state();
    assert_eq!(env.count(&url, "ApproximateNumberOfMessages").await, "1");
    assert_eq!(
        env.count(&url, "ApproximateNumberOfMessagesNotVisible")
            .await,
        "1"
    );
    env.clock.advance_millis(10_000);
    assert_eq!(env.receive(&url, json!({})).await.len(), 2);
}

#[tokio::test]
async fn tags_and_permissions_round_trip() {
    let env = Env::new();
    let url = env.queue("q", json!({})).await;
    env.ok(
        "TagQueue",
        json!({"QueueUrl": url, "Tags": {"a": "1", "b": "2"}}),
    )
    .await;
    env.ok("UntagQueue", json!({"QueueUrl": url, "TagKeys": ["b"]}))
        .await;
    let tags = env.ok("ListQueueTags", json!({"QueueUrl": url})).await;
    assert_eq!(tags["Tags"], json!({"a": "1"}));
    env.ok(
        "AddPermission",
        json!({"QueueUrl": url, "Label": "l", "AWSAccountIds": ["111111111111"], "Actions": ["SendMessage"]}),
    )
    .await;
    let policy = env.count(&url, "Policy").await;
    assert!(policy.contains("\"Sid\":\"l\""), "{policy}");
    env.ok("RemovePermission", json!({"QueueUrl": url, "Label": "l"}))
        .await;
    assert_eq!(env.count(&url, "Policy").await, "");
}

#[tokio::test]
async fn a_deleted_name_is_taken_for_sixty_seconds() {
    let env = Env::new();
    let url = env.queue("gone", json!({})).await;
    env.ok("DeleteQueue", json!({"QueueUrl": url})).await;
    let e = env.err("CreateQueue", json!({"QueueName": "gone"})).await;
    assert_eq!(e.code, "QueueDeletedRecently");
    env.clock.advance_millis(60_000);
    env.queue("gone", json!({})).await;
}

#[tokio::test]
async fn a_standard_queue_refuses_a_deduplication_id() {
    let env = Env::new();
    let url = env.queue("q", json!({})).await;
    let e = env
        .err(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "x", "MessageDeduplicationId": "d"}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
}

#[tokio::test]
async fn expired_messages_leave_the_counts_before_a_receive_removes_them() {
    let env = Env::new();
    let url = env
        .queue("q", json!({"MessageRetentionPeriod": "60"}))
        .await;
    env.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}))
        .await;
    assert_eq!(env.count(&url, "ApproximateNumberOfMessages").await, "1");
    env.clock.advance_millis(60_000);
    assert_eq!(env.count(&url, "ApproximateNumberOfMessages").await, "0");
}

#[tokio::test]
async fn a_redrive_policy_needs_an_existing_dead_letter_queue_of_the_same_kind() {
    let env = Env::new();
    let missing = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:nope", "maxReceiveCount": 2}).to_string();
    let e = env
        .err(
            "CreateQueue",
            json!({"QueueName": "src", "Attributes": {"RedrivePolicy": missing}}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
    assert!(
        e.message
            .ends_with("Reason: Dead letter target does not exist."),
        "{}",
        e.message
    );
    env.queue("dlq.fifo", json!({"FifoQueue": "true"})).await;
    let fifo = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq.fifo", "maxReceiveCount": 2}).to_string();
    let e = env
        .err(
            "CreateQueue",
            json!({"QueueName": "src", "Attributes": {"RedrivePolicy": fifo}}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
}

#[tokio::test]
async fn a_redrive_allow_policy_of_deny_all_refuses_sources() {
    let env = Env::new();
    env.queue(
        "dlq",
        json!({"RedriveAllowPolicy": json!({"redrivePermission": "denyAll"}).to_string()}),
    )
    .await;
    let policy = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq", "maxReceiveCount": 2}).to_string();
    let e = env
        .err(
            "CreateQueue",
            json!({"QueueName": "src", "Attributes": {"RedrivePolicy": policy}}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterValue");
}

#[tokio::test]
async fn a_standard_queue_returns_a_message_group_id_without_locking_the_group() {
    let env = Env::new();
    let url = env.queue("q", json!({})).await;
    for body in ["1", "2"] {
        env.ok(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": body, "MessageGroupId": "tenant"}),
        )
        .await;
    }
    let got = env
        .receive(
            &url,
            json!({"MessageSystemAttributeNames": ["MessageGroupId"]}),
        )
        .await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["Attributes"]["MessageGroupId"], "tenant");
}

/// The handlers' own cost per message (send, receive, delete through
/// `Service::call`, no HTTP), and receive's with 10,000 messages in
/// flight. Run with `cargo test --release -p gureum-sqs -- --ignored
/// --nocapture`.
#[tokio::test]
#[ignore]
async fn per_message_handler_cost() {
    // On disk, as the server keeps it (write-ahead log and memtable).
    let dir = std::env::temp_dir().join(format!("gureum-sqs-cost-{}", std::process::id()));
    let env = Env {
        svc: SqsService::new(Store::open(&dir).expect("store")),
        clock: Clock::with_offset(0),
    };
    let url = env.queue("q", json!({"VisibilityTimeout": "3600"})).await;
    let rounds = 20_000u32;
    let started = std::time::Instant::now();
    for _ in 0..rounds {
        env.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}))
            .await;
        let got = env.receive(&url, json!({"MaxNumberOfMessages": 1})).await;
        env.ok(
            "DeleteMessage",
            json!({"QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"]}),
        )
        .await;
    }
    let trio = started.elapsed() / rounds;
    let empty_started = std::time::Instant::now();
    for _ in 0..rounds {
        env.receive(&url, json!({})).await;
    }
    let empty = empty_started.elapsed() / rounds;
    for _ in 0..1000 {
        let entries: Vec<Value> = (0..10)
            .map(|i| json!({"Id": i.to_string(), "MessageBody": "y"}))
            .collect();
        env.ok(
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": entries}),
        )
        .await;
    }
    while !env.receive(&url, json!({})).await.is_empty() {}
    assert_eq!(
        env.count(&url, "ApproximateNumberOfMessagesNotVisible")
            .await,
        "10000"
    );
    let full_started = std::time::Instant::now();
    for _ in 0..rounds {
        env.receive(&url, json!({})).await;
    }
    let full = full_started.elapsed() / rounds;
    println!("send+receive+delete {trio:?} per message; receive: empty {empty:?}, 10,000 in flight {full:?}");
    drop(env);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_visibility_timeout_reaches_at_most_twelve_hours_past_the_receive() {
    let env = Env::new();
    let url = env.queue("q", json!({})).await;
    env.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}))
        .await;
    let got = env.receive(&url, json!({})).await;
    let handle = got[0]["ReceiptHandle"].clone();
    env.clock.advance_millis(10_000);
    env.ok(
        "ChangeMessageVisibility",
        json!({"QueueUrl": url, "ReceiptHandle": handle, "VisibilityTimeout": 43_000}),
    )
    .await;
    let e = env
        .err(
            "ChangeMessageVisibility",
            json!({"QueueUrl": url, "ReceiptHandle": handle, "VisibilityTimeout": 43_200}),
        )
        .await;
    assert_eq!(
        e.message,
        "Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]"
    );
}

#[tokio::test]
async fn changing_the_visibility_of_a_visible_message_is_message_not_inflight() {
    let env = Env::new();
    let url = env.queue("q", json!({"VisibilityTimeout": "5"})).await;
    env.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}))
        .await;
    let got = env.receive(&url, json!({})).await;
    env.clock.advance_millis(5_000);
    let e = env
        .err(
            "ChangeMessageVisibility",
            json!({"QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 10}),
        )
        .await;
    assert_eq!(e.code, "MessageNotInflight");
}
