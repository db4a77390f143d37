//! Stream tickets: how a browser opens a change stream. `EventSource` can't send an
//! `Authorization` header, and a long-lived token must not sit in a URL (logs, history,
//! `Referer`); so a client trades its token for a ticket (`POST .../changes/tickets`)
//! and opens the stream with `?ticket=`.
//!
//! A ticket is `dpt_<issued unix seconds>_<256 random bits>`. It is stored as a token
//! record (only its SHA-256), so that any instance sharing the store can redeem it, and
//! is taken from the store as it is redeemed, so it works once. It works only within
//! `ticket_ttl` (60 s) of issue, only on the changes stream of the project it was
//! issued for (its record carries read access to that project alone), and lends the
//! stream its token's client and expiry. It is never a bearer token
//! ([`super::Principal`] refuses one with 401).

use super::scopes::{Scope, Scopes};
use super::secrets::{generate_ticket, ticket_issued, token_hash};
use super::{Principal, unauthenticated, within_rate};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use depot_store::{StoreError, TokenRecord, now_unix};

/// Issues a ticket for `principal` (already checked for read access) on `project`.
pub async fn issue(
    state: &AppState,
    principal: &Principal,
    project: &str,
) -> Result<String, StoreError> {
    let ticket = generate_ticket(now_unix());
    let record = TokenRecord {
        hash: token_hash(&ticket),
        client_id: principal.client_id.clone(),
        scopes: vec![Scope::Read(project.to_owned()).to_string()],
        expires_at: principal.expires_at,
        // Read back from the client when the ticket is taken.
        rate_limit: None,
    };
    state.store.insert_token(record).await?;
    Ok(ticket)
}

/// The principal a ticket lends to a stream on `project`, taking the ticket (it works
/// once). Anything wrong with it is a 401 with `error="invalid_token"`.
pub async fn redeem(state: &AppState, ticket: &str, project: &str) -> ApiResult<Principal> {
    let refuse = |reason: &'static str, message: &str| {
        state.metrics.auth_failure();
        tracing::info!(reason, "stream ticket refused");
        unauthenticated(true, message)
    };
    let Some(issued) = ticket_issued(ticket) else {
        return Err(refuse("malformed ticket", "the ticket is not valid"));
    };
    let age = now_unix().saturating_sub(issued);
    let ttl = i64::try_from(state.config.ticket_ttl.as_secs()).unwrap_or(i64::MAX);
    // A ticket from the future (beyond a little clock skew between instances) was
    // never issued by one.
    if age > ttl || age < -5 {
        return Err(refuse(
            "expired ticket",
            "the ticket has expired; get a new one",
        ));
    }
    let record = match state.store.take_token(&token_hash(ticket)).await {
        Ok(record) => record,
        Err(StoreError::NotFound) => {
            return Err(refuse(
                "unknown or used ticket",
                "the ticket is unknown or was already used",
            ));
        }
        Err(e) => return Err(ApiError::from_store(e, "ticket")),
    };
    if record.expires_at < now_unix() {
        return Err(refuse(
            "token expired",
            "the token that issued this ticket has expired",
        ));
    }
    let scopes = Scopes::parse(record.scopes.iter().map(String::as_str))
        .map_err(|_| refuse("bad scopes", "the ticket is not valid"))?;
    if !scopes.grants(&Scope::Read(project.to_owned())) {
        return Err(refuse(
            "ticket for another project",
            "the ticket was issued for another project",
        ));
    }
    let principal = Principal {
        client_id: record.client_id,
        scopes,
        expires_at: record.expires_at,
        rate_limit: record.rate_limit,
    };
    within_rate(state, &principal)?;
    Ok(principal)
}
