//! OAuth clients and tokens, server settings, and the readiness ping.

use super::not_found;
use crate::{ClientRecord, RateLimit, Store, StoreError, TokenRecord, now_timestamp, now_unix};

pub(super) fn client(id: &str, secret_hash: &str, scopes: &[&str]) -> ClientRecord {
    ClientRecord {
        client_id: id.into(),
        name: format!("client {id}"),
        secret_hash: secret_hash.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        created_at: now_timestamp(),
        rate_limit: None,
    }
}

pub(super) fn token(byte: u8, client_id: &str, expires_at: i64) -> TokenRecord {
    TokenRecord {
        hash: [byte; 32],
        client_id: client_id.into(),
        scopes: vec!["project:alpha:read".into(), "admin".into()],
        expires_at,
        rate_limit: None,
    }
}

pub async fn ping_answers<S: Store>(s: S) {
    s.ping().await.unwrap();
}

pub async fn clients_create_get_list_delete<S: Store>(s: S) {
    let c = client(
        "cl-1",
        "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",
        &["project:a:write", "admin"],
    );
    let created = s.create_client(c.clone()).await.unwrap();
    assert_eq!(created, c);
    assert_eq!(
        s.get_client("cl-1").await.unwrap(),
        c,
        "scopes keep their order"
    );
    let page = s.list_clients(None, 10).await.unwrap();
    assert_eq!(page.rows, [c]);
    assert!(!page.has_more);

    let no_scopes = client("cl-2", "h", &[]);
    s.create_client(no_scopes.clone()).await.unwrap();
    assert_eq!(s.get_client("cl-2").await.unwrap(), no_scopes);

    s.delete_client("cl-1").await.unwrap();
    assert!(not_found(s.get_client("cl-1").await));
    assert!(not_found(s.delete_client("cl-1").await));
    assert!(not_found(s.get_client("absent").await));
    assert_eq!(s.list_clients(None, 10).await.unwrap().rows, [no_scopes]);
}

pub async fn client_create_with_a_taken_id_is_conflict<S: Store>(s: S) {
    let first = client("cl-1", "h1", &["admin"]);
    s.create_client(first.clone()).await.unwrap();
    let again = s.create_client(client("cl-1", "h2", &[])).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert_eq!(s.get_client("cl-1").await.unwrap(), first);
}

pub async fn clients_list_is_keyset_paginated_by_id<S: Store>(s: S) {
    for id in ["c", "a", "e", "b", "d"] {
        s.create_client(client(id, "h", &[])).await.unwrap();
    }
    let ids = |rows: Vec<ClientRecord>| rows.into_iter().map(|c| c.client_id).collect::<Vec<_>>();
    let p1 = s.list_clients(None, 2).await.unwrap();
    assert_eq!(ids(p1.rows), ["a", "b"]);
    assert!(p1.has_more);
    let p2 = s.list_clients(Some("b"), 2).await.unwrap();
    assert_eq!(ids(p2.rows), ["c", "d"]);
    assert!(p2.has_more);
    let p3 = s.list_clients(Some("d"), 2).await.unwrap();
    assert_eq!(ids(p3.rows), ["e"]);
    assert!(!p3.has_more);
    let exact = s.list_clients(Some("c"), 2).await.unwrap();
    assert_eq!(ids(exact.rows), ["d", "e"]);
    assert!(!exact.has_more);
}

pub async fn upsert_creates_then_replaces<S: Store>(s: S) {
    let first = client("admin", "h1", &["admin"]);
    assert_eq!(s.upsert_client(first.clone()).await.unwrap(), first);
    assert_eq!(s.get_client("admin").await.unwrap(), first);

    let mut renamed = client("admin", "h1", &["admin"]);
    renamed.name = "the admin".into();
    let stored = s.upsert_client(renamed.clone()).await.unwrap();
    assert_eq!(stored.name, "the admin");
    assert_eq!(
        stored.created_at, first.created_at,
        "a replace keeps created_at"
    );
    assert_eq!(s.get_client("admin").await.unwrap(), stored);

    let changed = client("admin", "h2", &["admin", "project:x:read"]);
    let stored = s.upsert_client(changed.clone()).await.unwrap();
    assert_eq!(
        (stored.secret_hash.as_str(), &stored.scopes),
        ("h2", &changed.scopes)
    );
    assert_eq!(s.get_client("admin").await.unwrap(), stored);
    assert_eq!(s.list_clients(None, 10).await.unwrap().rows.len(), 1);
}

pub async fn upsert_with_new_secret_or_scopes_revokes_tokens<S: Store>(s: S) {
    let later = now_unix() + 3600;
    s.upsert_client(client("cl", "h1", &["admin"]))
        .await
        .unwrap();
    s.upsert_client(client("other", "h1", &["admin"]))
        .await
        .unwrap();
    s.insert_token(token(9, "other", later)).await.unwrap();

    // Same secret and scopes (only the name may differ): tokens stay.
    s.insert_token(token(1, "cl", later)).await.unwrap();
    let mut renamed = client("cl", "h1", &["admin"]);
    renamed.name = "renamed".into();
    s.upsert_client(renamed).await.unwrap();
    assert!(s.get_token(&[1; 32]).await.is_ok());

    // A new secret revokes.
    s.upsert_client(client("cl", "h2", &["admin"]))
        .await
        .unwrap();
    assert!(not_found(s.get_token(&[1; 32]).await));

    // New scopes revoke.
    s.insert_token(token(2, "cl", later)).await.unwrap();
    s.upsert_client(client("cl", "h2", &["project:a:read"]))
        .await
        .unwrap();
    assert!(not_found(s.get_token(&[2; 32]).await));

    assert!(
        s.get_token(&[9; 32]).await.is_ok(),
        "other clients' tokens stay"
    );
}

pub async fn deleting_a_client_revokes_its_tokens<S: Store>(s: S) {
    let later = now_unix() + 3600;
    s.create_client(client("cl", "h", &["admin"]))
        .await
        .unwrap();
    s.create_client(client("other", "h", &["admin"]))
        .await
        .unwrap();
    s.insert_token(token(1, "cl", later)).await.unwrap();
    s.insert_token(token(2, "cl", later)).await.unwrap();
    s.insert_token(token(3, "other", later)).await.unwrap();

    s.delete_client("cl").await.unwrap();
    assert!(not_found(s.get_token(&[1; 32]).await));
    assert!(not_found(s.get_token(&[2; 32]).await));
    assert!(s.get_token(&[3; 32]).await.is_ok());
    // A token for a client that no longer exists can't be issued.
    assert!(not_found(s.insert_token(token(4, "cl", later)).await));
}

pub async fn tokens_insert_get_revoke<S: Store>(s: S) {
    let later = now_unix() + 3600;
    assert!(not_found(s.insert_token(token(1, "absent", later)).await));
    assert!(not_found(s.get_token(&[1; 32]).await));

    s.create_client(client("cl", "h", &["admin"]))
        .await
        .unwrap();
    let t = token(1, "cl", later);
    s.insert_token(t.clone()).await.unwrap();
    assert_eq!(s.get_token(&[1; 32]).await.unwrap(), t);
    assert!(not_found(s.get_token(&[7; 32]).await));

    // An expired token is still returned; the caller judges expiry.
    let expired = token(2, "cl", now_unix() - 10);
    s.insert_token(expired.clone()).await.unwrap();
    assert_eq!(s.get_token(&[2; 32]).await.unwrap(), expired);

    s.revoke_token(&[1; 32]).await.unwrap();
    assert!(not_found(s.get_token(&[1; 32]).await));
    s.revoke_token(&[1; 32]).await.unwrap();
    s.revoke_token(&[8; 32]).await.unwrap();
    assert_eq!(s.get_token(&[2; 32]).await.unwrap(), expired);
}

pub async fn a_clients_rate_limit_is_stored_and_comes_with_its_tokens<S: Store>(s: S) {
    let later = now_unix() + 3600;
    // A fraction that binary floating point can't hold exactly still reads back equal.
    let limit = RateLimit {
        per_second: 0.1,
        burst: 2,
    };
    let limited = ClientRecord {
        rate_limit: Some(limit),
        ..client("limited", "h", &["admin"])
    };
    assert_eq!(s.create_client(limited.clone()).await.unwrap(), limited);
    assert_eq!(s.get_client("limited").await.unwrap(), limited);
    s.create_client(client("free", "h", &["admin"]))
        .await
        .unwrap();
    let listed = s.list_clients(None, 10).await.unwrap().rows;
    let rates: Vec<_> = listed.iter().map(|c| c.rate_limit).collect();
    assert_eq!(rates, [None, Some(limit)], "free, then limited");

    s.insert_token(token(1, "limited", later)).await.unwrap();
    s.insert_token(token(2, "free", later)).await.unwrap();
    let got = s.get_token(&[1; 32]).await.unwrap();
    assert_eq!(
        got.rate_limit,
        Some(limit),
        "a token carries its client's limit"
    );
    assert_eq!(
        got,
        TokenRecord {
            rate_limit: Some(limit),
            ..token(1, "limited", later)
        }
    );
    assert_eq!(s.get_token(&[2; 32]).await.unwrap().rate_limit, None);
    // A limit given with an inserted token is not the token's: it has its client's.
    let claimed = TokenRecord {
        rate_limit: Some(RateLimit {
            per_second: 1e6,
            burst: 1_000_000,
        }),
        ..token(3, "free", later)
    };
    s.insert_token(claimed).await.unwrap();
    assert_eq!(s.get_token(&[3; 32]).await.unwrap().rate_limit, None);

    // Taking a token (a stream ticket) reads its client's limit too.
    s.insert_token(token(4, "limited", later)).await.unwrap();
    assert_eq!(
        s.take_token(&[4; 32]).await.unwrap().rate_limit,
        Some(limit)
    );

    // An upsert replaces the limit (same secret and scopes: the tokens stay).
    let faster = RateLimit {
        per_second: 1000.0,
        burst: 1_000_000,
    };
    s.upsert_client(ClientRecord {
        rate_limit: Some(faster),
        ..client("limited", "h", &["admin"])
    })
    .await
    .unwrap();
    assert_eq!(
        s.get_client("limited").await.unwrap().rate_limit,
        Some(faster)
    );
    assert_eq!(
        s.get_token(&[1; 32]).await.unwrap().rate_limit,
        Some(faster)
    );
    s.upsert_client(client("limited", "h", &["admin"]))
        .await
        .unwrap();
    assert_eq!(s.get_client("limited").await.unwrap().rate_limit, None);
    assert_eq!(s.get_token(&[1; 32]).await.unwrap().rate_limit, None);
}

pub async fn purge_removes_only_expired_tokens<S: Store>(s: S) {
    let now = now_unix();
    s.create_client(client("cl", "h", &["admin"]))
        .await
        .unwrap();
    s.insert_token(token(1, "cl", now - 100)).await.unwrap();
    s.insert_token(token(2, "cl", now - 1)).await.unwrap();
    s.insert_token(token(3, "cl", now + 100)).await.unwrap();
    s.insert_token(token(4, "cl", now + 3600)).await.unwrap();

    assert_eq!(s.purge_expired_tokens(now).await.unwrap(), 2);
    assert!(not_found(s.get_token(&[1; 32]).await));
    assert!(not_found(s.get_token(&[2; 32]).await));
    assert!(s.get_token(&[3; 32]).await.is_ok());
    assert!(s.get_token(&[4; 32]).await.is_ok());
    assert_eq!(s.purge_expired_tokens(now).await.unwrap(), 0);
    assert!(
        s.get_client("cl").await.is_ok(),
        "purging leaves clients alone"
    );
}

pub async fn settings_get_put_overwrite<S: Store>(s: S) {
    assert_eq!(s.get_setting("maintenance").await.unwrap(), None);
    s.put_setting("maintenance", r#"{"enabled":true,"retry_after":30}"#)
        .await
        .unwrap();
    assert_eq!(
        s.get_setting("maintenance").await.unwrap().as_deref(),
        Some(r#"{"enabled":true,"retry_after":30}"#)
    );
    s.put_setting("maintenance", r#"{"enabled":false}"#)
        .await
        .unwrap();
    assert_eq!(
        s.get_setting("maintenance").await.unwrap().as_deref(),
        Some(r#"{"enabled":false}"#)
    );
    assert_eq!(s.get_setting("other").await.unwrap(), None);
}
