//! Security groups and their rules: `CreateSecurityGroup`,
//! `DescribeSecurityGroups`, `DeleteSecurityGroup`,
//! `AuthorizeSecurityGroupIngress`/`Egress`,
//! `RevokeSecurityGroupIngress`/`Egress`, `DescribeSecurityGroupRules`.
//!
//! A group belongs to one VPC (the default VPC when none is given) and its
//! name is unique in that VPC. Rules are stored one per source (a CIDR, an
//! IPv6 CIDR, a prefix list or a group), each with its `sgr-` id, and shown
//! grouped into `IpPermissions` by protocol and ports, as EC2 does. A new
//! group allows all egress; a VPC's `default` group also allows all ingress
//! from itself, and cannot be deleted.

use crate::common::cidr::Cidr;
use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, str_member};
use crate::{common::filter, common::tags, vpc::vpcs, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// One rule: a protocol, a port range and one source or destination.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Rule {
    /// `sgr-…`.
    pub id: String,
    /// Egress (outbound) rather than ingress.
    pub egress: bool,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all) or a protocol number.
    pub protocol: String,
    /// First port (ICMP type); `None` for all traffic.
    #[serde(default)]
    pub from_port: Option<i64>,
    /// Last port (ICMP code); `None` for all traffic.
    #[serde(default)]
    pub to_port: Option<i64>,
    /// IPv4 peer.
    #[serde(default)]
    pub cidr_ipv4: Option<String>,
    /// IPv6 peer.
    #[serde(default)]
    pub cidr_ipv6: Option<String>,
    /// Prefix-list peer.
    #[serde(default)]
    pub prefix_list_id: Option<String>,
    /// Security-group peer.
    #[serde(default)]
    pub group_id: Option<String>,
    /// The peer group's account.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The rule's description.
    #[serde(default)]
    pub description: Option<String>,
}

impl Rule {
    /// Whether two rules allow the same traffic (ids and descriptions
    /// aside).
    fn same(&self, o: &Rule) -> bool {
        self.egress == o.egress
            && self.protocol == o.protocol
            && self.from_port == o.from_port
            && self.to_port == o.to_port
            && self.cidr_ipv4 == o.cidr_ipv4
            && self.cidr_ipv6 == o.cidr_ipv6
            && self.prefix_list_id == o.prefix_list_id
            && self.group_id == o.group_id
    }

    fn peer(&self) -> String {
        self.cidr_ipv4
            .clone()
            .or_else(|| self.cidr_ipv6.clone())
            .or_else(|| self.prefix_list_id.clone())
            .or_else(|| self.group_id.clone())
            .unwrap_or_default()
    }

    /// EC2's text for a rule in `InvalidPermission.Duplicate`.
    fn describe(&self) -> String {
        let proto = match self.protocol.as_str() {
            "-1" => "ALL".to_string(),
            p => p.to_ascii_uppercase(),
        };
        match (self.from_port, self.to_port) {
            (Some(f), Some(t)) => format!(
                "peer: {}, {proto}, from port: {f}, to port: {t}, ALLOW",
                self.peer()
            ),
            _ => format!("peer: {}, {proto}, ALLOW", self.peer()),
        }
    }

    /// The rule as the model's `SecurityGroupRule`.
    pub fn to_value(&self, ctx: &RequestContext, group_id: &str, tags: &tags::Tags) -> Value {
        let mut v = json!({
            "SecurityGroupRuleId": self.id,
            "GroupId": group_id,
            "GroupOwnerId": ctx.account_id,
            "IsEgress": self.egress,
            "IpProtocol": self.protocol,
            "FromPort": self.from_port.unwrap_or(-1),
            "ToPort": self.to_port.unwrap_or(-1),
            "Tags": network::tag_list(tags),
            "SecurityGroupRuleArn": format!(
                "arn:aws:ec2:{}:{}:security-group-rule/{}",
                ctx.region, ctx.account_id, self.id
            ),
        });
        if let Some(c) = &self.cidr_ipv4 {
            v["CidrIpv4"] = json!(c);
        }
        if let Some(c) = &self.cidr_ipv6 {
            v["CidrIpv6"] = json!(c);
        }
        if let Some(p) = &self.prefix_list_id {
            v["PrefixListId"] = json!(p);
        }
        if let Some(g) = &self.group_id {
            v["ReferencedGroupInfo"] = json!({
                "GroupId": g,
                "UserId": self.user_id.clone().unwrap_or_else(|| ctx.account_id.clone()),
            });
        }
        if let Some(d) = &self.description {
            v["Description"] = json!(d);
        }
        v
    }

    fn revoked_value(&self, group_id: &str) -> Value {
        let mut v = json!({
            "SecurityGroupRuleId": self.id,
            "GroupId": group_id,
            "IsEgress": self.egress,
            "IpProtocol": self.protocol,
            "FromPort": self.from_port.unwrap_or(-1),
            "ToPort": self.to_port.unwrap_or(-1),
        });
        if let Some(c) = &self.cidr_ipv4 {
            v["CidrIpv4"] = json!(c);
        }
        if let Some(c) = &self.cidr_ipv6 {
            v["CidrIpv6"] = json!(c);
        }
        if let Some(p) = &self.prefix_list_id {
            v["PrefixListId"] = json!(p);
        }
        if let Some(g) = &self.group_id {
            v["ReferencedGroupId"] = json!(g);
        }
        if let Some(d) = &self.description {
            v["Description"] = json!(d);
        }
        v
    }
}

/// A stored security group.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecurityGroup {
    /// `sg-…`.
    pub id: String,
    /// The VPC.
    pub vpc_id: String,
    /// Its name, unique in the VPC.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Ingress and egress rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// The security group table.
pub fn table(store: &Store) -> Table<SecurityGroup> {
    store.table("ec2.security_groups")
}

/// `InvalidGroup.NotFound` for an id.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidGroupNotFound {
        message: format!("The security group '{id}' does not exist"),
    })
}

fn all_egress() -> Rule {
    Rule {
        id: resource_id("sgr"),
        egress: true,
        protocol: "-1".into(),
        from_port: None,
        to_port: None,
        cidr_ipv4: Some("0.0.0.0/0".into()),
        cidr_ipv6: None,
        prefix_list_id: None,
        group_id: None,
        user_id: None,
        description: None,
    }
}

impl SecurityGroup {
    /// A new group allowing all egress.
    pub fn new(vpc_id: &str, name: &str, description: &str) -> SecurityGroup {
        SecurityGroup {
            id: resource_id("sg"),
            vpc_id: vpc_id.to_string(),
            name: name.to_string(),
            description: description.to_string(),
            rules: vec![all_egress()],
        }
    }

    /// A VPC's `default` group: all egress, all ingress from itself.
    pub fn default_for(vpc_id: &str, account_id: &str) -> SecurityGroup {
        let mut g = SecurityGroup::new(vpc_id, "default", "default VPC security group");
        g.rules.insert(
            0,
            Rule {
                id: resource_id("sgr"),
                egress: false,
                protocol: "-1".into(),
                from_port: None,
                to_port: None,
                cidr_ipv4: None,
                cidr_ipv6: None,
                prefix_list_id: None,
                group_id: Some(g.id.clone()),
                user_id: Some(account_id.to_string()),
                description: None,
            },
        );
        g
    }

    fn arn(&self, ctx: &RequestContext) -> String {
        format!(
            "arn:aws:ec2:{}:{}:security-group/{}",
            ctx.region, ctx.account_id, self.id
        )
    }

    /// The group as the model's `SecurityGroup`.
    pub fn to_value(&self, ctx: &RequestContext, tags: &tags::Tags) -> Value {
        json!({
            "Description": self.description,
            "GroupName": self.name,
            "IpPermissions": permissions(ctx, &self.rules, false),
            "OwnerId": ctx.account_id,
            "GroupId": self.id,
            "IpPermissionsEgress": permissions(ctx, &self.rules, true),
            "Tags": network::tag_list(tags),
            "VpcId": self.vpc_id,
            "SecurityGroupArn": self.arn(ctx),
        })
    }
}

/// Rules grouped into the model's `IpPermission`s by protocol and ports.
fn permissions(ctx: &RequestContext, rules: &[Rule], egress: bool) -> Value {
    let mut out: Vec<Value> = Vec::new();
    let mut keys: Vec<(String, Option<i64>, Option<i64>)> = Vec::new();
    for r in rules.iter().filter(|r| r.egress == egress) {
        let k = (r.protocol.clone(), r.from_port, r.to_port);
        let idx = match keys.iter().position(|x| *x == k) {
            Some(i) => i,
            None => {
                keys.push(k);
                let mut p = json!({
                    "IpProtocol": r.protocol,
                    "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": [],
                });
                if let (Some(f), Some(t)) = (r.from_port, r.to_port) {
                    p["FromPort"] = json!(f);
                    p["ToPort"] = json!(t);
                }
                out.push(p);
                out.len() - 1
            }
        };
        let p = &mut out[idx];
        let with_desc = |mut v: Value| {
            if let Some(d) = &r.description {
                v["Description"] = json!(d);
            }
            v
        };
        let (list, item) = if let Some(c) = &r.cidr_ipv4 {
            ("IpRanges", with_desc(json!({"CidrIp": c})))
        } else if let Some(c) = &r.cidr_ipv6 {
            ("Ipv6Ranges", with_desc(json!({"CidrIpv6": c})))
        } else if let Some(pl) = &r.prefix_list_id {
            ("PrefixListIds", with_desc(json!({"PrefixListId": pl})))
        } else {
            (
                "UserIdGroupPairs",
                with_desc(json!({
                    "GroupId": r.group_id,
                    "UserId": r.user_id.clone().unwrap_or_else(|| ctx.account_id.clone()),
                })),
            )
        };
        if let Some(a) = p[list].as_array_mut() {
            a.push(item);
        }
    }
    Value::Array(out)
}

fn check_id(id: &str) -> Result<(), AwsError> {
    let ok = id
        .strip_prefix("sg-")
        .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if !ok {
        return Err(AwsError::from(Ec2Error::InvalidGroupIdMalformed {
            id: id.to_string(),
        }));
    }
    Ok(())
}

/// Finds the group a request names by `GroupId` or (in the default VPC)
/// `GroupName`.
fn find_group(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    input: &Value,
) -> Result<(String, SecurityGroup), AwsError> {
    if let Some(id) = str_member(input, "GroupId") {
        check_id(id)?;
        let k = key(ctx, id);
        let g = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
        return Ok((k, g));
    }
    let Some(name) = str_member(input, "GroupName") else {
        return Err(network::missing("GroupId"));
    };
    let default_vpc = vpcs::default_vpc_id(txn, store, ctx)?;
    for (k, g) in txn.scan_prefix(&table(store), &prefix(ctx))? {
        if g.name == name && Some(&g.vpc_id) == default_vpc.as_ref() {
            return Ok((k, g));
        }
    }
    Err(AwsError::from(Ec2Error::InvalidGroupNotFound {
        message: format!(
            "The security group '{name}' does not exist in default VPC '{}'",
            default_vpc.unwrap_or_default()
        ),
    }))
}

fn protocol(p: &str) -> Result<String, AwsError> {
    let lower = p.to_ascii_lowercase();
    Ok(match lower.as_str() {
        "-1" | "all" => "-1".into(),
        "tcp" | "6" => "tcp".into(),
        "udp" | "17" => "udp".into(),
        "icmp" | "1" => "icmp".into(),
        "icmpv6" | "58" => "icmpv6".into(),
        n if n.parse::<u8>().is_ok() => n.into(),
        _ => {
            return Err(network::invalid_value(format!(
                "Invalid value '{p}' for IP protocol. Unknown protocol."
            )))
        }
    })
}

fn ports(proto: &str, perm: &Value) -> Result<(Option<i64>, Option<i64>), AwsError> {
    let from = perm.get("FromPort").and_then(Value::as_i64);
    let to = perm.get("ToPort").and_then(Value::as_i64);
    match proto {
        "tcp" | "udp" => {
            let (Some(f), Some(t)) = (from, to) else {
                return Err(network::invalid_value(
                    "Invalid value 'null' for portRange. Must specify both from and to ports with TCP/UDP.",
                ));
            };
            if !(0..=65535).contains(&f) || !(0..=65535).contains(&t) || f > t {
                return Err(network::invalid_value(format!(
                    "Invalid value '{f}-{t}' for portRange. The from port must be less than or equal to the to port, and both must be 0–65535."
                )));
            }
            Ok((Some(f), Some(t)))
        }
        "icmp" | "icmpv6" => {
            let f = from.unwrap_or(-1);
            let t = to.unwrap_or(-1);
            if !(-1..=255).contains(&f) || !(-1..=255).contains(&t) {
                return Err(network::invalid_value(format!(
                    "Invalid value '{f}' for ICMP type or '{t}' for ICMP code."
                )));
            }
            Ok((Some(f), Some(t)))
        }
        "-1" => Ok((None, None)),
        _ => Ok(match (from, to) {
            (Some(f), Some(t)) if f >= 0 && t >= 0 => (Some(f), Some(t)),
            _ => (None, None),
        }),
    }
}

fn cidr4(text: &str) -> Result<String, AwsError> {
    Cidr::parse(text)
        .map(|c| c.to_string())
        .map_err(|_| network::invalid_value(format!("CIDR block {text} is malformed")))
}

fn cidr6(text: &str) -> Result<String, AwsError> {
    let ok = text.split_once('/').is_some_and(|(a, n)| {
        a.parse::<std::net::Ipv6Addr>().is_ok() && n.parse::<u8>().is_ok_and(|n| n <= 128)
    });
    if !ok {
        return Err(network::invalid_value(format!(
            "CIDR block {text} is malformed"
        )));
    }
    Ok(text.to_ascii_lowercase())
}

/// The permissions of an authorize/revoke request: `IpPermissions`, or the
/// legacy top-level `IpProtocol`/`FromPort`/`ToPort`/`CidrIp`/
/// `SourceSecurityGroupName` form.
fn request_permissions(input: &Value) -> Vec<Value> {
    if let Some(list) = input.get("IpPermissions").and_then(Value::as_array) {
        return list.clone();
    }
    if input.get("IpProtocol").is_none()
        && input.get("CidrIp").is_none()
        && input.get("SourceSecurityGroupName").is_none()
    {
        return Vec::new();
    }
    let mut p = json!({"IpProtocol": str_member(input, "IpProtocol").unwrap_or("-1")});
    for m in ["FromPort", "ToPort"] {
        if let Some(v) = input.get(m) {
            p[m] = v.clone();
        }
    }
    if let Some(c) = str_member(input, "CidrIp") {
        p["IpRanges"] = json!([{"CidrIp": c}]);
    }
    if let Some(n) = str_member(input, "SourceSecurityGroupName") {
        let mut pair = json!({"GroupName": n});
        if let Some(o) = str_member(input, "SourceSecurityGroupOwnerId") {
            pair["UserId"] = json!(o);
        }
        p["UserIdGroupPairs"] = json!([pair]);
    }
    vec![p]
}

/// Expands permissions into rules (one per peer), resolving group peers.
fn expand(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    group: &SecurityGroup,
    perms: &[Value],
    egress: bool,
) -> Result<Vec<Rule>, AwsError> {
    if perms.is_empty() {
        return Err(network::missing("IpPermissions"));
    }
    let mut out = Vec::new();
    for perm in perms {
        let proto = protocol(
            str_member(perm, "IpProtocol").ok_or_else(|| network::missing("IpProtocol"))?,
        )?;
        let (from_port, to_port) = ports(&proto, perm)?;
        let base = Rule {
            id: String::new(),
            egress,
            protocol: proto,
            from_port,
            to_port,
            cidr_ipv4: None,
            cidr_ipv6: None,
            prefix_list_id: None,
            group_id: None,
            user_id: None,
            description: None,
        };
        let items = |m: &str| -> Vec<Value> {
            perm.get(m)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let desc = |v: &Value| str_member(v, "Description").map(str::to_string);
        let before = out.len();
        for r in items("IpRanges") {
            let c = cidr4(str_member(&r, "CidrIp").unwrap_or_default())?;
            out.push(Rule {
                cidr_ipv4: Some(c),
                description: desc(&r),
                ..base.clone()
            });
        }
        for r in items("Ipv6Ranges") {
            let c = cidr6(str_member(&r, "CidrIpv6").unwrap_or_default())?;
            out.push(Rule {
                cidr_ipv6: Some(c),
                description: desc(&r),
                ..base.clone()
            });
        }
        for r in items("PrefixListIds") {
            let p = str_member(&r, "PrefixListId").unwrap_or_default();
            if !p.starts_with("pl-") {
                return Err(network::invalid_value(format!(
                    "The prefix list ID '{p}' is malformed"
                )));
            }
            out.push(Rule {
                prefix_list_id: Some(p.to_string()),
                description: desc(&r),
                ..base.clone()
            });
        }
        for r in items("UserIdGroupPairs") {
            let user = str_member(&r, "UserId")
                .unwrap_or(&ctx.account_id)
                .to_string();
            let gid = if let Some(id) = str_member(&r, "GroupId") {
                check_id(id)?;
                if user == ctx.account_id && txn.get(&table(store), &key(ctx, id))?.is_none() {
                    return Err(not_found(id));
                }
                id.to_string()
            } else if let Some(name) = str_member(&r, "GroupName") {
                txn.scan_prefix(&table(store), &prefix(ctx))?
                    .into_iter()
                    .map(|(_, g)| g)
                    .find(|g| g.name == name && g.vpc_id == group.vpc_id)
                    .map(|g| g.id)
                    .ok_or_else(|| {
                        AwsError::from(Ec2Error::InvalidGroupNotFound {
                            message: format!(
                                "The security group '{name}' does not exist in VPC '{}'",
                                group.vpc_id
                            ),
                        })
                    })?
            } else {
                return Err(network::missing("GroupId"));
            };
            out.push(Rule {
                group_id: Some(gid),
                user_id: Some(user),
                description: desc(&r),
                ..base.clone()
            });
        }
        if out.len() == before {
            // A permission with no peer means "from anywhere" in EC2's
            // legacy API; the current API refuses it.
            return Err(network::missing(
                "IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs",
            ));
        }
    }
    Ok(out)
}

impl Ec2Service {
    /// `CreateSecurityGroup`.
    pub(crate) fn create_security_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let name = network::required(&input, "GroupName")?;
        let description = str_member(&input, "Description")
            .ok_or_else(|| network::missing("GroupDescription"))?;
        if name.len() > 255 || description.len() > 255 {
            return Err(network::invalid_value(
                "Group name and description must be at most 255 characters.",
            ));
        }
        if name.eq_ignore_ascii_case("default") {
            return Err(network::invalid_value(
                "Cannot use reserved security group name: default",
            ));
        }
        if name.starts_with("sg-") {
            return Err(network::invalid_value(
                "Group names may not be in the format sg-*",
            ));
        }
        let tags = network::spec_tags(&input, "security-group")?;
        let store = &self.store;
        let g = store.write(|txn| {
            let vpc_id = match str_member(&input, "VpcId") {
                Some(v) => {
                    if txn.get(&vpcs::table(store), &key(ctx, v))?.is_none() {
                        return Err(vpcs::not_found(v));
                    }
                    v.to_string()
                }
                None => vpcs::default_vpc_id(txn, store, ctx)?.ok_or_else(|| {
                    AwsError::from(Ec2Error::VPCIdNotSpecified {
                        message: "No default VPC for this user".into(),
                    })
                })?,
            };
            for (_, other) in txn.scan_prefix(&table(store), &prefix(ctx))? {
                if other.vpc_id == vpc_id && other.name == name {
                    return Err(AwsError::from(Ec2Error::InvalidGroupDuplicate {
                        name: name.to_string(),
                        vpc_id: vpc_id.to_string(),
                    }));
                }
            }
            let g = SecurityGroup::new(&vpc_id, name, description);
            txn.put(&table(store), &key(ctx, &g.id), &g)?;
            tags::put_in(txn, store, ctx, &g.id, &tags)?;
            Ok::<_, AwsError>(g)
        })?;
        Ok(json!({
            "GroupId": g.id,
            "Tags": network::tag_list(&tags),
            "SecurityGroupArn": g.arn(ctx),
        }))
    }

    /// `DescribeSecurityGroups`: `GroupIds`, `GroupNames` (default VPC),
    /// filters, pagination.
    pub(crate) fn describe_security_groups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ids = network::strings(&input, "GroupIds");
        let names = network::strings(&input, "GroupNames");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "group-id",
                "group-name",
                "vpc-id",
                "description",
                "owner-id",
                "ip-permission.cidr",
                "ip-permission.from-port",
                "ip-permission.to-port",
                "ip-permission.protocol",
                "ip-permission.group-id",
                "ip-permission.prefix-list-id",
                "egress.ip-permission.cidr",
                "egress.ip-permission.from-port",
                "egress.ip-permission.to-port",
                "egress.ip-permission.protocol",
                "egress.ip-permission.group-id",
                "egress.ip-permission.prefix-list-id",
            ],
        )?;
        for id in &ids {
            check_id(id)?;
        }
        let all = table(&self.store).scan_prefix(&prefix(ctx))?;
        for id in &ids {
            if !all.iter().any(|(_, g)| &g.id == id) {
                return Err(not_found(id));
            }
        }
        let default_vpc = vpcs::default_vpc_id_read(&self.store, ctx)?;
        for n in &names {
            if !all
                .iter()
                .any(|(_, g)| &g.name == n && Some(&g.vpc_id) == default_vpc.as_ref())
            {
                return Err(AwsError::from(Ec2Error::InvalidGroupNotFound {
                    message: format!(
                        "The security group '{n}' does not exist in default VPC '{}'",
                        default_vpc.clone().unwrap_or_default()
                    ),
                }));
            }
        }
        let mut items = Vec::new();
        for (_, g) in all {
            if !ids.is_empty() && !ids.contains(&g.id) {
                continue;
            }
            let named = names.contains(&g.name) && Some(&g.vpc_id) == default_vpc.as_ref();
            if !names.is_empty() && !named {
                continue;
            }
            let t = tags::get(&self.store, ctx, &g.id)?;
            let keep = network::matches(&filters, &t, |f| {
                let (egress, attr) = match f.strip_prefix("egress.ip-permission.") {
                    Some(a) => (true, a),
                    None => (false, f.strip_prefix("ip-permission.").unwrap_or_default()),
                };
                let rules = g.rules.iter().filter(|r| r.egress == egress);
                match (f, attr) {
                    ("group-id", _) => vec![g.id.clone()],
                    ("group-name", _) => vec![g.name.clone()],
                    ("vpc-id", _) => vec![g.vpc_id.clone()],
                    ("description", _) => vec![g.description.clone()],
                    ("owner-id", _) => vec![ctx.account_id.clone()],
                    (_, "cidr") => rules.filter_map(|r| r.cidr_ipv4.clone()).collect(),
                    (_, "from-port") => rules
                        .map(|r| r.from_port.unwrap_or(-1).to_string())
                        .collect(),
                    (_, "to-port") => rules.map(|r| r.to_port.unwrap_or(-1).to_string()).collect(),
                    (_, "protocol") => rules.map(|r| r.protocol.clone()).collect(),
                    (_, "group-id") => rules.filter_map(|r| r.group_id.clone()).collect(),
                    (_, "prefix-list-id") => {
                        rules.filter_map(|r| r.prefix_list_id.clone()).collect()
                    }
                    _ => vec![],
                }
            });
            if keep {
                items.push((g.id.clone(), g.to_value(ctx, &t)));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "SecurityGroups": page }), next))
    }

    /// `DeleteSecurityGroup`: not the default group, not while another
    /// group's rule refers to it.
    pub(crate) fn delete_security_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let store = &self.store;
        let id = store.write(|txn| {
            let (k, g) = find_group(txn, store, ctx, &input)?;
            if g.name == "default" {
                return Err(AwsError::from(Ec2Error::CannotDelete {
                    message: format!(
                        "the specified group: \"{}\" name: \"default\" cannot be deleted by a user",
                        g.id
                    ),
                }));
            }
            for (_, other) in txn.scan_prefix(&table(store), &prefix(ctx))? {
                if other.id != g.id
                    && other
                        .rules
                        .iter()
                        .any(|r| r.group_id.as_deref() == Some(g.id.as_str()))
                {
                    return Err(AwsError::from(Ec2Error::DependencyViolation {
                        message: format!("resource {} has a dependent object", g.id),
                    }));
                }
            }
            txn.delete(&table(store), &k)?;
            for r in &g.rules {
                tags::delete_in(txn, store, ctx, &r.id)?;
            }
            tags::delete_in(txn, store, ctx, &g.id)?;
            Ok::<_, AwsError>(g.id)
        })?;
        Ok(json!({ "Return": true, "GroupId": id }))
    }

    fn authorize(&self, ctx: &RequestContext, input: &Value, egress: bool) -> OpResult {
        dry_run(input)?;
        let perms = request_permissions(input);
        let tags = network::spec_tags(input, "security-group-rule")?;
        let store = &self.store;
        let (gid, added) = store.write(|txn| {
            let (k, mut g) = find_group(txn, store, ctx, input)?;
            let mut rules = expand(txn, store, ctx, &g, &perms, egress)?;
            for (i, r) in rules.iter().enumerate() {
                if g.rules.iter().any(|have| have.same(r))
                    || rules[..i].iter().any(|earlier| earlier.same(r))
                {
                    return Err(AwsError::from(Ec2Error::InvalidPermissionDuplicate {
                        message: format!("the specified rule \"{}\" already exists", r.describe()),
                    }));
                }
            }
            for r in &mut rules {
                r.id = resource_id("sgr");
                tags::put_in(txn, store, ctx, &r.id, &tags)?;
            }
            g.rules.extend(rules.iter().cloned());
            txn.put(&table(store), &k, &g)?;
            Ok::<_, AwsError>((g.id, rules))
        })?;
        let out: Vec<Value> = added.iter().map(|r| r.to_value(ctx, &gid, &tags)).collect();
        Ok(json!({ "Return": true, "SecurityGroupRules": out }))
    }

    fn revoke(&self, ctx: &RequestContext, input: &Value, egress: bool) -> OpResult {
        dry_run(input)?;
        let rule_ids = network::strings(input, "SecurityGroupRuleIds");
        let perms = request_permissions(input);
        let store = &self.store;
        let (gid, removed) = store.write(|txn| {
            let (k, mut g) = find_group(txn, store, ctx, input)?;
            let mut removed = Vec::new();
            if !rule_ids.is_empty() {
                for rid in &rule_ids {
                    let pos = g
                        .rules
                        .iter()
                        .position(|r| &r.id == rid && r.egress == egress)
                        .ok_or_else(|| {
                            AwsError::from(Ec2Error::InvalidSecurityGroupRuleIdNotFound {
                                message: format!(
                                    "The security group rule ID '{rid}' does not exist"
                                ),
                            })
                        })?;
                    removed.push(g.rules.remove(pos));
                }
            } else {
                for want in expand(txn, store, ctx, &g, &perms, egress)? {
                    let pos = g
                        .rules
                        .iter()
                        .position(|r| r.same(&want))
                        .ok_or_else(|| AwsError::from(Ec2Error::InvalidPermissionNotFound))?;
                    removed.push(g.rules.remove(pos));
                }
            }
            for r in &removed {
                tags::delete_in(txn, store, ctx, &r.id)?;
            }
            txn.put(&table(store), &k, &g)?;
            Ok::<_, AwsError>((g.id, removed))
        })?;
        let out: Vec<Value> = removed.iter().map(|r| r.revoked_value(&gid)).collect();
        Ok(json!({ "Return": true, "RevokedSecurityGroupRules": out }))
    }

    /// `AuthorizeSecurityGroupIngress`.
    pub(crate) fn authorize_security_group_ingress(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.authorize(ctx, &input, false)
    }

    /// `AuthorizeSecurityGroupEgress`.
    pub(crate) fn authorize_security_group_egress(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.authorize(ctx, &input, true)
    }

    /// `RevokeSecurityGroupIngress`.
    pub(crate) fn revoke_security_group_ingress(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.revoke(ctx, &input, false)
    }

    /// `RevokeSecurityGroupEgress`.
    pub(crate) fn revoke_security_group_egress(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.revoke(ctx, &input, true)
    }

    /// `DescribeSecurityGroupRules`: `SecurityGroupRuleIds`, filters
    /// `group-id`, `security-group-rule-id`, tags; paginated.
    pub(crate) fn describe_security_group_rules(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let ids = network::strings(&input, "SecurityGroupRuleIds");
        let filters = filter::parse(&input);
        network::check_filters(&filters, &["group-id", "security-group-rule-id"])?;
        let mut items = Vec::new();
        for (_, g) in table(&self.store).scan_prefix(&prefix(ctx))? {
            for r in &g.rules {
                if !ids.is_empty() && !ids.contains(&r.id) {
                    continue;
                }
                let t = tags::get(&self.store, ctx, &r.id)?;
                let keep = network::matches(&filters, &t, |f| match f {
                    "group-id" => vec![g.id.clone()],
                    "security-group-rule-id" => vec![r.id.clone()],
                    _ => vec![],
                });
                if keep {
                    items.push((r.id.clone(), r.to_value(ctx, &g.id, &t)));
                }
            }
        }
        for id in &ids {
            if !items.iter().any(|(i, _)| i == id) && filters.is_empty() {
                return Err(AwsError::from(
                    Ec2Error::InvalidSecurityGroupRuleIdNotFound {
                        message: format!("The security group rule ID '{id}' does not exist"),
                    },
                ));
            }
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(
            json!({ "SecurityGroupRules": page }),
            next,
        ))
    }
}

/// Resolves security groups given by id and by name in `vpc_id` to
/// (id, name) pairs; none given means the VPC's default group. Used by
/// launches, interfaces and endpoints.
pub fn resolve_groups(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    vpc_id: &str,
    ids: &[String],
    names: &[String],
) -> Result<Vec<(String, String)>, AwsError> {
    let all = txn.scan_prefix(&table(store), &prefix(ctx))?;
    let mut out = Vec::new();
    for id in ids {
        let g = all
            .iter()
            .find(|(_, g)| &g.id == id)
            .ok_or_else(|| not_found(id))?;
        if g.1.vpc_id != vpc_id {
            return Err(network::invalid_value(format!(
                "Security group {id} and subnet belong to different networks."
            )));
        }
        out.push((g.1.id.clone(), g.1.name.clone()));
    }
    for name in names {
        let g = all
            .iter()
            .find(|(_, g)| &g.name == name && g.vpc_id == vpc_id)
            .ok_or_else(|| {
                AwsError::from(Ec2Error::InvalidGroupNotFound {
                    message: format!(
                        "The security group '{name}' does not exist in VPC '{vpc_id}'"
                    ),
                })
            })?;
        out.push((g.1.id.clone(), g.1.name.clone()));
    }
    if out.is_empty() {
        let g = all
            .iter()
            .find(|(_, g)| g.name == "default" && g.vpc_id == vpc_id)
            .ok_or_else(|| AwsError::internal("no default security group"))?;
        out.push((g.1.id.clone(), g.1.name.clone()));
    }
    out.dedup();
    Ok(out)
}
