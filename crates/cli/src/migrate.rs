//! `depot migrate-store --from URL --to URL`: copies a deployment between backends
//! (`sqlite://<data-dir>` or `postgres://...`), keeping every id, version, timestamp,
//! item body and client secret hash. Access tokens and idempotency records are not
//! copied: clients fetch new tokens from the new store.

use anyhow::{Context, bail};
use clap::Args;
use depot_store::{ProjectFilter, Resource, Store, StoreError};
use depot_store_postgres::PostgresStore;
use depot_store_sqlite::SqliteStore;
use serde_json::json;
use std::path::Path;

/// Rows read per page while copying.
const PAGE: usize = 500;

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Source: sqlite://<data-dir> or postgres://...
    #[arg(long)]
    from: String,
    /// Destination, which must hold no projects yet.
    #[arg(long)]
    to: String,
}

async fn open(url: &str) -> anyhow::Result<Box<dyn Store>> {
    if let Some(dir) = url.strip_prefix("sqlite://") {
        let store =
            SqliteStore::open_in(Path::new(dir)).with_context(|| format!("can't open {url}"))?;
        return Ok(Box::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PostgresStore::connect(url)
            .await
            .context("can't open the PostgreSQL store")?;
        return Ok(Box::new(store));
    }
    bail!("a store URL is sqlite://<data-dir> or postgres://...")
}

#[derive(Default, Debug)]
struct Counts {
    projects: usize,
    collections: usize,
    items: usize,
    clients: usize,
    clients_kept: usize,
}

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let (from, to) = (open(&args.from).await?, open(&args.to).await?);
    if !to
        .list_projects(&ProjectFilter::All, None, 1)
        .await?
        .rows
        .is_empty()
    {
        bail!("the destination already holds projects; migrate into an empty store");
    }
    let mut counts = Counts::default();
    copy_projects(from.as_ref(), to.as_ref(), &mut counts).await?;
    copy_clients(from.as_ref(), to.as_ref(), &mut counts).await?;
    if let Some(value) = from.get_setting("maintenance").await? {
        to.put_setting("maintenance", &value).await?;
    }
    println!(
        "{}",
        json!({"projects": counts.projects, "collections": counts.collections, "items": counts.items,
               "clients": counts.clients, "clients_already_there": counts.clients_kept})
    );
    Ok(())
}

async fn copy_projects(
    from: &dyn Store,
    to: &dyn Store,
    counts: &mut Counts,
) -> anyhow::Result<()> {
    let mut after: Option<String> = None;
    loop {
        let page = from
            .list_projects(&ProjectFilter::All, after.as_deref(), PAGE)
            .await?;
        for project in &page.rows {
            to.import(Resource::Project(project.clone())).await?;
            counts.projects += 1;
            copy_collections(from, to, &project.name, counts).await?;
        }
        match (page.has_more, page.rows.last()) {
            (true, Some(last)) => after = Some(last.name.clone()),
            _ => return Ok(()),
        }
    }
}

async fn copy_collections(
    from: &dyn Store,
    to: &dyn Store,
    project: &str,
    counts: &mut Counts,
) -> anyhow::Result<()> {
    let mut after: Option<String> = None;
    loop {
        let page = from
            .list_collections(project, after.as_deref(), PAGE)
            .await?;
        for collection in &page.rows {
            to.import(Resource::Collection(collection.clone())).await?;
            counts.collections += 1;
            copy_items(from, to, project, &collection.name, counts).await?;
        }
        match (page.has_more, page.rows.last()) {
            (true, Some(last)) => after = Some(last.name.clone()),
            _ => return Ok(()),
        }
    }
}

async fn copy_items(
    from: &dyn Store,
    to: &dyn Store,
    project: &str,
    collection: &str,
    counts: &mut Counts,
) -> anyhow::Result<()> {
    let mut after: Option<String> = None;
    loop {
        let page = from
            .list_items(project, collection, after.as_deref(), PAGE)
            .await?;
        for item in &page.rows {
            let record = Resource::Item {
                project: project.into(),
                collection: collection.into(),
                item: item.clone(),
            };
            to.import(record).await?;
            counts.items += 1;
        }
        match (page.has_more, page.rows.last()) {
            (true, Some(last)) => after = Some(last.id.clone()),
            _ => return Ok(()),
        }
    }
}

/// A client already in the destination (such as an admin made by a start) is kept.
async fn copy_clients(from: &dyn Store, to: &dyn Store, counts: &mut Counts) -> anyhow::Result<()> {
    let mut after: Option<String> = None;
    loop {
        let page = from.list_clients(after.as_deref(), PAGE).await?;
        for client in &page.rows {
            match to.import(Resource::Client(client.clone())).await {
                Ok(()) => counts.clients += 1,
                Err(StoreError::Conflict) => counts.clients_kept += 1,
                Err(e) => return Err(e.into()),
            }
        }
        match (page.has_more, page.rows.last()) {
            (true, Some(last)) => after = Some(last.client_id.clone()),
            _ => return Ok(()),
        }
    }
}
