//! `POST /oauth/token` (RFC 6749 §4.4, client credentials) and `POST /oauth/revoke`
//! (RFC 7009), black-box through the real router.

use crate::common::{Actor, Resp, TestApp, basic};
use axum::http::Method;
use depot_server::auth::secrets::token_hash;
use serde_json::json;
use std::time::Duration;

const INVALID_TOKEN: &str = r#"Bearer realm="depot", error="invalid_token""#;

/// Asserts the contract's envelope plus RFC 6749's `error` and `error_description`.
#[track_caller]
fn assert_oauth_error(r: &Resp, status: u16, error: &str) {
    r.assert_error(status);
    let body = r.json();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_description"], body["message"], "{body}");
    if status == 401 {
        // RFC 6749 §5.2: the scheme clients authenticate with here, and only it.
        assert_eq!(r.header_all("www-authenticate"), [r#"Basic realm="depot""#]);
    }
}

#[track_caller]
fn assert_invalid_token(r: &Resp) {
    r.assert_error(401);
    assert_eq!(r.header_all("www-authenticate"), [INVALID_TOKEN]);
}

/// Form parameters, in order.
type Form<'a> = Vec<(&'a str, &'a str)>;

fn grant() -> (&'static str, &'static str) {
    ("grant_type", "client_credentials")
}

/// `POST /oauth/token` with the client credentials in the form, and `extra` parameters.
async fn token_with(app: &TestApp, id: &str, secret: &str, extra: &[(&str, &str)]) -> Resp {
    let mut pairs = vec![grant(), ("client_id", id), ("client_secret", secret)];
    pairs.extend_from_slice(extra);
    app.form("/oauth/token", &pairs).send().await
}

/// `POST /oauth/revoke` with the client credentials in the form, and `extra` parameters.
async fn revoke_with(app: &TestApp, id: &str, secret: &str, extra: &[(&str, &str)]) -> Resp {
    let mut pairs = vec![("client_id", id), ("client_secret", secret)];
    pairs.extend_from_slice(extra);
    app.form("/oauth/revoke", &pairs).send().await
}

#[tokio::test]
async fn client_credentials_in_the_form_body_get_an_uncacheable_bearer_token() {
    let app = TestApp::new().await;
    app.project("a").await;
    let (id, secret) = app
        .client_with_secret(&["project:a:write", "project:b:read"])
        .await;
    let r = token_with(&app, &id, &secret, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("pragma"), Some("no-cache"));
    let body = r.json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["access_token", "token_type", "expires_in", "scope"]);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "project:a:write project:b:read");
    let token = body["access_token"].as_str().unwrap();
    // "dpt_" and at least 256 bits in base64url (43 characters).
    assert!(
        token.starts_with("dpt_") && token.len() >= 4 + 43,
        "{token}"
    );
    let read = app
        .send(&Actor::bearer(token), Method::GET, "/v1/projects/a")
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
}

#[tokio::test]
async fn client_credentials_in_http_basic_get_a_token() {
    let app = TestApp::new().await;
    app.project("a").await;
    let (id, secret) = app.client_with_secret(&["project:a:read"]).await;
    let r = app
        .form("/oauth/token", &[grant()])
        .header("authorization", &basic(&id, &secret))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.json()["scope"], "project:a:read");
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    let read = app
        .send(&Actor::bearer(&token), Method::GET, "/v1/projects/a")
        .await;
    assert_eq!(read.status, 200);
}

#[tokio::test]
async fn basic_credentials_work_form_urlencoded_or_raw_inside_the_base64() {
    use base64::Engine;
    let app = TestApp::new().await;
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before they go into Basic, so
    // a secret may hold ':', '+', '%', '&' and non-ASCII characters.
    let id = "svc.url-enc_1~x";
    let secret = "p@ss:w0rd+&%é ü/=?";
    app.client_with_credentials(id, secret, &["project:a:read"])
        .await;
    for scheme_case in ["Basic", "basic", "BASIC"] {
        let value = basic(id, secret).replacen("Basic", scheme_case, 1);
        let r = app
            .form("/oauth/token", &[grant()])
            .header("authorization", &value)
            .send()
            .await;
        assert_eq!(r.status, 200, "{scheme_case}: {}", r.text());
    }
    // Sent without the form-encoding, as curl -u, requests and Authlib do, the same
    // credentials work too ('+' and '%' are tried both ways).
    let raw = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    );
    let r = app
        .form("/oauth/token", &[grant()])
        .header("authorization", &raw)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A wrong secret still fails, read either way.
    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:p@ss+%2B"))
    );
    let r = app
        .form("/oauth/token", &[grant()])
        .header("authorization", &wrong)
        .send()
        .await;
    assert_oauth_error(&r, 401, "invalid_client");
}

#[tokio::test]
async fn each_oauth_error_has_its_rfc_6749_status_and_both_member_pairs() {
    let app = TestApp::new().await;
    let (id, secret) = app.client_with_secret(&["project:a:read"]).await;
    let creds = [
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut pairs: Vec<(&str, &str)> = creds.to_vec();
        pairs.extend_from_slice(extra);
        pairs
    };
    let cases: Vec<(&str, Form, u16, &str)> = vec![
        ("no grant_type", with(&[]), 400, "invalid_request"),
        (
            "password grant",
            with(&[("grant_type", "password")]),
            400,
            "unsupported_grant_type",
        ),
        (
            "code grant",
            with(&[("grant_type", "authorization_code")]),
            400,
            "unsupported_grant_type",
        ),
        ("no credentials", vec![grant()], 401, "invalid_client"),
        (
            "no secret",
            vec![grant(), ("client_id", &id)],
            401,
            "invalid_client",
        ),
        (
            "wrong secret",
            vec![grant(), ("client_id", &id), ("client_secret", "dps_wrong")],
            401,
            "invalid_client",
        ),
        (
            "unknown client",
            vec![grant(), ("client_id", "nobody"), ("client_secret", &secret)],
            401,
            "invalid_client",
        ),
        (
            "scope beyond the client's",
            with(&[grant(), ("scope", "project:b:read")]),
            400,
            "invalid_scope",
        ),
        (
            "malformed scope",
            with(&[grant(), ("scope", "project:A:read")]),
            400,
            "invalid_scope",
        ),
    ];
    for (what, pairs, status, error) in cases {
        let r = app.form("/oauth/token", &pairs).send().await;
        assert_eq!(r.status.as_u16(), status, "{what}: {}", r.text());
        assert_oauth_error(&r, status, error);
    }
}

#[tokio::test]
async fn undecodable_basic_credentials_are_invalid_client() {
    let app = TestApp::new().await;
    for value in ["Basic !!!not-base64!!!", "Basic bm9jb2xvbg==", "Basic"] {
        let r = app
            .form("/oauth/token", &[grant()])
            .header("authorization", value)
            .send()
            .await;
        assert_oauth_error(&r, 401, "invalid_client");
    }
}

#[tokio::test]
async fn credentials_in_both_basic_and_the_body_are_invalid_request() {
    let app = TestApp::new().await;
    let (id, secret) = app.client_with_secret(&["project:a:read"]).await;
    let r = app
        .form(
            "/oauth/token",
            &[grant(), ("client_id", &id), ("client_secret", &secret)],
        )
        .header("authorization", &basic(&id, &secret))
        .send()
        .await;
    assert_oauth_error(&r, 400, "invalid_request");
}

#[tokio::test]
async fn scope_narrows_the_token_to_part_of_the_clients_scopes() {
    let app = TestApp::new().await;
    app.project("a").await;
    app.project("b").await;
    let (id, secret) = app
        .client_with_secret(&["project:a:write", "project:b:read"])
        .await;
    // write implies read, so project:a:read is within the client's scopes.
    let r = token_with(&app, &id, &secret, &[("scope", "project:a:read")]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["scope"], "project:a:read");
    let narrow = Actor::bearer(r.json()["access_token"].as_str().unwrap());
    assert_eq!(
        app.send(&narrow, Method::GET, "/v1/projects/a")
            .await
            .status,
        200
    );
    let put = app
        .send_json(
            &narrow,
            Method::PUT,
            "/v1/projects/a",
            &json!({"metadata": {}}),
        )
        .await;
    put.assert_error(403);
    assert_eq!(
        put.header("www-authenticate"),
        Some(r#"Bearer realm="depot", error="insufficient_scope", scope="project:a:write""#)
    );
    app.send(&narrow, Method::GET, "/v1/projects/b")
        .await
        .assert_error(404);
    let list = app.send(&narrow, Method::GET, "/v1/projects").await;
    assert_eq!(
        list.json()["data"].as_array().unwrap().len(),
        1,
        "{}",
        list.text()
    );
    assert_eq!(list.json()["data"][0]["name"], "a");

    // Several scopes, space-separated, in any order.
    let both = app
        .token_for(&id, &secret, Some("project:b:read  project:a:write"))
        .await;
    let list = app
        .send(&Actor::bearer(&both), Method::GET, "/v1/projects")
        .await;
    assert_eq!(
        list.json()["data"].as_array().unwrap().len(),
        2,
        "{}",
        list.text()
    );
}

#[tokio::test]
async fn a_scope_beyond_the_clients_or_malformed_is_invalid_scope() {
    let app = TestApp::new().await;
    let (id, secret) = app
        .client_with_secret(&["project:a:read", "project:b:write"])
        .await;
    for scope in [
        "admin",
        "project:a:write",
        "project:c:read",
        "project:a:read project:c:read",
        "project:A:read",
        "project:a:delete",
        "root",
    ] {
        let r = token_with(&app, &id, &secret, &[("scope", scope)]).await;
        assert_eq!(r.status, 400, "{scope}: {}", r.text());
        assert_oauth_error(&r, 400, "invalid_scope");
    }
}

#[tokio::test]
async fn an_empty_parameter_counts_as_omitted() {
    // RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were
    // omitted from the request."
    let app = TestApp::new().await;
    let (id, secret) = app
        .client_with_secret(&["project:a:read", "project:b:write"])
        .await;
    let r = token_with(&app, &id, &secret, &[("scope", "")]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["scope"], "project:a:read project:b:write");
    let r = app
        .form(
            "/oauth/token",
            &[
                ("grant_type", ""),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        )
        .send()
        .await;
    assert_oauth_error(&r, 400, "invalid_request");
    let r = app
        .form(
            "/oauth/token",
            &[grant(), ("client_id", &id), ("client_secret", "")],
        )
        .send()
        .await;
    assert_oauth_error(&r, 401, "invalid_client");
}

#[tokio::test]
async fn repeated_parameters_are_invalid_request() {
    let app = TestApp::new().await;
    let (id, secret) = app.client_with_secret(&["project:a:read"]).await;
    let base = [
        grant(),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    for repeated in [
        grant(),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
        ("scope", "project:a:read"),
    ] {
        let mut pairs = base.to_vec();
        pairs.push(repeated);
        if repeated.0 == "scope" {
            pairs.push(repeated);
        }
        let r = app.form("/oauth/token", &pairs).send().await;
        assert_oauth_error(&r, 400, "invalid_request");
        assert!(r.message().contains(repeated.0), "{}", r.message());
    }
}

#[tokio::test]
async fn a_body_that_is_not_a_form_is_invalid_request() {
    let app = TestApp::new().await;
    let (id, secret) = app.client_with_secret(&["project:a:read"]).await;
    let as_json =
        json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret});
    let r = app
        .req(Method::POST, "/oauth/token")
        .json(&as_json)
        .send()
        .await;
    assert_oauth_error(&r, 400, "invalid_request");
    let form = crate::common::form_body(&[grant(), ("client_id", &id), ("client_secret", &secret)]);
    let r = app
        .req(Method::POST, "/oauth/token")
        .raw(form.clone())
        .send()
        .await;
    assert_oauth_error(&r, 400, "invalid_request");
    let r = app
        .req(Method::POST, "/oauth/token")
        .header("content-type", "text/plain")
        .raw(form.clone())
        .send()
        .await;
    assert_oauth_error(&r, 400, "invalid_request");
    // The media type is matched without its parameters and case-insensitively.
    let r = app
        .req(Method::POST, "/oauth/token")
        .header(
            "content-type",
            "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
        )
        .raw(form)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn the_oauth_endpoints_answer_only_post() {
    let app = TestApp::new().await;
    for path in ["/oauth/token", "/oauth/revoke"] {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let r = app.req(method.clone(), path).send().await;
            r.assert_error(405);
            assert_eq!(r.header("allow"), Some("POST"), "{method} {path}");
        }
    }
}

#[tokio::test]
async fn revoking_your_own_token_makes_it_401_at_once() {
    let app = TestApp::new().await;
    app.project("a").await;
    let (id, secret) = app.client_with_secret(&["project:a:read"]).await;
    let token = app.token_for(&id, &secret, None).await;
    let me = Actor::bearer(&token);
    // Used once, so it sits in the verification cache.
    assert_eq!(
        app.send(&me, Method::GET, "/v1/projects/a").await.status,
        200
    );
    let r = revoke_with(
        &app,
        &id,
        &secret,
        &[("token", &token), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_invalid_token(&app.send(&me, Method::GET, "/v1/projects/a").await);

    // Revoking with HTTP Basic works the same way.
    let second = app.token_for(&id, &secret, None).await;
    assert_eq!(
        app.send(&Actor::bearer(&second), Method::GET, "/v1/projects/a")
            .await
            .status,
        200
    );
    let r = app
        .form("/oauth/revoke", &[("token", &second)])
        .header("authorization", &basic(&id, &secret))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_invalid_token(
        &app.send(&Actor::bearer(&second), Method::GET, "/v1/projects/a")
            .await,
    );
    // Revoking again is fine (RFC 7009 §2.2).
    let r = revoke_with(&app, &id, &secret, &[("token", &second)]).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn revoking_another_clients_token_answers_200_and_leaves_it_working() {
    let app = TestApp::new().await;
    app.project("a").await;
    let (victim, victim_secret) = app.client_with_secret(&["project:a:read"]).await;
    let (other, other_secret) = app.client_with_secret(&["project:a:read"]).await;
    let token = app.token_for(&victim, &victim_secret, None).await;
    let r = revoke_with(&app, &other, &other_secret, &[("token", &token)]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let read = app
        .send(&Actor::bearer(&token), Method::GET, "/v1/projects/a")
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
}

#[tokio::test]
async fn revoking_an_unknown_token_answers_200() {
    let app = TestApp::new().await;
    let (id, secret) = app.client_with_secret(&["project:a:read"]).await;
    let r = revoke_with(&app, &id, &secret, &[("token", "dpt_never-issued")]).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn revoke_needs_client_authentication_and_a_token() {
    let app = TestApp::new().await;
    let (id, secret) = app.client_with_secret(&["project:a:read"]).await;
    let token = app.token_for(&id, &secret, None).await;
    let r = app
        .form(
            "/oauth/revoke",
            &[
                ("client_id", &id),
                ("client_secret", "dps_wrong"),
                ("token", &token),
            ],
        )
        .send()
        .await;
    assert_oauth_error(&r, 401, "invalid_client");
    let r = app.form("/oauth/revoke", &[("token", &token)]).send().await;
    assert_oauth_error(&r, 401, "invalid_client");
    let r = revoke_with(&app, &id, &secret, &[]).await;
    assert_oauth_error(&r, 400, "invalid_request");
    // None of those revoked anything.
    assert_eq!(
        app.send(&Actor::bearer(&token), Method::GET, "/v1/projects")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_token_expires_after_the_configured_lifetime() {
    let app = TestApp::with_config(|c| c.token_ttl = Duration::from_secs(1)).await;
    app.project("a").await;
    let (id, secret) = app.client_with_secret(&["project:a:read"]).await;
    let r = token_with(&app, &id, &secret, &[]).await;
    assert_eq!(r.json()["expires_in"], 1);
    let token = Actor::bearer(r.json()["access_token"].as_str().unwrap());
    // A token lives at least as long as expires_in says, so it works right away.
    assert_eq!(
        app.send(&token, Method::GET, "/v1/projects/a").await.status,
        200
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_invalid_token(&app.send(&token, Method::GET, "/v1/projects/a").await);
    // The client itself is fine: a new token works.
    let fresh = app.token_for(&id, &secret, None).await;
    assert_eq!(
        app.send(&Actor::bearer(&fresh), Method::GET, "/v1/projects/a")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn verified_tokens_are_served_without_asking_the_store_again() {
    let app = TestApp::new().await;
    let (id, secret) = app.client_with_secret(&["project:a:read"]).await;
    let token = Actor::bearer(&app.token_for(&id, &secret, None).await);
    assert_eq!(
        app.send(&token, Method::GET, "/v1/projects").await.status,
        200
    );
    // Behind the server's back (as another instance would): the cache still answers.
    app.store()
        .revoke_token(&token_hash(token.token.as_deref().unwrap()))
        .await
        .unwrap();
    assert_eq!(
        app.send(&token, Method::GET, "/v1/projects").await.status,
        200
    );
}

#[tokio::test]
async fn tokens_are_unique_and_secrets_and_tokens_are_stored_only_as_hashes() {
    let app = TestApp::new().await;
    let (id, secret) = app.client_with_secret(&["project:a:read"]).await;
    let first = app.token_for(&id, &secret, None).await;
    let second = app.token_for(&id, &secret, None).await;
    assert_ne!(first, second);
    let stored = app.store().get_token(&token_hash(&first)).await.unwrap();
    assert_eq!(stored.client_id, id);
    assert!(
        app.store()
            .get_client(&id)
            .await
            .unwrap()
            .secret_hash
            .starts_with("$argon2id$")
    );
    // Nothing in the data dir holds the token or the secret in the clear.
    let mut stored_bytes = Vec::new();
    for entry in std::fs::read_dir(&app.state.config.data_dir).unwrap() {
        stored_bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let text = String::from_utf8_lossy(&stored_bytes);
    for needle in [&first, &second, &secret] {
        assert!(
            !text.contains(needle.as_str()),
            "{needle} is stored in the clear"
        );
    }
}

#[tokio::test]
async fn a_client_id_that_keeps_failing_is_locked_out_with_429_without_hashing() {
    let app = TestApp::new().await;
    let (id, secret) = app.client_with_secret(&["admin"]).await;
    // A legitimate fetch first: its secret is remembered (as a digest).
    token_with(&app, &id, &secret, &[]).await.assert_json(200);
    for _ in 0..depot_server::auth::client_auth::FREE_FAILURES {
        let r = token_with(&app, &id, "dps_wrong", &[]).await;
        assert_oauth_error(&r, 401, "invalid_client");
    }
    let r = token_with(&app, &id, "dps_wrong", &[]).await;
    r.assert_error(429);
    assert_eq!(r.json()["error"], "temporarily_unavailable");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    // The client that knows its secret isn't locked out by someone else's guesses.
    token_with(&app, &id, &secret, &[]).await.assert_json(200);
    // Unknown ids lock out the same way, so guessing ids costs no hashing either.
    for _ in 0..depot_server::auth::client_auth::FREE_FAILURES {
        token_with(&app, "nobody", "dps_x", &[])
            .await
            .assert_error(401);
    }
    token_with(&app, "nobody", "dps_x", &[])
        .await
        .assert_error(429);
}

#[tokio::test]
async fn two_authorization_headers_are_refused_not_first_wins() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let token = admin.token.clone().unwrap();
    let r = app
        .req(Method::GET, "/v1/projects")
        .header("authorization", &format!("Bearer {token}"))
        .header("authorization", "Bearer dpt_other")
        .send()
        .await;
    r.assert_error(400);
    assert!(
        r.message().contains("one Authorization header"),
        "{}",
        r.message()
    );
}

#[tokio::test]
async fn the_authorization_server_metadata_names_the_endpoints() {
    let app = TestApp::new().await;
    let r = app
        .req(Method::GET, "/.well-known/oauth-authorization-server")
        .header("host", "depot.example:8080")
        .send()
        .await;
    let meta = r.assert_json(200);
    assert_eq!(meta["issuer"], "http://depot.example:8080");
    assert_eq!(
        meta["token_endpoint"],
        "http://depot.example:8080/oauth/token"
    );
    assert_eq!(
        meta["revocation_endpoint"],
        "http://depot.example:8080/oauth/revoke"
    );
    assert_eq!(meta["grant_types_supported"], json!(["client_credentials"]));
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
}
