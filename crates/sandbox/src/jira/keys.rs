//! The simulator's install key: an RSA key pair generated per sandbox, a `kid`, RS256 signing of lifecycle tokens,
//! and the key server route that serves the public key as Atlassian's `connect-install-keys` does.

use std::sync::Arc;

use aws_lc_rs::{
    encoding::AsDer,
    rsa::{KeyPair, KeySize},
};
use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde::{Deserialize, Serialize};

/// An install key pair and its id.
#[derive(Clone)]
pub struct SimKeys {
    inner: Arc<Stored>,
}

/// The serializable form (PEM), so a demo restart keeps its kid.
#[derive(Clone, Serialize, Deserialize)]
pub struct Stored {
    /// Key id (a UUID, as Atlassian's are).
    pub kid: String,
    /// PKCS#8 private key PEM.
    pub private_pem: String,
    /// SubjectPublicKeyInfo public key PEM.
    pub public_pem: String,
}

impl SimKeys {
    /// A fresh 2048-bit key with a new kid.
    pub fn generate() -> anyhow::Result<Self> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| anyhow::anyhow!("RSA key generation failed"))?;
        let private = pair
            .as_der()
            .map_err(|_| anyhow::anyhow!("cannot encode private key"))?;
        let public = aws_lc_rs::signature::KeyPair::public_key(&pair)
            .as_der()
            .map_err(|_| anyhow::anyhow!("cannot encode public key"))?;
        Ok(Self::from_stored(Stored {
            kid: uuid::Uuid::new_v4().to_string(),
            private_pem: pem::encode(&pem::Pem::new("PRIVATE KEY", private.as_ref().to_vec())),
            public_pem: pem::encode(&pem::Pem::new("PUBLIC KEY", public.as_ref().to_vec())),
        }))
    }

    /// Keys restored from a saved demo.
    pub fn from_stored(stored: Stored) -> Self {
        Self {
            inner: Arc::new(stored),
        }
    }

    /// The serializable form.
    pub fn stored(&self) -> &Stored {
        &self.inner
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.inner.kid
    }

    /// Sign `claims` with RS256 and this kid, as Atlassian signs install/uninstall callbacks.
    pub fn sign(&self, claims: &impl Serialize) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.inner.kid.clone());
        let key = EncodingKey::from_rsa_pem(self.inner.private_pem.as_bytes())?;
        Ok(encode(&header, claims, &key)?)
    }

    /// `GET {prefix}/{kid}`: the public key PEM, or 404 for any other kid.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/{kid}", get(serve_key))
            .with_state(self.clone())
    }
}

async fn serve_key(State(keys): State<SimKeys>, Path(kid): Path<String>) -> Response {
    if kid == keys.inner.kid {
        (
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            keys.inner.public_pem.clone(),
        )
            .into_response()
    } else {
        (StatusCode::NOT_FOUND, "Not Found").into_response()
    }
}
