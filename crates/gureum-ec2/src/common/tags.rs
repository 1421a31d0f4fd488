//! EC2 tags: one shared store keyed by resource id, used by every resource
//! family (`CreateTags`, `DeleteTags`, `DescribeTags`, and the
//! `TagSpecifications` of create operations).
//!
//! Table `ec2.tags`, key `{account}/{region}/{resource-id}`, value the
//! resource's tags. The resource type is read from the id's prefix.

use crate::common::errors::Ec2Error;
use crate::common::network::{invalid_value, key};
use gureum_core::{AwsError, RequestContext};
use gureum_store::{Store, Table, WriteTxn};
use std::collections::BTreeMap;

/// A resource's tags, by key.
pub type Tags = BTreeMap<String, String>;

/// The most tags one resource may carry.
pub const MAX_TAGS: usize = 50;

/// The tag table.
pub fn table(store: &Store) -> Table<Tags> {
    store.table("ec2.tags")
}

/// Refuses tag keys and values outside EC2's limits.
pub fn check_tag(k: &str, v: &str) -> Result<(), AwsError> {
    if k.is_empty() {
        return Err(invalid_value("Tag key must not be empty"));
    }
    if k.chars().count() > 127 {
        return Err(invalid_value(format!(
            "Tag key exceeds the maximum length of 127 characters: {k}"
        )));
    }
    if v.chars().count() > 255 {
        return Err(invalid_value(format!(
            "Tag value exceeds the maximum length of 255 characters: {v}"
        )));
    }
    if k.to_ascii_lowercase().starts_with("aws:") {
        return Err(invalid_value(format!(
            "Tag keys starting with 'aws:' are reserved for internal use: {k}"
        )));
    }
    Ok(())
}

/// A resource's tags (empty when none).
pub fn get(store: &Store, ctx: &RequestContext, id: &str) -> Result<Tags, AwsError> {
    Ok(table(store).get(&key(ctx, id))?.unwrap_or_default())
}

/// Sets a new resource's tags inside a write transaction.
pub fn put_in(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    id: &str,
    tags: &Tags,
) -> Result<(), AwsError> {
    if tags.len() > MAX_TAGS {
        return Err(AwsError::from(Ec2Error::TagLimitExceeded {
            message: format!("The maximum number of tags ({MAX_TAGS}) has been exceeded."),
        }));
    }
    if !tags.is_empty() {
        txn.put(&table(store), &key(ctx, id), tags)?;
    }
    Ok(())
}

/// Removes a deleted resource's tags inside a write transaction.
pub fn delete_in(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    id: &str,
) -> Result<(), AwsError> {
    txn.delete(&table(store), &key(ctx, id))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_tag_keys_are_refused() {
        assert!(check_tag("aws:cloudformation", "x").is_err());
        assert!(check_tag("", "x").is_err());
        assert!(check_tag("Name", "web").is_ok());
    }
}
