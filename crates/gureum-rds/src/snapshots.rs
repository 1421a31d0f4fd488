//! Manual DB snapshots: a real copy of the instance's data
//! (`rds/snapshots/ACCOUNT/REGION/ID/data`), and new instances started
//! on a copy of one.

use crate::catalog::Engine;
use crate::errors::invalid_value;
use crate::{boolean, int, s, strings, validate, DbInstance, Pending, RdsError, RdsService, Tag};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::{filter, paging};
use gureum_store::{Store, Table};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A stored snapshot: what the instance was, to restore it as such.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DbSnapshot {
    /// `DBSnapshotIdentifier`, lowercase.
    pub id: String,
    /// The source instance.
    pub instance: DbInstance,
    /// `creating`, `available`, `failed`.
    pub status: String,
    /// `manual` (automated backups are not kept yet).
    pub snapshot_type: String,
    /// Epoch milliseconds.
    pub created_ms: i64,
    /// Tags.
    pub tags: Vec<Tag>,
}

fn value(ctx: &RequestContext, snap: &DbSnapshot) -> Value {
    let i = &snap.instance;
    let engine = Engine::parse(&i.engine).unwrap_or(Engine::Postgres);
    let major = i.engine_version.split('.').next().unwrap_or("");
    let mut v = json!({
        "DBSnapshotIdentifier": snap.id,
        "DBInstanceIdentifier": i.id,
        "SnapshotCreateTime": snap.created_ms / 1000,
        "Engine": i.engine,
        "AllocatedStorage": i.allocated_storage,
        "Status": snap.status,
        "Port": if i.port != 0 { i.port } else { i.requested_port },
        "AvailabilityZone": i.az,
        "InstanceCreateTime": i.created_ms / 1000,
        "MasterUsername": i.master_username,
        "EngineVersion": i.engine_version,
        "LicenseModel": engine.license(),
        "SnapshotType": snap.snapshot_type,
        "OptionGroupName": format!("default:{}-{major}", i.engine),
        "PercentProgress": if snap.status == "creating" { 0 } else { 100 },
        "StorageType": i.storage_type,
        "Encrypted": i.storage_encrypted,
        "DBSnapshotArn": crate::arn(ctx, "snapshot", &snap.id),
        "IAMDatabaseAuthenticationEnabled": false,
        "DbiResourceId": i.resource_id,
        "TagList": snap.tags.iter().map(|t| json!({"Key": t.key, "Value": t.value})).collect::<Vec<_>>(),
        "SnapshotTarget": "region",
        "OriginalSnapshotCreateTime": snap.created_ms / 1000,
        "DedicatedLogVolume": false,
        "MultiTenant": false,
    });
    if let Some(iops) = i.iops {
        v["Iops"] = json!(iops);
    }
    v
}

/// Records a new snapshot of `inst` as `creating`, refusing a taken id.
pub(crate) fn begin(
    svc: &RdsService,
    ctx: &RequestContext,
    id: &str,
    inst: &DbInstance,
    snapshot_type: &str,
) -> Result<(String, DbSnapshot), AwsError> {
    let id = id.to_ascii_lowercase();
    let key = Scope::regional(ctx).key(&id);
    let snap = DbSnapshot {
        id: id.clone(),
        instance: inst.clone(),
        status: "creating".into(),
        snapshot_type: snapshot_type.into(),
        created_ms: ctx.clock.now_millis(),
        tags: if inst.copy_tags_to_snapshot {
            inst.tags.clone()
        } else {
            vec![]
        },
    };
    svc.store.write(|txn| -> Result<(), AwsError> {
        if txn.get(&svc.snapshots, &key)?.is_some() {
            return Err(RdsError::DbSnapshotAlreadyExists { id: id.clone() }.into());
        }
        txn.put(&svc.snapshots, &key, &snap)?;
        Ok(())
    })?;
    Ok((key, snap))
}

/// Marks snapshot `key` `available` (or `failed`) once its copy is done.
pub(crate) fn finish(
    store: &Store,
    table: &Table<DbSnapshot>,
    key: &str,
    result: std::io::Result<()>,
) {
    let status = match result {
        Ok(()) => "available",
        Err(e) => {
            tracing::warn!(target: "gureum", "rds: snapshot {key}: {e}");
            "failed"
        }
    };
    let _ = store.write(|txn| -> Result<(), gureum_store::StoreError> {
        if let Some(mut snap) = txn.get(table, key)? {
            snap.status = status.into();
            txn.put(table, key, &snap)?;
        }
        Ok(())
    });
}

pub(crate) fn create(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let snap_id = validate::identifier(
        "DBSnapshotIdentifier",
        s(input, "DBSnapshotIdentifier").unwrap_or(""),
    )?;
    let id = s(input, "DBInstanceIdentifier").unwrap_or("");
    let (key, inst) = crate::instances::get(svc, ctx, id)?;
    if !matches!(inst.status.as_str(), "available" | "stopped") {
        return Err(RdsError::NotAvailable { id: inst.id }.into());
    }
    let (snap_key, mut snap) = begin(svc, ctx, &snap_id, &inst, "manual")?;
    let extra = crate::tags::parse(input);
    if !extra.is_empty() {
        snap.tags = extra;
        svc.snapshots.put(&snap_key, &snap)?;
    }
    let running = inst.status == "available";
    let engine = Engine::parse(&inst.engine).unwrap_or(Engine::Postgres);
    if running && !engine.is_postgres() {
        // MariaDB is copied stopped: the instance is backing up meanwhile.
        crate::instances::update(svc, &key, id, |i| {
            i.status = "backing-up".into();
            Ok(())
        })?;
    }
    let launch =
        running.then(|| crate::instances::launch_for(svc, &ctx.account_id, &ctx.region, &inst));
    let (store, table, done_key) = (svc.store.clone(), svc.snapshots.clone(), snap_key.clone());
    svc.engines.snapshot(
        key,
        svc.engines.snapshot_dir(&snap_key),
        launch,
        Box::new(move |result| finish(&store, &table, &done_key, result)),
    );
    Ok(json!({ "DBSnapshot": value(ctx, &snap) }))
}

fn get(svc: &RdsService, ctx: &RequestContext, id: &str) -> Result<(String, DbSnapshot), AwsError> {
    let key = Scope::regional(ctx).key(&id.to_ascii_lowercase());
    match svc.snapshots.get(&key)? {
        Some(s) => Ok((key, s)),
        None => Err(RdsError::DbSnapshotNotFound { id: id.to_string() }.into()),
    }
}

pub(crate) fn describe(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let filters = filter::parse(input, "Filters");
    if let Some(f) = filter::unsupported(
        &filters,
        &[
            "db-instance-id",
            "db-snapshot-id",
            "dbi-resource-id",
            "snapshot-type",
            "engine",
        ],
    ) {
        return Err(invalid_value(format!(
            "Unrecognized filter name: {}",
            f.name
        )));
    }
    if let Some(id) = s(input, "DBSnapshotIdentifier") {
        let (_, snap) = get(svc, ctx, id)?;
        return Ok(json!({ "DBSnapshots": [value(ctx, &snap)] }));
    }
    let instance = s(input, "DBInstanceIdentifier").map(str::to_ascii_lowercase);
    let kind = s(input, "SnapshotType");
    let request = crate::instances::page_request(input)?;
    let page = paging::page(
        &svc.snapshots,
        &Scope::regional(ctx).prefix(),
        &request,
        |_, snap| {
            let keep = instance.as_ref().is_none_or(|i| *i == snap.instance.id)
                && kind.is_none_or(|k| k == snap.snapshot_type)
                && filter::matches_all(&filters, |name| match name {
                    "db-instance-id" => vec![
                        snap.instance.id.clone(),
                        crate::arn(ctx, "db", &snap.instance.id),
                    ],
                    "db-snapshot-id" => vec![snap.id.clone()],
                    "dbi-resource-id" => vec![snap.instance.resource_id.clone()],
                    "snapshot-type" => vec![snap.snapshot_type.clone()],
                    "engine" => vec![snap.instance.engine.clone()],
                    _ => vec![],
                });
            keep.then(|| value(ctx, &snap))
        },
    )?;
    let mut out = json!({ "DBSnapshots": page.items });
    if let Some(m) = page.next_token {
        out["Marker"] = json!(m);
    }
    Ok(out)
}

pub(crate) fn delete(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = s(input, "DBSnapshotIdentifier").unwrap_or("");
    let (key, mut snap) = get(svc, ctx, id)?;
    if snap.status == "creating" {
        return Err(RdsError::SnapshotNotAvailable { id: snap.id }.into());
    }
    svc.snapshots.delete(&key)?;
    svc.engines.remove_snapshot(&key);
    snap.status = "deleted".into();
    Ok(json!({ "DBSnapshot": value(ctx, &snap) }))
}

pub(crate) fn restore(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let new_id = validate::identifier(
        "DBInstanceIdentifier",
        s(input, "DBInstanceIdentifier").unwrap_or(""),
    )?;
    let snap_id = s(input, "DBSnapshotIdentifier").unwrap_or("");
    let (snap_key, snap) = get(svc, ctx, snap_id)?;
    if snap.status != "available" {
        return Err(RdsError::SnapshotNotAvailable { id: snap.id }.into());
    }
    let source = &snap.instance;
    let engine = Engine::parse(&source.engine).unwrap_or(Engine::Postgres);
    let class = s(input, "DBInstanceClass")
        .unwrap_or(&source.class)
        .to_string();
    validate::class(&class, engine, &source.engine_version)?;
    let port = match int(input, "Port") {
        Some(p) => validate::port(engine, Some(p))?,
        None => source.requested_port,
    };
    let family = engine.family(&source.engine_version);
    let parameter_group = match s(input, "DBParameterGroupName") {
        Some(name) => crate::parameters::check_family(svc, ctx, name, &family)?,
        None => format!("default.{family}"),
    };
    let subnet_group = match s(input, "DBSubnetGroupName") {
        Some(name) => Some(crate::subnet_groups::get(svc, ctx, name)?.name),
        None => None,
    };
    let inst = DbInstance {
        id: new_id.clone(),
        resource_id: format!("db-{}", gureum_core::id::hex(26).to_ascii_uppercase()),
        class,
        requested_port: port,
        port: 0,
        status: "creating".into(),
        multi_az: boolean(input, "MultiAZ").unwrap_or(false),
        deletion_protection: boolean(input, "DeletionProtection").unwrap_or(false),
        parameter_group,
        parameter_apply_status: "in-sync".into(),
        subnet_group,
        vpc_security_groups: strings(input, "VpcSecurityGroupIds"),
        publicly_accessible: boolean(input, "PubliclyAccessible").unwrap_or(false),
        copy_tags_to_snapshot: boolean(input, "CopyTagsToSnapshot").unwrap_or(false),
        tags: crate::tags::parse(input),
        created_ms: ctx.clock.now_millis(),
        pending: Pending::default(),
        replica_source: None,
        master_secret: None,
        storage_type: s(input, "StorageType")
            .unwrap_or(&source.storage_type)
            .to_string(),
        ..source.clone()
    };
    let key = Scope::regional(ctx).key(&new_id);
    crate::instances::insert(svc, &key, &inst)?;
    let launch = crate::instances::launch_for(svc, &ctx.account_id, &ctx.region, &inst);
    svc.engines.launch(
        key,
        launch,
        Some(crate::engine::Seed::Copy(
            svc.engines.snapshot_dir(&snap_key),
        )),
    );
    Ok(json!({ "DBInstance": crate::output::instance(svc, ctx, &inst) }))
}
