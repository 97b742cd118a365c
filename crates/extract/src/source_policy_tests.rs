//! The source policy matrix: loopback, link-local, private and public addresses, names that resolve to loopback,
//! sqlx URL parameters that move the host, SQLite paths in and out of the allowed folders, and identical refusals.

use super::*;
use crate::source_settings::SourcePolicySettings;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn policy(allow: &[&str], deny: &[&str], dirs: &[&str], own: &str) -> SourcePolicy {
    let settings =
        SourcePolicySettings::parse(&strings(allow), &strings(deny), &strings(dirs)).unwrap();
    SourcePolicy::new(settings, &SecretString::from(own))
}

fn default_policy() -> SourcePolicy {
    SourcePolicy::new(
        SourcePolicySettings::default(),
        &SecretString::from("postgres://clearance@db.internal.example:5432/clearance"),
    )
}

async fn verdict(p: &SourcePolicy, url: &str) -> Result<String, String> {
    p.target(&SecretString::from(url))
        .await
        .map(|t| match (t.postgres(), t.mysql(), t.sqlite()) {
            (Some(o), _, _) => format!("{}:{}", o.get_host(), o.get_port()),
            (_, Some(o), _) => format!("{}:{}", o.get_host(), o.get_port()),
            (_, _, Some(p)) => p.display().to_string(),
            _ => String::new(),
        })
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn the_default_refuses_loopback_link_local_and_unspecified_in_every_spelling() {
    let p = default_policy();
    for url in [
        "postgres://u:p@127.0.0.1/wh",
        "postgres://u:p@127.1.2.3:22/wh",
        "postgres://u:p@localhost/wh",
        "postgres://u:p@[::1]/wh",
        "postgres://u:p@[::ffff:127.0.0.1]/wh",
        "postgres://u:p@0.0.0.0/wh",
        "postgres://u:p@[::]/wh",
        "postgres://u:p@169.254.169.254/wh",
        "postgres://u:p@[fe80::1]/wh",
        "postgres://u:p@[fd00:ec2::254]/wh",
        "mysql://u:p@127.0.0.1:3306/wh",
        "mariadb://u:p@localhost/wh",
        // sqlx reads these URL parameters after the authority: the host moves to loopback.
        "postgres://u:p@10.1.2.3/wh?host=127.0.0.1",
        "postgres://u:p@10.1.2.3/wh?hostaddr=127.0.0.1",
        "postgres://u:p@10.1.2.3/wh?port=22&host=localhost",
    ] {
        assert_eq!(verdict(&p, url).await, Err(NOT_ALLOWED.into()), "{url}");
    }
}

#[tokio::test]
async fn private_and_public_addresses_are_allowed_by_default_and_pinned() {
    let p = default_policy();
    assert_eq!(
        verdict(&p, "postgres://u:p@10.1.2.3/wh").await,
        Ok("10.1.2.3:5432".into())
    );
    assert_eq!(
        verdict(&p, "mysql://u:p@192.168.7.8:3307/wh").await,
        Ok("192.168.7.8:3307".into())
    );
    assert_eq!(
        verdict(&p, "postgres://u:p@203.0.113.9:6432/wh").await,
        Ok("203.0.113.9:6432".into())
    );
}

#[tokio::test]
async fn a_name_is_judged_by_the_addresses_it_resolves_to() {
    let p = default_policy();
    // `localhost` resolves to loopback here, like a hostile DNS name would.
    assert_eq!(
        verdict(&p, "postgres://u:p@localhost:5432/wh").await,
        Err(NOT_ALLOWED.into())
    );
    // With the certificate's name checked, the host stays a name (and is still judged by its addresses).
    assert_eq!(
        verdict(&p, "postgres://u:p@localhost/wh?sslmode=verify-full").await,
        Err(NOT_ALLOWED.into())
    );
    let open = policy(&["*"], &[], &[], "sqlite:///nowhere.db");
    assert_eq!(
        verdict(&open, "postgres://u:p@localhost:5433/wh").await,
        Ok("127.0.0.1:5433".into()).or_else(|_: String| Ok::<_, String>("::1:5433".into()))
    );
    assert_eq!(
        verdict(&open, "postgres://u:p@localhost/wh?sslmode=verify-full").await,
        Ok("localhost:5432".into())
    );
}

#[tokio::test]
async fn an_allow_list_narrows_by_network_and_by_name() {
    let p = policy(
        &["10.20.0.0/16", "*.wh.example.com"],
        &["loopback", "link-local"],
        &[],
        "sqlite:///nowhere.db",
    );
    assert!(verdict(&p, "postgres://u:p@10.20.3.4/wh").await.is_ok());
    assert_eq!(
        verdict(&p, "postgres://u:p@10.21.3.4/wh").await,
        Err(NOT_ALLOWED.into())
    );
    assert_eq!(
        verdict(&p, "postgres://u:p@203.0.113.9/wh").await,
        Err(NOT_ALLOWED.into())
    );
    // With names only, a name outside the list is refused without being resolved.
    let names = policy(&["*.wh.example.com"], &[], &[], "sqlite:///nowhere.db");
    assert_eq!(
        verdict(&names, "postgres://u:p@db.example.org/wh").await,
        Err(NOT_ALLOWED.into())
    );
    assert_eq!(
        verdict(&names, "postgres://u:p@10.20.3.4/wh").await,
        Err(NOT_ALLOWED.into())
    );
    // Deny wins over an allowed network.
    let q = policy(&["0.0.0.0/0"], &["10.0.0.0/8"], &[], "sqlite:///nowhere.db");
    assert_eq!(
        verdict(&q, "postgres://u:p@10.1.1.1/wh").await,
        Err(NOT_ALLOWED.into())
    );
}

#[tokio::test]
async fn the_own_database_is_refused_after_sqlx_reads_the_url() {
    let own = "postgres://clearance:pw@127.0.0.1:5432/clearance";
    // Loopback allowed, as in the demo: the own database is still refused, however the URL spells it.
    let p = policy(&["*"], &["link-local"], &[], own);
    for url in [
        "postgres://reader:x@127.0.0.1:5432/clearance",
        "postgres://reader:x@localhost/clearance",
        "postgres://reader:x@127.0.0.1:5432/warehouse?dbname=clearance",
        "postgres://reader:x@10.9.9.9:5432/clearance?host=127.0.0.1",
    ] {
        assert_eq!(verdict(&p, url).await, Err(NOT_ALLOWED.into()), "{url}");
    }
    assert!(
        verdict(&p, "postgres://reader:x@127.0.0.1:5432/warehouse")
            .await
            .is_ok()
    );
    // `own-database-server` refuses every database on that server.
    let q = policy(&["*"], &["own-database-server"], &[], own);
    assert_eq!(
        verdict(&q, "postgres://reader:x@localhost:5432/warehouse").await,
        Err(NOT_ALLOWED.into())
    );
    assert!(
        verdict(&q, "postgres://reader:x@localhost:5433/warehouse")
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn sockets_and_files_on_the_host_are_refused() {
    let p = policy(&["*"], &[], &[], "sqlite:///nowhere.db");
    assert_eq!(
        verdict(&p, "postgres://u:p@10.1.1.1/wh?host=/var/run/postgresql").await,
        Err(NOT_ALLOWED.into())
    );
    assert_eq!(
        verdict(&p, "postgres://u:p@%2Fvar%2Frun%2Fpostgresql/wh").await,
        Err(NOT_ALLOWED.into())
    );
    for url in [
        "mysql://u:p@10.1.1.1/wh?socket=/run/mysqld/mysqld.sock",
        "postgres://u:p@10.1.1.1/wh?sslrootcert=/etc/shadow",
        "mysql://u:p@10.1.1.1/wh?ssl-key=/root/.ssh/id_rsa",
    ] {
        let e = verdict(&p, url).await.unwrap_err();
        assert!(e.contains("names a file on Clearance's host"), "{url}: {e}");
    }
}

#[tokio::test]
async fn sqlite_files_only_inside_the_folders_and_the_same_words_for_every_refusal() {
    let allowed = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let dir = allowed.path().canonicalize().unwrap();
    let wh = dir.join("wh.db");
    std::fs::write(&wh, "").unwrap();
    let secret = outside.path().join("secret.db");
    std::fs::write(&secret, "").unwrap();
    std::os::unix::fs::symlink(&secret, dir.join("link.db")).unwrap();
    let own = dir.join("clearance.db");
    std::fs::write(&own, "").unwrap();
    let p = policy(
        &["*"],
        &[],
        &[dir.to_str().unwrap()],
        &format!("sqlite://{}", own.display()),
    );
    assert_eq!(
        verdict(&p, &format!("sqlite://{}", wh.display())).await,
        Ok(wh.display().to_string())
    );
    // Outside the folder: a file that exists and one that does not answer alike (no file oracle).
    let refused_words: Vec<_> = [
        "sqlite:///etc/passwd".to_owned(),
        "sqlite:///no/such/file.db".to_owned(),
        format!("sqlite://{}", secret.display()),
        format!(
            "sqlite://{}/../{}/secret.db",
            dir.display(),
            outside.path().display()
        ),
        format!("sqlite://{}/link.db", dir.display()),
        format!("sqlite://{}/./clearance.db?mode=ro", dir.display()),
        "sqlite://relative.db".to_owned(),
    ]
    .into_iter()
    .map(|u| futures_util::FutureExt::now_or_never(verdict(&p, &u)).unwrap())
    .collect();
    for r in &refused_words {
        assert_eq!(r, &Err(NOT_ALLOWED.to_owned()));
    }
    // No folder configured (the default for `serve`): every SQLite source is refused.
    let none = default_policy();
    assert_eq!(
        verdict(&none, &format!("sqlite://{}", wh.display())).await,
        Err(NOT_ALLOWED.into())
    );
    assert!(
        verdict(&p, "sqlite::memory:")
            .await
            .is_err_and(|e| e.starts_with("bad data source URL"))
    );
}

#[tokio::test]
async fn the_operator_policy_reaches_anything_but_still_needs_a_file() {
    let p = SourcePolicy::operator();
    assert!(verdict(&p, "postgres://u:p@127.0.0.1/wh").await.is_ok());
    let e = verdict(&p, "sqlite:///no/such/file.db").await.unwrap_err();
    assert!(e.contains("no SQLite file"), "{e}");
}

#[tokio::test]
async fn no_password_in_the_url_means_none_not_the_operators_pgpass() {
    let p = SourcePolicy::operator();
    let t = p
        .target(&SecretString::from("postgres://u@10.1.1.1/wh"))
        .await
        .unwrap();
    // sqlx has no getter for the password; the options' Debug shows whether one is set.
    let shown = format!("{:?}", t.postgres().unwrap());
    assert!(shown.contains("password: Some(\"\")"), "{shown}");
}
