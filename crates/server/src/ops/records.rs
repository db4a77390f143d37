//! An import line checked and turned into what the store writes: the same rules a
//! create over the API applies to names, ids, scopes, schemas and item bodies, plus
//! the shape of what a create would have made itself (timestamps, versions, a secret
//! hash). What is checked here is what the stores take as given.

use crate::auth::scopes::Scopes;
use crate::request::body::SERVER_OWNED;
use depot_api::names::{is_valid_client_id, is_valid_name};
use depot_api::ops::{
    ClientRecord, CollectionRecord, EXPORT_FORMAT, EXPORT_VERSION, ItemRecord, ProjectRecord,
    Record,
};
use depot_store::{Collection, Item, Project, RateLimit, Resource, Schema};
use serde_json::Value;

/// The longest client name, as for a create.
const MAX_CLIENT_NAME: usize = 200;

/// Why a line can't be imported: the status it stands for, and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub message: String,
}

fn invalid(message: impl Into<String>) -> Refusal {
    Refusal {
        code: 400,
        message: message.into(),
    }
}

/// What the stores need to know to check a line.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub body_limit: usize,
    pub max_depth: usize,
}

/// The record on `line` as the store writes it; `None` for the header.
pub fn check(line: &str, limits: Limits) -> Result<Option<Resource>, Refusal> {
    let record = Record::parse(line).map_err(|e| invalid(format!("not a record: {e}")))?;
    Ok(Some(match record {
        Record::Header(h) => {
            if h.format != EXPORT_FORMAT || h.version > EXPORT_VERSION {
                return Err(invalid(format!(
                    "a {:?} version {} file; this server reads {EXPORT_FORMAT} up to version \
                     {EXPORT_VERSION}",
                    h.format, h.version
                )));
            }
            return Ok(None);
        }
        Record::Project(p) => project(p)?,
        Record::Collection(c) => collection(c)?,
        Record::Item(i) => item(i, limits)?,
        Record::Client(c) => client(c)?,
    }))
}

fn project(p: ProjectRecord) -> Result<Resource, Refusal> {
    name("project", &p.name)?;
    timestamps(&[&p.created_at, &p.updated_at])?;
    Ok(Resource::Project(Project {
        name: p.name,
        metadata: p.metadata,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }))
}

fn collection(c: CollectionRecord) -> Result<Resource, Refusal> {
    name("project", &c.project)?;
    name("collection", &c.name)?;
    timestamps(&[&c.created_at, &c.updated_at])?;
    let schema = match c.schema {
        Value::Null => None,
        schema @ (Value::Object(_) | Value::Bool(_)) => {
            // Admin-only and once per collection: checked inline, with the default
            // instance limits (the store keeps it; writes check it as any schema).
            depot_schema::compile(&schema).map_err(|e| invalid(e.to_string()))?;
            Some(Schema::new(schema))
        }
        _ => return Err(invalid("schema must be a JSON Schema or null")),
    };
    depot_store::query::validate_indexes(&c.indexes)
        .map_err(|e| invalid(format!("indexes: {}", e.message)))?;
    Ok(Resource::Collection(Collection {
        project: c.project,
        name: c.name,
        schema,
        indexes: c.indexes,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }))
}

/// The body must be what a create would have stored: a JSON object within the limits,
/// without the server's members. It is kept as it is, not re-serialized.
fn item(i: ItemRecord, limits: Limits) -> Result<Resource, Refusal> {
    name("project", &i.project)?;
    name("collection", &i.collection)?;
    if !depot_store::is_item_id(&i.id) {
        return Err(invalid("id must be a lowercase hyphenated UUID"));
    }
    if i.version < 1 {
        return Err(invalid("version must be at least 1"));
    }
    timestamps(&[&i.created_at, &i.updated_at])?;
    let data = i.body.get();
    if data.len() > limits.body_limit {
        return Err(Refusal {
            code: 413,
            message: format!(
                "the item is {} bytes, over the limit of {} bytes",
                data.len(),
                limits.body_limit
            ),
        });
    }
    let value = depot_api::json::parse_strict(data.as_bytes(), limits.max_depth)
        .map_err(|e| invalid(format!("body is not valid JSON: {e}")))?;
    let Value::Object(members) = value else {
        return Err(invalid("body must be a JSON object"));
    };
    if let Some(owned) = SERVER_OWNED.iter().find(|m| members.contains_key(**m)) {
        return Err(invalid(format!(
            "body has {owned:?}, which the record carries beside it"
        )));
    }
    Ok(Resource::Item {
        project: i.project,
        collection: i.collection,
        item: Item {
            id: i.id,
            created_at: i.created_at,
            updated_at: i.updated_at,
            version: i.version,
            data: data.to_owned(),
        },
    })
}

fn client(c: ClientRecord) -> Result<Resource, Refusal> {
    if !is_valid_client_id(&c.client_id) {
        return Err(invalid(
            "client_id must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ -",
        ));
    }
    if c.name.trim().is_empty() || c.name.len() > MAX_CLIENT_NAME {
        return Err(invalid(format!(
            "name must be 1 to {MAX_CLIENT_NAME} bytes"
        )));
    }
    Scopes::parse(c.scopes.iter().map(String::as_str))
        .map_err(|bad| invalid(format!("{bad:?} is not a scope")))?;
    let phc = argon2::password_hash::PasswordHash::new(&c.secret_hash);
    if !phc.is_ok_and(|h| h.algorithm.as_str().starts_with("argon2")) {
        return Err(invalid("secret_hash must be an argon2 PHC string"));
    }
    timestamps(&[&c.created_at])?;
    let rate_limit = c.rate_limit.map(|l| RateLimit {
        per_second: l.per_second,
        burst: l.burst,
    });
    if rate_limit.is_some_and(|l| !l.is_valid()) {
        return Err(invalid(format!(
            "rate_limit needs per_second above 0 and at most {} and burst from 1 to {}",
            RateLimit::MAX_PER_SECOND,
            RateLimit::MAX_BURST
        )));
    }
    Ok(Resource::Client(depot_store::ClientRecord {
        client_id: c.client_id,
        name: c.name,
        secret_hash: c.secret_hash,
        scopes: c.scopes,
        created_at: c.created_at,
        rate_limit,
    }))
}

fn name(what: &str, value: &str) -> Result<(), Refusal> {
    if is_valid_name(value) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} name {value:?} breaks the naming rule ^[a-z0-9][a-z0-9_-]{{0,62}}$"
        )))
    }
}

/// Timestamps exactly as depot writes them (`2025-01-02T03:04:05.678Z`): lists and
/// sorts compare them as text, so one written another way would sort wrongly.
fn timestamps(values: &[&str]) -> Result<(), Refusal> {
    for value in values {
        let b = value.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let ok = b.len() == 24
            && digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19)
            && b[19] == b'.'
            && digits(20..23)
            && b[23] == b'Z';
        if !ok {
            return Err(invalid(format!(
                "timestamp {value:?} is not like 2025-01-02T03:04:05.678Z (UTC, milliseconds)"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        body_limit: 64,
        max_depth: 8,
    };
    const T: &str = "2025-01-02T03:04:05.678Z";

    fn item_line(body: &str) -> String {
        format!(
            r#"{{"kind":"item","project":"p","collection":"c","id":"0190a0a0-0000-7000-8000-000000000000","version":2,"created_at":"{T}","updated_at":"{T}","body":{body}}}"#
        )
    }

    #[test]
    fn an_item_keeps_its_body_text_as_sent() {
        let Some(Resource::Item { item, .. }) = check(&item_line(r#"{"a": 1.0}"#), LIMITS).unwrap()
        else {
            panic!("an item");
        };
        assert_eq!(item.data, r#"{"a": 1.0}"#);
        assert_eq!(item.version, 2);
    }

    #[test]
    fn bodies_a_create_would_refuse_are_refused() {
        for (body, code) in [
            ("[1]", 400),
            (r#"{"id":"x"}"#, 400),
            (r#"{"a":1,"a":2}"#, 400),
            (r#"{"a":[[[[[[[[[[1]]]]]]]]]]}"#, 400),
            (&format!(r#"{{"a":"{}"}}"#, "x".repeat(64)), 413),
        ] {
            let refusal = check(&item_line(body), LIMITS).unwrap_err();
            assert_eq!(refusal.code, code, "{body}: {refusal:?}");
        }
    }

    #[test]
    fn names_timestamps_scopes_and_hashes_are_checked() {
        let bad = [
            format!(r#"{{"kind":"project","name":"Bad","metadata":{{}},"created_at":"{T}","updated_at":"{T}"}}"#),
            r#"{"kind":"project","name":"p","metadata":{},"created_at":"yesterday","updated_at":"x"}"#.to_owned(),
            format!(r#"{{"kind":"client","client_id":"c","name":"n","scopes":["root"],"secret_hash":"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA","created_at":"{T}"}}"#),
            format!(r#"{{"kind":"client","client_id":"c","name":"n","scopes":["admin"],"secret_hash":"plain","created_at":"{T}"}}"#),
            format!(r#"{{"kind":"collection","project":"p","name":"c","schema":1,"created_at":"{T}","updated_at":"{T}"}}"#),
            r#"{"kind":"header","format":"depot-export","version":99,"exported_at":"t"}"#.to_owned(),
        ];
        for line in bad {
            assert_eq!(check(&line, LIMITS).unwrap_err().code, 400, "{line}");
        }
        let good = format!(
            r#"{{"kind":"client","client_id":"c","name":"n","scopes":["admin"],"secret_hash":"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA","created_at":"{T}"}}"#
        );
        assert!(matches!(
            check(&good, LIMITS),
            Ok(Some(Resource::Client(_)))
        ));
    }
}
