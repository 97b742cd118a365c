//! What an app must be granted to call a Jira REST operation, as Atlassian's OpenAPI document of the Jira platform
//! API states it per operation: `x-atlassian-connect-scope` (one Connect scope) and `x-atlassian-oauth2-scopes` (the
//! OAuth 2.0 scopes of Forge and 3LO apps: a list of alternatives, each a set of scopes that suffices on its own —
//! the classic scope first, then the granular ones). The table itself is [`crate::operations::OPERATIONS`].

use std::{collections::BTreeSet, fmt};

/// The HTTP methods the table uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
}

impl HttpMethod {
    /// The method's name, upper case.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }

    /// The method named `name` (case-insensitive), if the table uses it.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Get, Self::Post, Self::Put, Self::Delete]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name))
    }

    /// The same method as an `http` (and so reqwest) method.
    pub fn to_reqwest(self) -> http::Method {
        match self {
            Self::Get => http::Method::GET,
            Self::Post => http::Method::POST,
            Self::Put => http::Method::PUT,
            Self::Delete => http::Method::DELETE,
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Connect scope, as a descriptor's `scopes` names it. Atlassian's "Scopes for Connect apps": `ADMIN` implies
/// `PROJECT_ADMIN`, which implies `DELETE`, which implies `WRITE`, which implies `READ`; `ACT_AS_USER` and
/// `ACCESS_EMAIL_ADDRESSES` imply nothing and are implied by nothing (connect-protocol.md §1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConnectScope {
    /// View, browse and read information from Jira.
    Read,
    /// Create or edit content, not delete it.
    Write,
    /// Delete content.
    Delete,
    /// Administer a project.
    ProjectAdmin,
    /// Administer the site.
    Admin,
    /// Act as a user (OAuth 2.0 JWT bearer).
    ActAsUser,
    /// Read people's e-mail addresses (`/user/email`), for apps Atlassian approved.
    AccessEmailAddresses,
    /// `INACCESSIBLE`: no Connect app may call the operation, whatever it declares.
    Inaccessible,
}

impl ConnectScope {
    /// Every scope, in the order of the table above.
    pub const ALL: [Self; 8] = [
        Self::Read,
        Self::Write,
        Self::Delete,
        Self::ProjectAdmin,
        Self::Admin,
        Self::ActAsUser,
        Self::AccessEmailAddresses,
        Self::Inaccessible,
    ];

    /// The name a descriptor and the OpenAPI document use.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "READ",
            Self::Write => "WRITE",
            Self::Delete => "DELETE",
            Self::ProjectAdmin => "PROJECT_ADMIN",
            Self::Admin => "ADMIN",
            Self::ActAsUser => "ACT_AS_USER",
            Self::AccessEmailAddresses => "ACCESS_EMAIL_ADDRESSES",
            Self::Inaccessible => "INACCESSIBLE",
        }
    }

    /// The scope named `name`; Connect accepts all lower or all upper case.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == name || s.as_str().to_ascii_lowercase() == name)
    }

    /// Rank in the `READ < WRITE < DELETE < PROJECT_ADMIN < ADMIN` chain; `None` off the chain.
    const fn rank(self) -> Option<u8> {
        match self {
            Self::Read => Some(1),
            Self::Write => Some(2),
            Self::Delete => Some(3),
            Self::ProjectAdmin => Some(4),
            Self::Admin => Some(5),
            Self::ActAsUser | Self::AccessEmailAddresses | Self::Inaccessible => None,
        }
    }

    /// Whether declaring `self` grants `needed`. Nothing grants `INACCESSIBLE`.
    pub fn implies(self, needed: Self) -> bool {
        if needed == Self::Inaccessible {
            return false;
        }
        match (self.rank(), needed.rank()) {
            (Some(have), Some(need)) => have >= need,
            _ => self == needed,
        }
    }

    /// Whether any of `declared` grants `needed`.
    pub fn granted(declared: &BTreeSet<Self>, needed: Self) -> bool {
        declared.iter().any(|d| d.implies(needed))
    }

    /// The smallest declaration granting every scope in `needed`: the highest one of the chain, plus the others.
    pub fn minimal(needed: impl IntoIterator<Item = Self>) -> BTreeSet<Self> {
        let needed: BTreeSet<Self> = needed.into_iter().collect();
        needed
            .iter()
            .copied()
            .filter(|n| !needed.iter().any(|other| other != n && other.implies(*n)))
            .collect()
    }
}

impl fmt::Display for ConnectScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One REST operation of the Jira platform API and the scopes it needs.
#[derive(Debug, PartialEq, Eq)]
pub struct Operation {
    /// The document's `operationId`.
    pub id: &'static str,
    /// HTTP method.
    pub method: HttpMethod,
    /// Path template as the document writes it (`/rest/api/3/issue/{issueIdOrKey}`).
    pub path: &'static str,
    /// `x-atlassian-connect-scope`.
    pub connect: ConnectScope,
    /// `x-atlassian-oauth2-scopes`, in the document's order: each entry one alternative, its scopes separated by
    /// spaces (OAuth's own scope-string form); an empty entry means no scope is needed.
    pub oauth: &'static [&'static str],
}

impl Operation {
    /// The OAuth alternatives as sets of scope names.
    pub fn oauth_alternatives(&self) -> impl Iterator<Item = BTreeSet<&'static str>> + '_ {
        self.oauth
            .iter()
            .map(|alt| alt.split_whitespace().collect())
    }

    /// Whether an OAuth/Forge app granted `scopes` may call the operation: it holds every scope of one alternative.
    pub fn oauth_granted<S: AsRef<str>>(&self, scopes: &[S]) -> bool {
        self.oauth_alternatives().any(|alt| {
            alt.iter()
                .all(|needed| scopes.iter().any(|s| s.as_ref() == *needed))
        })
    }

    /// Whether a Connect app that declared `scopes` may call the operation.
    pub fn connect_granted(&self, scopes: &BTreeSet<ConnectScope>) -> bool {
        ConnectScope::granted(scopes, self.connect)
    }

    /// Whether `path` (no query, `/rest/…`) is an instance of the template; the number of literal segments it
    /// matched, to prefer `/attachment/meta` over `/attachment/{id}`.
    pub fn matches(&self, method: HttpMethod, path: &str) -> Option<usize> {
        if method != self.method {
            return None;
        }
        let mut literal = 0;
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return Some(literal),
                (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {}
                (Some(w), Some(g)) if w == g => literal += 1,
                _ => return None,
            }
        }
    }

    /// What Jira needs for this operation, for messages: `READ` (Connect) and the OAuth alternatives.
    pub fn needs(&self) -> String {
        let alternatives: Vec<String> = self
            .oauth
            .iter()
            .map(|a| format!("[{}]", a.split_whitespace().collect::<Vec<_>>().join(", ")))
            .collect();
        format!(
            "Connect scope {}; OAuth/Forge scopes, one of {}",
            self.connect,
            alternatives.join(" or ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_implies_downwards_only() {
        use ConnectScope::*;
        assert!(Admin.implies(Read) && Delete.implies(Write) && Write.implies(Read));
        assert!(!Read.implies(Write) && !Write.implies(Delete));
        assert!(!Admin.implies(AccessEmailAddresses) && !AccessEmailAddresses.implies(Read));
        assert!(AccessEmailAddresses.implies(AccessEmailAddresses));
        assert!(!Admin.implies(Inaccessible) && !Inaccessible.implies(Inaccessible));
        assert_eq!(
            ConnectScope::minimal([Read, Write, Delete, AccessEmailAddresses]),
            BTreeSet::from([Delete, AccessEmailAddresses])
        );
        assert_eq!(ConnectScope::parse("read"), Some(Read));
        assert_eq!(ConnectScope::parse("Read"), None);
    }

    #[test]
    fn templates_match_segments_and_prefer_literals() {
        let op = |path| Operation {
            id: "x",
            method: HttpMethod::Get,
            path,
            connect: ConnectScope::Read,
            oauth: &[""],
        };
        let meta = op("/rest/api/3/attachment/meta");
        let by_id = op("/rest/api/3/attachment/{id}");
        assert_eq!(
            meta.matches(HttpMethod::Get, "/rest/api/3/attachment/meta"),
            Some(6)
        );
        assert_eq!(
            by_id.matches(HttpMethod::Get, "/rest/api/3/attachment/meta"),
            Some(5)
        );
        assert_eq!(
            by_id.matches(HttpMethod::Get, "/rest/api/3/attachment/"),
            None
        );
        assert_eq!(
            by_id.matches(HttpMethod::Get, "/rest/api/3/attachment/1/x"),
            None
        );
        assert_eq!(
            by_id.matches(HttpMethod::Delete, "/rest/api/3/attachment/1"),
            None
        );
    }

    #[test]
    fn one_whole_alternative_grants_an_operation() {
        let op = Operation {
            id: "x",
            method: HttpMethod::Get,
            path: "/x",
            connect: ConnectScope::Read,
            oauth: &["read:jira-user", "read:user:jira read:group:jira"],
        };
        assert!(op.oauth_granted(&["read:jira-user"]));
        assert!(op.oauth_granted(&["read:group:jira", "read:user:jira"]));
        assert!(!op.oauth_granted(&["read:user:jira", "read:jira-work"]));
        let free = Operation {
            oauth: &["", "read:permission:jira"],
            ..op
        };
        assert!(free.oauth_granted::<&str>(&[]));
    }
}
