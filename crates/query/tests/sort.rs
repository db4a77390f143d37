//! The `sort` parameter, its validation, and the order across types.

use depot_query::{Path, SortKey, SortValue, compare_rows, parse_sort, sort_values, validate_sort};
use serde_json::json;
use std::cmp::Ordering;

#[test]
fn sort_keys_parse_with_directions_and_positions() {
    let keys = parse_sort("-priority,title,address.city").unwrap();
    let got: Vec<(&str, bool, usize)> = keys
        .iter()
        .map(|k| (k.path.as_str(), k.descending, k.position))
        .collect();
    assert_eq!(
        got,
        [
            ("priority", true, 0),
            ("title", false, 10),
            ("address.city", false, 16)
        ]
    );
}

#[test]
fn bad_sorts_are_refused_where_they_go_wrong() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 0, "expected a path"),
        ("-", 1, "expected a path"),
        ("a,", 2, "expected a path"),
        ("a,,b", 2, "expected a path"),
        ("a, b", 2, "expected a path"),
        ("a.", 2, "expected a name after '.'"),
        ("--a", 1, "expected a path"),
        ("a b", 1, "unexpected ' ' in a path"),
        ("a,b,c,d", 6, "a sort has at most 3 keys"),
        ("a,-a", 2, "'a' is sorted by twice"),
        ("id,a", 3, "nothing can sort after 'id': ids are unique"),
    ];
    for (text, position, message) in cases {
        let e = parse_sort(text).unwrap_err();
        assert_eq!(
            (e.position, e.message.as_str()),
            (*position, *message),
            "{text:?}"
        );
    }
    assert!(parse_sort("-id").is_ok());
    assert!(parse_sort("a,-id").is_ok());
}

#[test]
fn a_sort_key_must_be_a_server_member_or_a_declared_index() {
    let indexes = vec!["priority".to_owned(), "address.city".to_owned()];
    let ok = parse_sort("-priority,address.city,created_at").unwrap();
    validate_sort(&ok, &indexes).unwrap();
    validate_sort(&parse_sort("updated_at,version,-id").unwrap(), &[]).unwrap();
    let e = validate_sort(&parse_sort("priority,title").unwrap(), &indexes).unwrap_err();
    assert_eq!(e.position, 9);
    assert!(e.message.contains("'title'"), "{}", e.message);
    let e = validate_sort(&parse_sort("address").unwrap(), &indexes).unwrap_err();
    assert_eq!(e.position, 0);
}

#[test]
fn values_of_different_types_sort_in_the_contract_order() {
    let ordered = [
        SortValue::Null,
        SortValue::Bool(false),
        SortValue::Bool(true),
        SortValue::Number(-1e300),
        SortValue::Number(-0.0),
        SortValue::Number(2.5),
        SortValue::String(String::new()),
        SortValue::String("B".into()),
        SortValue::String("a".into()),
        SortValue::String("é".into()),
        SortValue::String("😀".into()),
        SortValue::Composite,
    ];
    for (i, a) in ordered.iter().enumerate() {
        for (j, b) in ordered.iter().enumerate() {
            assert_eq!(a.cmp(b), i.cmp(&j), "{a:?} vs {b:?}");
        }
    }
    assert_eq!(SortValue::Number(0.0), SortValue::Number(-0.0));
    let item = json!({"n": null, "arr": [1], "obj": {}});
    let at = |p: &str| SortValue::at(&item, &Path::parse(p).unwrap());
    assert_eq!(at("n"), at("missing"), "missing and null sort together");
    assert_eq!(at("arr"), at("obj"), "arrays and objects sort as equal");
    assert_eq!(at("arr"), SortValue::Composite);
}

#[test]
fn descending_reverses_a_key_but_never_the_id_tie_break() {
    let keys = parse_sort("-a").unwrap();
    let one = [SortValue::Number(1.0)];
    let two = [SortValue::Number(2.0)];
    assert_eq!(
        compare_rows(&keys, (&two, "x"), (&one, "a")),
        Ordering::Less
    );
    assert_eq!(
        compare_rows(&keys, (&one, "a"), (&one, "b")),
        Ordering::Less
    );
    assert_eq!(compare_rows(&[], (&[], "a"), (&[], "b")), Ordering::Less);
    let key = SortKey::ascending(Path::parse("a").unwrap());
    let v = sort_values(&json!({"a": "x"}), &[key]);
    assert_eq!(v, [SortValue::String("x".into())]);
}
