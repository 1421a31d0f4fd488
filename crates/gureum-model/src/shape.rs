//! The structure of a botocore service model.

use indexmap::IndexMap;
use serde::Deserialize;
use std::collections::HashMap;

/// The hasher of the model's maps. Every request looks up its operation,
/// shapes and members by name, dozens of times; the names come from the
/// vendored model, so SipHash's defence against chosen keys buys nothing
/// here and costs ~5 % of a small request's instructions.
pub type ModelHasher = foldhash::fast::FixedState;

/// Structure members in declaration order.
pub type Members = IndexMap<String, MemberRef, ModelHasher>;

/// One AWS wire protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `query` (IAM, STS, SNS, ELB, RDS, …).
    Query,
    /// `ec2`: query with EC2's list and naming rules.
    Ec2,
    /// `json` with `jsonVersion` 1.0 (DynamoDB, SQS, CloudWatch).
    Json10,
    /// `json` with `jsonVersion` 1.1 (Logs, KMS, …).
    Json11,
    /// `rest-json` (Lambda, API Gateway, …).
    RestJson,
    /// `rest-xml` (S3, Route 53, CloudFront).
    RestXml,
    /// `smithy-rpc-v2-cbor` (CloudWatch, and newer services).
    RpcV2Cbor,
}

impl Protocol {
    /// The protocol named in a model's metadata (`jsonVersion` picks 1.0/1.1).
    pub fn from_model_name(name: &str, json_version: Option<&str>) -> Option<Self> {
        Some(match name {
            "query" => Protocol::Query,
            "ec2" => Protocol::Ec2,
            "json" => match json_version {
                Some("1.1") => Protocol::Json11,
                _ => Protocol::Json10,
            },
            "rest-json" => Protocol::RestJson,
            "rest-xml" => Protocol::RestXml,
            "smithy-rpc-v2-cbor" => Protocol::RpcV2Cbor,
            _ => return None,
        })
    }

    /// The name used in models and docs.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Query => "query",
            Protocol::Ec2 => "ec2",
            Protocol::Json10 => "json 1.0",
            Protocol::Json11 => "json 1.1",
            Protocol::RestJson => "rest-json",
            Protocol::RestXml => "rest-xml",
            Protocol::RpcV2Cbor => "smithy-rpc-v2-cbor",
        }
    }
}

/// A whole service model.
#[derive(Debug, Deserialize)]
pub struct ServiceModel {
    /// Service-wide settings.
    pub metadata: Metadata,
    /// Operations by name (`ListBuckets`).
    pub operations: IndexMap<String, OperationModel, ModelHasher>,
    /// Shapes by name.
    pub shapes: HashMap<String, Shape, ModelHasher>,
}

impl ServiceModel {
    /// Parses a model from its JSON text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let mut model: ServiceModel = serde_json::from_str(text)?;
        // The map key is the operation's AWS name (what SDKs, IAM actions
        // and error messages say); `name` may carry a wire suffix
        // (CloudFront's `CreateDistribution2020_05_31`), which no protocol
        // Gureum speaks reads, so the key replaces it.
        for (name, op) in model.operations.iter_mut() {
            if op.name != *name {
                op.name = name.clone();
            }
        }
        Ok(model)
    }

    /// A shape by name.
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// An operation by its AWS name.
    pub fn operation(&self, name: &str) -> Option<&OperationModel> {
        self.operations.get(name)
    }

    /// Every protocol the model says the service accepts, preferred first.
    pub fn protocols(&self) -> Vec<Protocol> {
        let jv = self.metadata.json_version.as_deref();
        let mut out: Vec<Protocol> = self
            .metadata
            .protocols
            .iter()
            .filter_map(|p| Protocol::from_model_name(p, jv))
            .collect();
        if out.is_empty() {
            out.extend(Protocol::from_model_name(&self.metadata.protocol, jv));
        }
        // A model listing `json` next to other protocols without a version
        // still means the service's own JSON version.
        out
    }

    /// The primary protocol.
    pub fn protocol(&self) -> Option<Protocol> {
        Protocol::from_model_name(
            &self.metadata.protocol,
            self.metadata.json_version.as_deref(),
        )
    }
}

/// A model's `metadata` block.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Metadata {
    /// `2006-03-01`.
    pub api_version: String,
    /// `s3`, the first label of the regional endpoint.
    pub endpoint_prefix: String,
    /// The SigV4 signing name, when it differs from `endpointPrefix`.
    pub signing_name: Option<String>,
    /// The primary protocol.
    pub protocol: String,
    /// Every protocol the service accepts.
    pub protocols: Vec<String>,
    /// `1.0` or `1.1` for json services.
    pub json_version: Option<String>,
    /// The `X-Amz-Target` prefix of json services.
    pub target_prefix: Option<String>,
    /// The XML namespace of query/rest-xml responses.
    pub xml_namespace: Option<String>,
    /// The full service name.
    pub service_full_name: String,
    /// The short service id (`S3`, `CloudWatch Logs`).
    pub service_id: String,
    /// Present when the service also answers query-style error codes.
    pub aws_query_compatible: Option<serde_json::Value>,
    /// The global endpoint, for global services.
    pub global_endpoint: Option<String>,
    /// Smithy service name for rpc-v2-cbor.
    pub target_prefix_cbor: Option<String>,
    /// botocore's UID.
    pub uid: Option<String>,
}

impl Metadata {
    /// The SigV4 scope service name.
    pub fn signing_name(&self) -> &str {
        self.signing_name
            .as_deref()
            .unwrap_or(&self.endpoint_prefix)
    }
}

/// An operation's HTTP binding.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Http {
    /// `GET`, `PUT`, …
    #[serde(default = "default_method")]
    pub method: String,
    /// The URI template, e.g. `/{Bucket}/{Key+}?uploads`.
    #[serde(default = "default_uri")]
    pub request_uri: String,
    /// The success status, 200 unless the model says otherwise.
    pub response_code: Option<u16>,
}

fn default_method() -> String {
    "POST".into()
}
fn default_uri() -> String {
    "/".into()
}

impl Default for Http {
    fn default() -> Self {
        Http {
            method: default_method(),
            request_uri: default_uri(),
            response_code: None,
        }
    }
}

/// One operation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationModel {
    /// The AWS name (`ListBuckets`).
    #[serde(default)]
    pub name: String,
    /// The HTTP binding (rest protocols).
    #[serde(default)]
    pub http: Http,
    /// The input shape.
    pub input: Option<MemberRef>,
    /// The output shape.
    pub output: Option<MemberRef>,
    /// The error shapes the operation declares.
    #[serde(default)]
    pub errors: Vec<MemberRef>,
    /// `{"hostPrefix": "data-"}` and similar.
    pub endpoint: Option<serde_json::Value>,
    /// Whether the operation is deprecated.
    #[serde(default)]
    pub deprecated: bool,
    /// Whether a checksum header is required.
    #[serde(default)]
    pub http_checksum_required: bool,
    /// botocore's `authtype` (`none` for unsigned operations).
    pub authtype: Option<String>,
}

/// An XML namespace declaration. Models write it as `{"prefix", "uri"}`;
/// some protocol test models as a bare URI string, which is accepted too.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "XmlNamespaceForm")]
pub struct XmlNamespace {
    /// Optional prefix (`xsi`).
    pub prefix: Option<String>,
    /// The namespace URI.
    pub uri: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum XmlNamespaceForm {
    Uri(String),
    Full { prefix: Option<String>, uri: String },
}

impl From<XmlNamespaceForm> for XmlNamespace {
    fn from(f: XmlNamespaceForm) -> Self {
        match f {
            XmlNamespaceForm::Uri(uri) => XmlNamespace { prefix: None, uri },
            XmlNamespaceForm::Full { prefix, uri } => XmlNamespace { prefix, uri },
        }
    }
}

/// A reference to a shape from an operation or a structure member, with the
/// traits that apply at that position.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MemberRef {
    /// The target shape's name.
    pub shape: String,
    /// `header`, `headers`, `querystring`, `uri` or `statusCode`.
    pub location: Option<String>,
    /// The wire name (header name, XML element, query key, JSON key).
    pub location_name: Option<String>,
    /// The ec2 protocol's explicit query name.
    pub query_name: Option<String>,
    /// Flattened list/map (query and XML).
    pub flattened: bool,
    /// XML attribute rather than element.
    pub xml_attribute: bool,
    /// XML namespace on this member.
    pub xml_namespace: Option<XmlNamespace>,
    /// Overrides the shape's timestamp format here.
    pub timestamp_format: Option<String>,
    /// A string carrying JSON (sent base64 in headers).
    pub jsonvalue: bool,
    /// Bound to a host label.
    pub host_label: bool,
    /// Filled by the client with a UUID when absent.
    pub idempotency_token: bool,
    /// The event-stream payload member.
    pub eventpayload: bool,
    /// Streaming blob member.
    pub streaming: bool,
    /// query: the `<OpResult>` wrapper element name.
    pub result_wrapper: Option<String>,
    /// Deprecated member.
    pub deprecated: bool,
}

/// botocore's `error` trait on an exception shape.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorTrait {
    /// The wire code, when it differs from the shape name (query services).
    pub code: Option<String>,
    /// The HTTP status.
    pub http_status_code: Option<u16>,
    /// `true` for client faults.
    pub sender_fault: bool,
}

/// A shape's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeType {
    /// A structure (or union, or error).
    Structure,
    /// A list.
    List,
    /// A map.
    Map,
    /// A string (maybe an enum).
    String,
    /// 32-bit integer.
    Integer,
    /// 64-bit integer.
    Long,
    /// 16-bit integer.
    Short,
    /// 8-bit integer.
    Byte,
    /// 32-bit float.
    Float,
    /// 64-bit float.
    Double,
    /// Arbitrary-precision decimal (rare).
    BigDecimal,
    /// Arbitrary-precision integer (rare).
    BigInteger,
    /// Boolean.
    Boolean,
    /// Bytes.
    Blob,
    /// A point in time.
    Timestamp,
}

/// One shape.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    /// The type.
    #[serde(rename = "type")]
    pub kind: ShapeType,
    /// Structure members in declaration order.
    #[serde(default)]
    pub members: Members,
    /// Required members.
    #[serde(default)]
    pub required: Vec<String>,
    /// The member bound to the HTTP payload (rest protocols).
    pub payload: Option<String>,
    /// List element.
    pub member: Option<Box<MemberRef>>,
    /// Map key.
    pub key: Option<Box<MemberRef>>,
    /// Map value.
    pub value: Option<Box<MemberRef>>,
    /// Flattened list/map.
    #[serde(default)]
    pub flattened: bool,
    /// Wire name of the shape (XML root / list element name).
    pub location_name: Option<String>,
    /// The shape's XML namespace.
    pub xml_namespace: Option<XmlNamespace>,
    /// Allowed values of a string enum.
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
    /// Minimum length / value.
    pub min: Option<f64>,
    /// Maximum length / value.
    pub max: Option<f64>,
    /// Regex the value must match (not enforced: AWS's patterns are Java regexes).
    pub pattern: Option<String>,
    /// `iso8601`, `rfc822` or `unixTimestamp`.
    pub timestamp_format: Option<String>,
    /// Whether this structure is an exception.
    #[serde(default)]
    pub exception: bool,
    /// Whether this exception is a server fault.
    #[serde(default)]
    pub fault: bool,
    /// The error trait.
    pub error: Option<ErrorTrait>,
    /// A streaming blob.
    #[serde(default)]
    pub streaming: bool,
    /// A document (free-form JSON).
    #[serde(default)]
    pub document: bool,
    /// A union: exactly one member set.
    #[serde(default)]
    pub union: bool,
    /// An event stream.
    #[serde(default)]
    pub eventstream: bool,
    /// An event of an event stream.
    #[serde(default)]
    pub event: bool,
    /// Sensitive: never logged.
    #[serde(default)]
    pub sensitive: bool,
    /// A string carrying JSON.
    #[serde(default)]
    pub jsonvalue: bool,
}
