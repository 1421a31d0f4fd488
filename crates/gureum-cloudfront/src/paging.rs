//! CloudFront's list shape, shared by every `List*` that pages by
//! `Marker`/`MaxItems`: `Marker`, `MaxItems`, `IsTruncated`, `Quantity`,
//! `Items` (left out when empty, as CloudFront does) and `NextMarker`.

use gureum_core::Value;
use serde_json::json;

/// The list for `rest` (what follows the caller's `marker`, in order): at
/// most `max` of them, each shown by `item`, with the last one's `id` as
/// `NextMarker` when more remain.
pub(crate) fn marker_list<T>(
    marker: &str,
    max: usize,
    rest: &[T],
    id: impl Fn(&T) -> String,
    item: impl Fn(&T) -> Value,
) -> Value {
    let page = &rest[..rest.len().min(max)];
    let truncated = rest.len() > max;
    let mut list = json!({
        "Marker": marker,
        "MaxItems": max,
        "IsTruncated": truncated,
        "Quantity": page.len(),
    });
    if !page.is_empty() {
        list["Items"] = Value::Array(page.iter().map(item).collect());
    }
    if truncated {
        list["NextMarker"] = json!(page.last().map(id));
    }
    list
}
