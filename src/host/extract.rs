//! Host-neutral extractors for the web layer: a route says which kind of call it takes, the adapter decides how the
//! caller proves it. Today every call comes through Connect; a Forge front door adds its token kind here.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};

use super::{
    Caller,
    connect::{Connect, jwt::QshRule},
};
use crate::error::AppError;

/// A call Jira makes to a URL the app declared (iframe page, webhook): bound to this exact request.
#[derive(Clone, Debug)]
pub struct HostRequest(pub Caller);

/// A call from Clearance's own UI inside Jira (panel API): a short-lived token for the user, not bound to a URL.
#[derive(Clone, Debug)]
pub struct UiRequest(pub Caller);

async fn authenticate<S>(parts: &Parts, state: &S, rule: QshRule) -> Result<Caller, AppError>
where
    Connect: FromRef<S>,
{
    Ok(Connect::from_ref(state).authenticate(parts, rule).await?)
}

impl<S: Send + Sync> FromRequestParts<S> for HostRequest
where
    Connect: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        authenticate(parts, state, QshRule::Request).await.map(Self)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for UiRequest
where
    Connect: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        authenticate(parts, state, QshRule::Context).await.map(Self)
    }
}
