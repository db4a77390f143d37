//! `POST /oauth/token` (RFC 6749 §4.4, client credentials) and `POST /oauth/revoke`
//! (RFC 7009). Errors carry both RFC 6749's `error`/`error_description` and the
//! contract's `code`/`message`, with the status RFC 6749 gives.

use crate::auth::scopes::Scopes;
use crate::auth::secrets::verify_secret;
use crate::error::{ApiError, ApiResult};
use crate::openapi::responses::{
    Deleted, OAuthBadRequest, OAuthPayloadTooLarge, OAuthUnauthorized,
};
use crate::openapi::schemas::{RevokeRequest, TokenRequest};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use depot_api::ErrorKind;
use depot_api::types::TokenResponse;
use depot_store::{ClientRecord, StoreError};
use std::collections::HashMap;
use std::sync::LazyLock;

/// Verified against when the client id is unknown, so that an unknown id costs as much
/// time as a wrong secret and ids can't be probed by timing.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| crate::auth::secrets::hash_secret("dummy").unwrap_or_default());

fn oauth_error(error: &'static str, message: &str) -> ApiError {
    let kind = match error {
        "invalid_client" => ErrorKind::Unauthenticated,
        _ => ErrorKind::BadRequest,
    };
    let mut err = ApiError::new(kind, message).with_oauth_error(error);
    if kind == ErrorKind::Unauthenticated {
        // RFC 6749 §5.2 asks for the scheme the client used (Basic); the contract asks
        // every 401 for the Bearer challenge. Both are sent.
        err = err
            .with_header(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"depot\""),
            )
            .with_header(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"depot\""),
            );
    }
    err
}

/// Reads the form body: `application/x-www-form-urlencoded`, each parameter at most once
/// (RFC 6749 §3.2). A parameter without a value counts as omitted (§3.1).
async fn form(
    state: &AppState,
    headers: &HeaderMap,
    raw: Body,
) -> ApiResult<HashMap<String, String>> {
    let essence = headers
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
    let bytes = crate::request::body::read_limited(
        raw,
        state.config.body_limit,
        state.config.body_read_timeout,
    )
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

/// Client id and secret from HTTP Basic (RFC 6749 §2.3.1, form-encoded inside) or the body.
fn client_credentials(
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> ApiResult<(String, String)> {
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
        (None, (Some(id), Some(secret))) => Ok((id.clone(), secret.clone())),
        (None, (id, _)) => {
            tracing::info!(
                client_id = id.map_or("", String::as_str),
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

fn decode_basic(encoded: &str) -> Option<(String, String)> {
    let text = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
            .ok()
            .and_then(|mut v| v.pop())
            .map(|(_, v)| v)
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// The client these credentials belong to, or `invalid_client`.
async fn authenticate(state: &AppState, id: String, secret: String) -> ApiResult<ClientRecord> {
    let found = match state.store.get_client(&id).await {
        Ok(c) => Some(c),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(ApiError::from_store(e, "client")),
    };
    let hash = found
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |c| c.secret_hash.clone());
    let valid = tokio::task::spawn_blocking(move || verify_secret(&secret, &hash))
        .await
        .map_err(|e| ApiError::internal(format!("verify task: {e}")))?;
    match found {
        Some(client) if valid => Ok(client),
        _ => {
            tracing::info!(client_id = %id, reason = "bad client credentials", "authentication failed");
            Err(oauth_error(
                "invalid_client",
                "client authentication failed",
            ))
        }
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
pub async fn token(State(state): State<AppState>, headers: HeaderMap, raw: Body) -> Response {
    match issue(&state, &headers, raw).await {
        Ok(r) => no_store(r),
        Err(e) => counted(&state, e.into_response()),
    }
}

async fn issue(state: &AppState, headers: &HeaderMap, raw: Body) -> ApiResult<Response> {
    let params = form(state, headers, raw).await?;
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
    let (id, secret) = client_credentials(headers, &params)?;
    let client = authenticate(state, id, secret).await?;
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
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, raw: Body) -> Response {
    match revoke_token(&state, &headers, raw).await {
        Ok(r) => r,
        Err(e) => counted(&state, e.into_response()),
    }
}

async fn revoke_token(state: &AppState, headers: &HeaderMap, raw: Body) -> ApiResult<Response> {
    let params = form(state, headers, raw).await?;
    let (id, secret) = client_credentials(headers, &params)?;
    let client = authenticate(state, id, secret).await?;
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
