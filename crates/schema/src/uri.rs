//! Just enough of RFC 3986 to resolve `$id` and `$ref` inside one document the way
//! jsonschema's `referencing` does: reference resolution and percent-decoding.

/// The base jsonschema gives a document without `$id`.
pub(crate) const DEFAULT_BASE: &str = "json-schema:///";

/// `reference` resolved against the absolute `base` (RFC 3986 §5.2), without fragment.
pub(crate) fn join(base: &str, reference: &str) -> String {
    let base = strip_fragment(base);
    let reference = strip_fragment(reference);
    if has_scheme(reference) {
        return normalize(reference);
    }
    let (scheme, rest) = base.split_once(':').unwrap_or(("", base));
    if reference.is_empty() {
        return base.to_owned();
    }
    if let Some(after) = reference.strip_prefix("//") {
        return normalize(&format!("{scheme}://{after}"));
    }
    let (authority, path) = split_authority(rest);
    if reference.starts_with('/') {
        return format!("{scheme}:{authority}{}", remove_dots(reference));
    }
    if reference.starts_with('?') {
        let path = path.split('?').next().unwrap_or_default();
        return format!("{scheme}:{authority}{path}{reference}");
    }
    let dir = match path.rfind('/') {
        Some(slash) => &path[..=slash],
        None if authority.is_empty() => "",
        None => "/",
    };
    format!(
        "{scheme}:{authority}{}",
        remove_dots(&format!("{dir}{reference}"))
    )
}

/// Splits `uri#fragment`; the fragment is percent-decoded.
pub(crate) fn split_fragment(reference: &str) -> (&str, String) {
    match reference.split_once('#') {
        Some((uri, fragment)) => (uri, percent_decode(fragment)),
        None => (reference, String::new()),
    }
}

fn strip_fragment(uri: &str) -> &str {
    uri.split('#').next().unwrap_or_default()
}

fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `//authority` (kept with its slashes) and the path after it.
fn split_authority(rest: &str) -> (&str, &str) {
    match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['/', '?']).map_or(rest.len(), |i| i + 2);
            rest.split_at(end)
        }
        None => ("", rest),
    }
}

fn normalize(uri: &str) -> String {
    let (scheme, rest) = uri.split_once(':').unwrap_or(("", uri));
    let (authority, path) = split_authority(rest);
    format!("{scheme}:{authority}{}", remove_dots(path))
}

/// RFC 3986 §5.2.4.
fn remove_dots(path: &str) -> String {
    let (path, query) = match path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path, None),
    };
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." if last => out.push(""),
            "." => {}
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            other => out.push(other),
        }
    }
    let mut joined = out.join("/");
    if path.starts_with('/') && !joined.starts_with('/') {
        joined.insert(0, '/');
    }
    match query {
        Some(query) => format!("{joined}?{query}"),
        None => joined,
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| {
            std::str::from_utf8(h)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        });
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_against_their_base() {
        assert_eq!(join(DEFAULT_BASE, ""), "json-schema:///");
        assert_eq!(join(DEFAULT_BASE, "a.json"), "json-schema:///a.json");
        assert_eq!(
            join("https://x.org/a/b.json", "c.json"),
            "https://x.org/a/c.json"
        );
        assert_eq!(join("https://x.org/a/b.json", "/c"), "https://x.org/c");
        assert_eq!(join("https://x.org/a/b.json", "../c#/x"), "https://x.org/c");
        assert_eq!(join("https://x.org/a", "urn:x:y"), "urn:x:y");
        assert_eq!(join("https://x.org/a", "//y.org/b"), "https://y.org/b");
    }

    #[test]
    fn fragments_are_percent_decoded() {
        assert_eq!(split_fragment("#/a%25b"), ("", "/a%b".to_owned()));
        assert_eq!(split_fragment("x.json"), ("x.json", String::new()));
    }
}
