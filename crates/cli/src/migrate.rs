//! `depot migrate-store --from URL --to URL`: copies a deployment between backends
//! (`sqlite://<data-dir>` or `postgres://...`), keeping every id, version, timestamp,
//! item body and client secret hash. Access tokens and idempotency records are not
//! copied: clients fetch new tokens from the new store.

use anyhow::bail;
use clap::Args;
use depot_store::paging::walk;
use depot_store::{
    ClientRecord, Collection, Item, Project, ProjectFilter, Resource, Store, StoreError,
};
use depot_store_open::Location;
use serde_json::json;
use std::sync::Arc;

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

async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let location = Location::parse(url)?;
    Ok(depot_store_open::open(&location).await?)
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
    let all = ProjectFilter::All;
    walk(
        async |after| from.list_projects(&all, after, PAGE).await,
        |p: &Project| &p.name,
        async |project: Project| {
            let name = project.name.clone();
            to.import(Resource::Project(project)).await?;
            counts.projects += 1;
            copy_collections(from, to, &name, counts).await
        },
    )
    .await
}

async fn copy_collections(
    from: &dyn Store,
    to: &dyn Store,
    project: &str,
    counts: &mut Counts,
) -> anyhow::Result<()> {
    walk(
        async |after| from.list_collections(project, after, PAGE).await,
        |c: &Collection| &c.name,
        async |collection: Collection| {
            let name = collection.name.clone();
            to.import(Resource::Collection(collection)).await?;
            counts.collections += 1;
            copy_items(from, to, project, &name, counts).await
        },
    )
    .await
}

async fn copy_items(
    from: &dyn Store,
    to: &dyn Store,
    project: &str,
    collection: &str,
    counts: &mut Counts,
) -> anyhow::Result<()> {
    walk(
        async |after| from.list_items(project, collection, after, PAGE).await,
        |i: &Item| &i.id,
        async |item: Item| {
            let record = Resource::Item {
                project: project.into(),
                collection: collection.into(),
                item,
            };
            to.import(record).await?;
            counts.items += 1;
            Ok(())
        },
    )
    .await
}

/// A client already in the destination (such as an admin made by a start) is kept.
async fn copy_clients(from: &dyn Store, to: &dyn Store, counts: &mut Counts) -> anyhow::Result<()> {
    walk(
        async |after| from.list_clients(after, PAGE).await,
        |c: &ClientRecord| &c.client_id,
        async |client: ClientRecord| {
            match to.import(Resource::Client(client)).await {
                Ok(()) => counts.clients += 1,
                Err(StoreError::Conflict) => counts.clients_kept += 1,
                Err(e) => return Err(e.into()),
            }
            Ok(())
        },
    )
    .await
}
