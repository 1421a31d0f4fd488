//! The expression language, rule by rule: grammar, resolution of names
//! and values, AWS's error texts, evaluation and updates.

use super::eval::{holds, project};
use super::parser::{parse_condition, parse_projection, parse_update, Attrs, Cond};
use super::Kind;
use crate::update::apply;
use crate::value::{item_from_json, item_to_json, Item};
use serde_json::{json, Value};

fn attrs(names: Value, values: Value) -> Attrs {
    let mut input = json!({});
    if names.as_object().is_some_and(|o| !o.is_empty()) {
        input["ExpressionAttributeNames"] = names;
    }
    if values.as_object().is_some_and(|o| !o.is_empty()) {
        input["ExpressionAttributeValues"] = values;
    }
    Attrs::from_input(&input).expect("attrs")
}

fn cond(src: &str, values: Value) -> Result<Cond, String> {
    let mut a = attrs(json!({"#n": "name"}), values);
    parse_condition(src, Kind::Condition, &mut a).map_err(|e| e.message)
}

fn item(v: Value) -> Item {
    item_from_json(Some(&v)).expect("item")
}

fn check(src: &str, values: Value, it: &Item) -> bool {
    let c = cond(src, values).expect("parses");
    holds(&c, it).expect("evaluates")
}

#[test]
fn precedence_is_not_then_and_then_or() {
    let it = item(json!({"a": {"N": "1"}, "b": {"N": "2"}}));
    let v = json!({":1": {"N": "1"}, ":2": {"N": "2"}, ":3": {"N": "3"}});
    // OR binds loosest: a = 1 OR (b = 3 AND b = 3)
    assert!(check("a = :1 OR b = :3 AND b = :3", v.clone(), &it));
    // NOT binds tighter than AND.
    assert!(!check("NOT a = :1 AND b = :2", v.clone(), &it));
    assert!(check("NOT (a = :3 AND b = :2)", v.clone(), &it));
    assert!(check("(a = :1 OR a = :3) AND b = :2", v, &it));
}

#[test]
fn comparators_between_and_in() {
    let it = item(json!({"n": {"N": "5"}, "s": {"S": "m"}}));
    let v = json!({":1": {"N": "1"}, ":5": {"N": "5"}, ":9": {"N": "9"}, ":a": {"S": "a"}, ":z": {"S": "z"}});
    for (e, want) in [
        ("n = :5", true),
        ("n <> :5", false),
        ("n < :9", true),
        ("n <= :5", true),
        ("n > :1", true),
        ("n >= :9", false),
        ("n BETWEEN :1 AND :9", true),
        ("s BETWEEN :a AND :z", true),
        ("n IN (:1, :5)", true),
        ("n IN (:1, :9)", false),
        ("n < :z", false),
        ("nope <> :1", true),
        ("nope = :1", false),
    ] {
        let used: Vec<&str> = [":1", ":5", ":9", ":a", ":z"]
            .into_iter()
            .filter(|k| e.contains(k))
            .collect();
        let vals: serde_json::Map<String, Value> = used
            .iter()
            .map(|k| (k.to_string(), v[*k].clone()))
            .collect();
        assert_eq!(check(e, Value::Object(vals), &it), want, "{e}");
    }
}

#[test]
fn functions() {
    let it = item(
        json!({"s": {"S": "hello"}, "ss": {"SS": ["a", "b"]}, "l": {"L": [{"N": "1"}]},
        "m": {"M": {"x": {"S": "y"}}}, "b": {"B": "AQID"}}),
    );
    assert!(check("attribute_exists(m.x)", json!({}), &it));
    assert!(check("attribute_not_exists(m.z)", json!({}), &it));
    assert!(check(
        "attribute_type(ss, :t)",
        json!({":t": {"S": "SS"}}),
        &it
    ));
    assert!(check("begins_with(s, :p)", json!({":p": {"S": "he"}}), &it));
    assert!(check("contains(s, :p)", json!({":p": {"S": "ll"}}), &it));
    assert!(check("contains(ss, :p)", json!({":p": {"S": "b"}}), &it));
    assert!(check("contains(l, :p)", json!({":p": {"N": "1"}}), &it));
    assert!(check("size(s) = :5", json!({":5": {"N": "5"}}), &it));
    assert!(check(
        "size(l[0]) > :0 OR size(ss) = :2",
        json!({":0": {"N": "0"}, ":2": {"N": "2"}}),
        &it
    ));
    assert!(check(
        "begins_with(b, :p)",
        json!({":p": {"B": "AQI="}}),
        &it
    ));
}

#[test]
fn error_texts() {
    let e = |s: &str, v: Value| cond(s, v).expect_err("error");
    assert_eq!(
        e("status = :v", json!({":v": {"S": "x"}})),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    assert_eq!(
        e("a = :missing", json!({":v": {"S": "x"}})),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :missing"
    );
    assert_eq!(
        e("#x = :v", json!({":v": {"S": "x"}})),
        "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"
    );
    assert_eq!(
        e("a = = :v", json!({":v": {"S": "x"}})),
        "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = :v\""
    );
    assert_eq!(
        e("a =", json!({})),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\""
    );
    assert_eq!(
        e("foo(a)", json!({})),
        "Invalid ConditionExpression: Invalid function name; function: foo"
    );
    assert_eq!(
        e("attribute_exists(a, b)", json!({})),
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"
    );
    assert_eq!(
        e("", json!({})),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
    assert!(e("a ! b", json!({})).contains("Syntax error; token: \"!\""));
    assert!(e(
        "a BETWEEN :b AND :a",
        json!({":a": {"N": "1"}, ":b": {"N": "2"}})
    )
    .contains(
        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound"
    ));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let src = "(".repeat(10_000) + "a = :v" + &")".repeat(10_000);
    assert!(cond(&src, json!({":v": {"N": "1"}})).is_err());
    let not = "NOT ".repeat(10_000) + "a = :v";
    assert!(cond(&not, json!({":v": {"N": "1"}})).is_err());
}

#[test]
fn unused_and_undeclared_maps() {
    let mut a = attrs(
        json!({"#a": "a", "#b": "b"}),
        json!({":v": {"N": "1"}, ":w": {"N": "2"}}),
    );
    parse_condition("#a = :v", Kind::Condition, &mut a).expect("parses");
    let e = a.check_unused(true).expect_err("unused");
    assert_eq!(
        e.message,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"
    );
    let mut a = attrs(json!({}), json!({":v": {"N": "1"}, ":w": {"N": "2"}}));
    parse_condition("a = :v", Kind::Condition, &mut a).expect("parses");
    let e = a.check_unused(true).expect_err("unused");
    assert_eq!(
        e.message,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"
    );
    let a = attrs(json!({}), json!({":v": {"N": "1"}}));
    assert_eq!(
        a.check_unused(false).expect_err("no expression").message,
        "ExpressionAttributeValues can only be specified when using expressions"
    );
}

fn update(it: &Item, src: &str, values: Value) -> Result<Value, String> {
    let mut a = attrs(json!({}), values);
    let actions = parse_update(src, &mut a).map_err(|e| e.message)?;
    apply(it, &actions)
        .map(|i| item_to_json(&i))
        .map_err(|e| e.message)
}

#[test]
fn update_semantics() {
    let it = item(
        json!({"n": {"N": "1"}, "l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]},
        "ss": {"SS": ["x", "y"]}, "ds": {"SS": ["x", "y"]}, "m": {"M": {"k": {"N": "1"}}}}),
    );
    let out = update(
        &it,
        "SET n = n + :d, m.k = :d, l[9] = :d REMOVE l[0], l[1] ADD ss :s, c :d DELETE ds :x",
        json!({":d": {"N": "2"}, ":s": {"SS": ["z"]}, ":x": {"SS": ["x"]}}),
    )
    .expect("applies");
    assert_eq!(out["n"], json!({"N": "3"}));
    assert_eq!(out["m"], json!({"M": {"k": {"N": "2"}}}));
    // REMOVE l[0], l[1] of [a, b, c, 2] leaves [c, 2].
    assert_eq!(out["l"], json!({"L": [{"S": "c"}, {"N": "2"}]}));
    assert_eq!(out["ss"], json!({"SS": ["x", "y", "z"]}));
    assert_eq!(out["ds"], json!({"SS": ["y"]}));
    assert_eq!(out["c"], json!({"N": "2"}));
    let out = update(
        &it,
        "SET a = if_not_exists(a, :z), l = list_append(:h, l)",
        json!({":z": {"N": "0"}, ":h": {"L": [{"S": "0"}]}}),
    )
    .expect("applies");
    assert_eq!(out["a"], json!({"N": "0"}));
    assert_eq!(out["l"]["L"][0], json!({"S": "0"}));
}

#[test]
fn update_errors() {
    let it = item(json!({"s": {"S": "x"}}));
    assert_eq!(
        update(&it, "SET s = s + :d", json!({":d": {"N": "1"}})).expect_err("type"),
        "An operand in the update expression has an incorrect data type"
    );
    assert_eq!(
        update(&it, "SET a.b = :d", json!({":d": {"N": "1"}})).expect_err("path"),
        "The document path provided in the update expression is invalid for update"
    );
    assert_eq!(
        update(&it, "SET a = :d, a.b = :d", json!({":d": {"N": "1"}})).expect_err("overlap"),
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
    );
    assert_eq!(
        update(&it, "SET a = :d SET b = :d", json!({":d": {"N": "1"}})).expect_err("twice"),
        "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"
    );
    assert_eq!(
        update(&it, "SET n = n + :d", json!({":d": {"N": "1"}})).expect_err("missing"),
        "The provided expression refers to an attribute that does not exist in the item"
    );
    let big = item(json!({"n": {"N": "99999999999999999999999999999999999999"}}));
    assert_eq!(
        update(&big, "SET n = n + :d", json!({":d": {"N": "0.1"}})).expect_err("precision"),
        "Attempting to store more than 38 significant digits in a Number"
    );
}

#[test]
fn projections_keep_nested_shape() {
    let it = item(
        json!({"a": {"M": {"b": {"S": "1"}, "c": {"S": "2"}}}, "l": {"L": [{"S": "x"}, {"S": "y"}, {"S": "z"}]}, "d": {"S": "3"}}),
    );
    let mut a = attrs(json!({}), json!({}));
    let p = parse_projection("l[2], a.b, l[0]", &mut a).expect("parses");
    let out = item_to_json(&project(&it, &p));
    assert_eq!(
        out,
        json!({"a": {"M": {"b": {"S": "1"}}}, "l": {"L": [{"S": "x"}, {"S": "z"}]}})
    );
    let e = parse_projection("a, a.b", &mut a).expect_err("overlap");
    assert!(e
        .message
        .starts_with("Invalid ProjectionExpression: Two document paths overlap"));
}

/// A cheap, deterministic stand-in for the fuzz target: many generated
/// expressions from the grammar's own tokens, none may panic.
#[test]
fn generated_expressions_never_panic() {
    let pieces = [
        "a",
        "#n",
        ":v",
        ".",
        "[",
        "]",
        "0",
        "99999999999999999999",
        "(",
        ")",
        ",",
        "=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "+",
        "-",
        "AND",
        "OR",
        "NOT",
        "BETWEEN",
        "IN",
        "SET",
        "REMOVE",
        "ADD",
        "DELETE",
        "size",
        "attribute_exists",
        "begins_with",
        "contains",
        "if_not_exists",
        "list_append",
        "attribute_type",
        "status",
        "é",
        "!",
        "#",
        ":",
        "",
    ];
    let it = item(json!({"a": {"L": [{"N": "1"}]}, "name": {"S": "x"}}));
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..20_000 {
        let mut src = String::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let n = (seed % 9) as usize;
        let mut s = seed;
        for _ in 0..n {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            src.push_str(pieces[(s >> 33) as usize % pieces.len()]);
            src.push(' ');
        }
        let mut a = attrs(json!({"#n": "name"}), json!({":v": {"N": "1"}}));
        if let Ok(c) = parse_condition(&src, Kind::Condition, &mut a) {
            let _ = holds(&c, &it);
        }
        if let Ok(actions) = parse_update(&src, &mut a) {
            let _ = apply(&it, &actions);
        }
        if let Ok(p) = parse_projection(&src, &mut a) {
            let _ = project(&it, &p);
        }
    }
}
