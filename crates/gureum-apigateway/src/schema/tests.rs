use super::{check, validate};
use serde_json::json;

fn no_models(_: &str) -> Option<gureum_core::Value> {
    None
}

#[test]
fn a_conforming_body_has_no_errors() {
    let schema = json!({"type": "object", "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1}, "age": {"type": "integer", "minimum": 0}}});
    assert!(validate(&schema, &json!({"name": "rex", "age": 3}), &no_models).is_empty());
}

#[test]
fn missing_required_properties_are_listed_sorted() {
    let schema = json!({"type": "object", "required": ["b", "a"]});
    assert_eq!(
        validate(&schema, &json!({}), &no_models),
        vec![r#"object has missing required properties (["a","b"])"#]
    );
}

#[test]
fn a_wrong_type_names_the_allowed_types() {
    let schema = json!({"properties": {"age": {"type": "integer"}}});
    assert_eq!(
        validate(&schema, &json!({"age": "x"}), &no_models),
        vec![
            r#"instance type (string) does not match any allowed primitive type (allowed: ["integer"])"#
        ]
    );
}

#[test]
fn integers_are_numbers_but_fractions_are_not_integers() {
    assert!(validate(&json!({"type": "number"}), &json!(3), &no_models).is_empty());
    assert_eq!(
        validate(&json!({"type": "integer"}), &json!(1.5), &no_models).len(),
        1
    );
}

#[test]
fn draft4_exclusive_minimum_is_a_boolean() {
    let schema = json!({"minimum": 0, "exclusiveMinimum": true});
    assert_eq!(validate(&schema, &json!(0), &no_models).len(), 1);
    assert!(validate(&schema, &json!(1), &no_models).is_empty());
}

#[test]
fn additional_properties_false_refuses_extras() {
    let schema = json!({"properties": {"a": {}}, "additionalProperties": false});
    assert_eq!(
        validate(&schema, &json!({"a": 1, "z": 2}), &no_models),
        vec![r#"object instance has properties which are not allowed by the schema: ["z"]"#]
    );
}

#[test]
fn enum_pattern_and_lengths_apply_to_strings() {
    let schema = json!({"enum": ["cat", "dog"]});
    assert_eq!(validate(&schema, &json!("cow"), &no_models).len(), 1);
    let schema = json!({"pattern": "^[a-z]+$", "maxLength": 3});
    assert_eq!(validate(&schema, &json!("ABCD"), &no_models).len(), 2);
}

#[test]
fn arrays_check_items_counts_and_uniqueness() {
    let schema = json!({"items": {"type": "integer"}, "minItems": 1, "uniqueItems": true});
    assert!(validate(&schema, &json!([1, 2]), &no_models).is_empty());
    assert_eq!(validate(&schema, &json!([]), &no_models).len(), 1);
    assert_eq!(validate(&schema, &json!([1, 1, "x"]), &no_models).len(), 2);
}

#[test]
fn combinators_need_their_matches() {
    let one = json!({"oneOf": [{"type": "string"}, {"maxLength": 2}]});
    assert!(validate(&one, &json!("abc"), &no_models).is_empty());
    assert_eq!(validate(&one, &json!("ab"), &no_models).len(), 1);
    let not = json!({"not": {"type": "null"}});
    assert_eq!(validate(&not, &json!(null), &no_models).len(), 1);
}

#[test]
fn refs_reach_definitions_and_other_models() {
    let schema = json!({"definitions": {"id": {"type": "string"}}, "properties": {
        "id": {"$ref": "#/definitions/id"},
        "pet": {"$ref": "https://apigateway.amazonaws.com/restapis/a/models/Pet"}}});
    let resolve = |url: &str| url.ends_with("/Pet").then(|| json!({"required": ["name"]}));
    assert!(validate(&schema, &json!({"id": "x", "pet": {"name": "n"}}), &resolve).is_empty());
    assert_eq!(
        validate(&schema, &json!({"id": 1, "pet": {}}), &resolve).len(),
        2
    );
}

#[test]
fn a_self_referencing_schema_stops() {
    let schema =
        json!({"definitions": {"a": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"});
    assert_eq!(validate(&schema, &json!(1), &no_models).len(), 1);
}

#[test]
fn malformed_schemas_are_refused() {
    assert!(check(&json!({"type": "object"})).is_ok());
    assert!(check(&json!([])).is_err());
    assert!(check(&json!({"type": "thing"})).is_err());
    assert!(check(&json!({"required": "name"})).is_err());
    assert!(check(&json!({"properties": {"a": {"minLength": -1}}})).is_err());
    assert!(check(&json!({"pattern": "("})).is_err());
}
