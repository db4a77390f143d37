//! What the SQL translations promise without a database: values are bound, never
//! spliced; PostgreSQL's escape keeps equality and order; index names are stable.

use depot_query::sql::postgres::{self, Postgres, doc, escape, unescape};
use depot_query::sql::sqlite::{self, Sqlite};
use depot_query::sql::{Dialect, Params, SqlParam, filter, index_name};
use depot_query::{Path, parse};

#[test]
fn literals_are_bound_parameters_never_sql_text() {
    let f = parse(r#"a = "x'); DROP TABLE items; --" || b ?= "MARK1'" || c ~ "MARK2'" || id < "MARK3'" || n > 12345.5"#)
        .unwrap();
    for d in [&Sqlite as &dyn Dialect, &Postgres] {
        let mut p = Params::new(d);
        let sql = filter(d, &f, &mut p);
        assert!(
            !sql.contains("DROP") && !sql.contains("MARK") && !sql.contains("12345"),
            "{sql}"
        );
        let values = p.into_values();
        assert!(values.contains(&SqlParam::Text("x'); DROP TABLE items; --".into())));
        assert!(values.contains(&SqlParam::Real(12345.5)));
    }
}

#[test]
fn the_postgres_escape_is_injective_and_keeps_code_point_order() {
    let alphabet = ['\u{0}', '\u{1}', '\u{2}', 'a'];
    let mut words = vec![String::new()];
    for _ in 0..4 {
        let longer: Vec<String> = words
            .iter()
            .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
            .collect();
        words.extend(longer);
    }
    words.sort();
    words.dedup();
    for a in &words {
        assert_eq!(&unescape(&escape(a)), a);
        assert!(!escape(a).contains('\u{0}'));
        for b in &words {
            assert_eq!(escape(a).cmp(&escape(b)), a.cmp(b), "{a:?} {b:?}");
        }
    }
}

#[test]
fn a_postgres_doc_escapes_strings_and_names_and_normalizes_numbers() {
    let d = doc(r#"{"a":"x\u0000y","k\u0001":[1.50,1e-400,12345678901234567890123,-0],"n":7}"#)
        .unwrap();
    assert!(d.escaped);
    let v: serde_json::Value = serde_json::from_str(&d.json).unwrap();
    assert_eq!(v["a"], "x\u{1}\u{1}y");
    assert_eq!(
        v["k\u{1}\u{2}"],
        serde_json::json!([1.5, 0.0, 1.2345678901234568e22, -0.0])
    );
    assert!(!d.json.contains("\\u0000"));
    let plain = doc(r#"{"s":"\u0002","n":1}"#).unwrap();
    assert!(!plain.escaped);
    assert!(doc("{").is_err());
}

#[test]
fn index_definitions_are_partial_and_named_by_collection_and_path() {
    let path = Path::parse("address.city").unwrap();
    let name = index_name(42, "address.city");
    assert_eq!(name, index_name(42, "address.city"));
    assert_ne!(name, index_name(43, "address.city"));
    assert_ne!(name, index_name(42, "address.cit"));
    assert!(name.len() <= 63);
    let lite = sqlite::create_index(42, &path);
    assert!(
        lite.starts_with(&format!("CREATE INDEX {name} ON items (")),
        "{lite}"
    );
    assert!(lite.ends_with(", id) WHERE collection_id = 42"), "{lite}");
    let pg = postgres::create_index(42, &path);
    assert!(pg.contains("(doc #> '{address,city}')") && pg.ends_with("WHERE collection_id = 42"));
    assert_eq!(
        sqlite::drop_index(42, "address.city"),
        format!("DROP INDEX IF EXISTS {name}")
    );
    let member = sqlite::create_index(7, &Path::parse("updated_at").unwrap());
    assert!(member.contains("((updated_at), id)"), "{member}");
}
