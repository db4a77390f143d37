//! The filter grammar: what parses to what, and every way to fail, with its position.

use depot_query::{Comparison, Expr, Literal, Op, ParseError, Path, parse};

fn cmp(path: &str, op: Op, literal: Literal) -> Expr {
    Expr::Compare(Comparison {
        path: Path::parse(path).unwrap(),
        op,
        literal,
    })
}

fn err(text: &str) -> (usize, String) {
    let ParseError { position, message } = parse(text).unwrap_err();
    (position, message)
}

#[test]
fn every_operator_and_literal_kind_parses() {
    let cases = [
        ("a = 1", Op::Eq, Literal::Number(1.0)),
        ("a != \"x\"", Op::Ne, Literal::String("x".into())),
        ("a < -2.5e3", Op::Lt, Literal::Number(-2500.0)),
        ("a <= 0", Op::Le, Literal::Number(0.0)),
        ("a > true", Op::Gt, Literal::Bool(true)),
        ("a >= false", Op::Ge, Literal::Bool(false)),
        ("a ~ \"b\"", Op::Contains, Literal::String("b".into())),
        ("a !~ \"b\"", Op::NotContains, Literal::String("b".into())),
        ("a ?= null", Op::Has, Literal::Null),
    ];
    for (text, op, literal) in cases {
        assert_eq!(parse(text).unwrap(), cmp("a", op, literal), "{text}");
    }
}

#[test]
fn whitespace_is_optional_between_tokens_and_json_whitespace_is_allowed() {
    assert_eq!(
        parse("a.b_c=1").unwrap(),
        cmp("a.b_c", Op::Eq, Literal::Number(1.0))
    );
    assert_eq!(
        parse(" \t\r\na\n>=\t\"x\" ").unwrap(),
        cmp("a", Op::Ge, Literal::String("x".into()))
    );
}

#[test]
fn string_literals_decode_as_json() {
    let e = parse(r#"s = "a\"b\\c\u00e9\n\ud83d\ude00\u0000""#).unwrap();
    assert_eq!(
        e,
        cmp(
            "s",
            Op::Eq,
            Literal::String("a\"b\\c\u{e9}\n\u{1f600}\u{0}".into())
        )
    );
    // Non-ASCII text as is.
    assert_eq!(
        parse("s ~ \"café\"").unwrap(),
        cmp("s", Op::Contains, Literal::String("café".into()))
    );
}

#[test]
fn numbers_are_doubles_as_json_reads_them() {
    let n = |text: &str| match parse(&format!("n = {text}")).unwrap() {
        Expr::Compare(c) => c.literal,
        other => panic!("{other:?}"),
    };
    assert_eq!(n("1.0"), Literal::Number(1.0));
    assert_eq!(n("-0"), Literal::Number(-0.0));
    assert_eq!(n("1E2"), Literal::Number(100.0));
    assert_eq!(n("1e-400"), Literal::Number(0.0));
    assert_eq!(n("9007199254740993"), Literal::Number(9007199254740992.0));
    assert_eq!(n("0.1"), Literal::Number(0.1));
}

#[test]
fn precedence_is_not_then_and_then_or_and_chains_flatten() {
    let a = || cmp("a", Op::Eq, Literal::Number(1.0));
    let b = || cmp("b", Op::Eq, Literal::Number(2.0));
    let c = || cmp("c", Op::Eq, Literal::Number(3.0));
    assert_eq!(
        parse("a = 1 || b = 2 && c = 3").unwrap(),
        Expr::Or(vec![a(), Expr::And(vec![b(), c()])])
    );
    assert_eq!(
        parse("(a = 1 || b = 2) && c = 3").unwrap(),
        Expr::And(vec![Expr::Or(vec![a(), b()]), c()])
    );
    assert_eq!(
        parse("!a = 1 && b = 2").unwrap(),
        Expr::And(vec![Expr::Not(Box::new(a())), b()])
    );
    assert_eq!(
        parse("(a = 1 && b = 2) && c = 3").unwrap(),
        Expr::And(vec![a(), b(), c()])
    );
    assert_eq!(parse("((a = 1))").unwrap(), a());
    assert_eq!(
        parse("!!a = 1").unwrap(),
        Expr::Not(Box::new(Expr::Not(Box::new(a()))))
    );
}

#[test]
fn grammar_errors_point_at_the_offending_byte() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 0, "expected a path, '(' or '!', found the end"),
        ("   ", 3, "expected a path, '(' or '!', found the end"),
        ("1 = 1", 0, "expected a path, '(' or '!', found '1'"),
        (
            "a",
            1,
            "expected an operator (= != < <= > >= ~ !~ ?=), found the end",
        ),
        (
            "a == 1",
            3,
            "expected a literal (a JSON string, a number, true, false or null), found '='",
        ),
        (
            "a ! 1",
            2,
            "expected an operator (= != < <= > >= ~ !~ ?=), found '!'",
        ),
        ("a.", 2, "expected a name after '.'"),
        ("a..b = 1", 2, "expected a name after '.'"),
        ("a.1 = 1", 2, "expected a name after '.'"),
        (
            "a = ",
            4,
            "expected a literal (a JSON string, a number, true, false or null), found the end",
        ),
        (
            "a = x",
            4,
            "expected a literal (a JSON string, a number, true, false or null), found 'x'",
        ),
        (
            "a = True",
            4,
            "expected a literal (a JSON string, a number, true, false or null), found 'T'",
        ),
        (
            "a = nulls",
            4,
            "expected a literal (a JSON string, a number, true, false or null), found 'n'",
        ),
        (
            "a = 'x'",
            4,
            "expected a literal (a JSON string, a number, true, false or null), found '''",
        ),
        ("a = \"x", 4, "a string literal is not closed"),
        ("a = \"x\\", 4, "a string literal is not closed"),
        (
            "a = \"\\q\"",
            6,
            "invalid string literal (a bad escape or a control character)",
        ),
        (
            "a = \"\t\"",
            5,
            "invalid string literal (a bad escape or a control character)",
        ),
        ("a = 01", 4, "not a JSON number"),
        ("a = 1.", 4, "not a JSON number"),
        (
            "a = .5",
            4,
            "expected a literal (a JSON string, a number, true, false or null), found '.'",
        ),
        ("a = -", 4, "not a JSON number"),
        ("a = 1e", 4, "not a JSON number"),
        ("a = 2x", 4, "not a JSON number"),
        (
            "a = +1",
            4,
            "expected a literal (a JSON string, a number, true, false or null), found '+'",
        ),
        ("a = 1e400", 4, "number out of range for a double"),
        (
            "a = 1 b = 2",
            6,
            "expected '&&', '||' or the end of the filter, found 'b'",
        ),
        (
            "a = 1 & b = 2",
            6,
            "expected '&&', '||' or the end of the filter, found '&'",
        ),
        (
            "a = 1 |",
            6,
            "expected '&&', '||' or the end of the filter, found '|'",
        ),
        ("a = 1 &&", 8, "expected a path, '(' or '!', found the end"),
        ("a = 1)", 5, "unbalanced ')'"),
        ("(a = 1", 6, "expected ')', found the end"),
        ("(a = 1 b", 7, "expected ')', found 'b'"),
        ("()", 1, "expected a path, '(' or '!', found ')'"),
        (
            "a = 1 && é = 2",
            9,
            "expected a path, '(' or '!', found 'é'",
        ),
    ];
    for (text, position, message) in cases {
        assert_eq!(err(text), (*position, (*message).to_owned()), "{text:?}");
    }
}

#[test]
fn a_filter_longer_than_4096_bytes_is_refused_at_byte_4096() {
    let ok = format!("s = \"{}\"", "x".repeat(4096 - 6));
    assert_eq!(ok.len(), 4096);
    parse(&ok).unwrap();
    let long = format!("s = \"{}\"", "x".repeat(4096 - 5));
    assert_eq!(
        err(&long),
        (4096, "a filter is at most 4096 bytes".to_owned())
    );
}

#[test]
fn the_33rd_comparison_is_refused_where_it_starts() {
    let clauses = |n: usize| vec!["a = 1"; n].join(" && ");
    parse(&clauses(32)).unwrap();
    let text = clauses(33);
    let start = text.rfind("a = 1").unwrap();
    assert_eq!(
        err(&text),
        (start, "a filter holds at most 32 comparisons".to_owned())
    );
}

#[test]
fn the_17th_level_of_nesting_is_refused_at_its_opener() {
    let parens = |n: usize| format!("{}a = 1{}", "(".repeat(n), ")".repeat(n));
    parse(&parens(16)).unwrap();
    assert_eq!(
        err(&parens(17)),
        (
            16,
            "a filter nests at most 16 levels of '(' and '!'".to_owned()
        )
    );
    let nots = |n: usize| format!("{}a = 1", "!".repeat(n));
    parse(&nots(16)).unwrap();
    assert_eq!(err(&nots(17)).0, 16);
    // Mixed: each `(` and `!` is a level.
    let mixed = format!("{}a = 1{}", "!(".repeat(8), ")".repeat(8));
    parse(&mixed).unwrap();
    let deeper = format!("{}!a = 1{}", "!(".repeat(8), ")".repeat(8));
    assert_eq!(err(&deeper).0, 16);
    // Siblings don't add up.
    let wide = vec![parens(16); 4].join(" || ");
    parse(&wide).unwrap();
}

#[test]
fn paths_parse_alone_and_refuse_anything_else() {
    assert_eq!(
        Path::parse("address.city").unwrap().as_str(),
        "address.city"
    );
    assert_eq!(
        Path::parse("_x9").unwrap().segments().collect::<Vec<_>>(),
        ["_x9"]
    );
    for (text, position) in [
        ("", 0),
        ("a.", 2),
        (" a", 0),
        ("a b", 1),
        ("a-b", 1),
        ("9", 0),
    ] {
        assert_eq!(
            Path::parse(text).unwrap_err().position,
            position,
            "{text:?}"
        );
    }
}

#[test]
fn display_is_canonical_and_parses_back_to_the_same_expression() {
    let e = parse(r#"( a=1.0 ||b ~"x\u0041") && !(c.d?=null && e!=true) && !f>=-0.5"#).unwrap();
    let text = e.to_string();
    assert_eq!(
        text,
        r#"(a = 1.0 || b ~ "xA") && !(c.d ?= null && e != true) && !f >= -0.5"#
    );
    assert_eq!(parse(&text).unwrap(), e);
}

#[test]
fn random_expressions_survive_display_and_parse() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    fn random(rng: &mut StdRng, depth: usize) -> Expr {
        let leaf = depth == 0 || rng.random_bool(0.4);
        if leaf {
            let ops = [
                Op::Eq,
                Op::Ne,
                Op::Lt,
                Op::Le,
                Op::Gt,
                Op::Ge,
                Op::Contains,
                Op::NotContains,
                Op::Has,
            ];
            let literal = match rng.random_range(0..5) {
                0 => Literal::Null,
                1 => Literal::Bool(rng.random()),
                2 => Literal::Number(rng.random_range(-1e6..1e6)),
                3 => Literal::Number(f64::from(rng.random_range(-5i32..5))),
                _ => Literal::String(
                    ["", "a", "\u{0}\"\\", "é😀", "x y"][rng.random_range(0..5)].into(),
                ),
            };
            let path = ["a", "a.b", "_c.d9.e", "id"][rng.random_range(0..4)];
            return Expr::Compare(Comparison {
                path: Path::parse(path).unwrap(),
                op: ops[rng.random_range(0..ops.len())],
                literal,
            });
        }
        match rng.random_range(0..3) {
            0 => Expr::Not(Box::new(random(rng, depth - 1))),
            n => {
                let all: Vec<Expr> = (0..rng.random_range(2..4))
                    .map(|_| random(rng, depth - 1))
                    .collect();
                // What the parser would build: no operand of the same kind.
                let flat = |all: Vec<Expr>, or: bool| -> Vec<Expr> {
                    all.into_iter()
                        .flat_map(|e| match e {
                            Expr::Or(inner) if or => inner,
                            Expr::And(inner) if !or => inner,
                            e => vec![e],
                        })
                        .collect()
                };
                if n == 1 {
                    Expr::Or(flat(all, true))
                } else {
                    Expr::And(flat(all, false))
                }
            }
        }
    }
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..2000 {
        let e = random(&mut rng, 4);
        let text = e.to_string();
        assert_eq!(parse(&text).unwrap(), e, "{text}");
    }
}
