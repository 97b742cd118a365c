//! The deployment's source policy settings: which hosts, networks and folders a site admin's data sources may point
//! at. Set by the operator (`source_allow`, `source_deny`, `source_sqlite_dirs`); enforced at every connect by
//! `extract::source_policy`.

use std::path::PathBuf;

use ipnet::IpNet;

use crate::hosts::HostPatterns;

/// Hosts allowed by default: any (the deny list still applies).
pub const DEFAULT_SOURCE_ALLOW: [&str; 1] = ["*"];
/// Refused by default: loopback and unspecified addresses, link-local addresses (cloud metadata services), and the
/// server holding Clearance's own database.
pub const DEFAULT_SOURCE_DENY: [&str; 3] = ["loopback", "link-local", "own-database-server"];

/// One entry of `source_allow`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowRule {
    /// `*`: any host.
    Any,
    /// A network (`10.20.0.0/16`) or one address (`10.20.0.7`): the host's resolved address must be in it.
    Net(IpNet),
    /// A host name (`wh.example.com`) or `*.domain` (one DNS label): the name as written in the URL.
    Host(HostPatterns),
}

/// One entry of `source_deny`; deny wins over allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DenyRule {
    /// `loopback`: 127.0.0.0/8, ::1, and the unspecified addresses 0.0.0.0/8 and :: (which reach this host).
    Loopback,
    /// `link-local`: 169.254.0.0/16 and fe80::/10, where cloud metadata services answer, and AWS's IPv6 metadata
    /// address fd00:ec2::254.
    LinkLocal,
    /// `own-database-server`: the host and port of Clearance's own database (any database on that server).
    OwnDatabaseServer,
    /// A network or address.
    Net(IpNet),
}

impl DenyRule {
    /// The networks a keyword stands for (none for `own-database-server`, which is resolved when used).
    pub fn nets(&self) -> Vec<IpNet> {
        let parse = |s: &[&str]| s.iter().filter_map(|n| n.parse().ok()).collect();
        match self {
            Self::Loopback => parse(&["127.0.0.0/8", "::1/128", "0.0.0.0/8", "::/128"]),
            Self::LinkLocal => parse(&["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128"]),
            Self::OwnDatabaseServer => Vec::new(),
            Self::Net(n) => vec![*n],
        }
    }
}

/// The validated source policy settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePolicySettings {
    /// A source's host must match one of these.
    pub allow: Vec<AllowRule>,
    /// And none of these.
    pub deny: Vec<DenyRule>,
    /// Folders SQLite sources may be in (absolute); empty: SQLite sources are refused.
    pub sqlite_dirs: Vec<PathBuf>,
}

impl Default for SourcePolicySettings {
    /// [`DEFAULT_SOURCE_ALLOW`] and [`DEFAULT_SOURCE_DENY`], no SQLite folder.
    fn default() -> Self {
        Self {
            allow: vec![AllowRule::Any],
            deny: vec![
                DenyRule::Loopback,
                DenyRule::LinkLocal,
                DenyRule::OwnDatabaseServer,
            ],
            sqlite_dirs: Vec::new(),
        }
    }
}

impl SourcePolicySettings {
    /// Validate the three settings; every problem names its setting.
    pub fn parse(allow: &[String], deny: &[String], dirs: &[String]) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let allow = allow
            .iter()
            .filter_map(|a| {
                parse_allow(a.trim())
                    .map_err(|e| {
                        problems.push(format!("CLEARANCE_SOURCE_ALLOW (source_allow): {e}"))
                    })
                    .ok()
            })
            .collect();
        let deny = deny
            .iter()
            .filter_map(|d| {
                parse_deny(d.trim())
                    .map_err(|e| problems.push(format!("CLEARANCE_SOURCE_DENY (source_deny): {e}")))
                    .ok()
            })
            .collect();
        let sqlite_dirs = dirs
            .iter()
            .filter_map(|d| {
                parse_dir(d.trim())
                    .map_err(|e| {
                        problems.push(format!(
                            "CLEARANCE_SOURCE_SQLITE_DIRS (source_sqlite_dirs): {e}"
                        ))
                    })
                    .ok()
            })
            .collect();
        if problems.is_empty() {
            Ok(Self {
                allow,
                deny,
                sqlite_dirs,
            })
        } else {
            Err(problems)
        }
    }
}

fn parse_allow(item: &str) -> Result<AllowRule, String> {
    if item == "*" {
        return Ok(AllowRule::Any);
    }
    if let Some(net) = parse_net(item) {
        return Ok(AllowRule::Net(net));
    }
    HostPatterns::parse(&[item.to_owned()])
        .map(AllowRule::Host)
        .map_err(|_| {
            format!(
                "{item:?} is not a source host rule; use * (any host), a network (10.0.0.0/8), an address, a host \
                 name (wh.example.com) or *.domain"
            )
        })
}

fn parse_deny(item: &str) -> Result<DenyRule, String> {
    match item {
        "loopback" => Ok(DenyRule::Loopback),
        "link-local" => Ok(DenyRule::LinkLocal),
        "own-database-server" => Ok(DenyRule::OwnDatabaseServer),
        _ => parse_net(item).map(DenyRule::Net).ok_or_else(|| {
            format!(
                "{item:?} is not a deny rule; use loopback, link-local, own-database-server, a network \
                 (10.0.0.0/8) or an address"
            )
        }),
    }
}

fn parse_net(item: &str) -> Option<IpNet> {
    item.parse::<IpNet>()
        .ok()
        .or_else(|| item.parse::<std::net::IpAddr>().ok().map(IpNet::from))
        .map(|n| n.trunc())
}

fn parse_dir(item: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(item);
    if !path.is_absolute() {
        return Err(format!("{item:?} is not an absolute path"));
    }
    path.canonicalize()
        .ok()
        .filter(|p| p.is_dir())
        .ok_or_else(|| format!("{item:?} is not a folder Clearance can read"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_documented_defaults_are_the_default() {
        let parsed = SourcePolicySettings::parse(
            &strings(&DEFAULT_SOURCE_ALLOW),
            &strings(&DEFAULT_SOURCE_DENY),
            &[],
        )
        .unwrap();
        assert_eq!(parsed, SourcePolicySettings::default());
    }

    #[test]
    fn rules_parse_and_bad_ones_name_their_setting() {
        let ok = SourcePolicySettings::parse(
            &strings(&[
                "10.0.0.0/8",
                "10.1.2.3",
                "*.wh.example.com",
                "db.example.com",
            ]),
            &strings(&["loopback", "192.168.0.0/16"]),
            &strings(&["/tmp"]),
        )
        .unwrap();
        assert_eq!(ok.allow.len(), 4);
        assert_eq!(ok.deny.len(), 2);
        let bad = SourcePolicySettings::parse(
            &strings(&["10.0.0.0/33", "http://x"]),
            &strings(&["everything"]),
            &strings(&["relative/dir", "/no/such/folder/here"]),
        )
        .unwrap_err();
        assert_eq!(bad.len(), 5, "{bad:?}");
        assert!(bad[0].starts_with("CLEARANCE_SOURCE_ALLOW"));
        assert!(bad[2].starts_with("CLEARANCE_SOURCE_DENY"));
        assert!(bad[4].starts_with("CLEARANCE_SOURCE_SQLITE_DIRS"));
    }
}
