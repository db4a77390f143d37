//! One ordered walk over rows after a position: the `WHERE` range and `ORDER BY` of each
//! statement, and what to read next when a statement comes back short.
//!
//! The rows after a position `v` in the order of columns `c0, c1, ... c(m-1)` are, in
//! order, those with `c0..c(m-2)` equal to `v`'s and `c(m-1)` after `v(m-1)`; then those
//! with `c0..c(m-3)` equal and `c(m-2)` after; ... then those with `c0` after `v0`. Each
//! of these *levels* is an equality prefix and one range, which any B-tree index on the
//! columns seeks to directly, and each is already in index order (its `ORDER BY` leaves
//! out the equal prefix, which SQLite needs: an `ORDER BY` term that an `=` fixes hides
//! an expression index's order from it). SQLite can't seek with a row-value comparison
//! over expression columns, so it reads level by level; PostgreSQL can, so where all
//! columns run one way it reads all levels with one row comparison.

use crate::sql::{self, Dialect, OrderColumn, Params, SqlParam};

pub(crate) struct Walk {
    /// The order of the rows, and the value each column has at the position.
    order: Vec<OrderColumn>,
    /// `None`: from the first row.
    after: Option<Vec<SqlParam>>,
    /// Conditions every row of the walk meets (the group of a descending walk).
    equal: Vec<(String, SqlParam)>,
    /// The level the next statement reads (see the module documentation).
    level: usize,
    /// One row comparison reads every level at once.
    row_seek: bool,
}

impl Walk {
    pub(crate) fn new(
        d: &dyn Dialect,
        order: Vec<OrderColumn>,
        after: Option<Vec<SqlParam>>,
        equal: Vec<(String, SqlParam)>,
    ) -> Walk {
        let uniform = order.iter().all(|c| c.descending == order[0].descending);
        let mut walk = Walk {
            row_seek: d.row_seek() && uniform,
            order,
            after: None,
            equal,
            level: 0,
        };
        walk.restart(after);
        walk
    }

    /// Goes on after a new position, from its deepest level.
    pub(crate) fn restart(&mut self, after: Option<Vec<SqlParam>>) {
        self.level = after.as_ref().map_or(0, |v| v.len().saturating_sub(1));
        self.after = after;
    }

    /// After a statement that came back short: the next level, or `false` when none is
    /// left and the walk is over.
    pub(crate) fn next_level(&mut self) -> bool {
        if self.after.is_none() || self.row_seek || self.level == 0 {
            return false;
        }
        self.level -= 1;
        true
    }

    /// The conditions and the order of the next statement.
    pub(crate) fn statement(&self, p: &mut Params<'_>) -> (Vec<String>, Vec<OrderColumn>) {
        let mut conditions: Vec<String> = self
            .equal
            .iter()
            .map(|(expr, value)| format!("{expr} = {}", p.bind(value.clone())))
            .collect();
        let Some(after) = &self.after else {
            return (conditions, self.order.clone());
        };
        if self.row_seek {
            let values: Vec<String> = after.iter().map(|v| p.bind(v.clone())).collect();
            conditions.push(sql::after(&self.order, &values));
            return (conditions, self.order.clone());
        }
        for (column, value) in self.order.iter().zip(after).take(self.level) {
            conditions.push(format!("{} = {}", column.expr, p.bind(value.clone())));
        }
        let column = &self.order[self.level];
        let op = if column.descending { "<" } else { ">" };
        let bound = p.bind(after[self.level].clone());
        conditions.push(format!("{} {op} {bound}", column.expr));
        (conditions, self.order[self.level..].to_vec())
    }
}
