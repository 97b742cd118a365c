//! Issues over REST: get (with `fields` and `properties`), create, edit (with changelog), delete, comments,
//! entity properties and transitions — Jira's shapes and status codes.

use axum::{
    Extension, Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    IssueEdit, JiraSim,
    auth::AppCaller,
    model::{Comment, Issue, jira_time},
};

/// Jira's error body: `{"errorMessages": [...], "errors": {}}`.
pub(super) fn jira_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"errorMessages": [message], "errors": {}})),
    )
        .into_response()
}

/// Jira's 404 for an issue that does not exist or that the caller may not see (one answer for both).
pub(super) fn no_issue() -> Response {
    jira_error(
        StatusCode::NOT_FOUND,
        "Issue does not exist or you do not have permission to see it.",
    )
}

/// Largest entity property value Jira accepts, in characters.
const MAX_PROPERTY_CHARS: usize = 32_768;

/// The workflow: transition id → target status.
const TRANSITIONS: [(&str, &str); 3] = [("11", "To Do"), ("21", "In Progress"), ("31", "Done")];

pub(super) fn router() -> Router<JiraSim> {
    Router::new()
        .route("/rest/api/3/issue", axum::routing::post(create))
        .route(
            "/rest/api/3/issue/{key}",
            get(get_issue).put(edit).delete(delete),
        )
        .route(
            "/rest/api/3/issue/{key}/comment",
            get(list_comments).post(add_comment),
        )
        .route("/rest/api/3/issue/{key}/properties", get(list_properties))
        .route(
            "/rest/api/3/issue/{key}/properties/{prop}",
            get(get_property).put(put_property).delete(delete_property),
        )
        .route(
            "/rest/api/3/issue/{key}/transitions",
            get(list_transitions).post(transition),
        )
}

fn status_json(name: &str) -> Value {
    let category = match name {
        "Done" => ("done", "Done"),
        "In Progress" => ("indeterminate", "In Progress"),
        _ => ("new", "To Do"),
    };
    json!({"name": name, "statusCategory": {"key": category.0, "name": category.1}})
}

pub(super) fn comment_json(sim: &JiraSim, c: &Comment) -> Value {
    json!({
        "id": c.id.to_string(),
        "self": format!("{}/rest/api/3/comment/{}", sim.base_url(), c.id),
        "author": sim.public_user(&c.author),
        "body": c.body,
        "created": jira_time(c.created),
        "updated": jira_time(c.created),
    })
}

/// An issue as `GET /rest/api/3/issue/{key}` returns it; `fields` limits the fields (None = all).
pub(super) fn issue_json(sim: &JiraSim, issue: &Issue, fields: Option<&[String]>) -> Value {
    let s = sim.state();
    let attachments: Vec<Value> = issue
        .attachment_ids
        .iter()
        .filter_map(|id| s.attachments.get(id))
        .map(|a| super::rest_attachments::attachment_json(sim, a, &s))
        .collect();
    drop(s);
    let all = json!({
        "summary": issue.summary,
        "description": issue.description,
        "labels": issue.labels,
        "reporter": sim.public_user(&issue.reporter),
        "status": status_json(&issue.status),
        "project": {"key": issue.project, "name": issue.project},
        "issuetype": {"name": issue.issue_type},
        "created": jira_time(issue.created),
        "updated": jira_time(issue.updated),
        "attachment": attachments,
        "comment": {"comments": issue.comments.iter().map(|c| comment_json(sim, c)).collect::<Vec<_>>(),
                    "maxResults": issue.comments.len(), "total": issue.comments.len(), "startAt": 0},
    });
    let fields_value = match fields {
        None => all,
        Some(list) if list.iter().any(|f| f == "*all" || f == "*navigable") => all,
        Some(list) => {
            let mut out = serde_json::Map::new();
            for f in list {
                if let Some(v) = all.get(f.as_str()) {
                    out.insert(f.clone(), v.clone());
                }
            }
            Value::Object(out)
        }
    };
    json!({
        "id": issue.id.to_string(),
        "key": issue.key,
        "self": format!("{}/rest/api/3/issue/{}", sim.base_url(), issue.id),
        "fields": fields_value,
    })
}

/// Split Jira's `fields=a,b` / repeated `fields=` parameters.
pub(super) fn field_list(raw: &[String]) -> Option<Vec<String>> {
    let list: Vec<String> = raw
        .iter()
        .flat_map(|f| f.split(','))
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect();
    (!list.is_empty()).then_some(list)
}

#[derive(Deserialize, Default)]
struct GetParams {
    #[serde(default)]
    fields: Option<String>,
    #[serde(default)]
    properties: Option<String>,
}

async fn get_issue(
    State(sim): State<JiraSim>,
    Path(key): Path<String>,
    Query(p): Query<GetParams>,
) -> Response {
    let Some(issue) = sim.issue(&key) else {
        return no_issue();
    };
    let fields = field_list(&p.fields.into_iter().collect::<Vec<_>>());
    let mut body = issue_json(&sim, &issue, fields.as_deref());
    if let Some(props) = p.properties {
        let mut out = serde_json::Map::new();
        for k in props.split(',').map(str::trim) {
            if let Some(v) = issue.properties.get(k) {
                out.insert(k.to_owned(), v.clone());
            }
        }
        body["properties"] = Value::Object(out);
    }
    Json(body).into_response()
}

/// The JSON body and the issue a write names, or Jira's 400 / 404.
fn body_and_issue(sim: &JiraSim, key: &str, body: &[u8]) -> Result<(Value, Issue), Box<Response>> {
    let v = parse_json(body)?;
    let issue = sim.issue(key).ok_or_else(|| Box::new(no_issue()))?;
    Ok((v, issue))
}

/// A JSON request body, or Jira's 400 for a malformed one.
fn parse_json(body: &[u8]) -> Result<Value, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(jira_error(
            StatusCode::BAD_REQUEST,
            &format!("Unexpected character: {e}"),
        ))
    })
}

fn labels_error(labels: &[String]) -> Option<Response> {
    let bad = labels
        .iter()
        .find(|l| l.is_empty() || l.contains(' ') || l.len() > 255)?;
    Some((StatusCode::BAD_REQUEST, Json(json!({"errorMessages": [], "errors": {"labels": format!("The label '{bad}' contains spaces which is invalid.")}}))).into_response())
}

async fn create(
    State(sim): State<JiraSim>,
    Extension(AppCaller(app)): Extension<AppCaller>,
    body: Bytes,
) -> Response {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let f = &v["fields"];
    let (Some(project), Some(summary)) = (f["project"]["key"].as_str(), f["summary"].as_str())
    else {
        return (StatusCode::BAD_REQUEST, Json(json!({"errorMessages": [], "errors": {"summary": "You must specify a summary of the issue.", "project": "Specify a valid project ID or key"}}))).into_response();
    };
    let labels: Vec<String> = f["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str().map(str::to_owned))
        .collect();
    if let Some(r) = labels_error(&labels) {
        return r;
    }
    let reporter = f["reporter"]["accountId"]
        .as_str()
        .unwrap_or(&app)
        .to_owned();
    let description = match &f["description"] {
        d if d.is_object() => d.clone(),
        _ => super::model::adf_text(""),
    };
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    // The caller creates it (the events name them), whoever the reporter is.
    let key = sim.create_issue_by(project, summary, description, &label_refs, &reporter, &app);
    let Some(issue) = sim.issue(&key) else {
        return no_issue();
    };
    (StatusCode::CREATED, Json(json!({"id": issue.id.to_string(), "key": issue.key, "self": format!("{}/rest/api/3/issue/{}", sim.base_url(), issue.id)}))).into_response()
}

async fn edit(
    State(sim): State<JiraSim>,
    Extension(AppCaller(app)): Extension<AppCaller>,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let (v, issue) = match body_and_issue(&sim, &key, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let summary = v["fields"]["summary"].as_str().map(str::to_owned);
    let reporter = v["fields"]["reporter"]["accountId"]
        .as_str()
        .map(str::to_owned);
    if let Some(r) = &reporter
        && !sim.state().users.contains_key(r)
    {
        return (StatusCode::BAD_REQUEST, Json(json!({"errorMessages": [], "errors": {"reporter": "Specified reporter is not a user."}}))).into_response();
    }
    let description = v["fields"].get("description").cloned();
    let mut labels: Option<Vec<String>> = v["fields"]["labels"].as_array().map(|a| {
        a.iter()
            .filter_map(|l| l.as_str().map(str::to_owned))
            .collect()
    });
    if let Some(ops) = v["update"]["labels"].as_array() {
        let mut current = labels.clone().unwrap_or_else(|| issue.labels.clone());
        for op in ops {
            if let Some(l) = op["add"].as_str()
                && !current.iter().any(|c| c == l)
            {
                current.push(l.to_owned());
            }
            if let Some(l) = op["remove"].as_str() {
                current.retain(|c| c != l);
            }
        }
        labels = Some(current);
    }
    if let Some(r) = labels.as_deref().and_then(labels_error) {
        return r;
    }
    sim.edit_issue(
        &key,
        &app,
        IssueEdit {
            summary,
            description,
            labels,
            reporter,
            status: None,
        },
    );
    StatusCode::NO_CONTENT.into_response()
}

async fn delete(
    State(sim): State<JiraSim>,
    Extension(AppCaller(app)): Extension<AppCaller>,
    Path(key): Path<String>,
) -> Response {
    if sim.delete_issue(&key, &app) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        no_issue()
    }
}

async fn list_comments(State(sim): State<JiraSim>, Path(key): Path<String>) -> Response {
    let Some(issue) = sim.issue(&key) else {
        return no_issue();
    };
    let comments: Vec<Value> = issue
        .comments
        .iter()
        .map(|c| comment_json(&sim, c))
        .collect();
    Json(json!({"startAt": 0, "maxResults": 5000, "total": comments.len(), "comments": comments}))
        .into_response()
}

async fn add_comment(
    State(sim): State<JiraSim>,
    Extension(AppCaller(app)): Extension<AppCaller>,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    // Jira's answer to a body that is not valid ADF (a plain string, an unknown node, an empty text node): 400 with
    // the problem under `errors.comment`.
    if let Err(problem) = super::adf_check::check(&v["body"]) {
        tracing::debug!(%problem, "simulated Jira refused a comment body");
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errorMessages": [], "errors": {"comment": "Comment body is not valid!"}})),
        )
            .into_response();
    }
    let Some(id) = sim.insert_comment(&key, &app, v["body"].clone()) else {
        return no_issue();
    };
    let Some(issue) = sim.issue(&key) else {
        return no_issue();
    };
    let Some(c) = issue.comments.iter().find(|c| c.id == id) else {
        return no_issue();
    };
    (StatusCode::CREATED, Json(comment_json(&sim, c))).into_response()
}

async fn list_properties(State(sim): State<JiraSim>, Path(key): Path<String>) -> Response {
    let Some(issue) = sim.issue(&key) else {
        return no_issue();
    };
    let keys: Vec<Value> = issue.properties.keys().map(|k| json!({"key": k, "self": format!("{}/rest/api/3/issue/{}/properties/{k}", sim.base_url(), issue.id)})).collect();
    Json(json!({"keys": keys})).into_response()
}

async fn get_property(
    State(sim): State<JiraSim>,
    Path((key, prop)): Path<(String, String)>,
) -> Response {
    let Some(issue) = sim.issue(&key) else {
        return no_issue();
    };
    match issue.properties.get(&prop) {
        Some(v) => Json(json!({"key": prop, "value": v})).into_response(),
        None => jira_error(
            StatusCode::NOT_FOUND,
            &format!("The property with key '{prop}' does not exist."),
        ),
    }
}

async fn put_property(
    State(sim): State<JiraSim>,
    Path((key, prop)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if body.len() > MAX_PROPERTY_CHARS {
        return jira_error(
            StatusCode::BAD_REQUEST,
            &format!(
                "The property value is too long. Maximum length is {MAX_PROPERTY_CHARS} characters."
            ),
        );
    }
    let value = match parse_json(&body) {
        Ok(v) => v,
        Err(_) => {
            return jira_error(
                StatusCode::BAD_REQUEST,
                "The property value must be a valid JSON.",
            );
        }
    };
    let created = {
        let mut s = sim.state();
        let Some(id) = JiraSim::find_issue(&s, &key) else {
            return no_issue();
        };
        let Some(issue) = s.issues.get_mut(&id) else {
            return no_issue();
        };
        issue.properties.insert(prop, value).is_none()
    };
    sim.changed();
    if created {
        StatusCode::CREATED.into_response()
    } else {
        StatusCode::OK.into_response()
    }
}

async fn delete_property(
    State(sim): State<JiraSim>,
    Path((key, prop)): Path<(String, String)>,
) -> Response {
    let removed = {
        let mut s = sim.state();
        let Some(id) = JiraSim::find_issue(&s, &key) else {
            return no_issue();
        };
        s.issues
            .get_mut(&id)
            .and_then(|i| i.properties.remove(&prop))
            .is_some()
    };
    sim.changed();
    if removed {
        StatusCode::NO_CONTENT.into_response()
    } else {
        jira_error(
            StatusCode::NOT_FOUND,
            &format!("The property with key '{prop}' does not exist."),
        )
    }
}

async fn list_transitions(State(sim): State<JiraSim>, Path(key): Path<String>) -> Response {
    let Some(issue) = sim.issue(&key) else {
        return no_issue();
    };
    let list: Vec<Value> = TRANSITIONS
        .iter()
        .filter(|(_, to)| *to != issue.status)
        .map(|(id, to)| json!({"id": id, "name": to, "to": status_json(to), "hasScreen": false, "isAvailable": true}))
        .collect();
    Json(json!({"transitions": list})).into_response()
}

async fn transition(
    State(sim): State<JiraSim>,
    Extension(AppCaller(app)): Extension<AppCaller>,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let (v, issue) = match body_and_issue(&sim, &key, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let id = v["transition"]["id"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| v["transition"]["id"].as_u64().map(|n| n.to_string()));
    let Some((_, to)) = TRANSITIONS
        .iter()
        .find(|(t, to)| Some(*t) == id.as_deref() && *to != issue.status)
    else {
        return (StatusCode::BAD_REQUEST, Json(json!({"errorMessages": ["Transition id is not valid for this issue."], "errors": {}}))).into_response();
    };
    sim.edit_issue(
        &key,
        &app,
        IssueEdit {
            status: Some((*to).to_owned()),
            ..IssueEdit::default()
        },
    );
    StatusCode::NO_CONTENT.into_response()
}
