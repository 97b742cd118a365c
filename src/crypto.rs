//! Secrets at rest: XChaCha20-Poly1305 under a master key, with a key id in every sealed value so keys can rotate.
//!
//! A sealed value is `v1.<kid>.<nonce>.<ciphertext>` (base64url). The associated data names what the secret is and
//! whose it is (for example `tenant:<clientKey>:shared_secret`), so a sealed value copied onto another row or column
//! does not decrypt.

use std::fmt;

use base64::{
    Engine, engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD as B64,
};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const VERSION: &str = "v1";
const KEY_LEN: usize = 32;

/// Why a secret could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A configured key is not 32 bytes of base64.
    #[error("a master key must be 32 random bytes in base64 ({0})")]
    BadKey(String),
    /// The stored value is not in the sealed format.
    #[error("stored secret is not in the sealed format")]
    Malformed,
    /// The value was sealed under a key that is not configured.
    #[error(
        "stored secret was sealed with master key {0}, which is not configured (add it to CLEARANCE_PREVIOUS_MASTER_KEYS)"
    )]
    UnknownKey(String),
    /// Authentication failed: wrong key, tampered value, or a value moved from another row.
    #[error("stored secret failed authentication (tampered, or moved from another record)")]
    Tampered,
}

struct MasterKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

/// The current master key (used to seal) and previous ones (still accepted to open, for rotation).
#[derive(Clone)]
pub struct MasterKeys {
    keys: std::sync::Arc<Vec<MasterKey>>,
}

impl fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        write!(f, "MasterKeys(current={}, all={ids:?})", ids[0])
    }
}

impl MasterKeys {
    /// Parse the current key and any previous keys (each base64 of 32 bytes).
    pub fn parse(current: &str, previous: &[String]) -> Result<Self, CryptoError> {
        let mut keys = vec![MasterKey::parse(current)?];
        for p in previous {
            let key = MasterKey::parse(p)?;
            if keys.iter().all(|k| k.id != key.id) {
                keys.push(key);
            }
        }
        Ok(Self {
            keys: std::sync::Arc::new(keys),
        })
    }

    /// A fresh random key, base64-encoded, for `clearance keygen`.
    pub fn generate() -> SecretString {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        SecretString::from(STANDARD.encode(key))
    }

    /// Id of the key new secrets are sealed with.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Encrypt `plaintext`, bound to `context` (what and whose the secret is).
    pub fn seal(&self, context: &str, plaintext: &str) -> String {
        let key = &self.keys[0];
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = key
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        format!(
            "{VERSION}.{}.{}.{}",
            key.id,
            B64.encode(nonce),
            B64.encode(ciphertext)
        )
    }

    /// Decrypt a value produced by [`seal`](Self::seal) with the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<SecretString, CryptoError> {
        let mut parts = sealed.split('.');
        let (Some(VERSION), Some(kid), Some(nonce), Some(ct), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(CryptoError::Malformed);
        };
        let key = self
            .keys
            .iter()
            .find(|k| k.id == kid)
            .ok_or_else(|| CryptoError::UnknownKey(kid.to_owned()))?;
        let nonce = B64.decode(nonce).map_err(|_| CryptoError::Malformed)?;
        if nonce.len() != 24 {
            return Err(CryptoError::Malformed);
        }
        let ct = B64.decode(ct).map_err(|_| CryptoError::Malformed)?;
        let plain = Zeroizing::new(
            key.cipher
                .decrypt(
                    XNonce::from_slice(&nonce),
                    Payload {
                        msg: &ct,
                        aad: context.as_bytes(),
                    },
                )
                .map_err(|_| CryptoError::Tampered)?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| CryptoError::Malformed)?;
        Ok(SecretString::from(text))
    }

    /// Whether `sealed` was sealed with the current key (rotation skips those).
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed.split('.').nth(1) == Some(self.current_id())
    }
}

impl MasterKey {
    fn parse(encoded: &str) -> Result<Self, CryptoError> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(encoded.trim())
                .map_err(|_| CryptoError::BadKey("not valid base64".into()))?,
        );
        if bytes.len() != KEY_LEN {
            return Err(CryptoError::BadKey(format!("got {} bytes", bytes.len())));
        }
        // The id names the key without revealing it: a hash under a fixed label, 8 hex digits.
        let mut h = Sha256::new();
        h.update(b"clearance master key id\0");
        h.update(&bytes[..]);
        let id = hex::encode(&h.finalize()[..4]);
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes)
            .map_err(|_| CryptoError::BadKey("bad length".into()))?;
        Ok(Self { id, cipher })
    }
}

/// The associated data for a tenant's shared secret: binds the sealed value to its clientKey.
pub fn tenant_secret_context(client_key: &str) -> String {
    format!("tenant:{client_key}:shared_secret")
}

/// The associated data for a data source's connection URL: binds the sealed value to its tenant and source id, so a
/// value copied onto another source (of this or another tenant) does not open.
pub fn data_source_url_context(tenant_id: &str, source_id: &str) -> String {
    format!("data_source:{tenant_id}:{source_id}:url")
}

/// The associated data for a delivery's passphrase: binds it to its tenant and delivery.
pub fn delivery_secret_context(tenant_id: &str, delivery_id: &str) -> String {
    format!("delivery:{tenant_id}:{delivery_id}:secret")
}

/// The associated data for a tenant's Slack bot token: binds the sealed value to its tenant (one token per tenant).
pub fn slack_token_context(tenant_id: &str) -> String {
    format!("slack:{tenant_id}:bot_token")
}

/// The associated data for a Forge installation's app system token: binds the sealed value to its tenant.
pub fn forge_token_context(tenant_id: &str) -> String {
    format!("clearance-forge-system-token:{tenant_id}")
}

/// The associated data for a tenant's erasure salt (the key of its data subjects' hashes): binds the sealed value to
/// its tenant, so a salt copied onto another tenant does not open.
pub fn erasure_salt_context(tenant_id: &str) -> String {
    format!("tenant:{tenant_id}:erasure_salt")
}

/// Whether `value` has the shape of a sealed value (`v1.<kid>.<nonce>.<ciphertext>`). Says nothing about whether it
/// opens; it tells a sealed value from one stored in clear before its column was sealed.
pub fn looks_sealed(value: &str) -> bool {
    let b64 = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let mut parts = value.split('.');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(VERSION), Some(kid), Some(nonce), Some(ct), None)
            if kid.len() == 8 && kid.bytes().all(|b| b.is_ascii_hexdigit()) && b64(nonce) && b64(ct)
    )
}

/// Convenience for call sites that hold a `SecretString`.
pub fn seal_secret(keys: &MasterKeys, context: &str, secret: &SecretString) -> String {
    keys.seal(context, secret.expose_secret())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> MasterKeys {
        MasterKeys::parse(MasterKeys::generate().expose_secret(), &[]).unwrap()
    }

    #[test]
    fn round_trip() {
        let k = keys();
        let sealed = k.seal("tenant:a:shared_secret", "s3cret");
        assert!(!sealed.contains("s3cret"));
        assert_eq!(
            k.open("tenant:a:shared_secret", &sealed)
                .unwrap()
                .expose_secret(),
            "s3cret"
        );
    }

    #[test]
    fn context_binds_the_value_to_its_row() {
        let k = keys();
        let sealed = k.seal("tenant:a:shared_secret", "s3cret");
        assert!(matches!(
            k.open("tenant:b:shared_secret", &sealed),
            Err(CryptoError::Tampered)
        ));
    }

    #[test]
    fn tampering_is_detected() {
        let k = keys();
        let sealed = k.seal("c", "s3cret");
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(k.open("c", &String::from_utf8(bytes).unwrap()).is_err());
        assert!(matches!(
            k.open("c", "plaintext"),
            Err(CryptoError::Malformed)
        ));
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let old = MasterKeys::generate();
        let new = MasterKeys::generate();
        let before = MasterKeys::parse(old.expose_secret(), &[]).unwrap();
        let sealed = before.seal("c", "v");
        let after =
            MasterKeys::parse(new.expose_secret(), &[old.expose_secret().to_string()]).unwrap();
        assert!(!after.is_current(&sealed));
        assert_eq!(after.open("c", &sealed).unwrap().expose_secret(), "v");
        let only_new = MasterKeys::parse(new.expose_secret(), &[]).unwrap();
        assert!(matches!(
            only_new.open("c", &sealed),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn sealed_values_are_told_from_clear_ones() {
        let k = keys();
        assert!(looks_sealed(&k.seal("c", "v")));
        // A salt written in clear before salts were sealed (groups of a base32 alphabet joined by dashes).
        assert!(!looks_sealed("abcd-efgh-2345-6789"));
        for clear in [
            "",
            "plaintext",
            "v1.",
            "v1.abc.d.e",
            "v1.0123abcd.n",
            "v2.0123abcd.n.c",
            "v1.0123abcd.n.c.x",
        ] {
            assert!(!looks_sealed(clear), "{clear}");
        }
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(MasterKeys::parse("short", &[]).is_err());
        assert!(MasterKeys::parse(&STANDARD.encode([0u8; 16]), &[]).is_err());
    }
}
