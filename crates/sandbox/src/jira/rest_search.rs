//! `GET/POST /rest/api/3/search/jql`: the JQL subset Clearance uses, bounded queries only, `fields` (default `id`
//! only), `maxResults` and opaque `nextPageToken` paging with `isLast`, as the enhanced search API answers. Issues
//! the caller may not see (issue security) are left out.

use axum::{
    Extension, Json, Router,
    body::Bytes,
    extract::{RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{
    JiraSim,
    auth::AppCaller,
    jql::{self, Searchable},
    model::Issue,
    rest_issues::{field_list, issue_json, jira_error},
};

pub(super) fn router() -> Router<JiraSim> {
    Router::new().route("/rest/api/3/search/jql", get(search_get).post(search_post))
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
        Some(&self.reporter)
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
    fn property(&self, key: &str) -> Option<&Value> {
        self.properties.get(key)
    }
}

/// A search request, from the query string or the JSON body.
struct SearchRequest {
    jql: String,
    next_page_token: Option<String>,
    max_results: Option<u64>,
    fields: Option<Vec<String>>,
}

async fn search_get(
    State(sim): State<JiraSim>,
    Extension(AppCaller(caller)): Extension<AppCaller>,
    RawQuery(q): RawQuery,
) -> Response {
    let mut req = SearchRequest {
        jql: String::new(),
        next_page_token: None,
        max_results: None,
        fields: None,
    };
    let mut fields = Vec::new();
    for (k, v) in form_urlencoded::parse(q.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "jql" => req.jql = v.into_owned(),
            "nextPageToken" => req.next_page_token = Some(v.into_owned()),
            "maxResults" => match v.parse() {
                Ok(n) => req.max_results = Some(n),
                Err(_) => {
                    return jira_error(StatusCode::BAD_REQUEST, "maxResults must be a number.");
                }
            },
            "fields" => fields.push(v.into_owned()),
            _ => {}
        }
    }
    req.fields = field_list(&fields);
    search(&sim, &caller, req)
}

async fn search_post(
    State(sim): State<JiraSim>,
    Extension(AppCaller(caller)): Extension<AppCaller>,
    body: Bytes,
) -> Response {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return jira_error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid request payload: {e}"),
            );
        }
    };
    let fields: Vec<String> = v["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(str::to_owned))
        .collect();
    let req = SearchRequest {
        jql: v["jql"].as_str().unwrap_or_default().to_owned(),
        next_page_token: v["nextPageToken"].as_str().map(str::to_owned),
        max_results: v["maxResults"].as_u64(),
        fields: field_list(&fields),
    };
    search(&sim, &caller, req)
}

/// The page token: the offset, bound to the query it pages through.
fn token(jql: &str, offset: usize) -> String {
    let h = hex::encode(&Sha256::digest(jql.as_bytes())[..8]);
    URL_SAFE_NO_PAD.encode(format!("{offset}:{h}"))
}

fn offset_of(jql: &str, token_str: &str) -> Option<usize> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token_str).ok()?).ok()?;
    let (offset, h) = raw.split_once(':')?;
    (h == hex::encode(&Sha256::digest(jql.as_bytes())[..8]))
        .then(|| offset.parse().ok())
        .flatten()
}

fn search(sim: &JiraSim, caller: &str, req: SearchRequest) -> Response {
    // The aliases of the issue properties the installed apps index (descriptor or manifest).
    let query = match jql::parse_with(&req.jql, &sim.jql_aliases()) {
        Ok(q) => q,
        Err(e) => return jira_error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    if !query.is_bounded() {
        return jira_error(
            StatusCode::BAD_REQUEST,
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
        );
    }
    let offset = match &req.next_page_token {
        None => 0,
        Some(t) => match offset_of(&req.jql, t) {
            Some(o) => o,
            None => {
                return jira_error(
                    StatusCode::BAD_REQUEST,
                    "The provided next page token is invalid or expired.",
                );
            }
        },
    };
    let only_ids = req
        .fields
        .as_ref()
        .is_none_or(|f| f.iter().all(|x| x == "id" || x == "key"));
    let cap = if only_ids { 5000 } else { 100 };
    let max = req.max_results.unwrap_or(50).clamp(1, cap) as usize;
    let now = Utc::now();
    let mut hits: Vec<Issue> = {
        let s = sim.state();
        s.issues
            .values()
            .filter(|i| s.can_see(caller, i) && query.matches(*i, now))
            .cloned()
            .collect()
    };
    query.sort(&mut hits);
    let page: Vec<Value> = hits
        .iter()
        .skip(offset)
        .take(max)
        .map(|i| match &req.fields {
            None => json!({"id": i.id.to_string()}),
            Some(f) => issue_json(sim, i, Some(f)),
        })
        .collect();
    let is_last = offset + page.len() >= hits.len();
    let mut body = json!({"issues": page, "isLast": is_last});
    if !is_last {
        body["nextPageToken"] = json!(token(&req.jql, offset + max));
    }
    Json(body).into_response()
}
