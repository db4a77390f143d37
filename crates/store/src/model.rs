//! Records as a backend stores and returns them.

use serde_json::{Map, Value};
use std::sync::Arc;

/// A project row.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub name: String,
    pub metadata: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// A collection row; `schema` is the JSON Schema or `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    pub project: String,
    pub name: String,
    pub schema: Option<Schema>,
    /// The paths the store keeps indexed, as declared (see
    /// [`depot_query::validate_indexes`]), in their order.
    pub indexes: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A collection's JSON Schema: the parsed document and its JSON text, shared.
///
/// Why not a plain `Value`: every item write reads its collection (from a cache) and
/// validates against the schema. A `Value` made each read deep-copy the schema, and
/// the server's compiled-validator cache serialize it again for its key; profiled
/// together at about 5 % of a create. Here a copy is an `Arc` and the key is the text.
#[derive(Debug, Clone)]
pub struct Schema(Arc<SchemaDoc>);

#[derive(Debug)]
struct SchemaDoc {
    value: Value,
    text: String,
}

impl Schema {
    /// A schema given as a document; its text is the compact serialization.
    pub fn new(value: Value) -> Schema {
        let text = value.to_string();
        Schema(Arc::new(SchemaDoc { value, text }))
    }

    /// A schema read back as stored text (which came from [`Schema::text`]).
    pub fn from_text(text: String) -> Result<Schema, serde_json::Error> {
        let value = serde_json::from_str(&text)?;
        Ok(Schema(Arc::new(SchemaDoc { value, text })))
    }

    pub fn value(&self) -> &Value {
        &self.0.value
    }

    /// The schema as JSON text: what a store keeps, and a key that names the document.
    pub fn text(&self) -> &str {
        &self.0.text
    }
}

/// Two schemas are equal when their documents are, whatever their text's spacing.
impl PartialEq for Schema {
    fn eq(&self, other: &Schema) -> bool {
        self.value() == other.value()
    }
}

/// An item: the client's JSON object (without server-owned members) as compact text,
/// plus the members the server owns.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
    /// A JSON object, serialized; never contains `id`, `created_at`, `updated_at`, `version`.
    pub data: String,
}

impl Item {
    /// The item as the API shows it: server-owned members first, then the stored members
    /// spliced in as stored, so the body is never re-serialized.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.json_len());
        self.write_json(&mut out);
        out
    }

    /// About how long [`Item::to_json`] is, to size buffers.
    pub fn json_len(&self) -> usize {
        self.data.len() + self.id.len() + self.created_at.len() + self.updated_at.len() + 80
    }

    /// Appends [`Item::to_json`] to `out` (a list writes every item into one buffer).
    pub fn write_json(&self, out: &mut String) {
        use std::fmt::Write;
        let rest = self.data.trim();
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        out.push_str("{\"id\":\"");
        out.push_str(&self.id);
        out.push_str("\",\"created_at\":\"");
        out.push_str(&self.created_at);
        out.push_str("\",\"updated_at\":\"");
        out.push_str(&self.updated_at);
        out.push_str("\",\"version\":");
        // Writing to a String can't fail.
        let _ = write!(out, "{}", self.version);
        if rest.trim_start().starts_with('}') {
            out.push('}');
        } else {
            out.push(',');
            out.push_str(rest);
        }
    }
}

/// An answer kept for an idempotent request, replayed to a retry with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub location: Option<String>,
    /// The body as sent the first time.
    pub body: String,
}

/// Something to create.
#[derive(Debug, Clone, PartialEq)]
pub enum NewResource {
    Project {
        name: String,
        metadata: Map<String, Value>,
    },
    Collection {
        project: String,
        name: String,
        schema: Option<Value>,
        indexes: Vec<String>,
    },
    Item {
        project: String,
        collection: String,
        data: String,
    },
    Client(ClientRecord),
}

/// Something created.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    Project(Project),
    Collection(Collection),
    /// An item with the names of its parents, which the record itself doesn't carry.
    Item {
        project: String,
        collection: String,
        item: Item,
    },
    Client(ClientRecord),
}

/// The `Idempotency-Key` of a create, recorded in the same transaction as the create.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// Keys are scoped to the client that sent them.
    pub client_id: String,
    pub key: String,
    /// A digest of the request; the same key with another digest is `KeyReused`.
    pub fingerprint: String,
    /// Unix seconds after which the record may be purged.
    pub expires_at: i64,
    /// Renders the answer that is stored and replayed. A plain function, so the store
    /// can run it inside its transaction without knowing the wire format.
    pub render: fn(&Resource) -> StoredResponse,
}

/// The outcome of an idempotent create.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// Created now; its answer was stored with it.
    New(Resource, StoredResponse),
    /// The key was used before with the same request: the first answer.
    Replayed(StoredResponse),
}

/// Which projects a list may show: all of them, or only the named ones.
#[derive(Debug, Clone, PartialEq)]
pub enum ProjectFilter {
    All,
    Only(Vec<String>),
}

impl ProjectFilter {
    pub fn allows(&self, name: &str) -> bool {
        match self {
            ProjectFilter::All => true,
            ProjectFilter::Only(names) => names.iter().any(|n| n == name),
        }
    }
}

/// One page of a query ([`crate::Store::query_items`]): the items, and where the next
/// page starts (`None`: nothing follows; otherwise there may be more).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemPage {
    pub rows: Vec<Item>,
    pub next: Option<depot_query::Position>,
}

/// One page of a keyset-paginated list: the rows, and whether more follow the last one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_more: bool,
}

/// A client's own rate limit (docs/contract.md §10): a token bucket that refills at
/// `per_second` and holds at most `burst` requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

impl RateLimit {
    /// The highest rate a limit may have, in requests a second.
    pub const MAX_PER_SECOND: f64 = 1e6;
    /// The largest burst a limit may have.
    pub const MAX_BURST: u32 = 1_000_000;

    /// Whether `per_second` can be a limit's rate: finite, above 0, at most
    /// [`RateLimit::MAX_PER_SECOND`].
    pub fn valid_per_second(per_second: f64) -> bool {
        per_second.is_finite() && per_second > 0.0 && per_second <= Self::MAX_PER_SECOND
    }

    /// Whether `burst` can be a limit's burst: 1 to [`RateLimit::MAX_BURST`].
    pub fn valid_burst(burst: u64) -> bool {
        (1..=u64::from(Self::MAX_BURST)).contains(&burst)
    }

    /// The burst of a rate given without one: twice the rate, at least 1 (as for
    /// `--client-burst`).
    pub fn default_burst(per_second: f64) -> u32 {
        // Saturating: a huge rate gets the largest burst a u32 holds.
        (per_second * 2.0).ceil().max(1.0) as u32
    }

    /// A client's limit of `per_second` with `burst`, or without one the default burst
    /// within [`RateLimit::MAX_BURST`]. Unchecked: see [`RateLimit::is_valid`].
    pub fn new(per_second: f64, burst: Option<u32>) -> RateLimit {
        RateLimit {
            per_second,
            burst: burst.unwrap_or_else(|| Self::default_burst(per_second).min(Self::MAX_BURST)),
        }
    }

    /// Whether both members are within their bounds.
    pub fn is_valid(&self) -> bool {
        Self::valid_per_second(self.per_second) && Self::valid_burst(u64::from(self.burst))
    }

    /// A limit as both stores keep it, two nullable columns: both NULL for none. `Err`
    /// for one without the other or a value out of bounds (a corrupt row), saying so.
    pub fn from_columns(
        per_second: Option<f64>,
        burst: Option<i64>,
    ) -> Result<Option<RateLimit>, &'static str> {
        const CORRUPT: &str = "a client's rate limit is half set or out of bounds";
        match (per_second, burst) {
            (None, None) => Ok(None),
            (Some(per_second), Some(burst)) => u32::try_from(burst)
                .ok()
                .map(|burst| RateLimit { per_second, burst })
                .filter(RateLimit::is_valid)
                .map(Some)
                .ok_or(CORRUPT),
            _ => Err(CORRUPT),
        }
    }

    /// The two columns of [`RateLimit::from_columns`].
    pub fn columns(limit: Option<RateLimit>) -> (Option<f64>, Option<i64>) {
        match limit {
            Some(l) => (Some(l.per_second), Some(i64::from(l.burst))),
            None => (None, None),
        }
    }
}

/// An OAuth client. `secret_hash` is an argon2id PHC string, never the secret.
#[derive(Clone, PartialEq)]
pub struct ClientRecord {
    pub client_id: String,
    pub name: String,
    pub secret_hash: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    /// Its own rate limit; `None`: the server's default (`--client-rate`), if any.
    pub rate_limit: Option<RateLimit>,
}

impl std::fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRecord")
            .field("client_id", &self.client_id)
            .field("name", &self.name)
            .field("secret_hash", &"<redacted>")
            .field("scopes", &self.scopes)
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

/// An issued access token, known only by the SHA-256 of its text.
#[derive(Clone, PartialEq)]
pub struct TokenRecord {
    pub hash: [u8; 32],
    pub client_id: String,
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub expires_at: i64,
    /// Its client's rate limit, read with the token (so checking it costs no query of
    /// its own). Ignored by [`crate::Store::insert_token`]: a token always has its
    /// client's.
    pub rate_limit: Option<RateLimit>,
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("hash", &"<redacted>")
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::Item;

    fn item(data: &str) -> Item {
        Item {
            id: "0190a0a0-0000-7000-8000-000000000000".into(),
            created_at: "t1".into(),
            updated_at: "t2".into(),
            version: 3,
            data: data.into(),
        }
    }

    #[test]
    fn item_json_splices_server_members_before_the_stored_ones() {
        let v: serde_json::Value =
            serde_json::from_str(&item(r#"{"b":1,"a":2}"#).to_json()).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["id", "created_at", "updated_at", "version", "b", "a"]
        );
        assert_eq!(v["version"], 3);
    }

    #[test]
    fn item_json_of_an_empty_object_is_valid() {
        let v: serde_json::Value = serde_json::from_str(&item("{}").to_json()).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 4);
    }
}

/// Counts of committed work, for metrics: `writes / batches` is the mean group size of
/// a backend that commits many writes together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteStats {
    /// Transactions committed.
    pub batches: u64,
    /// Write calls carried by those transactions (failed ones included: they were
    /// answered after that commit too).
    pub writes: u64,
}
