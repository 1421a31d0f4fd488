//! IAM's write-time rules: which documents `validate` refuses, with which
//! `MalformedPolicyDocument` message, and that parsing never panics.

use gureum_policy::{validate, Policy, PolicyError, PolicyKind};

use PolicyKind::*;

const OK_IDENTITY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const OK_BUCKET: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Public Read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
const OK_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// (name, kind, document, expected message or None for accepted)
const CASES: &[(&str, PolicyKind, &str, Option<&str>)] = &[
    ("valid identity policy", Identity, OK_IDENTITY, None),
    ("valid bucket policy (Sid with spaces is fine in S3)", Resource, OK_BUCKET, None),
    ("valid trust policy", Trust, OK_TRUST, None),
    ("valid boundary", Boundary, OK_IDENTITY, None),
    ("valid session policy", Session, OK_IDENTITY, None),
    ("not JSON", Identity, "{", Some("Syntax errors in policy.")),
    ("empty text", Identity, "", Some("Syntax errors in policy.")),
    ("JSON array", Identity, "[]", Some("Syntax errors in policy.")),
    ("JSON string", Identity, r#""policy""#, Some("Syntax errors in policy.")),
    ("trailing garbage", Identity, r#"{"Statement":[]} x"#, Some("Syntax errors in policy.")),
    ("missing Statement", Identity, r#"{"Version":"2012-10-17"}"#, Some("Missing required field Statement")),
    ("empty Statement list", Identity, r#"{"Version":"2012-10-17","Statement":[]}"#, Some("Syntax errors in policy.")),
    ("Statement is a string", Identity, r#"{"Version":"2012-10-17","Statement":"all"}"#, Some("Syntax errors in policy.")),
    ("statement is a number", Identity, r#"{"Version":"2012-10-17","Statement":[1]}"#, Some("Syntax errors in policy.")),
    ("bad Version", Identity, r#"{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, Some("The policy must contain a valid version string")),
    ("numeric Version", Identity, r#"{"Version":2012,"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, Some("The policy must contain a valid version string")),
    ("unknown top-level key", Identity, r#"{"Version":"2012-10-17","Foo":1,"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, Some("Unknown field Foo")),
    ("unknown statement key", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Foo":"x"}]}"#, Some("Unknown field Foo")),
    ("element names are case-sensitive", Identity, r#"{"Version":"2012-10-17","Statement":[{"effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, Some("Unknown field effect")),
    ("missing Effect", Identity, r#"{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}"#, Some("Missing required field Effect")),
    ("Effect Permit", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}"#, Some("Syntax errors in policy.")),
    ("Effect lower case", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}"#, Some("Syntax errors in policy.")),
    ("no Action", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#, Some("Policy statement must contain actions.")),
    ("empty Action list", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#, Some("Policy statement must contain actions.")),
    ("Action and NotAction", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}]}"#, Some("Syntax errors in policy.")),
    ("Action is a number", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":5,"Resource":"*"}]}"#, Some("Syntax errors in policy.")),
    ("Action list with object", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[{}],"Resource":"*"}]}"#, Some("Syntax errors in policy.")),
    ("action without vendor", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}"#, Some("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")),
    ("action with empty vendor", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":":GetObject","Resource":"*"}]}"#, Some("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")),
    ("action with empty name", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:","Resource":"*"}]}"#, Some("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")),
    ("action vendor with space", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s 3:Get","Resource":"*"}]}"#, Some("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")),
    ("wildcard vendor is fine", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3*:Get*","Resource":"*"}]}"#, None),
    ("identity policy with Principal", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#, Some("Policy document should not specify a principal.")),
    ("identity policy with NotPrincipal", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}]}"#, Some("Policy document should not specify a principal.")),
    ("boundary with Principal", Boundary, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#, Some("Policy document should not specify a principal.")),
    ("session policy with Principal", Session, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#, Some("Policy document should not specify a principal.")),
    ("identity policy without Resource", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#, Some("Missing required field Resource")),
    ("identity policy with empty Resource list", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":[]}]}"#, Some("Missing required field Resource")),
    ("Resource and NotResource", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"arn:aws:s3:::x"}]}"#, Some("Syntax errors in policy.")),
    ("Resource not an ARN (2012)", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}"#, Some("Resource bucket must be in ARN format or \"*\".")),
    ("Resource not an ARN (legacy)", Identity, r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}"#, Some("The policy failed legacy parsing")),
    ("Resource is an object", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":{"a":1}}]}"#, Some("Syntax errors in policy.")),
    ("NotResource only is fine", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}]}"#, None),
    ("bucket policy without Principal", Resource, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#, Some("Missing required field Principal")),
    ("bucket policy without Resource", Resource, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*"}]}"#, Some("Missing required field Resource")),
    ("trust policy without Principal", Trust, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#, Some("Missing required field Principal")),
    ("trust policy with Resource", Trust, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Resource":"*"}]}"#, Some("Has prohibited field Resource")),
    ("Principal and NotPrincipal", Resource, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:*","Resource":"*"}]}"#, Some("Syntax errors in policy.")),
    ("Principal plain name", Resource, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:*","Resource":"*"}]}"#, Some("Invalid principal in policy: \"AWS\":\"bob\"")),
    ("Principal partial wildcard", Resource, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"s3:*","Resource":"*"}]}"#, Some("Invalid principal in policy: \"AWS\":\"arn:aws:iam::123456789012:user/*\"")),
    ("Principal string other than *", Resource, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"123456789012","Action":"s3:*","Resource":"*"}]}"#, Some("Invalid principal in policy: \"123456789012\"")),
    ("Principal unknown type", Resource, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Group":"x"},"Action":"s3:*","Resource":"*"}]}"#, Some("Invalid principal in policy: \"Group\"")),
    ("Principal empty map", Resource, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{},"Action":"s3:*","Resource":"*"}]}"#, Some("Syntax errors in policy.")),
    ("Principal list of ARNs is fine", Resource, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/R","arn:aws:sts::123456789012:assumed-role/R/s"]},"Action":"s3:*","Resource":"*"}]}"#, None),
    ("Principal number", Resource, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":123456789012},"Action":"s3:*","Resource":"*"}]}"#, Some("Syntax errors in policy.")),
    ("unknown condition operator", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}]}"#, Some("Invalid Condition type : StringEqualz")),
    ("NullIfExists is not an operator", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}]}"#, Some("Invalid Condition type : NullIfExists")),
    ("bad set operator", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"aws:TagKeys":"a"}}}]}"#, Some("Invalid Condition type : ForSomeValues:StringEquals")),
    ("condition key without vendor", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"username":"a"}}}]}"#, Some("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")),
    ("condition block is a list", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":[]}]}"#, Some("Syntax errors in policy.")),
    ("condition operator value is a string", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":"a"}}]}"#, Some("Syntax errors in policy.")),
    ("condition value is an object", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}]}"#, Some("Syntax errors in policy.")),
    ("condition value null", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":null}}}]}"#, Some("Syntax errors in policy.")),
    ("condition values may be numbers and booleans", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":[10,20.5]},"Bool":{"aws:SecureTransport":true}}}]}"#, None),
    ("every known operator accepted", Identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
        "StringEquals":{"a:b":"x"},"StringNotEquals":{"a:b":"x"},"StringEqualsIgnoreCase":{"a:b":"x"},"StringNotEqualsIgnoreCase":{"a:b":"x"},
        "StringLike":{"a:b":"x"},"StringNotLike":{"a:b":"x"},"NumericEquals":{"a:b":"1"},"NumericNotEquals":{"a:b":"1"},"NumericLessThan":{"a:b":"1"},
        "NumericLessThanEquals":{"a:b":"1"},"NumericGreaterThan":{"a:b":"1"},"NumericGreaterThanEquals":{"a:b":"1"},"DateEquals":{"a:b":"2020-01-01T00:00:00Z"},
        "DateNotEquals":{"a:b":"1"},"DateLessThan":{"a:b":"1"},"DateLessThanEquals":{"a:b":"1"},"DateGreaterThan":{"a:b":"1"},"DateGreaterThanEquals":{"a:b":"1"},
        "Bool":{"a:b":"true"},"BinaryEquals":{"a:b":"QQ=="},"IpAddress":{"a:b":"10.0.0.0/8"},"NotIpAddress":{"a:b":"::/0"},"ArnEquals":{"a:b":"arn:*"},
        "ArnLike":{"a:b":"arn:*"},"ArnNotEquals":{"a:b":"arn:*"},"ArnNotLike":{"a:b":"arn:*"},"Null":{"a:b":"true"},
        "ForAnyValue:StringLikeIfExists":{"a:b":"x"},"ForAllValues:ArnLikeIfExists":{"a:b":"arn:*"},"BoolIfExists":{"a:b":"true"}}}]}"#, None),
    ("duplicate Sid", Identity, r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#, Some("Statement IDs (SID) in a single policy must be unique.")),
    ("Sid with space in an IAM policy", Identity, r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read all","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, Some("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")),
    ("Sid is a number", Identity, r#"{"Version":"2012-10-17","Statement":[{"Sid":1,"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, Some("Syntax errors in policy.")),
    ("Id must be a string", Identity, r#"{"Version":"2012-10-17","Id":5,"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, Some("Syntax errors in policy.")),
    ("single statement object", Identity, r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}}"#, None),
    ("legacy version accepted", Identity, r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, None),
    ("no Version accepted", Identity, r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, None),
];

#[test]
fn validation_table() {
    assert!(CASES.len() >= 60, "only {} cases", CASES.len());
    let mut failures = Vec::new();
    for (name, kind, doc, expected) in CASES {
        let got = validate(doc, *kind).map(|_| ()).map_err(|e| e.message());
        let want = match expected {
            None => Ok(()),
            Some(m) => Err(m.to_string()),
        };
        if got != want {
            failures.push(format!("{name}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn parse_is_more_lenient_than_validate() {
    // Unknown keys and operators are kept (and never match) by parse.
    let doc = r#"{"Version":"2012-10-17","Foo":1,"Statement":[{"Effect":"Allow","Action":"GetObject","Principal":"*","Condition":{"Weird":{"k":"v"}}}]}"#;
    let p = Policy::parse(doc).expect("parse accepts");
    assert!(!p.statements[0].conditions[0].is_known_operator());
    assert!(validate(doc, PolicyKind::Identity).is_err());
    // What cannot be read is refused by both.
    assert_eq!(Policy::parse("{").err(), Some(PolicyError::Syntax));
    assert_eq!(
        Policy::parse(r#"{"Statement":[{"Effect":"Allow"}]}"#).err(),
        Some(PolicyError::MissingActions)
    );
}

#[test]
fn errors_carry_the_aws_code() {
    let e = validate("nope", PolicyKind::Identity).expect_err("refused");
    assert_eq!(e.code(), "MalformedPolicyDocument");
    assert_eq!(e.message(), "Syntax errors in policy.");
}

/// A tiny xorshift generator: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    OK_IDENTITY,
    OK_BUCKET,
    OK_TRUST,
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["a*","b?"]},"NumericLessThan":{"s3:max-keys":[1,2.5]},"Bool":{"aws:SecureTransport":false},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}]}"#,
    r#"{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":["123456789012","arn:aws:iam::123456789012:root"],"Service":"ec2.amazonaws.com"},"Action":"*"}}"#,
];

/// Random, truncated and mutated documents never make parse, validate or
/// evaluate panic.
#[test]
fn fuzz_parse_never_panics() {
    use gureum_policy::{evaluate, PolicySet, Request, RequestPrincipal};
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let alphabet: &[u8] = br#"{}[]":,*?$ 0123456789abcAWSEffectAllowDenyActionResourcePrincipalStatementCondition\u00e9/-."#;
    let mut req = Request::new(
        RequestPrincipal::user("arn:aws:iam::123456789012:user/alice", "123456789012"),
        "s3:GetObject",
        "arn:aws:s3:::b/alice/x",
    );
    req.context.set("aws:username", "alice");
    req.context.set("aws:SourceIp", "10.1.1.1");
    let mut parsed = 0;
    for round in 0..20_000 {
        let seed = SEEDS[rng.below(SEEDS.len())].as_bytes();
        let mut doc: Vec<u8> = match round % 4 {
            // Truncation at every kind of position.
            0 => seed[..rng.below(seed.len() + 1)].to_vec(),
            // Byte mutations.
            1 => {
                let mut d = seed.to_vec();
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(d.len());
                    d[i] = alphabet[rng.below(alphabet.len())];
                }
                d
            }
            // Splices of two seeds.
            2 => {
                let other = SEEDS[rng.below(SEEDS.len())].as_bytes();
                let a = rng.below(seed.len() + 1);
                let b = rng.below(other.len() + 1);
                [&seed[..a], &other[b..]].concat()
            }
            // Pure noise.
            _ => (0..rng.below(64))
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect(),
        };
        if round % 7 == 0 {
            doc.push(0xFF);
        }
        let text = String::from_utf8_lossy(&doc);
        for kind in [
            PolicyKind::Identity,
            PolicyKind::Resource,
            PolicyKind::Trust,
        ] {
            let _ = validate(&text, kind);
        }
        if let Ok(p) = Policy::parse(&text) {
            parsed += 1;
            let ps = [p];
            let _ = evaluate(
                &req,
                &PolicySet {
                    identity: (&ps).into(),
                    resource: ps.first(),
                    ..PolicySet::default()
                },
            );
        }
    }
    assert!(
        parsed > 100,
        "the fuzzer should also produce valid documents ({parsed})"
    );
}

/// Every operator with random policy values and random request values
/// (including non-ASCII and malformed numbers, dates, addresses) never
/// panics.
#[test]
fn fuzz_conditions_never_panic() {
    use gureum_policy::{evaluate, Condition, PolicySet, Request, RequestPrincipal};
    const OPS: &[&str] = &[
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericLessThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateLessThan",
        "DateGreaterThan",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotLike",
        "Null",
        "ForAnyValue:StringLike",
        "ForAllValues:NumericLessThanIfExists",
        "ForAnyValue:IpAddressIfExists",
        "ForAllValues:ArnLike",
    ];
    const PIECES: &[&str] = &[
        "",
        "*",
        "?",
        "${aws:username}",
        "${",
        "}",
        "${*}",
        "${x, 'd'}",
        "é",
        "구름",
        ":",
        "/",
        ".",
        "10",
        "-1",
        "1e309",
        "NaN",
        "inf",
        "2020-01-01",
        "T00:00:00",
        "Z",
        "+09:00",
        ".ééé",
        "192.0.2.1",
        "/24",
        "/999",
        "::",
        "ffff:",
        "arn:aws:s3:::",
        "true",
        "FALSE",
        "\u{0}",
    ];
    let mut rng = Rng(42);
    let piece = |rng: &mut Rng| -> String {
        (0..1 + rng.below(4))
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect()
    };
    for _ in 0..20_000 {
        let op = OPS[rng.below(OPS.len())];
        let values = (0..rng.below(3)).map(|_| piece(&mut rng)).collect();
        let cond = Condition::new(op, "k:k", values);
        let mut req = Request::new(
            RequestPrincipal::anonymous(),
            "s3:GetObject",
            piece(&mut rng),
        );
        let n = rng.below(3);
        req.context
            .insert("k:k", (0..n).map(|_| piece(&mut rng)).collect());
        req.context.set("aws:username", piece(&mut rng));
        let _ = cond.matches(&req, true);
        let _ = cond.matches(&req, false);
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":{:?},"Condition":{{{:?}:{{"k:k":{:?}}}}}}}]}}"#,
            piece(&mut rng),
            op,
            piece(&mut rng)
        );
        if let Ok(p) = Policy::parse(&doc) {
            let ps = [p];
            let _ = evaluate(
                &req,
                &PolicySet {
                    identity: (&ps).into(),
                    ..PolicySet::default()
                },
            );
        }
    }
}
