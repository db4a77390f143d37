//! The naming rules of the wire: project and collection names, client ids, scopes.
//!
//! Each rule is written here once, as a pattern (for the OpenAPI document and error
//! messages) and as a check (for the server and the client).

/// Project and collection names.
pub const NAME_PATTERN: &str = r"^[a-z0-9][a-z0-9_-]{0,62}$";

/// OAuth client ids: the characters RFC 6749's `client_id` may use unencoded.
pub const CLIENT_ID_PATTERN: &str = r"^[A-Za-z0-9._~-]{1,128}$";

/// One scope, without anchors, so that a space-separated list can repeat it.
pub const SCOPE: &str = r"(admin|project:[a-z0-9][a-z0-9_-]{0,62}:(read|write))";

/// One scope.
pub const SCOPE_PATTERN: &str = r"^(admin|project:[a-z0-9][a-z0-9_-]{0,62}:(read|write))$";

/// Whether `name` is a valid project or collection name ([`NAME_PATTERN`]).
///
/// Hand-written rather than a regex: the rule is tiny and this keeps the wire crate
/// free of dependencies beyond serde.
pub fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let Some((first, rest)) = bytes.split_first() else {
        return false;
    };
    let lower_or_digit = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    bytes.len() <= 63
        && lower_or_digit(first)
        && rest
            .iter()
            .all(|b| lower_or_digit(b) || *b == b'_' || *b == b'-')
}

/// Whether `id` is a valid client id ([`CLIENT_ID_PATTERN`]): 1 to 128 unreserved URL
/// characters (RFC 3986), so that an id needs no escaping in a path, a form or HTTP Basic.
pub fn is_valid_client_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::{is_valid_client_id, is_valid_name};

    #[test]
    fn client_ids_follow_their_pattern() {
        assert!(is_valid_client_id("dpc_AZaz09.-~"));
        assert!(!is_valid_client_id("a b") && !is_valid_client_id(""));
        assert!(!is_valid_client_id(&"a".repeat(129)));
    }

    #[test]
    fn names_follow_the_contract_pattern() {
        for ok in ["a", "0", "notes", "my-app_2", &"a".repeat(63)] {
            assert!(is_valid_name(ok), "{ok} should be valid");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "A",
            "a b",
            "a/b",
            "é",
            &"a".repeat(64),
            "a.b",
        ] {
            assert!(!is_valid_name(bad), "{bad} should be invalid");
        }
    }
}
