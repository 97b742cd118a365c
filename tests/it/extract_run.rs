//! Extractions end to end against real SQLite, PostgreSQL and MariaDB: type mapping, ID-list binding with equal
//! results on every engine, masking, caps that leave nothing behind, and bundles that open with independent tools.

use std::{collections::BTreeMap, path::Path, sync::Arc, time::Duration};

use clearance::{
    extract::{
        ids::{Limits, read_ids},
        pipeline::{ExtractError, Progress, Request, Summary, extract},
        protect::{Protection, parse_recipients},
    },
    requests::plan::{Format, Masking},
};
use clearance_sandbox::warehouse::{self, DEFAULT_SEED};
use secrecy::SecretString;
use sqlx::{AssertSqlSafe, Connection, Executor};

use crate::{extract_tools as tools, sandbox_warehouse::Db};

pub(crate) fn request(url: &str, sql: &str) -> Request {
    Request {
        source_url: SecretString::from(url.to_owned()),
        policy: crate::helpers::operator_policy(),
        source_name: "test".into(),
        timeout: Duration::from_secs(60),
        sql: sql.into(),
        ids: None,
        masking: BTreeMap::new(),
        format: Format::Csv,
        csv_bom: false,
        max_rows: 1_000_000,
        max_bytes: 1 << 30,
        name: "data".into(),
        request_key: Some("DATA-1".into()),
        plan_digest: Some("ab".repeat(32)),
        deflate_level: None,
        neutralise_formulas: true,
        full_scan: true,
    }
}

/// Run `req` into `dir/bundle.zip.age` for a fresh age identity; decrypt with the age CLI, check with Python, and
/// return the summary, the data file and the manifest. `None` when the tools are missing.
async fn run_and_open(req: &Request, dir: &Path) -> Option<(Summary, Vec<u8>, serde_json::Value)> {
    if !tools::have("age", "age") {
        return None;
    }
    let (identity, public) = tools::age_identity(dir);
    let protection = Protection::AgeRecipients(parse_recipients(&[public]).unwrap());
    let bundle = dir.join("bundle.zip.age");
    let summary = extract(req, protection, &bundle, Arc::new(Progress::default()))
        .await
        .unwrap();
    let zip = dir.join("bundle.zip");
    tools::age_decrypt_identity(&bundle, &identity, &zip);
    let manifest = tools::python_check(&zip);
    let name = manifest["files"][0]["name"].as_str().unwrap().to_owned();
    let data = tools::read_entry(&zip, &name);
    Some((summary, data, manifest))
}

async fn admin_exec(db: &Db, sql: &str) {
    let url = db.url();
    let sql = AssertSqlSafe(sql.to_owned());
    match db {
        Db::Sqlite(_) => {
            let path = url.trim_start_matches("sqlite://");
            std::fs::create_dir_all(Path::new(path).parent().unwrap()).unwrap();
            let opts: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
            let mut c = sqlx::ConnectOptions::connect(&opts.create_if_missing(true))
                .await
                .unwrap();
            c.execute(sql).await.unwrap();
        }
        Db::Postgres { .. } => {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            c.execute(sql).await.unwrap();
        }
        Db::MySql { .. } => {
            let mut c = sqlx::MySqlConnection::connect(&url).await.unwrap();
            c.execute(sql).await.unwrap();
        }
    }
}

const SQLITE_TYPES: &str = r#"
CREATE TABLE typed (i INTEGER, r REAL, t TEXT, b BOOLEAN, d DATE, dt DATETIME, ts TIMESTAMP, bl BLOB, n NUMERIC, x);
INSERT INTO typed VALUES (9007199254740993, 0.1, 'say "hi", ok', 1, '2024-02-29', '2024-02-29 13:05:09.250',
  '2024-02-29T13:05:09+02:00', X'00FF10', 12.5, 'free');
INSERT INTO typed VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"#;
const SQLITE_CSV: &str = "i,r,t,b,d,dt,ts,bl,n,x\r\n\
9007199254740993,0.1,\"say \"\"hi\"\", ok\",true,2024-02-29,2024-02-29 13:05:09.250,2024-02-29T11:05:09Z,AP8Q,12.5,free\r\n\
,,,,,,,,,\r\n";

const PG_TYPES: &str = r#"
CREATE TABLE typed (i2 smallint, i4 int, i8 bigint, dec numeric(30,10), amt numeric(10,2), f8 double precision, f4 real, b boolean,
  t text, vc varchar(20), d date, ts timestamp, tstz timestamptz, tm time, j jsonb, by bytea, u uuid);
INSERT INTO typed VALUES (-32768, 2147483647, 9223372036854775807, 12345678901234567890.0123456789, 12.5, 0.1, 1.5, true,
  'say "hi", ok', 'ünïcødé', '2024-02-29', '2024-02-29 13:05:09.25', '2024-02-29 13:05:09+02', '23:59:58',
  '{"a": [1, 2]}', '\x00ff10', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
INSERT INTO typed (i2) VALUES (NULL);
"#;
const PG_CSV: &str = "i2,i4,i8,dec,amt,f8,f4,b,t,vc,d,ts,tstz,tm,j,by,u\r\n\
-32768,2147483647,9223372036854775807,12345678901234567890.0123456789,12.50,0.1,1.5,true,\"say \"\"hi\"\", ok\",ünïcødé,\
2024-02-29,2024-02-29 13:05:09.250,2024-02-29T11:05:09Z,23:59:58,\"{\"\"a\"\":[1,2]}\",AP8Q,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\r\n\
,,,,,,,,,,,,,,,,\r\n";

const MYSQL_TYPES: &str = r#"
CREATE TABLE typed (ti tinyint, i int, bi bigint, ubi bigint unsigned, dec30 decimal(30,10), f double, b boolean,
  t text, vc varchar(20), d date, dt datetime(3), ts timestamp NULL DEFAULT NULL, tm time, bl blob, en enum('x','y'));
INSERT INTO typed VALUES (-128, 2147483647, -9223372036854775808, 18446744073709551615,
  12345678901234567890.0123456789, 0.1, true, 'say "hi", ok', 'ünïcødé', '2024-02-29', '2024-02-29 13:05:09.250',
  '2024-02-29 11:05:09', '23:59:58', X'00FF10', 'y');
INSERT INTO typed (ti) VALUES (NULL);
"#;
const MYSQL_CSV: &str = "ti,i,bi,ubi,dec30,f,b,t,vc,d,dt,ts,tm,bl,en\r\n\
-128,2147483647,-9223372036854775808,18446744073709551615,12345678901234567890.0123456789,0.1,true,\
\"say \"\"hi\"\", ok\",ünïcødé,2024-02-29,2024-02-29 13:05:09.250,2024-02-29T11:05:09Z,23:59:58,AP8Q,y\r\n\
,,,,,,,,,,,,,,\r\n";

async fn types_round_trip(db: Db, ddl: &str, expected: &str) {
    admin_exec(&db, ddl).await;
    let dir = tempfile::tempdir().unwrap();
    let req = request(&db.url(), "SELECT * FROM typed ORDER BY 1 IS NULL");
    if let Some((summary, data, manifest)) = run_and_open(&req, dir.path()).await {
        assert_eq!(String::from_utf8(data).unwrap(), expected);
        assert_eq!(summary.rows, 2);
        assert_eq!(manifest["files"][0]["rows"], 2);
        assert_eq!(manifest["request"], "DATA-1");
        assert_eq!(manifest["plan_digest"], "ab".repeat(32));
        assert_eq!(manifest["files"][0]["sha256"], summary.data_sha256.as_str());
    }
    db.drop().await;
}

#[tokio::test]
async fn types_round_trip_on_sqlite() {
    types_round_trip(Db::sqlite(), SQLITE_TYPES, SQLITE_CSV).await;
}

#[tokio::test]
async fn types_round_trip_on_postgres() {
    if let Some(db) = Db::server("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL").await {
        types_round_trip(db, PG_TYPES, PG_CSV).await;
    }
}

#[tokio::test]
async fn types_round_trip_on_mariadb() {
    if let Some(db) = Db::server("CLEARANCE_TEST_MYSQL_URL", "MariaDB").await {
        types_round_trip(db, MYSQL_TYPES, MYSQL_CSV).await;
    }
}

/// The ID list: five known customers (one twice), two unknown ids and an empty cell.
const IDS_CSV: &str = "customer_id,note\n3,a\n17,b\n42,c\n17,dup\n,empty\n99999999,unknown\n100,d\n250,e\n88888888,unknown\n";

#[tokio::test]
async fn id_list_gives_equal_results_on_every_engine() {
    let mut dbs = vec![Db::sqlite()];
    dbs.extend(Db::server("CLEARANCE_TEST_POSTGRES_URL", "PostgreSQL").await);
    dbs.extend(Db::server("CLEARANCE_TEST_MYSQL_URL", "MariaDB").await);
    let list = read_ids(
        IDS_CSV.as_bytes(),
        "ids.csv",
        "customer_id",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(list.report.distinct, 7);
    let mut outputs = Vec::new();
    for db in dbs {
        warehouse::generate(&db.url(), 300, DEFAULT_SEED)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut req = request(
            &db.url(),
            "SELECT c.id, c.email, c.country FROM customers c WHERE c.id IN (:customer_ids) ORDER BY c.id",
        );
        req.ids = Some(("customer_ids".into(), list.ids.clone(), list.report));
        let Some((summary, data, _)) = run_and_open(&req, dir.path()).await else {
            db.drop().await;
            return;
        };
        assert_eq!(summary.rows, 5, "{}", db.url());
        let ids = summary.ids.unwrap();
        assert_eq!(ids.unmatched, Some(2), "two IDs match no customer");
        assert_eq!(ids.report.duplicates, 1);
        let text = String::from_utf8(data).unwrap();
        assert!(text.starts_with("id,email,country\r\n3,"), "{text}");
        outputs.push((db.url(), text));
        db.drop().await;
    }
    for (url, text) in &outputs[1..] {
        assert_eq!(text, &outputs[0].1, "{url} differs from SQLite");
    }
}

async fn demo_sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("warehouse.db").display());
    warehouse::generate(&url, 200, DEFAULT_SEED).await.unwrap();
    (dir, url)
}

#[tokio::test]
async fn masking_is_applied_and_recorded() {
    let (_wh, url) = demo_sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let mut req = request(
        &url,
        "SELECT id, first_name, last_name, email, phone FROM customers UNION ALL \
         SELECT id + 1000, first_name, last_name, email, phone FROM customers ORDER BY 1",
    );
    req.masking = [
        ("email".to_owned(), Masking::Mask),
        ("phone".to_owned(), Masking::Drop),
        ("last_name".to_owned(), Masking::Pseudonymise),
    ]
    .into();
    let Some((summary, data, manifest)) = run_and_open(&req, dir.path()).await else {
        return;
    };
    assert_eq!(summary.rows, 400);
    let text = String::from_utf8(data).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id,first_name,last_name,email"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    for r in &rows {
        assert_eq!(r[2].len(), 20, "pseudonym {r:?}");
        assert!(r[2].bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(r[3].contains("***@"), "masked e-mail {r:?}");
    }
    // The same person appears twice (id and id + 1000): same token within the delivery.
    assert_eq!(rows[0][2], rows[200][2]);
    let cols = &manifest["files"][0]["columns"];
    assert_eq!(cols[2]["masking"], "pseudonymise");
    assert_eq!(cols[3]["masking"], "mask");
    assert_eq!(
        cols.as_array().unwrap().len(),
        4,
        "the dropped column is not listed"
    );
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test]
async fn caps_and_refusals_leave_nothing_behind() {
    let (_wh, url) = demo_sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.zip.age");
    let key = age::x25519::Identity::generate().to_public().to_string();
    let protection =
        || Protection::AgeRecipients(parse_recipients(std::slice::from_ref(&key)).unwrap());
    let run = |req: Request| {
        let out = out.clone();
        let p = protection();
        async move { extract(&req, p, &out, Arc::new(Progress::default())).await }
    };

    let mut rows = request(&url, "SELECT * FROM orders");
    rows.max_rows = 10;
    let e = run(rows).await.unwrap_err();
    assert!(matches!(e, ExtractError::RowCap(10)), "{e}");
    assert!(e.to_string().contains("more than 10 rows"), "{e}");
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());

    let mut bytes = request(&url, "SELECT * FROM customers");
    bytes.max_bytes = 5_000;
    let e = run(bytes).await.unwrap_err();
    assert!(matches!(e, ExtractError::ByteCap(5_000)), "{e}");
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());

    let mut xlsx = request(&url, "SELECT * FROM customers");
    xlsx.format = Format::Xlsx;
    xlsx.max_bytes = 5_000;
    let e = run(xlsx).await.unwrap_err();
    assert!(matches!(e, ExtractError::ByteCap(5_000)), "{e}");
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());

    let e = run(request(&url, "SELECT 1; DELETE FROM customers"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("found 2 statements"), "{e}");
    let mut typo = request(&url, "SELECT id, email FROM customers");
    typo.masking = [("emial".to_owned(), Masking::Mask)].into();
    let e = run(typo).await.unwrap_err();
    assert!(e.to_string().contains("\"emial\""), "{e}");
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());

    // An existing file is never overwritten.
    std::fs::write(&out, b"keep me").unwrap();
    let e = run(request(&url, "SELECT id FROM customers"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
}

#[tokio::test]
async fn xlsx_cells_are_typed() {
    let db = Db::sqlite();
    admin_exec(&db, SQLITE_TYPES).await;
    let dir = tempfile::tempdir().unwrap();
    let mut req = request(&db.url(), "SELECT * FROM typed ORDER BY 1 IS NULL");
    req.format = Format::Xlsx;
    let Some((summary, data, manifest)) = run_and_open(&req, dir.path()).await else {
        return;
    };
    assert_eq!(summary.rows, 2);
    assert_eq!(manifest["files"][0]["sheets"], 1);
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(data)).unwrap();
    let range = book.worksheet_range("data 1").unwrap();
    let cell = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(0, 0), Data::String("i".into()));
    // 2^53 + 1 does not fit a float: kept as text, digit for digit.
    assert_eq!(cell(1, 0), Data::String("9007199254740993".into()));
    assert_eq!(cell(1, 1), Data::Float(0.1));
    assert_eq!(cell(1, 3), Data::Bool(true));
    assert!(matches!(cell(1, 4), Data::DateTime(_)), "{:?}", cell(1, 4));
    assert!(matches!(cell(1, 5), Data::DateTime(_)), "{:?}", cell(1, 5));
    assert_eq!(cell(1, 7), Data::String("AP8Q".into()));
    assert_eq!(cell(2, 0), Data::Empty);
    db.drop().await;
}

/// `clearance extract` as an analyst runs it: JSON summary on a pipe, passphrase only in the 0600 file, and the
/// bundle opens with the age CLI (passphrase typed at a terminal) and, as an AES zip, with 7-Zip.
#[tokio::test]
async fn extract_command_bundles_open_with_age_and_7zip() {
    if !tools::have("age", "age")
        || !tools::have("7z", "p7zip-full")
        || !tools::have("script", "bsdutils")
    {
        return;
    }
    let (_wh, url) = demo_sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    for (encrypt, file) in [("age", "DATA-9.zip.age"), ("zip-aes", "DATA-9.zip")] {
        let out = dir.path().join(file);
        let pass_file = dir.path().join(format!("{encrypt}.pass"));
        let o = crate::helpers::clearance_command()
            .args([
                "extract",
                "--query",
                "SELECT id, email, birth_date FROM customers ORDER BY id",
            ])
            .args(["--encrypt", encrypt, "--mask", "email=mask", "--bom"])
            .arg("--passphrase-out")
            .arg(&pass_file)
            .arg("--out")
            .arg(&out)
            .env("CLEARANCE_EXTRACT_SOURCE", &url)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let stdout = String::from_utf8(o.stdout).unwrap();
        assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout}");
        let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(summary["rows"], 200);
        let pass = std::fs::read_to_string(&pass_file)
            .unwrap()
            .trim()
            .to_owned();
        assert_eq!(pass.len(), 34);
        assert!(
            !stdout.contains(&pass),
            "the summary never carries the passphrase"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&pass_file), 0o600);
            assert_eq!(mode(&out), 0o600);
        }
        let data = if encrypt == "age" {
            let zip = dir.path().join("opened.zip");
            tools::age_decrypt_passphrase(&out, &pass, &zip);
            let manifest = tools::python_check(&zip);
            assert_eq!(manifest["encryption"], "age");
            tools::read_entry(&zip, "DATA-9.csv")
        } else {
            let x = dir.path().join("7z");
            assert!(
                !tools::seven_zip_extract(&out, "wrong-password", &x),
                "a wrong password fails"
            );
            std::fs::remove_dir_all(&x).ok();
            assert!(
                tools::seven_zip_extract(&out, &pass, &x),
                "7z x with the passphrase"
            );
            let manifest: serde_json::Value =
                serde_json::from_slice(&std::fs::read(x.join("manifest.json")).unwrap()).unwrap();
            let data = std::fs::read(x.join("DATA-9.csv")).unwrap();
            assert_eq!(
                manifest["files"][0]["sha256"],
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data)).as_str()
            );
            data
        };
        let text = String::from_utf8(data).unwrap();
        assert!(
            text.starts_with("\u{feff}id,email,birth_date\r\n1,"),
            "{text:.80}"
        );
        assert!(text.lines().nth(1).unwrap().contains("***@"));
    }
}
