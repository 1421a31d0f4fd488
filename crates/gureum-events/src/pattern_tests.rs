//! The pattern language's rules, one test each.

use super::Pattern;
use serde_json::{json, Value};

fn event(detail: Value) -> Value {
    json!({
        "version": "0", "id": "1", "detail-type": "Order Placed", "source": "shop.orders",
        "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-1"], "detail": detail
    })
}

fn matches(pattern: Value, detail: Value) -> bool {
    Pattern::from_value(&pattern)
        .expect("valid pattern")
        .matches(&event(detail))
}

fn reason(pattern: &str) -> String {
    Pattern::parse(pattern).expect_err("an invalid pattern")
}

#[test]
fn an_exact_string_matches_only_the_same_string() {
    assert!(matches(json!({"source": ["shop.orders"]}), json!({})));
    assert!(!matches(json!({"source": ["shop.other"]}), json!({})));
    assert!(!matches(json!({"source": ["SHOP.ORDERS"]}), json!({})));
}

#[test]
fn values_in_an_array_are_alternatives() {
    assert!(matches(json!({"source": ["a", "shop.orders"]}), json!({})));
}

#[test]
fn fields_are_all_required() {
    assert!(matches(
        json!({"source": ["shop.orders"], "detail-type": ["Order Placed"]}),
        json!({})
    ));
    assert!(!matches(
        json!({"source": ["shop.orders"], "detail-type": ["Other"]}),
        json!({})
    ));
}

#[test]
fn nested_objects_descend_into_the_event() {
    let p = json!({"detail": {"order": {"state": ["paid"]}}});
    assert!(matches(p.clone(), json!({"order": {"state": "paid"}})));
    assert!(!matches(p.clone(), json!({"order": {"state": "new"}})));
    assert!(!matches(p, json!({"order": "paid"})));
}

#[test]
fn a_missing_field_does_not_match() {
    assert!(!matches(json!({"detail": {"state": ["paid"]}}), json!({})));
}

#[test]
fn an_event_array_matches_when_any_element_does() {
    assert!(matches(
        json!({"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-1"]}),
        json!({})
    ));
    assert!(matches(
        json!({"detail": {"tags": ["b"]}}),
        json!({"tags": ["a", "b"]})
    ));
    assert!(matches(
        json!({"detail": {"items": {"sku": ["x"]}}}),
        json!({"items": [{"sku": "y"}, {"sku": "x"}]})
    ));
}

#[test]
fn numbers_match_numerically_and_not_as_strings() {
    assert!(matches(json!({"detail": {"n": [5]}}), json!({"n": 5.0})));
    assert!(!matches(json!({"detail": {"n": [5]}}), json!({"n": "5"})));
    assert!(!matches(json!({"detail": {"n": ["5"]}}), json!({"n": 5})));
}

#[test]
fn null_and_booleans_match_exactly() {
    assert!(matches(
        json!({"detail": {"x": [null]}}),
        json!({"x": null})
    ));
    assert!(!matches(json!({"detail": {"x": [null]}}), json!({})));
    assert!(matches(
        json!({"detail": {"b": [true]}}),
        json!({"b": true})
    ));
    assert!(!matches(
        json!({"detail": {"b": [true]}}),
        json!({"b": "true"})
    ));
}

#[test]
fn prefix_matches_the_start_of_a_string() {
    let p = json!({"detail": {"r": [{"prefix": "us-"}]}});
    assert!(matches(p.clone(), json!({"r": "us-east-1"})));
    assert!(!matches(p.clone(), json!({"r": "eu-west-1"})));
    assert!(!matches(p, json!({"r": 5})));
}

#[test]
fn prefix_equals_ignore_case_ignores_case() {
    let p = json!({"detail": {"r": [{"prefix": {"equals-ignore-case": "US-"}}]}});
    assert!(matches(p, json!({"r": "us-east-1"})));
}

#[test]
fn suffix_matches_the_end_of_a_string() {
    let p = json!({"detail": {"f": [{"suffix": ".png"}]}});
    assert!(matches(p.clone(), json!({"f": "a.png"})));
    assert!(!matches(p, json!({"f": "a.PNG"})));
    let ci = json!({"detail": {"f": [{"suffix": {"equals-ignore-case": ".png"}}]}});
    assert!(matches(ci, json!({"f": "a.PNG"})));
}

#[test]
fn equals_ignore_case_matches_regardless_of_case() {
    let p = json!({"detail": {"n": [{"equals-ignore-case": "alice"}]}});
    assert!(matches(p.clone(), json!({"n": "ALIce"})));
    assert!(!matches(p, json!({"n": "bob"})));
}

#[test]
fn anything_but_a_value_matches_every_other_value() {
    let p = json!({"detail": {"s": [{"anything-but": "stopped"}]}});
    assert!(matches(p.clone(), json!({"s": "running"})));
    assert!(!matches(p.clone(), json!({"s": "stopped"})));
    assert!(!matches(p, json!({})), "anything-but needs the field");
}

#[test]
fn anything_but_a_list_excludes_every_listed_value() {
    let p = json!({"detail": {"s": [{"anything-but": ["a", "b", 3]}]}});
    assert!(!matches(p.clone(), json!({"s": "a"})));
    assert!(!matches(p.clone(), json!({"s": 3})));
    assert!(matches(p, json!({"s": "c"})));
}

#[test]
fn anything_but_prefix_and_suffix_exclude_by_affix() {
    let p = json!({"detail": {"s": [{"anything-but": {"prefix": "init"}}]}});
    assert!(!matches(p.clone(), json!({"s": "initializing"})));
    assert!(matches(p, json!({"s": "running"})));
    let p = json!({"detail": {"s": [{"anything-but": {"suffix": ".tmp"}}]}});
    assert!(!matches(p.clone(), json!({"s": "a.tmp"})));
    assert!(matches(p, json!({"s": "a.txt"})));
}

#[test]
fn anything_but_equals_ignore_case_and_wildcard_exclude() {
    let p = json!({"detail": {"s": [{"anything-but": {"equals-ignore-case": ["Stopped", "x"]}}]}});
    assert!(!matches(p.clone(), json!({"s": "STOPPED"})));
    assert!(matches(p, json!({"s": "running"})));
    let p = json!({"detail": {"s": [{"anything-but": {"wildcard": "*/lib/*"}}]}});
    assert!(!matches(p.clone(), json!({"s": "/usr/lib/x"})));
    assert!(matches(p, json!({"s": "/usr/bin/x"})));
}

#[test]
fn numeric_compares_with_each_operator() {
    let m = |op: &str, x: f64, v: f64| {
        matches(
            json!({"detail": {"n": [{"numeric": [op, x]}]}}),
            json!({"n": v}),
        )
    };
    assert!(m("<", 10.0, 9.0) && !m("<", 10.0, 10.0));
    assert!(m("<=", 10.0, 10.0) && !m("<=", 10.0, 11.0));
    assert!(m("=", 3.5, 3.5) && !m("=", 3.5, 3.0));
    assert!(m(">", 0.0, 0.1) && !m(">", 0.0, 0.0));
    assert!(m(">=", 0.0, 0.0) && !m(">=", 0.0, -1.0));
}

#[test]
fn numeric_ranges_need_both_bounds() {
    let p = json!({"detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}});
    assert!(matches(p.clone(), json!({"n": 5})));
    assert!(!matches(p.clone(), json!({"n": 0})));
    assert!(!matches(p.clone(), json!({"n": 6})));
    assert!(!matches(p, json!({"n": "3"})), "numeric needs a number");
}

#[test]
fn exists_true_needs_the_field_and_false_its_absence() {
    let yes = json!({"detail": {"c": [{"exists": true}]}});
    let no = json!({"detail": {"c": [{"exists": false}]}});
    assert!(matches(yes.clone(), json!({"c": "x"})));
    assert!(!matches(yes, json!({})));
    assert!(matches(no.clone(), json!({})));
    assert!(!matches(no.clone(), json!({"c": 1})));
    assert!(matches(
        json!({"detail": {"a": {"b": [{"exists": false}]}}}),
        json!({})
    ));
}

#[test]
fn exists_looks_at_leaves_only() {
    assert!(!matches(
        json!({"detail": {"c": [{"exists": true}]}}),
        json!({"c": {"d": 1}})
    ));
}

#[test]
fn cidr_matches_addresses_in_the_block() {
    let p = json!({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}});
    assert!(matches(p.clone(), json!({"ip": "10.0.0.255"})));
    assert!(!matches(p.clone(), json!({"ip": "10.0.1.0"})));
    assert!(!matches(p, json!({"ip": "not an ip"})));
    let v6 = json!({"detail": {"ip": [{"cidr": "2001:db8::/32"}]}});
    assert!(matches(v6, json!({"ip": "2001:db8::1"})));
}

#[test]
fn wildcard_stars_match_any_run_of_characters() {
    let p = json!({"detail": {"k": [{"wildcard": "dir/*.png"}]}});
    assert!(matches(p.clone(), json!({"k": "dir/a/b.png"})));
    assert!(matches(p.clone(), json!({"k": "dir/.png"})));
    assert!(!matches(p, json!({"k": "dir/a.jpg"})));
    assert!(matches(
        json!({"detail": {"k": [{"wildcard": "a\\*b"}]}}),
        json!({"k": "a*b"})
    ));
    assert!(!matches(
        json!({"detail": {"k": [{"wildcard": "a\\*b"}]}}),
        json!({"k": "axb"})
    ));
}

#[test]
fn or_matches_when_any_branch_does() {
    let p = json!({"source": ["shop.orders"], "$or": [
        {"detail": {"n": [{"numeric": [">", 100]}]}},
        {"detail": {"vip": [true]}}
    ]});
    assert!(matches(p.clone(), json!({"n": 101})));
    assert!(matches(p.clone(), json!({"n": 1, "vip": true})));
    assert!(!matches(p, json!({"n": 1})));
}

#[test]
fn or_nests_inside_objects() {
    let p = json!({"detail": {"$or": [{"a": ["1"]}, {"b": ["2"]}]}});
    assert!(matches(p.clone(), json!({"b": "2"})));
    assert!(!matches(p, json!({"a": "2"})));
}

#[test]
fn a_pattern_must_be_a_json_object() {
    assert_eq!(reason("[1]"), "Filter is not an object");
    assert!(reason("{nope").starts_with("Filter is not valid JSON"));
}

#[test]
fn a_leaf_must_be_an_object_or_an_array() {
    assert_eq!(
        reason(r#"{"detail":{"slug":"x"}}"#),
        "\"slug\" must be an object or an array"
    );
}

#[test]
fn empty_objects_are_refused() {
    assert_eq!(reason(r#"{"detail":{}}"#), "Empty objects are not allowed");
    assert_eq!(reason("{}"), "Empty objects are not allowed");
}

#[test]
fn exists_takes_only_a_boolean() {
    assert_eq!(
        reason(r#"{"a":[{"exists":"true"}]}"#),
        "exists match pattern must be either true or false."
    );
}

#[test]
fn unknown_match_types_are_refused() {
    assert_eq!(
        reason(r#"{"a":[{"regex":"x"}]}"#),
        "Unrecognized match type regex"
    );
}

#[test]
fn prefix_and_suffix_take_strings() {
    assert_eq!(
        reason(r#"{"a":[{"prefix":1}]}"#),
        "prefix match pattern must be a string"
    );
    assert_eq!(
        reason(r#"{"a":[{"suffix":[]}]}"#),
        "suffix match pattern must be a string"
    );
}

#[test]
fn numeric_needs_known_operators_numbers_and_ordered_ranges() {
    assert_eq!(
        reason(r#"{"a":[{"numeric":["!=",1]}]}"#),
        "Unrecognized numeric range operator: !="
    );
    assert_eq!(
        reason(r#"{"a":[{"numeric":[">","1"]}]}"#),
        "Value of > must be numeric"
    );
    assert!(reason(r#"{"a":[{"numeric":[">",5,"<",1]}]}"#).starts_with("Bad numeric range"));
    assert!(reason(r#"{"a":[{"numeric":["<",5,">",1]}]}"#).starts_with("Bad numeric range"));
    assert!(reason(r#"{"a":[{"numeric":[">"]}]}"#).starts_with("Invalid member in numeric match"));
}

#[test]
fn cidr_needs_a_valid_block() {
    assert_eq!(
        reason(r#"{"a":[{"cidr":"10.0.0.0/33"}]}"#),
        "Nonstandard IP address: 10.0.0.0/33"
    );
    assert_eq!(
        reason(r#"{"a":[{"cidr":"x"}]}"#),
        "Nonstandard IP address: x"
    );
}

#[test]
fn wildcard_refuses_consecutive_stars() {
    assert_eq!(
        reason(r#"{"a":[{"wildcard":"a**b"}]}"#),
        "Consecutive wildcard characters at pos 2"
    );
}

#[test]
fn or_needs_an_array_of_at_least_two_objects() {
    assert!(Pattern::parse(r#"{"$or":[{"a":["1"]}]}"#).is_err());
    assert!(Pattern::parse(r#"{"$or":{"a":["1"]}}"#).is_err());
}

#[test]
fn match_values_cannot_be_nested_arrays() {
    assert_eq!(
        reason(r#"{"a":[["x"]]}"#),
        "Match value must be String, number, true, false, or null"
    );
}

#[test]
fn anything_but_refuses_booleans_in_lists() {
    assert!(Pattern::parse(r#"{"a":[{"anything-but":[true]}]}"#).is_err());
    assert!(Pattern::parse(r#"{"a":[{"anything-but":{"regex":"x"}}]}"#).is_err());
}
