//! `Idempotency-Key` on POST (docs/contract.md §5).
//!
//! A key is scoped to the client that sent it. The first request with a key stores its
//! answer in the same transaction as what it created; a retry with the same key and the
//! same request (method, path and body bytes) gets that answer again and creates
//! nothing; the same key with another request is a 422; a retry that arrives while the
//! first is still running on this instance is a 409. Records live 24 hours.
//!
//! A client's secret is never stored, so the replay of a `POST /v1/clients` answer
//! lacks `client_secret`.

use super::in_flight::Held;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::respond::render;
use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use depot_api::ErrorKind;
use depot_api::headers::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED};
use depot_store::{
    Created, IdempotencyKey, NewResource, Resource, StoreError, StoredResponse, now_unix,
};
use sha2::{Digest, Sha256};

/// How long a key is remembered.
pub const RETENTION_SECS: i64 = 24 * 3600;
const MAX_KEY_LEN: usize = 255;

/// A keyed POST on its way: the key to store its answer under, held as in flight on
/// this instance until dropped, however the request ends.
pub struct Pending {
    key: IdempotencyKey,
    _held: Held,
}

/// What to do with a POST, decided before any other work on it.
pub enum Begin {
    /// Answer this: the stored first answer.
    Replay(Response),
    /// Go on; `Some` when the request carries a key.
    Fresh(Option<Pending>),
}

/// Looks the key up. Call after the body is read and before anything else is checked,
/// so that a retry gets the first answer even if the world changed since.
pub async fn begin(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> ApiResult<Begin> {
    let Some(raw) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(Begin::Fresh(None));
    };
    let key = raw
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
            ))
        })?;
    let fingerprint = fingerprint(path, body);
    let stored = state
        .store
        .get_idempotent(&principal.client_id, key)
        .await
        .map_err(|e| ApiError::from_store(e, "idempotency key"))?;
    if let Some((first, answer)) = stored {
        if first != fingerprint {
            return Err(ApiError::from_store(
                StoreError::KeyReused,
                "idempotency key",
            ));
        }
        state.metrics.replay();
        return Ok(Begin::Replay(replay(answer)));
    }
    let Some(held) = state.idempotency.hold(&principal.client_id, key) else {
        return Err(ApiError::new(
            ErrorKind::Conflict,
            "a request with this Idempotency-Key is still in flight; retry later",
        ));
    };
    Ok(Begin::Fresh(Some(Pending {
        key: IdempotencyKey {
            client_id: principal.client_id.clone(),
            key: key.to_owned(),
            fingerprint,
            expires_at: now_unix() + RETENTION_SECS,
            render,
        },
        _held: held,
    })))
}

fn fingerprint(path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(b"POST ");
    hash.update(path.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// How a create ended.
pub enum Answer {
    /// Created now: the record and the 201 answer.
    Created(Resource, Response),
    /// Another instance finished the same keyed request in between: its answer.
    Replayed(Response),
}

/// Creates `new`, under the key if there is one, and answers 201.
pub async fn create(
    state: &AppState,
    pending: Option<Pending>,
    new: NewResource,
) -> Result<Answer, StoreError> {
    let Some(pending) = pending else {
        let resource = create_plain(state, new).await?;
        let response = answer(&render(&resource), &resource);
        return Ok(Answer::Created(resource, response));
    };
    match state
        .store
        .create_idempotent(new, pending.key.clone())
        .await?
    {
        Created::New(resource, stored) => {
            let response = answer(&stored, &resource);
            Ok(Answer::Created(resource, response))
        }
        Created::Replayed(stored) => {
            state.metrics.replay();
            Ok(Answer::Replayed(replay(stored)))
        }
    }
}

impl Answer {
    pub fn into_response(self) -> Response {
        match self {
            Answer::Created(_, r) | Answer::Replayed(r) => r,
        }
    }
}

async fn create_plain(state: &AppState, new: NewResource) -> Result<Resource, StoreError> {
    let store = &state.store;
    Ok(match new {
        NewResource::Project { name, metadata } => {
            Resource::Project(store.create_project(&name, metadata).await?)
        }
        NewResource::Collection {
            project,
            name,
            schema,
            indexes,
        } => Resource::Collection(
            store
                .create_collection(&project, &name, schema, indexes)
                .await?,
        ),
        NewResource::Item {
            project,
            collection,
            data,
        } => {
            let item = store.create_item(&project, &collection, data).await?;
            Resource::Item {
                project,
                collection,
                item,
            }
        }
        NewResource::Client(client) => Resource::Client(store.create_client(client).await?),
    })
}

fn answer(stored: &StoredResponse, resource: &Resource) -> Response {
    let mut response = raw_response(stored);
    if let Resource::Item { item, .. } = resource {
        response.headers_mut().insert(
            header::ETAG,
            crate::request::conditional::etag(item.version),
        );
    }
    response
}

fn raw_response(stored: &StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED);
    let mut response = crate::json::text(status, stored.body.clone());
    if let Some(location) = &stored.location {
        crate::respond::set_location(&mut response, location);
    }
    response
}

/// The stored first answer, marked as a replay.
fn replay(stored: StoredResponse) -> Response {
    let mut response = raw_response(&stored);
    if let Some(version) = created_item_version(&stored) {
        response
            .headers_mut()
            .insert(header::ETAG, crate::request::conditional::etag(version));
    }
    response
        .headers_mut()
        .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    response
}

/// The version of the item a stored 201 created, so that its replay carries the ETag
/// the first answer had (only status, `Location` and body are stored).
fn created_item_version(stored: &StoredResponse) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Versioned {
        version: i64,
    }
    let segments: Vec<&str> = stored.location.as_deref()?.split('/').collect();
    // "", "v1", "projects", p, "collections", c, "items", id
    if segments.len() != 8 || segments[6] != "items" {
        return None;
    }
    serde_json::from_str::<Versioned>(&stored.body)
        .ok()
        .map(|v| v.version)
}
