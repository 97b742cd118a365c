//! Why a token was refused: what the token code itself can tell (the host adds what needs a tenant or a store).

/// A refused token. `Display` is a log line, never a response body.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
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
    /// The signature does not match the key.
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
    /// A request-bound token on a route that only accepts context tokens.
    #[error("panel API routes accept only context tokens (qsh = context-qsh)")]
    ContextTokenRequired,
}
