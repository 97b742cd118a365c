//! The `extract` job: runs the approved plan of a request in `extracting` — only while its digest is still the
//! approved one — through the delivery's stages (build, upload), resuming from the stage the delivery row records.
//! A plan that cannot run or a bundle that cannot be attached fails the request with the reason; passing trouble is
//! retried, and the last try fails the request rather than leaving it `extracting`. Jira's rate limits are waited
//! out without using up a try, for as long as `job_wait_budget_mins` allows.

use chrono::Utc;

use super::{Failure, build, state::DeliveryState, upload};
use crate::jobs::{RunJob, kinds::Extract};
use crate::{
    jobs::{JobError, WaitingOn},
    requests::Context,
    requests::{
        active_tenant, commands,
        machine::SystemEvent,
        plan::{Encryption, Plan},
        state::State,
    },
    store::{DeliveryRow, JobRow, RequestRow},
};

impl RunJob<Context> for Extract {
    async fn run(self, ctx: Context, row: JobRow) -> Result<(), JobError> {
        run(ctx, self, row).await
    }
}

/// Run one try.
pub async fn run(app: Context, p: Extract, job: JobRow) -> Result<(), JobError> {
    let Some(stored) = active_tenant(&app.store, &p.tenant_id).await? else {
        return Ok(());
    };
    let Some(row) = app.store.request(&p.tenant_id, &p.request_id).await? else {
        return Ok(());
    };
    if row.state != State::Extracting {
        return Ok(()); // cancelled or failed meanwhile
    }
    let digest = match (&row.approved_digest, &row.plan_digest) {
        (Some(a), Some(p)) if a == p => a.clone(),
        _ => {
            return fail(
                &app,
                &row,
                None,
                "the plan no longer matches what was approved; submit it again",
            )
            .await;
        }
    };
    let Some(plan) = row
        .plan
        .as_deref()
        .and_then(|p| serde_json::from_str::<Plan>(p).ok())
    else {
        return fail(
            &app,
            &row,
            None,
            "the stored plan cannot be read; save it again",
        )
        .await;
    };
    let mut d = current_delivery(&app, &row, &digest, &plan).await?;
    let last_try = job.last_try();
    let mut rebuilt = false;
    loop {
        let step = match d.state {
            DeliveryState::Building => build::build(&app, &stored, &row, &plan, &mut d).await,
            DeliveryState::Built => upload::upload(&app, &stored, &row, &mut d).await,
            _ => return Ok(()), // uploaded: the deliver_secret job carries on
        };
        match step {
            Ok(()) => {}
            Err(Failure::Rebuild(why)) if !rebuilt => {
                tracing::warn!(delivery = %d.id, %why, "building the bundle again");
                rebuilt = true;
                d.state = DeliveryState::Building;
                save(&app, &d).await?;
            }
            Err(Failure::Stopped(stopped)) => return stop(&app, &row, &mut d, *stopped).await,
            Err(Failure::Plan(m) | Failure::Delivery(m) | Failure::Rebuild(m)) => {
                return fail(&app, &row, Some(&mut d), &m).await;
            }
            Err(Failure::Source(m) | Failure::Retry(m)) if last_try => {
                let reason = format!("gave up after {} tries: {m}", job.tries());
                return fail(&app, &row, Some(&mut d), &reason).await;
            }
            // A rate limit is Jira asking to wait, not a failure: it uses up no try, only the wait budget.
            Err(Failure::RateLimited(_)) if job.waited_out(app.cfg.job_wait_budget, Utc::now()) => {
                let reason = format!(
                    "Jira kept asking Clearance to wait (rate limit) for {} minutes; extract again when Jira is less \
                     busy",
                    app.cfg.job_wait_budget.as_secs().div_ceil(60)
                );
                return fail(&app, &row, Some(&mut d), &reason).await;
            }
            Err(Failure::Source(error) | Failure::Retry(error)) => {
                return Err(JobError::Retry { error, after: None });
            }
            Err(Failure::RateLimited(after)) => {
                return Err(JobError::Wait {
                    on: WaitingOn::Jira,
                    after,
                });
            }
        }
    }
}

async fn save(app: &Context, d: &DeliveryRow) -> Result<(), JobError> {
    let mut tx = app.store.begin().await?;
    tx.save_delivery(d).await?;
    tx.commit().await?;
    Ok(())
}

/// The live delivery of this digest (a previous try's), or a new one.
async fn current_delivery(
    app: &Context,
    row: &RequestRow,
    digest: &str,
    plan: &Plan,
) -> Result<DeliveryRow, JobError> {
    let existing = app
        .store
        .request_deliveries(&row.tenant_id, &row.id)
        .await?
        .into_iter()
        .find(|d| {
            d.digest == digest
                && matches!(
                    d.state,
                    DeliveryState::Building | DeliveryState::Built | DeliveryState::Uploaded
                )
        });
    if let Some(d) = existing {
        return Ok(d);
    }
    let id = uuid::Uuid::now_v7().simple().to_string();
    let (ext, encryption) = match plan.encryption {
        Encryption::Age => ("zip.age", "age"),
        Encryption::AgeRecipients => ("zip.age", "age-recipients"),
        Encryption::ZipAes => ("zip", "zip-aes"),
    };
    let now = Utc::now();
    let file_name = format!(
        "{}-{}-{}.{ext}",
        row.issue_key,
        now.format("%Y%m%d"),
        &id[id.len() - 8..]
    );
    let d = DeliveryRow::building(id, row, digest, file_name, encryption, now);
    let mut tx = app.store.begin().await?;
    tx.insert_delivery(&d).await?;
    tx.commit().await?;
    Ok(d)
}

/// Send the request back to a privacy officer with the whole-result findings (the bundle is already destroyed).
async fn stop(
    app: &Context,
    row: &RequestRow,
    d: &mut DeliveryRow,
    stopped: super::Stopped,
) -> Result<(), JobError> {
    tracing::warn!(request = %row.id, reason = %stopped.reason, "delivery stopped by the whole-result scan");
    let reason = stopped.reason.clone();
    let event = SystemEvent::ScanStopped {
        reason: stopped.reason,
        detail: stopped.detail,
        scan: stopped.scan,
    };
    end(app, row, Some(d), &event, &reason).await
}

/// Fail the request (and the delivery, if any) with `reason`, audited; remove the work folder.
async fn fail(
    app: &Context,
    row: &RequestRow,
    delivery: Option<&mut DeliveryRow>,
    reason: &str,
) -> Result<(), JobError> {
    tracing::info!(request = %row.id, %reason, "extraction failed");
    let event = SystemEvent::Fail {
        reason: reason.to_owned(),
    };
    end(app, row, delivery, &event, reason).await
}

/// End an extraction that will not deliver: `event` moves the request on (audited), the delivery fails with
/// `reason`, its secret is dropped and its work folder removed.
async fn end(
    app: &Context,
    row: &RequestRow,
    delivery: Option<&mut DeliveryRow>,
    event: &SystemEvent,
    reason: &str,
) -> Result<(), JobError> {
    let mut tx = app.store.begin().await?;
    let Some(locked) = tx
        .lock_request_by_issue(&row.tenant_id, &row.issue_id)
        .await?
    else {
        return Ok(());
    };
    if let Err(e) = commands::observe(&mut tx, &locked, event, "clearance").await {
        tracing::info!(request = %row.id, error = %e, "the request is no longer extracting");
    }
    if let Some(d) = delivery {
        d.state = DeliveryState::Failed;
        d.error = Some(reason.to_owned());
        d.secret_sealed = None;
        tx.save_delivery(d).await?;
        let _ = std::fs::remove_dir_all(app.cfg.work_dir.join(&d.id));
    }
    tx.commit().await?;
    Ok(())
}
