//! The export walk: one page of NDJSON records ([`depot_api::ops::Record`]) after a
//! position, in the export's order: the header; each project, then its collections,
//! each collection then its items; then the clients.
//!
//! A page ends after [`MAX_RECORDS`] records or once it holds [`MAX_BYTES`], so a page
//! costs bounded memory however large the store (plus one item at most beyond the
//! bytes). Its last record's key is where the next page starts ([`Position`], carried
//! in an opaque cursor). Each page reads the store afresh: an export taken while
//! writes go on is not one snapshot (put the server in maintenance mode first, or take
//! a backup, for that). Something deleted between pages is simply not there.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use depot_api::ops::{
    ClientRecord, CollectionRecord, EXPORT_FORMAT, EXPORT_VERSION, Header, ItemRecord,
    ProjectRecord, Record,
};
use depot_store::{Collection, Item, Page, Project, ProjectFilter, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use std::ops::ControlFlow::{self, Break, Continue};

/// Most records in one page.
pub const MAX_RECORDS: usize = 5000;
/// A page stops growing once it holds this many bytes.
pub const MAX_BYTES: usize = 4 << 20;
/// Rows asked of the store at a time.
const LIST_PAGE: usize = 500;

/// Where a page starts: after the record with this key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "after", rename_all = "snake_case")]
pub enum Position {
    Start,
    Project {
        project: String,
    },
    Collection {
        project: String,
        collection: String,
    },
    Item {
        project: String,
        collection: String,
        id: String,
    },
    Client {
        client_id: String,
    },
}

impl Position {
    /// The opaque cursor of this position.
    pub fn cursor(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// The position a cursor names, if it is one this server made.
    pub fn from_cursor(cursor: &str) -> Option<Position> {
        let json = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        serde_json::from_slice(&json).ok()
    }
}

/// A page being filled.
pub struct ExportPage {
    pub body: String,
    pub records: usize,
    last: Position,
}

impl ExportPage {
    fn new() -> ExportPage {
        ExportPage {
            body: String::with_capacity(64 * 1024),
            records: 0,
            last: Position::Start,
        }
    }

    fn push(&mut self, record: &Record, at: Position) {
        self.body.push_str(&record.to_line());
        self.body.push('\n');
        self.records += 1;
        self.last = at;
    }

    fn flow(&self) -> ControlFlow<()> {
        if self.records >= MAX_RECORDS || self.body.len() >= MAX_BYTES {
            Break(())
        } else {
            Continue(())
        }
    }

    /// How many more rows this page may take.
    fn room(&self) -> usize {
        MAX_RECORDS.saturating_sub(self.records).clamp(1, LIST_PAGE)
    }
}

/// The page after `after`, and the position of the next one (`None`: the export is
/// complete).
pub async fn page(
    store: &dyn Store,
    after: &Position,
) -> Result<(ExportPage, Option<Position>), StoreError> {
    let mut page = ExportPage::new();
    let flow = match after {
        Position::Start => {
            page.push(&header(), Position::Start);
            rest_after_project(store, &mut page, None).await?
        }
        Position::Project { project } => {
            let flow = collections(store, &mut page, project, None).await?;
            then(flow, rest_after_project(store, &mut page, Some(project))).await?
        }
        Position::Collection {
            project,
            collection,
        } => {
            let flow = items(store, &mut page, project, collection, None).await?;
            let flow = then(
                flow,
                collections(store, &mut page, project, Some(collection)),
            )
            .await?;
            then(flow, rest_after_project(store, &mut page, Some(project))).await?
        }
        Position::Item {
            project,
            collection,
            id,
        } => {
            let flow = items(store, &mut page, project, collection, Some(id)).await?;
            let flow = then(
                flow,
                collections(store, &mut page, project, Some(collection)),
            )
            .await?;
            then(flow, rest_after_project(store, &mut page, Some(project))).await?
        }
        Position::Client { client_id } => clients(store, &mut page, Some(client_id)).await?,
    };
    let next = flow.is_break().then(|| page.last.clone());
    Ok((page, next))
}

/// Runs `next` only if the page has room left.
async fn then(
    flow: ControlFlow<()>,
    next: impl Future<Output = Result<ControlFlow<()>, StoreError>>,
) -> Result<ControlFlow<()>, StoreError> {
    match flow {
        Break(()) => Ok(Break(())),
        Continue(()) => next.await,
    }
}

/// The projects after `after` (with everything in them), then the clients.
async fn rest_after_project(
    store: &dyn Store,
    page: &mut ExportPage,
    after: Option<&str>,
) -> Result<ControlFlow<()>, StoreError> {
    let flow = projects(store, page, after).await?;
    then(flow, clients(store, page, None)).await
}

async fn projects(
    store: &dyn Store,
    page: &mut ExportPage,
    after: Option<&str>,
) -> Result<ControlFlow<()>, StoreError> {
    let mut after = after.map(str::to_owned);
    loop {
        let rows = store
            .list_projects(&ProjectFilter::All, after.as_deref(), LIST_PAGE)
            .await?;
        for p in &rows.rows {
            let at = Position::Project {
                project: p.name.clone(),
            };
            page.push(&project_record(p), at);
            if page.flow().is_break() {
                return Ok(Break(()));
            }
            if collections(store, page, &p.name, None).await?.is_break() {
                return Ok(Break(()));
            }
        }
        match next_key(&rows, |p| &p.name) {
            Some(key) => after = Some(key),
            None => return Ok(Continue(())),
        }
    }
}

async fn collections(
    store: &dyn Store,
    page: &mut ExportPage,
    project: &str,
    after: Option<&str>,
) -> Result<ControlFlow<()>, StoreError> {
    let mut after = after.map(str::to_owned);
    loop {
        let rows = match store
            .list_collections(project, after.as_deref(), LIST_PAGE)
            .await
        {
            Err(StoreError::NotFound) => return Ok(Continue(())),
            other => other?,
        };
        for c in &rows.rows {
            let at = Position::Collection {
                project: project.to_owned(),
                collection: c.name.clone(),
            };
            page.push(&collection_record(c), at);
            if page.flow().is_break() {
                return Ok(Break(()));
            }
            if items(store, page, project, &c.name, None).await?.is_break() {
                return Ok(Break(()));
            }
        }
        match next_key(&rows, |c| &c.name) {
            Some(key) => after = Some(key),
            None => return Ok(Continue(())),
        }
    }
}

async fn items(
    store: &dyn Store,
    page: &mut ExportPage,
    project: &str,
    collection: &str,
    after: Option<&str>,
) -> Result<ControlFlow<()>, StoreError> {
    let mut after = after.map(str::to_owned);
    loop {
        let listed = store
            .list_items(project, collection, after.as_deref(), page.room())
            .await;
        let rows = match listed {
            Err(StoreError::NotFound) => return Ok(Continue(())),
            other => other?,
        };
        for item in &rows.rows {
            let at = Position::Item {
                project: project.to_owned(),
                collection: collection.to_owned(),
                id: item.id.clone(),
            };
            page.push(&item_record(project, collection, item)?, at);
            if page.flow().is_break() {
                return Ok(Break(()));
            }
        }
        match next_key(&rows, |i| &i.id) {
            Some(key) => after = Some(key),
            None => return Ok(Continue(())),
        }
    }
}

async fn clients(
    store: &dyn Store,
    page: &mut ExportPage,
    after: Option<&str>,
) -> Result<ControlFlow<()>, StoreError> {
    let mut after = after.map(str::to_owned);
    loop {
        let rows = store.list_clients(after.as_deref(), LIST_PAGE).await?;
        for c in &rows.rows {
            let at = Position::Client {
                client_id: c.client_id.clone(),
            };
            let record = Record::Client(ClientRecord {
                client_id: c.client_id.clone(),
                name: c.name.clone(),
                scopes: c.scopes.clone(),
                secret_hash: c.secret_hash.clone(),
                created_at: c.created_at.clone(),
                rate_limit: c.rate_limit.map(crate::respond::rate_limit),
            });
            page.push(&record, at);
            if page.flow().is_break() {
                return Ok(Break(()));
            }
        }
        match next_key(&rows, |c| &c.client_id) {
            Some(key) => after = Some(key),
            None => return Ok(Continue(())),
        }
    }
}

/// About how many records an export of the store holds now: for a progress bar.
pub async fn total(store: &dyn Store) -> Result<u64, StoreError> {
    let mut total = 1; // the header
    let mut after: Option<String> = None;
    loop {
        let projects = store
            .list_projects(&ProjectFilter::All, after.as_deref(), LIST_PAGE)
            .await?;
        for p in &projects.rows {
            total += 1 + collection_records(store, &p.name).await?;
        }
        match next_key(&projects, |p| &p.name) {
            Some(key) => after = Some(key),
            None => break,
        }
    }
    let mut after: Option<String> = None;
    loop {
        let clients = store.list_clients(after.as_deref(), LIST_PAGE).await?;
        total += clients.rows.len() as u64;
        match next_key(&clients, |c| &c.client_id) {
            Some(key) => after = Some(key),
            None => return Ok(total),
        }
    }
}

/// A project's collections and their items.
async fn collection_records(store: &dyn Store, project: &str) -> Result<u64, StoreError> {
    let mut total = 0;
    let mut after: Option<String> = None;
    loop {
        let rows = match store
            .list_collections(project, after.as_deref(), LIST_PAGE)
            .await
        {
            Err(StoreError::NotFound) => return Ok(total),
            other => other?,
        };
        for c in &rows.rows {
            let count = store.count_items(project, &c.name, None, u64::MAX).await;
            total += 1 + count.map_or(0, |c| c.count);
        }
        match next_key(&rows, |c| &c.name) {
            Some(key) => after = Some(key),
            None => return Ok(total),
        }
    }
}

fn next_key<T>(page: &Page<T>, key: impl Fn(&T) -> &String) -> Option<String> {
    page.rows
        .last()
        .filter(|_| page.has_more)
        .map(|r| key(r).clone())
}

fn header() -> Record {
    Record::Header(Header {
        format: EXPORT_FORMAT.into(),
        version: EXPORT_VERSION,
        exported_at: depot_store::now_timestamp(),
    })
}

fn project_record(p: &Project) -> Record {
    Record::Project(ProjectRecord {
        name: p.name.clone(),
        metadata: p.metadata.clone(),
        created_at: p.created_at.clone(),
        updated_at: p.updated_at.clone(),
    })
}

fn collection_record(c: &Collection) -> Record {
    Record::Collection(CollectionRecord {
        project: c.project.clone(),
        name: c.name.clone(),
        schema: c.schema.as_ref().map_or(Value::Null, |s| s.value().clone()),
        indexes: c.indexes.clone(),
        created_at: c.created_at.clone(),
        updated_at: c.updated_at.clone(),
    })
}

/// The item's stored text goes into the record as it is, so the body round-trips byte
/// for byte.
fn item_record(project: &str, collection: &str, item: &Item) -> Result<Record, StoreError> {
    let body = RawValue::from_string(item.data.clone())
        .map_err(|_| StoreError::Other(format!("item {} holds invalid JSON", item.id)))?;
    Ok(Record::Item(ItemRecord {
        project: project.to_owned(),
        collection: collection.to_owned(),
        id: item.id.clone(),
        version: item.version,
        created_at: item.created_at.clone(),
        updated_at: item.updated_at.clone(),
        body,
    }))
}
