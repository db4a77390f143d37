//! Where a page ended, so the next one starts right after it; and the digest that binds
//! a cursor to its filter and sort.
//!
//! The server wraps a [`Position`] into its opaque cursor. The byte form is compact and
//! exact (a number keeps its 64 bits, so a position never lands one double off), and
//! stays readable by later versions: it starts with a format byte.

use crate::ast::{Expr, Member};
use crate::sort::{MAX_SORT_KEYS, SortKey, SortValue};

/// The sort values of the last row a page examined, and its id. The next page holds
/// the rows that sort after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// One value per sort key (none for the default order by id).
    pub keys: Vec<SortValue>,
    pub id: String,
}

const FORMAT: u8 = 1;

impl Position {
    /// `[format] [key count] { [tag] [payload] } [id]`: tags 0 null, 1 false, 2 true,
    /// 3 number (8 bytes, big-endian IEEE-754 bits), 4 string (LEB128 length, UTF-8),
    /// 5 array/object; the id is the rest, as UTF-8.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.id.len() + 2 + 16 * self.keys.len());
        out.push(FORMAT);
        out.push(u8::try_from(self.keys.len()).unwrap_or(u8::MAX));
        for key in &self.keys {
            out.push(u8::try_from(key.rank()).unwrap_or(u8::MAX));
            match key {
                SortValue::Number(x) => out.extend_from_slice(&x.to_bits().to_be_bytes()),
                SortValue::String(s) => {
                    let mut len = s.len();
                    while len >= 0x80 {
                        out.push(0x80 | (len & 0x7f) as u8);
                        len >>= 7;
                    }
                    out.push(len as u8);
                    out.extend_from_slice(s.as_bytes());
                }
                _ => {}
            }
        }
        out.extend_from_slice(self.id.as_bytes());
        out
    }

    /// Reads [`Position::to_bytes`]; `None` for anything it did not write.
    pub fn from_bytes(bytes: &[u8]) -> Option<Position> {
        let (&format, rest) = bytes.split_first()?;
        let (&count, mut rest) = rest.split_first()?;
        if format != FORMAT || usize::from(count) > MAX_SORT_KEYS {
            return None;
        }
        let mut keys = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let (&tag, after) = rest.split_first()?;
            rest = after;
            keys.push(match tag {
                0 => SortValue::Null,
                1 => SortValue::Bool(false),
                2 => SortValue::Bool(true),
                3 => {
                    let (bits, after) = rest.split_first_chunk::<8>()?;
                    rest = after;
                    let x = f64::from_bits(u64::from_be_bytes(*bits));
                    if !x.is_finite() {
                        return None;
                    }
                    SortValue::Number(x)
                }
                4 => {
                    let (len, after) = leb128(rest)?;
                    let text = after.get(..len)?;
                    rest = &after[len..];
                    SortValue::String(std::str::from_utf8(text).ok()?.to_owned())
                }
                5 => SortValue::Composite,
                _ => return None,
            });
        }
        let id = std::str::from_utf8(rest).ok()?.to_owned();
        Some(Position { keys, id })
    }

    /// Whether the position can continue a query sorted by `keys`: one value per key,
    /// a string for `id`, `created_at` and `updated_at` and a whole number for
    /// `version` (the only values those members have), the id equal to an `id` key's.
    /// The server checks this when it reads a cursor; a store may assume it.
    pub fn fits(&self, keys: &[SortKey]) -> bool {
        self.keys.len() == keys.len()
            && keys
                .iter()
                .zip(&self.keys)
                .all(|(k, v)| match k.path.member() {
                    None => true,
                    Some(Member::Id) => matches!(v, SortValue::String(s) if *s == self.id),
                    Some(Member::CreatedAt | Member::UpdatedAt) => {
                        matches!(v, SortValue::String(_))
                    }
                    Some(Member::Version) => {
                        matches!(v, SortValue::Number(x) if x.fract() == 0.0 && x.abs() < 9.2e18)
                    }
                })
    }
}

fn leb128(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut value: usize = 0;
    for (n, &b) in bytes.iter().enumerate().take(5) {
        value |= usize::from(b & 0x7f) << (7 * n);
        if b & 0x80 == 0 {
            return Some((value, &bytes[n + 1..]));
        }
    }
    None
}

/// The normalized text of a filter and sort: equal for two requests exactly when they
/// ask for the same rows in the same order (whatever their spacing, parentheses or
/// number spelling).
pub fn canonical(filter: Option<&Expr>, sort: &[SortKey]) -> String {
    let sort: Vec<String> = sort
        .iter()
        .map(|k| format!("{}{}", if k.descending { "-" } else { "" }, k.path))
        .collect();
    match filter {
        Some(f) => format!("filter={f}\nsort={}", sort.join(",")),
        None => format!("sort={}", sort.join(",")),
    }
}

/// A 64-bit digest of [`canonical`] (FNV-1a), stable across builds and platforms: a
/// cursor carries it and is refused with another filter or sort. Not a secret and not
/// collision-proof against a forger, who could only mis-position their own query.
pub fn binding(filter: Option<&Expr>, sort: &[SortKey]) -> u64 {
    canonical(filter, sort)
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}
