//! The contract's check order as extractors, so that no handler can skip a step or take
//! them in another order (docs/contract.md §3.3):
//!
//! maintenance 503 → 401 → 403 / project visibility 404 → 413/415 → collection/item
//! 404 → (the handler's own) 400, 406, 412.
//!
//! A handler takes exactly one of these, which says what kind of request it serves:
//!
//! - [`Located`]: a request without a body on a project, collection or item (GET,
//!   DELETE): access, then the names below the project.
//! - [`WithBody`]: a write with a body (PUT, PATCH): access, the body, then the names.
//! - [`Creating`]: a POST: access, the body, its `Idempotency-Key` (a replay answers
//!   here), then the names.
//! - [`Admin`], [`AdminBody`] and [`AdminCreating`]: the same for admin-only routes
//!   outside any project.
//! - [`Following`]: a read of a project's change feed, where a stream may present a
//!   single-use ticket (`?ticket=`) instead of a token.
//!
//! The access level is a type ([`Read`], [`Write`], [`Owner`]); the target below the
//! project is another ([`TheProject`], [`TheCollection`], [`TheItem`]).

use super::body::{self, MediaTypes};
use super::idempotency::{self, Begin, Pending};
use super::lookup::{body_in_project, missing};
use crate::auth::{Access, Principal, tickets, unauthenticated};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use depot_api::ErrorKind;
use std::marker::PhantomData;

/// How much a request needs of its project, and whether maintenance pauses it.
pub trait Level: Send + Sync + 'static {
    const ACCESS: Access;
    /// Writes answer 503 while maintenance mode is on (docs/contract.md §4).
    const WRITES: bool;
}

/// Reading: `project:{p}:read`.
pub struct Read;
/// Changing what is in the project: `project:{p}:write`.
pub struct Write;
/// Deleting the project itself: `admin`.
pub struct Owner;

impl Level for Read {
    const ACCESS: Access = Access::Read;
    const WRITES: bool = false;
}

impl Level for Write {
    const ACCESS: Access = Access::Write;
    const WRITES: bool = true;
}

impl Level for Owner {
    const ACCESS: Access = Access::Admin;
    const WRITES: bool = true;
}

/// 503 while maintenance mode is on. Checked first, before authentication, so the
/// 503 promise (nothing was done) holds for every client.
fn writable(state: &AppState) -> ApiResult<()> {
    let m = state.maintenance.get();
    if m.enabled {
        return Err(ApiError::unavailable(
            "depot is in maintenance mode: writes are paused, nothing was changed",
            m.retry_after,
        ));
    }
    Ok(())
}

/// The route's path parameters by name, percent-decoded. A segment that can't be
/// decoded (such as invalid UTF-8) names nothing: 404.
pub struct Params(Vec<(String, String)>);

impl Params {
    async fn of(parts: &mut Parts, state: &AppState) -> ApiResult<Params> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::new(ErrorKind::NotFound, "no such resource"))?;
        Ok(Params(
            raw.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        ))
    }

    /// A parameter the route template has; its absence is a bug in the route table.
    fn get(&self, name: &str) -> ApiResult<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| ApiError::internal(format!("the route has no {{{name}}}")))
    }

    /// The route's path with the decoded names in place of its parameters: the same for
    /// every spelling of one path, so an idempotent retry is recognized.
    fn canonical_path(&self, template: &str) -> String {
        let mut path = template.to_owned();
        for (key, value) in &self.0 {
            path = path.replace(&format!("{{{key}}}"), value);
        }
        path
    }
}

/// The caller and the project, checked: maintenance (for writes), the token, then the
/// project's name and whether the token may see and use it.
async fn project_access<L: Level>(
    parts: &mut Parts,
    state: &AppState,
) -> ApiResult<(Principal, String, Params)> {
    if L::WRITES {
        writable(state)?;
    }
    let principal = Principal::from_request_parts(parts, state).await?;
    let params = Params::of(parts, state).await?;
    let project = params.get("project")?.to_owned();
    if !depot_api::names::is_valid_name(&project) {
        return Err(ApiError::not_found("project"));
    }
    principal.require_project(&project, L::ACCESS)?;
    Ok((principal, project, params))
}

/// What a route names below its project; [`Target::locate`] is the 404 for a name that
/// can't name anything, at the outermost level that is wrong. (Whether a well-formed
/// name exists is the handler's store call's to find out.)
pub trait Target: Sized + Send {
    /// Bytes a body for this target may carry over the limit: an item's server-owned
    /// members, so that what GET shows can be sent back as it is.
    const BODY_SLACK: usize = 0;

    fn locate(
        state: &AppState,
        project: &str,
        params: &Params,
    ) -> impl Future<Output = ApiResult<Self>> + Send;
}

/// The project itself.
pub struct TheProject;

/// A collection of the project.
pub struct TheCollection {
    pub collection: String,
}

/// An item of a collection of the project.
pub struct TheItem {
    pub collection: String,
    pub id: String,
}

impl Target for TheProject {
    async fn locate(_: &AppState, _: &str, _: &Params) -> ApiResult<Self> {
        Ok(TheProject)
    }
}

impl Target for TheCollection {
    // A POST to a collection creates an item.
    const BODY_SLACK: usize = body::SERVER_MEMBERS_BYTES;

    async fn locate(state: &AppState, project: &str, params: &Params) -> ApiResult<Self> {
        let collection = params.get("collection")?;
        if !depot_api::names::is_valid_name(collection) {
            return Err(missing(state, project, None, "collection").await);
        }
        Ok(TheCollection {
            collection: collection.to_owned(),
        })
    }
}

impl Target for TheItem {
    const BODY_SLACK: usize = body::SERVER_MEMBERS_BYTES;

    async fn locate(state: &AppState, project: &str, params: &Params) -> ApiResult<Self> {
        let TheCollection { collection } = TheCollection::locate(state, project, params).await?;
        let id = params.get("id")?;
        if !depot_store::is_item_id(id) {
            return Err(missing(state, project, Some(&collection), "item").await);
        }
        Ok(TheItem {
            collection,
            id: id.to_owned(),
        })
    }
}

/// A request without a body on something in a project.
pub struct Located<L, T> {
    pub principal: Principal,
    pub project: String,
    pub target: T,
    level: PhantomData<L>,
}

impl<L: Level, T: Target> FromRequestParts<AppState> for Located<L, T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let (principal, project, params) = project_access::<L>(parts, state).await?;
        let target = T::locate(state, &project, &params).await?;
        Ok(Located {
            principal,
            project,
            target,
            level: PhantomData,
        })
    }
}

/// Which JSON media types a body may have.
pub trait Media: Send + Sync + 'static {
    const ACCEPT: MediaTypes;
}

/// `application/json`.
pub struct Json;
/// `application/json` or `application/merge-patch+json` (PATCH).
pub struct MergePatch;

impl Media for Json {
    const ACCEPT: MediaTypes = MediaTypes::Json;
}

impl Media for MergePatch {
    const ACCEPT: MediaTypes = MediaTypes::JsonOrMergePatch;
}

/// A write with a body (PUT, PATCH) on something in a project.
pub struct WithBody<T, M = Json> {
    pub principal: Principal,
    pub project: String,
    pub target: T,
    pub bytes: Bytes,
    media: PhantomData<M>,
}

impl<T: Target, M: Media> FromRequest<AppState> for WithBody<T, M> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> ApiResult<Self> {
        let (mut parts, raw) = request.into_parts();
        let (principal, project, params) = project_access::<Write>(&mut parts, state).await?;
        let bytes = body_in_project(state, &project, &parts, raw, M::ACCEPT, T::BODY_SLACK).await?;
        let target = T::locate(state, &project, &params).await?;
        Ok(WithBody {
            principal,
            project,
            target,
            bytes,
            media: PhantomData,
        })
    }
}

/// A create (POST) in a project. A retry of a keyed POST that already succeeded is
/// answered here, with the first answer, before the target's names are checked: the
/// retry gets that answer even if the world changed since.
pub struct Creating<T> {
    pub principal: Principal,
    pub project: String,
    pub target: T,
    pub bytes: Bytes,
    pub pending: Option<Pending>,
}

impl<T: Target> FromRequest<AppState> for Creating<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, raw) = request.into_parts();
        let checked = async {
            let (principal, project, params) = project_access::<Write>(&mut parts, state).await?;
            let bytes = body_in_project(
                state,
                &project,
                &parts,
                raw,
                MediaTypes::Json,
                T::BODY_SLACK,
            )
            .await?;
            let path = params.canonical_path(route(&parts));
            Ok::<_, ApiError>((principal, project, params, bytes, path))
        };
        let (principal, project, params, bytes, path) =
            checked.await.map_err(IntoResponse::into_response)?;
        let pending = keyed(state, &principal, &parts, &path, &bytes).await?;
        let target = T::locate(state, &project, &params)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Creating {
            principal,
            project,
            target,
            bytes,
            pending,
        })
    }
}

/// The route template that matched, such as `/v1/projects/{project}/collections`.
fn route(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<MatchedPath>()
        .map_or_else(|| parts.uri.path(), MatchedPath::as_str)
}

/// The idempotency key's verdict: a replay (as the rejection) or the key to create under.
async fn keyed(
    state: &AppState,
    principal: &Principal,
    parts: &Parts,
    path: &str,
    bytes: &[u8],
) -> Result<Option<Pending>, Response> {
    match idempotency::begin(state, principal, &parts.headers, path, bytes).await {
        Ok(Begin::Replay(answer)) => Err(answer),
        Ok(Begin::Fresh(pending)) => Ok(pending),
        Err(e) => Err(e.into_response()),
    }
}

/// A request on an admin-only route outside any project (clients, the maintenance
/// switch): the token must carry `admin`.
pub struct Admin<L> {
    pub principal: Principal,
    level: PhantomData<L>,
}

async fn admin_access<L: Level>(parts: &mut Parts, state: &AppState) -> ApiResult<Principal> {
    if L::WRITES {
        writable(state)?;
    }
    let principal = Principal::from_request_parts(parts, state).await?;
    principal.require_admin()?;
    Ok(principal)
}

impl<L: Level> FromRequestParts<AppState> for Admin<L> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        Ok(Admin {
            principal: admin_access::<L>(parts, state).await?,
            level: PhantomData,
        })
    }
}

/// An admin-only request with a JSON body.
pub struct AdminBody<L> {
    pub principal: Principal,
    pub bytes: Bytes,
    level: PhantomData<L>,
}

impl<L: Level> FromRequest<AppState> for AdminBody<L> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> ApiResult<Self> {
        let (mut parts, raw) = request.into_parts();
        let principal = admin_access::<L>(&mut parts, state).await?;
        let bytes = body::read(&parts, raw, &state.config, MediaTypes::Json, 0).await?;
        Ok(AdminBody {
            principal,
            bytes,
            level: PhantomData,
        })
    }
}

/// An admin-only create (a project, a client), with its `Idempotency-Key`.
pub struct AdminCreating {
    pub principal: Principal,
    pub bytes: Bytes,
    pub pending: Option<Pending>,
}

impl FromRequest<AppState> for AdminCreating {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, raw) = request.into_parts();
        let checked = async {
            let principal = admin_access::<Write>(&mut parts, state).await?;
            let bytes = body::read(&parts, raw, &state.config, MediaTypes::Json, 0).await?;
            Ok::<_, ApiError>((principal, bytes))
        };
        let (principal, bytes) = checked.await.map_err(IntoResponse::into_response)?;
        // These routes have no parameters: the template is the path.
        let path = route(&parts).to_owned();
        let pending = keyed(state, &principal, &parts, &path, &bytes).await?;
        Ok(AdminCreating {
            principal,
            bytes,
            pending,
        })
    }
}

/// A read of a project's change feed: as [`Located`]`<Read, TheProject>`, except that
/// a stream (`Accept: text/event-stream`) may be opened with `?ticket=` instead of an
/// `Authorization` header (see [`crate::auth::tickets`]).
pub struct Following {
    pub principal: Principal,
    pub project: String,
    /// Whether the client asked for a stream rather than a page.
    pub stream: bool,
}

impl FromRequestParts<AppState> for Following {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let stream = wants_event_stream(&parts.headers);
        let Some(ticket) = ticket_in(parts.uri.query()) else {
            let (principal, project, _) = project_access::<Read>(parts, state).await?;
            return Ok(Following {
                principal,
                project,
                stream,
            });
        };
        if parts.headers.contains_key(header::AUTHORIZATION) {
            return Err(ApiError::bad_request(
                "send a ticket or an Authorization header, not both",
            ));
        }
        if !stream {
            return Err(unauthenticated(
                true,
                "a ticket only opens the change stream (Accept: text/event-stream); pages \
                 need a bearer token",
            ));
        }
        let params = Params::of(parts, state).await?;
        let project = params.get("project")?.to_owned();
        let principal = tickets::redeem(state, &ticket, &project).await?;
        principal.require_project(&project, Access::Read)?;
        Ok(Following {
            principal,
            project,
            stream,
        })
    }
}

/// Whether `Accept` asks for Server-Sent Events.
pub fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().any(|value| {
        value.to_str().is_ok_and(|text| {
            text.split(',').any(|media| {
                media
                    .split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/event-stream"))
            })
        })
    })
}

/// The `ticket` query parameter, if the query has one.
fn ticket_in(query: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    pairs
        .into_iter()
        .find(|(k, _)| k == "ticket")
        .map(|(_, v)| v)
}
