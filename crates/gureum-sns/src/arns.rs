//! Topic and subscription ARNs, the store keys they map to, and the URLs
//! SNS writes into messages (on Gureum's own port).

use gureum_core::Scope;

/// `arn:aws:sns:REGION:ACCOUNT:NAME`.
pub fn topic_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:sns:{region}:{account}:{name}")
}

/// A topic ARN's region, account and name.
pub fn parse_topic(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:sns:")?;
    let mut parts = rest.splitn(3, ':');
    let (region, account, name) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = !region.is_empty() && account.len() == 12 && !name.is_empty() && !name.contains(':');
    ok.then_some((region, account, name))
}

/// A subscription ARN's region, account, topic name and id.
pub fn parse_subscription(arn: &str) -> Option<(&str, &str, &str, &str)> {
    let (topic, id) = arn.rsplit_once(':')?;
    let (region, account, name) = parse_topic(topic)?;
    (!id.is_empty()).then_some((region, account, name, id))
}

/// The topic ARN of a subscription ARN.
pub fn topic_of_subscription(arn: &str) -> Option<String> {
    parse_subscription(arn).map(|(r, a, n, _)| topic_arn(r, a, n))
}

/// The key of topic `name` of `account` in `region`.
pub fn topic_key(region: &str, account: &str, name: &str) -> String {
    Scope::Region { account, region }.key(name)
}

/// The key of subscription `id` of topic `name`.
pub fn subscription_key(region: &str, account: &str, name: &str, id: &str) -> String {
    format!("{}/{id}", topic_key(region, account, name))
}

/// Gureum's SNS endpoint for `region`, in AWS's host form on Gureum's port.
pub fn endpoint(region: &str, port: u16) -> String {
    if port == 0 {
        format!("http://sns.{region}.localhost")
    } else {
        format!("http://sns.{region}.localhost:{port}")
    }
}

/// The `SubscribeURL` of a pending subscription: a GET confirms it.
pub fn subscribe_url(region: &str, port: u16, topic_arn: &str, token: &str) -> String {
    format!(
        "{}/?Action=ConfirmSubscription&TopicArn={topic_arn}&Token={token}",
        endpoint(region, port)
    )
}

/// The `UnsubscribeURL` of a subscription: a GET unsubscribes.
pub fn unsubscribe_url(region: &str, port: u16, subscription_arn: &str) -> String {
    format!(
        "{}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
        endpoint(region, port)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_and_subscription_arns_round_trip() {
        let t = topic_arn("us-east-1", "123456789012", "t.fifo");
        assert_eq!(
            parse_topic(&t),
            Some(("us-east-1", "123456789012", "t.fifo"))
        );
        let s = format!("{t}:abc");
        assert_eq!(
            parse_subscription(&s),
            Some(("us-east-1", "123456789012", "t.fifo", "abc"))
        );
        assert_eq!(topic_of_subscription(&s), Some(t));
    }

    #[test]
    fn malformed_arns_name_nothing() {
        assert_eq!(parse_topic("arn:aws:sqs:us-east-1:123456789012:q"), None);
        assert_eq!(parse_topic("arn:aws:sns:us-east-1:12:q"), None);
        assert_eq!(parse_topic("nope"), None);
        assert_eq!(
            parse_subscription("arn:aws:sns:us-east-1:123456789012:t"),
            None
        );
    }
}
