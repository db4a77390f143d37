//! Cursor positions, their byte form, and the binding digest.

use depot_query::{Position, SortValue, binding, canonical, parse, parse_sort, validate_indexes};

#[test]
fn positions_survive_their_byte_form_exactly() {
    let p = Position {
        keys: vec![
            SortValue::Number(0.1 + 0.2),
            SortValue::String("é\u{0}".repeat(100)),
            SortValue::Composite,
        ],
        id: "0190a0a0-0000-7000-8000-000000000000".into(),
    };
    let back = Position::from_bytes(&p.to_bytes()).unwrap();
    assert_eq!(back, p);
    let SortValue::Number(x) = back.keys[0] else {
        panic!()
    };
    assert_eq!(x.to_bits(), (0.1f64 + 0.2).to_bits());
    for keys in [
        vec![],
        vec![SortValue::Null],
        vec![SortValue::Bool(false), SortValue::Bool(true)],
    ] {
        let p = Position {
            keys,
            id: "x".into(),
        };
        assert_eq!(Position::from_bytes(&p.to_bytes()).unwrap(), p);
    }
    let neg_zero = Position {
        keys: vec![SortValue::Number(-0.0)],
        id: "i".into(),
    };
    let back = Position::from_bytes(&neg_zero.to_bytes()).unwrap();
    assert!(matches!(back.keys[0], SortValue::Number(x) if x.is_sign_negative()));
}

#[test]
fn malformed_position_bytes_are_refused() {
    let good = Position {
        keys: vec![SortValue::String("abc".into())],
        id: "i".into(),
    }
    .to_bytes();
    assert!(Position::from_bytes(&[]).is_none());
    assert!(Position::from_bytes(&[2, 0]).is_none(), "unknown format");
    assert!(Position::from_bytes(&[1, 4]).is_none(), "too many keys");
    assert!(Position::from_bytes(&[1, 1, 9]).is_none(), "unknown tag");
    assert!(Position::from_bytes(&good[..4]).is_none(), "cut string");
    assert!(
        Position::from_bytes(&[1, 1, 3, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]).is_none(),
        "infinity"
    );
    assert!(
        Position::from_bytes(&[1, 0, 0xff]).is_none(),
        "id not UTF-8"
    );
}

#[test]
fn a_position_fits_only_a_sort_with_its_shape() {
    let sort = parse_sort("-a,version").unwrap();
    let p = |keys| Position {
        keys,
        id: "i".into(),
    };
    assert!(p(vec![SortValue::Null, SortValue::Number(3.0)]).fits(&sort));
    assert!(!p(vec![SortValue::Null]).fits(&sort));
    assert!(!p(vec![SortValue::Null, SortValue::Number(3.5)]).fits(&sort));
    assert!(!p(vec![SortValue::Null, SortValue::String("3".into())]).fits(&sort));
    let by_id = parse_sort("-id").unwrap();
    assert!(p(vec![SortValue::String("i".into())]).fits(&by_id));
    assert!(!p(vec![SortValue::String("j".into())]).fits(&by_id));
    assert!(p(vec![]).fits(&[]));
}

#[test]
fn the_binding_ignores_spelling_but_not_meaning() {
    let sort = parse_sort("-a").unwrap();
    let f1 = parse("a=1&&(b~\"x\")").unwrap();
    let f2 = parse(" a = 1.0 && b ~ \"x\" ").unwrap();
    assert_eq!(binding(Some(&f1), &sort), binding(Some(&f2), &sort));
    assert_eq!(
        canonical(Some(&f1), &sort),
        "filter=a = 1.0 && b ~ \"x\"\nsort=-a"
    );
    let other = parse("a = 2 && b ~ \"x\"").unwrap();
    assert_ne!(binding(Some(&f1), &sort), binding(Some(&other), &sort));
    assert_ne!(
        binding(Some(&f1), &sort),
        binding(Some(&f1), &parse_sort("a").unwrap())
    );
    assert_ne!(binding(None, &sort), binding(None, &[]));
    // Stable across builds: a cursor written by one server is read by the next.
    assert_eq!(binding(None, &[]), 0x7f86_0d60_a680_3ec4);
}

#[test]
fn index_lists_are_checked() {
    let list = |paths: &[&str]| paths.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
    validate_indexes(&list(&[
        "priority",
        "address.city",
        "updated_at",
        "version",
    ]))
    .unwrap();
    validate_indexes(&[]).unwrap();
    let e = validate_indexes(&list(&["a", "id"])).unwrap_err();
    assert_eq!(e.index, 1);
    let e = validate_indexes(&list(&["a", "b", "a"])).unwrap_err();
    assert_eq!(
        (e.index, e.message.as_str()),
        (2, "\"a\" is declared twice")
    );
    let e = validate_indexes(&list(&["a", "b c"])).unwrap_err();
    assert_eq!(e.index, 1);
    assert!(
        e.message.starts_with("\"b c\" is not a path"),
        "{}",
        e.message
    );
    let many: Vec<String> = (0..17).map(|n| format!("p{n}")).collect();
    assert_eq!(validate_indexes(&many).unwrap_err().index, 16);
    validate_indexes(&many[..16]).unwrap();
    assert_eq!(validate_indexes(&["a".repeat(257)]).unwrap_err().index, 0);
}
