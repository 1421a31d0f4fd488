//! Query and Scan. A Query is one ordered range scan of its partition's
//! store keys (see [`crate::keys`]) between bounds made from the sort key
//! condition; a Scan walks the table's (or index's) buckets, a parallel
//! Scan segment only its share of them. `Limit` counts items read before
//! `FilterExpression`, and a page stops after 1 MB read, as in AWS.

use crate::capacity::{read_units, Consumed, Report};
use crate::errors::{invalid, validation};
use crate::expr::eval::{holds, project};
use crate::expr::parser::{parse_condition, Attrs, Cmp, Cond, Elem, Operand, Path};
use crate::expr::Kind;
use crate::items::{projection, s};
use crate::keys;
use crate::legacy;
use crate::schema::{IndexMeta, KeySchema, TableMeta};
use crate::storage::{index_base, index_key, item_key, items_base};
use crate::value::{
    item_from_json, item_from_stored, item_size, item_to_json, json_item_size, AttrValue,
};
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// Most bytes one page reads.
const PAGE_BYTES: usize = 1024 * 1024;
/// Store rows fetched per step.
const CHUNK: usize = 128;

/// The sort key part of a key condition.
#[derive(Debug)]
enum SortCond {
    Cmp(Cmp, AttrValue),
    Between(AttrValue, AttrValue),
    BeginsWith(AttrValue),
}

/// The smallest string above every string that starts with `p`, where
/// `p` ends with the `.` terminator.
fn after_prefix(p: &str) -> String {
    let mut s = p.to_string();
    s.pop();
    s.push('/');
    s
}

fn key_error(m: impl Into<String>) -> AwsError {
    validation(m)
}

/// Splits a key condition into the partition value and the sort
/// condition, with AWS's checks.
fn split_key_condition(
    cond: &Cond,
    keys: &KeySchema,
    meta: &TableMeta,
) -> Result<(AttrValue, Option<SortCond>), AwsError> {
    let mut parts = vec![];
    fn flatten<'a>(c: &'a Cond, out: &mut Vec<&'a Cond>) -> Result<(), AwsError> {
        match c {
            Cond::And(a, b) => {
                flatten(a, out)?;
                flatten(b, out)
            }
            Cond::Or(..) => Err(validation(
                "Invalid operator used in KeyConditionExpression: OR",
            )),
            Cond::Not(..) => Err(validation(
                "Invalid operator used in KeyConditionExpression: NOT",
            )),
            Cond::In(..) => Err(validation(
                "Invalid operator used in KeyConditionExpression: IN",
            )),
            Cond::Exists(_) => Err(validation(
                "Invalid operator used in KeyConditionExpression: attribute_exists",
            )),
            Cond::NotExists(_) => Err(validation(
                "Invalid operator used in KeyConditionExpression: attribute_not_exists",
            )),
            Cond::Type(..) => Err(validation(
                "Invalid operator used in KeyConditionExpression: attribute_type",
            )),
            Cond::Contains(..) => Err(validation(
                "Invalid operator used in KeyConditionExpression: contains",
            )),
            other => {
                out.push(other);
                Ok(())
            }
        }
    }
    flatten(cond, &mut parts)?;
    if parts.len() > 2 {
        return Err(key_error(
            "KeyConditionExpressions must only contain one condition per key",
        ));
    }
    let top = |p: &Path| -> Option<String> {
        match p.as_slice() {
            [Elem::Attr(a)] => Some(a.clone()),
            _ => None,
        }
    };
    let mut hash: Option<AttrValue> = None;
    let mut sort: Option<SortCond> = None;
    for c in parts {
        let (name, sc) = match c {
            Cond::Compare(Operand::Path(p), op, Operand::Value(v)) => {
                (top(p), SortCond::Cmp(*op, v.clone()))
            }
            Cond::Compare(Operand::Value(v), op, Operand::Path(p)) => {
                let flipped = match op {
                    Cmp::Lt => Cmp::Gt,
                    Cmp::Le => Cmp::Ge,
                    Cmp::Gt => Cmp::Lt,
                    Cmp::Ge => Cmp::Le,
                    o => *o,
                };
                (top(p), SortCond::Cmp(flipped, v.clone()))
            }
            Cond::Between(Operand::Path(p), Operand::Value(a), Operand::Value(b)) => {
                (top(p), SortCond::Between(a.clone(), b.clone()))
            }
            Cond::BeginsWith(Operand::Path(p), Operand::Value(v)) => {
                (top(p), SortCond::BeginsWith(v.clone()))
            }
            _ => return Err(key_error("Query key condition not supported")),
        };
        let Some(name) = name else {
            return Err(key_error("Query key condition not supported"));
        };
        let want = meta.attr_type(&name).to_string();
        let check = |v: &AttrValue| -> Result<(), AwsError> {
            if v.type_name() != want {
                return Err(invalid(
                    "Condition parameter type does not match schema type",
                ));
            }
            Ok(())
        };
        if name == keys.hash {
            let SortCond::Cmp(Cmp::Eq, v) = sc else {
                return Err(key_error("Query key condition not supported"));
            };
            if hash.is_some() {
                return Err(key_error(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            check(&v)?;
            hash = Some(v);
        } else if keys.range.as_deref() == Some(name.as_str()) {
            if sort.is_some() {
                return Err(key_error(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            match &sc {
                SortCond::Cmp(Cmp::Ne, _) => {
                    return Err(key_error("Unsupported operator on KeyCondition: NE"))
                }
                SortCond::Cmp(_, v) => check(v)?,
                SortCond::Between(a, b) => {
                    check(a)?;
                    check(b)?;
                }
                SortCond::BeginsWith(v) => {
                    if matches!(v, AttrValue::N(_)) {
                        return Err(validation(
                            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                        ));
                    }
                    check(v)?;
                }
            }
            sort = Some(sc);
        } else {
            return Err(key_error("Query key condition not supported"));
        }
    }
    let Some(h) = hash else {
        return Err(key_error(format!(
            "Query condition missed key schema element: {}",
            keys.hash
        )));
    };
    Ok((h, sort))
}

/// `[start, end)` of the store keys matching a key condition.
fn bounds(base: &str, h: &AttrValue, sort: Option<&SortCond>) -> (String, String) {
    let p = keys::partition_prefix(base, h);
    let end_all = after_prefix(&p);
    let at = |v: &AttrValue| keys::with_part(&p, v);
    match sort {
        None => (p.clone(), end_all),
        Some(SortCond::Cmp(op, v)) => match op {
            Cmp::Eq => (at(v), after_prefix(&at(v))),
            Cmp::Lt => (p.clone(), at(v)),
            Cmp::Le => (p.clone(), after_prefix(&at(v))),
            Cmp::Gt => (after_prefix(&at(v)), end_all),
            _ => (at(v), end_all),
        },
        Some(SortCond::Between(a, b)) => (at(a), after_prefix(&at(b))),
        Some(SortCond::BeginsWith(v)) => {
            let o = keys::open_part(&p, v);
            let mut e = o.clone();
            e.push('g');
            (o, e)
        }
    }
}

/// What a read returns of each item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Select {
    All,
    Projected,
    Specific,
    Count,
}

struct Plan {
    tkey: String,
    meta: std::sync::Arc<TableMeta>,
    index: Option<IndexMeta>,
    select: Select,
    proj: Option<Vec<Path>>,
    filter: Option<Cond>,
    limit: Option<usize>,
    consistent: bool,
    report: Report,
}

impl DynamoDbService {
    fn plan(
        &self,
        ctx: &RequestContext,
        input: &Value,
        attrs: &mut Attrs,
        filter_name: &str,
        legacy_filter: &str,
    ) -> Result<Plan, AwsError> {
        let (tkey, meta) = self.meta(ctx, s(input, "TableName").unwrap_or_default(), false)?;
        let index = match s(input, "IndexName") {
            Some(n) => Some(meta.index(n).cloned().ok_or_else(|| {
                validation(format!("The table does not have the specified index: {n}"))
            })?),
            None => None,
        };
        let consistent = input.get("ConsistentRead").and_then(Value::as_bool) == Some(true);
        if consistent && index.as_ref().is_some_and(|i| i.global) {
            return Err(validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        let proj = projection(input, attrs)?;
        let select = match s(input, "Select") {
            None if proj.is_some() => Select::Specific,
            None if index
                .as_ref()
                .is_some_and(|i| i.global || i.projection != "ALL") =>
            {
                Select::Projected
            }
            None | Some("ALL_ATTRIBUTES") => Select::All,
            Some("ALL_PROJECTED_ATTRIBUTES") => Select::Projected,
            Some("COUNT") => Select::Count,
            Some(_) => Select::Specific,
        };
        if proj.is_some() && select != Select::Specific {
            return Err(validation(if select == Select::Count {
                "Cannot specify the AttributesToGet when choosing to get only the Count"
            } else {
                "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"
            }));
        }
        if select == Select::Specific && proj.is_none() {
            return Err(validation(
                "Select type SPECIFIC_ATTRIBUTES requires either AttributesToGet or ProjectionExpression",
            ));
        }
        if select == Select::Projected && index.is_none() {
            return Err(validation(
                "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
            ));
        }
        if let Some(i) = &index {
            if select == Select::All && i.global && i.projection != "ALL" {
                return Err(invalid(format!(
                    "Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                    i.name
                )));
            }
        }
        let filter = match (s(input, "FilterExpression"), input.get(legacy_filter)) {
            (Some(_), Some(_)) => {
                return Err(validation(format!(
                    "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{legacy_filter}}} Expression parameters: {{{filter_name}}}"
                )))
            }
            (Some(f), None) => Some(parse_condition(f, Kind::Filter, attrs)?),
            (None, Some(l)) => legacy::conditions(l, s(input, "ConditionalOperator"))?,
            (None, None) => None,
        };
        Ok(Plan {
            tkey,
            meta,
            index,
            select,
            proj,
            filter,
            limit: input
                .get("Limit")
                .and_then(Value::as_u64)
                .map(|l| l as usize),
            consistent,
            report: Report::from_input(input),
        })
    }

    /// The store key an `ExclusiveStartKey` names.
    fn start_key(&self, plan: &Plan, input: &Value) -> Result<Option<String>, AwsError> {
        let Some(esk) = input.get("ExclusiveStartKey") else {
            return Ok(None);
        };
        let item = item_from_json(Some(esk))?;
        let bad = || {
            validation("The provided starting key is invalid: The provided key element does not match the schema")
        };
        let table_key = plan.meta.key_item(&item);
        if plan.meta.key_from(&table_key).is_err() {
            return Err(bad());
        }
        let (h, r) = plan.meta.key_from(&table_key).map_err(|_| bad())?;
        Ok(Some(match &plan.index {
            None => item_key(&plan.tkey, &h, r.as_ref()),
            Some(i) => index_key(&plan.tkey, &plan.meta, i, &item).ok_or_else(bad)?,
        }))
    }

    /// Reads `[start, end)` in order (or reversed), applying limit, page
    /// size and filter; answers the Query/Scan output.
    fn run(
        &self,
        plan: &Plan,
        start: String,
        end: String,
        forward: bool,
    ) -> Result<Value, AwsError> {
        let table = match &plan.index {
            None => &self.s.items,
            Some(_) => &self.s.index,
        };
        let limit = plan.limit.unwrap_or(usize::MAX);
        let mut scanned = 0usize;
        let mut bytes = 0usize;
        let mut out_items: Vec<Value> = vec![];
        let mut count = 0usize;
        let mut last: Option<Value> = None;
        // Without a filter, a projection or a local index to complete,
        // the stored JSON is answered as it is.
        let plain = plan.filter.is_none()
            && plan.proj.is_none()
            && plan
                .index
                .as_ref()
                .is_none_or(|i| i.global || i.projection == "ALL");
        let mut visit = |v: Value| -> Result<bool, AwsError> {
            if plain {
                scanned += 1;
                count += 1;
                bytes += json_item_size(&v);
                let full = scanned >= limit || bytes >= PAGE_BYTES;
                if full {
                    last = Some(v.clone());
                }
                if plan.select != Select::Count {
                    out_items.push(v);
                }
                return Ok(full);
            }
            let mut item = item_from_stored(&v);
            // A local index answers attributes it does not hold from the
            // table, as AWS does (at the cost of a table read).
            if let Some(i) = &plan.index {
                let needs_table = !i.global
                    && i.projection != "ALL"
                    && (plan.select == Select::All
                        || plan.proj.as_ref().is_some_and(|p| {
                            p.iter().any(|path| match path.first() {
                                Some(Elem::Attr(a)) => !i.holds(a, &plan.meta.keys),
                                _ => false,
                            })
                        }));
                if needs_table {
                    if let Ok((h, r)) = plan.meta.key_from(&plan.meta.key_item(&item)) {
                        if let Some(full) =
                            self.s.items.get(&item_key(&plan.tkey, &h, r.as_ref()))?
                        {
                            item = item_from_stored(&full);
                        }
                    }
                }
            }
            scanned += 1;
            bytes += item_size(&item);
            let keep = match &plan.filter {
                Some(f) => holds(f, &item)?,
                None => true,
            };
            if keep {
                count += 1;
                if plan.select != Select::Count {
                    out_items.push(match &plan.proj {
                        Some(p) => item_to_json(&project(&item, p)),
                        None => item_to_json(&item),
                    });
                }
            }
            let full = scanned >= limit || bytes >= PAGE_BYTES;
            if full {
                last = Some(v);
            }
            Ok(full)
        };
        let mut stopped = false;
        if forward {
            let mut cursor = start;
            let mut taken = 0usize;
            'outer: loop {
                // Never decode more rows than the limit can still take.
                let want = CHUNK.min(limit.saturating_sub(taken)).max(1);
                let batch = table.scan_range(&cursor, Some(&end), want)?;
                let n = batch.len();
                taken += n;
                let last_key = batch.last().map(|(k, _)| format!("{k}\u{0}"));
                for (_, v) in batch {
                    if visit(v)? {
                        stopped = true;
                        break 'outer;
                    }
                }
                if let Some(k) = last_key {
                    cursor = k;
                }
                if n < want {
                    break;
                }
            }
        } else {
            // Backwards from the end, a chunk at a time: a descending
            // Query reads only what it answers, as an ascending one does.
            let mut cursor = end;
            let mut taken = 0usize;
            'back: loop {
                let want = CHUNK.min(limit.saturating_sub(taken)).max(1);
                let batch = table.scan_range_rev(&start, &cursor, want)?;
                let n = batch.len();
                taken += n;
                let first_key = batch.last().map(|(k, _)| k.clone());
                for (_, v) in batch {
                    if visit(v)? {
                        stopped = true;
                        break 'back;
                    }
                }
                if let Some(k) = first_key {
                    cursor = k;
                }
                if n < want {
                    break;
                }
            }
        }
        let mut out = json!({"Count": count, "ScannedCount": scanned});
        if plan.select != Select::Count {
            out["Items"] = Value::Array(out_items);
        }
        if stopped {
            if let Some(item) = last.map(|v| item_from_stored(&v)) {
                let mut lek = plan.meta.key_item(&item);
                if let Some(i) = &plan.index {
                    for n in i.keys.names() {
                        if let Some(v) = item.get(n) {
                            lek.insert(n.to_string(), v.clone());
                        }
                    }
                }
                out["LastEvaluatedKey"] = item_to_json(&lek);
            }
        }
        let units = read_units(bytes, plan.consistent);
        let mut c = Consumed {
            table: plan.meta.name.clone(),
            read: true,
            ..Default::default()
        };
        // An index read is charged to the index.
        match &plan.index {
            Some(i) if i.global => c.gsis.push((i.name.clone(), units)),
            Some(i) => c.lsis.push((i.name.clone(), units)),
            None => c.table_units = units,
        }
        if let Some(v) = c.to_json(plan.report) {
            out["ConsumedCapacity"] = v;
        }
        Ok(out)
    }

    /// `Query`.
    pub(crate) fn query(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let mut attrs = Attrs::from_input(&input)?;
        let key_cond = match (s(&input, "KeyConditionExpression"), input.get("KeyConditions")) {
            (Some(_), Some(_)) => return Err(validation(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}",
            )),
            (Some(k), None) => parse_condition(k, Kind::KeyCondition, &mut attrs)?,
            (None, Some(k)) => legacy::conditions(k, None)?.ok_or_else(|| {
                validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
            })?,
            (None, None) => return Err(validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            )),
        };
        let plan = self.plan(ctx, &input, &mut attrs, "FilterExpression", "QueryFilter")?;
        attrs.check_unused(
            [
                "KeyConditionExpression",
                "FilterExpression",
                "ProjectionExpression",
            ]
            .iter()
            .any(|k| input.get(*k).is_some()),
        )?;
        let keys = plan.index.as_ref().map_or(&plan.meta.keys, |i| &i.keys);
        let (h, sort) = split_key_condition(&key_cond, keys, &plan.meta)?;
        let counted = match &plan.index {
            Some(i) if i.global => format!("{}/{}", plan.tkey, i.name),
            _ => plan.tkey.clone(),
        };
        self.contribute(&counted, &h, None, ctx.clock.now_millis());
        if let Some(f) = &plan.filter {
            check_filter_keys(f, keys)?;
        }
        let base = match &plan.index {
            None => items_base(&plan.tkey),
            Some(i) => index_base(&plan.tkey, &i.name),
        };
        let (mut start, mut end) = bounds(&base, &h, sort.as_ref());
        let forward = input.get("ScanIndexForward").and_then(Value::as_bool) != Some(false);
        if let Some(k) = self.start_key(&plan, &input)? {
            if forward {
                start = start.max(format!("{k}\u{0}"));
            } else {
                end = end.min(k);
            }
        }
        if start >= end {
            return self.run(&plan, start.clone(), start, true);
        }
        self.run(&plan, start, end, forward)
    }

    /// `Scan`, with `Segment`/`TotalSegments`.
    pub(crate) fn scan(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let mut attrs = Attrs::from_input(&input)?;
        let plan = self.plan(ctx, &input, &mut attrs, "FilterExpression", "ScanFilter")?;
        attrs.check_unused(
            ["FilterExpression", "ProjectionExpression"]
                .iter()
                .any(|k| input.get(*k).is_some()),
        )?;
        let seg = input.get("Segment").and_then(Value::as_u64);
        let total = input.get("TotalSegments").and_then(Value::as_u64);
        let (lo, hi) = match (seg, total) {
            (None, None) => (0, keys::BUCKETS),
            (Some(_), None) => return Err(validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            )),
            (None, Some(_)) => return Err(validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            )),
            (Some(sg), Some(t)) => {
                if sg >= t {
                    return Err(validation(format!(
                        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {sg} is not less than TotalSegments: {t}"
                    )));
                }
                let b = u64::from(keys::BUCKETS);
                ((sg * b / t) as u32, ((sg + 1) * b / t) as u32)
            }
        };
        let base = match &plan.index {
            None => items_base(&plan.tkey),
            Some(i) => index_base(&plan.tkey, &i.name),
        };
        let mut start = keys::bucket_start(&base, lo);
        let end = if hi >= keys::BUCKETS {
            format!("{base}g")
        } else {
            keys::bucket_start(&base, hi)
        };
        if let Some(k) = self.start_key(&plan, &input)? {
            start = start.max(format!("{k}\u{0}"));
        }
        self.run(&plan, start, end, true)
    }
}

/// A Query filter may not name key attributes.
fn check_filter_keys(f: &Cond, keys: &KeySchema) -> Result<(), AwsError> {
    let mut paths: Vec<&Path> = vec![];
    fn walk<'a>(c: &'a Cond, out: &mut Vec<&'a Path>) {
        let op = |o: &'a Operand, out: &mut Vec<&'a Path>| {
            if let Operand::Path(p) | Operand::Size(p) = o {
                out.push(p);
            }
        };
        match c {
            Cond::Compare(a, _, b) | Cond::BeginsWith(a, b) | Cond::Contains(a, b) => {
                op(a, out);
                op(b, out);
            }
            Cond::Between(a, b, d) => {
                op(a, out);
                op(b, out);
                op(d, out);
            }
            Cond::In(a, l) => {
                op(a, out);
                for x in l {
                    op(x, out);
                }
            }
            Cond::And(a, b) | Cond::Or(a, b) => {
                walk(a, out);
                walk(b, out);
            }
            Cond::Not(a) => walk(a, out),
            Cond::Exists(p) | Cond::NotExists(p) | Cond::Type(p, _) => out.push(p),
        }
    }
    walk(f, &mut paths);
    for p in paths {
        if let Some(Elem::Attr(a)) = p.first() {
            if keys.names().any(|k| k == a) {
                return Err(validation(format!(
                    "Filter Expression can only contain non-primary key attributes: Primary key attribute: {a}"
                )));
            }
        }
    }
    Ok(())
}
