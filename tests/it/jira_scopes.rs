//! Scopes: the descriptor and the manifest declare exactly what Clearance's Jira calls need, and the simulator
//! refuses each call as Jira does when the installed descriptor (Connect: 403) or manifest (Forge, at the gateway:
//! 401) lacks a scope — every declared scope is taken away in turn and the calls that need it fail, the others
//! still work. Without `ACCESS_EMAIL_ADDRESSES` the Slack e-mail lookup surfaces an error a site admin can act on.

use std::collections::BTreeSet;

use clearance::{
    host::connect::descriptor,
    jira::{
        FORGE_PLATFORM_SCOPES, IssueId, JiraClient, JiraError, JiraOp, RequestProperty,
        scopes::ConnectScope,
    },
    jobs::JobError,
    slack::{DeliveryError, identity},
    tenant::Tenant,
};
use clearance_sandbox::jira::{
    ForgeRemote, JiraSim,
    forge_scopes::{CLEARANCE_MANIFEST, SYSTEM_TOKEN_SCOPE, manifest_scopes},
    people,
    scopes::descriptor_scopes,
};
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    forge_flow::{World, forge_world_with},
    helpers::Backend,
    on_each_backend,
    sandbox_jira::{site_and_app, wait_for},
    slack::Env,
};

on_each_backend!(
    connect_refuses_each_missing_scope,
    forge_refuses_each_missing_scope,
    forge_sends_no_system_token_without_its_scope,
    email_refusal_is_reported_not_taken_for_no_email,
);

#[test]
fn descriptor_declares_exactly_what_the_calls_need() {
    let d = descriptor::render("https://clearance.example.com", "clearance").unwrap();
    let names: Vec<&str> = d["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let declared = descriptor_scopes(&d);
    assert_eq!(
        names.len(),
        declared.len(),
        "unknown or repeated scopes in {names:?}"
    );
    assert_eq!(
        declared,
        JiraOp::connect_scopes(),
        "descriptor scopes {names:?}"
    );
    for op in JiraOp::ALL {
        assert!(op.operation().connect_granted(&declared), "{op:?}");
    }
}

#[test]
fn manifest_declares_exactly_what_the_calls_need() {
    let declared = manifest_scopes(CLEARANCE_MANIFEST).unwrap();
    let set: BTreeSet<&str> = declared.iter().map(String::as_str).collect();
    assert_eq!(set.len(), declared.len(), "repeated scopes in {declared:?}");
    let mut needed = JiraOp::forge_scopes();
    needed.extend(FORGE_PLATFORM_SCOPES);
    assert_eq!(set, needed);
    for op in JiraOp::ALL {
        assert!(op.operation().oauth_granted(&declared), "{op:?}");
    }
}

/// What the calls work on: an issue with an attachment, a file to upload, whose permissions to check (a Forge
/// app may only ask about its own account without Administer Jira).
struct Fixture {
    asker: String,
    issue_key: String,
    issue_id: IssueId,
    attachment: String,
    upload: tempfile::NamedTempFile,
}

impl Fixture {
    fn new(sim: &JiraSim, asker: &str) -> Self {
        let issue_key = sim.create_issue("DATA", "Scopes", "", &["other"], people::REQUESTER);
        let id = sim.issue(&issue_key).unwrap().id;
        let attachment = sim
            .attach(
                &issue_key,
                people::REQUESTER,
                "ids.csv",
                "text/csv",
                b"id\n1\n".to_vec(),
            )
            .unwrap();
        let upload = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(upload.path(), b"bundle").unwrap();
        Self {
            asker: asker.to_owned(),
            issue_key,
            issue_id: IssueId::parse(&id.to_string()).unwrap(),
            attachment: attachment.to_string(),
            upload,
        }
    }
}

/// Make the call `op` with real arguments (the ServerInfo call is made without credentials: nothing to refuse).
async fn call(jira: &JiraClient, op: JiraOp, f: &Fixture) -> Result<(), JiraError> {
    let issue = f.issue_id.to_string();
    match op {
        JiraOp::ServerInfo => Ok(()),
        JiraOp::Myself => jira.myself().await.map(drop),
        JiraOp::User => jira.user_display_name(people::REQUESTER).await.map(drop),
        JiraOp::UserEmail => jira.user_email(people::REQUESTER).await.map(drop),
        JiraOp::UserGroups => jira.user_groups(people::ANALYST).await.map(drop),
        JiraOp::CheckPermissions => jira.can_browse_issue(&f.asker, f.issue_id).await.map(drop),
        JiraOp::Issue => jira.issue_attachments(&f.issue_key).await.map(drop),
        JiraOp::Comments => jira.latest_comments(&issue, 5).await.map(drop),
        JiraOp::AddComment => {
            jira.add_comment(&issue, clearance::jira::adf::blocks(vec![]))
                .await
        }
        JiraOp::SetIssueProperty => {
            let property = RequestProperty {
                state: "new".into(),
                updated: "2026-12-01T00:00:00.000Z".into(),
                request_id: "r".into(),
            };
            jira.set_request_property(&issue, &property).await
        }
        JiraOp::AddAttachment => jira
            .upload_attachment(&issue, f.upload.path(), "bundle.zip", "application/zip")
            .await
            .map(drop),
        JiraOp::AttachmentMeta => jira.attachment_meta().await.map(drop),
        JiraOp::RemoveAttachment => jira.delete_attachment(&f.attachment).await,
        JiraOp::AttachmentContent => jira
            .attachment_content(&f.attachment, 1 << 20)
            .await
            .map(drop),
        JiraOp::SearchJql => jira
            .search_issue_ids("project = DATA", 50, None)
            .await
            .map(drop),
    }
}

/// Every call, the removal of the attachment last (the content is read before).
fn calls() -> impl Iterator<Item = JiraOp> {
    let last = JiraOp::RemoveAttachment;
    JiraOp::ALL
        .iter()
        .copied()
        .filter(move |op| *op != last)
        .chain([last])
}

/// Make every call: those in `refused` must fail for their scope with Jira's `status`, the others succeed.
async fn check_calls(sim: &JiraSim, jira: &JiraClient, refused: &[JiraOp], status: StatusCode) {
    let asker = match status {
        StatusCode::UNAUTHORIZED => sim.forge_account_id(),
        _ => people::ANALYST.to_owned(),
    };
    let f = Fixture::new(sim, &asker);
    for op in calls() {
        let got = call(jira, op, &f).await;
        if refused.contains(&op) {
            match got {
                Err(JiraError::MissingScope {
                    id,
                    status: s,
                    ref body,
                    ..
                }) => {
                    assert_eq!((id, s), (op.id(), status), "{op:?}: {body}");
                }
                other => panic!("{op:?}: expected Jira's scope refusal, got {other:?}"),
            }
        } else {
            assert!(got.is_ok(), "{op:?}: {got:?}");
        }
    }
}

async fn connect_refuses_each_missing_scope(backend: Backend) {
    let (sim, app) = site_and_app(backend).await;
    let tenant = app.tenant(&sim.client_key()).await.unwrap().tenant;
    let jira = app.state.jira(&tenant).await.unwrap();
    let installed = |s: &JiraSim| descriptor_scopes(&s.state().app.as_ref().unwrap().descriptor);
    let declared = installed(&sim);
    assert_eq!(declared, JiraOp::connect_scopes());
    check_calls(&sim, &jira, &[], StatusCode::FORBIDDEN).await;
    for scope in &declared {
        let rest: BTreeSet<ConnectScope> =
            declared.iter().copied().filter(|s| s != scope).collect();
        let names: Vec<&str> = rest.iter().map(|s| s.as_str()).collect();
        // As if Jira had installed a descriptor without it.
        sim.state().app.as_mut().unwrap().descriptor["scopes"] = json!(names);
        let refused: Vec<JiraOp> = JiraOp::ALL
            .iter()
            .copied()
            .filter(|op| *op != JiraOp::ServerInfo && !op.operation().connect_granted(&rest))
            .collect();
        assert!(
            !refused.is_empty(),
            "{scope} is declared but no call needs it"
        );
        check_calls(&sim, &jira, &refused, StatusCode::FORBIDDEN).await;
    }
    // Without ACCESS_EMAIL_ADDRESSES only the e-mail lookup fails.
    sim.state().app.as_mut().unwrap().descriptor["scopes"] = json!(["DELETE"]);
    check_calls(&sim, &jira, &[JiraOp::UserEmail], StatusCode::FORBIDDEN).await;
    app.cleanup().await;
}

/// The Forge tenant once Forge's install event was answered (the system token it carried, if any, is kept).
async fn installed_forge_tenant(w: &World) -> Tenant {
    wait_for(|| {
        w.sim
            .forge_deliveries()
            .iter()
            .any(|d| d.attempts.iter().any(|a| a.status.is_some_and(|s| s < 300)))
            .then_some(())
    })
    .await;
    let key = format!("forge:{}", w.sim.forge_cloud_id());
    w.app.tenant(&key).await.unwrap().tenant
}

async fn forge_refuses_each_missing_scope(backend: Backend) {
    let w = forge_world_with(backend, |r| r).await;
    let tenant = installed_forge_tenant(&w).await;
    let jira = w.app.state.jira(&tenant).await.unwrap();
    let declared = w.sim.forge_scopes();
    check_calls(&w.sim, &jira, &[], StatusCode::UNAUTHORIZED).await;
    for scope in declared.iter().filter(|s| *s != SYSTEM_TOKEN_SCOPE) {
        let rest: Vec<String> = declared.iter().filter(|s| *s != scope).cloned().collect();
        // A redeploy with a manifest without it (the installation, and its tokens, stay).
        w.sim.forge_install(ForgeRemote {
            scopes: rest.clone(),
            ..ForgeRemote::at(&w.app.base_url)
        });
        let refused: Vec<JiraOp> = JiraOp::ALL
            .iter()
            .copied()
            .filter(|op| *op != JiraOp::ServerInfo && !op.operation().oauth_granted(&rest))
            .collect();
        assert!(
            !refused.is_empty(),
            "{scope} is declared but no call needs it"
        );
        check_calls(&w.sim, &jira, &refused, StatusCode::UNAUTHORIZED).await;
    }
    w.app.cleanup().await;
}

/// Without `read:app-system-token` Forge sends no system token: the tenant exists, but Clearance cannot call Jira.
async fn forge_sends_no_system_token_without_its_scope(backend: Backend) {
    let w = forge_world_with(backend, |r| ForgeRemote {
        scopes: r
            .scopes
            .into_iter()
            .filter(|s| s != SYSTEM_TOKEN_SCOPE)
            .collect(),
        ..r
    })
    .await;
    let tenant = installed_forge_tenant(&w).await;
    let err = w
        .app
        .state
        .jira(&tenant)
        .await
        .err()
        .expect("no token, no client");
    assert!(err.to_string().contains("token"), "{err:#}");
    w.app.cleanup().await;
}

async fn email_refusal_is_reported_not_taken_for_no_email(backend: Backend) {
    let env = Env::start(backend).await;
    env.connect().await;
    let (app, tenant) = (&env.api.app.state, env.tenant().await);
    let sim = env.api.jira();
    sim.state().app.as_mut().unwrap().descriptor["scopes"] = json!(["DELETE"]);
    let err = identity::resolve(app, &tenant, people::REQUESTER)
        .await
        .unwrap_err();
    assert!(matches!(err, DeliveryError::JiraScope(_)), "{err:?}");
    assert_eq!(err.code(), "jira_scope");
    assert!(err.needs_admin());
    let reason = err.to_string();
    for part in [
        "Riley Requester",
        "ACCESS_EMAIL_ADDRESSES",
        "read:email-address:jira",
        "site admin",
        "admin page",
    ] {
        assert!(reason.contains(part), "{part}: {reason}");
    }
    // The job waits for the admin instead of spending its tries.
    assert!(matches!(
        JobError::from(err),
        JobError::Retry { after: Some(_), .. }
    ));
    // Declared again: found by e-mail.
    sim.state().app.as_mut().unwrap().descriptor["scopes"] =
        json!(["DELETE", "ACCESS_EMAIL_ADDRESSES"]);
    let riley = identity::resolve(app, &tenant, people::REQUESTER)
        .await
        .unwrap();
    assert_eq!(riley.as_ref(), env.riley.id);
    env.api.app.cleanup().await;
}
