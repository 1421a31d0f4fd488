//! The model's shapes for what RDS answers.

use crate::catalog::Engine;
use crate::{s, DbInstance, RdsService};
use gureum_core::{OpResult, RequestContext, Value};
use serde_json::json;

/// The endpoint host of instance `id`: `ID.XXXXXXXXXXXX.REGION.rds.localhost`,
/// the middle label fixed per account and region as on AWS.
pub fn address(account: &str, region: &str, id: &str) -> String {
    // FNV-1a over account and region, in base 36: stable across restarts.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in account.bytes().chain([b'/']).chain(region.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let alphabet = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let label: String = (0..12)
        .map(|_| {
            let c = alphabet[(h % 36) as usize] as char;
            h /= 36;
            if h == 0 {
                h = 0x9e37_79b9_7f4a_7c15;
            }
            c
        })
        .collect();
    format!("{id}.{label}.{region}.rds.localhost")
}

fn seconds(ms: i64) -> Value {
    if ms % 1000 == 0 {
        json!(ms / 1000)
    } else {
        json!(ms as f64 / 1000.0)
    }
}

fn tag_list(tags: &[crate::Tag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|t| json!({"Key": t.key, "Value": t.value}))
            .collect(),
    )
}

/// A `DBInstance`.
pub fn instance(svc: &RdsService, ctx: &RequestContext, inst: &DbInstance) -> Value {
    let engine = Engine::parse(&inst.engine).unwrap_or(Engine::Postgres);
    let major = inst.engine_version.split('.').next().unwrap_or("");
    let mut v = json!({
        "DBInstanceIdentifier": inst.id,
        "DBInstanceClass": inst.class,
        "Engine": inst.engine,
        "DBInstanceStatus": inst.status,
        "MasterUsername": inst.master_username,
        "AllocatedStorage": inst.allocated_storage,
        "InstanceCreateTime": seconds(inst.created_ms),
        "PreferredBackupWindow": inst.backup_window,
        "BackupRetentionPeriod": inst.backup_retention,
        "DBSecurityGroups": [],
        "VpcSecurityGroups": inst.vpc_security_groups.iter()
            .map(|g| json!({"VpcSecurityGroupId": g, "Status": "active"}))
            .collect::<Vec<_>>(),
        "DBParameterGroups": [{
            "DBParameterGroupName": inst.parameter_group,
            "ParameterApplyStatus": inst.parameter_apply_status,
        }],
        "AvailabilityZone": inst.az,
        "PreferredMaintenanceWindow": inst.maintenance_window,
        "PendingModifiedValues": pending(inst),
        "MultiAZ": inst.multi_az,
        "EngineVersion": inst.engine_version,
        "AutoMinorVersionUpgrade": true,
        "LicenseModel": engine.license(),
        "OptionGroupMemberships": [{
            "OptionGroupName": format!("default:{}-{}", inst.engine, major),
            "Status": "in-sync",
        }],
        "PubliclyAccessible": inst.publicly_accessible,
        "StorageType": inst.storage_type,
        "DbInstancePort": 0,
        "StorageEncrypted": inst.storage_encrypted,
        "DbiResourceId": inst.resource_id,
        "CACertificateIdentifier": "rds-ca-rsa2048-g1",
        "CopyTagsToSnapshot": inst.copy_tags_to_snapshot,
        "DBInstanceArn": crate::arn(ctx, "db", &inst.id),
        "IAMDatabaseAuthenticationEnabled": false,
        "DeletionProtection": inst.deletion_protection,
        "TagList": tag_list(&inst.tags),
        "CustomerOwnedIpEnabled": false,
        "BackupTarget": "region",
        "NetworkType": "IPV4",
        "StorageThroughput": 0,
        "DedicatedLogVolume": false,
    });
    if let Some(db) = &inst.db_name {
        v["DBName"] = json!(db);
    }
    if let Some(source) = &inst.replica_source {
        v["ReadReplicaSourceDBInstanceIdentifier"] = json!(source);
        v["StatusInfos"] = json!([{
            "StatusType": "read replication",
            "Normal": inst.status != "failed",
            "Status": if inst.status == "failed" { "error" } else { "replicating" },
        }]);
    }
    v["ReadReplicaDBInstanceIdentifiers"] = json!(crate::replicas::of(svc, ctx, &inst.id));
    if let Some(iops) = inst.iops {
        v["Iops"] = json!(iops);
    }
    if let Some((arn, kms)) = &inst.master_secret {
        v["MasterUserSecret"] =
            json!({"SecretArn": arn, "SecretStatus": "active", "KmsKeyId": kms});
    }
    // RDS shows no endpoint until the instance first comes up.
    if inst.port != 0 {
        v["Endpoint"] = json!({
            "Address": address(&ctx.account_id, &ctx.region, &inst.id),
            "Port": inst.port,
            "HostedZoneId": "Z2R2ITUGPM61AM",
        });
    }
    if let Some(name) = &inst.subnet_group {
        if let Ok(group) = crate::subnet_groups::get(svc, ctx, name) {
            v["DBSubnetGroup"] = crate::subnet_groups::value(ctx, &group);
        }
    }
    v
}

fn pending(inst: &DbInstance) -> Value {
    let p = &inst.pending;
    let mut v = json!({});
    if let Some(c) = &p.class {
        v["DBInstanceClass"] = json!(c);
    }
    if let Some(a) = p.allocated_storage {
        v["AllocatedStorage"] = json!(a);
    }
    if let Some(b) = p.backup_retention {
        v["BackupRetentionPeriod"] = json!(b);
    }
    if let Some(m) = p.multi_az {
        v["MultiAZ"] = json!(m);
    }
    if let Some(t) = &p.storage_type {
        v["StorageType"] = json!(t);
    }
    v
}

/// `DescribeDBEngineVersions` over the catalogue.
pub fn engine_versions(_ctx: &RequestContext, input: &Value) -> OpResult {
    let want_engine = s(input, "Engine");
    let want_version = s(input, "EngineVersion");
    let want_family = s(input, "DBParameterGroupFamily");
    let default_only = crate::boolean(input, "DefaultOnly").unwrap_or(false);
    let request = crate::instances::page_request(input)?;
    let mut items = Vec::new();
    for engine in [Engine::Mariadb, Engine::Mysql, Engine::Postgres] {
        if want_engine.is_some_and(|e| e != engine.name()) {
            continue;
        }
        for version in engine.versions() {
            if want_version.is_some_and(|v| *version != v && !version.starts_with(&format!("{v}.")))
            {
                continue;
            }
            if default_only && *version != engine.default_version() {
                continue;
            }
            let family = engine.family(version);
            if want_family.is_some_and(|f| f != family) {
                continue;
            }
            items.push((
                format!("{}:{version:0>12}", engine.name()),
                engine,
                *version,
                family,
            ));
        }
    }
    let page = gureum_kit::paging::page_sorted(&items, |i| i.0.clone(), &request);
    let versions: Vec<Value> = page
        .items
        .iter()
        .map(|(_, engine, version, family)| {
            json!({
                "Engine": engine.name(),
                "EngineVersion": version,
                "DBParameterGroupFamily": family,
                "DBEngineDescription": match engine {
                    Engine::Postgres => "PostgreSQL",
                    Engine::Mysql => "MySQL Community Edition",
                    Engine::Mariadb => "MariaDB Community Edition",
                },
                "DBEngineVersionDescription": format!("{} {version}", engine.name()),
                "ValidUpgradeTarget": [],
                "SupportsLogExportsToCloudwatchLogs": true,
                "SupportsReadReplica": true,
                "Status": "available",
                "SupportsParallelQuery": false,
                "SupportsGlobalDatabases": false,
                "SupportsBabelfish": false,
                "SupportsCertificateRotationWithoutRestart": true,
                "SupportedEngineModes": ["provisioned"],
                "SupportsLimitlessDatabase": false,
                "SupportsIntegrations": false,
                "SupportsLocalWriteForwarding": false,
            })
        })
        .collect();
    let mut out = json!({ "DBEngineVersions": versions });
    if let Some(m) = page.next_token {
        out["Marker"] = json!(m);
    }
    Ok(out)
}
