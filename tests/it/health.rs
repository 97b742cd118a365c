//! Health and readiness.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    helpers::{Backend, TestApp},
    on_each_backend,
};

on_each_backend!(health_and_readiness);

async fn health_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    // With the database closed, the app is alive but not ready.
    app.state.store.close().await;
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    app.cleanup().await;
}
