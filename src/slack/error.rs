//! `SlackError`: a failed Slack call sorted by what can be done about it (wait, fix the token or the app's scopes,
//! fix the channel, nothing), each with a message an admin can act on, and its mapping onto job retries.

use std::time::Duration;

use crate::jobs::{JobError, WaitingOn};

/// How long a job waits after Slack refused the bot token before it tries again: an admin has to paste a new token,
/// which takes a person, not a backoff (the runner clamps remote delays to 15 minutes too).
pub const AUTH_RETRY_AFTER: Duration = Duration::from_secs(900);

/// Slack error codes that say the request itself was malformed: sending it again cannot help.
const REQUEST_SHAPE_CODES: &[&str] = &[
    "invalid_arguments",
    "invalid_arg_name",
    "invalid_array_arg",
    "invalid_blocks",
    "invalid_blocks_format",
    "invalid_json",
    "json_not_object",
    "msg_too_long",
    "no_text",
    "too_many_users",
    "invalid_post_type",
];

/// The error codes Slack uses for a rate limit: `ratelimited` (the body of an HTTP 429, any method) and
/// `rate_limited` (documented for `chat.postMessage`, `chat.update`, `chat.scheduleMessage` and `chat.meMessage`:
/// "Application has posted too many messages"). Either means: wait, then try again.
pub(super) const RATE_LIMIT_CODES: &[&str] = &["ratelimited", "rate_limited"];

/// A failed Slack Web API call.
#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    /// HTTP 429: call again no sooner than `retry_after` (Slack's `Retry-After`, when it sent one).
    #[error("{}", rate_limited_message(*.retry_after))]
    RateLimited {
        /// The delay Slack asked for.
        retry_after: Option<Duration>,
    },
    /// Slack refused the bot token or its scopes (`invalid_auth`, `not_authed`, `token_revoked`, `token_expired`,
    /// `account_inactive`, `missing_scope`); an admin must act.
    #[error("{}", auth_message(code, needed.as_deref()))]
    Auth {
        /// Slack's error code.
        code: String,
        /// For `missing_scope`: the scope the method needs (Slack's `needed` field).
        needed: Option<String>,
    },
    /// Any other `{"ok": false, "error": code}`.
    #[error("{}", api_message(method, code))]
    Api {
        /// The Web API method called.
        method: &'static str,
        /// Slack's error code.
        code: String,
    },
    /// Slack could not be reached, timed out or answered with a server error.
    #[error("cannot reach Slack: {0}")]
    Transport(String),
    /// Slack answered something that is not the JSON its documentation promises.
    #[error("unexpected answer from Slack: {0}")]
    Decode(String),
}

/// The codes Slack uses for a token or app it will not serve.
pub(super) const AUTH_CODES: &[&str] = &[
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "account_inactive",
    "missing_scope",
];

/// An error and its sources on one line (reqwest's own message leaves out why the connection failed).
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn rate_limited_message(after: Option<Duration>) -> String {
    match after {
        Some(d) => format!(
            "Slack is rate limiting the app; retry after {} s",
            d.as_secs()
        ),
        None => "Slack is rate limiting the app; retry later".into(),
    }
}

const PASTE_NEW: &str = "an admin must paste a new bot token on Clearance's admin page";

fn auth_message(code: &str, needed: Option<&str>) -> String {
    match code {
        "token_revoked" => format!("the Slack token was revoked (token_revoked); {PASTE_NEW}"),
        "invalid_auth" => format!(
            "Slack does not accept the bot token (invalid_auth): it is mistyped, or the app was removed from the \
             workspace; {PASTE_NEW}"
        ),
        "not_authed" => format!("no Slack bot token was sent (not_authed); {PASTE_NEW}"),
        "token_expired" => format!(
            "the Slack token has expired (token_expired: token rotation is on for the Slack app); turn token \
             rotation off in the app's settings, then {PASTE_NEW}"
        ),
        "account_inactive" => format!(
            "the Slack app's bot user or workspace is deactivated (account_inactive); reinstall the app in Slack, \
             then {PASTE_NEW}"
        ),
        "missing_scope" => format!(
            "the Slack app lacks the scope {} (missing_scope); add it under OAuth & Permissions in the app's \
             settings, reinstall the app, then {PASTE_NEW}",
            needed.unwrap_or("the method needs")
        ),
        other => format!("Slack refused the bot token ({other}); {PASTE_NEW}"),
    }
}

fn api_message(method: &str, code: &str) -> String {
    let what = match code {
        "channel_not_found" => {
            "the channel does not exist or the app cannot see it (for a private channel, invite the app to it); an \
             admin can set the channel ID (C…) on Clearance's admin page"
        }
        "not_in_channel" => {
            "the app is not a member of the channel; invite it (/invite @your-app in the channel) or give it the \
             chat:write.public scope"
        }
        "is_archived" => {
            "the channel is archived; unarchive it or choose another on Clearance's admin page"
        }
        "users_not_found" | "user_not_found" => "Slack has no such user in this workspace",
        "user_disabled" => "the Slack user is deactivated",
        "cannot_dm_bot" => "the Slack user is a bot and cannot receive direct messages",
        "ratelimited" | "rate_limited" => "Slack is rate limiting the app; try again later",
        "fatal_error" | "internal_error" | "service_unavailable" | "request_timeout" => {
            "Slack had an internal problem; try again later"
        }
        _ => "",
    };
    if what.is_empty() {
        format!("Slack refused {method} ({code})")
    } else {
        format!("Slack refused {method} ({code}): {what}")
    }
}

impl SlackError {
    /// A short code for what went wrong: Slack's error code, or `rate_limited`, `unreachable`, `bad_response`.
    pub fn code(&self) -> &str {
        match self {
            Self::RateLimited { .. } => "rate_limited",
            Self::Auth { code, .. } | Self::Api { code, .. } => code,
            Self::Transport(_) => "unreachable",
            Self::Decode(_) => "bad_response",
        }
    }

    /// Whether only an admin can fix it (token or scopes), not time.
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Auth { .. })
    }

    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Transport(_) | Self::Decode(_) => true,
            Self::Api { code, .. } => {
                RATE_LIMIT_CODES.contains(&code.as_str())
                    || matches!(
                        code.as_str(),
                        "fatal_error"
                            | "internal_error"
                            | "service_unavailable"
                            | "request_timeout"
                    )
            }
            Self::Auth { .. } => false,
        }
    }
}

/// Rate limits (HTTP 429, or Slack's `ratelimited` / `rate_limited` codes) wait as long as Slack asked, without using
/// up a try. A refused token waits [`AUTH_RETRY_AFTER`] and is tried again: a new
/// token pasted meanwhile lets the job finish by itself, and after its last attempt the job is dead on the admin
/// page with the message saying what to do (a re-run then continues it). A malformed request is our bug and is
/// permanent. Everything else (channel problems, outages) is retried with backoff.
impl From<SlackError> for JobError {
    fn from(e: SlackError) -> Self {
        let error = e.to_string();
        match e {
            SlackError::RateLimited { retry_after } => Self::Wait {
                on: WaitingOn::Slack,
                after: retry_after,
            },
            SlackError::Api { code, .. } if RATE_LIMIT_CODES.contains(&code.as_str()) => {
                Self::Wait {
                    on: WaitingOn::Slack,
                    after: None,
                }
            }
            SlackError::Auth { .. } => Self::Retry {
                error,
                after: Some(AUTH_RETRY_AFTER),
            },
            SlackError::Api { code, .. } if REQUEST_SHAPE_CODES.contains(&code.as_str()) => {
                Self::Permanent(error)
            }
            _ => Self::Retry { error, after: None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(code: &str, needed: Option<&str>) -> SlackError {
        SlackError::Auth {
            code: code.into(),
            needed: needed.map(str::to_owned),
        }
    }

    #[test]
    fn messages_say_what_to_do() {
        let revoked = auth("token_revoked", None).to_string();
        assert!(revoked.contains("revoked") && revoked.contains("paste a new bot token"));
        let scope = auth("missing_scope", Some("users:read.email")).to_string();
        assert!(scope.contains("users:read.email") && scope.contains("reinstall"));
        let e = SlackError::Api {
            method: "chat.postMessage",
            code: "not_in_channel".into(),
        };
        assert!(e.to_string().contains("/invite"), "{e}");
        let e = SlackError::Api {
            method: "chat.postMessage",
            code: "weird_new_code".into(),
        };
        assert_eq!(
            e.to_string(),
            "Slack refused chat.postMessage (weird_new_code)"
        );
        let e = SlackError::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
        };
        assert!(e.to_string().contains("7 s"));
        assert_eq!(e.code(), "rate_limited");
    }

    #[test]
    fn job_errors_retry_with_the_right_delay() {
        let after = Some(Duration::from_secs(42));
        let job = JobError::from(SlackError::RateLimited { retry_after: after });
        assert!(
            matches!(job, JobError::Wait { on: WaitingOn::Slack, after: a } if a == after),
            "a rate limit waits without using up a try"
        );
        for code in RATE_LIMIT_CODES {
            let job = JobError::from(SlackError::Api {
                method: "chat.postMessage",
                code: (*code).into(),
            });
            assert!(
                matches!(
                    job,
                    JobError::Wait {
                        on: WaitingOn::Slack,
                        after: None
                    }
                ),
                "{code}"
            );
        }
        for code in AUTH_CODES {
            let job = JobError::from(auth(code, None));
            assert!(
                matches!(job, JobError::Retry { after: Some(a), .. } if a == AUTH_RETRY_AFTER),
                "{code}"
            );
        }
        let api = |code: &str| SlackError::Api {
            method: "chat.postMessage",
            code: code.into(),
        };
        assert!(matches!(
            JobError::from(api("channel_not_found")),
            JobError::Retry { after: None, .. }
        ));
        assert!(matches!(
            JobError::from(api("invalid_blocks")),
            JobError::Permanent(_)
        ));
        let job = JobError::from(SlackError::Transport("timed out".into()));
        assert!(matches!(job, JobError::Retry { after: None, .. }));
    }

    #[test]
    fn transient_or_not() {
        assert!(SlackError::Transport("x".into()).is_transient());
        assert!(!auth("invalid_auth", None).is_transient());
        assert!(auth("invalid_auth", None).is_auth());
        let down = SlackError::Api {
            method: "auth.test",
            code: "service_unavailable".into(),
        };
        assert!(down.is_transient());
        for code in ["ratelimited", "rate_limited"] {
            let limited = SlackError::Api {
                method: "chat.postMessage",
                code: code.into(),
            };
            assert!(limited.is_transient(), "{code}");
            assert!(limited.to_string().contains("rate limiting"), "{limited}");
        }
    }
}
