//! Host name patterns (the hosts Jira sites may live on, the hosts data sources may point at), and which URLs count
//! as loopback.

use std::fmt;

use url::Url;

/// Whether a URL's host is a loopback address or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Allowed Jira host patterns: exact host names, or `*.` followed by a domain where `*` is one DNS label.
#[derive(Clone, PartialEq, Eq)]
pub struct HostPatterns(Vec<String>);

impl HostPatterns {
    /// Validate and normalise (lower-case) a list of patterns.
    pub fn parse(items: &[String]) -> Result<Self, String> {
        if items.is_empty() {
            return Err(
                "no host patterns given; the default is *.atlassian.net,*.jira.com,*.jira-dev.com"
                    .into(),
            );
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let p = item.trim().to_ascii_lowercase();
            let rest = p.strip_prefix("*.").unwrap_or(&p);
            let ok = !rest.is_empty()
                && !rest.contains('*')
                && rest.split('.').all(|l| {
                    !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if !ok {
                return Err(format!(
                    "{item:?} is not a host pattern; use a host name (jira.example.com, 127.0.0.1) or *.domain (*.atlassian.net)"
                ));
            }
            out.push(p);
        }
        Ok(Self(out))
    }

    /// Whether `host` (a bare host name, no port) matches one of the patterns.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.0.iter().any(|p| match p.strip_prefix("*.") {
            Some(domain) => host
                .strip_suffix(domain)
                .and_then(|label| label.strip_suffix('.'))
                .is_some_and(|label| !label.is_empty() && !label.contains('.')),
            None => host == *p,
        })
    }
}

impl fmt::Debug for HostPatterns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const DEFAULT_JIRA_HOSTS: [&str; 3] = ["*.atlassian.net", "*.jira.com", "*.jira-dev.com"];

    fn pats(items: &[&str]) -> HostPatterns {
        HostPatterns::parse(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn host_patterns_match_one_label() {
        let p = pats(&DEFAULT_JIRA_HOSTS);
        assert!(p.matches("acme.atlassian.net"));
        assert!(p.matches("ACME.Atlassian.NET"));
        assert!(!p.matches("atlassian.net"));
        assert!(!p.matches("a.b.atlassian.net"));
        assert!(!p.matches("evilatlassian.net"));
        assert!(!p.matches("acme.atlassian.net.evil.com"));
        assert!(!p.matches("169.254.169.254"));
        assert!(pats(&["127.0.0.1"]).matches("127.0.0.1"));
    }

    #[test]
    fn host_pattern_syntax_is_checked() {
        for bad in ["", "*", "**.x.com", "a.*.com", "http://x.com", "x..com"] {
            assert!(
                HostPatterns::parse(&[bad.to_string()]).is_err(),
                "{bad} accepted"
            );
        }
    }
}
