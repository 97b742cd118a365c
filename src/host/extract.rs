//! Host-neutral extractors for the web layer: a route says which kind of call it takes, the adapter decides how the
//! caller proves it. UI calls come from Connect (context JWT) or Forge (`Authorization: Bearer` invocation token from
//! a UI module); iframe pages and webhooks only from Connect; Forge's events and schedules only from Forge.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
    response::{IntoResponse, Response},
};

use super::{
    Caller,
    connect::{Connect, jwt::QshRule},
    forge::{Forge, ForgeCall, Origin},
};
use crate::error::{AppError, AuthError};

/// A call Jira makes to a URL the app declared (iframe page, webhook): bound to this exact request.
#[derive(Clone, Debug)]
pub struct HostRequest(pub Caller);

/// A call from Clearance's own UI inside Jira (panel API): a short-lived token for the user, not bound to a URL.
#[derive(Clone, Debug)]
pub struct UiRequest(pub Caller);

/// A call Forge makes on its own (product event, scheduled trigger, lifecycle): a verified invocation from an
/// endpoint module, with no user.
#[derive(Clone, Debug)]
pub struct ForgeInvocation(pub ForgeCall);

/// Why a host extractor refused a call: the token's fault (401, the reason only logged) or ours while checking it
/// (500). The host's own rejection, answered as every other error is.
#[derive(Debug)]
pub struct Refused(pub AuthError);

impl From<AuthError> for Refused {
    fn from(e: AuthError) -> Self {
        Self(e)
    }
}

impl From<Refused> for AppError {
    fn from(r: Refused) -> Self {
        r.0.into()
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        AppError::from(self).into_response()
    }
}

async fn authenticate<S>(parts: &Parts, state: &S, rule: QshRule) -> Result<Caller, Refused>
where
    Connect: FromRef<S>,
{
    Ok(Connect::from_ref(state).authenticate(parts, rule).await?)
}

impl<S: Send + Sync> FromRequestParts<S> for HostRequest
where
    Connect: FromRef<S>,
{
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refused> {
        authenticate(parts, state, QshRule::Request).await.map(Self)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for UiRequest
where
    Connect: FromRef<S>,
    Forge: FromRef<S>,
{
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refused> {
        if Forge::is_forge_call(&parts.headers) {
            let call = Forge::from_ref(state)
                .authenticate(&parts.headers, Origin::Ui)
                .await?;
            return Ok(Self(call.caller));
        }
        authenticate(parts, state, QshRule::Context).await.map(Self)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ForgeInvocation
where
    Forge: FromRef<S>,
{
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Refused> {
        let call = Forge::from_ref(state)
            .authenticate(&parts.headers, Origin::Endpoint)
            .await?;
        Ok(Self(call))
    }
}
