//! Any text as a DynamoDB condition, update or projection expression (and
//! as a number): a tree or AWS's ValidationException, never a panic; a
//! parsed tree evaluates and applies to an item without panicking either.
#![no_main]

use gureum_dynamodb::expr::eval::{holds, project};
use gureum_dynamodb::expr::parser::{parse_condition, parse_projection, parse_update, Attrs};
use gureum_dynamodb::expr::Kind;
use gureum_dynamodb::value::item_from_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = gureum_dynamodb::number::Decimal::parse(text);
    let input = serde_json::json!({
        "ExpressionAttributeNames": {"#a": "a", "#b": "b"},
        "ExpressionAttributeValues": {":n": {"N": "1"}, ":s": {"S": "x"}, ":l": {"L": [{"N": "2"}]},
            ":ss": {"SS": ["p"]}},
    });
    let item = item_from_json(Some(&serde_json::json!({
        "a": {"N": "5"}, "b": {"M": {"c": {"L": [{"S": "x"}, {"N": "1"}]}}}, "s": {"SS": ["p", "q"]},
    })))
    .expect("item");
    if let Ok(mut attrs) = Attrs::from_input(&input) {
        if let Ok(c) = parse_condition(text, Kind::Condition, &mut attrs) {
            let _ = holds(&c, &item);
        }
        if let Ok(actions) = parse_update(text, &mut attrs) {
            let _ = gureum_dynamodb::update::apply(&item, &actions);
        }
        if let Ok(p) = parse_projection(text, &mut attrs) {
            let _ = project(&item, &p);
        }
    }
});
