//! Authentication and authorization.
//!
//! - [`Principal`]: the extractor every `/v1` handler takes; it answers 401 itself.
//! - [`Principal::require_project`] / [`Principal::require_admin`]: 404 for projects the
//!   token may not see, 403 with `insufficient_scope` for too little permission.
//! - [`tokens`]: issuing and verifying bearer tokens; [`secrets`]: hashing;
//!   [`client_auth`]: client credentials at the OAuth endpoints, at a bounded price;
//!   [`rate`]: per-client rate limits (429);
//!   [`scopes`]: the scope grammar; [`bootstrap`]: the admin client at start;
//!   [`tickets`]: single-use tickets that open a change stream from a browser.

pub mod bootstrap;
pub mod client_auth;
pub mod rate;
pub mod scopes;
pub mod secrets;
pub mod tickets;
pub mod tokens;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use depot_api::ErrorKind;
use depot_store::{ProjectFilter, RateLimit};
use scopes::{Scope, Scopes};
use tokens::TokenRejection;

/// Who is calling: a verified token's client and scopes.
#[derive(Debug, Clone)]
pub struct Principal {
    pub client_id: String,
    pub scopes: Scopes,
    /// When the token expires (Unix seconds; valid through that second): a change
    /// stream ends then.
    pub expires_at: i64,
    /// The client's own rate limit, read with the token; `None`: the server's default.
    pub rate_limit: Option<RateLimit>,
}

/// What a request does to a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    /// Deleting the project itself.
    Admin,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.scopes.is_admin()
    }

    pub fn project_filter(&self) -> ProjectFilter {
        self.scopes.project_filter()
    }

    /// 404 if the token can't see `project` at all (never revealing whether it exists),
    /// 403 if it can see it but lacks `access`.
    pub fn require_project(&self, project: &str, access: Access) -> ApiResult<()> {
        if !self.scopes.grants(&Scope::Read(project.to_owned())) {
            return Err(ApiError::not_found("project"));
        }
        let wanted = match access {
            Access::Read => return Ok(()),
            Access::Write => Scope::Write(project.to_owned()),
            Access::Admin => Scope::Admin,
        };
        if self.scopes.grants(&wanted) {
            Ok(())
        } else {
            Err(insufficient_scope(&wanted))
        }
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(insufficient_scope(&Scope::Admin))
        }
    }
}

/// 429 with `Retry-After` for a client over its rate limit, its own or else the
/// server's default (checked after 401, before 403, as the contract orders them).
fn within_rate(state: &AppState, principal: &Principal) -> ApiResult<()> {
    let Err(wait) = state
        .rates
        .check(&principal.client_id, principal.rate_limit)
    else {
        return Ok(());
    };
    state.metrics.rate_limited();
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    Err(ApiError::new(
        ErrorKind::RateLimited,
        format!("this client is over its rate limit; nothing was done, retry in {secs} s"),
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from(secs)))
}

fn insufficient_scope(wanted: &Scope) -> ApiError {
    let challenge =
        format!("Bearer realm=\"depot\", error=\"insufficient_scope\", scope=\"{wanted}\"");
    ApiError::new(
        ErrorKind::Forbidden,
        format!("this token lacks the {wanted} scope"),
    )
    .with_header(header::WWW_AUTHENTICATE, header_value(&challenge))
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text)
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer realm=\"depot\""))
}

/// 401 with the RFC 6750 challenge; `token_sent` adds `error="invalid_token"`.
pub fn unauthenticated(token_sent: bool, message: &str) -> ApiError {
    let challenge = if token_sent {
        "Bearer realm=\"depot\", error=\"invalid_token\""
    } else {
        "Bearer realm=\"depot\""
    };
    ApiError::new(ErrorKind::Unauthenticated, message).with_header(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    )
}

/// What an `Authorization` header presents.
enum Presented<'a> {
    /// `Bearer <t>` (or the legacy `OAuth <t>`), scheme matched case-insensitively.
    Token(&'a str),
    /// The bearer scheme with no token, several, or bytes that aren't text.
    Malformed,
    /// Another scheme (Basic, ...): no token was sent at all.
    OtherScheme,
}

fn presented(value: &HeaderValue) -> Presented<'_> {
    let Ok(text) = value.to_str() else {
        return Presented::Malformed;
    };
    let text = text.trim();
    let (scheme, rest) = text
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((text, ""));
    if !(scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth")) {
        return Presented::OtherScheme;
    }
    let token = rest.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Presented::Malformed;
    }
    Presented::Token(token)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Principal> {
        // Two credentials are ambiguous (which one counts depends on who reads first, a
        // proxy or depot): refused rather than first-wins.
        if parts
            .headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .nth(1)
            .is_some()
        {
            return Err(ApiError::bad_request(
                "send one Authorization header, not several",
            ));
        }
        // RFC 6750 §3.1: without a token (no header, or another scheme) the challenge
        // carries no error code; with one, `invalid_token`.
        let token = match parts.headers.get(header::AUTHORIZATION).map(presented) {
            Some(Presented::Token(token)) => token,
            None | Some(Presented::OtherScheme) => {
                state.metrics.auth_failure();
                tracing::info!(reason = "no bearer token", "authentication failed");
                return Err(unauthenticated(false, "a bearer token is required"));
            }
            Some(Presented::Malformed) => {
                state.metrics.auth_failure();
                tracing::info!(reason = "malformed", "authentication failed");
                return Err(unauthenticated(
                    true,
                    "the Authorization header is not a bearer token",
                ));
            }
        };
        // A ticket is stored like a token but only opens a stream, via `?ticket=`.
        if secrets::is_ticket(token) {
            state.metrics.auth_failure();
            tracing::info!(reason = "ticket as bearer token", "authentication failed");
            return Err(unauthenticated(
                true,
                "a stream ticket is not a bearer token; pass it as ?ticket= when opening the \
                 change stream",
            ));
        }
        match state.tokens.verify(token).await {
            Ok(principal) => {
                within_rate(state, &principal)?;
                Ok(principal)
            }
            Err(TokenRejection::Storage(e)) => Err(ApiError::from_store(e, "token")),
            Err(rejection) => {
                state.metrics.auth_failure();
                let (client_id, reason, message) = match rejection {
                    TokenRejection::Expired { client_id } => {
                        (client_id, "expired", "the token has expired")
                    }
                    _ => (String::new(), "unknown", "the token is unknown or revoked"),
                };
                tracing::info!(%client_id, reason, "authentication failed");
                Err(unauthenticated(true, message))
            }
        }
    }
}
