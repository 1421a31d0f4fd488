//! SNS's rules, one per test, through `Service::call`.

use crate::SnsService;
use gureum_core::{AwsError, Clock, RequestBody, RequestContext, Service, Value};
use gureum_sqs::SqsService;
use gureum_store::Store;
use serde_json::json;
use std::sync::Arc;

const ACCOUNT: &str = "000000000000";

fn ctx(clock: &Clock) -> RequestContext {
    let mut c = RequestContext::root(ACCOUNT, "us-east-1", clock.clone());
    c.host = Some("localhost:4566".into());
    c
}

/// Polls a future the service answers at once.
fn ready<T>(fut: impl std::future::Future<Output = T>) -> T {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("table operations are never pending"),
    }
}

struct Env {
    svc: SnsService,
    sqs: Arc<SqsService>,
    clock: Clock,
}

impl Env {
    fn new() -> Self {
        Env::over(Store::in_memory().expect("store"))
    }

    fn over(store: Store) -> Self {
        let sqs = Arc::new(SqsService::new(store.clone()));
        Env {
            svc: SnsService::with_sqs(store, sqs.clone()),
            sqs,
            clock: Clock::with_offset(0),
        }
    }

    fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        ready(self.svc.call(&ctx(&self.clock), op, input))
    }

    fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input) {
            Ok(v) => v,
            Err(e) => panic!("{op}: {} {}", e.code, e.message),
        }
    }

    fn err(&self, op: &str, input: Value) -> AwsError {
        self.call(op, input).expect_err(op)
    }

    fn sqs(&self, op: &str, input: Value) -> Value {
        match ready(self.sqs.call(&ctx(&self.clock), op, input)) {
            Ok(v) => v,
            Err(e) => panic!("{op}: {} {}", e.code, e.message),
        }
    }

    fn topic(&self, name: &str, attributes: Value) -> String {
        self.ok(
            "CreateTopic",
            json!({"Name": name, "Attributes": attributes}),
        )["TopicArn"]
            .as_str()
            .expect("arn")
            .to_string()
    }

    /// A queue whose policy lets SNS send (or not), and its ARN and URL.
    fn queue(&self, name: &str, allow_sns: bool) -> (String, String) {
        let arn = format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{name}");
        let mut attributes = json!({});
        if name.ends_with(".fifo") {
            attributes["FifoQueue"] = json!("true");
        }
        if allow_sns {
            attributes["Policy"] = json!(json!({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                               "Action": "sqs:SendMessage", "Resource": arn}]
            })
            .to_string());
        }
        let url = self.sqs(
            "CreateQueue",
            json!({"QueueName": name, "Attributes": attributes}),
        )["QueueUrl"]
            .as_str()
            .expect("url")
            .to_string();
        (arn, url)
    }

    fn received(&self, url: &str) -> Vec<Value> {
        let input = json!({"QueueUrl": url, "MaxNumberOfMessages": 10,
                           "MessageAttributeNames": ["All"], "WaitTimeSeconds": 0});
        let body = RequestBody::from_bytes(Default::default());
        let reply =
            ready(
                self.sqs
                    .call_streaming(&ctx(&self.clock), "ReceiveMessage", input, body),
            )
            .expect("receive");
        reply.output["Messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn subscribe(&self, topic: &str, protocol: &str, endpoint: &str, attributes: Value) -> String {
        self.ok(
            "Subscribe",
            json!({"TopicArn": topic, "Protocol": protocol, "Endpoint": endpoint,
                   "Attributes": attributes, "ReturnSubscriptionArn": true}),
        )["SubscriptionArn"]
            .as_str()
            .expect("arn")
            .to_string()
    }
}

#[test]
fn create_topic_is_idempotent_and_refuses_other_attributes() {
    let env = Env::new();
    let a = env.topic("t", json!({"DisplayName": "x"}));
    assert_eq!(a, format!("arn:aws:sns:us-east-1:{ACCOUNT}:t"));
    assert_eq!(env.topic("t", json!({"DisplayName": "x"})), a);
    let e = env.err(
        "CreateTopic",
        json!({"Name": "t", "Attributes": {"DisplayName": "y"}}),
    );
    assert_eq!(e.code, "InvalidParameterException");
    assert_eq!(
        e.message,
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
    );
}

#[test]
fn topic_names_follow_the_kind() {
    let env = Env::new();
    let e = env.err("CreateTopic", json!({"Name": "a.fifo"}));
    assert_eq!(e.message, "Invalid parameter: Topic Name");
    let e = env.err(
        "CreateTopic",
        json!({"Name": "a", "Attributes": {"FifoTopic": "true"}}),
    );
    assert!(
        e.message.contains("Fifo Topic names must end with .fifo"),
        "{}",
        e.message
    );
    env.topic("a.fifo", json!({"FifoTopic": "true"}));
}

#[test]
fn a_missing_topic_is_not_found() {
    let env = Env::new();
    let e = env.err(
        "GetTopicAttributes",
        json!({"TopicArn": format!("arn:aws:sns:us-east-1:{ACCOUNT}:nope")}),
    );
    assert_eq!(
        (e.code.as_str(), e.status, e.message.as_str()),
        ("NotFoundException", 404, "Topic does not exist")
    );
}

#[test]
fn topic_attributes_have_awss_defaults() {
    let env = Env::new();
    let arn = env.topic("t", json!({}));
    let a = &env.ok("GetTopicAttributes", json!({"TopicArn": arn}))["Attributes"];
    assert_eq!(a["Owner"], ACCOUNT);
    assert_eq!(a["SubscriptionsConfirmed"], "0");
    assert_eq!(a["DisplayName"], "");
    let policy: Value = serde_json::from_str(a["Policy"].as_str().expect("policy")).expect("json");
    assert_eq!(
        policy["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceOwner"],
        ACCOUNT
    );
    assert!(a["EffectiveDeliveryPolicy"]
        .as_str()
        .expect("edp")
        .contains("defaultHealthyRetryPolicy"));
}

#[test]
fn list_topics_pages_by_100() {
    let env = Env::new();
    for i in 0..105 {
        env.topic(&format!("t{i:03}"), json!({}));
    }
    let first = env.ok("ListTopics", json!({}));
    assert_eq!(first["Topics"].as_array().expect("topics").len(), 100);
    let token = first["NextToken"].as_str().expect("token");
    let second = env.ok("ListTopics", json!({"NextToken": token}));
    assert_eq!(second["Topics"].as_array().expect("topics").len(), 5);
    assert!(second.get("NextToken").is_none());
}

#[test]
fn fan_out_honours_filter_policies_and_queue_policies() {
    let env = Env::new();
    let topic = env.topic("orders", json!({}));
    let (a, a_url) = env.queue("a", true);
    let (b, b_url) = env.queue("b", true);
    let (c, c_url) = env.queue("c", false);
    env.subscribe(
        &topic,
        "sqs",
        &a,
        json!({"FilterPolicy": r#"{"kind": ["big"]}"#}),
    );
    env.subscribe(
        &topic,
        "sqs",
        &b,
        json!({"FilterPolicy": r#"{"kind": ["small"]}"#}),
    );
    env.subscribe(&topic, "sqs", &c, json!({}));
    env.ok(
        "Publish",
        json!({"TopicArn": topic, "Message": "hello",
               "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "big"}}}),
    );
    let got = env.received(&a_url);
    assert_eq!(got.len(), 1);
    let envelope: Value =
        serde_json::from_str(got[0]["Body"].as_str().expect("body")).expect("json");
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["Message"], "hello");
    assert_eq!(
        envelope["MessageAttributes"]["kind"],
        json!({"Type": "String", "Value": "big"})
    );
    assert!(env.received(&b_url).is_empty());
    assert!(
        env.received(&c_url).is_empty(),
        "a queue without a policy gets nothing"
    );
    let failed = env.svc.captured().expect("captured");
    assert!(failed
        .iter()
        .any(|m| m.endpoint == c && m.status.starts_with("failed")));
}

#[test]
fn raw_delivery_sends_the_body_and_attributes() {
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    let (q, url) = env.queue("q", true);
    env.subscribe(&topic, "sqs", &q, json!({"RawMessageDelivery": "true"}));
    env.ok(
        "Publish",
        json!({"TopicArn": topic, "Message": "raw body",
               "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "5"}}}),
    );
    let got = env.received(&url);
    assert_eq!(got[0]["Body"], "raw body");
    assert_eq!(got[0]["MessageAttributes"]["n"]["StringValue"], "5");
}

#[test]
fn the_envelope_signature_verifies_with_the_served_key() {
    use base64::Engine as _;
    use rsa::pkcs8::DecodePublicKey;
    use sha1::Digest;
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    let (q, url) = env.queue("q", true);
    env.subscribe(&topic, "sqs", &q, json!({}));
    env.ok(
        "Publish",
        json!({"TopicArn": topic, "Message": "signed", "Subject": "s"}),
    );
    let got = env.received(&url);
    let n: Value = serde_json::from_str(got[0]["Body"].as_str().expect("body")).expect("json");
    let keys = env.svc.signer.keys().expect("keys");
    let cert_url = n["SigningCertURL"].as_str().expect("url");
    assert!(cert_url.ends_with(&keys.file_name()), "{cert_url}");
    assert!(cert_url.starts_with("http://sns.us-east-1.localhost:4566/"));
    let text = crate::envelope::notification_string_to_sign(
        "signed",
        n["MessageId"].as_str().expect("id"),
        Some("s"),
        n["Timestamp"].as_str().expect("ts"),
        &topic,
    );
    let sig = base64::engine::general_purpose::STANDARD
        .decode(n["Signature"].as_str().expect("sig"))
        .expect("b64");
    // The certificate's public key: the SubjectPublicKeyInfo inside it.
    let b64: String = keys
        .cert_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("pem");
    let spki_at = (0..der.len())
        .find(|&i| rsa::RsaPublicKey::from_public_key_der(spki_slice(&der[i..])).is_ok())
        .expect("a key in the certificate");
    let public = rsa::RsaPublicKey::from_public_key_der(spki_slice(&der[spki_at..])).expect("key");
    public
        .verify(
            rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
            &sha1::Sha1::digest(text.as_bytes()),
            &sig,
        )
        .expect("signature verifies");
}

/// The DER element starting at `d[0]` (a long-form length of 2 bytes).
fn spki_slice(d: &[u8]) -> &[u8] {
    if d.len() < 4 || d[0] != 0x30 || d[1] != 0x82 {
        return &[];
    }
    let len = (usize::from(d[2]) << 8 | usize::from(d[3])) + 4;
    &d[..len.min(d.len())]
}

#[test]
fn fifo_topics_deduplicate_for_five_minutes() {
    let env = Env::new();
    let topic = env.topic("t.fifo", json!({"FifoTopic": "true"}));
    let (q, url) = env.queue("q.fifo", true);
    env.subscribe(&topic, "sqs", &q, json!({"RawMessageDelivery": "true"}));
    let publish = || {
        env.ok(
            "Publish",
            json!({"TopicArn": topic, "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d"}),
        )
    };
    let first = publish();
    let second = publish();
    assert_eq!(first["MessageId"], second["MessageId"]);
    assert_eq!(first["SequenceNumber"], second["SequenceNumber"]);
    assert_eq!(env.received(&url).len(), 1);
    env.clock.advance_millis(5 * 60 * 1000 + 1);
    assert_ne!(publish()["MessageId"], first["MessageId"]);
}

#[test]
fn fifo_topics_deliver_to_sqs_only() {
    let env = Env::new();
    let topic = env.topic("t.fifo", json!({"FifoTopic": "true"}));
    let e = env.err(
        "Subscribe",
        json!({"TopicArn": topic, "Protocol": "sms", "Endpoint": "+15555550100"}),
    );
    assert_eq!(e.message, "Invalid parameter: Invalid protocol type: sms");
}

#[test]
fn a_standard_topic_refuses_fifo_queues_and_deduplication_ids() {
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    let (q, _) = env.queue("q.fifo", true);
    let e = env.err(
        "Subscribe",
        json!({"TopicArn": topic, "Protocol": "sqs", "Endpoint": q}),
    );
    assert!(e
        .message
        .contains("FIFO SQS Queues can not be subscribed to standard SNS topics"));
    let e = env.err(
        "Publish",
        json!({"TopicArn": topic, "Message": "m", "MessageDeduplicationId": "d"}),
    );
    assert!(e
        .message
        .starts_with("Invalid parameter: MessageDeduplicationId"));
}

#[test]
fn http_subscriptions_wait_for_their_token() {
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    let reply = env.ok(
        "Subscribe",
        json!({"TopicArn": topic, "Protocol": "http", "Endpoint": "http://127.0.0.1:9/hook"}),
    );
    assert_eq!(reply["SubscriptionArn"], "pending confirmation");
    let listed = env.ok("ListSubscriptionsByTopic", json!({"TopicArn": topic}));
    assert_eq!(
        listed["Subscriptions"][0]["SubscriptionArn"],
        "PendingConfirmation"
    );
    let e = env.err(
        "ConfirmSubscription",
        json!({"TopicArn": topic, "Token": "wrong"}),
    );
    assert_eq!(e.message, "Invalid parameter: Token");
    let token = env.svc.subscriptions.scan_prefix("").expect("scan")[0]
        .1
        .token
        .clone()
        .expect("token");
    let arn = env.ok(
        "ConfirmSubscription",
        json!({"TopicArn": topic, "Token": token}),
    )["SubscriptionArn"]
        .as_str()
        .expect("arn")
        .to_string();
    let a = &env.ok("GetSubscriptionAttributes", json!({"SubscriptionArn": arn}))["Attributes"];
    assert_eq!(a["PendingConfirmation"], "false");
    let t = &env.ok("GetTopicAttributes", json!({"TopicArn": topic}))["Attributes"];
    assert_eq!(t["SubscriptionsConfirmed"], "1");
}

#[test]
fn email_and_sms_are_captured() {
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    env.subscribe(&topic, "sms", "+15555550100", json!({}));
    env.ok("Publish", json!({"TopicArn": topic, "Message": "text me"}));
    env.ok(
        "Publish",
        json!({"PhoneNumber": "+15555550101", "Message": "direct"}),
    );
    let got = env.svc.captured().expect("captured");
    assert!(got
        .iter()
        .any(|c| c.endpoint == "+15555550100" && c.message == "text me"));
    assert!(got
        .iter()
        .any(|c| c.endpoint == "+15555550101" && c.message == "direct"));
}

#[test]
fn publish_batch_answers_each_entry() {
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    let r = env.ok(
        "PublishBatch",
        json!({"TopicArn": topic, "PublishBatchRequestEntries": [
            {"Id": "a", "Message": "ok"},
            {"Id": "b", "Message": ""},
        ]}),
    );
    assert_eq!(r["Successful"][0]["Id"], "a");
    assert_eq!(r["Failed"][0]["Id"], "b");
    assert_eq!(r["Failed"][0]["Code"], "InvalidParameter");
    let e = env.err(
        "PublishBatch",
        json!({"TopicArn": topic, "PublishBatchRequestEntries": [
        {"Id": "a", "Message": "1"}, {"Id": "a", "Message": "2"}]}),
    );
    assert_eq!(e.code, "BatchEntryIdsNotDistinctException");
}

#[test]
fn services_publish_only_when_the_topic_policy_allows_them() {
    let env = Env::new();
    let topic = env.topic("alarms", json!({}));
    let sender = crate::ServiceSender {
        service: "events.amazonaws.com",
        source_arn: "arn:aws:events:us-east-1:000000000000:rule/r",
        source_account: ACCOUNT,
    };
    let e = env
        .svc
        .publish_from_service(&env.clock, &sender, &topic, "m", None, &Value::Null)
        .expect_err("default policy");
    assert_eq!(e.code, "AuthorizationErrorException");
    let policy = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish", "Resource": topic}]});
    env.ok(
        "SetTopicAttributes",
        json!({"TopicArn": topic, "AttributeName": "Policy", "AttributeValue": policy.to_string()}),
    );
    let id = env
        .svc
        .publish_from_service(
            &env.clock,
            &sender,
            &topic,
            "m",
            Some("ALARM"),
            &Value::Null,
        )
        .expect("allowed");
    assert_eq!(id.len(), 36);
}

#[test]
fn deleting_a_topic_deletes_its_subscriptions() {
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    let (q, _) = env.queue("q", true);
    env.subscribe(&topic, "sqs", &q, json!({}));
    env.ok("DeleteTopic", json!({"TopicArn": topic}));
    assert_eq!(
        env.ok("ListSubscriptions", json!({}))["Subscriptions"],
        json!([])
    );
}

#[test]
fn tags_and_permissions() {
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    env.ok(
        "TagResource",
        json!({"ResourceArn": topic, "Tags": [{"Key": "k", "Value": "v"}]}),
    );
    assert_eq!(
        env.ok("ListTagsForResource", json!({"ResourceArn": topic}))["Tags"],
        json!([{"Key": "k", "Value": "v"}])
    );
    env.ok(
        "UntagResource",
        json!({"ResourceArn": topic, "TagKeys": ["k"]}),
    );
    assert_eq!(
        env.ok("ListTagsForResource", json!({"ResourceArn": topic}))["Tags"],
        json!([])
    );
    env.ok("AddPermission", json!({"TopicArn": topic, "Label": "p", "AWSAccountId": ["111122223333"], "ActionName": ["Publish"]}));
    let a = &env.ok("GetTopicAttributes", json!({"TopicArn": topic}))["Attributes"];
    assert!(a["Policy"]
        .as_str()
        .expect("policy")
        .contains("arn:aws:iam::111122223333:root"));
    env.ok("RemovePermission", json!({"TopicArn": topic, "Label": "p"}));
    let a = &env.ok("GetTopicAttributes", json!({"TopicArn": topic}))["Attributes"];
    assert!(!a["Policy"]
        .as_str()
        .expect("policy")
        .contains("111122223333"));
}

#[test]
fn everything_persists_across_a_reopen() {
    let dir = std::env::temp_dir().join(format!("gureum-sns-{}", gureum_core::id::uuid_v4()));
    let topic;
    let token;
    {
        let env = Env::over(Store::open(&dir).expect("store"));
        topic = env.topic("t", json!({}));
        // Email: pending like HTTP, without a delivery thread holding the store.
        env.ok(
            "Subscribe",
            json!({"TopicArn": topic, "Protocol": "email", "Endpoint": "a@example.com"}),
        );
        token = env.svc.subscriptions.scan_prefix("").expect("scan")[0]
            .1
            .token
            .clone();
        env.svc.signer.keys().expect("keys");
    }
    // The store's checkpoint thread may hold it for a moment after the drop.
    let mut reopened = Store::open(&dir);
    for _ in 0..100 {
        if reopened.is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        reopened = Store::open(&dir);
    }
    let env = Env::over(reopened.expect("reopen"));
    let t = &env.ok("GetTopicAttributes", json!({"TopicArn": topic}))["Attributes"];
    assert_eq!(t["SubscriptionsPending"], "1");
    env.ok(
        "ConfirmSubscription",
        json!({"TopicArn": topic, "Token": token}),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The handlers' own cost of a publish to one SQS subscriber (through
/// `Service::call`, on-disk store, no HTTP): enveloped (signed) and raw,
/// and one RSA signature alone. Run with `cargo test --release -p
/// gureum-sns -- --ignored --nocapture`.
#[test]
#[ignore]
fn publish_handler_cost() {
    let dir = std::env::temp_dir().join(format!("gureum-sns-cost-{}", std::process::id()));
    let env = Env::over(Store::open(&dir).expect("store"));
    let rounds = 2_000u32;
    let mut report = Vec::new();
    for raw in ["false", "true"] {
        let topic = env.topic(&format!("t-{raw}"), json!({}));
        let (q, url) = env.queue(&format!("q-{raw}"), true);
        env.subscribe(&topic, "sqs", &q, json!({"RawMessageDelivery": raw}));
        env.ok("Publish", json!({"TopicArn": topic, "Message": "warm"}));
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            env.ok(
                "Publish",
                json!({"TopicArn": topic, "Message": "x".repeat(100)}),
            );
        }
        report.push((raw, started.elapsed() / rounds));
        env.sqs("PurgeQueue", json!({"QueueUrl": url}));
    }
    let keys = env.svc.signer.keys().expect("keys");
    let started = std::time::Instant::now();
    for i in 0..rounds {
        keys.sign("1", &format!("Message\n{i}\n"));
    }
    let sign = started.elapsed() / rounds;
    println!(
        "publish to one SQS subscriber: enveloped {:?}, raw {:?}; one RSA-2048 SHA1 signature {sign:?}",
        report[0].1, report[1].1
    );
    drop(env);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn another_account_publishes_only_when_the_topic_policy_allows_it() {
    let env = Env::new();
    let topic = env.topic("shared", json!({}));
    let other = RequestContext::root("111122223333", "us-east-1", env.clock.clone());
    let publish = || {
        ready(env.svc.call(
            &other,
            "Publish",
            json!({"TopicArn": topic, "Message": "m"}),
        ))
    };
    let e = publish().expect_err("default policy");
    assert_eq!(e.code, "AuthorizationErrorException");
    assert_eq!(
        e.message,
        format!("User: arn:aws:iam::111122223333:root is not authorized to perform: SNS:Publish on resource: {topic} because no resource-based policy allows the SNS:Publish action")
    );
    env.ok(
        "AddPermission",
        json!({"TopicArn": topic, "Label": "partner", "AWSAccountId": ["111122223333"], "ActionName": ["Publish"]}),
    );
    publish().expect("allowed by the statement");
    let e = ready(
        env.svc
            .call(&other, "GetTopicAttributes", json!({"TopicArn": topic})),
    )
    .expect_err("only Publish was granted");
    assert_eq!(e.code, "AuthorizationErrorException");
}

#[test]
fn sms_attributes_round_trip_and_nobody_is_opted_out() {
    let env = Env::new();
    env.ok(
        "SetSMSAttributes",
        json!({"attributes": {"DefaultSMSType": "Transactional"}}),
    );
    let got = env.ok("GetSMSAttributes", json!({}));
    assert_eq!(
        got["attributes"],
        json!({"DefaultSMSType": "Transactional"})
    );
    let e = env.err(
        "SetSMSAttributes",
        json!({"attributes": {"DefaultSMSType": "Loud"}}),
    );
    assert_eq!(e.message, "Invalid parameter: DefaultSMSType");
    let r = env.ok(
        "CheckIfPhoneNumberIsOptedOut",
        json!({"phoneNumber": "+15555550100"}),
    );
    assert_eq!(r["isOptedOut"], false);
    assert_eq!(
        env.ok("ListPhoneNumbersOptedOut", json!({}))["phoneNumbers"],
        json!([])
    );
    env.ok("OptInPhoneNumber", json!({"phoneNumber": "+15555550100"}));
}

#[test]
fn a_filter_policy_on_the_body_nests() {
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    let (q, url) = env.queue("q", true);
    env.subscribe(
        &topic,
        "sqs",
        &q,
        json!({"FilterPolicyScope": "MessageBody", "RawMessageDelivery": "true",
               "FilterPolicy": r#"{"order": {"total": [{"numeric": [">=", 100]}]}}"#}),
    );
    env.ok(
        "Publish",
        json!({"TopicArn": topic, "Message": r#"{"order": {"total": 50}}"#}),
    );
    env.ok(
        "Publish",
        json!({"TopicArn": topic, "Message": r#"{"order": {"total": 150}}"#}),
    );
    let got = env.received(&url);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["Body"], r#"{"order": {"total": 150}}"#);
}

#[test]
fn an_http_delivery_given_up_goes_to_the_dead_letter_queue() {
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    let (dlq, dlq_url) = env.queue("dlq", true);
    // A port nothing listens on: every attempt is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);
    env.ok(
        "Subscribe",
        json!({"TopicArn": topic, "Protocol": "http", "Endpoint": endpoint, "Attributes": {
            "DeliveryPolicy": r#"{"healthyRetryPolicy":{"numRetries":0,"minDelayTarget":1}}"#,
            "RedrivePolicy": json!({"deadLetterTargetArn": dlq}).to_string()}}),
    );
    let token = env.svc.subscriptions.scan_prefix("").expect("scan")[0]
        .1
        .token
        .clone();
    env.ok(
        "ConfirmSubscription",
        json!({"TopicArn": topic, "Token": token}),
    );
    env.ok(
        "Publish",
        json!({"TopicArn": topic, "Message": "nobody home"}),
    );
    let mut got = Vec::new();
    for _ in 0..100 {
        got = env.received(&dlq_url);
        if !got.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let body: Value = serde_json::from_str(got[0]["Body"].as_str().expect("body")).expect("json");
    assert_eq!(body["Message"], "nobody home");
}

#[test]
fn unsubscribing_twice_is_no_error() {
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    let (q, _) = env.queue("q", true);
    let arn = env.subscribe(&topic, "sqs", &q, json!({}));
    env.ok("Unsubscribe", json!({"SubscriptionArn": arn}));
    env.ok("Unsubscribe", json!({"SubscriptionArn": arn}));
    let e = env.err("GetSubscriptionAttributes", json!({"SubscriptionArn": arn}));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("NotFoundException", "Subscription does not exist")
    );
    let t = &env.ok("GetTopicAttributes", json!({"TopicArn": topic}))["Attributes"];
    assert_eq!(t["SubscriptionsDeleted"], "1");
}

#[test]
fn a_subscription_pending_for_three_days_is_gone() {
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    env.ok(
        "Subscribe",
        json!({"TopicArn": topic, "Protocol": "email", "Endpoint": "a@example.com"}),
    );
    let token = env.svc.subscriptions.scan_prefix("").expect("scan")[0]
        .1
        .token
        .clone();
    env.clock
        .advance_millis(crate::Subscription::PENDING_LIFETIME_MS + 1);
    let listed = env.ok("ListSubscriptionsByTopic", json!({"TopicArn": topic}));
    assert_eq!(listed["Subscriptions"], json!([]));
    let e = env.err(
        "ConfirmSubscription",
        json!({"TopicArn": topic, "Token": token}),
    );
    assert_eq!(e.message, "Invalid parameter: Token");
}

#[test]
fn another_account_cannot_delete_a_topic_or_touch_its_subscriptions() {
    let env = Env::new();
    let topic = env.topic("mine", json!({}));
    let (q, _) = env.queue("q", true);
    let sub = env.subscribe(&topic, "sqs", &q, json!({}));
    let other = RequestContext::root("111122223333", "us-east-1", env.clock.clone());
    let e = ready(
        env.svc
            .call(&other, "DeleteTopic", json!({"TopicArn": topic})),
    )
    .expect_err("denied");
    assert_eq!(e.code, "AuthorizationErrorException");
    let e = ready(
        env.svc
            .call(&other, "Unsubscribe", json!({"SubscriptionArn": sub})),
    )
    .expect_err("denied");
    assert_eq!(e.code, "AuthorizationErrorException");
    env.ok("GetTopicAttributes", json!({"TopicArn": topic}));
    env.ok("GetSubscriptionAttributes", json!({"SubscriptionArn": sub}));
}

#[test]
fn a_standard_topic_passes_its_group_to_standard_queues() {
    let env = Env::new();
    let topic = env.topic("t", json!({}));
    let (q, url) = env.queue("q", true);
    env.subscribe(&topic, "sqs", &q, json!({"RawMessageDelivery": "true"}));
    env.ok(
        "Publish",
        json!({"TopicArn": topic, "Message": "m", "MessageGroupId": "tenant-1"}),
    );
    let input = json!({"QueueUrl": url, "MessageSystemAttributeNames": ["MessageGroupId"], "WaitTimeSeconds": 0});
    let body = RequestBody::from_bytes(Default::default());
    let got = ready(
        env.sqs
            .call_streaming(&ctx(&env.clock), "ReceiveMessage", input, body),
    )
    .expect("receive")
    .output;
    assert_eq!(
        got["Messages"][0]["Attributes"]["MessageGroupId"],
        "tenant-1"
    );
}

#[test]
fn list_subscriptions_shows_the_callers_own_to_other_accounts_topics() {
    let env = Env::new();
    let topic = env.topic("shared", json!({}));
    env.ok(
        "AddPermission",
        json!({"TopicArn": topic, "Label": "sub", "AWSAccountId": ["111122223333"], "ActionName": ["Subscribe"]}),
    );
    let other = RequestContext::root("111122223333", "us-east-1", env.clock.clone());
    let queue = "arn:aws:sqs:us-east-1:111122223333:theirs";
    ready(env.svc.call(
        &other,
        "Subscribe",
        json!({"TopicArn": topic, "Protocol": "sqs", "Endpoint": queue}),
    ))
    .expect("allowed");
    let theirs = ready(env.svc.call(&other, "ListSubscriptions", json!({}))).expect("list");
    assert_eq!(theirs["Subscriptions"][0]["Endpoint"], queue);
    assert_eq!(theirs["Subscriptions"][0]["Owner"], "111122223333");
    assert_eq!(
        env.ok("ListSubscriptions", json!({}))["Subscriptions"],
        json!([])
    );
    let by_topic = env.ok("ListSubscriptionsByTopic", json!({"TopicArn": topic}));
    assert_eq!(by_topic["Subscriptions"].as_array().expect("subs").len(), 1);
}

#[test]
fn a_topic_made_again_has_no_deduplication_window() {
    let env = Env::new();
    let attrs = json!({"FifoTopic": "true", "ContentBasedDeduplication": "true"});
    let topic = env.topic("t.fifo", attrs.clone());
    let publish = || {
        env.ok(
            "Publish",
            json!({"TopicArn": topic, "Message": "m", "MessageGroupId": "g"}),
        )
    };
    let first = publish();
    env.ok("DeleteTopic", json!({"TopicArn": topic}));
    env.topic("t.fifo", attrs);
    assert_ne!(publish()["MessageId"], first["MessageId"]);
}

#[test]
fn cloudwatch_alarms_publish_to_their_own_accounts_topics_under_the_default_policy() {
    let env = Env::new();
    let topic = env.topic("pager", json!({}));
    let alarm = |account| crate::ServiceSender {
        service: "cloudwatch.amazonaws.com",
        source_arn: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:a",
        source_account: account,
    };
    let id = env
        .svc
        .publish_from_service(&env.clock, &alarm(ACCOUNT), &topic, "m", None, &Value::Null)
        .expect("the owner's alarm");
    assert_eq!(id.len(), 36);
    let e = env
        .svc
        .publish_from_service(
            &env.clock,
            &alarm("111122223333"),
            &topic,
            "m",
            None,
            &Value::Null,
        )
        .expect_err("another account's alarm");
    assert_eq!(e.code, "AuthorizationErrorException");
}
