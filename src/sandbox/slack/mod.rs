//! Slack simulator: Web API methods, incoming webhooks and a per-user inbox page.
