//! How a bundle is protected, and the passphrases Clearance makes: 28 characters from a 32-letter alphabet
//! (140 bits), lower case, in groups of four (`k7qm-…`), with no characters that read alike (no `0`, `o`, `1` or `l`).

use std::fmt;

use aws_lc_rs::rand::SecureRandom as _;
use secrecy::{ExposeSecret, SecretString};

/// The passphrase alphabet: 32 characters, so each carries 5 bits.
const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// Characters in a generated passphrase (28 × 5 = 140 bits).
const CHARS: usize = 28;

/// Bundle protection.
pub enum Protection {
    /// age, scrypt passphrase (the default).
    AgePassphrase(SecretString),
    /// age to X25519 public keys: no password at all.
    AgeRecipients(Vec<age::x25519::Recipient>),
    /// AES-256 zip (WinZip AE-2), for 7-Zip and WinZip users.
    ZipAes(SecretString),
}

impl fmt::Debug for Protection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AgePassphrase(_) => f.write_str("AgePassphrase([redacted])"),
            Self::AgeRecipients(r) => write!(f, "AgeRecipients({} keys)", r.len()),
            Self::ZipAes(_) => f.write_str("ZipAes([redacted])"),
        }
    }
}

impl Protection {
    /// The name used in summaries and the manifest.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AgePassphrase(_) => "age",
            Self::AgeRecipients(_) => "age-recipients",
            Self::ZipAes(_) => "zip-aes",
        }
    }

    /// The file name suffix of the bundle.
    pub fn extension(&self) -> &'static str {
        match self {
            Self::ZipAes(_) => "zip",
            _ => "zip.age",
        }
    }
}

/// Parse age recipients (`age1…`), naming the one that is wrong.
pub fn parse_recipients(keys: &[String]) -> Result<Vec<age::x25519::Recipient>, String> {
    if keys.is_empty() {
        return Err("age-recipients needs at least one --recipient age1… public key".into());
    }
    keys.iter()
        .map(|k| {
            k.trim()
                .parse::<age::x25519::Recipient>()
                .map_err(|e| format!("recipient {k:?} is not an age X25519 public key: {e}"))
        })
        .collect()
}

/// A new passphrase with 140 bits of entropy, grouped for typing: `abcd-efgh-…` (34 characters with dashes).
pub fn generate_passphrase() -> Result<SecretString, String> {
    let mut random = [0u8; CHARS];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut random)
        .map_err(|_| "the system random number generator failed".to_owned())?;
    let mut out = String::with_capacity(CHARS + CHARS / 4);
    for (i, b) in random.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        // 256 is a multiple of 32, so taking the low five bits keeps every character equally likely.
        out.push(char::from(ALPHABET[usize::from(b & 31)]));
    }
    random.fill(0);
    Ok(SecretString::from(out))
}

/// Refuse passphrases a person chose that are too weak to protect personal data.
pub fn check_passphrase(p: &SecretString) -> Result<(), String> {
    if p.expose_secret().chars().count() < 16 {
        return Err("a chosen passphrase must have at least 16 characters; leave it out to get a generated one".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrases_are_long_grouped_and_distinct() -> Result<(), String> {
        let a = generate_passphrase()?;
        let b = generate_passphrase()?;
        let s = a.expose_secret();
        assert_eq!(s.len(), 34);
        assert_eq!(s.split('-').count(), 7);
        assert!(s.split('-').all(|g| g.len() == 4));
        assert!(s.bytes().all(|c| c == b'-' || ALPHABET.contains(&c)));
        assert_ne!(s, b.expose_secret());
        assert_eq!(format!("{:?}", Protection::ZipAes(a)), "ZipAes([redacted])");
        Ok(())
    }

    #[test]
    fn every_character_is_used() -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            seen.extend(generate_passphrase()?.expose_secret().bytes());
        }
        assert_eq!(seen.len(), 33, "32 letters and the dash");
        Ok(())
    }

    #[test]
    fn recipients_are_checked() {
        assert!(parse_recipients(&[]).is_err());
        let e = parse_recipients(&["age1nope".into()])
            .err()
            .unwrap_or_default();
        assert!(e.contains("age1nope"), "{e}");
        let key = age::x25519::Identity::generate().to_public().to_string();
        assert_eq!(parse_recipients(&[key]).map(|v| v.len()), Ok(1));
    }
}
