//! Tests of the sandbox (jql): the simulator's JQL subset through its public API, with the exact queries Clearance
//! sends to `/rest/api/3/search/jql`.

use chrono::{DateTime, NaiveDateTime, Utc};
use clearance_sandbox::jira::jql::{Field, JqlError, Searchable, UNBOUNDED_QUERY, parse};

#[derive(Clone, Debug)]
struct Issue {
    key: &'static str,
    labels: Vec<String>,
    updated: DateTime<Utc>,
    created: DateTime<Utc>,
    id: u64,
}

impl Searchable for Issue {
    fn key(&self) -> &str {
        self.key
    }
    fn project_key(&self) -> &str {
        self.key
            .split_once('-')
            .map_or(self.key, |(project, _)| project)
    }
    fn labels(&self) -> &[String] {
        &self.labels
    }
    fn status(&self) -> &str {
        "Open"
    }
    fn reporter(&self) -> Option<&str> {
        Some("557058:f58131cb-b67d-43c7-b30d-6b58d40bd077")
    }
    fn issue_type(&self) -> &str {
        "Task"
    }
    fn created(&self) -> DateTime<Utc> {
        self.created
    }
    fn updated(&self) -> DateTime<Utc> {
        self.updated
    }
    fn id(&self) -> u64 {
        self.id
    }
}

fn at(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc()
}

fn now() -> DateTime<Utc> {
    at("2026-11-22 12:00")
}

/// Issues created in id order, one a day from 2026-10-01.
fn site() -> Vec<Issue> {
    let rows: [(&str, &[&str], &str); 7] = [
        ("DATA-1", &["data-request"], "2026-11-20 09:00"),
        ("DATA-2", &["data-request", "urgent"], "2026-10-15 09:00"),
        ("DATA-12", &["data-request"], "2026-11-22 11:50"),
        ("DATA-13", &["Data-Request"], "2026-11-22 11:55"),
        ("OPS-3", &["data-request"], "2026-11-01 00:00"),
        ("OPS-4", &[], "2026-11-22 11:59"),
        ("HR-5", &["data-request"], "2026-11-22 11:58"),
    ];
    let day0 = at("2026-10-01 00:00");
    rows.iter()
        .enumerate()
        .map(|(n, (key, labels, updated))| Issue {
            key,
            labels: labels.iter().map(|l| l.to_string()).collect(),
            updated: at(updated),
            created: day0 + chrono::TimeDelta::days(n as i64),
            id: 10_001 + n as u64,
        })
        .collect()
}

fn search(jql: &str) -> Vec<&'static str> {
    let query = parse(jql).unwrap_or_else(|e| panic!("{jql}: {e}"));
    assert!(query.is_bounded(), "{jql}");
    let mut hits: Vec<Issue> = site()
        .into_iter()
        .filter(|i| query.matches(i, now()))
        .collect();
    query.sort(&mut hits);
    hits.iter().map(|i| i.key).collect()
}

#[test]
fn clearance_poll_query() {
    let jql = r#"labels = "data-request" AND updated >= "2026-11-01 00:00" ORDER BY updated ASC"#;
    assert_eq!(search(jql), ["OPS-3", "DATA-1", "DATA-12", "HR-5"]);
}

#[test]
fn clearance_project_query() {
    // Default order: created DESC.
    assert_eq!(
        search("project in (DATA, OPS) AND labels = data-request"),
        ["OPS-3", "DATA-12", "DATA-2", "DATA-1"]
    );
}

#[test]
fn clearance_key_query() {
    assert_eq!(
        search("key in (DATA-1, DATA-12, OPS-3)"),
        ["OPS-3", "DATA-12", "DATA-1"]
    );
    assert_eq!(
        search("key in (DATA-1, DATA-12, OPS-3) ORDER BY key ASC"),
        ["DATA-1", "DATA-12", "OPS-3"]
    );
}

#[test]
fn clearance_recent_query() {
    assert_eq!(
        search(r#"labels = "data-request" AND updated >= -15m ORDER BY updated DESC"#),
        ["HR-5", "DATA-12"]
    );
}

#[test]
fn refusals_carry_jira_messages() {
    let query = parse("ORDER BY updated ASC").unwrap();
    assert!(!query.is_bounded());
    assert_eq!(JqlError::unbounded().messages(), [UNBOUNDED_QUERY]);
    assert_eq!(
        parse("project in (DATA, OPS").unwrap_err().messages(),
        [
            "Error in the JQL Query: Expecting ')' but got the end of the query. (line 1, character 22)"
        ]
    );
    assert_eq!(
        parse("labels > x AND foo = 1").unwrap_err().messages(),
        [
            "The operator '>' is not supported by the 'labels' field.",
            "Field 'foo' does not exist or you do not have permission to view it.",
        ]
    );
    let query = parse("project = DATA AND key = DATA-99").unwrap();
    let err = query
        .check_values(|field, value| field != Field::Key || value != "DATA-99")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "An issue with key 'DATA-99' does not exist for field 'key'."
    );
}
