//! `RunInstances` with `LaunchTemplate`: the template version's data
//! (`LaunchTemplateData`, whose members are named as `RunInstances`' are)
//! fills in every top-level parameter the request leaves out; a parameter
//! the request gives replaces the template's whole member, as AWS
//! documents. `TagSpecifications` are the exception: the template's come
//! first and the request's add to (or override the keys of) them.

use crate::common::network::str_member;
use crate::compute::launch_templates::resolve_launch_template_version;
use crate::Ec2Service;
use gureum_core::{AwsError, RequestContext, Value};

/// The request with the template applied, and the template's id and
/// resolved version (`None` without `LaunchTemplate`). Errors are the
/// resolver's: `InvalidLaunchTemplateId.NotFound`,
/// `InvalidLaunchTemplateName.NotFoundException`,
/// `InvalidLaunchTemplateId.VersionNotFound`, …
pub(super) fn apply(
    svc: &Ec2Service,
    ctx: &RequestContext,
    mut input: Value,
) -> Result<(Value, Option<(String, i64)>), AwsError> {
    let Some(spec) = input.get("LaunchTemplate").cloned() else {
        return Ok((input, None));
    };
    let (id, version, data) = resolve_launch_template_version(
        &svc.store,
        ctx,
        str_member(&spec, "LaunchTemplateId"),
        str_member(&spec, "LaunchTemplateName"),
        str_member(&spec, "Version"),
    )?;
    merge(&mut input, &data);
    Ok((input, Some((id, version))))
}

/// Fills `input`'s missing members from `data`; concatenates
/// `TagSpecifications` (template first).
fn merge(input: &mut Value, data: &Value) {
    let (Some(req), Some(tpl)) = (input.as_object_mut(), data.as_object()) else {
        return;
    };
    for (k, v) in tpl {
        if k == "TagSpecifications" {
            let mut specs = v.as_array().cloned().unwrap_or_default();
            if let Some(mine) = req.get(k).and_then(Value::as_array) {
                specs.extend(mine.iter().cloned());
            }
            req.insert(k.clone(), Value::Array(specs));
        } else if !req.contains_key(k) {
            req.insert(k.clone(), v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::merge;
    use serde_json::json;

    #[test]
    fn request_members_win_and_tags_concatenate() {
        let mut input = json!({"InstanceType": "t3.small", "MinCount": 1,
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "req"}]}]});
        let data = json!({"InstanceType": "t3.micro", "ImageId": "ami-12345678",
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "tpl"}]}]});
        merge(&mut input, &data);
        assert_eq!(input["InstanceType"], "t3.small");
        assert_eq!(input["ImageId"], "ami-12345678");
        let specs = input["TagSpecifications"].as_array().expect("specs");
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[1]["Tags"][0]["Value"], "req");
    }
}
