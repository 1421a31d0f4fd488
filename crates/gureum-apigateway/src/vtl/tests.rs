//! The template language's rules, one test each.

use super::{render, Input, Params};
use serde_json::json;

fn run(template: &str, body: &str) -> String {
    let mut params = Params::default();
    params.path.insert("id".into(), "42".into());
    params.querystring.insert("q".into(), "cats".into());
    params.header.insert("X-Trace".into(), "t-1".into());
    let context =
        json!({"requestId": "req-1", "stage": "prod", "identity": {"sourceIp": "127.0.0.1"}});
    let stage = json!({"env": "test"});
    let input = Input {
        body,
        params: &params,
        context: &context,
        stage_variables: &stage,
    };
    render(template, &input).expect("renders")
}

#[test]
fn input_json_serializes_the_selected_value() {
    assert_eq!(
        run("$input.json('$.a')", r#"{"a": {"b": [1, 2]}}"#),
        r#"{"b":[1,2]}"#
    );
    assert_eq!(run("$input.json('$')", r#"{"x":"y"}"#), r#"{"x":"y"}"#);
}

#[test]
fn input_path_returns_values_methods_can_use() {
    assert_eq!(
        run("$input.path('$.items').size()", r#"{"items":[1,2,3]}"#),
        "3"
    );
    assert_eq!(
        run("$input.path('$.items[1]')", r#"{"items":["a","b"]}"#),
        "b"
    );
    assert_eq!(run("$input.path('$.m')", r#"{"m":{"k":1}}"#), "{k=1}");
}

#[test]
fn input_params_look_in_path_then_query_then_headers() {
    assert_eq!(
        run(
            "$input.params('id')/$input.params('q')/$input.params('x-trace')",
            ""
        ),
        "42/cats/t-1"
    );
    assert_eq!(run("$input.params().path.id", ""), "42");
    assert_eq!(run("[$input.params('missing')]", ""), "[]");
}

#[test]
fn context_and_stage_variables_are_readable() {
    assert_eq!(
        run(
            "$context.requestId $context.identity.sourceIp ${stageVariables.env}",
            ""
        ),
        "req-1 127.0.0.1 test"
    );
}

#[test]
fn undefined_references_print_as_written_unless_quiet() {
    assert_eq!(run("a$nothing.b|$!nothing|", ""), "a$nothing.b||");
}

#[test]
fn set_if_else_choose_by_truth() {
    let t = "#set($n = $input.path('$.n'))\n#if($n > 5)big#elseif($n == 5)five#{else}small#end";
    assert_eq!(run(t, r#"{"n": 7}"#), "big");
    assert_eq!(run(t, r#"{"n": 5}"#), "five");
    assert_eq!(run(t, r#"{"n": 1}"#), "small");
    assert_eq!(run("#if(!$x && true)yes#end", ""), "yes");
}

#[test]
fn foreach_iterates_with_has_next() {
    let t = "[#foreach($i in $input.path('$.l'))\"$i\"#if($foreach.hasNext),#end#end]";
    assert_eq!(run(t, r#"{"l":["a","b","c"]}"#), r#"["a","b","c"]"#);
}

#[test]
fn directive_lines_take_their_line_break() {
    assert_eq!(
        run("#set($a = 1)\nx$a\n#if(true)\ny\n#end\n", ""),
        "x1\ny\n"
    );
}

#[test]
fn util_escapes_and_encodes() {
    assert_eq!(
        run("$util.escapeJavaScript($input.body)", "it's \"q\"\n"),
        "it\\'s \\\"q\\\"\\n"
    );
    assert_eq!(run("$util.base64Encode('hi')", ""), "aGk=");
    assert_eq!(run("$util.base64Decode('aGk=')", ""), "hi");
    assert_eq!(run("$util.urlEncode('a b&c')", ""), "a+b%26c");
    assert_eq!(run("$util.parseJson('{\"k\":2}').k", ""), "2");
}

#[test]
fn comments_are_dropped() {
    assert_eq!(run("a## line\nb#* block *#c", ""), "a\nbc");
}

#[test]
fn double_quoted_strings_interpolate() {
    assert_eq!(run("#set($g = \"id-$input.params('id')\")$g", ""), "id-42");
}

#[test]
fn arithmetic_and_maps_work() {
    assert_eq!(run("#set($m = {\"a\": 1 + 2 * 3})$m.a", ""), "7");
    assert_eq!(run("#set($l = [1, 2])$l[0]$l.get(1)", ""), "12");
}

#[test]
fn unclosed_directives_are_errors() {
    let params = Params::default();
    let v = json!({});
    let input = Input {
        body: "",
        params: &params,
        context: &v,
        stage_variables: &v,
    };
    assert!(render("#if(true)x", &input).is_err());
    assert!(render("#set($a 1)", &input).is_err());
}
