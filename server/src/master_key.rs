//! Where the master key comes from: `STRONGROOM_MASTER_KEY` (base64), or a key file that is
//! generated with mode 0600 on first start.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use store::MasterKey;
use zeroize::Zeroizing;

pub const ENV_VAR: &str = "STRONGROOM_MASTER_KEY";

/// Where the key in use came from; `Generated` keys are removed again if the database refuses them.
#[derive(Debug, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    Generated(PathBuf),
}

pub fn load(env_value: Option<String>, file: &Path) -> anyhow::Result<(MasterKey, KeySource)> {
    if let Some(encoded) = env_value {
        let key =
            decode(&encoded).with_context(|| format!("{ENV_VAR} is not a valid master key"))?;
        return Ok((key, KeySource::Environment));
    }
    match fs::read_to_string(file) {
        Ok(text) => {
            warn_if_readable_by_others(file);
            let key = decode(&text)
                .with_context(|| format!("the master key file {} is not valid", file.display()))?;
            Ok((key, KeySource::File(file.to_owned())))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let key = MasterKey::generate();
            write_new_key_file(file, &key)
                .with_context(|| format!("cannot create the master key file {}", file.display()))?;
            Ok((key, KeySource::Generated(file.to_owned())))
        }
        Err(err) => {
            Err(err).with_context(|| format!("cannot read the master key file {}", file.display()))
        }
    }
}

fn decode(encoded: &str) -> anyhow::Result<MasterKey> {
    let bytes = STANDARD
        .decode(encoded.trim())
        .context("it must be base64, for example the output of `openssl rand -base64 32`")?;
    if bytes.len() != 32 {
        bail!(
            "it must decode to exactly 32 bytes, but decodes to {}",
            bytes.len()
        );
    }
    Ok(MasterKey::from_bytes(&bytes)?)
}

/// Writes the key to a temporary file, syncs it, then links it into place: a crash leaves either
/// no key file or a complete one, and an existing key file is never overwritten.
fn write_new_key_file(file: &Path, key: &MasterKey) -> anyhow::Result<()> {
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mut encoded = Zeroizing::new(STANDARD.encode(key.to_bytes().as_slice()));
    encoded.push('\n');
    let mut temp = tempfile::Builder::new()
        .prefix(".master.key.")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    temp.write_all(encoded.as_bytes())?;
    temp.as_file().sync_all()?;
    fs::hard_link(temp.path(), file)?;
    fs::File::open(dir)?.sync_all()?;
    Ok(())
}

fn warn_if_readable_by_others(file: &Path) {
    if let Ok(meta) = fs::metadata(file) {
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                file = %file.display(),
                mode = format!("{:o}", mode & 0o777),
                "the master key file is readable by other users; run `chmod 600` on it"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_load_generates_a_private_key_file_and_the_second_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sub/master.key");
        let (first, source) = load(None, &file).unwrap();
        assert_eq!(source, KeySource::Generated(file.clone()));
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let (second, source) = load(None, &file).unwrap();
        assert_eq!(source, KeySource::File(file.clone()));
        assert_eq!(first.to_bytes(), second.to_bytes());
    }

    #[test]
    fn environment_key_wins_and_bad_ones_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("master.key");
        let encoded = STANDARD.encode([9u8; 32]);
        let (key, source) = load(Some(encoded), &file).unwrap();
        assert_eq!(source, KeySource::Environment);
        assert_eq!(key.to_bytes().as_slice(), &[9u8; 32]);
        assert!(
            !file.exists(),
            "no key file is written when the key comes from the environment"
        );

        let err = load(Some(STANDARD.encode([1u8; 16])), &file).unwrap_err();
        assert!(
            format!("{err:#}").contains("exactly 32 bytes, but decodes to 16"),
            "{err:#}"
        );
        let err = load(Some("not base64!".into()), &file).unwrap_err();
        assert!(format!("{err:#}").contains(ENV_VAR), "{err:#}");
    }
}
