//! Opening bundles with independent tools: the `age` command-line tool from Debian (passphrase typed at a pseudo
//! terminal made by `script`, or an identity file), 7-Zip for AES zips, and Python's `zipfile` to read the zip and
//! check the manifest's hashes. Tests that need a tool skip loudly when it is missing, unless
//! `CLEARANCE_TEST_REQUIRE_TOOLS` is set (as `.ci/run` does), in which case they fail.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

/// Whether `tool` is on PATH; a loud note (or a failure under `CLEARANCE_TEST_REQUIRE_TOOLS`) when not.
pub(crate) fn have(tool: &str, package: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CLEARANCE_TEST_REQUIRE_TOOLS").is_none(),
            "{tool} is required: apt-get install {package}"
        );
        eprintln!("SKIPPED: {tool} is not installed (apt-get install {package})");
    }
    found
}

/// A new age identity file and its public key.
pub(crate) fn age_identity(dir: &Path) -> (PathBuf, String) {
    let identity = age::x25519::Identity::generate();
    let path = dir.join("identity.txt");
    let secret = secrecy::ExposeSecret::expose_secret(&identity.to_string()).to_owned();
    std::fs::write(&path, format!("{secret}\n")).unwrap();
    (path, identity.to_public().to_string())
}

/// Decrypt with `age -d -i identity`.
pub(crate) fn age_decrypt_identity(bundle: &Path, identity: &Path, out: &Path) {
    let st = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg("-o")
        .arg(out)
        .arg(bundle)
        .status()
        .unwrap();
    assert!(st.success(), "age -d -i failed");
}

/// Decrypt with `age -d`, typing the passphrase at the terminal `script` provides.
pub(crate) fn age_decrypt_passphrase(bundle: &Path, passphrase: &str, out: &Path) {
    let cmd = format!("age -d -o '{}' '{}'", out.display(), bundle.display());
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // age opens the terminal before reading; give it a moment so the line is not echoed away.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{passphrase}").unwrap();
    let st = child.wait().unwrap();
    assert!(st.success(), "age -d with the passphrase failed");
}

/// Extract an AES zip with 7-Zip into `dir`.
pub(crate) fn seven_zip_extract(bundle: &Path, password: &str, dir: &Path) -> bool {
    Command::new("7z")
        .arg("x")
        .arg(format!("-p{password}"))
        .arg(format!("-o{}", dir.display()))
        .arg("-y")
        .arg(bundle)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// Open a plain zip with Python's zipfile, check every file's SHA-256 and size against manifest.json, and return the
/// manifest.
pub(crate) fn python_check(zip: &Path) -> serde_json::Value {
    let script = r#"
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None, "corrupt entry"
m = json.loads(z.read("manifest.json"))
for f in m["files"]:
    data = z.read(f["name"])
    assert hashlib.sha256(data).hexdigest() == f["sha256"], "hash of " + f["name"]
    assert len(data) == f["bytes"], "size of " + f["name"]
print(json.dumps(m))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(zip)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python zipfile check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The data file of a plain zip, read with the zip crate.
pub(crate) fn read_entry(zip: &Path, name: &str) -> Vec<u8> {
    let mut a = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut f = a.by_name(name).unwrap();
    let mut v = Vec::new();
    std::io::Read::read_to_end(&mut f, &mut v).unwrap();
    v
}
