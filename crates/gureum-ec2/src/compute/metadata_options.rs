//! `ModifyInstanceMetadataOptions`: the instance metadata service's options
//! of a running or stopped instance (IMDSv2 required or optional, the PUT
//! response hop limit, the endpoint on or off), applied to the running
//! instance's metadata service through the host.

use super::instances::{checked_metadata_options, shown_metadata_options, with_instance};
use crate::common::network::{dry_run, required};
use crate::Ec2Service;
use gureum_core::{OpResult, RequestContext, Value};
use serde_json::json;

impl Ec2Service {
    /// `ModifyInstanceMetadataOptions`: answers the new options with
    /// `State` `pending` (AWS applies them asynchronously; the record
    /// shows them `applied`).
    pub(crate) fn modify_instance_metadata_options(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let id = required(&input, "InstanceId")?.to_string();
        super::instances::check_ids(std::slice::from_ref(&id))?;
        let mut given = input.as_object().cloned().unwrap_or_default();
        for member in ["InstanceId", "DryRun"] {
            given.remove(member);
        }
        let options = with_instance(self, ctx, &id, |_, i| {
            let options = checked_metadata_options(shown_metadata_options(i), &given)?;
            dry_run(&input)?;
            i.metadata_options = Some(options.clone());
            Ok(options)
        })?;
        self.host_refresh(ctx, &id);
        let mut shown = options;
        shown["State"] = json!("pending");
        Ok(json!({"InstanceId": id, "InstanceMetadataOptions": shown}))
    }
}
