//! The JQL parser's and checker's error messages, limits and robustness.

use super::*;

#[test]
fn syntax_errors() {
    let cases = [
        (
            "project in (DATA, OPS",
            "Error in the JQL Query: Expecting ')' but got the end of the query. (line 1, character 22)",
        ),
        (
            "(labels = x",
            "Error in the JQL Query: Expecting ')' but got the end of the query. (line 1, character 12)",
        ),
        (
            "labels = x)",
            "Error in the JQL Query: Expecting either 'OR' or 'AND' but got ')'. (line 1, character 11)",
        ),
        (
            "labels = x foo",
            "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'foo'. (line 1, character 12)",
        ),
        (
            "labels = \"abc",
            "Error in the JQL Query: The quoted string 'abc' has not been completed. (line 1, character 10)",
        ),
        (
            "labels = 'a\nb",
            "Error in the JQL Query: The quoted string 'a\nb' has not been completed. (line 1, character 10)",
        ),
        (
            "labels = a@b",
            "Error in the JQL Query: The character '@' is a reserved JQL character. You must enclose it in a string or use the escape '\\u0040' instead. (line 1, character 11)",
        ),
        (
            "labels =\n  #x",
            "Error in the JQL Query: The character '#' is a reserved JQL character. You must enclose it in a string or use the escape '\\u0023' instead. (line 2, character 3)",
        ),
        (
            "updated > 2026/11/01",
            "Error in the JQL Query: The character '/' is a reserved JQL character. You must enclose it in a string or use the escape '\\u002f' instead. (line 1, character 15)",
        ),
        (
            "labels = \"a\\qb\"",
            "Error in the JQL Query: The escape sequence '\\q' is illegal. (line 1, character 12)",
        ),
        (
            "labels = \\u00zz",
            "Error in the JQL Query: The escape sequence '\\u00zz' is illegal. (line 1, character 10)",
        ),
        (
            "labels = x\\",
            "Error in the JQL Query: The escape sequence '\\' is illegal. (line 1, character 11)",
        ),
        (
            "project DATA",
            "Error in the JQL Query: Expecting operator but got 'DATA'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character 9)",
        ),
        (
            "project",
            "Error in the JQL Query: Expecting operator but got the end of the query. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character 8)",
        ),
        (
            "labels not (a)",
            "Error in the JQL Query: Expecting 'IN' but got '('. (line 1, character 12)",
        ),
        (
            "labels =",
            "Error in the JQL Query: Expecting either a value, list or function but got the end of the query. (line 1, character 9)",
        ),
        (
            "labels in ()",
            "Error in the JQL Query: Expecting either a value, list or function but got ')'. (line 1, character 12)",
        ),
        (
            "labels in (a b)",
            "Error in the JQL Query: Expecting either ',' or ')' but got 'b'. (line 1, character 14)",
        ),
        (
            "labels in (a,",
            "Error in the JQL Query: Expecting either a value, list or function but got the end of the query. (line 1, character 14)",
        ),
        (
            "project = IN",
            "Error in JQL Query: Expecting either a value, list or function but got 'IN'. You must surround 'IN' in quotation marks to use it as a value. (line 1, character 11)",
        ),
        (
            "labels = cf",
            "Error in JQL Query: Expecting either a value, list or function but got 'cf'. You must surround 'cf' in quotation marks to use it as a value. (line 1, character 10)",
        ),
        (
            "project = AS",
            "Error in the JQL Query: 'AS' is a reserved JQL word. You must surround it in quotation marks to use it in a query. (line 1, character 11)",
        ),
        (
            "labels = user",
            "Error in the JQL Query: 'user' is a reserved JQL word. You must surround it in quotation marks to use it in a query. (line 1, character 10)",
        ),
        (
            "labels = x AND",
            "Error in the JQL Query: Expecting a field name but got the end of the query. (line 1, character 15)",
        ),
        (
            "labels = x AND OR y = z",
            "Error in the JQL Query: Expecting a field name but got 'OR'. (line 1, character 16)",
        ),
        (
            "= x",
            "Error in the JQL Query: Expecting a field name but got '='. (line 1, character 1)",
        ),
        (
            "()",
            "Error in the JQL Query: Expecting a field name but got ')'. (line 1, character 2)",
        ),
        (
            "labels = x ORDER created",
            "Error in the JQL Query: Expecting 'BY' but got 'created'. (line 1, character 18)",
        ),
        (
            "ORDER BY",
            "Error in the JQL Query: Expecting a field name but got the end of the query. (line 1, character 9)",
        ),
        (
            "ORDER BY created ASC DESC",
            "Error in the JQL Query: Expecting either ',' or the end of the query but got 'DESC'. (line 1, character 22)",
        ),
        (
            "ORDER BY created,",
            "Error in the JQL Query: Expecting a field name but got the end of the query. (line 1, character 18)",
        ),
        (
            "updated > now(",
            "Error in the JQL Query: Expecting a function argument but got the end of the query. (line 1, character 15)",
        ),
        (
            "updated > startOfDay(-1",
            "Error in the JQL Query: Expecting ')' but got the end of the query. (line 1, character 24)",
        ),
    ];
    for (jql, message) in cases {
        assert_eq!(error(jql), message, "{jql:?}");
    }
}

#[test]
fn field_errors() {
    let date = |v: &str, f: &str| {
        format!(
            "Date value '{v}' for field '{f}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', \
             'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
        )
    };
    let cases = [
        ("foo = bar", "Field 'foo' does not exist or you do not have permission to view it.".to_owned()),
        ("labels > x", "The operator '>' is not supported by the 'labels' field.".to_owned()),
        ("labels ~ x", "The operator '~' is not supported by the 'labels' field.".to_owned()),
        ("updated !~ x", "The operator '!~' is not supported by the 'updated' field.".to_owned()),
        ("key is EMPTY", "The operator 'is' is not supported by the 'key' field.".to_owned()),
        ("Project <= A", "The operator '<=' is not supported by the 'Project' field.".to_owned()),
        ("updated >= \"2026-13-01\"", date("2026-13-01", "updated")),
        ("created < 2026-02-30", date("2026-02-30", "created")),
        ("updated > \"2026-11-01 25:00\"", date("2026-11-01 25:00", "updated")),
        ("updated > -5", date("-5", "updated")),
        ("updated < '09/1/1'", date("09/1/1", "updated")),
        ("updated < '2010/02/35'", date("2010/02/35", "updated")),
        ("updated < '2026/11/01 bad'", date("2026/11/01 bad", "updated")),
        ("updated < ''", date("", "updated")),
        ("updated > -5x", date("-5x", "updated")),
        ("updated > -1M", date("-1M", "updated")),
        ("updated > yesterday", date("yesterday", "updated")),
        ("updated > \"-\"", date("-", "updated")),
        ("updated > -99999999999999999999m", date("-99999999999999999999m", "updated")),
        ("key = foo", "The issue key 'foo' for field 'key' is invalid.".to_owned()),
        ("issuekey in (ABC-1, ABC-x)", "The issue key 'ABC-x' for field 'issuekey' is invalid.".to_owned()),
        ("key = EMPTY", "The field 'key' does not support searching for EMPTY values.".to_owned()),
        ("labels = (a, b)", "The operator '=' does not support the list value '(a, b)' for field 'labels'.".to_owned()),
        ("labels is x", "The operator 'is' only supports searching for EMPTY values.".to_owned()),
        ("labels is not (EMPTY)", "The operator 'is not' does not support the list value '(EMPTY)' for field 'labels'.".to_owned()),
        ("updated > EMPTY", "The operator '>' does not support searching for EMPTY values.".to_owned()),
        ("reporter = currentUser()", "Unable to find JQL function 'currentUser()'.".to_owned()),
        ("updated > daysAgo(1, \"x y\")", "Unable to find JQL function 'daysAgo(1, x y)'.".to_owned()),
        ("labels = now()", "A value provided by the function 'now' is invalid for the field 'labels'.".to_owned()),
        ("updated > now(1)", "Function 'now' expected '0' arguments but received '1'.".to_owned()),
        ("updated > startOfDay(1, 2)", "Function 'startOfDay' expected between '0' and '1' arguments but received '2'.".to_owned()),
        ("updated > endOfDay(x)", "Duration for function 'endOfDay' should have the format (+/-)n(y|M|w|d|h|m), e.g. -1M for one month earlier.".to_owned()),
        ("ORDER BY labels", "Field 'labels' does not support sorting.".to_owned()),
        ("ORDER BY status", "Sorting by 'status' is not supported by the Jira simulator.".to_owned()),
        ("ORDER BY foo", "Not able to sort using field 'foo'.".to_owned()),
        ("ORDER BY key, issuekey", "The sort field 'issuekey' is referenced multiple times in the JQL sort.".to_owned()),
    ];
    for (jql, message) in cases {
        assert_eq!(error(jql), message, "{jql:?}");
    }
}

#[test]
fn semantic_errors_are_all_reported() {
    let err = parse("foo = 1 AND labels > x OR updated > nope ORDER BY bar").unwrap_err();
    assert_eq!(
        err.messages(),
        [
            "Field 'foo' does not exist or you do not have permission to view it.",
            "The operator '>' is not supported by the 'labels' field.",
            "Date value 'nope' for field 'updated' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', \
             'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.",
            "Not able to sort using field 'bar'.",
        ]
    );
    // A syntax error anywhere wins over semantic errors before it.
    assert!(error("foo = 1 AND (").starts_with("Error in the JQL Query: Expecting a field name"));
}

#[test]
fn order_by_is_limited_to_seven_fields() {
    assert!(parse("ORDER BY created, updated, key, id").is_ok());
    let eight = "labels = x ORDER BY created, updated, key, id, a, b, c, d";
    let err = parse(eight).unwrap_err();
    assert_eq!(
        err.messages().last().unwrap(),
        "The ORDER BY clause may contain at most 7 fields."
    );
}

#[test]
fn nesting_is_capped() {
    let deep = |n: usize| format!("{}labels = x{}", "(".repeat(n), ")".repeat(n));
    assert!(parse(&deep(50)).is_ok());
    let message = "Error in the JQL Query: The query is nested too deeply: at most 50 levels of parentheses and NOT. \
                   (line 1, character 51)";
    assert_eq!(error(&deep(51)), message);
    assert_eq!(error(&"(".repeat(100_000)), message);
    assert!(parse(&format!("{}labels = x", "NOT ".repeat(50))).is_ok());
    assert!(error(&format!("{}labels = x", "! ".repeat(100_000))).contains("nested too deeply"));
    let wide = vec!["labels = x"; 10_000].join(" OR ");
    assert!(parse(&wide).unwrap().matches(&issue("A-1", &["x"]), now()));
}

#[test]
fn check_values_reports_unknown_references() {
    let query = parse("project in (DATA, nope) AND key in (DATA-1, data-99, 10001) AND status = Open AND labels = x")
        .unwrap();
    let known = ["DATA", "DATA-1", "10001", "Open"];
    let err = query.check_values(|_, v| known.contains(&v)).unwrap_err();
    assert_eq!(
        err.messages(),
        [
            "The value 'nope' does not exist for the field 'project'.",
            "An issue with key 'DATA-99' does not exist for field 'key'.",
        ]
    );
    let mut seen = Vec::new();
    parse("reporter = acc-1 OR NOT issuetype = Bug")
        .unwrap()
        .check_values(|field, value| {
            seen.push((field, value.to_owned()));
            true
        })
        .unwrap();
    assert_eq!(
        seen,
        [
            (Field::Reporter, "acc-1".to_owned()),
            (Field::IssueType, "Bug".to_owned())
        ]
    );
}

#[test]
fn hostile_input_never_panics() {
    const ALPHABET: &[&str] = &[
        "labels",
        "key",
        "updated",
        "project",
        " ",
        "=",
        "!=",
        "!",
        "(",
        ")",
        ",",
        "\"",
        "'",
        "\\",
        "\\u",
        "in",
        "not",
        "is",
        "EMPTY",
        "AND",
        "OR",
        "ORDER",
        "BY",
        "-15m",
        "ABC-1",
        "now()",
        "startOfDay(",
        "~",
        "<",
        ">=",
        "@",
        "\n",
        "é",
        "2026-11-01",
        "x",
        "desc",
        "&",
        "|",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let issue = issue("ABC-1", &["x"]);
    for _ in 0..20_000 {
        let mut jql = String::new();
        for _ in 0..(state % 12) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            jql.push_str(ALPHABET[(state % ALPHABET.len() as u64) as usize]);
        }
        if let Ok(query) = parse(&jql) {
            query.matches(&issue, now());
            query.matches(&issue, DateTime::<Utc>::MAX_UTC);
            query.matches(&issue, DateTime::<Utc>::MIN_UTC);
            query.sort(&mut [issue.clone(), issue.clone()]);
        }
    }
    let extreme = Issue {
        created: DateTime::<Utc>::MAX_UTC,
        updated: DateTime::<Utc>::MIN_UTC,
        ..issue.clone()
    };
    for jql in [
        "updated < startOfDay(-1y)",
        "created > endOfDay(\"+1M\")",
        "updated > 9999999w",
    ] {
        parse(jql)
            .unwrap()
            .matches(&extreme, DateTime::<Utc>::MAX_UTC - TimeDelta::minutes(1));
    }
}
