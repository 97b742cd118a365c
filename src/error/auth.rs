//! Why a host's request was not authenticated, or a tenant's Jira cannot be called. The reason is logged; the caller
//! only ever sees 401 (or 500 for our own failure).

/// A rejected token or lifecycle call. `Display` is the log line, never a response body.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No token in `Authorization: JWT …` or `?jwt=`.
    #[error("no JWT in the Authorization header or jwt query parameter")]
    MissingToken,
    /// Not a decodable JWT.
    #[error("malformed JWT: {0}")]
    Malformed(String),
    /// `alg` is not the one this route accepts (`none`, RS256 where HS256 is expected, …).
    #[error("JWT algorithm {found} not accepted here (expected {expected})")]
    Algorithm {
        /// Algorithm in the token header.
        found: String,
        /// Algorithm the route requires.
        expected: &'static str,
    },
    /// `iss` names no tenant we know.
    #[error("JWT issuer {0:?} is not an installed tenant")]
    UnknownTenant(String),
    /// The tenant exists but is uninstalled or disabled.
    #[error("tenant {client_key:?} is {state}")]
    TenantInactive {
        /// The tenant's clientKey.
        client_key: String,
        /// Its state.
        state: crate::tenant::TenantState,
    },
    /// The signature does not match the tenant's shared secret.
    #[error("JWT rejected: bad signature")]
    BadSignature,
    /// Expiry or a standard claim failed.
    #[error("JWT rejected: {0}")]
    Invalid(String),
    /// No `qsh` claim.
    #[error("JWT has no qsh claim")]
    MissingQsh,
    /// `qsh` does not match the request.
    #[error("qsh does not match the request (expected hash of {canonical:?})")]
    QshMismatch {
        /// Canonical request we computed.
        canonical: String,
    },
    /// A context token (`qsh = context-qsh`) on a route that needs a request-bound token.
    #[error("context token used on a route that requires a request-bound qsh")]
    ContextTokenNotAllowed,
    /// A request-bound token on a panel API route, which only accepts context tokens.
    #[error("panel API routes accept only context tokens (qsh = context-qsh)")]
    ContextTokenRequired,
    /// Lifecycle: `iss` is not the body's clientKey.
    #[error("JWT issuer {iss:?} does not match body clientKey {client_key:?}")]
    IssuerMismatch {
        /// `iss` claim.
        iss: String,
        /// `clientKey` in the body.
        client_key: String,
    },
    /// Lifecycle: install key could not be obtained.
    #[error("install key {kid:?}: {reason}")]
    InstallKey {
        /// Key id from the token header.
        kid: String,
        /// What went wrong.
        reason: String,
    },
    /// Lifecycle: the site's baseUrl is not an allowed Jira host.
    #[error("baseUrl {0:?} is not on an allowed Jira host (CLEARANCE_JIRA_HOSTS)")]
    HostNotAllowed(String),
    /// A stored secret could not be opened (wrong master key or tampering).
    #[error("tenant secret unavailable: {0}")]
    Secret(String),
    /// Forge's token-signing keys could not be read (our side, not the caller's).
    #[error("Forge signing keys unavailable: {0}")]
    KeysUnavailable(String),
    /// No live Forge system token is kept for the tenant (Forge hands them over only with its calls).
    #[error("{0}")]
    NoForgeToken(String),
    /// A Forge invocation token arrived but no Forge app id is configured.
    #[error("Forge invocation token refused: CLEARANCE_FORGE_APP_ID is not set")]
    ForgeOff,
    /// The store failed while authenticating.
    #[error("store error while authenticating: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl AuthError {
    /// Whether this is the server's fault (500) rather than the caller's (401).
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::Store(_) | Self::Secret(_) | Self::KeysUnavailable(_)
        )
    }
}

impl From<clearance_atlassian::TokenError> for AuthError {
    fn from(e: clearance_atlassian::TokenError) -> Self {
        use clearance_atlassian::TokenError as T;
        match e {
            T::Malformed(m) => Self::Malformed(m),
            T::Algorithm { found, expected } => Self::Algorithm { found, expected },
            T::BadSignature => Self::BadSignature,
            T::Invalid(m) => Self::Invalid(m),
            T::MissingQsh => Self::MissingQsh,
            T::QshMismatch { canonical } => Self::QshMismatch { canonical },
            T::ContextTokenNotAllowed => Self::ContextTokenNotAllowed,
            T::ContextTokenRequired => Self::ContextTokenRequired,
        }
    }
}

/// A refused token is 401 (the reason only logged); our own failure while checking it is 500.
impl From<AuthError> for super::AppError {
    fn from(e: AuthError) -> Self {
        if e.is_internal() {
            Self::Internal(anyhow::Error::new(e))
        } else {
            Self::Unauthorized(e.to_string())
        }
    }
}
