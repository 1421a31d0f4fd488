//! DB instances: create, describe, modify, delete, stop, start, reboot.

use crate::catalog::Engine;
use crate::engine::Launch;
use crate::errors::{invalid_combination, invalid_value};
use crate::{boolean, int, s, strings, validate, DbInstance, Pending, RdsError, RdsService};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::{filter, paging};
use serde_json::json;

/// Statuses whose engine should run (restarted when Gureum starts).
const RUNNING: &[&str] = &[
    "available",
    "creating",
    "starting",
    "rebooting",
    "backing-up",
    "modifying",
];

pub(crate) fn create(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = validate::identifier(
        "DBInstanceIdentifier",
        s(input, "DBInstanceIdentifier").unwrap_or(""),
    )?;
    let engine = validate::engine(s(input, "Engine").unwrap_or(""))?;
    let version = validate::version(engine, s(input, "EngineVersion"))?;
    let class = s(input, "DBInstanceClass").unwrap_or("");
    validate::class(class, engine, &version)?;
    let user = validate::master_username(engine, s(input, "MasterUsername"))?;
    let managed = boolean(input, "ManageMasterUserPassword") == Some(true);
    let password = if managed {
        if s(input, "MasterUserPassword").is_some() {
            return Err(invalid_combination(
                "Can't specify both MasterUserPassword and ManageMasterUserPassword.",
            ));
        }
        // Letters and digits: valid for every engine's password rules.
        format!(
            "{}{}",
            gureum_core::id::hex(16),
            gureum_core::id::hex(12).to_ascii_uppercase()
        )
    } else {
        validate::master_password(engine, s(input, "MasterUserPassword"))?
    };
    let iops = int(input, "Iops");
    let storage_type = s(input, "StorageType")
        .unwrap_or(if iops.is_some() { "io1" } else { "gp2" })
        .to_string();
    let storage = validate::storage(engine, &storage_type, int(input, "AllocatedStorage"))?;
    let db_name = validate::db_name(engine, s(input, "DBName"))?;
    let port = validate::port(engine, int(input, "Port"))?;
    let retention = validate::backup_retention(int(input, "BackupRetentionPeriod"))?;
    let multi_az = boolean(input, "MultiAZ").unwrap_or(false);
    if multi_az && s(input, "AvailabilityZone").is_some() {
        return Err(invalid_combination(
            "Requesting a specific availability zone is not valid for Multi-AZ instances.",
        ));
    }
    let family = engine.family(&version);
    let parameter_group = match s(input, "DBParameterGroupName") {
        Some(name) => crate::parameters::check_family(svc, ctx, name, &family)?,
        None => format!("default.{family}"),
    };
    let subnet_group = match s(input, "DBSubnetGroupName") {
        Some(name) => Some(crate::subnet_groups::get(svc, ctx, name)?.name),
        None => None,
    };
    let az = s(input, "AvailabilityZone")
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}a", ctx.region));
    let now = ctx.clock.now_millis();
    let inst = DbInstance {
        id: id.clone(),
        resource_id: format!("db-{}", gureum_core::id::hex(26).to_ascii_uppercase()),
        engine: engine.name().into(),
        engine_version: version,
        class: class.into(),
        storage_type,
        allocated_storage: storage,
        iops,
        master_username: user,
        master_password: password,
        db_name,
        requested_port: port,
        port: 0,
        status: "creating".into(),
        multi_az,
        az,
        backup_retention: retention,
        deletion_protection: boolean(input, "DeletionProtection").unwrap_or(false),
        parameter_group,
        parameter_apply_status: "in-sync".into(),
        subnet_group,
        vpc_security_groups: strings(input, "VpcSecurityGroupIds"),
        publicly_accessible: boolean(input, "PubliclyAccessible").unwrap_or(false),
        copy_tags_to_snapshot: boolean(input, "CopyTagsToSnapshot").unwrap_or(false),
        storage_encrypted: boolean(input, "StorageEncrypted").unwrap_or(false),
        tags: crate::tags::parse(input),
        created_ms: now,
        pending: Pending::default(),
        backup_window: s(input, "PreferredBackupWindow")
            .unwrap_or("03:00-03:30")
            .into(),
        maintenance_window: s(input, "PreferredMaintenanceWindow")
            .unwrap_or("sun:05:00-sun:05:30")
            .into(),
        replica_source: None,
        master_secret: None,
    };
    let mut inst = inst;
    if managed {
        inst.master_secret = Some(manage_password(
            svc,
            ctx,
            &inst,
            s(input, "MasterUserSecretKmsKeyId"),
        )?);
    }
    let key = Scope::regional(ctx).key(&id);
    if let Err(e) = insert(svc, &key, &inst) {
        if let (Some((arn, _)), Some(secrets)) = (&inst.master_secret, svc.secrets.read().clone()) {
            secrets.delete(ctx, arn);
        }
        return Err(e);
    }
    let launch = launch_for(svc, ctx.account_id.as_str(), &ctx.region, &inst);
    svc.engines.launch(key, launch, None);
    Ok(json!({ "DBInstance": crate::output::instance(svc, ctx, &inst) }))
}

/// Keeps `inst`'s master password in a Secrets Manager secret (JSON
/// `username`/`password`); answers its ARN and KMS key. RDS names these
/// `rds!db-UUID`, but Gureum's Secrets Manager refuses `!` from callers
/// and has no service-managed path yet: `rds-db-UUID` until it does.
fn manage_password(
    svc: &RdsService,
    ctx: &RequestContext,
    inst: &DbInstance,
    kms_key: Option<&str>,
) -> Result<(String, String), AwsError> {
    let Some(secrets) = svc.secrets.read().clone() else {
        return Err(AwsError::not_implemented(
            "rds",
            "ManageMasterUserPassword without Secrets Manager",
        ));
    };
    let name = format!("rds-db-{}", gureum_core::id::uuid_v4());
    let secret =
        json!({"username": inst.master_username, "password": inst.master_password}).to_string();
    let arn = secrets.create(ctx, &name, &secret, kms_key)?;
    Ok((
        arn,
        kms_key.unwrap_or("alias/aws/secretsmanager").to_string(),
    ))
}

/// Stores a new instance, refusing a taken identifier in the same write.
pub(crate) fn insert(svc: &RdsService, key: &str, inst: &DbInstance) -> Result<(), AwsError> {
    svc.store.write(|txn| -> Result<(), AwsError> {
        if txn.get(&svc.instances, key)?.is_some() {
            return Err(RdsError::DbInstanceAlreadyExists.into());
        }
        txn.put(&svc.instances, key, inst)?;
        Ok(())
    })
}

/// What the engine of `inst` starts with: its user, ports to try (the
/// last one it had, then the one asked for) and its parameter group.
pub(crate) fn launch_for(
    svc: &RdsService,
    account: &str,
    region: &str,
    inst: &DbInstance,
) -> Launch {
    let engine = Engine::parse(&inst.engine).unwrap_or(Engine::Postgres);
    Launch {
        engine,
        user: inst.master_username.clone(),
        password: inst.master_password.clone(),
        db_name: inst.db_name.clone(),
        ports: vec![inst.port, inst.requested_port],
        params: crate::parameters::values(svc, account, region, &inst.parameter_group),
    }
}

/// Starts the engines of instances that were running when Gureum stopped.
pub(crate) fn resume_all(svc: &RdsService) {
    let Ok(all) = svc.instances.scan_prefix("") else {
        return;
    };
    // Work a stop of Gureum cut short: its engine is gone with it.
    if let Ok(snaps) = svc.snapshots.scan_prefix("") {
        for (key, _) in snaps.into_iter().filter(|(_, s)| s.status == "creating") {
            let cut = std::io::Error::other("Gureum stopped during the copy");
            crate::snapshots::finish(&svc.store, &svc.snapshots, &key, Err(cut));
        }
    }
    for (key, inst) in all {
        if svc.engines.is_running(&key) {
            continue;
        }
        match inst.status.as_str() {
            "stopping" => {
                let _ = update(svc, &key, &inst.id, |i| {
                    i.status = "stopped".into();
                    Ok(())
                });
                continue;
            }
            "deleting" => {
                svc.engines.destroy(&key);
                let _ = svc.instances.delete(&key);
                continue;
            }
            status if !RUNNING.contains(&status) => continue,
            _ => {}
        }
        let mut parts = key.splitn(3, '/');
        let (Some(account), Some(region)) = (parts.next(), parts.next()) else {
            continue;
        };
        // Not available until the engine accepts connections again.
        let inst = match update(svc, &key, &inst.id, |i| {
            if i.status == "available" {
                i.status = "starting".into();
            }
            Ok(())
        }) {
            Ok(inst) => inst,
            Err(_) => continue,
        };
        let launch = launch_for(svc, account, region, &inst);
        svc.engines.launch(key.clone(), launch, None);
    }
}

/// The instance `id` of the caller's region.
pub(crate) fn get(
    svc: &RdsService,
    ctx: &RequestContext,
    id: &str,
) -> Result<(String, DbInstance), AwsError> {
    let key = Scope::regional(ctx).key(&id.to_ascii_lowercase());
    match svc.instances.get(&key)? {
        Some(inst) => Ok((key, inst)),
        None => Err(RdsError::DbInstanceNotFound { id: id.to_string() }.into()),
    }
}

/// Changes instance `key` in one write; `f` may refuse.
pub(crate) fn update(
    svc: &RdsService,
    key: &str,
    id: &str,
    f: impl FnOnce(&mut DbInstance) -> Result<(), AwsError>,
) -> Result<DbInstance, AwsError> {
    svc.store.write(|txn| -> Result<DbInstance, AwsError> {
        let Some(mut inst) = txn.get(&svc.instances, key)? else {
            return Err(RdsError::DbInstanceNotFound { id: id.to_string() }.into());
        };
        f(&mut inst)?;
        txn.put(&svc.instances, key, &inst)?;
        Ok(inst)
    })
}

/// `MaxRecords` and `Marker` (20–100, default 100).
pub(crate) fn page_request(input: &Value) -> Result<paging::PageRequest, AwsError> {
    paging::PageRequest::new(int(input, "MaxRecords"), s(input, "Marker"), (20, 100), 100).map_err(
        |e| match e {
            paging::PagingError::SizeOutOfRange { given, .. } => invalid_value(format!(
                "Invalid value {given} for MaxRecords. Must be between 20 and 100"
            )),
            paging::PagingError::BadToken(_) => invalid_value("Invalid Marker"),
        },
    )
}

pub(crate) fn describe(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let filters = filter::parse(input, "Filters");
    if let Some(f) = filter::unsupported(
        &filters,
        &[
            "db-instance-id",
            "dbi-resource-id",
            "engine",
            "db-cluster-id",
            "domain",
        ],
    ) {
        return Err(invalid_value(format!(
            "Unrecognized filter name: {}",
            f.name
        )));
    }
    if let Some(id) = s(input, "DBInstanceIdentifier") {
        let (_, inst) = get(svc, ctx, id)?;
        return Ok(json!({ "DBInstances": [crate::output::instance(svc, ctx, &inst)] }));
    }
    let request = page_request(input)?;
    let scope = Scope::regional(ctx);
    let page = paging::page(&svc.instances, &scope.prefix(), &request, |_, inst| {
        let arn = crate::arn(ctx, "db", &inst.id);
        let keep = filter::matches_all(&filters, |name| match name {
            "db-instance-id" => vec![inst.id.clone(), arn.clone()],
            "dbi-resource-id" => vec![inst.resource_id.clone()],
            "engine" => vec![inst.engine.clone()],
            _ => vec![],
        });
        keep.then(|| crate::output::instance(svc, ctx, &inst))
    })?;
    let mut out = json!({ "DBInstances": page.items });
    if let Some(marker) = page.next_token {
        out["Marker"] = json!(marker);
    }
    Ok(out)
}

pub(crate) fn modify(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = s(input, "DBInstanceIdentifier").unwrap_or("");
    let (key, current) = get(svc, ctx, id)?;
    let engine = Engine::parse(&current.engine).unwrap_or(Engine::Postgres);
    let immediately = boolean(input, "ApplyImmediately").unwrap_or(false);
    if let Some(class) = s(input, "DBInstanceClass") {
        validate::class(class, engine, &current.engine_version)?;
    }
    let storage_type = s(input, "StorageType")
        .unwrap_or(&current.storage_type)
        .to_string();
    if s(input, "StorageType").is_some() || int(input, "AllocatedStorage").is_some() {
        let size = int(input, "AllocatedStorage").unwrap_or(current.allocated_storage);
        validate::storage(engine, &storage_type, Some(size))?;
        if size < current.allocated_storage {
            return Err(invalid_value(
                "Invalid storage size for the DB instance: the new allocated storage must be at least 10 percent greater than the current allocated storage.",
            ));
        }
    }
    let password = match s(input, "MasterUserPassword") {
        Some(p) => Some(validate::master_password(engine, Some(p))?),
        None => None,
    };
    let retention = match int(input, "BackupRetentionPeriod") {
        Some(d) => Some(validate::backup_retention(Some(d))?),
        None => None,
    };
    let new_group = match s(input, "DBParameterGroupName") {
        Some(name) => Some(crate::parameters::check_family(
            svc,
            ctx,
            name,
            &engine.family(&current.engine_version),
        )?),
        None => None,
    };
    let new_id = match s(input, "NewDBInstanceIdentifier") {
        Some(n) => Some(validate::identifier("NewDBInstanceIdentifier", n)?),
        None => None,
    };
    if new_id.is_some() {
        return Err(AwsError::not_implemented(
            "rds",
            "ModifyDBInstance with NewDBInstanceIdentifier",
        ));
    }
    let inst = update(svc, &key, id, |inst| {
        if inst.status != "available" {
            return Err(RdsError::ModifyNotAvailable.into());
        }
        if let Some(p) = &password {
            inst.master_password = p.clone();
        }
        if let Some(d) = boolean(input, "DeletionProtection") {
            inst.deletion_protection = d;
        }
        if let Some(c) = boolean(input, "CopyTagsToSnapshot") {
            inst.copy_tags_to_snapshot = c;
        }
        if gureum_core::member::member(input, "VpcSecurityGroupIds").is_some() {
            inst.vpc_security_groups = strings(input, "VpcSecurityGroupIds");
        }
        if let Some(w) = s(input, "PreferredBackupWindow") {
            inst.backup_window = w.into();
        }
        if let Some(w) = s(input, "PreferredMaintenanceWindow") {
            inst.maintenance_window = w.into();
        }
        if let Some(group) = &new_group {
            if *group != inst.parameter_group {
                // A new group is associated at once and read at the next reboot.
                inst.parameter_group = group.clone();
                inst.parameter_apply_status = "pending-reboot".into();
            }
        }
        let class = s(input, "DBInstanceClass").map(str::to_string);
        let size = int(input, "AllocatedStorage");
        let multi_az = boolean(input, "MultiAZ");
        let st = s(input, "StorageType").map(str::to_string);
        if immediately {
            if let Some(c) = class {
                inst.class = c;
            }
            if let Some(sz) = size {
                inst.allocated_storage = sz;
            }
            if let Some(d) = retention {
                inst.backup_retention = d;
            }
            if let Some(m) = multi_az {
                inst.multi_az = m;
            }
            if let Some(t) = st {
                inst.storage_type = t;
            }
        } else {
            let p = &mut inst.pending;
            p.class = class.or(p.class.take());
            p.allocated_storage = size.or(p.allocated_storage);
            p.backup_retention = retention.or(p.backup_retention);
            p.multi_az = multi_az.or(p.multi_az);
            p.storage_type = st.or(p.storage_type.take());
        }
        Ok(())
    })?;
    if let Some(p) = &password {
        let engines = svc.engines.clone();
        let (user, old, new) = (
            inst.master_username.clone(),
            current.master_password.clone(),
            p.clone(),
        );
        std::thread::spawn(move || engines.change_password(&key, &user, &old, &new));
    }
    Ok(json!({ "DBInstance": crate::output::instance(svc, ctx, &inst) }))
}

pub(crate) fn delete(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = s(input, "DBInstanceIdentifier").unwrap_or("");
    let skip = boolean(input, "SkipFinalSnapshot").unwrap_or(false);
    let final_id = match s(input, "FinalDBSnapshotIdentifier") {
        Some(f) => Some(validate::identifier("FinalDBSnapshotIdentifier", f)?),
        None => None,
    };
    let (key, current) = get(svc, ctx, id)?;
    if current.deletion_protection {
        return Err(invalid_combination(
            "Cannot delete protected DB Instance, please disable deletion protection and try again.",
        ));
    }
    if !skip && final_id.is_none() {
        return Err(invalid_combination(
            "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
        ));
    }
    if skip && final_id.is_some() {
        return Err(invalid_combination(
            "Cannot specify FinalDBSnapshotIdentifier when SkipFinalSnapshot is true.",
        ));
    }
    let snapshot = match &final_id {
        Some(sid) => Some(crate::snapshots::begin(svc, ctx, sid, &current, "manual")?),
        None => None,
    };
    let inst = update(svc, &key, id, |inst| {
        if inst.status == "deleting" {
            return Err(RdsError::AlreadyDeleting {
                id: inst.id.clone(),
            }
            .into());
        }
        inst.status = "deleting".into();
        Ok(())
    })?;
    let out = json!({ "DBInstance": crate::output::instance(svc, ctx, &inst) });
    // As on RDS, the replicas of a deleted source become standalone.
    for replica in crate::replicas::of(svc, ctx, &inst.id) {
        let replica_key = Scope::regional(ctx).key(&replica);
        if let Ok(r) = update(svc, &replica_key, &replica, |r| {
            r.replica_source = None;
            if r.status == "available" {
                r.status = "modifying".into();
            }
            Ok(())
        }) {
            if r.status == "modifying" {
                svc.engines.promote(
                    replica_key,
                    r.master_username.clone(),
                    r.master_password.clone(),
                );
            }
        }
    }
    if let (Some((arn, _)), Some(secrets)) = (&inst.master_secret, svc.secrets.read().clone()) {
        secrets.delete(ctx, arn);
    }
    let launch = launch_for(svc, &ctx.account_id, &ctx.region, &inst);
    let engines = svc.engines.clone();
    let (store, table) = (svc.store.clone(), svc.instances.clone());
    let snapshots = svc.snapshots.clone();
    // The final snapshot, the engine's end and the record's removal wait
    // on the engine: off the request.
    std::thread::spawn(move || {
        if let Some((snap_key, _)) = &snapshot {
            let result = engines.copy_data(&key, &engines.snapshot_dir(snap_key), Some(&launch));
            crate::snapshots::finish(&store, &snapshots, snap_key, result);
        }
        engines.destroy(&key);
        let _ = table.delete(&key);
    });
    Ok(out)
}

pub(crate) fn stop(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = s(input, "DBInstanceIdentifier").unwrap_or("");
    let (key, current) = get(svc, ctx, id)?;
    let snapshot_id = match s(input, "DBSnapshotIdentifier") {
        Some(sid) => Some(validate::identifier("DBSnapshotIdentifier", sid)?),
        None => None,
    };
    if current.status != "available" {
        return Err(RdsError::NotAvailable { id: current.id }.into());
    }
    // A snapshot asked for with the stop is a copy of the stopped data.
    let snapshot = match &snapshot_id {
        Some(sid) => {
            let (snap_key, _) = crate::snapshots::begin(svc, ctx, sid, &current, "manual")?;
            let (store, table) = (svc.store.clone(), svc.snapshots.clone());
            let dest = svc.engines.snapshot_dir(&snap_key);
            let done: crate::engine::Done =
                Box::new(move |result| crate::snapshots::finish(&store, &table, &snap_key, result));
            Some((dest, done))
        }
        None => None,
    };
    let inst = update(svc, &key, id, |inst| {
        if inst.status != "available" {
            return Err(RdsError::NotAvailable {
                id: inst.id.clone(),
            }
            .into());
        }
        inst.status = "stopping".into();
        Ok(())
    })?;
    svc.engines.stop(key, snapshot);
    Ok(json!({ "DBInstance": crate::output::instance(svc, ctx, &inst) }))
}

pub(crate) fn start(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = s(input, "DBInstanceIdentifier").unwrap_or("");
    let (key, _) = get(svc, ctx, id)?;
    let inst = update(svc, &key, id, |inst| {
        if inst.status != "stopped" {
            return Err(RdsError::NotStopped {
                id: inst.id.clone(),
            }
            .into());
        }
        inst.status = "starting".into();
        Ok(())
    })?;
    let launch = launch_for(svc, &ctx.account_id, &ctx.region, &inst);
    svc.engines.launch(key, launch, None);
    Ok(json!({ "DBInstance": crate::output::instance(svc, ctx, &inst) }))
}

pub(crate) fn reboot(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = s(input, "DBInstanceIdentifier").unwrap_or("");
    let (key, _) = get(svc, ctx, id)?;
    if boolean(input, "ForceFailover") == Some(true) {
        let (_, inst) = get(svc, ctx, id)?;
        if !inst.multi_az {
            return Err(invalid_combination(
                "Cannot force failover on a single AZ DB instance.",
            ));
        }
    }
    let inst = update(svc, &key, id, |inst| {
        // A reboot is how new parameters are tried after an engine refused them.
        if !matches!(
            inst.status.as_str(),
            "available" | "incompatible-parameters"
        ) {
            return Err(RdsError::NotAvailable {
                id: inst.id.clone(),
            }
            .into());
        }
        inst.status = "rebooting".into();
        Ok(())
    })?;
    let launch = launch_for(svc, &ctx.account_id, &ctx.region, &inst);
    svc.engines.reboot(key, launch);
    Ok(json!({ "DBInstance": crate::output::instance(svc, ctx, &inst) }))
}
