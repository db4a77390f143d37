use thiserror::Error;

/// What a backend can report. The server maps each to one contract status.
#[derive(Debug, Clone, Error)]
pub enum StoreError {
    /// The named record (or its parent) does not exist.
    #[error("not found")]
    NotFound,
    /// A record with that key already exists.
    #[error("already exists")]
    Conflict,
    /// The record exists but its version is not the expected one.
    #[error("version does not match")]
    PreconditionFailed,
    /// An idempotency key already used by this client for a different request.
    #[error("idempotency key reused with a different request")]
    KeyReused,
    /// The storage can't serve now (locked, disk full, I/O error, connection lost);
    /// the operation had no effect and may be retried.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupted data.
    #[error("storage error: {0}")]
    Other(String),
}
