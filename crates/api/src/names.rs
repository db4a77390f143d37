//! The naming rule for projects and collections: `^[a-z0-9][a-z0-9_-]{0,62}$`.

/// Whether `name` is a valid project or collection name.
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

#[cfg(test)]
mod tests {
    use super::is_valid_name;

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
