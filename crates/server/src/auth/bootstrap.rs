//! The admin client at start (docs/contract.md §7).
//!
//! With `DEPOT_ADMIN_CLIENT_ID`/`_SECRET` set, a client with exactly those credentials
//! and the `admin` scope is made to exist. Without them, a first start creates the
//! client `admin` with a generated secret and writes both to
//! `<data-dir>/admin-credentials.json` (mode 0600); the log names the file, never the
//! secret. Later starts reuse that file.

use super::secrets::{SECRET_PREFIX, generate, hash_secret, verify_secret};
use depot_store::{ClientRecord, Store, StoreError, now_timestamp};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const CREDENTIALS_FILE: &str = "admin-credentials.json";
pub const GENERATED_ADMIN_ID: &str = "admin";

/// Client credentials as kept in the credentials file.
pub struct Credentials {
    pub client_id: String,
    pub client_secret: SecretString,
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("admin bootstrap: {0}")]
    Store(#[from] StoreError),
    #[error("admin bootstrap: {0}")]
    Io(String),
}

pub fn credentials_path(data_dir: &Path) -> PathBuf {
    data_dir.join(CREDENTIALS_FILE)
}

/// Reads `<data-dir>/admin-credentials.json`, if it is there.
pub fn read_credentials(data_dir: &Path) -> Result<Option<Credentials>, BootstrapError> {
    let path = credentials_path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(BootstrapError::Io(format!("{}: {e}", path.display()))),
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| BootstrapError::Io(format!("{}: {e}", path.display())))?;
    let field = |k: &str| value.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    match (field("client_id"), field("client_secret")) {
        (Some(client_id), Some(secret)) => Ok(Some(Credentials {
            client_id,
            client_secret: SecretString::from(secret),
        })),
        _ => Err(BootstrapError::Io(format!(
            "{} lacks client_id or client_secret",
            path.display()
        ))),
    }
}

/// Makes sure the admin client exists, as described in the module documentation.
pub async fn ensure_admin(
    store: &dyn Store,
    data_dir: &Path,
    configured: Option<(&str, &SecretString)>,
) -> Result<(), BootstrapError> {
    if let Some((id, secret)) = configured {
        return ensure_client(store, id, secret).await;
    }
    if let Some(creds) = read_credentials(data_dir)? {
        return ensure_client(store, &creds.client_id, &creds.client_secret).await;
    }
    match store.get_client(GENERATED_ADMIN_ID).await {
        Ok(_) => {
            tracing::warn!(
                file = %credentials_path(data_dir).display(),
                "the admin client exists but its credentials file is gone; with the server stopped, create another admin client with `depot clients create --name admin --scope admin`, or set DEPOT_ADMIN_CLIENT_ID and DEPOT_ADMIN_CLIENT_SECRET"
            );
            Ok(())
        }
        Err(StoreError::NotFound) => generate_admin(store, data_dir).await,
        Err(e) => Err(e.into()),
    }
}

async fn ensure_client(
    store: &dyn Store,
    id: &str,
    secret: &SecretString,
) -> Result<(), BootstrapError> {
    if let Ok(existing) = store.get_client(id).await
        && existing.scopes == ["admin"]
        && verify_secret(secret.expose_secret(), &existing.secret_hash)
    {
        return Ok(());
    }
    store
        .upsert_client(admin_record(id, secret.expose_secret())?)
        .await?;
    tracing::info!(client_id = id, "admin client ensured");
    Ok(())
}

async fn generate_admin(store: &dyn Store, data_dir: &Path) -> Result<(), BootstrapError> {
    let secret = generate(SECRET_PREFIX);
    let path = credentials_path(data_dir);
    let text = json!({"client_id": GENERATED_ADMIN_ID, "client_secret": secret}).to_string();
    // The file is written before the client exists: a crash in between leaves a file
    // that the next start turns into the client, never a client nobody can use.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| BootstrapError::Io(format!("{}: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| BootstrapError::Io(format!("{}: {e}", path.display())))?;
    store
        .upsert_client(admin_record(GENERATED_ADMIN_ID, &secret)?)
        .await?;
    tracing::info!(file = %path.display(), client_id = GENERATED_ADMIN_ID, "created the admin client; its credentials are in the file");
    Ok(())
}

fn admin_record(id: &str, secret: &str) -> Result<ClientRecord, BootstrapError> {
    Ok(ClientRecord {
        client_id: id.to_owned(),
        name: "admin".to_owned(),
        secret_hash: hash_secret(secret).map_err(BootstrapError::Io)?,
        scopes: vec!["admin".to_owned()],
        created_at: now_timestamp(),
        // No limit of its own (the server's default, if any, applies).
        rate_limit: None,
    })
}
