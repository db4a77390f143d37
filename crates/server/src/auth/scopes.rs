//! Scopes: `admin`, `project:{name}:read`, `project:{name}:write` (write implies read).

use depot_api::names::is_valid_name;
use depot_store::ProjectFilter;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Admin,
    Read(String),
    Write(String),
}

impl Scope {
    pub fn parse(text: &str) -> Option<Scope> {
        if text == "admin" {
            return Some(Scope::Admin);
        }
        let rest = text.strip_prefix("project:")?;
        let (name, access) = rest.rsplit_once(':')?;
        if !is_valid_name(name) {
            return None;
        }
        match access {
            "read" => Some(Scope::Read(name.to_owned())),
            "write" => Some(Scope::Write(name.to_owned())),
            _ => None,
        }
    }

    /// Whether holding `self` is enough for `wanted`.
    pub fn grants(&self, wanted: &Scope) -> bool {
        match (self, wanted) {
            (Scope::Admin, _) => true,
            (Scope::Write(a), Scope::Write(b) | Scope::Read(b)) => a == b,
            (Scope::Read(a), Scope::Read(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Admin => f.write_str("admin"),
            Scope::Read(p) => write!(f, "project:{p}:read"),
            Scope::Write(p) => write!(f, "project:{p}:write"),
        }
    }
}

/// The scopes a token carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// Parses scope strings; the first invalid one is returned as the error.
    pub fn parse<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<Scopes, String> {
        let mut out = Vec::new();
        for t in texts {
            let scope = Scope::parse(t).ok_or_else(|| t.to_owned())?;
            if !out.contains(&scope) {
                out.push(scope);
            }
        }
        Ok(Scopes(out))
    }

    pub fn grants(&self, wanted: &Scope) -> bool {
        self.0.iter().any(|s| s.grants(wanted))
    }

    pub fn grants_all(&self, wanted: &Scopes) -> bool {
        wanted.0.iter().all(|w| self.grants(w))
    }

    pub fn is_admin(&self) -> bool {
        self.grants(&Scope::Admin)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The projects these scopes can see at all.
    pub fn project_filter(&self) -> ProjectFilter {
        if self.is_admin() {
            return ProjectFilter::All;
        }
        let mut names: Vec<String> = self
            .0
            .iter()
            .filter_map(|s| match s {
                Scope::Read(p) | Scope::Write(p) => Some(p.clone()),
                Scope::Admin => None,
            })
            .collect();
        names.sort();
        names.dedup();
        ProjectFilter::Only(names)
    }

    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(Scope::to_string).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_implies_read_and_admin_implies_everything() {
        let s = Scopes::parse(["project:a:write"]).unwrap();
        assert!(s.grants(&Scope::Read("a".into())));
        assert!(!s.grants(&Scope::Read("b".into())));
        assert!(!s.grants(&Scope::Admin));
        let r = Scopes::parse(["project:a:read"]).unwrap();
        assert!(!r.grants(&Scope::Write("a".into())));
        assert!(
            Scopes::parse(["admin"])
                .unwrap()
                .grants(&Scope::Write("z".into()))
        );
    }

    #[test]
    fn malformed_scopes_are_refused() {
        for bad in [
            "",
            "root",
            "project:A:read",
            "project:a:delete",
            "project::read",
            "project:a",
        ] {
            assert!(Scopes::parse([bad]).is_err(), "{bad}");
        }
    }
}
