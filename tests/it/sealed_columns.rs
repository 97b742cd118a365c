//! Key rotation re-seals every sealed value the store holds. One value goes into every sealed column under the old
//! key; `reseal_all` runs with the new key current and the old one previous; then every text column of every table,
//! enumerated from the schema itself, is read: no value may still carry the old key id, and every sealed value must
//! open with the new key alone to what it was. A column that holds sealed values but is not in
//! `rotation::SealedColumn` fails the test with what to do.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Utc};
use clearance::{
    crypto::{
        MasterKeys, data_source_url_context, delivery_secret_context, forge_token_context,
        slack_token_context, tenant_secret_context,
    },
    delivery::{erasure_key::erasure_key, state::DeliveryState},
    extract::sql_guard::Dialect,
    rotation::{RotationReport, SealedColumn, reseal_all, sealed_values},
    sources::Environment,
    store::{
        DeliveryRow, ForgeContact, InstallRecord, IssueSnapshot, SealedSecret, SlackBot, Store,
        StoredDataSource, StoredSlackSettings,
    },
};
use secrecy::ExposeSecret;

use crate::{
    helpers::{Backend, Site, TestApp},
    on_each_backend,
};

on_each_backend!(rotation_reseals_every_sealed_column);

/// `(table, column)` → the values in it that look sealed, and every text value of the schema.
struct Scan {
    sealed: BTreeMap<(String, String), Vec<String>>,
    all: Vec<((String, String), String)>,
}

/// The sealed format's shape, judged here on its own so the test does not lean on the code it checks.
fn looks_sealed(v: &str) -> bool {
    v.starts_with("v1.") && v.split('.').count() == 4
}

/// Every text value of every column of every table, read through the schema's own catalogue.
async fn scan(store: &Store) -> Scan {
    let columns: Vec<(String, String)> = match store {
        Store::Sqlite(pool, _) => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' ORDER BY 1, 2",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        Store::Postgres(pool) => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() \
             AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb') ORDER BY 1, 2",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    assert!(
        columns.iter().any(|(t, _)| t == "tenants"),
        "the schema catalogue lists no tables: {columns:?}"
    );
    let mut out = Scan {
        sealed: BTreeMap::new(),
        all: Vec::new(),
    };
    for (table, column) in columns {
        let sql = match store {
            Store::Sqlite(..) => format!(
                r#"SELECT CAST("{column}" AS TEXT) FROM "{table}" WHERE typeof("{column}") = 'text'"#
            ),
            Store::Postgres(_) => {
                format!(r#"SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL"#)
            }
        };
        let sql = sqlx::AssertSqlSafe(sql);
        let values: Vec<String> = match store {
            Store::Sqlite(pool, _) => sqlx::query_scalar(sql).fetch_all(pool).await,
            Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        }
        .unwrap();
        let key = (table, column);
        for v in values {
            if looks_sealed(&v) {
                out.sealed.entry(key.clone()).or_default().push(v.clone());
            }
            out.all.push((key.clone(), v));
        }
    }
    out
}

/// What rotation knows: each sealed column's `(table, column)`.
fn known() -> BTreeSet<(String, String)> {
    SealedColumn::ALL
        .iter()
        .map(|c| c.name())
        .map(|(t, c)| (t.to_owned(), c.to_owned()))
        .collect()
}

type Opened = BTreeMap<(String, String), Vec<(String, String)>>;

/// Each column's values as rotation reads them, opened with `keys`: `(table, column)` → sorted `(sealed, plain)`.
async fn opened(store: &Store, keys: &MasterKeys) -> Opened {
    let mut out = BTreeMap::new();
    for column in SealedColumn::ALL {
        let (t, c) = column.name();
        let mut values = Vec::new();
        for v in sealed_values(store, column).await.unwrap() {
            let plain = keys
                .open(&v.context, &v.sealed.0)
                .unwrap_or_else(|e| panic!("{t}.{c}: {} does not open: {e}", v.what));
            values.push((v.sealed.0, plain.expose_secret().to_owned()));
        }
        values.sort();
        out.insert((t.to_owned(), c.to_owned()), values);
    }
    out
}

/// Each column's plaintexts.
fn plains(m: &Opened) -> BTreeMap<&(String, String), BTreeSet<&str>> {
    m.iter()
        .map(|(k, v)| (k, v.iter().map(|(_, p)| p.as_str()).collect()))
        .collect()
}

/// One value in every sealed column, sealed under `old` (the app's key).
async fn fill_every_sealed_column(app: &TestApp, old: &MasterKeys) {
    let store = &app.state.store;
    let site = Site::new("sealed");
    app.install(&site).await; // tenants.shared_secret
    let tenant = app.tenant(&site.client_key).await.unwrap().tenant.id;
    erasure_key(store, old, &tenant).await.unwrap(); // tenants.erasure_salt
    let seal = |context: String, plain: &str| SealedSecret(old.seal(&context, plain));
    let now = Utc::now();
    let source = uuid::Uuid::new_v4().to_string();
    let mut tx = store.begin().await.unwrap();
    tx.upsert_data_source(&StoredDataSource {
        id: source.clone(),
        tenant_id: tenant.clone(),
        name: "warehouse".into(),
        kind: Dialect::Postgres,
        url_sealed: seal(
            data_source_url_context(&tenant, &source),
            "postgres://reader:pw@db.example/wh",
        ),
        environment: Environment::Staging,
        allowed_projects: vec!["DATA".into()],
        max_rows: 10,
        max_bytes: 1000,
        statement_timeout_secs: 5,
        created_at: now,
        updated_at: now,
        updated_by: "admin".into(),
    })
    .await
    .unwrap();
    tx.upsert_slack_settings(&StoredSlackSettings {
        tenant_id: tenant.clone(),
        bot: Some(SlackBot {
            token_sealed: seal(slack_token_context(&tenant), "xoxb-sealed"),
            team_id: "T1".into(),
            team_name: "Acme".into(),
            bot_user_id: "U1".into(),
        }),
        notice_channel: None,
        privacy_mention: None,
        secret_in_dm: false,
        updated_at: now,
        updated_by: "admin".into(),
    })
    .await
    .unwrap();
    let issue = IssueSnapshot {
        issue_id: "10001".into(),
        issue_key: "DATA-1".into(),
        project_key: "DATA".into(),
        summary: "data please".into(),
        description: String::new(),
        reporter: Some("requester".into()),
        labels: vec!["data-request".into()],
        attachments: Vec::new(),
    };
    let request = tx.upsert_request(&tenant, &issue).await.unwrap().row;
    let delivery = uuid::Uuid::new_v4().to_string();
    tx.insert_delivery(&DeliveryRow {
        state: DeliveryState::Built,
        secret_sealed: Some(seal(delivery_secret_context(&tenant, &delivery), "pass-phrase").0),
        built_at: Some(now),
        ..DeliveryRow::building(
            delivery.clone(),
            &request,
            "digest",
            "DATA-1.zip.age".into(),
            "age",
            now,
        )
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // A Forge tenant (its own random shared secret) with a system token.
    let client_key = "forge:cloud-sealed".to_owned();
    let (forge, _) = store
        .forge_tenant(
            &InstallRecord {
                shared_secret: seal(tenant_secret_context(&client_key), "unused"),
                client_key,
                base_url: "https://api.atlassian.com/ex/jira/cloud-sealed"
                    .parse()
                    .unwrap(),
                display_url: "https://sealed.atlassian.net".parse().unwrap(),
                product_type: "jira".into(),
                description: None,
            },
            &ForgeContact {
                cloud_id: "cloud-sealed".into(),
                installation_id: "install-1".into(),
                environment_id: None,
                api_base_url: "https://api.atlassian.com/ex/jira/cloud-sealed".into(),
            },
        )
        .await
        .unwrap();
    let token = seal(forge_token_context(&forge.tenant.id), "forge-system-token");
    let kept = store
        .keep_forge_token(&forge.tenant.id, &token, now + Duration::hours(1))
        .await
        .unwrap();
    assert!(kept);
}

async fn rotation_reseals_every_sealed_column(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let old = MasterKeys::parse(&app.master_key, &[]).unwrap();
    fill_every_sealed_column(&app, &old).await;

    // The columns that hold sealed values are exactly the ones rotation knows.
    let before = scan(store).await;
    let holding: BTreeSet<_> = before.sealed.keys().cloned().collect();
    let unknown: Vec<_> = holding.difference(&known()).cloned().collect();
    assert!(
        unknown.is_empty(),
        "columns {unknown:?} hold sealed values but key rotation does not know them: add each to SealedColumn in \
         src/rotation.rs (with its store functions in sealed_values and write), or `clearance rotate-key` leaves \
         their values under the old key"
    );
    let unfilled: Vec<_> = known().difference(&holding).cloned().collect();
    assert!(
        unfilled.is_empty(),
        "the test put no value into sealed columns {unfilled:?}: extend fill_every_sealed_column in \
         tests/it/sealed_columns.rs"
    );
    let plain_before = opened(store, &old).await;

    let (both, only_new) = app.rotated_keys();
    let report = reseal_all(store, &both).await.unwrap();

    // No value anywhere still carries the old key id.
    let stale = format!("v1.{}.", old.current_id());
    let after = scan(store).await;
    for ((t, c), v) in &after.all {
        assert!(
            !v.contains(&stale),
            "{t}.{c} still holds a value sealed with the old key after rotation: add the column to SealedColumn \
             in src/rotation.rs and re-seal it in reseal_all"
        );
    }
    let count = before.sealed.values().map(Vec::len).sum::<usize>() as u64;
    assert_eq!(
        report,
        RotationReport {
            resealed: count,
            sealed_clear: 0,
            current: 0,
            raced: 0
        }
    );
    // Every sealed value is one rotation reads, and opens with the new key alone to what it was.
    let plain_after = opened(store, &only_new).await;
    for (column, values) in &after.sealed {
        let mut found = values.clone();
        found.sort();
        let read: Vec<String> = plain_after[column].iter().map(|(s, _)| s.clone()).collect();
        assert_eq!(
            found, read,
            "{column:?}: sealed values rotation does not read"
        );
    }
    assert_eq!(plains(&plain_before), plains(&plain_after));
    app.cleanup().await;
}
