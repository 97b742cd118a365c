//! Attachments over REST: multipart upload (needs `X-Atlassian-Token: no-check` and a part named `file`), metadata,
//! download with Jira's 303 redirect to a media URL (or the content directly with `redirect=false`), delete, and
//! the site's upload limit.

use axum::{
    Extension, Json, Router,
    extract::{Multipart, Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{
    JiraSim,
    auth::AppCaller,
    model::{Attachment, SiteState, jira_time},
    rest_issues::jira_error,
};

pub(super) fn router() -> Router<JiraSim> {
    Router::new()
        .route(
            "/rest/api/3/issue/{key}/attachments",
            axum::routing::post(upload),
        )
        .route("/rest/api/3/attachment/meta", get(meta))
        .route("/rest/api/3/attachment/{id}", get(metadata).delete(remove))
        .route("/rest/api/3/attachment/content/{id}", get(content))
        // A very large upload must reach the handler, which answers 413 as Jira does.
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024 * 1024))
}

/// Media route (outside the JWT-verified REST API): the redirect target of a download.
pub(super) fn media_router() -> Router<JiraSim> {
    Router::new().route("/_media/{id}/{token}", get(media))
}

/// An attachment as Jira's REST API returns it.
pub(super) fn attachment_json(sim: &JiraSim, a: &Attachment, s: &SiteState) -> Value {
    let author = s
        .users
        .get(&a.author)
        .map(|u| u.display_name.clone())
        .unwrap_or_else(|| "Clearance".into());
    json!({
        "id": a.id.to_string(),
        "self": format!("{}/rest/api/3/attachment/{}", sim.base_url(), a.id),
        "filename": a.filename,
        "author": {"accountId": a.author, "displayName": author},
        "created": jira_time(a.created),
        "size": a.content.len(),
        "mimeType": a.mime_type,
        "content": format!("{}/rest/api/3/attachment/content/{}", sim.base_url(), a.id),
    })
}

/// The unguessable media token for an attachment (stable per content, like a signed media URL).
pub(super) fn media_token(a: &Attachment) -> String {
    hex::encode(&Sha256::digest([a.id.to_be_bytes().as_slice(), &a.content].concat())[..12])
}

async fn meta(State(sim): State<JiraSim>) -> Response {
    let limit = sim.state().upload_limit;
    Json(json!({"enabled": true, "uploadLimit": limit})).into_response()
}

async fn upload(
    State(sim): State<JiraSim>,
    Extension(AppCaller(app)): Extension<AppCaller>,
    Path(key): Path<String>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    if headers
        .get("x-atlassian-token")
        .and_then(|v| v.to_str().ok())
        != Some("no-check")
    {
        return (StatusCode::FORBIDDEN, "XSRF check failed").into_response();
    }
    if sim.issue(&key).is_none() {
        return super::rest_issues::no_issue();
    }
    let limit = sim.state().upload_limit as usize;
    let mut created = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return jira_error(
                    StatusCode::BAD_REQUEST,
                    &format!("Invalid multipart request: {e}"),
                );
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().unwrap_or("file").to_owned();
        let mime = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let mut data = Vec::new();
        let mut field = field;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    data.extend_from_slice(&chunk);
                    if data.len() > limit {
                        return jira_error(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            &format!(
                                "The file is larger than the attachment size limit of {limit} bytes."
                            ),
                        );
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    return jira_error(
                        StatusCode::BAD_REQUEST,
                        &format!("Invalid multipart request: {e}"),
                    );
                }
            }
        }
        if let Some(id) = sim.attach(&key, &app, &filename, &mime, data) {
            created.push(id);
        }
    }
    if created.is_empty() {
        return jira_error(
            StatusCode::BAD_REQUEST,
            "No file was provided; send a multipart part named 'file'.",
        );
    }
    let s = sim.state();
    let list: Vec<Value> = created
        .iter()
        .filter_map(|id| s.attachments.get(id))
        .map(|a| attachment_json(&sim, a, &s))
        .collect();
    Json(list).into_response()
}

fn parse_id(id: &str) -> Option<u64> {
    id.parse().ok()
}

/// Jira's 404 for an attachment that does not exist (or is on an issue the caller may not see).
pub(super) fn no_attachment(id: &str) -> Response {
    jira_error(
        StatusCode::NOT_FOUND,
        &format!("The attachment with id '{id}' does not exist"),
    )
}

async fn metadata(State(sim): State<JiraSim>, Path(id): Path<String>) -> Response {
    let s = sim.state();
    match parse_id(&id).and_then(|id| s.attachments.get(&id)) {
        Some(a) => Json(attachment_json(&sim, a, &s)).into_response(),
        None => no_attachment(&id),
    }
}

#[derive(Deserialize)]
struct ContentParams {
    #[serde(default)]
    redirect: Option<bool>,
}

async fn content(
    State(sim): State<JiraSim>,
    Path(id): Path<String>,
    Query(p): Query<ContentParams>,
) -> Response {
    let s = sim.state();
    let Some(a) = parse_id(&id).and_then(|id| s.attachments.get(&id)) else {
        return no_attachment(&id);
    };
    if p.redirect == Some(false) {
        return file_response(a);
    }
    Redirect::to(&format!(
        "{}/_media/{}/{}",
        sim.base_url(),
        a.id,
        media_token(a)
    ))
    .into_response()
}

async fn media(State(sim): State<JiraSim>, Path((id, token)): Path<(u64, String)>) -> Response {
    let s = sim.state();
    match s.attachments.get(&id) {
        Some(a) if media_token(a) == token => file_response(a),
        _ => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

fn file_response(a: &Attachment) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"",
        a.filename.replace(['"', '\\', '\r', '\n'], "_")
    );
    (
        [
            (header::CONTENT_TYPE, a.mime_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        a.content.clone(),
    )
        .into_response()
}

async fn remove(State(sim): State<JiraSim>, Path(id): Path<String>) -> Response {
    let removed = {
        let mut s = sim.state();
        match parse_id(&id).and_then(|id| s.attachments.remove(&id)) {
            Some(a) => {
                if let Some(i) = s.issues.get_mut(&a.issue_id) {
                    i.attachment_ids.retain(|x| *x != a.id);
                    i.updated = Utc::now();
                }
                true
            }
            None => false,
        }
    };
    sim.changed();
    if removed {
        StatusCode::NO_CONTENT.into_response()
    } else {
        no_attachment(&id)
    }
}
