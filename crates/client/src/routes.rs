//! One typed method per route of the contract (§1). Each builds a request, runs it
//! through the same path as [`Client::request`] (auth and retries) and decodes the 2xx
//! body; any other status is a [`ClientError::Api`]. Path segments are percent-encoded, so a name the
//! server would refuse reaches it intact and gets the server's 400 or 404.

use crate::auth::{Credentials, form_encode as seg};
use crate::changes::encode_query;
use crate::client::{AuthMode, Client, Spec};
use crate::error::ClientError;
use crate::query::{Filter, ItemCount, ItemQuery, fields_param};
use crate::retry::RetryPolicy;
use depot_api::types::{self, Collection, Maintenance, Page, Project};
use futures_util::Stream;
use reqwest::Method;
use reqwest::header::{HeaderValue, IF_MATCH};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

type Result<T> = std::result::Result<T, ClientError>;

/// `?limit=..&cursor=..`, or nothing.
fn page_query(limit: Option<u32>, cursor: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(limit) = limit {
        parts.push(format!("limit={limit}"));
    }
    if let Some(cursor) = cursor {
        parts.push(format!("cursor={}", seg(cursor)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn items_path(project: &str, collection: &str) -> String {
    format!(
        "/v1/projects/{}/collections/{}/items",
        seg(project),
        seg(collection)
    )
}

fn item_path(project: &str, collection: &str, id: &str) -> String {
    format!("{}/{}", items_path(project, collection), seg(id))
}

/// Adds `If-Match: <etag>` (the `ETag` as the server sent it, quotes included).
fn if_match(mut spec: Spec, etag: Option<&str>) -> Result<Spec> {
    if let Some(etag) = etag {
        let value = HeaderValue::try_from(etag)
            .map_err(|_| ClientError::Config(format!("If-Match {etag:?}")))?;
        spec.headers.insert(IF_MATCH, value);
    }
    Ok(spec)
}

impl Client {
    async fn call<T: DeserializeOwned>(&self, spec: Spec) -> Result<T> {
        self.execute(spec).await?.error_for_status()?.json()
    }

    /// For DELETE and revoke, whose body (`{"code": 200, "message"}`) says nothing more.
    async fn call_unit(&self, spec: Spec) -> Result<()> {
        self.execute(spec).await?.error_for_status().map(drop)
    }

    // --- projects -------------------------------------------------------------------

    pub async fn list_projects(
        &self,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Project>> {
        self.call(Spec::new(
            Method::GET,
            format!("/v1/projects{}", page_query(limit, cursor)),
        ))
        .await
    }

    pub async fn create_project(&self, name: &str) -> Result<Project> {
        self.call(Spec::new(Method::POST, "/v1/projects").json(&json!({ "name": name })))
            .await
    }

    pub async fn get_project(&self, name: &str) -> Result<Project> {
        self.call(Spec::new(
            Method::GET,
            format!("/v1/projects/{}", seg(name)),
        ))
        .await
    }

    /// Replaces the project's metadata.
    pub async fn update_project(
        &self,
        name: &str,
        metadata: &Map<String, Value>,
    ) -> Result<Project> {
        let spec = Spec::new(Method::PUT, format!("/v1/projects/{}", seg(name)));
        self.call(spec.json(&json!({ "metadata": metadata }))).await
    }

    /// Deletes the project with its collections and items.
    pub async fn delete_project(&self, name: &str) -> Result<()> {
        self.call_unit(Spec::new(
            Method::DELETE,
            format!("/v1/projects/{}", seg(name)),
        ))
        .await
    }

    // --- collections ----------------------------------------------------------------

    pub async fn list_collections(
        &self,
        project: &str,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Collection>> {
        let path = format!(
            "/v1/projects/{}/collections{}",
            seg(project),
            page_query(limit, cursor)
        );
        self.call(Spec::new(Method::GET, path)).await
    }

    /// `schema` is a JSON Schema (draft 2020-12), or `None` for schemaless.
    pub async fn create_collection(
        &self,
        project: &str,
        name: &str,
        schema: Option<&Value>,
    ) -> Result<Collection> {
        let spec = Spec::new(
            Method::POST,
            format!("/v1/projects/{}/collections", seg(project)),
        );
        self.call(spec.json(&json!({ "name": name, "schema": schema })))
            .await
    }

    /// Like [`Client::create_collection`], with `indexes`: paths lists may sort on,
    /// whose comparisons an index serves (§8; at most 16).
    pub async fn create_collection_with_indexes(
        &self,
        project: &str,
        name: &str,
        schema: Option<&Value>,
        indexes: &[&str],
    ) -> Result<Collection> {
        let spec = Spec::new(
            Method::POST,
            format!("/v1/projects/{}/collections", seg(project)),
        );
        let body = json!({ "name": name, "schema": schema, "indexes": indexes });
        self.call(spec.json(&body)).await
    }

    pub async fn get_collection(&self, project: &str, name: &str) -> Result<Collection> {
        let path = format!("/v1/projects/{}/collections/{}", seg(project), seg(name));
        self.call(Spec::new(Method::GET, path)).await
    }

    /// Replaces the schema (`None` removes it); existing items are not re-validated.
    pub async fn replace_schema(
        &self,
        project: &str,
        name: &str,
        schema: Option<&Value>,
    ) -> Result<Collection> {
        let path = format!("/v1/projects/{}/collections/{}", seg(project), seg(name));
        self.call(Spec::new(Method::PUT, path).json(&json!({ "schema": schema })))
            .await
    }

    /// Deletes the collection with its items.
    pub async fn delete_collection(&self, project: &str, name: &str) -> Result<()> {
        let path = format!("/v1/projects/{}/collections/{}", seg(project), seg(name));
        self.call_unit(Spec::new(Method::DELETE, path)).await
    }

    // --- items ----------------------------------------------------------------------

    pub async fn list_items(
        &self,
        project: &str,
        collection: &str,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Value>> {
        let path = format!(
            "{}{}",
            items_path(project, collection),
            page_query(limit, cursor)
        );
        self.call(Spec::new(Method::GET, path)).await
    }

    /// A page of the items `query` selects (contract §8). A filtered page may be short,
    /// even empty, with a `next_cursor` (the server's scan budget ran out): only a
    /// `None` cursor is the end. [`Client::items`] follows it.
    pub async fn query_items(
        &self,
        project: &str,
        collection: &str,
        query: &ItemQuery,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<Value>> {
        let mut parts = query.params()?;
        if let Some(limit) = limit {
            parts.push(("limit", limit.to_string()));
        }
        if let Some(cursor) = cursor {
            parts.push(("cursor", cursor.to_owned()));
        }
        let path = format!(
            "{}{}",
            items_path(project, collection),
            encode_query(&parts)
        );
        self.call(Spec::new(Method::GET, path)).await
    }

    /// Every item `query` selects, page after page (`page_size` items a page), through
    /// short and empty pages.
    pub fn items(
        &self,
        project: &str,
        collection: &str,
        query: ItemQuery,
        page_size: Option<u32>,
    ) -> impl Stream<Item = Result<Value>> + Send + use<> {
        struct Paging {
            client: Client,
            project: String,
            collection: String,
            query: ItemQuery,
            page: std::vec::IntoIter<Value>,
            cursor: Option<String>,
            done: bool,
        }
        let state = Paging {
            client: self.clone(),
            project: project.to_owned(),
            collection: collection.to_owned(),
            query,
            page: Vec::new().into_iter(),
            cursor: None,
            done: false,
        };
        futures_util::stream::unfold(state, move |mut s| async move {
            loop {
                if let Some(item) = s.page.next() {
                    return Some((Ok(item), s));
                }
                if s.done {
                    return None;
                }
                let page = s
                    .client
                    .query_items(
                        &s.project,
                        &s.collection,
                        &s.query,
                        page_size,
                        s.cursor.as_deref(),
                    )
                    .await;
                match page {
                    Ok(page) => {
                        s.done = page.next_cursor.is_none();
                        s.cursor = page.next_cursor;
                        s.page = page.data.into_iter();
                    }
                    Err(e) => {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                }
            }
        })
    }

    /// How many items match `filter` (all without one).
    pub async fn count_items(
        &self,
        project: &str,
        collection: &str,
        filter: Option<&Filter>,
    ) -> Result<ItemCount> {
        let parts = match filter {
            Some(f) => vec![("filter", f.render()?)],
            None => Vec::new(),
        };
        let path = format!(
            "/v1/projects/{}/collections/{}/count{}",
            seg(project),
            seg(collection),
            encode_query(&parts)
        );
        self.call(Spec::new(Method::GET, path)).await
    }

    /// The item with only the top-level members `fields` (plus `id`).
    pub async fn get_item_fields(
        &self,
        project: &str,
        collection: &str,
        id: &str,
        fields: &[&str],
    ) -> Result<Value> {
        let q = encode_query(&[("fields", fields_param(fields)?)]);
        let path = format!("{}{q}", item_path(project, collection, id));
        self.call(Spec::new(Method::GET, path)).await
    }

    /// Creates an item; the answer has the server's `id`, `created_at`, `updated_at`
    /// and `version`.
    pub async fn create_item(
        &self,
        project: &str,
        collection: &str,
        item: &Value,
    ) -> Result<Value> {
        self.call(Spec::new(Method::POST, items_path(project, collection)).json(item))
            .await
    }

    pub async fn get_item(&self, project: &str, collection: &str, id: &str) -> Result<Value> {
        self.call(Spec::new(Method::GET, item_path(project, collection, id)))
            .await
    }

    /// Replaces the item; with `if_match`, only if its `ETag` still matches (else 412).
    pub async fn replace_item(
        &self,
        project: &str,
        collection: &str,
        id: &str,
        item: &Value,
        if_match_etag: Option<&str>,
    ) -> Result<Value> {
        let spec = Spec::new(Method::PUT, item_path(project, collection, id)).json(item);
        self.call(if_match(spec, if_match_etag)?).await
    }

    /// Applies a JSON merge patch (RFC 7396); with `if_match`, only if the `ETag` matches.
    pub async fn patch_item(
        &self,
        project: &str,
        collection: &str,
        id: &str,
        patch: &Value,
        if_match_etag: Option<&str>,
    ) -> Result<Value> {
        let spec = Spec::new(Method::PATCH, item_path(project, collection, id)).body(
            "application/merge-patch+json",
            patch.to_string().into_bytes(),
        );
        self.call(if_match(spec, if_match_etag)?).await
    }

    pub async fn delete_item(
        &self,
        project: &str,
        collection: &str,
        id: &str,
        if_match_etag: Option<&str>,
    ) -> Result<()> {
        let spec = Spec::new(Method::DELETE, item_path(project, collection, id));
        self.call_unit(if_match(spec, if_match_etag)?).await
    }

    // --- OAuth clients (admin) ------------------------------------------------------

    pub async fn list_clients(
        &self,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<types::Client>> {
        self.call(Spec::new(
            Method::GET,
            format!("/v1/clients{}", page_query(limit, cursor)),
        ))
        .await
    }

    /// Creates an OAuth client; the answer is the only one that shows `client_secret`.
    pub async fn create_client(&self, name: &str, scopes: &[&str]) -> Result<types::Client> {
        let body = json!({ "name": name, "scopes": scopes });
        self.call(Spec::new(Method::POST, "/v1/clients").json(&body))
            .await
    }

    /// [`Client::create_client`] with the client's own rate limit (docs/contract.md
    /// §10): past it the client's requests are 429, which this library retries after
    /// `Retry-After` like a 503.
    pub async fn create_rate_limited_client(
        &self,
        name: &str,
        scopes: &[&str],
        rate_limit: types::RateLimit,
    ) -> Result<types::Client> {
        let body = json!({ "name": name, "scopes": scopes, "rate_limit": rate_limit });
        self.call(Spec::new(Method::POST, "/v1/clients").json(&body))
            .await
    }

    pub async fn get_client(&self, client_id: &str) -> Result<types::Client> {
        self.call(Spec::new(
            Method::GET,
            format!("/v1/clients/{}", seg(client_id)),
        ))
        .await
    }

    /// Deletes the client and revokes its tokens.
    pub async fn delete_client(&self, client_id: &str) -> Result<()> {
        self.call_unit(Spec::new(
            Method::DELETE,
            format!("/v1/clients/{}", seg(client_id)),
        ))
        .await
    }

    // --- maintenance (admin) --------------------------------------------------------

    pub async fn get_maintenance(&self) -> Result<Maintenance> {
        self.call(Spec::new(Method::GET, "/v1/admin/maintenance"))
            .await
    }

    /// Turns maintenance mode on or off; while on, writes answer 503 with
    /// `Retry-After: retry_after`.
    pub async fn set_maintenance(&self, maintenance: Maintenance) -> Result<Maintenance> {
        let body =
            json!({ "enabled": maintenance.enabled, "retry_after": maintenance.retry_after });
        self.call(Spec::new(Method::PUT, "/v1/admin/maintenance").json(&body))
            .await
    }

    // --- tokens ---------------------------------------------------------------------

    /// Revokes `token` (RFC 7009). Needs client credentials: the server only lets a
    /// client revoke its own tokens, and answers 200 for any other token too.
    pub async fn revoke_token(&self, token: &str) -> Result<()> {
        if !matches!(self.credentials(), Credentials::ClientCredentials { .. }) {
            return Err(ClientError::Config(
                "revoking a token needs client credentials".into(),
            ));
        }
        let spec = Spec::new(Method::POST, "/oauth/revoke")
            .body(
                "application/x-www-form-urlencoded",
                format!("token={}", seg(token)).into_bytes(),
            )
            .auth(AuthMode::Basic);
        self.call_unit(spec).await
    }

    /// Revokes the cached token, if any, and forgets it; the next call fetches a new one.
    pub async fn logout(&self) -> Result<()> {
        match self.forget_token().await {
            Some(token) => self.revoke_token(token.expose_secret()).await,
            None => Ok(()),
        }
    }

    // --- health ---------------------------------------------------------------------

    /// `GET /healthz`, once: a probe reports the present, so it is not retried.
    pub async fn healthz(&self) -> Result<Value> {
        self.probe("/healthz").await
    }

    /// `GET /readyz`, once: a 503 (store not answering) is returned, not retried.
    pub async fn readyz(&self) -> Result<Value> {
        self.probe("/readyz").await
    }

    async fn probe(&self, path: &str) -> Result<Value> {
        let once = self.with_retry_policy(RetryPolicy::no_retries());
        once.call(Spec::new(Method::GET, path).auth(AuthMode::Anonymous))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::{item_path, page_query};

    #[test]
    fn queries_and_segments_are_encoded() {
        assert_eq!(page_query(None, None), "");
        assert_eq!(
            page_query(Some(5), Some("a b+")),
            "?limit=5&cursor=a%20b%2B"
        );
        assert_eq!(
            item_path("p", "c/d", "x?y"),
            "/v1/projects/p/collections/c%2Fd/items/x%3Fy"
        );
    }
}
