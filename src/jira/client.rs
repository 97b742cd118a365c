//! The HTTP side of the Jira client: one shared `reqwest::Client`, per-call authorization, status → [`JiraError`].

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use reqwest::{Method, StatusCode, header::AUTHORIZATION};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::Value;
use url::Url;

use super::{JiraError, JiraOp, JiraRequest, JiraSite, refusal, scopes::HttpMethod};
use crate::metrics::Metrics;

/// Longest piece of an error body kept for the message.
const ERROR_BODY_CHARS: usize = 300;

/// A Jira REST client for one tenant.
#[derive(Clone)]
pub struct JiraClient {
    http: reqwest::Client,
    site: JiraSite,
    metrics: Option<Arc<Metrics>>,
}

/// `GET /rest/api/3/myself`: the account the app acts as.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Myself {
    /// Atlassian account id of the app user.
    pub account_id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `app` for an app user.
    #[serde(default)]
    pub account_type: Option<String>,
}

/// `GET /rest/api/3/attachment/meta`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentMeta {
    /// Attachments are switched on for the site.
    pub enabled: bool,
    /// Largest file, in bytes.
    pub upload_limit: u64,
}

/// An attachment as Jira describes it.
#[derive(Clone, Debug, Deserialize)]
pub struct Attachment {
    /// Attachment id (Jira sends a string).
    pub id: String,
    /// File name.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
}

/// Bytes read from disk at a time while uploading.
const UPLOAD_CHUNK: usize = 256 * 1024;

impl JiraClient {
    /// A client for `site` over the shared `http` client.
    pub fn new(http: reqwest::Client, site: JiraSite) -> Self {
        Self {
            http,
            site,
            metrics: None,
        }
    }

    /// Record every call's latency and status in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The absolute URL of `req` under the site base URL.
    pub fn url(&self, req: &JiraRequest) -> Result<Url, JiraError> {
        let base = self.site.base_url.as_str().trim_end_matches('/');
        let path_and_query = req.path_and_query()?;
        Url::parse(&format!("{base}{path_and_query}"))
            .map_err(|e| JiraError::Auth(format!("bad URL {path_and_query}: {e}")))
    }

    /// The app user's own account (exercises signing end to end).
    #[tracing::instrument(skip_all)]
    pub async fn myself(&self) -> Result<Myself, JiraError> {
        self.get_json(JiraRequest::new(JiraOp::Myself)).await
    }

    /// `GET` a JSON resource. Raw access for tests and tools: Clearance's own code calls Jira through the typed
    /// methods of this module (`tests/it/jira_openapi.rs` checks that no code outside it names a [`JiraOp`]).
    pub async fn get_json<T: DeserializeOwned>(&self, req: JiraRequest) -> Result<T, JiraError> {
        let resp = self.call(&req, HttpMethod::Get, None).await?;
        resp.json::<T>()
            .await
            .map_err(|e| JiraError::Decode(e.to_string()))
    }

    /// `PUT` a JSON body (entity properties, edits); Jira's answer body, if any, is ignored. Raw access, as
    /// [`get_json`](Self::get_json).
    pub async fn put_json(&self, req: JiraRequest, body: &Value) -> Result<(), JiraError> {
        self.call(&req, HttpMethod::Put, Some(body)).await.map(drop)
    }

    /// `POST` a JSON body and decode the JSON answer. Raw access, as [`get_json`](Self::get_json).
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        req: JiraRequest,
        body: &Value,
    ) -> Result<T, JiraError> {
        let resp = self.call(&req, HttpMethod::Post, Some(body)).await?;
        resp.json::<T>()
            .await
            .map_err(|e| JiraError::Decode(e.to_string()))
    }

    /// `GET /rest/api/3/attachment/content/{id}?redirect=false`: an attachment's bytes, from Jira itself (by default
    /// Jira answers with a 303 to its media service; Clearance's HTTP client follows no redirect, so none is asked
    /// for). At most `max_bytes` are read: a larger file fails with [`JiraError::TooLarge`] without being read whole.
    #[tracing::instrument(skip_all, fields(attachment = id))]
    pub async fn attachment_content(&self, id: &str, max_bytes: u64) -> Result<Vec<u8>, JiraError> {
        if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(JiraError::NotFound(format!(
                "{id:?} is not an attachment id"
            )));
        }
        let req = JiraRequest::new(JiraOp::AttachmentContent)
            .param(id)
            .query("redirect", "false");
        let mut resp = self.call(&req, HttpMethod::Get, None).await?;
        let too_large = JiraError::TooLarge { limit: max_bytes };
        if resp.content_length().is_some_and(|n| n > max_bytes) {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await? {
            if (body.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// `GET /rest/api/3/attachment/meta`: whether attachments are on, and the largest file the site accepts.
    pub async fn attachment_meta(&self) -> Result<AttachmentMeta, JiraError> {
        self.get_json(JiraRequest::new(JiraOp::AttachmentMeta))
            .await
    }

    /// `POST /rest/api/3/issue/{key}/attachments`: upload the file at `path` as `file_name`, streamed from disk (multipart
    /// part `file`, `X-Atlassian-Token: no-check`, as Jira requires). Returns what Jira created.
    #[tracing::instrument(skip_all, fields(issue, file_name))]
    pub async fn upload_attachment(
        &self,
        issue: &str,
        path: &std::path::Path,
        file_name: &str,
        mime: &str,
    ) -> Result<Attachment, JiraError> {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| JiraError::Decode(format!("cannot open {}: {e}", path.display())))?;
        let len = file
            .metadata()
            .await
            .map_err(|e| JiraError::Decode(format!("cannot read {}: {e}", path.display())))?
            .len();
        // Read in 256 KiB chunks: a plain `File` body reads 4 KiB at a time, about 130 MB/s (benches/upload.rs).
        let chunks = tokio_util::io::ReaderStream::with_capacity(file, UPLOAD_CHUNK);
        let body = reqwest::Body::wrap_stream(chunks);
        let part = reqwest::multipart::Part::stream_with_length(body, len)
            .file_name(file_name.to_owned())
            .mime_str(mime)
            .map_err(|e| JiraError::Decode(format!("bad MIME type {mime}: {e}")))?;
        let form = reqwest::multipart::Form::new().part("file", part);
        let req = JiraRequest::new(JiraOp::AddAttachment).param(issue);
        let url = self.url(&req)?;
        let auth = self.site.auth.authorization(&Method::POST, &url)?;
        let started = Instant::now();
        let sent = self
            .http
            .post(url)
            .header(AUTHORIZATION, auth)
            .header("X-Atlassian-Token", "no-check")
            .multipart(form)
            .send()
            .await;
        if let Some(m) = &self.metrics {
            let status = sent.as_ref().ok().map(|r| r.status().as_u16());
            m.jira_call("POST", status, started.elapsed());
        }
        let created: Vec<Attachment> = check_status(sent?, req.op())
            .await?
            .json()
            .await
            .map_err(|e| JiraError::Decode(e.to_string()))?;
        created
            .into_iter()
            .next()
            .ok_or_else(|| JiraError::Decode("Jira created no attachment".into()))
    }

    /// `DELETE /rest/api/3/attachment/{id}`; an attachment that is already gone counts as deleted.
    pub async fn delete_attachment(&self, id: &str) -> Result<(), JiraError> {
        let req = JiraRequest::new(JiraOp::RemoveAttachment).param(id);
        match self.call(&req, HttpMethod::Delete, None).await {
            Ok(_) | Err(JiraError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Send `req`, which must be a `method` call; a JSON `body` only with the fields the call declares. GET
    /// requests never carry a body: Jira answers 403 to a GET with a body.
    async fn call(
        &self,
        req: &JiraRequest,
        method: HttpMethod,
        body: Option<&Value>,
    ) -> Result<reqwest::Response, JiraError> {
        let declared = req.op().operation().method;
        if declared != method {
            return Err(JiraError::Undeclared(format!(
                "{} is a {declared} call, not {method}",
                req.op().id()
            )));
        }
        if let Some(body) = body {
            req.check_body(body)?;
        }
        let method = method.to_reqwest();
        let url = self.url(req)?;
        let auth = self.site.auth.authorization(&method, &url)?;
        let started = Instant::now();
        let mut builder = self
            .http
            .request(method.clone(), url)
            .header(AUTHORIZATION, auth);
        if let Some(body) = body {
            builder = builder.json(body);
        }
        let sent = builder.send().await;
        if let Some(m) = &self.metrics {
            let status = sent.as_ref().ok().map(|r| r.status().as_u16());
            m.jira_call(method.as_str(), status, started.elapsed());
        }
        check_status(sent?, req.op()).await
    }
}

async fn check_status(resp: reqwest::Response, op: JiraOp) -> Result<reqwest::Response, JiraError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body: String = resp
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(ERROR_BODY_CHARS)
        .collect();
    if refusal::is_scope_refusal(status, &body) {
        let operation = op.operation();
        return Err(JiraError::MissingScope {
            id: operation.id,
            method: operation.method.as_str(),
            path: operation.path,
            needs: operation.needs(),
            status,
            body,
        });
    }
    Err(match status {
        StatusCode::UNAUTHORIZED => JiraError::Unauthorized(body),
        StatusCode::FORBIDDEN => JiraError::Forbidden(body),
        StatusCode::NOT_FOUND => JiraError::NotFound(body),
        StatusCode::TOO_MANY_REQUESTS => JiraError::RateLimited { retry_after },
        StatusCode::SERVICE_UNAVAILABLE if retry_after.is_some() => {
            JiraError::RateLimited { retry_after }
        }
        _ => JiraError::Status { status, body },
    })
}
