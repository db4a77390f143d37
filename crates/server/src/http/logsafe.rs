//! Request-supplied text as it may appear in a log line.
//!
//! Anything a client sends (a client id, a path, a method, a request id) is logged only
//! through [`Clean`], which
//! - escapes control characters (a newline can't forge a log line, an ANSI escape can't
//!   reach an operator's terminal),
//! - keeps at most [`MAX_CHARS`] characters and says how much it cut (a 500 KB client id
//!   can't turn one failed request into 500 KB of log),
//! - never shows a value that looks like a secret or a token (`dps_…`, `dpt_…`), in
//!   whatever field it arrives: a client that swaps its id and its secret doesn't get
//!   its secret written down.

use std::fmt;

/// The most characters of one value a log line shows.
pub const MAX_CHARS: usize = 128;

/// Prefixes of depot's secrets and tokens (see `crate::auth::secrets`).
const SECRET_PREFIXES: [&str; 2] = ["dps_", "dpt_"];

/// Whether `text` looks like one of depot's secrets or tokens (by prefix, anywhere in
/// it): such text is never logged, and never sent where it could be.
pub fn looks_secret(text: &str) -> bool {
    SECRET_PREFIXES.iter().any(|p| text.contains(p))
}

/// A request-supplied value, safe to log with `%`.
#[derive(Clone, Copy)]
pub struct Clean<'a>(pub &'a str);

impl fmt::Display for Clean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        if looks_secret(text) {
            return write!(f, "[redacted: looks like a secret, {} bytes]", text.len());
        }
        for (shown, c) in text.chars().enumerate() {
            if shown == MAX_CHARS {
                let rest = text.len() - text.char_indices().nth(MAX_CHARS).map_or(0, |(i, _)| i);
                return write!(f, "…[{rest} more bytes]");
            }
            if c.is_control() || c == '\u{7f}' {
                write!(f, "{}", c.escape_default())?;
            } else {
                f.write_fmt(format_args!("{c}"))?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Clean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        let shown = Clean("a\nINFO forged\u{1b}[31m").to_string();
        assert_eq!(shown, "a\\nINFO forged\\u{1b}[31m");
        assert!(!shown.contains('\n') && !shown.contains('\u{1b}'));
    }

    #[test]
    fn long_values_are_cut_and_say_how_much() {
        let long = "x".repeat(500_000);
        let shown = Clean(&long).to_string();
        assert!(shown.len() < 200, "{}", shown.len());
        assert!(shown.ends_with(&format!("…[{} more bytes]", 500_000 - MAX_CHARS)));
    }

    #[test]
    fn anything_that_looks_like_a_secret_or_token_is_never_shown() {
        for value in ["dps_abc", "dpt_abc", "my id dps_abc"] {
            let shown = Clean(value).to_string();
            assert!(!shown.contains("abc"), "{shown}");
        }
        assert_eq!(Clean("dpc_client").to_string(), "dpc_client");
    }
}
