//! `CreateTags`, `DeleteTags`, `DescribeTags` over every resource type:
//! an id's type, existence and NotFound error come from
//! [`crate::resources::RESOURCES`]; the tag records themselves are
//! [`crate::common::tags`]'s.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, strings};
use crate::{common::filter, Ec2Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

use crate::common::tags::{check_tag, table, MAX_TAGS};
use crate::resources::RESOURCES;

fn input_tags(input: &Value) -> Vec<(String, Option<String>)> {
    input
        .get("Tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            (
                network::str_member(t, "Key")
                    .unwrap_or_default()
                    .to_string(),
                network::str_member(t, "Value").map(str::to_string),
            )
        })
        .collect()
}

fn resources(input: &Value) -> Result<Vec<String>, AwsError> {
    let ids = strings(input, "Resources");
    if ids.is_empty() {
        return Err(network::missing("ResourceId"));
    }
    for id in &ids {
        if RESOURCES.type_of(id).is_none() {
            return Err(AwsError::from(Ec2Error::InvalidId { id: id.to_string() }));
        }
    }
    Ok(ids)
}

impl Ec2Service {
    /// `CreateTags`: adds or overwrites tags on resources.
    pub(crate) fn create_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let ids = resources(&input)?;
        let tags = input_tags(&input);
        for (k, v) in &tags {
            check_tag(k, v.as_deref().unwrap_or_default())?;
        }
        let table = table(&self.store);
        self.store.write(|txn| {
            for id in &ids {
                // `resources` refused ids of no declared type.
                if let Some(t) = RESOURCES.type_of(id) {
                    if let Some(exists) = t.exists {
                        if !exists(txn, self, ctx, id)? {
                            return Err((t.not_found)(id));
                        }
                    }
                }
                let k = key(ctx, id);
                let mut have = txn.get(&table, &k)?.unwrap_or_default();
                for (tk, tv) in &tags {
                    have.insert(tk.clone(), tv.clone().unwrap_or_default());
                }
                if have.len() > MAX_TAGS {
                    return Err(AwsError::from(Ec2Error::TagLimitExceeded {
                        message: format!(
                            "The maximum number of tags ({MAX_TAGS}) has been exceeded."
                        ),
                    }));
                }
                txn.put(&table, &k, &have)?;
            }
            Ok::<_, AwsError>(())
        })?;
        crate::compute::instances::tags_changed(self, ctx, &ids);
        Ok(json!({}))
    }

    /// `DeleteTags`: removes tags (all of them when no `Tags` are given; a
    /// tag with a value only when the value matches).
    pub(crate) fn delete_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let ids = resources(&input)?;
        let tags = input_tags(&input);
        let all = input.get("Tags").is_none();
        let table = table(&self.store);
        self.store.write(|txn| {
            for id in &ids {
                let k = key(ctx, id);
                let mut have = txn.get(&table, &k)?.unwrap_or_default();
                if all {
                    have.clear();
                }
                for (tk, tv) in &tags {
                    if tv.as_ref().is_none_or(|v| have.get(tk) == Some(v)) {
                        have.remove(tk);
                    }
                }
                if have.is_empty() {
                    txn.delete(&table, &k)?;
                } else {
                    txn.put(&table, &k, &have)?;
                }
            }
            Ok::<_, AwsError>(())
        })?;
        crate::compute::instances::tags_changed(self, ctx, &ids);
        Ok(json!({}))
    }

    /// `DescribeTags`: filters `resource-id`, `resource-type`, `key`,
    /// `value`, paginated.
    pub(crate) fn describe_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let filters = filter::parse(&input);
        filter::check_names(&filters, &["resource-id", "resource-type", "key", "value"])?;
        let base = prefix(ctx);
        let mut items = Vec::new();
        for (k, tags) in table(&self.store).scan_prefix(&base)? {
            let id = &k[base.len()..];
            let rt = RESOURCES.type_of(id).map(|t| t.name).unwrap_or_default();
            for (tk, tv) in tags {
                let keep = filter::matches(&filters, |f| match f {
                    "resource-id" => vec![id],
                    "resource-type" => vec![rt],
                    "key" => vec![tk.as_str()],
                    "value" => vec![tv.as_str()],
                    _ => vec![],
                });
                if keep {
                    // Token: resource id and key, joined by a tab (ids and
                    // keys never hold one… keys may, but sort the same way).
                    items.push((
                        format!("{id}\t{tk}"),
                        json!({"ResourceId": id, "ResourceType": rt, "Key": tk, "Value": tv}),
                    ));
                }
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "Tags": page }), next))
    }
}
