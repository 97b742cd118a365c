//! Host-neutral extractors for the web layer: a route says which kind of call it takes, the adapter decides how the
//! caller proves it. Today every call comes through Connect; a Forge front door adds its token kind here.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use super::{
    Caller,
    connect::{Connect, ContextAuth, QshAuth},
};
use crate::error::AppError;

/// A call Jira makes to a URL the app declared (iframe page, webhook): bound to this exact request.
#[derive(Clone, Debug)]
pub struct HostRequest(pub Caller);

/// A call from Clearance's own UI inside Jira (panel API): a short-lived token for the user, not bound to a URL.
#[derive(Clone, Debug)]
pub struct UiRequest(pub Caller);

impl<S> FromRequestParts<S> for HostRequest
where
    Connect: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        QshAuth::from_request_parts(parts, state)
            .await
            .map(|QshAuth(c)| Self(c))
    }
}

impl<S> FromRequestParts<S> for UiRequest
where
    Connect: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        ContextAuth::from_request_parts(parts, state)
            .await
            .map(|ContextAuth(c)| Self(c))
    }
}
