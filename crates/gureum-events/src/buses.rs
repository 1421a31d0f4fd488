//! Event buses: create, describe, list, delete, and the bus policy
//! (`PutPermission`, `RemovePermission`). The `default` bus always exists.

use crate::common::{bus_arn, bus_name, invalid, opt_str, req_str, secs, tag_list};
use crate::{names, Bus, EventsError, EventsService, DEFAULT_BUS};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest, PagingError};
use gureum_store::WriteTxn;
use serde_json::json;

/// The bus `name` in the caller's scope, read through `txn` (the default
/// bus exists even before it is stored).
pub(crate) fn get_in(
    svc: &EventsService,
    txn: &WriteTxn,
    ctx: &RequestContext,
    name: &str,
) -> Result<Bus, AwsError> {
    let key = Scope::regional(ctx).key(name);
    match txn.get(&svc.buses, &key)? {
        Some(bus) => Ok(bus),
        None if name == DEFAULT_BUS => Ok(default_bus()),
        None => Err(EventsError::BusNotFound {
            name: name.to_string(),
        }
        .into()),
    }
}

/// The bus `name`, read outside a write.
pub(crate) fn get(svc: &EventsService, ctx: &RequestContext, name: &str) -> Result<Bus, AwsError> {
    match svc.buses.get(&Scope::regional(ctx).key(name))? {
        Some(bus) => Ok(bus),
        None if name == DEFAULT_BUS => Ok(default_bus()),
        None => Err(EventsError::BusNotFound {
            name: name.to_string(),
        }
        .into()),
    }
}

fn default_bus() -> Bus {
    Bus {
        name: DEFAULT_BUS.to_string(),
        description: None,
        policy: None,
        created_ms: 0,
        modified_ms: 0,
        tags: Default::default(),
        config: Default::default(),
    }
}

/// The bus settings kept as given.
const CONFIG_MEMBERS: [&str; 3] = ["KmsKeyIdentifier", "DeadLetterConfig", "LogConfig"];

fn config_of(input: &Value) -> std::collections::BTreeMap<String, Value> {
    CONFIG_MEMBERS
        .iter()
        .filter_map(|m| Some((m.to_string(), input.get(*m)?.clone())))
        .collect()
}

fn render(ctx: &RequestContext, bus: &Bus) -> Value {
    let mut out = json!({"Name": bus.name, "Arn": bus_arn(ctx, &bus.name)});
    if let Some(d) = &bus.description {
        out["Description"] = json!(d);
    }
    if let Some(p) = &bus.policy {
        out["Policy"] = json!(p);
    }
    for (member, value) in &bus.config {
        out[member.as_str()] = value.clone();
    }
    if bus.created_ms > 0 {
        out["CreationTime"] = secs(bus.created_ms);
        out["LastModifiedTime"] = secs(bus.modified_ms);
    }
    out
}

/// `CreateEventBus`.
pub(crate) fn create(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = req_str(input, "Name")?;
    names::check("name", name, names::BUS_PATTERN)?;
    if name.contains('/') && opt_str(input, "EventSourceName").is_none() {
        return Err(invalid(format!(
            "Event bus name must not contain '/'. Invalid event bus name: {name}"
        )));
    }
    let now = ctx.clock.now_millis();
    let bus = Bus {
        name: name.to_string(),
        description: opt_str(input, "Description").map(str::to_string),
        policy: None,
        created_ms: now,
        modified_ms: now,
        tags: tag_list(input).into_iter().collect(),
        config: config_of(input),
    };
    let key = Scope::regional(ctx).key(name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        if name == DEFAULT_BUS || txn.get(&svc.buses, &key)?.is_some() {
            return Err(EventsError::BusExists {
                name: name.to_string(),
            }
            .into());
        }
        txn.put(&svc.buses, &key, &bus)?;
        Ok(())
    })?;
    let mut out = json!({"EventBusArn": bus_arn(ctx, name)});
    if let Some(d) = &bus.description {
        out["Description"] = json!(d);
    }
    for (member, value) in &bus.config {
        out[member.as_str()] = value.clone();
    }
    Ok(out)
}

/// `UpdateEventBus`: the description and the kept settings that are given.
pub(crate) fn update(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = bus_name(input, "Name");
    let bus = svc.store.write(|txn| -> Result<Bus, AwsError> {
        let mut bus = get_in(svc, txn, ctx, &name)?;
        if let Some(d) = opt_str(input, "Description") {
            bus.description = Some(d.to_string());
        }
        bus.config.extend(config_of(input));
        bus.modified_ms = ctx.clock.now_millis();
        if bus.created_ms == 0 {
            bus.created_ms = bus.modified_ms;
        }
        txn.put(&svc.buses, &Scope::regional(ctx).key(&name), &bus)?;
        Ok(bus)
    })?;
    let mut out = json!({"Arn": bus_arn(ctx, &name), "Name": name});
    if let Some(d) = &bus.description {
        out["Description"] = json!(d);
    }
    for (member, value) in &bus.config {
        out[member.as_str()] = value.clone();
    }
    Ok(out)
}

/// `DescribeEventBus`.
pub(crate) fn describe(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let bus = get(svc, ctx, &bus_name(input, "Name"))?;
    Ok(render(ctx, &bus))
}

/// `ListEventBuses`: the default bus first, then the others by name.
pub(crate) fn list(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let prefix = opt_str(input, "NamePrefix").unwrap_or("");
    let limit = input.get("Limit").and_then(Value::as_i64);
    let request = PageRequest::new(limit, opt_str(input, "NextToken"), (1, 100), 100)
        .map_err(paging_error)?;
    let scope = Scope::regional(ctx);
    let mut items = Vec::new();
    if request.after.is_none() && DEFAULT_BUS.starts_with(prefix) {
        let stored = svc.buses.get(&scope.key(DEFAULT_BUS))?;
        items.push(render(ctx, &stored.unwrap_or_else(default_bus)));
    }
    let page = paging::page(&svc.buses, &scope.prefix(), &request, |_, b| {
        (b.name != DEFAULT_BUS && b.name.starts_with(prefix)).then(|| render(ctx, &b))
    })?;
    items.extend(page.items);
    let mut out = json!({"EventBuses": items});
    if let Some(t) = page.next_token {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

/// A paging error as EventBridge answers it.
pub(crate) fn paging_error(e: PagingError) -> AwsError {
    match e {
        PagingError::SizeOutOfRange { given, min, max } => invalid(format!(
            "1 validation error detected: Value '{given}' at 'limit' failed to satisfy constraint: Member must have value between {min} and {max}"
        )),
        PagingError::BadToken(_) => invalid("The NextToken provided is invalid."),
    }
}

/// `DeleteEventBus`: the default bus cannot go, nor a bus with rules; an
/// absent bus is no error.
pub(crate) fn delete(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = req_str(input, "Name")?;
    if name == DEFAULT_BUS {
        return Err(invalid("Cannot delete event bus default."));
    }
    let scope = Scope::regional(ctx);
    svc.store.write(|txn| -> Result<(), AwsError> {
        let rule_prefix = scope.key(&format!("{name}|"));
        if !txn.scan_prefix(&svc.rules, &rule_prefix)?.is_empty() {
            return Err(invalid("EventBus can't be deleted since it has rules."));
        }
        txn.delete(&svc.buses, &scope.key(name))?;
        Ok(())
    })?;
    Ok(json!({}))
}

fn statements(policy: Option<&str>) -> Vec<Value> {
    policy
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|p| p.get("Statement").and_then(Value::as_array).cloned())
        .unwrap_or_default()
}

/// `PutPermission`: a whole `Policy`, or one statement letting
/// `Principal` (an account or `*`) perform `Action` on the bus.
pub(crate) fn put_permission(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = bus_name(input, "EventBusName");
    let arn = bus_arn(ctx, &name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        let mut bus = get_in(svc, txn, ctx, &name)?;
        let policy = if let Some(policy) = opt_str(input, "Policy") {
            if serde_json::from_str::<Value>(policy).map_or(true, |p| !p.is_object()) {
                return Err(invalid("Policy is not valid JSON."));
            }
            policy.to_string()
        } else {
            let (Some(action), Some(principal), Some(sid)) = (
                opt_str(input, "Action"),
                opt_str(input, "Principal"),
                opt_str(input, "StatementId"),
            ) else {
                return Err(invalid(
                    "Parameters Action, Principal and StatementId are required when Policy is not given.",
                ));
            };
            names::check("statementId", sid, names::STATEMENT_PATTERN)?;
            names::check("principal", principal, names::PRINCIPAL_PATTERN)?;
            if action != "events:PutEvents" {
                return Err(invalid(format!(
                    "Provided value in parameter 'action' is not supported: {action}"
                )));
            }
            let principal = if principal == "*" {
                json!("*")
            } else {
                json!({"AWS": format!("arn:aws:iam::{principal}:root")})
            };
            let mut statement = json!({
                "Sid": sid, "Effect": "Allow", "Principal": principal,
                "Action": action, "Resource": arn,
            });
            if let Some(cond) = input.get("Condition") {
                let key = cond.get("Key").and_then(Value::as_str).unwrap_or_default();
                let ty = cond.get("Type").and_then(Value::as_str).unwrap_or_default();
                let value = cond.get("Value").and_then(Value::as_str).unwrap_or_default();
                statement["Condition"] = json!({ ty: { key: value } });
            }
            let mut list: Vec<Value> = statements(bus.policy.as_deref())
                .into_iter()
                .filter(|s| s.get("Sid").and_then(Value::as_str) != Some(sid))
                .collect();
            list.push(statement);
            json!({"Version": "2012-10-17", "Statement": list}).to_string()
        };
        bus.policy = Some(policy);
        bus.modified_ms = ctx.clock.now_millis();
        if bus.created_ms == 0 {
            bus.created_ms = bus.modified_ms;
        }
        txn.put(&svc.buses, &Scope::regional(ctx).key(&name), &bus)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `RemovePermission`: one statement, or all of them.
pub(crate) fn remove_permission(
    svc: &EventsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = bus_name(input, "EventBusName");
    let all = input
        .get("RemoveAllPermissions")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    svc.store.write(|txn| -> Result<(), AwsError> {
        let mut bus = get_in(svc, txn, ctx, &name)?;
        if all {
            bus.policy = None;
        } else {
            let Some(sid) = opt_str(input, "StatementId") else {
                return Err(invalid(
                    "StatementId is required unless RemoveAllPermissions is true.",
                ));
            };
            let list = statements(bus.policy.as_deref());
            if !list
                .iter()
                .any(|s| s.get("Sid").and_then(Value::as_str) == Some(sid))
            {
                return Err(EventsError::StatementNotFound.into());
            }
            let rest: Vec<Value> = list
                .into_iter()
                .filter(|s| s.get("Sid").and_then(Value::as_str) != Some(sid))
                .collect();
            bus.policy = (!rest.is_empty())
                .then(|| json!({"Version": "2012-10-17", "Statement": rest}).to_string());
        }
        bus.modified_ms = ctx.clock.now_millis();
        txn.put(&svc.buses, &Scope::regional(ctx).key(&name), &bus)?;
        Ok(())
    })?;
    Ok(json!({}))
}
