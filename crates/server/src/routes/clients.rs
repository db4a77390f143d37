//! `/v1/clients` and `/v1/clients/{client_id}`: OAuth clients, admin only.

use crate::auth::scopes::Scopes;
use crate::auth::secrets::{
    SECRET_PREFIX, generate, generate_client_id, hash_secret, is_valid_client_id,
};
use crate::error::{ApiError, ApiResult};
use crate::openapi::responses::{
    BadRequest, Conflict, Deleted, Forbidden, IdempotencyMismatch, MissingFields, NotFound,
    PayloadTooLarge, UnsupportedMediaType,
};
use crate::openapi::schemas::NewClient;
use crate::request::access::{Admin, AdminCreating, Read, Write};
use crate::request::body;
use crate::request::extract::PathParams;
use crate::request::fields::{Fields, require_present, whole_number, wrong_type};
use crate::request::idempotency::{self, Answer};
use crate::request::paging::{ListKind, page, parse_query};
use crate::respond::{self, created, deleted, ok};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use depot_api::types;
use depot_store::{ClientRecord, NewResource, RateLimit, Resource, now_timestamp};
use serde_json::{Map, Value, json};

const MAX_CLIENT_NAME: usize = 200;

/// Lists OAuth clients; needs `admin`.
#[utoipa::path(
    get, path = "/v1/clients", tag = "clients", operation_id = "listClients",
    params(crate::openapi::schemas::ListParams),
    responses(
        (status = 200, description = "A page of clients, by id (never with secrets).", body = crate::openapi::schemas::OAuthClientPage),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    _: Admin<Read>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = parse_query(raw.as_deref(), ListKind::Clients)?;
    let rows = state
        .store
        .list_clients(query.after.as_deref(), query.limit)
        .await
        .map_err(|e| ApiError::from_store(e, "client"))?;
    Ok(ok(page(
        rows,
        ListKind::Clients,
        |c| &c.client_id,
        respond::client,
    )))
}

/// Creates a client; the answer is the only time its secret is shown.
#[utoipa::path(
    post, path = "/v1/clients", tag = "clients", operation_id = "createClient",
    params(crate::openapi::schemas::IdempotencyKey),
    request_body(content = NewClient, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `client_secret` is shown here only (not in an idempotent replay).", body = types::Client, headers(("Location" = String, description = "The new client's path."))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 406, response = MissingFields), (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = IdempotencyMismatch),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    AdminCreating {
        principal,
        bytes,
        pending,
    }: AdminCreating,
) -> ApiResult<Response> {
    let value = body::parse(&bytes, state.config.max_json_depth)?;
    let mut fields = Fields::new(
        body::into_object(value, "a client")?,
        &["name", "scopes", "rate_limit"],
    )?;
    let name = fields.string("name")?;
    let scopes = fields.strings("scopes")?;
    let rate_limit = asked_rate(fields.take("rate_limit"))?;
    if name
        .as_ref()
        .is_some_and(|n| n.trim().is_empty() || n.len() > MAX_CLIENT_NAME)
    {
        return Err(ApiError::bad_request(format!(
            "name must be 1 to {MAX_CLIENT_NAME} bytes"
        )));
    }
    if let Some(list) = &scopes {
        Scopes::parse(list.iter().map(String::as_str)).map_err(|bad| {
            ApiError::bad_request(format!(
                "{bad:?} is not a scope (admin, project:NAME:read, project:NAME:write)"
            ))
            .with_details(json!({"pointer": "/scopes"}))
        })?;
    }
    require_present(&[
        ("name", name.is_some()),
        ("scopes", scopes.is_some()),
        (
            "rate_limit/per_second",
            !matches!(rate_limit, AskedRate::NoPerSecond),
        ),
    ])?;
    let rate_limit = match rate_limit {
        AskedRate::Limit(limit) => limit,
        AskedRate::NoPerSecond => None, // a 406 above
    };
    let secret = generate(SECRET_PREFIX);
    // In the hashing pool (argon2 is slow on purpose), as at the token endpoint.
    let secret_hash = state
        .client_auth
        .hash(&principal.client_id, &secret)
        .await
        .map_err(|_| {
            ApiError::unavailable(
                "the server is hashing too many secrets at once; nothing was done, retry later",
                1,
            )
        })?;
    let record = client_record(
        name.unwrap_or_default(),
        scopes.unwrap_or_default(),
        rate_limit,
        secret_hash,
    );
    let answer = idempotency::create(&state, pending, NewResource::Client(record))
        .await
        .map_err(|e| ApiError::from_store(e, "client"))?;
    // The secret is never stored, so only this first answer can show it.
    match answer {
        Answer::Created(Resource::Client(made), _) => {
            let location = format!("/v1/clients/{}", made.client_id);
            let mut shown = respond::client(made);
            shown.client_secret = Some(secret);
            Ok(created(&location, shown))
        }
        other => Ok(other.into_response()),
    }
}

/// A client record with a fresh id and the argon2id hash of `secret`, hashed on a
/// blocking thread because argon2 is deliberately slow (for the CLI, which has no
/// server's hashing pool).
pub async fn new_client(
    name: String,
    scopes: Vec<String>,
    rate_limit: Option<RateLimit>,
    secret: &str,
) -> ApiResult<ClientRecord> {
    let secret = secret.to_owned();
    let secret_hash = tokio::task::spawn_blocking(move || hash_secret(&secret))
        .await
        .map_err(|e| ApiError::internal(format!("hashing task: {e}")))?
        .map_err(ApiError::internal)?;
    Ok(client_record(name, scopes, rate_limit, secret_hash))
}

fn client_record(
    name: String,
    scopes: Vec<String>,
    rate_limit: Option<RateLimit>,
    secret_hash: String,
) -> ClientRecord {
    ClientRecord {
        client_id: generate_client_id(),
        name,
        secret_hash,
        scopes,
        created_at: now_timestamp(),
        rate_limit,
    }
}

/// What a create's `rate_limit` asks for.
enum AskedRate {
    /// A limit, or none (left out or null: the server's default applies).
    Limit(Option<RateLimit>),
    /// An object without `per_second`: a 406, with any other missing member.
    NoPerSecond,
}

/// Reads `rate_limit`: `{"per_second": number, "burst": integer}` (`burst` optional:
/// twice the rate by default, as for `--client-burst`), or null. A wrong value is a 400
/// whose `details.pointer` names it; so is a member other than these two.
fn asked_rate(value: Option<Value>) -> ApiResult<AskedRate> {
    let mut members: Map<String, Value> = match value {
        None | Some(Value::Null) => return Ok(AskedRate::Limit(None)),
        Some(Value::Object(members)) => members,
        Some(other) => {
            return Err(wrong_type(
                "rate_limit",
                "an object ({\"per_second\": number, \"burst\": integer}) or null",
                &other,
            ));
        }
    };
    let bad = |member: &str, message: String| {
        ApiError::bad_request(message)
            .with_details(json!({"pointer": format!("/rate_limit/{member}")}))
    };
    if let Some(unknown) = members
        .keys()
        .find(|k| !matches!(k.as_str(), "per_second" | "burst"))
    {
        return Err(ApiError::bad_request(format!(
            "unknown member {unknown:?} in rate_limit; expected per_second, burst"
        ))
        .with_details(json!({
            "pointer": format!("/rate_limit/{}", crate::request::schema::escape_pointer(unknown))
        })));
    }
    let per_second = match members.remove("per_second") {
        None => None,
        Some(v) => match v.as_f64() {
            Some(r) if RateLimit::valid_per_second(r) => Some(r),
            _ => {
                return Err(bad(
                    "per_second",
                    format!(
                        "rate_limit.per_second must be a number above 0 and at most {}, not {}",
                        RateLimit::MAX_PER_SECOND,
                        shown(&v)
                    ),
                ));
            }
        },
    };
    let burst = match members.remove("burst") {
        None => None,
        Some(v) => match whole_number(&v).filter(|&b| RateLimit::valid_burst(b)) {
            Some(b) => Some(u32::try_from(b).unwrap_or(RateLimit::MAX_BURST)),
            None => {
                return Err(bad(
                    "burst",
                    format!(
                        "rate_limit.burst must be an integer from 1 to {}, not {}",
                        RateLimit::MAX_BURST,
                        shown(&v)
                    ),
                ));
            }
        },
    };
    let Some(per_second) = per_second else {
        return Ok(AskedRate::NoPerSecond);
    };
    Ok(AskedRate::Limit(Some(RateLimit::new(per_second, burst))))
}

/// A refused value in a message: a number as sent, anything else by its type (a
/// message never repeats text from the body).
fn shown(v: &Value) -> String {
    if v.is_number() {
        v.to_string()
    } else {
        body::type_name(v).to_owned()
    }
}

/// Reads a client (never its secret); needs `admin`.
#[utoipa::path(
    get, path = "/v1/clients/{client_id}", tag = "clients", operation_id = "getClient",
    responses(
        (status = 200, description = "The client (without its secret).", body = types::Client),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    _: Admin<Read>,
    PathParams(client_id): PathParams<String>,
) -> ApiResult<Response> {
    if !is_valid_client_id(&client_id) {
        return Err(ApiError::not_found("client"));
    }
    let found = state
        .store
        .get_client(&client_id)
        .await
        .map_err(|e| ApiError::from_store(e, "client"))?;
    Ok(ok(respond::client(found)))
}

/// Deletes the client and revokes every token issued to it.
#[utoipa::path(
    delete, path = "/v1/clients/{client_id}", tag = "clients", operation_id = "deleteClient",
    responses(
        (status = 200, response = Deleted),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    _: Admin<Write>,
    PathParams(client_id): PathParams<String>,
) -> ApiResult<Response> {
    if !is_valid_client_id(&client_id) {
        return Err(ApiError::not_found("client"));
    }
    state
        .store
        .delete_client(&client_id)
        .await
        .map_err(|e| ApiError::from_store(e, "client"))?;
    state.tokens.forget_all();
    Ok(deleted("client deleted; its tokens are revoked"))
}
