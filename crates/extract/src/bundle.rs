//! The bundle: a zip holding the data file and `manifest.json`, protected as asked — streamed through age (passphrase
//! or X25519 recipients) into `<name>.zip.age`, or written as a zip whose entries are AES-256 encrypted (WinZip AE-2,
//! never ZipCrypto). The file is created 0600; nothing is written in clear anywhere on disk.

use std::{
    fs::{File, OpenOptions},
    io::{self, BufWriter, Write},
    path::Path,
};

use aws_lc_rs::digest;
use secrecy::{ExposeSecret, SecretString};
use zip::{
    AesMode, CompressionMethod, ZipWriter,
    write::{SimpleFileOptions, StreamWriter},
};

use super::protect::Protection;

/// scrypt work factor for age passphrases (2^14: 16 MiB, a few milliseconds). Clearance only encrypts with the
/// 140-bit passphrases it generates, which no amount of guessing reaches, so stretching adds nothing; age's own
/// default calibrates to about a second and up to 1 GiB of memory, which would dwarf the rest of an extraction.
pub const SCRYPT_LOG_N: u8 = 14;

type AgeFile = age::stream::StreamWriter<BufWriter<File>>;

enum Zip {
    /// A streamed zip inside an age stream.
    Age(Box<ZipWriter<StreamWriter<AgeFile>>>),
    /// A seekable zip with AES-encrypted entries.
    Aes(Box<ZipWriter<BufWriter<File>>>),
}

/// A bundle being written.
pub struct BundleWriter {
    zip: Zip,
    aes_password: Option<SecretString>,
    level: i64,
}

/// Why the bundle could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Disk or stream failure.
    #[error("writing the bundle failed: {0}")]
    Io(#[from] io::Error),
    /// The zip library failed.
    #[error("writing the zip failed: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// The age library failed.
    #[error("age encryption failed: {0}")]
    Age(String),
}

/// Create `path` readable and writable by its owner only.
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

impl BundleWriter {
    /// Start a bundle at `path` (which must not exist), deflating at `level` (1-9).
    pub fn create(path: &Path, protection: &Protection, level: i64) -> Result<Self, BundleError> {
        let file = BufWriter::with_capacity(256 * 1024, create_private(path)?);
        let (zip, aes_password) = match protection {
            Protection::AgePassphrase(p) => {
                let mut r = age::scrypt::Recipient::new(age::secrecy::SecretString::from(
                    p.expose_secret().to_owned(),
                ));
                r.set_work_factor(SCRYPT_LOG_N);
                let enc =
                    age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
                        .map_err(|e| BundleError::Age(e.to_string()))?;
                (
                    Zip::Age(Box::new(ZipWriter::new_stream(enc.wrap_output(file)?))),
                    None,
                )
            }
            Protection::AgeRecipients(keys) => {
                let enc =
                    age::Encryptor::with_recipients(keys.iter().map(|k| k as &dyn age::Recipient))
                        .map_err(|e| BundleError::Age(e.to_string()))?;
                (
                    Zip::Age(Box::new(ZipWriter::new_stream(enc.wrap_output(file)?))),
                    None,
                )
            }
            Protection::ZipAes(p) => (Zip::Aes(Box::new(ZipWriter::new(file))), Some(p.clone())),
        };
        Ok(Self {
            zip,
            aes_password,
            level,
        })
    }

    /// Begin an entry; `compress` deflates it, `large` allows it to pass 4 GiB.
    pub fn start(
        &mut self,
        name: &str,
        compress: bool,
        large: bool,
    ) -> Result<&mut (dyn Write + Send), BundleError> {
        let mut options = SimpleFileOptions::default()
            .large_file(large)
            .unix_permissions(0o600);
        options = if compress {
            options
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(self.level))
        } else {
            options.compression_method(CompressionMethod::Stored)
        };
        match &mut self.zip {
            Zip::Age(z) => {
                z.start_file(name, options)?;
                Ok(z)
            }
            Zip::Aes(z) => {
                let password = self
                    .aes_password
                    .as_ref()
                    .map(|p| p.expose_secret())
                    .unwrap_or_default();
                z.start_file(name, options.with_aes_encryption(AesMode::Aes256, password))?;
                Ok(z)
            }
        }
    }

    /// Close the zip and the encryption, and make the file durable.
    pub fn finish(self) -> Result<(), BundleError> {
        let file = match self.zip {
            Zip::Age(z) => (*z).finish()?.into_inner().finish()?,
            Zip::Aes(z) => (*z).finish()?,
        };
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(())
    }
}

/// Passes bytes through while counting them and hashing them with SHA-256.
pub struct Tap<W> {
    inner: W,
    bytes: u64,
    sha: digest::Context,
}

impl<W: Write> Tap<W> {
    /// Wrap `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            bytes: 0,
            sha: digest::Context::new(&digest::SHA256),
        }
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Byte count and SHA-256 (hex).
    pub fn finish(self) -> (u64, String) {
        (self.bytes, hex::encode(self.sha.finish().as_ref()))
    }
}

impl<W: Write> Write for Tap<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn write_bundle(path: &Path, p: &Protection) -> Result<(), BundleError> {
        let mut b = BundleWriter::create(path, p, 6)?;
        b.start("data.csv", true, false)?
            .write_all(b"id\r\n1\r\n")?;
        b.start("manifest.json", true, false)?.write_all(b"{}")?;
        b.finish()
    }

    #[test]
    fn age_passphrase_round_trip() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("b.zip.age");
        let pass = SecretString::from("correct horse battery staple".to_owned());
        write_bundle(&path, &Protection::AgePassphrase(pass))?;
        let id = age::scrypt::Identity::new(age::secrecy::SecretString::from(
            "correct horse battery staple".to_owned(),
        ));
        let zip = age::decrypt(&id, &std::fs::read(&path)?)?;
        let mut archive = zip::ZipArchive::new(io::Cursor::new(zip))?;
        let mut data = String::new();
        archive.by_name("data.csv")?.read_to_string(&mut data)?;
        assert_eq!(data, "id\r\n1\r\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path)?.permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(
            write_bundle(
                &path,
                &Protection::AgePassphrase(SecretString::from("x".to_owned()))
            )
            .is_err(),
            "an existing file is never overwritten"
        );
        Ok(())
    }

    #[test]
    fn aes_zip_needs_the_password() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("b.zip");
        write_bundle(
            &path,
            &Protection::ZipAes(SecretString::from("pw-pw-pw-pw-pw-pw".to_owned())),
        )?;
        let mut archive = zip::ZipArchive::new(File::open(&path)?)?;
        assert!(
            archive.by_name("data.csv").is_err(),
            "encrypted entries need the password"
        );
        let mut data = String::new();
        archive
            .by_name_decrypt("data.csv", b"pw-pw-pw-pw-pw-pw")?
            .read_to_string(&mut data)?;
        assert_eq!(data, "id\r\n1\r\n");
        assert!(archive.by_name_decrypt("data.csv", b"wrong").is_err());
        Ok(())
    }
}
