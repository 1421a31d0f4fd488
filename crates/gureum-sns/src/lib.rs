//! SNS (query; regional): standard and FIFO topics, subscriptions to SQS,
//! HTTP/HTTPS, email, email-json, SMS, Lambda, platform endpoints and
//! Firehose, `Publish`/`PublishBatch` with filter policies, signed
//! messages, topic policies and tags.
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `sns.topics`: `account/region/name` → [`Topic`];
//! - `sns.subscriptions`: `account/region/topic-name/id` (the topic's
//!   scope, so a topic's subscriptions are one key range) →
//!   [`Subscription`]; `id` is the last part of the subscription ARN;
//! - `sns.dedup`: `account/region/topic-name/dedup-id` → [`Dedup`] (FIFO's
//!   five-minute deduplication window);
//! - `sns.unsubscribed`: `account/region/topic-name/token` →
//!   [`Subscription`]: a deleted HTTP/S subscription the link of its
//!   `UnsubscribeConfirmation` restores;
//! - `sns.captured`: `time/id` → [`Captured`]: what went to email, SMS,
//!   Lambda, platform and Firehose endpoints, and deliveries that failed
//!   (`GET /_gureum/sns/messages` lists them);
//! - `sns.sms`: `account/region` → the account's SMS attributes;
//! - `sns.signing`: `key` → the signing key and certificate ([`signing`]).
//!
//! SQS subscriptions deliver through [`gureum_sqs::SqsService::deliver`],
//! which applies the queue policy as AWS does; HTTP/HTTPS subscriptions
//! get real POSTs from a background thread ([`http_delivery`]), so a
//! publish never waits on an endpoint.
//!
//! Layout: [`errors`] declares the errors; `arns.rs` reads and builds
//! ARNs and Gureum's SNS URLs; `topics.rs`, `policies.rs`, `subscriptions.rs`,
//! `publish.rs` and `sms.rs` hold the operations; `attributes.rs` message
//! attributes; `fanout.rs` delivery per protocol; `envelope.rs` the JSON
//! AWS delivers; [`signing`] the key, certificate and signatures;
//! [`filter`] filter policies; [`http_delivery`] the HTTP client.

pub mod errors;
pub mod filter;
pub mod functions;
pub mod http_delivery;
pub mod signing;

mod arns;
mod attributes;
mod envelope;
mod fanout;
mod policies;
mod publish;
mod sms;
mod subscriptions;
mod topics;

pub use errors::SnsError;
/// Who publishes on behalf of an AWS service (EventBridge rules,
/// CloudWatch alarms): the same type SQS takes from SNS.
pub use gureum_sqs::ServiceSender;

use gureum_core::{Authorization, AuthzTarget, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

/// A topic, as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Topic {
    /// The name (`orders`, `orders.fifo`).
    pub name: String,
    /// Whether it is a FIFO topic.
    pub fifo: bool,
    /// The settable attributes that were set (`DisplayName`, `Policy`, …);
    /// `Policy` always holds a value (the default one at creation).
    pub attributes: BTreeMap<String, String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// How many subscriptions were deleted (`SubscriptionsDeleted`).
    #[serde(default)]
    pub deleted_subscriptions: u64,
    /// FIFO: the last sequence number handed out.
    #[serde(default)]
    pub sequence: u64,
}

/// A subscription, as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Subscription {
    /// Its ARN (`TOPIC-ARN:UUID`), also while pending confirmation.
    pub arn: String,
    /// The topic's ARN.
    pub topic_arn: String,
    /// The subscribing account.
    pub owner: String,
    /// `sqs`, `http`, `https`, `email`, `email-json`, `sms`, `lambda`,
    /// `application`, `firehose`.
    pub protocol: String,
    /// The endpoint (queue ARN, URL, address, number, function ARN).
    pub endpoint: String,
    /// Settable attributes that were set (`RawMessageDelivery`,
    /// `FilterPolicy`, `FilterPolicyScope`, `RedrivePolicy`, …).
    pub attributes: BTreeMap<String, String>,
    /// Whether it was confirmed (SQS, Lambda, SMS… at once).
    pub confirmed: bool,
    /// The confirmation token, while pending.
    #[serde(default)]
    pub token: Option<String>,
    /// Whether unsubscribing needs a signed request
    /// (`AuthenticateOnUnsubscribe` at confirmation).
    #[serde(default)]
    pub authenticated: bool,
    /// When it was made, epoch milliseconds: a subscription still pending
    /// three days later is gone, as on AWS (0: made before this was kept).
    #[serde(default)]
    pub created_ms: i64,
}

impl Subscription {
    /// How long a subscription may wait for its confirmation.
    pub const PENDING_LIFETIME_MS: i64 = 3 * 24 * 3600 * 1000;

    /// Whether it was never confirmed and its three days are over at `now_ms`.
    pub fn expired(&self, now_ms: i64) -> bool {
        !self.confirmed
            && self.created_ms > 0
            && now_ms - self.created_ms > Self::PENDING_LIFETIME_MS
    }
}

/// A FIFO deduplication record: a second publish with the id inside the
/// window answers the first publish's ids and delivers nothing.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dedup {
    /// The first publish's message id.
    pub message_id: String,
    /// Its sequence number.
    pub sequence: String,
    /// When the window closes, epoch milliseconds.
    pub expires_ms: i64,
}

/// A delivery kept for inspection: an email, an SMS, an invocation Gureum
/// cannot make yet, or a delivery that failed.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Captured {
    /// The topic's account.
    pub account: String,
    /// The region.
    pub region: String,
    /// The protocol (`email`, `sms`, `lambda`, `sqs`, `http`…).
    pub protocol: String,
    /// Where it went (address, phone number, ARN, URL).
    pub endpoint: String,
    /// The topic (empty for an SMS published to a phone number).
    pub topic_arn: String,
    /// The subscription (empty for a direct SMS).
    pub subscription_arn: String,
    /// The SNS message id.
    pub message_id: String,
    /// The subject, if any.
    pub subject: Option<String>,
    /// What the endpoint gets (the text, or the JSON envelope).
    pub message: String,
    /// `delivered`, or why it was not (`failed: …`).
    pub status: String,
    /// When, epoch milliseconds.
    pub time_ms: i64,
}

/// The SNS service.
pub struct SnsService {
    store: Store,
    topics: Table<Topic>,
    /// Decoded topic records: every publish reads its topic's.
    topic_memo: gureum_store::Memo<Topic>,
    subscriptions: Table<Subscription>,
    dedup: Table<Dedup>,
    unsubscribed: Table<Subscription>,
    captured: Table<Captured>,
    sms: Table<BTreeMap<String, String>>,
    sqs: Option<Arc<gureum_sqs::SqsService>>,
    /// Lambda, for `lambda` subscriptions (set once the server built it).
    functions: std::sync::OnceLock<Arc<dyn functions::Functions>>,
    signer: signing::Signer,
    http: http_delivery::Dispatcher,
    filters: filter::Cache,
    /// Gureum's port, for the URLs SNS writes into messages (learnt from
    /// requests' `Host`, or set by the server at start).
    port: AtomicU16,
}

impl SnsService {
    /// The service over `store`, with no SQS to deliver to (SQS
    /// subscriptions then fail as a missing queue does).
    pub fn new(store: Store) -> Self {
        SnsService {
            topics: store.table("sns.topics"),
            topic_memo: gureum_store::Memo::default(),
            subscriptions: store.table("sns.subscriptions"),
            dedup: store.table("sns.dedup"),
            unsubscribed: store.table("sns.unsubscribed"),
            captured: store.table("sns.captured"),
            sms: store.table("sns.sms"),
            sqs: None,
            functions: std::sync::OnceLock::new(),
            signer: signing::Signer::new(store.table("sns.signing")),
            http: http_delivery::Dispatcher::new(store.table("sns.captured")),
            filters: filter::Cache::default(),
            port: AtomicU16::new(0),
            store,
        }
    }

    /// The service delivering SQS subscriptions through `sqs`.
    pub fn with_sqs(store: Store, sqs: Arc<gureum_sqs::SqsService>) -> Self {
        SnsService {
            sqs: Some(sqs),
            ..SnsService::new(store)
        }
    }

    /// Hands the service the Lambda it invokes for `lambda`
    /// subscriptions (Lambda is built after SNS; until then, and without
    /// it, those deliveries are recorded as failed).
    pub fn set_functions(&self, functions: Arc<dyn functions::Functions>) {
        let _ = self.functions.set(functions);
    }

    /// Tells the service Gureum's port (for the signing certificate,
    /// subscribe and unsubscribe URLs it writes into messages).
    pub fn set_port(&self, port: u16) {
        self.port.store(port, Ordering::Relaxed);
    }

    /// The port of Gureum's endpoint: the request's, else the one set.
    fn port_for(&self, ctx: &RequestContext) -> u16 {
        let from_host = ctx
            .host
            .as_deref()
            .and_then(|h| h.rsplit_once(':'))
            .and_then(|(_, p)| p.parse::<u16>().ok());
        match from_host {
            Some(p) => {
                if self.port.load(Ordering::Relaxed) == 0 {
                    self.port.store(p, Ordering::Relaxed);
                }
                p
            }
            None => self.port.load(Ordering::Relaxed),
        }
    }

    /// Forgets the cached signing key (read from the store again).
    fn reset_state(&self) {
        self.signer.forget();
    }

    /// Topic operations act on the topic's ARN; subscription operations on
    /// their topic's; listing and SMS on `*`.
    fn authorization(&self, ctx: &RequestContext, operation: &str, input: &Value) -> Authorization {
        let action = format!("sns:{operation}");
        let resource = match operation {
            "CreateTopic" => input["Name"]
                .as_str()
                .map(|n| arns::topic_arn(&ctx.region, &ctx.account_id, n))
                .unwrap_or_else(|| "*".into()),
            "TagResource" | "UntagResource" | "ListTagsForResource" => {
                input["ResourceArn"].as_str().unwrap_or("*").to_string()
            }
            "Publish" => input["TopicArn"]
                .as_str()
                .or(input["TargetArn"].as_str())
                .unwrap_or("*")
                .to_string(),
            "Unsubscribe" | "GetSubscriptionAttributes" | "SetSubscriptionAttributes" => input
                ["SubscriptionArn"]
                .as_str()
                .and_then(arns::topic_of_subscription)
                .unwrap_or_else(|| "*".into()),
            _ => input["TopicArn"].as_str().unwrap_or("*").to_string(),
        };
        Authorization::Targets(vec![AuthzTarget::new(action, resource)])
    }

    /// What was captured (emails, SMS, Lambda and failed deliveries), oldest
    /// first: `GET /_gureum/sns/messages`.
    pub fn captured(&self) -> Result<Vec<Captured>, gureum_core::AwsError> {
        Ok(self
            .captured
            .scan_prefix("")?
            .into_iter()
            .map(|(_, c)| c)
            .collect())
    }

    /// The signing certificate (PEM) served at `SigningCertURL`, when
    /// `name` is its file name (`SimpleNotificationService-ID.pem`).
    pub fn certificate_pem(&self, name: &str) -> Option<String> {
        let keys = self.signer.existing().ok()??;
        (name == keys.file_name()).then(|| keys.cert_pem.clone())
    }

    /// `CreateTopic`.
    fn create_topic(&self, ctx: &RequestContext, input: Value) -> OpResult {
        topics::create(self, ctx, &input)
    }

    /// `DeleteTopic`.
    fn delete_topic(&self, ctx: &RequestContext, input: Value) -> OpResult {
        topics::delete(self, ctx, &input)
    }

    /// `ListTopics`.
    fn list_topics(&self, ctx: &RequestContext, input: Value) -> OpResult {
        topics::list(self, ctx, &input)
    }

    /// `GetTopicAttributes`.
    fn get_topic_attributes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        topics::get_attributes(self, ctx, &input)
    }

    /// `SetTopicAttributes`.
    fn set_topic_attributes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        topics::set_attributes(self, ctx, &input)
    }

    /// `TagResource`.
    fn tag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        topics::tag(self, ctx, &input)
    }

    /// `UntagResource`.
    fn untag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        topics::untag(self, ctx, &input)
    }

    /// `ListTagsForResource`.
    fn list_tags_for_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        topics::list_tags(self, ctx, &input)
    }

    /// `AddPermission`.
    fn add_permission(&self, ctx: &RequestContext, input: Value) -> OpResult {
        policies::add_permission(self, ctx, &input)
    }

    /// `RemovePermission`.
    fn remove_permission(&self, ctx: &RequestContext, input: Value) -> OpResult {
        policies::remove_permission(self, ctx, &input)
    }

    /// `GetDataProtectionPolicy`.
    fn get_data_protection_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        topics::get_data_protection(self, ctx, &input)
    }

    /// `PutDataProtectionPolicy`.
    fn put_data_protection_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        topics::put_data_protection(self, ctx, &input)
    }

    /// `Subscribe`.
    fn subscribe(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subscriptions::subscribe(self, ctx, &input)
    }

    /// `ConfirmSubscription`.
    fn confirm_subscription(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subscriptions::confirm(self, ctx, &input)
    }

    /// `Unsubscribe`.
    fn unsubscribe(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subscriptions::unsubscribe(self, ctx, &input)
    }

    /// `ListSubscriptions`.
    fn list_subscriptions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subscriptions::list(self, ctx, &input)
    }

    /// `ListSubscriptionsByTopic`.
    fn list_subscriptions_by_topic(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subscriptions::list_by_topic(self, ctx, &input)
    }

    /// `GetSubscriptionAttributes`.
    fn get_subscription_attributes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subscriptions::get_attributes(self, ctx, &input)
    }

    /// `SetSubscriptionAttributes`.
    fn set_subscription_attributes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subscriptions::set_attributes(self, ctx, &input)
    }

    /// `Publish`.
    fn publish(&self, ctx: &RequestContext, input: Value) -> OpResult {
        publish::publish(self, ctx, &input)
    }

    /// `PublishBatch`.
    fn publish_batch(&self, ctx: &RequestContext, input: Value) -> OpResult {
        publish::publish_batch(self, ctx, &input)
    }

    /// `GetSMSAttributes`.
    fn get_sms_attributes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        sms::get_attributes(self, ctx, &input)
    }

    /// `SetSMSAttributes`.
    fn set_sms_attributes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        sms::set_attributes(self, ctx, &input)
    }

    /// `CheckIfPhoneNumberIsOptedOut`.
    fn check_if_phone_number_is_opted_out(&self, ctx: &RequestContext, input: Value) -> OpResult {
        sms::check_opted_out(self, ctx, &input)
    }

    /// `ListPhoneNumbersOptedOut`.
    fn list_phone_numbers_opted_out(&self, ctx: &RequestContext, input: Value) -> OpResult {
        sms::list_opted_out(self, ctx, &input)
    }

    /// `OptInPhoneNumber`.
    fn opt_in_phone_number(&self, ctx: &RequestContext, input: Value) -> OpResult {
        sms::opt_in(self, ctx, &input)
    }
}

gureum_core::service_operations! {
    SnsService, "sns",
    reset = reset_state,
    authorization = authorization,
    "CreateTopic" => create_topic,
    "DeleteTopic" => delete_topic,
    "ListTopics" => list_topics,
    "GetTopicAttributes" => get_topic_attributes,
    "SetTopicAttributes" => set_topic_attributes,
    "TagResource" => tag_resource,
    "UntagResource" => untag_resource,
    "ListTagsForResource" => list_tags_for_resource,
    "AddPermission" => add_permission,
    "RemovePermission" => remove_permission,
    "GetDataProtectionPolicy" => get_data_protection_policy,
    "PutDataProtectionPolicy" => put_data_protection_policy,
    "Subscribe" => subscribe,
    "ConfirmSubscription" => confirm_subscription,
    "Unsubscribe" => unsubscribe,
    "ListSubscriptions" => list_subscriptions,
    "ListSubscriptionsByTopic" => list_subscriptions_by_topic,
    "GetSubscriptionAttributes" => get_subscription_attributes,
    "SetSubscriptionAttributes" => set_subscription_attributes,
    "Publish" => publish,
    "PublishBatch" => publish_batch,
    "GetSMSAttributes" => get_sms_attributes,
    "SetSMSAttributes" => set_sms_attributes,
    "CheckIfPhoneNumberIsOptedOut" => check_if_phone_number_is_opted_out,
    "ListPhoneNumbersOptedOut" => list_phone_numbers_opted_out,
    "OptInPhoneNumber" => opt_in_phone_number,
}

#[cfg(test)]
mod tests;
