//! How PostgreSQL and pool failures become [`StoreError`]s.
//!
//! Inside the crate the SQL functions return [`Error`], which keeps the driver's error
//! whole so the transaction runner can tell a serialization failure or deadlock (retried
//! here) from everything else. At the trait boundary [`Error::into_store`] picks the
//! kind: the server answers `Unavailable` with a 503 and `Retry-After`, so that split
//! decides what a client may safely retry. Messages stay short and never carry SQL text
//! or server messages (those can quote statements and values).

use deadpool_postgres::PoolError;
use depot_store::StoreError;
use tokio_postgres::error::SqlState;

/// A failure inside the crate, before it is mapped at the trait boundary.
#[derive(Debug)]
pub(crate) enum Error {
    /// The driver failed: the server answered with an error, or the connection broke.
    Pg(tokio_postgres::Error),
    /// No connection could be had in time, or opening one failed.
    Pool(PoolError),
    /// The outcome is already a store error (a missing row, a stale version...).
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        Error::Pg(e)
    }
}

impl From<PoolError> for Error {
    fn from(e: PoolError) -> Self {
        Error::Pool(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

/// The crate's result type.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether running the whole transaction again may succeed: the server aborted it to
    /// keep concurrent transactions consistent, and nothing it did was kept.
    pub(crate) fn is_transient(&self) -> bool {
        let Error::Pg(e) = self else { return false };
        matches!(
            e.code(),
            Some(&SqlState::T_R_SERIALIZATION_FAILURE) | Some(&SqlState::T_R_DEADLOCK_DETECTED)
        )
    }

    /// Whether the connection that returned this error is gone or going: the server
    /// ended the session (shutdown, crash, restart) or the connection itself failed.
    /// Such a connection must not serve another call.
    pub(crate) fn lost_connection(&self) -> bool {
        let Error::Pg(e) = self else { return false };
        match e.code() {
            Some(code) => {
                matches!(
                    *code,
                    SqlState::ADMIN_SHUTDOWN
                        | SqlState::CRASH_SHUTDOWN
                        | SqlState::CANNOT_CONNECT_NOW
                ) || code.code().starts_with("08")
            }
            None => broken(e),
        }
    }

    pub(crate) fn into_store(self) -> StoreError {
        match self {
            Error::Pg(e) => pg(&e),
            Error::Pool(e) => pool(&e),
            Error::Store(e) => e,
        }
    }
}

/// A stored JSON column that no longer parses: corrupted data, never the caller's fault.
pub(crate) fn corrupt(what: &str) -> Error {
    Error::Store(StoreError::Other(format!(
        "postgres: stored {what} is not valid JSON"
    )))
}

fn pg(e: &tokio_postgres::Error) -> StoreError {
    if let Some(code) = e.code() {
        return by_code(code);
    }
    // No SQLSTATE: the driver itself failed. A closed or broken connection means the
    // database can't be reached now; anything else (a column of an unexpected type...)
    // is a bug. (Failures while connecting arrive through `pool`.) The driver's own
    // text names no SQL.
    if broken(e) {
        StoreError::Unavailable(format!("postgres: {e}"))
    } else {
        StoreError::Other(format!("postgres: {e}"))
    }
}

/// A driver error without SQLSTATE that says the connection closed or its I/O failed.
fn broken(e: &tokio_postgres::Error) -> bool {
    e.is_closed() || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
}

fn by_code(code: &SqlState) -> StoreError {
    let class = code.code().get(..2).unwrap_or_default();
    match *code {
        // The only statements that can break a UNIQUE constraint are the creates, where
        // it means "that name is taken".
        SqlState::UNIQUE_VIOLATION => StoreError::Conflict,
        // Every foreign key names a parent (project, collection, client); a write that
        // breaks one raced with the parent's delete.
        SqlState::FOREIGN_KEY_VIOLATION => StoreError::NotFound,
        // The server can't serve now but nothing was wrong with the request, and the
        // transaction was rolled back: shutting down or restarting, out of connections,
        // disk or memory; a statement or lock wait cancelled by its timeout; a standby
        // refusing writes during a failover; a conflict still there after our retries.
        SqlState::ADMIN_SHUTDOWN
        | SqlState::CRASH_SHUTDOWN
        | SqlState::CANNOT_CONNECT_NOW
        | SqlState::TOO_MANY_CONNECTIONS
        | SqlState::DISK_FULL
        | SqlState::OUT_OF_MEMORY
        | SqlState::IO_ERROR
        | SqlState::QUERY_CANCELED
        | SqlState::LOCK_NOT_AVAILABLE
        | SqlState::READ_ONLY_SQL_TRANSACTION
        | SqlState::T_R_SERIALIZATION_FAILURE
        | SqlState::T_R_DEADLOCK_DETECTED => {
            StoreError::Unavailable(format!("postgres {}", code.code()))
        }
        // Class 08: the connection failed. Class 53: insufficient resources.
        _ if class == "08" || class == "53" => {
            StoreError::Unavailable(format!("postgres {}", code.code()))
        }
        _ => StoreError::Other(format!("postgres {}", code.code())),
    }
}

/// The pool hands out no connection in time, or opening one fails: the database is
/// unreachable, refusing connections, or saturated, and the request may be retried.
fn pool(e: &PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => match pg(e) {
            // Whatever stops a connection from opening (a refused login, a missing
            // database) leaves the store unable to serve, which is what readiness asks.
            StoreError::Other(msg) => StoreError::Unavailable(msg),
            mapped => mapped,
        },
        PoolError::Timeout(kind) => {
            StoreError::Unavailable(format!("postgres pool: {kind:?} timed out"))
        }
        PoolError::Closed => StoreError::Unavailable("postgres pool closed".into()),
        PoolError::PostCreateHook(_) => {
            StoreError::Unavailable("postgres pool: connection setup failed".into())
        }
        PoolError::NoRuntimeSpecified => StoreError::Other("postgres pool: no runtime".into()),
    }
}

/// Why the first connection at start failed, as a sentence for the operator: the
/// usual causes by name (a missing database, a refused login, nothing listening), the
/// SQLSTATE code in brackets. Never the URL, which may carry a password.
pub(crate) fn at_start(e: &PoolError) -> StoreError {
    let PoolError::Backend(pg) = e else {
        return pool(e);
    };
    let sentence = match pg.code() {
        Some(&SqlState::INVALID_CATALOG_NAME) => {
            "the database does not exist (create it, or fix the URL's database name)".to_owned()
        }
        Some(&SqlState::INVALID_PASSWORD)
        | Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION) => {
            "authentication failed: the server refused the URL's user or password".to_owned()
        }
        Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
            "the URL's user may not connect to that database".to_owned()
        }
        Some(&SqlState::TOO_MANY_CONNECTIONS) => {
            "the server has no connection slot left (max_connections)".to_owned()
        }
        Some(&SqlState::CANNOT_CONNECT_NOW) => "the server is starting or shutting down".to_owned(),
        Some(code) => format!("the server refused the connection ({})", code.code()),
        None => match io_cause(pg) {
            Some(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                "connection refused: nothing listens at the URL's host and port (is PostgreSQL \
                 running?)"
                    .to_owned()
            }
            Some(io) => format!("can't reach the server: {io}"),
            None => format!("can't connect: {pg}"),
        },
    };
    let code = pg
        .code()
        .map_or(String::new(), |c| format!(" [{}]", c.code()));
    StoreError::Unavailable(format!("{sentence}{code}"))
}

fn io_cause(e: &tokio_postgres::Error) -> Option<&std::io::Error> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = s.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_codes_are_conflict_and_not_found() {
        assert!(matches!(
            by_code(&SqlState::UNIQUE_VIOLATION),
            StoreError::Conflict
        ));
        assert!(matches!(
            by_code(&SqlState::FOREIGN_KEY_VIOLATION),
            StoreError::NotFound
        ));
        let check = by_code(&SqlState::CHECK_VIOLATION);
        assert!(matches!(check, StoreError::Other(_)), "{check:?}");
    }

    #[test]
    fn shutdown_resource_and_connection_codes_are_unavailable() {
        for code in [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::DISK_FULL,
            SqlState::IO_ERROR,
            SqlState::QUERY_CANCELED,
            SqlState::CONNECTION_FAILURE,
            SqlState::CONNECTION_EXCEPTION,
            SqlState::T_R_SERIALIZATION_FAILURE,
        ] {
            let mapped = by_code(&code);
            assert!(matches!(mapped, StoreError::Unavailable(_)), "{code:?}");
        }
    }

    #[test]
    fn other_codes_name_only_the_code() {
        let StoreError::Other(msg) = by_code(&SqlState::SYNTAX_ERROR) else {
            panic!("a syntax error is a bug");
        };
        assert_eq!(msg, "postgres 42601");
    }

    #[test]
    fn pool_timeouts_are_unavailable() {
        let e = PoolError::Timeout(deadpool_postgres::TimeoutType::Wait);
        assert!(matches!(
            Error::from(e).into_store(),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn only_serialization_failures_and_deadlocks_are_transient() {
        assert!(!Error::Store(StoreError::Conflict).is_transient());
        assert!(!Error::Pool(PoolError::Closed).is_transient());
    }
}
