//! DynamoDB: tables, and an item explorer (scan, or query by partition
//! key) showing items a page at a time, with items put (DynamoDB JSON in
//! an editor) and deleted from their rows.

use crate::html::{esc, list, s, table, url};
use crate::ui::{error_banner, Page, Ui};
use serde_json::{json, Value};
use std::fmt::Write;

/// GET routes under `/_console/dynamodb`.
pub async fn get(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/dynamodb" => tables(ui).await,
        "/dynamodb/table" => explore(ui, None).await,
        _ => None,
    }
}

/// POST routes under `/_console/dynamodb`.
pub async fn post(ui: &Ui<'_>, sub: &str) -> Page {
    let name = ui.form.get("table");
    let back = format!("/_console/dynamodb/table?name={}", url(name));
    let (op, member, text, done) = match sub {
        "/dynamodb/put-item" => ("PutItem", "Item", ui.form.get("item"), "Saved the item."),
        "/dynamodb/delete-item" => ("DeleteItem", "Key", ui.form.get("key"), "Deleted the item."),
        _ => return None,
    };
    let value = match serde_json::from_str::<Value>(text) {
        Ok(v) if v.is_object() => v,
        Ok(_) => return explore(
            ui,
            Some(
                "The item must be a JSON object of attributes, such as {\"pk\": {\"S\": \"a\"}}."
                    .into(),
            ),
        )
        .await,
        Err(e) => return explore(ui, Some(format!("The item is not valid JSON: {e}"))).await,
    };
    match ui
        .call("dynamodb", op, json!({ "TableName": name, member: value }))
        .await
    {
        Ok(_) => ui.done(&back, done),
        Err(e) => explore(ui, Some(format!("{}: {}", e.code, e.message))).await,
    }
}

async fn tables(ui: &Ui<'_>) -> Page {
    let out = match ui.call("dynamodb", "ListTables", json!({})).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "dynamodb", "/_console/")),
    };
    let rows: Vec<Vec<String>> = list(&out, "TableNames")
        .iter()
        .filter_map(|t| t.as_str())
        .map(|t| {
            vec![format!(
                "<a href=\"/_console/dynamodb/table?name={}\">{}</a>",
                url(t),
                esc(t)
            )]
        })
        .collect();
    let mut body = table("Tables", &["Name"], &rows);
    if out.get("LastEvaluatedTableName").is_some() {
        body.push_str("<p class=\"hint\">The first 100 tables are listed.</p>");
    }
    Some(ui.page(200, "DynamoDB tables", "dynamodb", &body))
}

/// A key attribute's value as DynamoDB JSON of its declared type.
fn typed(kind: &str, value: &str) -> Value {
    json!({ kind: value })
}

/// The explorer; `failed` is a refused put or delete, shown above it
/// with the editor's text kept.
async fn explore(ui: &Ui<'_>, failed: Option<String>) -> Page {
    let name = match ui.query.get("name") {
        "" => ui.form.get("table"),
        n => n,
    };
    let described = match ui
        .call("dynamodb", "DescribeTable", json!({ "TableName": name }))
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "dynamodb", "/_console/dynamodb")),
    };
    let t = &described["Table"];
    let hash = list(t, "KeySchema")
        .iter()
        .find(|k| s(k, "KeyType") == "HASH")
        .map(|k| s(k, "AttributeName"))
        .unwrap_or("");
    let range = list(t, "KeySchema")
        .iter()
        .find(|k| s(k, "KeyType") == "RANGE")
        .map(|k| s(k, "AttributeName"));
    let hash_type = list(t, "AttributeDefinitions")
        .iter()
        .find(|a| s(a, "AttributeName") == hash)
        .map(|a| s(a, "AttributeType"))
        .unwrap_or("S");
    let pk = ui.query.get("pk");
    let mut input = json!({ "TableName": name, "Limit": 50 });
    if let Ok(start) = serde_json::from_str::<Value>(ui.query.get("start")) {
        input["ExclusiveStartKey"] = start;
    }
    let (op, mode) = if pk.is_empty() {
        ("Scan", "Scan")
    } else {
        input["KeyConditionExpression"] = json!("#k = :v");
        input["ExpressionAttributeNames"] = json!({ "#k": hash });
        input["ExpressionAttributeValues"] = json!({ ":v": typed(hash_type, pk) });
        ("Query", "Query")
    };
    let mut body = ui.notice();
    if let Some(message) = &failed {
        let _ = write!(
            body,
            "<div class=\"error\" role=\"alert\">{}</div>",
            esc(message)
        );
    }
    let _ = write!(
        body,
        "<p>{} items · key <code>{}</code> ({}) · status {}</p>",
        t.get("ItemCount")
            .map(|v| v.to_string())
            .unwrap_or_default(),
        esc(hash),
        esc(hash_type),
        esc(s(t, "TableStatus"))
    );
    let _ = write!(
        body,
        "<form method=\"get\" action=\"/_console/dynamodb/table\" class=\"panel\"><input type=\"hidden\" name=\"name\" value=\"{}\">\
         <label for=\"pk\">Query by {} (empty: scan)</label><input type=\"text\" id=\"pk\" name=\"pk\" value=\"{}\"> <button type=\"submit\">Run</button></form>",
        esc(name),
        esc(hash),
        esc(pk)
    );
    match ui.call("dynamodb", op, input).await {
        Ok(out) => {
            let items = list(&out, "Items");
            // The key attributes first, then the others by name.
            let keys: Vec<&str> = std::iter::once(hash).chain(range).collect();
            let mut others: Vec<&str> = items
                .iter()
                .filter_map(|i| i.as_object())
                .flat_map(|m| m.keys().map(String::as_str))
                .filter(|k| !keys.contains(k))
                .collect();
            others.sort_unstable();
            others.dedup();
            let mut columns = keys;
            columns.extend(others);
            columns.truncate(12);
            let key_names: Vec<&str> = std::iter::once(hash).chain(range).collect();
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|item| {
                    let mut row: Vec<String> = columns
                        .iter()
                        .map(|c| {
                            item.get(*c)
                                .map(|v| esc(&attribute(v)).to_string())
                                .unwrap_or_default()
                        })
                        .collect();
                    let key: serde_json::Map<String, Value> = key_names
                        .iter()
                        .filter_map(|k| Some((k.to_string(), item.get(*k)?.clone())))
                        .collect();
                    row.push(ui.button(
                        "/_console/dynamodb/delete-item",
                        &[("table", name), ("key", &Value::Object(key).to_string())],
                        "Delete",
                        true,
                    ));
                    row
                })
                .collect();
            columns.push("Actions");
            body.push_str(&table(
                &format!("{mode} results ({} items)", items.len()),
                &columns,
                &rows,
            ));
            if let Some(last) = out.get("LastEvaluatedKey") {
                let _ = write!(
                    body,
                    "<p><a href=\"/_console/dynamodb/table?name={}&amp;pk={}&amp;start={}\">Next page</a></p>",
                    url(name),
                    url(pk),
                    url(&last.to_string())
                );
            }
        }
        Err(e) => body.push_str(&error_banner(&e)),
    }
    let example = format!("{{\"{hash}\": {{\"{hash_type}\": \"\"}}}}");
    let item = match ui.form.get("item") {
        "" => example.as_str(),
        i => i,
    };
    body.push_str("<h2>Put an item</h2>");
    body.push_str(&ui.form(
        "/_console/dynamodb/put-item",
        "panel",
        &format!(
            "<input type=\"hidden\" name=\"table\" value=\"{}\"><label for=\"item\">Item (DynamoDB JSON)</label>\
             <textarea id=\"item\" name=\"item\" data-json spellcheck=\"false\" aria-describedby=\"item-status\">{}</textarea>\
             <p id=\"item-status\" class=\"hint\" aria-live=\"polite\"></p><button type=\"submit\">Put item</button>",
            esc(name),
            esc(item)
        ),
    ));
    let status = if failed.is_some() { 400 } else { 200 };
    Some(ui.page(status, &format!("Table {name}"), "dynamodb", &body))
}

/// An attribute value, short: scalars bare, the rest as DynamoDB JSON.
fn attribute(v: &Value) -> String {
    if let Some((kind, inner)) = v.as_object().and_then(|m| m.iter().next()) {
        if matches!(kind.as_str(), "S" | "N") {
            return inner.as_str().unwrap_or("").to_string();
        }
        if kind == "BOOL" {
            return inner.to_string();
        }
    }
    v.to_string()
}
