//! Why an item failed, capped: at most [`MAX_LISTED`] entries, each message cut to
//! [`MAX_MESSAGE_BYTES`], and a `truncated` flag when anything was left out.

use crate::limits::{MAX_LISTED, MAX_MESSAGE_BYTES, MAX_POINTER_BYTES};
use serde_json::{Value, json};
use std::fmt::{self, Write};

/// A failed validation, as the server answers it.
#[derive(Clone, Debug, PartialEq)]
pub enum Invalid {
    /// Only `required` members are missing (406): pointers to them.
    Missing {
        pointers: Vec<String>,
        truncated: bool,
    },
    /// Anything else failed (400); wins over missing members.
    Failed {
        errors: Vec<Failure>,
        truncated: bool,
    },
    /// The instance is larger than the limits the schema's cost bound was computed for,
    /// and the estimate for it is over budget (only items that grew past the body limit,
    /// e.g. by merge patches, can get here).
    TooCostly,
}

/// One failure: where in the instance, and jsonschema's message for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub pointer: String,
    pub message: String,
}

impl Invalid {
    /// The sentence for the error body's `message`.
    pub fn message(&self) -> String {
        match self {
            Invalid::Missing {
                pointers,
                truncated,
            } => {
                let names: Vec<&str> = pointers
                    .iter()
                    .map(|p| p.rsplit('/').next().unwrap_or(p))
                    .collect();
                let more = if *truncated { " and more" } else { "" };
                format!("missing required fields: {}{more}", names.join(", "))
            }
            Invalid::Failed { errors, .. } => match errors.first() {
                Some(first) => format!(
                    "the item does not match the collection schema: {}",
                    first.message
                ),
                None => "the item does not match the collection schema in too many places \
                         to list them"
                    .to_owned(),
            },
            Invalid::TooCostly => "the item is too large to validate against the \
                                   collection schema"
                .to_owned(),
        }
    }

    /// The error body's `details`: `{"missing": [...]}` or `{"errors": [{"pointer",
    /// "message"}]}`, with `"truncated": true` only when entries were left out (so an
    /// ordinary failure answers exactly as before the caps).
    pub fn details(&self) -> Option<Value> {
        let (mut details, truncated) = match self {
            Invalid::Missing {
                pointers,
                truncated,
            } => (json!({"missing": pointers}), truncated),
            Invalid::Failed { errors, truncated } => {
                let errors: Vec<Value> = errors
                    .iter()
                    .map(|e| json!({"pointer": e.pointer, "message": e.message}))
                    .collect();
                (json!({"errors": errors}), truncated)
            }
            Invalid::TooCostly => return None,
        };
        if *truncated {
            details["truncated"] = Value::Bool(true);
        }
        Some(details)
    }
}

/// Collects what `iter_errors` reports, keeping at most [`MAX_LISTED`] of each kind.
#[derive(Default)]
pub(crate) struct Collector {
    missing: Vec<String>,
    missing_truncated: bool,
    failures: Vec<Failure>,
    failures_truncated: bool,
}

impl Collector {
    pub(crate) fn add(&mut self, error: &jsonschema::ValidationError<'_>) {
        use jsonschema::error::ValidationErrorKind;
        let at = error.instance_path().as_str();
        match error.kind() {
            ValidationErrorKind::Required { property } => {
                if self.missing.len() >= MAX_LISTED || at.len() > MAX_POINTER_BYTES {
                    self.missing_truncated = true;
                    return;
                }
                let name = property.as_str().unwrap_or_default();
                self.missing
                    .push(format!("{at}/{}", crate::resolve::escape(name)));
            }
            _ => {
                if self.failures.len() >= MAX_LISTED || at.len() > MAX_POINTER_BYTES {
                    self.failures_truncated = true;
                    return;
                }
                self.failures.push(Failure {
                    pointer: at.to_owned(),
                    message: capped(error),
                });
            }
        }
    }

    /// For a search that stopped early: `only_required` says whether any failure other
    /// than a missing member exists, whatever was collected.
    pub(crate) fn finish_truncated(self, only_required: bool) -> Invalid {
        if only_required && self.failures.is_empty() {
            Invalid::Missing {
                pointers: self.missing,
                truncated: true,
            }
        } else {
            Invalid::Failed {
                errors: self.failures,
                truncated: true,
            }
        }
    }

    fn has_failures(&self) -> bool {
        !self.failures.is_empty() || self.failures_truncated
    }

    /// A failure other than a missing member wins (400 before 406).
    pub(crate) fn finish(self) -> Invalid {
        if self.has_failures() {
            Invalid::Failed {
                errors: self.failures,
                truncated: self.failures_truncated,
            }
        } else {
            Invalid::Missing {
                pointers: self.missing,
                truncated: self.missing_truncated,
            }
        }
    }
}

/// `value`'s Display, cut at [`MAX_MESSAGE_BYTES`] (at a character boundary, marked by
/// `…`). Rendering stops there: an error about a 1 MiB object does not render it whole.
pub(crate) fn capped(value: &impl fmt::Display) -> String {
    let mut out = Capped {
        text: String::new(),
        full: false,
    };
    // An error only says the cap was reached.
    let _ = write!(out, "{value}");
    if out.full {
        out.text.push('…');
    }
    out.text
}

struct Capped {
    text: String,
    full: bool,
}

impl Write for Capped {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = MAX_MESSAGE_BYTES - self.text.len();
        if s.len() <= room {
            self.text.push_str(s);
            return Ok(());
        }
        let mut end = room;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.text.push_str(&s[..end]);
        self.full = true;
        Err(fmt::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_message_is_cut_at_a_character_boundary() {
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let cut = capped(&long);
        assert!(cut.len() <= MAX_MESSAGE_BYTES + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert_eq!(capped(&"short"), "short");
    }

    #[test]
    fn truncated_appears_in_details_only_when_entries_were_left_out() {
        let whole = Invalid::Missing {
            pointers: vec!["/a".into()],
            truncated: false,
        };
        assert_eq!(whole.details(), Some(json!({"missing": ["/a"]})));
        assert_eq!(whole.message(), "missing required fields: a");
        let cut = Invalid::Missing {
            pointers: vec!["/a".into()],
            truncated: true,
        };
        assert_eq!(
            cut.details(),
            Some(json!({"missing": ["/a"], "truncated": true}))
        );
        assert_eq!(cut.message(), "missing required fields: a and more");
    }
}
