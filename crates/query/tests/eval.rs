//! The reference semantics of §8, comparison by comparison.

use depot_query::{eval, parse};
use serde_json::{Value, json};

fn item() -> Value {
    json!({
        "id": "0190a0a0-0000-7000-8000-000000000000",
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-02T00:00:00.000Z",
        "version": 3,
        "n": 1,
        "f": 2.5,
        "big": 9007199254740993u64,
        "s": "Hello",
        "e": "",
        "z": null,
        "t": true,
        "no": false,
        "tags": ["a", 1, null, true, {"x": 1}, ["b"]],
        "o": {"a": {"b": "deep"}, "n": 2},
        "arr": [1, 2]
    })
}

fn holds(filter: &str) -> bool {
    eval(&parse(filter).unwrap(), &item())
}

#[test]
fn equality_is_json_equality_with_numbers_as_doubles() {
    for f in [
        "n = 1",
        "n = 1.0",
        "n = 1e0",
        "f = 2.5",
        "s = \"Hello\"",
        "t = true",
        "no = false",
        "z = null",
        "missing = null",
        "o.a.b = \"deep\"",
        "big = 9007199254740992",
        "version = 3",
        "id = \"0190a0a0-0000-7000-8000-000000000000\"",
    ] {
        assert!(holds(f), "{f}");
    }
    for f in [
        "n = \"1\"",
        "s = \"hello\"",
        "t = 1",
        "no = 0",
        "z = false",
        "n = null",
        "o = null",
        "arr = null",
        "o.a = \"deep\"",
        "s.x = \"Hello\"",
        "e = null",
        "missing = false",
        "version = \"3\"",
    ] {
        assert!(!holds(f), "{f}");
    }
}

#[test]
fn not_equal_is_exactly_the_negation_of_equal() {
    for f in [
        "n != 2",
        "missing != 1",
        "o != 1",
        "n != \"1\"",
        "z != false",
    ] {
        assert!(holds(f), "{f}");
    }
    for f in ["n != 1", "missing != null", "z != null"] {
        assert!(!holds(f), "{f}");
    }
}

#[test]
fn ordering_holds_only_between_two_numbers_or_two_strings() {
    for f in [
        "n < 2",
        "n <= 1",
        "n >= 1",
        "f > 2",
        "s > \"H\"",
        "s < \"h\"",
        "s >= \"Hello\"",
        "e < \"a\"",
        "created_at < \"2027\"",
    ] {
        assert!(holds(f), "{f}");
    }
    for f in [
        "n < \"2\"",
        "s < 5",
        "t > false",
        "z < 1",
        "missing < 1",
        "missing > \"\"",
        "o > 1",
        "arr < 3",
        "n > 1",
        "s > \"Hello\"",
    ] {
        assert!(!holds(f), "{f}");
    }
}

#[test]
fn strings_order_by_code_point() {
    let item = json!({"a": "é", "b": "😀", "c": "Z", "d": "\u{0}x"});
    let f = |text: &str| eval(&parse(text).unwrap(), &item);
    assert!(f(r#"a > "z""#), "U+00E9 after every ASCII letter");
    assert!(
        f(r#"b > "\uffff""#),
        "beyond the BMP sorts after U+FFFF (not as UTF-16 would)"
    );
    assert!(f(r#"c < "a""#));
    assert!(f(r#"d < "\u0001""#) && f(r#"d > "\u0000""#));
}

#[test]
fn contains_is_a_case_sensitive_substring_of_a_string() {
    for f in [
        "s ~ \"ell\"",
        "s ~ \"\"",
        "s ~ \"Hello\"",
        "e ~ \"\"",
        "s !~ \"hell\"",
        "n !~ \"1\"",
    ] {
        assert!(holds(f), "{f}");
    }
    for f in [
        "s ~ \"hell\"",
        "n ~ \"1\"",
        "tags ~ \"a\"",
        "missing ~ \"\"",
        "s ~ 1",
        "s !~ \"ell\"",
    ] {
        assert!(!holds(f), "{f}");
    }
}

#[test]
fn has_is_membership_by_equality_in_an_array() {
    for f in [
        "tags ?= \"a\"",
        "tags ?= 1.0",
        "tags ?= null",
        "tags ?= true",
        "arr ?= 2",
    ] {
        assert!(holds(f), "{f}");
    }
    for f in [
        "tags ?= \"b\"",
        "tags ?= false",
        "arr ?= \"1\"",
        "s ?= \"Hello\"",
        "o ?= 2",
        "missing ?= null",
    ] {
        assert!(!holds(f), "{f}");
    }
}

#[test]
fn connectives_combine_as_expected() {
    assert!(holds("n = 1 && s = \"Hello\""));
    assert!(!holds("n = 1 && s = \"x\""));
    assert!(holds("n = 2 || s = \"Hello\""));
    assert!(holds("!(n = 2) && !missing = 1"));
    assert!(!holds("!(n = 1 || n = 2)"));
}
