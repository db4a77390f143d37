//! What a query's statements read: the comparisons that go into `WHERE` (those that
//! narrow an index range in the scan's order), the index they walk, and the sort-key
//! columns those comparisons hold constant.

use crate::ast::{Comparison, Expr, Literal, Member, Op, Path};
use crate::sort::SortKey;
use crate::sql::{self, Dialect};

/// The key columns the pushed comparisons on the first sort key hold constant: all of
/// them under `=`; the rank under a range (and the number, for a string range). They go
/// out of `ORDER BY`, where they change nothing; SQLite, seeing an expression that an
/// `=` fixes in its `ORDER BY`, would no longer see that the index delivers that order.
pub(crate) fn fixed_columns(
    d: &dyn Dialect,
    sort: &[SortKey],
    pushed: &[&Comparison],
) -> Vec<String> {
    let Some(lead) = sort.first().filter(|k| k.path.member() != Some(Member::Id)) else {
        return Vec::new();
    };
    let columns = sql::key_columns(d, &lead.path);
    let mut fixed = Vec::new();
    for c in pushed.iter().filter(|c| c.path == lead.path) {
        let count = match (c.op, &c.literal, lead.path.member()) {
            (Op::Eq, _, _) => columns.len(),
            (_, _, Some(_)) => 0,
            (_, Literal::Number(_), None) => 1,
            (_, Literal::String(_), None) => 2,
            _ => 0,
        };
        fixed.extend(columns.iter().take(count).cloned());
    }
    fixed
}

/// The declared path whose index the scan walks: the first sort key when it is
/// declared, or in id order the path of a pushed `=`.
pub(crate) fn walked_index<'p>(
    sort: &'p [SortKey],
    pushed: &[&'p Comparison],
    indexes: &[String],
) -> Option<&'p Path> {
    let declared = |path: &Path| indexes.iter().any(|i| i == path.as_str());
    match sort.first() {
        Some(k) if k.path.member() == Some(Member::Id) => None,
        Some(k) => declared(&k.path).then_some(&k.path),
        None => pushed
            .iter()
            .find(|c| c.op == Op::Eq && declared(&c.path))
            .map(|c| &c.path),
    }
}

/// Whether a comparison is a range (or `=`) an index seeks to: not one that holds for
/// no item whatever its value (`s < true`, `id = 5`), which SQL would fold into a
/// constant, leaving SQLite no `collection_id = 42` to match the partial index with.
fn seekable(c: &Comparison) -> bool {
    const LIMIT: f64 = 9.2e18 - 1.0;
    if !matches!(c.op, Op::Eq | Op::Lt | Op::Le | Op::Gt | Op::Ge) {
        return false;
    }
    match (c.path.member(), &c.literal) {
        (None, Literal::Number(_) | Literal::String(_)) => true,
        (None, _) => c.op == Op::Eq,
        (Some(Member::Version), Literal::Number(x)) => {
            x.abs() < LIMIT && (c.op != Op::Eq || x.fract() == 0.0)
        }
        (Some(Member::Version), _) => false,
        (Some(_), literal) => matches!(literal, Literal::String(_)),
    }
}

/// The conjuncts of `filter` that go into `WHERE`: those an index serves in the scan's
/// order. Sorted by a key: comparisons (`=` and ranges) on that key, if it is indexed (or
/// is `id`). In id order: `=` on one indexed path (its index lists each value's rows by
/// id), and comparisons on `id`.
pub(crate) fn pushed<'q>(
    filter: Option<&'q Expr>,
    sort: &[SortKey],
    indexes: &[String],
) -> Vec<&'q Comparison> {
    let Some(filter) = filter else {
        return Vec::new();
    };
    let comparisons: Vec<&Comparison> = filter
        .conjuncts()
        .iter()
        .filter_map(|e| match e {
            Expr::Compare(c) if seekable(c) => Some(c),
            _ => None,
        })
        .collect();
    let indexed = |path: &Path| {
        path.member() == Some(Member::Id) || indexes.iter().any(|i| i == path.as_str())
    };
    let by_id = sort
        .first()
        .is_none_or(|k| k.path.member() == Some(Member::Id));
    if !by_id {
        let lead = &sort[0].path;
        if !indexed(lead) {
            return Vec::new();
        }
        return comparisons
            .into_iter()
            .filter(|c| c.path == *lead)
            .collect();
    }
    let equal = comparisons
        .iter()
        .find(|c| c.op == Op::Eq && c.path.member() != Some(Member::Id) && indexed(&c.path))
        .map(|c| c.path.clone());
    comparisons
        .into_iter()
        .filter(|c| {
            c.path.member() == Some(Member::Id)
                || (c.op == Op::Eq && Some(&c.path) == equal.as_ref())
        })
        .collect()
}

/// Whether the pushed comparisons are the whole filter: then every row the statement's
/// `WHERE` lets through matches, and nothing needs evaluating row by row (a count over an
/// index is then an index scan that never reads an item).
pub(crate) fn covered(filter: Option<&Expr>, pushed: &[&Comparison]) -> bool {
    let Some(filter) = filter else {
        return true;
    };
    filter.conjuncts().iter().all(|e| match e {
        Expr::Compare(c) => pushed.iter().any(|p| std::ptr::eq(*p, c)),
        _ => false,
    })
}
