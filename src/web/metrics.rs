//! `GET /metrics`: Prometheus scrape endpoint, behind a bearer token when `CLEARANCE_METRICS_TOKEN` is set.

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use secrecy::ExposeSecret;

use crate::{
    error::{AppError, Result},
    web::AppState,
};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(State(app): State<AppState>, headers: HeaderMap) -> Result<Response> {
    if let Some(token) = &app.cfg.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let expected = token.expose_secret().as_bytes();
        let same = given.len() == expected.len()
            && aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), expected)
                .is_ok();
        if !same {
            let mut resp =
                (StatusCode::UNAUTHORIZED, "metrics need the bearer token\n").into_response();
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return Ok(resp);
        }
    }
    let body = app
        .metrics
        .render(&app.store)
        .await
        .map_err(AppError::Internal)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response())
}
