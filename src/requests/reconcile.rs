//! The `reconcile` job: Jira webhooks are best-effort, so per tenant a bounded JQL search (trigger label, updated
//! in the recent window, paged with `nextPageToken`) and every still-open request are synced again. What a dropped
//! webhook missed converges here.

use crate::jobs::{
    RunJob,
    kinds::{Reconcile, SyncIssue},
};
use crate::{
    jobs::JobError,
    requests::Context,
    store::{JobRow, Store, StoreError},
};

/// How far back each run looks, in minutes (runs are more frequent than this, so windows overlap).
const WINDOW_MINUTES: u32 = 60;
/// Page size for the search (ids only, so Jira allows large pages).
const PAGE: u32 = 500;
/// Pages per run at most (bounded work; the next run continues).
const MAX_PAGES: usize = 20;

/// A JQL string literal.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The bounded search for recently updated requests of a tenant.
pub fn jql(label: &str, projects: Option<&str>) -> String {
    let mut q = format!(
        "labels = {} AND updated >= -{WINDOW_MINUTES}m",
        quote(label)
    );
    if let Some(list) = projects.filter(|p| !p.trim().is_empty()) {
        let keys: Vec<String> = list.split(',').map(|k| quote(k.trim())).collect();
        q.push_str(&format!(" AND project in ({})", keys.join(", ")));
    }
    q.push_str(" ORDER BY updated ASC");
    q
}

impl RunJob<Context> for Reconcile {
    async fn run(self, ctx: Context, row: JobRow) -> Result<(), JobError> {
        run(ctx, self, row).await
    }
}

/// Run one reconciliation for a tenant.
pub async fn run(app: Context, p: Reconcile, _job: JobRow) -> Result<(), JobError> {
    let store = &app.store;
    let Some(stored) = super::active_tenant(store, &p.tenant_id).await? else {
        return Ok(());
    };
    let (label, projects) = store
        .tenant_trigger(&p.tenant_id)
        .await?
        .unwrap_or(("data-request".into(), None));
    let jira = app.jira_for(&stored).await?;
    let query = jql(&label, projects.as_deref());
    let mut token: Option<String> = None;
    let mut found = 0usize;
    for _ in 0..MAX_PAGES {
        let page = jira
            .search_issue_ids(&query, PAGE, token.as_deref())
            .await?;
        for id in &page.issue_ids {
            store.enqueue_job(&SyncIssue::job(&p.tenant_id, id)).await?;
            found += 1;
        }
        token = page.next_page_token;
        if page.is_last || token.is_none() {
            break;
        }
    }
    // Open requests whose label may have been removed (the search above cannot see those).
    let open = store.requests(&p.tenant_id).await?;
    for r in open.iter().filter(|r| r.state.is_open()) {
        store
            .enqueue_job(&SyncIssue::job(&p.tenant_id, &r.issue_id))
            .await?;
    }
    tracing::info!(tenant = %stored.tenant.client_key, found, "reconciled");
    Ok(())
}

/// Enqueue a reconciliation for every active tenant (at most one queued per tenant).
pub async fn schedule_all(store: &Store) -> Result<usize, StoreError> {
    let mut n = 0;
    for tenant_id in store.active_tenant_ids().await? {
        if store
            .enqueue_job(&Reconcile::job(&tenant_id))
            .await?
            .is_some()
        {
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    #[test]
    fn bounded_query_with_quoting() {
        assert_eq!(
            super::jql("data-request", None),
            "labels = \"data-request\" AND updated >= -60m ORDER BY updated ASC"
        );
        assert_eq!(
            super::jql("a\"b", Some("DATA, OPS")),
            "labels = \"a\\\"b\" AND updated >= -60m AND project in (\"DATA\", \"OPS\") ORDER BY updated ASC"
        );
    }
}
