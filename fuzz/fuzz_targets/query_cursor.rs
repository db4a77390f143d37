//! List queries and cursors: `depot_server::request::paging::{parse_query, parse_query_in,
//! encode_cursor}`.
//!
//! Input: one control byte (which scope), then the raw query string. Every list kind
//! parses it; the answer must equal a model of the documented rules (only `limit` in
//! 1..=1000 and `cursor` from this list, each at most once), a 400 must name the
//! offending parameter, and a cursor must round-trip: for every key valid in a list,
//! encode then parse gives the key back, and neither another list nor another scope
//! accepts it.

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use depot_api::ErrorKind;
use depot_fuzz::rendered;
use depot_server::request::paging::{
    ListKind, ListQuery, MAX_LIMIT, encode_cursor, parse_query, parse_query_in,
};
use libfuzzer_sys::fuzz_target;

const KINDS: [ListKind; 4] = [
    ListKind::Projects,
    ListKind::Collections,
    ListKind::Items,
    ListKind::Clients,
];

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let raw = String::from_utf8_lossy(rest);
    let scope = match control % 4 {
        0 => String::new(),
        1 => "demo".to_owned(),
        2 => "demo/notes".to_owned(),
        _ => raw.chars().take(8).collect(),
    };
    for kind in KINDS {
        check_parse(&raw, kind, &scope);
        if scope.is_empty() {
            let top = parse_query(Some(&raw), kind);
            let inner = parse_query_in(Some(&raw), kind, "");
            assert_eq!(top.ok(), inner.ok());
        }
        for key in candidate_keys(&raw, rest) {
            check_round_trip(kind, &scope, &key);
        }
    }
});

fn check_parse(raw: &str, kind: ListKind, scope: &str) {
    let got = parse_query_in(Some(raw), kind, scope);
    let want = model(raw, kind, scope);
    match (got, want) {
        (Ok(q), Ok(w)) => {
            assert!((1..=MAX_LIMIT).contains(&q.limit));
            assert_eq!(q, w);
            if let Some(key) = &q.after {
                assert!(key_is_valid(kind, key));
                assert!(!key.contains(':'));
            }
        }
        (Err(err), Err(param)) => {
            assert_eq!(err.kind(), ErrorKind::BadRequest);
            let (status, body) = rendered(err);
            assert_eq!(status, 400);
            if let Some(param) = param {
                assert_eq!(body["details"]["parameter"], param.as_str(), "{raw:?}");
            }
        }
        (got, want) => panic!("{raw:?} for {kind:?} in {scope:?}: got {got:?}, want {want:?}"),
    }
}

/// The rules as documented, over the same form decoding (`application/x-www-form-
/// urlencoded`); an error carries the parameter it names.
fn model(raw: &str, kind: ListKind, scope: &str) -> Result<ListQuery, Option<String>> {
    let mut query = ListQuery {
        limit: 50,
        after: None,
    };
    let mut seen = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        if seen.contains(&key) {
            return Err(Some(key.into_owned()));
        }
        match key.as_ref() {
            // Digits only: a sign (`+5`, `%2B5`) is refused on purpose (README "Lists").
            "limit" => match value.parse::<usize>() {
                Ok(n)
                    if value.bytes().all(|b| b.is_ascii_digit())
                        && (1..=MAX_LIMIT).contains(&n) =>
                {
                    query.limit = n
                }
                _ => return Err(Some(key.into_owned())),
            },
            "cursor" => match model_cursor(&value, kind, scope) {
                Some(after) => query.after = Some(after),
                None => return Err(Some(key.into_owned())),
            },
            _ => return Err(Some(key.into_owned())),
        }
        seen.push(key);
    }
    Ok(query)
}

fn model_cursor(cursor: &str, kind: ListKind, scope: &str) -> Option<String> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let prefix = format!("{}:{scope}:", tag(kind));
    let key = text.strip_prefix(&prefix)?;
    (!scope.contains(':') && key_is_valid(kind, key)).then(|| key.to_owned())
}

fn tag(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Projects => "p",
        ListKind::Collections => "c",
        ListKind::Items => "i",
        ListKind::Clients => "k",
    }
}

fn key_is_valid(kind: ListKind, key: &str) -> bool {
    match kind {
        ListKind::Projects | ListKind::Collections => depot_api::names::is_valid_name(key),
        ListKind::Items => depot_store::is_item_id(key),
        ListKind::Clients => depot_server::auth::secrets::is_valid_client_id(key),
    }
}

/// The raw text itself, a name made of its characters, and an item id made of its bytes.
fn candidate_keys(raw: &str, bytes: &[u8]) -> Vec<String> {
    let name: String = raw
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .take(63)
        .collect();
    let mut id = [0u8; 16];
    for (i, b) in bytes.iter().enumerate() {
        id[i % 16] ^= b.rotate_left(i as u32 / 16);
    }
    id[6] = (id[6] & 0x0f) | 0x70;
    id[8] = (id[8] & 0x3f) | 0x80;
    let id = id.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let id = format!(
        "{}-{}-{}-{}-{}",
        &id[..8],
        &id[8..12],
        &id[12..16],
        &id[16..20],
        &id[20..]
    );
    vec![raw.to_owned(), name, id]
}

fn check_round_trip(kind: ListKind, scope: &str, key: &str) {
    let cursor = encode_cursor(kind, scope, key);
    let raw = format!("limit=7&cursor={cursor}");
    let parsed = parse_query_in(Some(&raw), kind, scope);
    if key_is_valid(kind, key) && !scope.contains(':') {
        let q = parsed.unwrap_or_else(|e| panic!("own cursor for {key:?} refused: {e:?}"));
        assert_eq!(q.after.as_deref(), Some(key));
        assert_eq!(q.limit, 7);
    } else {
        assert!(
            parsed.is_err(),
            "a cursor for the invalid key {key:?} was accepted"
        );
    }
    for other in KINDS.into_iter().filter(|k| *k != kind) {
        assert!(
            parse_query_in(Some(&raw), other, scope).is_err(),
            "replayed in {other:?}"
        );
    }
    let elsewhere = format!("{scope}x");
    assert!(
        parse_query_in(Some(&raw), kind, &elsewhere).is_err(),
        "replayed in {elsewhere:?}"
    );
}
