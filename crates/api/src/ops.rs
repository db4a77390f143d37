//! Operations (docs/contract.md §11): backups as the API shows them, and the NDJSON
//! records that `GET /v1/admin/export` writes and `POST /v1/admin/import` reads.
//!
//! An export is one JSON object per line, each with a `kind`: first a `header`, then
//! every project followed by its collections, each collection followed by its items,
//! and last the OAuth clients. Records keep everything the store keeps: ids, versions,
//! timestamps, item bodies byte for byte, and client secret hashes (never secrets).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The media type of export pages and import batches.
pub const NDJSON: &str = "application/x-ndjson";

/// The `format` of an export's header line, and the version this build writes and reads.
pub const EXPORT_FORMAT: &str = "depot-export";
pub const EXPORT_VERSION: u32 = 1;

/// On an export's first page: about how many records the whole export holds (for a
/// progress bar; records written meanwhile make it a little off).
pub const EXPORT_TOTAL_HEADER: &str = "depot-export-total";

/// A backup file (`POST /v1/admin/backups`, `GET /v1/admin/backups`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Backup {
    /// The file's name, as in `/v1/admin/backups/{name}`.
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The SHA-256 of its content, in hex (also in `<name>.sha256` beside it, in the
    /// format `sha256sum -c` reads).
    pub sha256: String,
    /// When the snapshot was taken.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
}

/// The answer to an import batch: what it added, what was there already, what failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    /// Records written.
    pub imported: u64,
    /// Records that were there already (same key), left as they are.
    pub skipped: u64,
    /// Records not written, by line of the batch; a `503` among them may be sent again.
    pub failed: Vec<ImportFailure>,
}

/// One record of a batch that was not written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportFailure {
    /// The record's line in the batch, from 1.
    pub line: u64,
    /// The status this record alone would have had: 400 (invalid), 404 (its parent is
    /// missing), 413 (an item over the body limit), 500, or 503 (try it again).
    pub code: u16,
    pub message: String,
}

/// One line of an export.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Header(Header),
    Project(ProjectRecord),
    Collection(CollectionRecord),
    Item(ItemRecord),
    Client(ClientRecord),
}

/// The first line: which format, which version, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub exported_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRecord {
    pub name: String,
    pub metadata: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionRecord {
    pub project: String,
    pub name: String,
    /// The JSON Schema, or null.
    pub schema: Value,
    /// The declared indexes, in their order.
    #[serde(default)]
    pub indexes: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemRecord {
    pub project: String,
    pub collection: String,
    pub id: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// The item's own members, exactly as stored (without the server-owned ones).
    pub body: Box<RawValue>,
}

/// An OAuth client with its argon2id secret hash (a PHC string), never its secret.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientRecord {
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub secret_hash: String,
    pub created_at: String,
    /// The client's own rate limit; left out for none, so an export from before rate
    /// limits (which has none) reads the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<crate::types::RateLimit>,
}

impl std::fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRecord")
            .field("client_id", &self.client_id)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("secret_hash", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
}

impl Record {
    /// Reads one line. (By hand rather than serde's tagged enums, which can't hold the
    /// item's raw body.) Unknown members are ignored, so a newer export's additions
    /// don't stop an older server from reading what it knows.
    pub fn parse(line: &str) -> Result<Record, String> {
        let kind: Kind = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let record = match kind.kind.as_ref() {
            "header" => serde_json::from_str(line).map(Record::Header),
            "project" => serde_json::from_str(line).map(Record::Project),
            "collection" => serde_json::from_str(line).map(Record::Collection),
            "item" => serde_json::from_str(line).map(Record::Item),
            "client" => serde_json::from_str(line).map(Record::Client),
            other => return Err(format!("unknown kind {other:?}")),
        };
        record.map_err(|e| e.to_string())
    }

    /// The record as one line, without the newline.
    pub fn to_line(&self) -> String {
        // Only a map with non-string keys fails to serialize; records have none.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `header`, `project`, `collection`, `item` or `client`.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Header(_) => "header",
            Record::Project(_) => "project",
            Record::Collection(_) => "collection",
            Record::Item(_) => "item",
            Record::Client(_) => "client",
        }
    }
}

/// The `kind` of a line without reading the rest (for counting what a file holds).
pub fn kind_of(line: &str) -> Option<String> {
    serde_json::from_str::<Kind>(line)
        .ok()
        .map(|k| k.kind.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_line_keeps_its_body_byte_for_byte() {
        let line = r#"{"kind":"item","project":"p","collection":"c","id":"0190a0a0-0000-7000-8000-000000000000","version":3,"created_at":"t1","updated_at":"t2","body":{"b": 1.50,"a":"\u00e9"}}"#;
        let Record::Item(item) = Record::parse(line).unwrap() else {
            panic!("an item");
        };
        assert_eq!(item.body.get(), r#"{"b": 1.50,"a":"\u00e9"}"#);
        assert_eq!(Record::Item(item).to_line(), line);
    }

    #[test]
    fn every_kind_reads_back_what_it_wrote() {
        let records = [
            r#"{"kind":"header","format":"depot-export","version":1,"exported_at":"t"}"#,
            r#"{"kind":"project","name":"p","metadata":{"x":[1]},"created_at":"t","updated_at":"u"}"#,
            r#"{"kind":"collection","project":"p","name":"c","schema":null,"indexes":["a.b"],"created_at":"t","updated_at":"u"}"#,
            r#"{"kind":"client","client_id":"id","name":"n","scopes":["admin"],"secret_hash":"$argon2id$x","created_at":"t"}"#,
            r#"{"kind":"client","client_id":"id","name":"n","scopes":["admin"],"secret_hash":"$argon2id$x","created_at":"t","rate_limit":{"per_second":0.5,"burst":2}}"#,
        ];
        for line in records {
            let record = Record::parse(line).unwrap();
            assert_eq!(record.to_line(), line);
            assert_eq!(kind_of(line).as_deref(), Some(record.kind()));
        }
    }

    #[test]
    fn unknown_kinds_and_broken_lines_are_errors() {
        assert!(
            Record::parse(r#"{"kind":"token"}"#)
                .unwrap_err()
                .contains("token")
        );
        assert!(Record::parse(r#"{"kind":"item","id":"x"}"#).is_err());
        assert!(Record::parse("{").is_err());
        assert_eq!(kind_of("[]"), None);
    }
}
