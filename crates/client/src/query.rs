//! Item queries (contract §8): a [`Filter`] builder that can only render filters the
//! server parses, [`SortKey`]s, and `fields` projections, gathered in an [`ItemQuery`].
//!
//! ```
//! use depot_client::query::{field, ItemQuery, SortKey};
//! let f = field("priority").gte(3) & field("title").contains("milk");
//! assert_eq!(f.render().unwrap(), r#"priority >= 3 && title ~ "milk""#);
//! let q = ItemQuery::new().filter(f).sort(SortKey::desc("priority")).fields(["title"]);
//! # let _ = q;
//! ```
//!
//! Rendering checks what the server would refuse, so it fails here with a sentence
//! instead of as a 400: paths (`name { "." name }`, name = `[A-Za-z_][A-Za-z0-9_]*`),
//! non-finite numbers, and the bounds (4096 bytes, 32 comparisons, 16 levels of `(` and
//! `!`). String literals are JSON (serde_json), so quotes, backslashes, control
//! characters and any Unicode arrive as the server decodes them.

use crate::error::ClientError;
use serde::Deserialize;
use serde_json::Value;

/// The answer of a count: `exact` is false when counting stopped at the server's budget
/// (`--max-count-scan`), and `count` is then a lower bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ItemCount {
    pub count: u64,
    pub exact: bool,
}

/// The server's bounds on a filter (§8).
pub const MAX_FILTER_BYTES: usize = 4096;
pub const MAX_COMPARISONS: usize = 32;
pub const MAX_NESTING: usize = 16;
/// The most keys a sort has, and members `fields` names.
pub const MAX_SORT_KEYS: usize = 3;
pub const MAX_FIELDS: usize = 64;

/// A literal a comparison takes: a JSON string, number, boolean or null.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
}

impl Scalar {
    fn render(&self) -> Result<String, ClientError> {
        Ok(match self {
            Scalar::Null => "null".into(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(n) => n.to_string(),
            Scalar::Float(x) => match serde_json::Number::from_f64(*x) {
                Some(n) => n.to_string(),
                None => return Err(invalid(format!("{x} is not a JSON number"))),
            },
            Scalar::String(s) => Value::from(s.as_str()).to_string(),
        })
    }
}

macro_rules! scalar_from {
    ($($t:ty => $v:ident),* $(,)?) => {$(
        impl From<$t> for Scalar {
            fn from(x: $t) -> Scalar {
                Scalar::$v(x.into())
            }
        }
    )*};
}
scalar_from!(bool => Bool, i64 => Int, i32 => Int, u32 => Int, f64 => Float, f32 => Float,
    String => String, &str => String);

impl<T: Into<Scalar>> From<Option<T>> for Scalar {
    fn from(x: Option<T>) -> Scalar {
        x.map_or(Scalar::Null, Into::into)
    }
}

/// The comparison operators of §8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    NotContains,
    Has,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "~",
            Op::NotContains => "!~",
            Op::Has => "?=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Cmp(String, Op, Scalar),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

/// A filter expression. [`Filter::render`] gives the text sent as `filter=`. Combine
/// with `&`, `|` and `!`, or [`Filter::and`], [`Filter::or`], [`all`] and [`any`].
#[derive(Debug, Clone, PartialEq)]
pub struct Filter(Node);

fn invalid(message: String) -> ClientError {
    ClientError::Config(format!("query: {message}"))
}

/// Checks a path against the grammar.
pub fn check_path(path: &str) -> Result<&str, ClientError> {
    let name_ok = |name: &str| {
        let mut bytes = name.bytes();
        bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    if path.split('.').all(name_ok) {
        Ok(path)
    } else {
        Err(invalid(format!(
            "{path:?} is not a path (names [A-Za-z_][A-Za-z0-9_]* joined by '.')"
        )))
    }
}

struct Counts {
    comparisons: usize,
    deepest: usize,
}

/// `depth` is the number of `(` and `!` around the node.
fn render(node: &Node, depth: usize, counts: &mut Counts) -> Result<String, ClientError> {
    counts.deepest = counts.deepest.max(depth);
    Ok(match node {
        Node::Cmp(path, op, value) => {
            counts.comparisons += 1;
            format!("{} {} {}", check_path(path)?, op.as_str(), value.render()?)
        }
        // `&&` binds tighter than `||`, and `!` and comparisons are unary.
        Node::Or(parts) => join(parts, " || ", |p| render(p, depth, counts))?,
        Node::And(parts) => join(parts, " && ", |p| match p {
            Node::Or(_) => Ok(format!("({})", render(p, depth + 1, counts)?)),
            _ => render(p, depth, counts),
        })?,
        Node::Not(inner) => match **inner {
            Node::Cmp(..) | Node::Not(_) => format!("!{}", render(inner, depth + 1, counts)?),
            _ => format!("!({})", render(inner, depth + 2, counts)?),
        },
    })
}

fn join(
    parts: &[Node],
    sep: &str,
    mut each: impl FnMut(&Node) -> Result<String, ClientError>,
) -> Result<String, ClientError> {
    let rendered: Result<Vec<String>, ClientError> = parts.iter().map(&mut each).collect();
    Ok(rendered?.join(sep))
}

impl Filter {
    /// The text sent as `filter=`, or why the server would refuse it.
    pub fn render(&self) -> Result<String, ClientError> {
        let mut counts = Counts {
            comparisons: 0,
            deepest: 0,
        };
        let text = render(&self.0, 0, &mut counts)?;
        if counts.comparisons > MAX_COMPARISONS {
            return Err(invalid(format!(
                "a filter holds at most {MAX_COMPARISONS} comparisons (this one {})",
                counts.comparisons
            )));
        }
        if counts.deepest > MAX_NESTING {
            return Err(invalid(format!(
                "a filter nests at most {MAX_NESTING} levels of ( and ! (this one {})",
                counts.deepest
            )));
        }
        if text.len() > MAX_FILTER_BYTES {
            return Err(invalid(format!(
                "a filter is at most {MAX_FILTER_BYTES} bytes (this one {})",
                text.len()
            )));
        }
        Ok(text)
    }

    /// Both this and `other`.
    pub fn and(self, other: Filter) -> Filter {
        all([self, other]).expect("two filters")
    }

    /// This or `other`.
    pub fn or(self, other: Filter) -> Filter {
        any([self, other]).expect("two filters")
    }
}

fn combine(filters: Vec<Filter>, and: bool) -> Option<Filter> {
    if filters.len() <= 1 {
        return filters.into_iter().next();
    }
    let mut parts = Vec::with_capacity(filters.len());
    for Filter(node) in filters {
        // (a && b) && c is a && b && c: flattened, so nesting stays where it was written.
        match node {
            Node::And(inner) if and => parts.extend(inner),
            Node::Or(inner) if !and => parts.extend(inner),
            node => parts.push(node),
        }
    }
    Some(Filter(if and {
        Node::And(parts)
    } else {
        Node::Or(parts)
    }))
}

/// All of `filters` hold; `None` for none.
pub fn all(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
    combine(filters.into_iter().collect(), true)
}

/// Any of `filters` holds; `None` for none.
pub fn any(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
    combine(filters.into_iter().collect(), false)
}

impl std::ops::BitAnd for Filter {
    type Output = Filter;
    fn bitand(self, other: Filter) -> Filter {
        self.and(other)
    }
}

impl std::ops::BitOr for Filter {
    type Output = Filter;
    fn bitor(self, other: Filter) -> Filter {
        self.or(other)
    }
}

impl std::ops::Not for Filter {
    type Output = Filter;
    fn not(self) -> Filter {
        Filter(Node::Not(Box::new(self.0)))
    }
}

/// A path in an item, to compare: `field("address.city").eq("Lyon")`. The path is
/// checked when the filter is rendered.
#[derive(Debug, Clone)]
pub struct Field(String);

/// A path to compare.
pub fn field(path: impl Into<String>) -> Field {
    Field(path.into())
}

impl Field {
    /// Any operator.
    pub fn compare(&self, op: Op, value: impl Into<Scalar>) -> Filter {
        Filter(Node::Cmp(self.0.clone(), op, value.into()))
    }
    /// Equal as JSON (numbers numerically); `eq(Scalar::Null)` also holds when missing.
    pub fn eq(&self, value: impl Into<Scalar>) -> Filter {
        self.compare(Op::Eq, value)
    }
    /// Exactly `!eq(value)`.
    pub fn ne(&self, value: impl Into<Scalar>) -> Filter {
        self.compare(Op::Ne, value)
    }
    /// Both numbers, or both strings (code-point order), and less.
    pub fn lt(&self, value: impl Into<Scalar>) -> Filter {
        self.compare(Op::Lt, value)
    }
    pub fn lte(&self, value: impl Into<Scalar>) -> Filter {
        self.compare(Op::Le, value)
    }
    pub fn gt(&self, value: impl Into<Scalar>) -> Filter {
        self.compare(Op::Gt, value)
    }
    pub fn gte(&self, value: impl Into<Scalar>) -> Filter {
        self.compare(Op::Ge, value)
    }
    /// A string containing `value` (case matters).
    pub fn contains(&self, value: impl Into<String>) -> Filter {
        self.compare(Op::Contains, value.into())
    }
    /// Exactly `!contains(value)`.
    pub fn not_contains(&self, value: impl Into<String>) -> Filter {
        self.compare(Op::NotContains, value.into())
    }
    /// An array with an element equal to `value`.
    pub fn has(&self, value: impl Into<Scalar>) -> Filter {
        self.compare(Op::Has, value)
    }
}

/// One sort key: a path, ascending unless `descending`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub path: String,
    pub descending: bool,
}

impl SortKey {
    pub fn asc(path: impl Into<String>) -> SortKey {
        SortKey {
            path: path.into(),
            descending: false,
        }
    }
    pub fn desc(path: impl Into<String>) -> SortKey {
        SortKey {
            path: path.into(),
            descending: true,
        }
    }
}

/// The query of an item list: filter, sort (up to 3 keys, each a server-owned member
/// or an indexed path; `id` breaks ties last) and fields (top-level members to keep).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemQuery {
    pub filter: Option<Filter>,
    pub sort: Vec<SortKey>,
    pub fields: Vec<String>,
}

impl ItemQuery {
    pub fn new() -> ItemQuery {
        ItemQuery::default()
    }
    pub fn filter(mut self, filter: Filter) -> ItemQuery {
        self.filter = Some(filter);
        self
    }
    /// Adds a sort key after those already given.
    pub fn sort(mut self, key: SortKey) -> ItemQuery {
        self.sort.push(key);
        self
    }
    pub fn fields<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> ItemQuery {
        self.fields = fields.into_iter().map(Into::into).collect();
        self
    }

    /// The `(name, value)` query parameters, checked, in the order sent.
    pub fn params(&self) -> Result<Vec<(&'static str, String)>, ClientError> {
        let mut out = Vec::new();
        if let Some(filter) = &self.filter {
            out.push(("filter", filter.render()?));
        }
        if !self.sort.is_empty() {
            out.push(("sort", sort_param(&self.sort)?));
        }
        if !self.fields.is_empty() {
            out.push(("fields", fields_param(&self.fields)?));
        }
        Ok(out)
    }
}

/// The `sort=` text.
pub fn sort_param(keys: &[SortKey]) -> Result<String, ClientError> {
    if keys.is_empty() || keys.len() > MAX_SORT_KEYS {
        return Err(invalid(format!("a sort has 1 to {MAX_SORT_KEYS} keys")));
    }
    let rendered: Result<Vec<String>, ClientError> = keys
        .iter()
        .map(|k| {
            Ok(format!(
                "{}{}",
                if k.descending { "-" } else { "" },
                check_path(&k.path)?
            ))
        })
        .collect();
    Ok(rendered?.join(","))
}

/// The `fields=` text: 1 to 64 names, none empty, none with a comma, none twice.
pub fn fields_param<S: AsRef<str>>(fields: &[S]) -> Result<String, ClientError> {
    if fields.is_empty() || fields.len() > MAX_FIELDS {
        return Err(invalid(format!("fields names 1 to {MAX_FIELDS} members")));
    }
    for (n, name) in fields.iter().enumerate() {
        let name = name.as_ref();
        if name.is_empty() || name.contains(',') {
            return Err(invalid(format!("{name:?} can't be named in fields")));
        }
        if fields[..n].iter().any(|f| f.as_ref() == name) {
            return Err(invalid(format!("fields names {name:?} twice")));
        }
    }
    Ok(fields
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(","))
}

#[cfg(test)]
mod tests {
    use super::{Scalar, SortKey, all, any, field, fields_param, sort_param};

    #[test]
    fn each_operator_renders_as_the_grammar_writes_it() {
        let f = field("a.b_2");
        let r = |f: super::Filter| f.render().unwrap();
        assert_eq!(r(f.eq("x")), r#"a.b_2 = "x""#);
        assert_eq!(r(f.ne(Scalar::Null)), "a.b_2 != null");
        assert_eq!(r(f.lt(1.5)), "a.b_2 < 1.5");
        assert_eq!(r(f.lte(-2)), "a.b_2 <= -2");
        assert_eq!(r(f.gt("m")), r#"a.b_2 > "m""#);
        assert_eq!(r(f.gte(1e21)), "a.b_2 >= 1e+21");
        assert_eq!(r(f.contains("ab")), r#"a.b_2 ~ "ab""#);
        assert_eq!(r(f.not_contains("ab")), r#"a.b_2 !~ "ab""#);
        assert_eq!(r(f.has(true)), "a.b_2 ?= true");
        assert_eq!(r(f.eq(None::<i64>)), "a.b_2 = null");
    }

    #[test]
    fn strings_are_escaped_as_json() {
        let r = |s: &str| field("t").eq(s).render().unwrap();
        assert_eq!(r("say \"hi\" \\ now"), r#"t = "say \"hi\" \\ now""#);
        assert_eq!(r("line\nbreak\u{1}"), r#"t = "line\nbreak\u0001""#);
        assert_eq!(r("crème 🍰"), "t = \"crème 🍰\"");
    }

    #[test]
    fn and_or_not_nest_with_the_fewest_parentheses_that_keep_the_meaning() {
        let (a, b, c) = (field("a").eq(1), field("b").eq(2), field("c").eq(3));
        let r = |f: super::Filter| f.render().unwrap();
        assert_eq!(
            r(a.clone() & (b.clone() | c.clone())),
            "a = 1 && (b = 2 || c = 3)"
        );
        assert_eq!(
            r(a.clone() & b.clone() | c.clone()),
            "a = 1 && b = 2 || c = 3"
        );
        assert_eq!(
            r(all([a.clone(), b.clone(), c]).unwrap()),
            "a = 1 && b = 2 && c = 3"
        );
        assert_eq!(r(!a.clone()), "!a = 1");
        assert_eq!(r(!(a.clone() & b.clone())), "!(a = 1 && b = 2)");
        assert_eq!(r(!!(a.clone() | b)), "!!(a = 1 || b = 2)");
        assert_eq!(all([a.clone()]), Some(a));
        assert_eq!(any([]), None);
    }

    #[test]
    fn what_the_server_would_refuse_is_refused_here() {
        for bad in ["", "1a", "a..b", "a.", "a-b", "a b", "a\""] {
            assert!(field(bad).eq(1).render().is_err(), "{bad:?}");
        }
        assert!(field("n").eq(f64::NAN).render().is_err());
        assert!(field("n").eq(f64::INFINITY).render().is_err());
        let many = |n: i64| any((0..n).map(|i| field("n").eq(i))).unwrap();
        assert!(many(32).render().is_ok());
        let err = many(33).render().unwrap_err().to_string();
        assert!(err.contains("at most 32 comparisons"), "{err}");
        let mut deep = field("n").eq(1);
        for _ in 0..17 {
            deep = !deep;
        }
        assert!(deep.render().unwrap_err().to_string().contains("16 levels"));
        let long = field("s").eq("x".repeat(5000)).render().unwrap_err();
        assert!(long.to_string().contains("4096 bytes"));
    }

    #[test]
    fn sort_and_fields_render_and_check_their_lists() {
        let keys = [
            SortKey::desc("priority"),
            SortKey::asc("title"),
            SortKey::desc("created_at"),
        ];
        assert_eq!(sort_param(&keys).unwrap(), "-priority,title,-created_at");
        assert!(sort_param(&[]).is_err());
        assert!(sort_param(&[SortKey::asc("a-b")]).is_err());
        let four = [keys.as_slice(), &[SortKey::asc("id")]].concat();
        assert!(sort_param(&four).is_err());
        assert_eq!(fields_param(&["title", "done"]).unwrap(), "title,done");
        assert!(fields_param(&["a", "a"]).is_err());
        assert!(fields_param(&["a,b"]).is_err());
        assert!(fields_param::<&str>(&[]).is_err());
    }
}
