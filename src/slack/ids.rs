//! Slack's identifiers and the bot token, parsed at the edge: user ids (`U…`/`W…`), conversation ids (`C…`, `G…`,
//! `D…`), user-group ids (`S…`), message timestamps, and the `xoxb-` token whose `Debug` never shows it.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// Whether `s` is `prefix` then upper-case letters and digits, 9 to 24 characters in all (Slack's ids today are 9
/// to 11; the upper bound leaves room for longer ones).
fn slack_id(s: &str, prefixes: &[char]) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| prefixes.contains(&c))
        && (9..=24).contains(&s.len())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

macro_rules! slack_id_type {
    ($(#[$doc:meta])* $name:ident, $prefixes:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id, if `s` (trimmed) has the shape Slack gives this kind of id.
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                slack_id(s, $prefixes).then(|| Self(s.to_owned()))
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slack_id_type!(
    /// A Slack user: `U…`, or `W…` in Enterprise Grid.
    SlackUserId,
    &['U', 'W']
);
slack_id_type!(
    /// A conversation: public channel `C…`, private channel or group DM `G…`, DM `D…`.
    ChannelId,
    &['C', 'G', 'D']
);
slack_id_type!(
    /// A user group (mentioned as `<!subteam^S…>`).
    UserGroupId,
    &['S']
);

/// A posted message's timestamp (`1700000000.000100`), its id within the conversation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct MessageTs(pub String);

/// A bot token (`xoxb-…`). `Debug` shows `BotToken(..)`.
#[derive(Clone)]
pub struct BotToken(SecretString);

impl fmt::Debug for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BotToken(..)")
    }
}

impl BotToken {
    /// A token as stored (already checked when it was saved).
    pub fn from_stored(token: SecretString) -> Self {
        Self(token)
    }

    /// A token pasted by an admin: a bot token (`xoxb-`, letters, digits and `-`, at most 255 characters), or what is
    /// wrong with it (never echoing it).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let t = raw.trim();
        if t.starts_with("xoxp-") || t.starts_with("xoxe.") || t.starts_with("xapp-") {
            return Err(
                "this is not a bot token; paste the Bot User OAuth Token (xoxb-…) from OAuth & Permissions in the \
                 Slack app's settings",
            );
        }
        let shape = t.len() <= 255
            && t.len() > "xoxb-".len()
            && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !t.starts_with("xoxb-") || !shape {
            return Err(
                "not a Slack bot token; paste the Bot User OAuth Token (xoxb-…) from OAuth & Permissions in the \
                 Slack app's settings",
            );
        }
        Ok(Self(SecretString::from(t)))
    }

    /// The token, for the `Authorization` header and for sealing.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_slack_shapes() {
        assert!(SlackUserId::parse("U0A1B2C3D4").is_some());
        assert!(SlackUserId::parse(" W012A3CDE ").is_some());
        for bad in [
            "",
            "U1",
            "u0a1b2c3d4",
            "C0A1B2C3D4",
            "U0A1B2C3D4<!channel>",
            "U0A1B2-C3D4",
        ] {
            assert!(SlackUserId::parse(bad).is_none(), "{bad}");
        }
        assert!(ChannelId::parse("C0A1B2C3D4").is_some());
        assert!(ChannelId::parse("#general").is_none());
        assert!(UserGroupId::parse("S0614TZR7").is_some());
        assert!(UserGroupId::parse("U0614TZR7").is_none());
    }

    #[test]
    fn bot_tokens_are_checked_and_never_shown() {
        let t = BotToken::parse(" xoxb-123-456-abcDEF ").unwrap();
        assert_eq!(t.expose(), "xoxb-123-456-abcDEF");
        assert_eq!(format!("{t:?}"), "BotToken(..)");
        assert!(
            BotToken::parse("xoxp-1-2")
                .unwrap_err()
                .contains("not a bot token")
        );
        assert!(BotToken::parse("xoxb-").is_err());
        assert!(BotToken::parse("xoxb-a b").is_err());
        let err = BotToken::parse("hunter2").unwrap_err();
        assert!(!err.contains("hunter2"));
    }
}
