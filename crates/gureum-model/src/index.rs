//! A small index of every vendored model's routing metadata
//! (`models/index.json`, written by `scripts/vendor-models.py`), read at
//! start-up so that routing needs no full model.

use crate::Protocol;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Routing metadata of one service model.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceIndexEntry {
    /// Model name (`s3`); filled from the index key.
    #[serde(default)]
    pub name: String,
    /// SigV4 scope service name.
    pub signing_name: String,
    /// First label of the AWS endpoint host.
    pub endpoint_prefix: String,
    /// API version (`Version=` of query requests).
    pub api_version: String,
    /// Protocol names as the model lists them.
    pub protocols: Vec<String>,
    /// `1.0`/`1.1` for json.
    pub json_version: Option<String>,
    /// `X-Amz-Target` prefix (json) and Smithy service name (rpc-v2-cbor).
    pub target_prefix: Option<String>,
    /// botocore's service id.
    pub service_id: Option<String>,
    /// Whether the service is global (IAM).
    #[serde(default)]
    pub global: bool,
}

impl ServiceIndexEntry {
    /// The protocols this service accepts, preferred first.
    pub fn protocols(&self) -> Vec<Protocol> {
        self.protocols
            .iter()
            .filter_map(|p| Protocol::from_model_name(p, self.json_version.as_deref()))
            .collect()
    }
}

/// Every vendored service's routing metadata, sorted by model name.
pub fn index() -> &'static [ServiceIndexEntry] {
    static INDEX: OnceLock<Vec<ServiceIndexEntry>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../models/index.json"
        ));
        let map: BTreeMap<String, ServiceIndexEntry> =
            serde_json::from_str(text).unwrap_or_default();
        map.into_iter()
            .map(|(name, mut e)| {
                e.name = name;
                e
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_agrees_with_the_models() {
        let idx = index();
        assert_eq!(idx.len(), crate::services().count());
        for e in idx {
            let m = crate::load(&e.name).expect("vendored");
            assert_eq!(m.metadata.signing_name(), e.signing_name, "{}", e.name);
            assert_eq!(m.metadata.target_prefix, e.target_prefix, "{}", e.name);
            assert_eq!(m.protocols(), e.protocols(), "{}", e.name);
        }
    }
}
