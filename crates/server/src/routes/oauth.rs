//! `POST /oauth/token` (RFC 6749 §4.4, client credentials) and `POST /oauth/revoke`
//! (RFC 7009). Errors carry both RFC 6749's `error`/`error_description` and the
//! contract's `code`/`message`, with the status RFC 6749 gives.

use crate::auth::client_auth::Refused;
use crate::auth::scopes::Scopes;
use crate::error::{ApiError, ApiResult};
use crate::http::intake::Intake;
use crate::http::logsafe::Clean;
use crate::openapi::responses::{
    Deleted, OAuthBadRequest, OAuthPayloadTooLarge, OAuthUnauthorized,
};
use crate::openapi::schemas::{RevokeRequest, TokenRequest};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use depot_api::ErrorKind;
use depot_api::types::TokenResponse;
use depot_store::ClientRecord;
use std::collections::HashMap;

fn oauth_error(error: &'static str, message: &str) -> ApiError {
    let kind = match error {
        "invalid_client" => ErrorKind::Unauthenticated,
        _ => ErrorKind::BadRequest,
    };
    let mut err = ApiError::new(kind, message).with_oauth_error(error);
    if kind == ErrorKind::Unauthenticated {
        // RFC 6749 §5.2: the challenge of the scheme clients authenticate with here,
        // Basic. (A Bearer challenge would ask for a token at the endpoint that gives
        // them out.)
        err = err.with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"depot\""),
        );
    }
    err
}

/// Reads the form body: `application/x-www-form-urlencoded`, each parameter at most once
/// (RFC 6749 §3.2). A parameter without a value counts as omitted (§3.1).
async fn form(state: &AppState, parts: &Parts, raw: Body) -> ApiResult<HashMap<String, String>> {
    let intake = parts.extensions.get::<Intake>();
    let essence = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    // RFC 6749 §5.2 makes a malformed request `invalid_request` with 400, and every
    // OAuth client library reads that; so a wrong media type is a 400 here, not a 415.
    if essence.as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(oauth_error(
            "invalid_request",
            "the request body must be application/x-www-form-urlencoded",
        ));
    }
    let read = async {
        crate::request::body::taken_in(intake, state.config.body_limit)?;
        crate::request::body::read_limited(
            raw,
            state.config.body_limit,
            state.config.body_read_timeout,
        )
        .await
    };
    let bytes = read
        .await
        .map_err(|e| e.with_oauth_error("invalid_request"))?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| oauth_error("invalid_request", "the form body can't be parsed"))?;
    let mut out = HashMap::new();
    for (k, v) in pairs {
        if out.insert(k.clone(), v).is_some() {
            return Err(oauth_error(
                "invalid_request",
                &format!("parameter {k} is repeated"),
            ));
        }
    }
    out.retain(|_, v| !v.is_empty());
    Ok(out)
}

/// Client id and secret from HTTP Basic or the body. RFC 6749 §2.3.1 asks for id and
/// secret form-encoded inside Basic, but most clients (curl -u, requests, Authlib)
/// send them raw; a secret with `+` or `%` then decodes to something else. So Basic
/// yields both readings when they differ, the form-decoded one first, and the first
/// that verifies wins.
fn client_credentials(
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> ApiResult<Vec<(String, String)>> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, rest)| rest.trim().to_owned());
    let in_body = (params.get("client_id"), params.get("client_secret"));
    match (basic, in_body) {
        (Some(_), (Some(_), _) | (_, Some(_))) => Err(oauth_error(
            "invalid_request",
            "send client credentials either in HTTP Basic or in the body, not both",
        )),
        (Some(encoded), _) => decode_basic(&encoded).ok_or_else(|| {
            tracing::info!(
                reason = "undecodable Basic credentials",
                "authentication failed"
            );
            oauth_error("invalid_client", "the Basic credentials can't be decoded")
        }),
        (None, (Some(id), Some(secret))) => Ok(vec![(id.clone(), secret.clone())]),
        (None, (id, _)) => {
            tracing::info!(
                client_id = %Clean(id.map_or("", String::as_str)),
                reason = "no client credentials",
                "authentication failed"
            );
            Err(oauth_error(
                "invalid_client",
                "client authentication is required",
            ))
        }
    }
}

fn decode_basic(encoded: &str) -> Option<Vec<(String, String)>> {
    let text = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
            .ok()
            .and_then(|mut v| v.pop())
            .map(|(_, v)| v)
    };
    let raw = (id.to_owned(), secret.to_owned());
    let mut readings = Vec::new();
    if let (Some(id), Some(secret)) = (unescape(id), unescape(secret)) {
        readings.push((id, secret));
    }
    if !readings.contains(&raw) {
        readings.push(raw);
    }
    Some(readings)
}

/// The client these credentials belong to, or `invalid_client` (401), a lockout after
/// repeated failures (429), or no hashing slot in time (503); see `auth::client_auth`.
async fn authenticate(
    state: &AppState,
    candidates: Vec<(String, String)>,
) -> ApiResult<ClientRecord> {
    let refused = match state
        .client_auth
        .authenticate(state.store.as_ref(), &candidates)
        .await
    {
        Ok(client) => return Ok(client),
        Err(refused) => refused,
    };
    let id = candidates.first().map_or("", |c| c.0.as_str());
    match refused {
        Refused::Invalid => {
            tracing::info!(client_id = %Clean(id), reason = "bad client credentials", "authentication failed");
            Err(oauth_error(
                "invalid_client",
                "client authentication failed",
            ))
        }
        Refused::LockedOut(wait) => {
            tracing::info!(client_id = %Clean(id), reason = "locked out after repeated failures", "authentication failed");
            let secs = wait.as_secs() + 1;
            Err(ApiError::new(
                ErrorKind::RateLimited,
                format!("too many failed attempts for this client; retry in {secs} s"),
            )
            .with_oauth_error("temporarily_unavailable")
            .with_header(header::RETRY_AFTER, HeaderValue::from(secs)))
        }
        Refused::Busy => Err(ApiError::unavailable(
            "the server is checking too many secrets at once; nothing was done, retry later",
            1,
        )),
        Refused::Store(e) => Err(ApiError::from_store(e, "client")),
    }
}

/// Counts a refused client authentication, whichever check refused it.
fn counted(state: &AppState, response: Response) -> Response {
    if response.status() == StatusCode::UNAUTHORIZED {
        state.metrics.auth_failure();
    }
    no_store(response)
}

fn no_store(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Issues an access token (RFC 6749 §4.4 client credentials).
#[utoipa::path(
    post, path = "/oauth/token", tag = "oauth", operation_id = "issueToken",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A bearer token.", body = TokenResponse, headers(("Cache-Control" = String, description = "`no-store`, as RFC 6749 §5.1 requires."))),
        (status = 400, response = OAuthBadRequest), (status = 401, response = OAuthUnauthorized),
        (status = 413, response = OAuthPayloadTooLarge),
    ),
)]
pub async fn token(State(state): State<AppState>, request: Request) -> Response {
    let (parts, raw) = request.into_parts();
    match issue(&state, &parts, raw).await {
        Ok(r) => no_store(r),
        Err(e) => counted(&state, e.into_response()),
    }
}

async fn issue(state: &AppState, parts: &Parts, raw: Body) -> ApiResult<Response> {
    let params = form(state, parts, raw).await?;
    match params.get("grant_type").map(String::as_str) {
        None => return Err(oauth_error("invalid_request", "grant_type is required")),
        Some("client_credentials") => {}
        Some(_) => {
            return Err(oauth_error(
                "unsupported_grant_type",
                "only client_credentials is supported",
            ));
        }
    }
    let candidates = client_credentials(&parts.headers, &params)?;
    let client = authenticate(state, candidates).await?;
    let allowed = Scopes::parse(client.scopes.iter().map(String::as_str))
        .map_err(|bad| ApiError::internal(format!("stored scope {bad:?} is invalid")))?;
    let granted = match params
        .get("scope")
        .map(|s| s.split(' ').filter(|s| !s.is_empty()))
    {
        None => allowed,
        Some(requested) => {
            let wanted = Scopes::parse(requested)
                .map_err(|bad| oauth_error("invalid_scope", &format!("{bad:?} is not a scope")))?;
            if wanted.is_empty() || !allowed.grants_all(&wanted) {
                return Err(oauth_error(
                    "invalid_scope",
                    "the requested scope exceeds the client's scopes",
                ));
            }
            wanted
        }
    };
    let token = state
        .tokens
        .issue(&client.client_id, &granted)
        .await
        .map_err(|e| ApiError::from_store(e, "client"))?;
    let body = TokenResponse {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.ttl().as_secs(),
        scope: granted.to_strings().join(" "),
    };
    Ok(crate::json::answer(StatusCode::OK, &body))
}

/// RFC 7009: the client revokes one of its own tokens. Unknown tokens, and tokens of
/// other clients (left untouched), answer 200 too, so nothing is revealed.
#[utoipa::path(
    post, path = "/oauth/revoke", tag = "oauth", operation_id = "revokeToken",
    request_body(content = RevokeRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, response = Deleted),
        (status = 400, response = OAuthBadRequest), (status = 401, response = OAuthUnauthorized),
        (status = 413, response = OAuthPayloadTooLarge),
    ),
)]
pub async fn revoke(State(state): State<AppState>, request: Request) -> Response {
    let (parts, raw) = request.into_parts();
    match revoke_token(&state, &parts, raw).await {
        Ok(r) => r,
        Err(e) => counted(&state, e.into_response()),
    }
}

async fn revoke_token(state: &AppState, parts: &Parts, raw: Body) -> ApiResult<Response> {
    let params = form(state, parts, raw).await?;
    let candidates = client_credentials(&parts.headers, &params)?;
    let client = authenticate(state, candidates).await?;
    let Some(token) = params.get("token") else {
        return Err(oauth_error("invalid_request", "token is required"));
    };
    let owner = state
        .tokens
        .owner(token)
        .await
        .map_err(|e| ApiError::from_store(e, "token"))?;
    if owner.as_deref() == Some(client.client_id.as_str()) {
        state
            .tokens
            .revoke(token)
            .await
            .map_err(|e| ApiError::from_store(e, "token"))?;
    }
    Ok(no_store(crate::respond::deleted("token revoked")))
}

/// RFC 8414 authorization server metadata, so OAuth libraries can discover the
/// endpoints. The issuer is this server as the request reached it (its `Host`).
#[utoipa::path(
    get, path = "/.well-known/oauth-authorization-server", tag = "oauth", operation_id = "oauthMetadata",
    responses((status = 200, description = "RFC 8414 metadata: issuer, endpoints, grant types and client authentication methods.", body = crate::openapi::schemas::AuthorizationServerMetadata)),
)]
pub async fn metadata(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    let scheme = if state.tls.is_some() { "https" } else { "http" };
    let issuer = format!("{scheme}://{host}");
    let auth_methods = ["client_secret_basic", "client_secret_post"];
    let body = serde_json::json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/oauth/token"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "scopes_supported": ["admin", "project:{name}:read", "project:{name}:write"],
        "service_documentation": format!("{issuer}/docs"),
    });
    crate::json::answer(StatusCode::OK, &body)
}
