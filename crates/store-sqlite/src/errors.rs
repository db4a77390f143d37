//! How SQLite failures become [`StoreError`]s.
//!
//! The server turns `Unavailable` into a 503 with `Retry-After` and every other error into
//! a 404/409/500, so the split here decides what a client may safely retry. Messages go
//! to logs only, but stay short and never carry SQL text.

use depot_store::StoreError;
use rusqlite::ErrorCode;
use rusqlite::ffi;

/// Maps a rusqlite error. A UNIQUE or PRIMARY KEY violation is `Conflict`: the only
/// statements that can break one are the creates, where it means "name taken".
pub(crate) fn map(err: rusqlite::Error) -> StoreError {
    match err {
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
        // Both carry SQLite's own message, and the second the statement itself: keep
        // only the codes.
        rusqlite::Error::SqliteFailure(e, _) | rusqlite::Error::SqlInputError { error: e, .. } => {
            map_code(e)
        }
        other => StoreError::Other(format!("sqlite: {other}")),
    }
}

fn map_code(e: ffi::Error) -> StoreError {
    match e.code {
        // The database can't be used right now but nothing went wrong with the request:
        // a lock held too long, a full or failing disk, a file that can't be opened or
        // written. Each leaves the transaction rolled back, so a retry is safe.
        ErrorCode::DatabaseBusy
        | ErrorCode::DatabaseLocked
        | ErrorCode::DiskFull
        | ErrorCode::SystemIoFailure
        | ErrorCode::CannotOpen
        | ErrorCode::ReadOnly
        | ErrorCode::OutOfMemory => StoreError::Unavailable(format!("sqlite {:?}", e.code)),
        ErrorCode::ConstraintViolation
            if e.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            StoreError::Conflict
        }
        // No message text: SQLite's messages can quote parts of the statement.
        _ => StoreError::Other(format!("sqlite {:?} ({})", e.code, e.extended_code)),
    }
}

/// A pool that hands out no connection in time means the readers are saturated or the
/// file can't be opened: the request may be retried.
pub(crate) fn pool(err: r2d2::Error) -> StoreError {
    StoreError::Unavailable(format!("sqlite read pool: {err}"))
}

/// Migrations fail at start only; a rusqlite cause keeps its own mapping.
pub(crate) fn migration(err: rusqlite_migration::Error) -> StoreError {
    match err {
        rusqlite_migration::Error::RusqliteError { err, .. } => map(err),
        other => StoreError::Other(format!("sqlite migrations: {other}")),
    }
}

/// A stored JSON column that no longer parses: corrupted data, never the caller's fault.
pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Other(format!("sqlite: stored {what} is not valid JSON"))
}

/// The rusqlite-level form of [`corrupt`], for use inside row mappers.
pub(crate) fn corrupt_column(idx: usize, err: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some("near \"SELECT\"".into()))
    }

    #[test]
    fn busy_full_and_io_errors_are_unavailable() {
        for code in [
            ffi::SQLITE_BUSY,
            ffi::SQLITE_FULL,
            ffi::SQLITE_IOERR,
            ffi::SQLITE_CANTOPEN,
        ] {
            assert!(
                matches!(map(failure(code)), StoreError::Unavailable(_)),
                "{code}"
            );
        }
    }

    #[test]
    fn unique_violation_is_conflict_and_other_constraints_are_not() {
        assert!(matches!(
            map(failure(ffi::SQLITE_CONSTRAINT_UNIQUE)),
            StoreError::Conflict
        ));
        let fk = map(failure(ffi::SQLITE_CONSTRAINT_FOREIGNKEY));
        assert!(matches!(fk, StoreError::Other(_)), "{fk:?}");
    }

    #[test]
    fn no_rows_is_not_found() {
        assert!(matches!(
            map(rusqlite::Error::QueryReturnedNoRows),
            StoreError::NotFound
        ));
    }

    #[test]
    fn messages_do_not_quote_sql() {
        let input = rusqlite::Error::SqlInputError {
            error: ffi::Error::new(ffi::SQLITE_ERROR),
            msg: "near \"SELEC\": syntax error".into(),
            sql: "SELEC secret FROM clients".into(),
            offset: 0,
        };
        for err in [failure(ffi::SQLITE_ERROR), input] {
            let StoreError::Other(msg) = map(err) else {
                panic!("expected Other");
            };
            assert!(!msg.contains("SELEC") && !msg.contains("clients"), "{msg}");
        }
    }
}
