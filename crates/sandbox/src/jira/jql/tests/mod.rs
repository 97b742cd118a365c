//! Unit tests of the JQL subset: values, operators, precedence, dates, ordering, errors, hostile input.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use super::{Field, JqlError, Searchable, UNBOUNDED_QUERY, parse};

#[derive(Clone, Debug)]
struct Issue {
    key: String,
    project: String,
    labels: Vec<String>,
    status: String,
    reporter: Option<String>,
    issue_type: String,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    id: u64,
}

impl Searchable for Issue {
    fn key(&self) -> &str {
        &self.key
    }
    fn project_key(&self) -> &str {
        &self.project
    }
    fn labels(&self) -> &[String] {
        &self.labels
    }
    fn status(&self) -> &str {
        &self.status
    }
    fn reporter(&self) -> Option<&str> {
        self.reporter.as_deref()
    }
    fn issue_type(&self) -> &str {
        &self.issue_type
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
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .unwrap()
        .and_utc()
}

/// Every test's "now": Sunday 2026-11-22 12:00 UTC.
fn now() -> DateTime<Utc> {
    at("2026-11-22 12:00:00")
}

/// An issue `key` with `labels`, status Open, a Task reported by `acc-1`, created and updated at `now`.
fn issue(key: &str, labels: &[&str]) -> Issue {
    let (project, number) = key.split_once('-').unwrap();
    Issue {
        key: key.to_owned(),
        project: project.to_owned(),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        status: "Open".to_owned(),
        reporter: Some("acc-1".to_owned()),
        issue_type: "Task".to_owned(),
        created: now(),
        updated: now(),
        id: 10_000 + number.parse::<u64>().unwrap(),
    }
}

fn updated(key: &str, when: &str) -> Issue {
    Issue {
        updated: at(when),
        ..issue(key, &["data-request"])
    }
}

fn matches(jql: &str, issue: &Issue) -> bool {
    parse(jql)
        .unwrap_or_else(|e| panic!("{jql}: {e}"))
        .matches(issue, now())
}

/// The keys of `issues` that match `jql`, in the query's order.
fn search(jql: &str, issues: &[Issue]) -> Vec<String> {
    let query = parse(jql).unwrap_or_else(|e| panic!("{jql}: {e}"));
    let mut hits: Vec<Issue> = issues
        .iter()
        .filter(|i| query.matches(*i, now()))
        .cloned()
        .collect();
    query.sort(&mut hits);
    hits.into_iter().map(|i| i.key).collect()
}

fn error(jql: &str) -> String {
    match parse(jql) {
        Ok(query) => panic!("{jql} parsed: {query:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn value_forms() {
    let i = issue(
        "ABC-1",
        &["data-request", "two words", "quote\"d", "it's", "A"],
    );
    assert!(matches("labels = data-request", &i));
    assert!(matches("labels = \"data-request\"", &i));
    assert!(matches("labels = 'data-request'", &i));
    assert!(matches("labels = \"two words\"", &i));
    assert!(matches(r#"labels = "quote\"d""#, &i));
    assert!(matches(r"labels = 'it\'s'", &i));
    assert!(matches(r#"labels = "it's""#, &i));
    assert!(matches(r"labels = \u0041", &i));
    assert!(matches(r#"labels = "\u0041""#, &i));
    assert!(matches("\"labels\" = A", &i));
    assert!(matches("LABELS = A", &i));
    assert!(!matches("labels = a", &i), "labels are case-sensitive");
    let numeric = issue("ABC-2", &["2026", "1.5", "x:y"]);
    assert!(matches(
        "labels = 2026 and labels = 1.5 and labels = x:y",
        &numeric
    ));
    let escaped = issue("ABC-3", &["a\\b", "tab\there", "new\nline", "sp ace"]);
    assert!(matches(
        r#"labels = "a\\b" and labels = "tab\there""#,
        &escaped
    ));
    assert!(matches(
        r#"labels = "new\nline" and labels = sp\ ace"#,
        &escaped
    ));
}

#[test]
fn label_operators() {
    let tagged = issue("ABC-1", &["data-request", "urgent"]);
    let other = issue("ABC-2", &["other"]);
    let bare = issue("ABC-3", &[]);
    let all = [tagged.clone(), other.clone(), bare.clone()];
    let got = |jql: &str| {
        let mut keys = search(jql, &all);
        keys.sort();
        keys
    };
    assert_eq!(got("labels = urgent"), ["ABC-1"]);
    assert_eq!(
        got("labels != urgent"),
        ["ABC-2"],
        "!= skips issues without labels"
    );
    assert_eq!(got("labels in (urgent, other)"), ["ABC-1", "ABC-2"]);
    assert_eq!(got("labels not in (urgent, nope)"), ["ABC-2"]);
    assert_eq!(got("labels is EMPTY"), ["ABC-3"]);
    assert_eq!(got("labels is not empty"), ["ABC-1", "ABC-2"]);
    assert_eq!(got("labels = EMPTY"), ["ABC-3"]);
    assert_eq!(got("labels is null"), ["ABC-3"]);
    assert_eq!(got("labels != EMPTY"), ["ABC-1", "ABC-2"]);
    assert_eq!(got("labels in (urgent, EMPTY)"), ["ABC-1", "ABC-3"]);
    assert_eq!(got("labels not in (urgent, EMPTY)"), ["ABC-2"]);
    assert_eq!(
        got("labels in other"),
        ["ABC-2"],
        "a single value after IN is a one-item list"
    );
    assert_eq!(
        got("labels = \"EMPTY\""),
        Vec::<String>::new(),
        "a quoted EMPTY is a label"
    );
}

#[test]
fn project_status_type_reporter() {
    let mut a = issue("DATA-1", &[]);
    a.status = "In Progress".into();
    let mut b = issue("OPS-2", &[]);
    b.reporter = None;
    b.issue_type = "Bug".into();
    let all = [a.clone(), b.clone()];
    let got = |jql: &str| {
        let mut keys = search(jql, &all);
        keys.sort();
        keys
    };
    assert_eq!(
        got("project = data"),
        ["DATA-1"],
        "project keys are case-insensitive"
    );
    assert_eq!(got("project != DATA"), ["OPS-2"]);
    assert_eq!(got("project in (DATA, OPS)"), ["DATA-1", "OPS-2"]);
    assert_eq!(got("project not in (data)"), ["OPS-2"]);
    assert_eq!(got("project is EMPTY"), Vec::<String>::new());
    assert_eq!(got("status = \"in progress\""), ["DATA-1"]);
    assert_eq!(got("status in (Open, 'In Progress')"), ["DATA-1", "OPS-2"]);
    assert_eq!(got("issuetype = bug"), ["OPS-2"]);
    assert_eq!(got("type != Bug"), ["DATA-1"]);
    assert_eq!(got("reporter = acc-1"), ["DATA-1"]);
    assert_eq!(
        got("reporter = ACC-1"),
        Vec::<String>::new(),
        "account ids match exactly"
    );
    assert_eq!(
        got("reporter != acc-2"),
        ["DATA-1"],
        "!= skips issues without a reporter"
    );
    assert_eq!(got("reporter is EMPTY"), ["OPS-2"]);
    assert_eq!(got("reporter is not EMPTY"), ["DATA-1"]);
}

#[test]
fn key_operators() {
    let all: Vec<Issue> = ["DATA-1", "DATA-2", "DATA-12", "OPS-3"]
        .iter()
        .map(|k| issue(k, &[]))
        .collect();
    let got = |jql: &str| {
        let mut keys = search(jql, &all);
        keys.sort();
        keys
    };
    assert_eq!(got("key = DATA-12"), ["DATA-12"]);
    assert_eq!(
        got("issuekey = data-12"),
        ["DATA-12"],
        "keys are case-insensitive"
    );
    assert_eq!(
        got("key in (DATA-1, DATA-12, OPS-3)"),
        ["DATA-1", "DATA-12", "OPS-3"]
    );
    assert_eq!(got("key not in (DATA-1, DATA-12)"), ["DATA-2", "OPS-3"]);
    assert_eq!(got("key != OPS-3"), ["DATA-1", "DATA-12", "DATA-2"]);
    assert_eq!(
        got("key > DATA-1"),
        ["DATA-12", "DATA-2"],
        "numeric, within the project"
    );
    assert_eq!(got("key >= DATA-2"), ["DATA-12", "DATA-2"]);
    assert_eq!(got("key < DATA-12"), ["DATA-1", "DATA-2"]);
    assert_eq!(got("key <= DATA-1"), ["DATA-1"]);
    assert_eq!(got("id = 10003"), ["OPS-3"], "a number is an issue id");
    assert_eq!(got("id > 10003"), ["DATA-12"], "ids compare numerically");
    assert_eq!(got("issue in (10001, DATA-2)"), ["DATA-1", "DATA-2"]);
}

#[test]
fn precedence_and_grouping() {
    let a = issue("A-1", &["a"]);
    let b = issue("A-2", &["b"]);
    let c = issue("A-3", &["c"]);
    let ab = issue("A-4", &["a", "b"]);
    let all = [a, b, c, ab];
    let got = |jql: &str| {
        let mut keys = search(jql, &all);
        keys.sort();
        keys
    };
    assert_eq!(
        got("labels = c OR labels = a AND labels = b"),
        ["A-3", "A-4"],
        "AND binds tighter than OR"
    );
    assert_eq!(got("(labels = c OR labels = a) AND labels = b"), ["A-4"]);
    assert_eq!(
        got("NOT labels = a AND labels = b"),
        ["A-2"],
        "NOT binds tighter than AND"
    );
    assert_eq!(got("NOT (labels = a OR labels = b)"), ["A-3"]);
    assert_eq!(got("NOT NOT labels = a"), ["A-1", "A-4"]);
    assert_eq!(got("labels = a && labels = b"), ["A-4"]);
    assert_eq!(got("labels = a & labels = b"), ["A-4"]);
    assert_eq!(got("labels = a || labels = c"), ["A-1", "A-3", "A-4"]);
    assert_eq!(got("labels = a | labels = c"), ["A-1", "A-3", "A-4"]);
    assert_eq!(got("!labels = a"), ["A-2", "A-3"]);
    assert_eq!(
        got("labels = a aNd NoT labels = b"),
        ["A-1"],
        "keywords are case-insensitive"
    );
    assert_eq!(got("((((labels = c))))"), ["A-3"]);
    assert_eq!(
        got("labels=a AND(labels=b)"),
        ["A-4"],
        "no spaces needed around symbols"
    );
}

#[test]
fn not_is_pushed_down_onto_the_operators() {
    let bare = issue("A-1", &[]);
    let other = issue("A-2", &["other"]);
    assert!(
        !matches("NOT labels = x", &bare),
        "NOT labels = x is labels != x, which skips EMPTY"
    );
    assert!(matches("NOT labels = x", &other));
    assert!(!matches("NOT labels in (x, y)", &bare));
    assert!(matches("NOT labels is EMPTY", &other));
    assert!(matches("NOT labels is not EMPTY", &bare));
    assert!(matches("NOT (labels = x AND project = B)", &other));
    assert!(matches("NOT (labels = other AND project = B)", &other));
    assert!(!matches("NOT (labels = other OR project = B)", &other));
}

#[test]
fn absolute_dates() {
    let i = updated("A-1", "2026-11-01 00:00:00");
    for jql in [
        "updated >= \"2026-11-01 00:00\"",
        "updated >= \"2026/11/01 00:00\"",
        "updated >= \"2026-11-01\"",
        "updated >= '2026/11/01'",
        "updated >= 2026-11-01",
        "updated <= \"2026-11-01\"",
        "updated = \"2026-11-01 00:00\"",
        "updated in (\"2026-10-01\", \"2026-11-01\")",
        "updated != \"2026-11-01 00:01\"",
        "updated > \"2026-10-31 23:59\"",
        "updated < \"2026-11-01 00:01\"",
        "updatedDate is not EMPTY",
        "created >= \"2026-11-22 12:00\"",
        "updated = 1793491200000",
        "updated < 1793491200001",
    ] {
        assert!(matches(jql, &i), "{jql}");
    }
    for jql in [
        "updated > \"2026-11-01 00:00\"",
        "updated < \"2026-11-01\"",
        "updated >= \"2026-11-01 00:01\"",
        "updated is EMPTY",
        "updated not in (\"2026-11-01\")",
        "NOT updated >= \"2026-11-01\"",
    ] {
        assert!(!matches(jql, &i), "{jql}");
    }
}

#[test]
fn relative_dates_and_functions() {
    // now() is 2026-11-22 12:00 UTC.
    let recent = updated("A-1", "2026-11-22 11:50:00");
    let hour_ago = updated("A-2", "2026-11-22 10:30:00");
    let yesterday = updated("A-3", "2026-11-21 13:00:00");
    let last_week = updated("A-4", "2026-11-16 00:00:00");
    let older = updated("A-5", "2026-10-20 00:00:00");
    let all = [recent, hour_ago, yesterday, last_week, older];
    let got = |jql: &str| {
        let mut keys = search(jql, &all);
        keys.sort();
        keys
    };
    assert_eq!(got("updated >= -15m"), ["A-1"]);
    assert_eq!(got("updated >= -2h"), ["A-1", "A-2"]);
    assert_eq!(got("updated >= -1d"), ["A-1", "A-2", "A-3"]);
    assert_eq!(got("updated >= -1w"), ["A-1", "A-2", "A-3", "A-4"]);
    assert_eq!(got("updated < \"-4w 2d\""), ["A-5"]);
    assert_eq!(got("updated < \"-4w 6d\""), Vec::<String>::new());
    assert_eq!(got("updated < \"-4w\""), ["A-5"]);
    assert_eq!(got("updated > \"-1d 1h\""), ["A-1", "A-2", "A-3"]);
    assert_eq!(got("updated > \"-1d1h\""), ["A-1", "A-2", "A-3"]);
    assert_eq!(got("updated > -22h"), ["A-1", "A-2"]);
    assert_eq!(
        got("updated < 1m"),
        ["A-1", "A-2", "A-3", "A-4", "A-5"],
        "unsigned periods are in the future"
    );
    assert_eq!(
        got("updated < \"+1m\""),
        ["A-1", "A-2", "A-3", "A-4", "A-5"]
    );
    assert_eq!(got("updated >= startOfDay()"), ["A-1", "A-2"]);
    assert_eq!(got("updated >= startOfDay(-1)"), ["A-1", "A-2", "A-3"]);
    assert_eq!(got("updated >= startOfDay(\"-1d\")"), ["A-1", "A-2", "A-3"]);
    assert_eq!(
        got("updated >= startOfDay(-1M)"),
        ["A-1", "A-2", "A-3", "A-4"],
        "calendar month: from 2026-10-22"
    );
    assert_eq!(
        got("updated >= startOfDay(-5w)"),
        ["A-1", "A-2", "A-3", "A-4", "A-5"]
    );
    assert_eq!(
        got("updated >= startOfDay(-1y)"),
        ["A-1", "A-2", "A-3", "A-4", "A-5"]
    );
    assert_eq!(got("updated < STARTOFDAY(-6)"), ["A-5"]);
    assert_eq!(got("updated <= endOfDay(-1)"), ["A-3", "A-4", "A-5"]);
    assert_eq!(
        got("updated <= endOfDay()"),
        ["A-1", "A-2", "A-3", "A-4", "A-5"]
    );
    assert_eq!(got("updated > now()"), Vec::<String>::new());
    assert_eq!(
        got("updated >= -10000000w"),
        ["A-1", "A-2", "A-3", "A-4", "A-5"]
    );
    assert_eq!(
        got("updated >= -100000000w"),
        Vec::<String>::new(),
        "beyond chrono's range matches nothing"
    );
}

#[test]
fn ordering() {
    let mut issues = vec![
        updated("DATA-2", "2026-11-03 00:00:00"),
        updated("DATA-12", "2026-11-01 00:00:00"),
        updated("OPS-3", "2026-11-02 00:00:00"),
        updated("DATA-1", "2026-11-02 00:00:00"),
        updated("ABC-100", "2026-11-04 00:00:00"),
    ];
    issues[0].created = at("2026-10-01 00:00:00");
    issues[1].created = at("2026-10-03 00:00:00");
    issues[2].created = at("2026-10-03 00:00:00");
    issues[3].created = at("2026-10-04 00:00:00");
    issues[4].created = at("2026-10-02 00:00:00");
    let q = |jql: &str| search(jql, &issues);
    let bounded = "labels = data-request";
    assert_eq!(
        q(&format!("{bounded} ORDER BY updated ASC")),
        ["DATA-12", "DATA-1", "OPS-3", "DATA-2", "ABC-100"]
    );
    assert_eq!(
        q(&format!("{bounded} ORDER BY updated DESC, key ASC")),
        ["ABC-100", "DATA-2", "DATA-1", "OPS-3", "DATA-12"]
    );
    assert_eq!(
        q(&format!("{bounded} order by key")),
        ["ABC-100", "DATA-1", "DATA-2", "DATA-12", "OPS-3"]
    );
    assert_eq!(
        q(&format!("{bounded} ORDER BY issuekey DESC")),
        ["OPS-3", "DATA-12", "DATA-2", "DATA-1", "ABC-100"]
    );
    assert_eq!(
        q(&format!("{bounded} ORDER BY id desc")),
        ["ABC-100", "DATA-12", "OPS-3", "DATA-2", "DATA-1"]
    );
    assert_eq!(
        q(&format!("{bounded} ORDER BY created")),
        ["DATA-1", "OPS-3", "DATA-12", "ABC-100", "DATA-2"],
        "created defaults to DESC, ties by id ASC"
    );
    assert_eq!(
        q(&format!("{bounded} ORDER BY created ASC, key DESC")),
        ["DATA-2", "ABC-100", "OPS-3", "DATA-12", "DATA-1"]
    );
    assert_eq!(
        q(&format!(
            "{bounded} ORDER BY \"updated\" ASC, created, id, key"
        ))
        .len(),
        5
    );
    assert_eq!(
        q("ORDER BY updated ASC"),
        ["DATA-12", "DATA-1", "OPS-3", "DATA-2", "ABC-100"]
    );
    // No ORDER BY: created DESC, then id DESC.
    assert_eq!(
        q(bounded),
        ["DATA-1", "DATA-12", "OPS-3", "ABC-100", "DATA-2"]
    );
}

#[test]
fn boundedness() {
    for jql in ["", "   \n ", "ORDER BY created", "order by key desc, id"] {
        let query = parse(jql).unwrap();
        assert!(!query.is_bounded(), "{jql:?}");
        assert!(query.matches(&issue("A-1", &[]), now()));
    }
    for jql in ["labels = x", "NOT labels = x", "(project = A) ORDER BY key"] {
        assert!(parse(jql).unwrap().is_bounded(), "{jql:?}");
    }
    assert_eq!(JqlError::unbounded().messages(), [UNBOUNDED_QUERY]);
}

mod errors;
