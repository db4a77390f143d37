//! `/v1/projects/{project}/changes` (a page of the change feed, or with
//! `Accept: text/event-stream` a live stream) and `.../changes/tickets` (a single-use
//! ticket that opens a stream from a browser). The feed itself is [`crate::feed`].

use crate::auth::tickets;
use crate::error::{ApiError, ApiResult};
use crate::feed::FeedError;
use crate::feed::cursor::{self, Cursor, Refused, Since};
use crate::feed::page;
use crate::feed::select::{MAX_COLLECTIONS, Selection};
use crate::feed::stream::Spec;
use crate::openapi::responses::{BadRequest, Gone, NotFound};
use crate::openapi::schemas::{ChangePage, ChangesParams, Ticket};
use crate::request::access::{Following, Located, Read, TheProject};
use crate::request::lookup::unless_project_missing;
use crate::respond;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;
use std::convert::Infallible;

/// Events per page unless `limit` says otherwise, and the most it may say.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// What a stream at the limit is told to wait, in seconds.
const STREAMS_RETRY_AFTER_SECS: u64 = 5;

/// Reads the project's change feed: a page, or a stream of Server-Sent Events.
#[utoipa::path(
    get, path = "/v1/projects/{project}/changes", tag = "changes", operation_id = "readChanges",
    params(ChangesParams),
    responses(
        (status = 200, description = "A page of events (`application/json`), or with \
            `Accept: text/event-stream` a stream of them: each event is `id: <cursor>`, \
            `event: <op>`, `data: <event JSON>`; a comment keeps it alive at least every \
            15 s; `event: end` with `{\"reason\": \"token_expired\" | \"lagging\" | \
            \"shutdown\", \"cursor\": ...}` comes before the server closes it.",
            content(
                (ChangePage = "application/json"),
                (String = "text/event-stream"),
            )),
        (status = 400, response = BadRequest), (status = 404, response = NotFound),
        (status = 410, response = Gone),
    ),
)]
pub async fn read(
    State(state): State<AppState>,
    Following {
        principal,
        project,
        stream,
    }: Following,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = match parse_query(raw.as_deref()) {
        Ok(q) => q,
        Err(e) => return Err(unless_project_missing(&state, &project, e).await),
    };
    let since = match since(&query, stream.then_some(&headers)) {
        Ok(since) => since,
        Err(e) => return Err(unless_project_missing(&state, &project, e).await),
    };
    let head = state
        .store
        .change_head(&project)
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    let start = cursor::start(head, since).map_err(|refused| match refused {
        Refused::Gone => gone(),
        Refused::NotIssued => bad_param("since", "is ahead of this feed: it was never issued"),
    })?;
    if stream {
        return open_stream(
            &state,
            project,
            start,
            query.selection,
            principal.expires_at,
        );
    }
    let page = page::read(
        state.store.as_ref(),
        &project,
        start,
        &query.selection,
        query.limit,
    )
    .await
    .map_err(|e| match e {
        FeedError::Gone => gone(),
        FeedError::Store(e) => ApiError::from_store(e, "project"),
    })?;
    let mut body = String::from("{\"data\":[");
    for (n, event) in page.events.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        body.push_str(&event.json);
    }
    body.push_str(&format!("],\"next_cursor\":\"{}\"}}", page.next));
    Ok(crate::json::text(StatusCode::OK, body))
}

/// Starts a stream from `start`, unless this instance has as many as it may.
fn open_stream(
    state: &AppState,
    project: String,
    start: Cursor,
    selection: Selection,
    expires_at: i64,
) -> ApiResult<Response> {
    let Some(permit) = state.streams.reserve() else {
        return Err(ApiError::unavailable(
            "this instance has as many change streams open as it may; nothing was done, \
             retry later or on another instance",
            STREAMS_RETRY_AFTER_SECS,
        ));
    };
    let spec = Spec {
        project,
        start,
        selection,
        expires_at,
    };
    let frames = state
        .streams
        .start(spec, permit, state.metrics.stream_guard());
    let body = futures_util::stream::unfold(frames, |mut frames| async move {
        let frame = frames.recv().await?;
        Some((Ok::<_, Infallible>(Bytes::from(frame)), frames))
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Proxies that buffer answers (nginx) would hold events back.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// Issues a single-use ticket that opens this project's change stream (`?ticket=`).
#[utoipa::path(
    post, path = "/v1/projects/{project}/changes/tickets", tag = "changes", operation_id = "createChangesTicket",
    responses(
        (status = 201, description = "A ticket: it opens this project's change stream once \
            (`GET .../changes?ticket=...` with `Accept: text/event-stream`), within \
            `expires_in` seconds, with this token's client and expiry. `Location` is the \
            stream it opens.",
            body = Ticket, headers(("Location" = String, description = "The change feed the ticket opens."))),
        (status = 404, response = NotFound),
    ),
)]
pub async fn ticket(
    State(state): State<AppState>,
    Located {
        principal, project, ..
    }: Located<Read, TheProject>,
) -> ApiResult<Response> {
    state
        .store
        .get_project(&project)
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    let ticket = tickets::issue(&state, &principal, &project)
        .await
        .map_err(|e| ApiError::from_store(e, "ticket"))?;
    Ok(respond::created(
        &format!("/v1/projects/{project}/changes"),
        json!({"ticket": ticket, "expires_in": state.config.ticket_ttl.as_secs()}),
    ))
}

/// A feed request's query.
struct FeedQuery {
    since: Option<String>,
    selection: Selection,
    limit: usize,
}

/// Parses `since`, `collections`, `filter`, `include` and `limit` (and lets `ticket`
/// through, which the extractor took). Anything else, or anything twice, is a 400.
fn parse_query(raw: Option<&str>) -> ApiResult<FeedQuery> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ApiError::bad_request("the query string is not valid"))?;
    let mut query = FeedQuery {
        since: None,
        selection: Selection::default(),
        limit: DEFAULT_LIMIT,
    };
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in &pairs {
        if seen.contains(&key.as_str()) {
            return Err(bad_param(key, "is given more than once"));
        }
        seen.push(key);
        match key.as_str() {
            "since" => query.since = Some(value.clone()),
            "collections" => query.selection.collections = Some(collections(value)?),
            "filter" => {
                let expr = depot_store::query::parse(value).map_err(|e| {
                    ApiError::bad_request(format!("query parameter filter: {e}"))
                        .with_details(json!({"parameter": "filter", "position": e.position}))
                })?;
                query.selection.filter = Some(expr);
            }
            "include" if value == "item" => query.selection.include_item = true,
            "include" => return Err(bad_param("include", "can only be `item`")),
            "limit" => query.limit = limit(value)?,
            "ticket" => {}
            _ => {
                return Err(bad_param(
                    key,
                    "is not a known query parameter (since, collections, filter, include, \
                     limit, ticket)",
                ));
            }
        }
    }
    Ok(query)
}

/// `collections=a,b`: names of collections, at least one, at most [`MAX_COLLECTIONS`].
fn collections(value: &str) -> ApiResult<Vec<String>> {
    let names: Vec<String> = value.split(',').map(str::to_owned).collect();
    if let Some(bad) = names.iter().find(|n| !depot_api::names::is_valid_name(n)) {
        return Err(bad_param(
            "collections",
            &format!("names {bad:?}, which is not a collection name"),
        ));
    }
    if names.len() > MAX_COLLECTIONS {
        return Err(bad_param(
            "collections",
            &format!("names more than {MAX_COLLECTIONS} collections"),
        ));
    }
    Ok(names)
}

fn limit(value: &str) -> ApiResult<usize> {
    match value.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(bad_param(
            "limit",
            &format!("must be a whole number from 1 to {MAX_LIMIT}"),
        )),
    }
}

/// Where to start: a stream's `Last-Event-ID` (a browser reconnecting sends where it
/// got to) wins over the query's `since`.
fn since(query: &FeedQuery, stream_headers: Option<&HeaderMap>) -> ApiResult<Since> {
    if let Some(at) = stream_headers.map(last_event_id).transpose()?.flatten() {
        return Ok(Since::At(at));
    }
    Since::parse(query.since.as_deref())
        .ok_or_else(|| bad_param("since", "is not a cursor of this feed, nor `oldest`"))
}

/// `Last-Event-ID`, if sent: the cursor a reconnecting stream got to.
fn last_event_id(headers: &HeaderMap) -> ApiResult<Option<Cursor>> {
    let Some(value) = headers.get("last-event-id").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| Cursor::parse(text.trim()))
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request("the Last-Event-ID header is not a cursor of this feed")
                .with_details(json!({"header": "Last-Event-ID"}))
        })
}

fn gone() -> ApiError {
    ApiError::gone(
        "the events this cursor asks for are gone (older than the retention, or the project \
         was deleted and created again); resume from since=oldest or the current end",
    )
}

fn bad_param(name: &str, problem: &str) -> ApiError {
    ApiError::bad_request(format!("query parameter {name} {problem}"))
        .with_details(json!({"parameter": name}))
}
