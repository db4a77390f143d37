//! Sorting: the `sort` parameter, and the order the contract defines across types.

use crate::ParseError;
use crate::ast::{Member, Path};
use crate::eval::lookup;
use serde_json::Value;
use std::cmp::Ordering;

/// At most this many sort keys.
pub const MAX_SORT_KEYS: usize = 3;

/// One key of a sort: a path, and whether it sorts descending (`-path`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortKey {
    pub path: Path,
    pub descending: bool,
    /// Where the key starts in the `sort` text (for errors found later, such as a path
    /// that is not indexed).
    pub position: usize,
}

impl SortKey {
    pub fn ascending(path: Path) -> SortKey {
        SortKey {
            path,
            descending: false,
            position: 0,
        }
    }

    pub fn descending(path: Path) -> SortKey {
        SortKey {
            path,
            descending: true,
            position: 0,
        }
    }
}

/// Parses `-priority,title`: up to [`MAX_SORT_KEYS`] comma-separated paths, each
/// optionally prefixed by `-`; no spaces. A path may appear once, and nothing may follow
/// `id` (ids are unique, so a later key could never matter).
pub fn parse_sort(text: &str) -> Result<Vec<SortKey>, ParseError> {
    let mut keys: Vec<SortKey> = Vec::new();
    let mut start = 0;
    for part in text.split(',') {
        if keys.len() == MAX_SORT_KEYS {
            return Err(ParseError::new(
                start,
                format!("a sort has at most {MAX_SORT_KEYS} keys"),
            ));
        }
        if keys
            .last()
            .is_some_and(|k| k.path.member() == Some(Member::Id))
        {
            return Err(ParseError::new(
                start,
                "nothing can sort after 'id': ids are unique",
            ));
        }
        let descending = part.starts_with('-');
        let path_start = start + usize::from(descending);
        let path = Path::parse(&part[usize::from(descending)..]).map_err(|e| ParseError {
            position: path_start + e.position,
            message: e.message,
        })?;
        if keys.iter().any(|k| k.path == path) {
            return Err(ParseError::new(
                start,
                format!("'{path}' is sorted by twice"),
            ));
        }
        keys.push(SortKey {
            path,
            descending,
            position: start,
        });
        start += part.len() + 1;
    }
    Ok(keys)
}

/// Checks that every key is a server-owned member or one of the collection's declared
/// `indexes`, as the contract requires; the error points at the first that is not.
pub fn validate_sort(keys: &[SortKey], indexes: &[String]) -> Result<(), ParseError> {
    match keys
        .iter()
        .find(|k| k.path.member().is_none() && !indexes.iter().any(|i| i == k.path.as_str()))
    {
        Some(k) => Err(ParseError::new(
            k.position,
            format!(
                "can't sort by '{}': a sort key must be id, created_at, updated_at, version \
                 or one of the collection's indexes",
                k.path
            ),
        )),
        None => Ok(()),
    }
}

/// A value as the sort sees it. The order: missing and null, then false, true, numbers
/// (numeric), strings (code-point order), then arrays and objects, which all sort equal
/// to each other.
#[derive(Debug, Clone)]
pub enum SortValue {
    /// Missing or null.
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    /// An array or object.
    Composite,
}

impl SortValue {
    /// The sort value of a JSON value (`None`: missing).
    pub fn of(value: Option<&Value>) -> SortValue {
        match value {
            None | Some(Value::Null) => SortValue::Null,
            Some(Value::Bool(b)) => SortValue::Bool(*b),
            // Every JSON number has a double (serde_json refuses ones that overflow).
            Some(Value::Number(n)) => SortValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            Some(Value::String(s)) => SortValue::String(s.clone()),
            Some(Value::Array(_) | Value::Object(_)) => SortValue::Composite,
        }
    }

    /// The sort value at `path` in `item`.
    pub fn at(item: &Value, path: &Path) -> SortValue {
        SortValue::of(lookup(item, path))
    }

    /// The type's place in the order: 0 missing/null, 1 false, 2 true, 3 number,
    /// 4 string, 5 array/object. The SQL translations sort by this same rank.
    pub fn rank(&self) -> i64 {
        match self {
            SortValue::Null => 0,
            SortValue::Bool(false) => 1,
            SortValue::Bool(true) => 2,
            SortValue::Number(_) => 3,
            SortValue::String(_) => 4,
            SortValue::Composite => 5,
        }
    }
}

impl Ord for SortValue {
    fn cmp(&self, other: &SortValue) -> Ordering {
        match (self, other) {
            // Doubles from JSON are never NaN; -0 and 0 are equal, as in SQL.
            (SortValue::Number(a), SortValue::Number(b)) => {
                a.partial_cmp(b).unwrap_or(Ordering::Equal)
            }
            (SortValue::String(a), SortValue::String(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for SortValue {
    fn partial_cmp(&self, other: &SortValue) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SortValue {
    fn eq(&self, other: &SortValue) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SortValue {}

/// The sort values of `item` for `keys`, in order.
pub fn sort_values(item: &Value, keys: &[SortKey]) -> Vec<SortValue> {
    keys.iter().map(|k| SortValue::at(item, &k.path)).collect()
}

/// How two rows compare under `keys` then `id` ascending: each row is its sort values
/// (one per key) and its id. `-` reverses a key, never the id.
pub fn compare_rows(
    keys: &[SortKey],
    a: (&[SortValue], &str),
    b: (&[SortValue], &str),
) -> Ordering {
    keys.iter()
        .zip(a.0.iter().zip(b.0))
        .map(|(k, (x, y))| if k.descending { y.cmp(x) } else { x.cmp(y) })
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.1.cmp(b.1))
}
