//! Read replicas: a PostgreSQL standby made from a base backup of its
//! source, following it by the engine's own streaming replication.

use crate::catalog::Engine;
use crate::engine::Seed;
use crate::{boolean, int, s, strings, validate, DbInstance, Pending, RdsError, RdsService};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// The replicas of instance `id`, by identifier.
pub(crate) fn of(svc: &RdsService, ctx: &RequestContext, id: &str) -> Vec<String> {
    svc.instances
        .scan_prefix(&Scope::regional(ctx).prefix())
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, i)| i.replica_source.as_deref() == Some(id))
        .map(|(_, i)| i.id)
        .collect()
}

pub(crate) fn create(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = validate::identifier(
        "DBInstanceIdentifier",
        s(input, "DBInstanceIdentifier").unwrap_or(""),
    )?;
    let source_id = s(input, "SourceDBInstanceIdentifier").unwrap_or("");
    let (_, source) = crate::instances::get(svc, ctx, source_id)?;
    let engine = Engine::parse(&source.engine).unwrap_or(Engine::Postgres);
    if !engine.is_postgres() {
        return Err(AwsError::not_implemented(
            "rds",
            "CreateDBInstanceReadReplica of a MySQL or MariaDB instance",
        ));
    }
    if source.status != "available" {
        return Err(RdsError::NotAvailable { id: source.id }.into());
    }
    if source.backup_retention == 0 {
        return Err(RdsError::BackupsDisabled.into());
    }
    let class = s(input, "DBInstanceClass")
        .unwrap_or(&source.class)
        .to_string();
    validate::class(&class, engine, &source.engine_version)?;
    let port = match int(input, "Port") {
        Some(p) => validate::port(engine, Some(p))?,
        None => source.requested_port,
    };
    let family = engine.family(&source.engine_version);
    // A same-region replica takes its source's group unless told otherwise.
    let parameter_group = match s(input, "DBParameterGroupName") {
        Some(name) => crate::parameters::check_family(svc, ctx, name, &family)?,
        None => source.parameter_group.clone(),
    };
    let inst = DbInstance {
        id: id.clone(),
        resource_id: format!("db-{}", gureum_core::id::hex(26).to_ascii_uppercase()),
        class,
        requested_port: port,
        port: 0,
        status: "creating".into(),
        multi_az: boolean(input, "MultiAZ").unwrap_or(false),
        // A replica keeps no automated backups of its own.
        backup_retention: 0,
        deletion_protection: boolean(input, "DeletionProtection").unwrap_or(false),
        parameter_group,
        parameter_apply_status: "in-sync".into(),
        vpc_security_groups: strings(input, "VpcSecurityGroupIds"),
        publicly_accessible: boolean(input, "PubliclyAccessible").unwrap_or(false),
        tags: crate::tags::parse(input),
        created_ms: ctx.clock.now_millis(),
        pending: Pending::default(),
        replica_source: Some(source.id.clone()),
        master_secret: None,
        az: s(input, "AvailabilityZone")
            .unwrap_or(&source.az)
            .to_string(),
        ..source.clone()
    };
    let key = Scope::regional(ctx).key(&id);
    crate::instances::insert(svc, &key, &inst)?;
    let launch = crate::instances::launch_for(svc, &ctx.account_id, &ctx.region, &inst);
    let seed = Seed::Replica {
        port: source.port,
        user: source.master_username.clone(),
        password: source.master_password.clone(),
    };
    svc.engines.launch(key, launch, Some(seed));
    Ok(json!({ "DBInstance": crate::output::instance(svc, ctx, &inst) }))
}

pub(crate) fn promote(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = s(input, "DBInstanceIdentifier").unwrap_or("");
    let (key, current) = crate::instances::get(svc, ctx, id)?;
    if current.replica_source.is_none() {
        return Err(RdsError::NotAReplica { id: current.id }.into());
    }
    let retention = match int(input, "BackupRetentionPeriod") {
        Some(d) => validate::backup_retention(Some(d))?,
        None => 1,
    };
    let inst = crate::instances::update(svc, &key, id, |i| {
        if i.status != "available" {
            return Err(RdsError::NotAvailable { id: i.id.clone() }.into());
        }
        i.status = "modifying".into();
        i.replica_source = None;
        i.backup_retention = retention;
        Ok(())
    })?;
    svc.engines.promote(
        key,
        inst.master_username.clone(),
        inst.master_password.clone(),
    );
    Ok(json!({ "DBInstance": crate::output::instance(svc, ctx, &inst) }))
}
