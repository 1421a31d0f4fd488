//! `ImageId: resolve:ssm:NAME[:VERSION|:LABEL]`: an image named by a
//! Systems Manager parameter (AWS's public ones such as
//! `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64`,
//! or the account's own holding an AMI id), resolved at launch through
//! the kit's `ParameterResolver` seam (SSM, wired by the server). The
//! instance's `ImageId` is the AMI id the parameter held.

use crate::common::network;
use crate::Ec2Service;
use gureum_core::{AwsError, RequestContext};

/// The prefix of an image id that names a parameter.
pub const PREFIX: &str = "resolve:ssm:";

impl Ec2Service {
    /// The AMI id `image_id` stands for: itself, or the value of the
    /// parameter a `resolve:ssm:` reference names. A reference that does
    /// not resolve answers `InvalidParameterValue` naming it.
    pub(crate) fn resolve_image_id(
        &self,
        ctx: &RequestContext,
        image_id: &str,
    ) -> Result<String, AwsError> {
        let Some(reference) = image_id.strip_prefix(PREFIX) else {
            return Ok(image_id.to_string());
        };
        let unresolved = |why: &str| {
            network::invalid_value(format!(
                "Invalid value '{image_id}' for parameter ImageId. The Systems Manager parameter '{reference}' could not be resolved{why}."
            ))
        };
        if reference.is_empty() {
            return Err(unresolved(""));
        }
        match self.seams.parameters.resolve(ctx, reference) {
            Ok(value) if !value.is_empty() => Ok(value),
            Ok(_) => Err(unresolved(": it has no value")),
            // SSM's own answer (`ParameterNotFound`,
            // `ParameterVersionNotFound`) explains which part is missing.
            Err(e) if e.status < 500 => Err(unresolved(&format!(": {}", e.code))),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use gureum_core::{AwsError, Clock, RequestContext};
    use gureum_kit::parameters::ParameterResolver;
    use serde_json::json;
    use std::sync::Arc;

    /// One parameter, `/golden` = the first catalogue image, version 1.
    struct One(String);

    impl ParameterResolver for One {
        fn resolve(&self, _ctx: &RequestContext, reference: &str) -> Result<String, AwsError> {
            match reference {
                "/golden" | "/golden:1" => Ok(self.0.clone()),
                "/golden:2" => Err(AwsError::new("ParameterVersionNotFound", 400, "")),
                _ => Err(AwsError::new("ParameterNotFound", 400, "")),
            }
        }
    }

    fn ami() -> String {
        crate::common::catalog_images::catalogue_images("us-east-1")
            .into_iter()
            .find(|i| i["Architecture"] == "x86_64" && i.get("Platform").is_none())
            .and_then(|i| i["ImageId"].as_str().map(str::to_string))
            .expect("an x86_64 linux image")
    }

    fn run(image: &str) -> Result<serde_json::Value, AwsError> {
        let svc = crate::test_service().with_parameters(Arc::new(One(ami())));
        let ctx = RequestContext::root("000000000000", "us-east-1", Clock::system());
        svc.run_instances(
            &ctx,
            json!({"ImageId": image, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}),
        )
    }

    #[test]
    fn a_parameter_reference_launches_the_image_it_holds() {
        for reference in ["resolve:ssm:/golden", "resolve:ssm:/golden:1"] {
            let out = run(reference).expect("run");
            assert_eq!(out["Instances"][0]["ImageId"], json!(ami()), "{reference}");
        }
    }

    #[test]
    fn a_missing_parameter_or_version_is_an_invalid_image_id() {
        let e = run("resolve:ssm:/nope").expect_err("missing");
        assert_eq!(e.code, "InvalidParameterValue");
        assert_eq!(
            e.message,
            "Invalid value 'resolve:ssm:/nope' for parameter ImageId. The Systems Manager parameter '/nope' could not be resolved: ParameterNotFound."
        );
        let e = run("resolve:ssm:/golden:2").expect_err("missing version");
        assert!(
            e.message
                .ends_with("could not be resolved: ParameterVersionNotFound."),
            "{}",
            e.message
        );
        let e = run("resolve:ssm:").expect_err("empty");
        assert_eq!(e.code, "InvalidParameterValue");
    }
}
