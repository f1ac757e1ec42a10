//! All of Strongroom's cryptography, and the only module that touches the cipher or the RNG.
//!
//! Envelope encryption with AES-256-GCM: the master key wraps one random data key per
//! application; each data key seals that application's secret values. Every sealed blob is
//! `version (1 byte) || nonce (12 bytes) || ciphertext+tag`, and its associated data names what
//! it belongs to (application id, secret id, format version), so a blob copied into another
//! row fails to open instead of yielding another secret.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand::RngCore;
use std::fmt;
use zeroize::Zeroizing;

use shared::model::{ApplicationId, SecretId};

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;
const KEY_CHECK_PLAINTEXT: &[u8] = b"strongroom master key check";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// Wrong key, tampered or misplaced data: AES-GCM cannot tell these apart, on purpose.
    #[error("decryption failed: wrong key, or the stored data was altered or moved")]
    Open,
    #[error("unknown encryption format version {0}")]
    UnknownFormat(u8),
    #[error("sealed data is truncated")]
    Truncated,
    #[error("a key must be exactly 32 bytes, got {0}")]
    KeyLength(usize),
    #[error("encryption failed")]
    Seal,
}

/// A 256-bit key whose bytes are wiped on drop and never printed.
struct KeyBytes(Zeroizing<[u8; KEY_LEN]>);

impl KeyBytes {
    fn random() -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        OsRng.fill_bytes(bytes.as_mut());
        KeyBytes(bytes)
    }

    fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| CryptoError::KeyLength(bytes.len()))?;
        Ok(KeyBytes(Zeroizing::new(array)))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(self.0.as_ref()))
    }
}

/// The server's master key: it only wraps data keys and seals the key-check value.
pub struct MasterKey(KeyBytes);

/// One application's data key, unwrapped in memory only while it is used.
pub struct DataKey(KeyBytes);

/// A data key set up to open values: the cipher's key schedule is done once, for a key that
/// opens the same values again and again (the Management API's read cache holds these while
/// its entries last). Its AES round keys are wiped on drop (the `aes` crate's `zeroize`
/// feature); the GHASH key derived from them is not.
pub struct ValueOpener(Aes256Gcm);

// Keys and values print as `<redacted>`, so a stray `{:?}` can never leak them into a log.
impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

impl fmt::Debug for ValueOpener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ValueOpener(<redacted>)")
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

impl MasterKey {
    pub fn generate() -> Self {
        MasterKey(KeyBytes::random())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        KeyBytes::from_slice(bytes).map(MasterKey)
    }

    /// The raw bytes, for writing a freshly generated key to its file.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.0.to_vec())
    }

    /// A value stored in the database at first start; opening it later proves the key is the same.
    pub fn key_check(&self) -> Result<Vec<u8>, CryptoError> {
        seal(&self.0, KEY_CHECK_PLAINTEXT, &key_check_aad())
    }

    pub fn verify_key_check(&self, stored: &[u8]) -> Result<(), CryptoError> {
        let plain = open(&self.0, stored, &key_check_aad())?;
        if plain.as_slice() == KEY_CHECK_PLAINTEXT {
            Ok(())
        } else {
            Err(CryptoError::Open)
        }
    }

    pub fn wrap(&self, app: ApplicationId, key: &DataKey) -> Result<Vec<u8>, CryptoError> {
        seal(&self.0, key.0.0.as_ref(), &data_key_aad(app))
    }

    pub fn unwrap(&self, app: ApplicationId, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        let bytes = open(&self.0, wrapped, &data_key_aad(app))?;
        KeyBytes::from_slice(&bytes).map(DataKey)
    }
}

impl DataKey {
    pub fn generate() -> Self {
        DataKey(KeyBytes::random())
    }

    pub fn seal_value(
        &self,
        app: ApplicationId,
        secret: SecretId,
        value: &SecretValue,
    ) -> Result<Vec<u8>, CryptoError> {
        seal(&self.0, value.expose().as_bytes(), &value_aad(app, secret))
    }

    pub fn open_value(
        &self,
        app: ApplicationId,
        secret: SecretId,
        sealed: &[u8],
    ) -> Result<SecretValue, CryptoError> {
        self.opener().open_value(app, secret, sealed)
    }

    pub fn opener(&self) -> ValueOpener {
        ValueOpener(self.0.cipher())
    }
}

impl ValueOpener {
    pub fn open_value(
        &self,
        app: ApplicationId,
        secret: SecretId,
        sealed: &[u8],
    ) -> Result<SecretValue, CryptoError> {
        let bytes = open_with(&self.0, sealed, &value_aad(app, secret))?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| CryptoError::Open)?;
        Ok(SecretValue::new(text))
    }
}

impl DataKey {
    /// A scenario run's log and error (which may quote secret values), sealed like a value.
    pub fn seal_run_report(
        &self,
        app: ApplicationId,
        scenario: i64,
        report: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        seal(&self.0, report, &run_report_aad(app, scenario))
    }

    pub fn open_run_report(
        &self,
        app: ApplicationId,
        scenario: i64,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open(&self.0, sealed, &run_report_aad(app, scenario))
    }
}

/// A secret's plaintext value: wiped on drop, redacted in `Debug`, and not `Serialize`.
pub struct SecretValue(Zeroizing<String>);

impl SecretValue {
    pub fn new(value: String) -> Self {
        SecretValue(Zeroizing::new(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A new service-account key pair: the private half goes to the caller once, as PKCS#8 PEM
/// (what the official clients' JWT libraries load); only the public half (SPKI PEM) is stored.
pub struct KeyPair {
    pub private_pem: Zeroizing<String>,
    pub public_pem: String,
}

const RSA_BITS: usize = 2048;

pub fn generate_service_account_key() -> Result<KeyPair, CryptoError> {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let private = rsa::RsaPrivateKey::new(&mut OsRng, RSA_BITS).map_err(|_| CryptoError::Seal)?;
    let private_pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| CryptoError::Seal)?;
    let public_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|_| CryptoError::Seal)?;
    Ok(KeyPair {
        private_pem: Zeroizing::new(private_pem.to_string()),
        public_pem,
    })
}

/// A random key id in UUID v4 form, like the key ids Voximplant hands out.
pub fn new_key_id() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A new legacy API key (256 random bits, URL-safe text) and the hash that is stored instead.
pub fn new_api_key() -> (Zeroizing<String>, Vec<u8>) {
    use base64::Engine as _;
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    OsRng.fill_bytes(bytes.as_mut());
    let key =
        Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_ref()));
    let hash = hash_api_key(&key);
    (key, hash)
}

/// SHA-256, not a password hash: the key is 256 random bits, so there is nothing to guess, and
/// every API call can check it cheaply.
pub fn hash_api_key(key: &str) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(key.as_bytes()).to_vec()
}

/// Compares two hashes in constant time.
pub fn hashes_match(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.ct_eq(b).into()
}

/// A random bearer token (session cookie, CSRF token): 256 bits, URL-safe text.
pub fn new_token() -> Zeroizing<String> {
    use base64::Engine as _;
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    OsRng.fill_bytes(bytes.as_mut());
    Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_ref()))
}

/// What is stored in place of a bearer token: random tokens need no slow hash (see
/// `hash_api_key`), and a lookup by hash reveals nothing about the token through timing.
pub fn hash_token(token: &str) -> Vec<u8> {
    hash_api_key(token)
}

/// A one-time setup code a person types from the server log: 20 characters from an alphabet
/// without look-alikes (0/O, 1/I/L), about 98 bits, shown in groups of five.
pub fn new_setup_code() -> Zeroizing<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut code = Zeroizing::new(String::with_capacity(23));
    for i in 0..20 {
        if i > 0 && i % 5 == 0 {
            code.push('-');
        }
        // Rejection sampling keeps every character equally likely.
        let c = loop {
            let byte = (OsRng.next_u32() & 0xff) as usize;
            if byte < 248 {
                break ALPHABET[byte % ALPHABET.len()];
            }
        };
        code.push(char::from(c));
    }
    code
}

/// A setup code as typed: case, spaces and dashes do not matter.
pub fn normalize_setup_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// An argon2id hash (PHC string, random salt, the crate's default cost: 19 MiB, 2 passes).
/// Slow on purpose; call it off the async workers.
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    use argon2::PasswordHasher as _;
    let salt = argon2::password_hash::SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| CryptoError::Seal)
}

/// Checks `password` against a stored PHC string; a malformed hash never matches. The
/// comparison inside argon2 is constant-time.
pub fn verify_password(password: &str, stored: &str) -> bool {
    use argon2::PasswordVerifier as _;
    argon2::password_hash::PasswordHash::new(stored).is_ok_and(|hash| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Spends the time of one password check, so "no such user" takes as long as "wrong password".
pub fn waste_password_check(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("strongroom-dummy-password").unwrap_or_default());
    let _ = verify_password(password, hash);
}

fn key_check_aad() -> Vec<u8> {
    aad(b"key-check", &[])
}

fn data_key_aad(app: ApplicationId) -> Vec<u8> {
    aad(b"data-key", &[app.0])
}

fn value_aad(app: ApplicationId, secret: SecretId) -> Vec<u8> {
    aad(b"secret-value", &[app.0, secret.0])
}

fn run_report_aad(app: ApplicationId, scenario: i64) -> Vec<u8> {
    aad(b"scenario-run", &[app.0, scenario])
}

/// `strongroom/<purpose>/v1` followed by the ids, fixed-width, so no two contexts collide.
fn aad(purpose: &[u8], ids: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + 8 * ids.len());
    out.extend_from_slice(b"strongroom/");
    out.extend_from_slice(purpose);
    out.extend_from_slice(&[b'/', b'v', b'0' + FORMAT_V1]);
    for id in ids {
        out.extend_from_slice(&id.to_be_bytes());
    }
    out
}

fn seal(key: &KeyBytes, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ciphertext = key
        .cipher()
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError::Seal)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

fn open(key: &KeyBytes, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    open_with(&key.cipher(), sealed, aad)
}

fn open_with(
    cipher: &Aes256Gcm,
    sealed: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (&version, rest) = sealed.split_first().ok_or(CryptoError::Truncated)?;
    if version != FORMAT_V1 {
        return Err(CryptoError::UnknownFormat(version));
    }
    if rest.len() < NONCE_LEN + 16 {
        return Err(CryptoError::Truncated);
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: ApplicationId = ApplicationId(7);
    const SECRET: SecretId = SecretId(42);

    fn sealed(key: &DataKey, text: &str) -> Vec<u8> {
        key.seal_value(APP, SECRET, &SecretValue::new(text.into()))
            .unwrap()
    }

    #[test]
    fn value_round_trips_and_ciphertext_hides_it() {
        let key = DataKey::generate();
        let text = "pässwörd 😀\nsecond line: sk_live_4eC39HqLyjWDarjtT1zdp7dc, 0x1F2E3D";
        let blob = sealed(&key, text);
        // Version, nonce, ciphertext of every byte, tag.
        assert_eq!(blob.len(), 1 + NONCE_LEN + text.len() + 16);
        // No run of five plaintext bytes is anywhere in the blob, header included (in random
        // bytes, a chance match of any of them comes about once in 170 million runs).
        for (at, run) in text.as_bytes().windows(5).enumerate() {
            assert!(
                !blob.windows(run.len()).any(|w| w == run),
                "plaintext bytes {at}..{} are in the sealed value",
                at + run.len()
            );
        }
        assert_eq!(key.open_value(APP, SECRET, &blob).unwrap().expose(), text);
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let key = DataKey::generate();
        let a = sealed(&key, "same");
        let b = sealed(&key, "same");
        assert_ne!(a[1..13], b[1..13]);
        assert_ne!(a, b);
    }

    #[test]
    fn flipping_any_byte_of_nonce_ciphertext_or_tag_fails() {
        let key = DataKey::generate();
        let blob = sealed(&key, "correct horse battery staple");
        // Byte 0 is the format version; 1..13 the nonce; then ciphertext; the last 16 the tag.
        for i in 0..blob.len() {
            let mut tampered = blob.clone();
            tampered[i] ^= 0x01;
            assert!(
                key.open_value(APP, SECRET, &tampered).is_err(),
                "flipping byte {i} went unnoticed"
            );
        }
    }

    #[test]
    fn ciphertext_moved_to_another_secret_or_application_fails() {
        let key = DataKey::generate();
        let first = key
            .seal_value(APP, SecretId(1), &SecretValue::new("one".into()))
            .unwrap();
        let second = key
            .seal_value(APP, SecretId(2), &SecretValue::new("two".into()))
            .unwrap();
        // Swapped between rows: each fails under the other's id.
        assert_eq!(
            key.open_value(APP, SecretId(2), &first).unwrap_err(),
            CryptoError::Open
        );
        assert_eq!(
            key.open_value(APP, SecretId(1), &second).unwrap_err(),
            CryptoError::Open
        );
        assert!(
            key.open_value(ApplicationId(8), SecretId(1), &first)
                .is_err()
        );
    }

    #[test]
    fn truncated_or_unknown_format_is_an_error() {
        let key = DataKey::generate();
        let blob = sealed(&key, "x");
        assert_eq!(
            key.open_value(APP, SECRET, &blob[..20]).unwrap_err(),
            CryptoError::Truncated
        );
        assert_eq!(
            key.open_value(APP, SECRET, &[]).unwrap_err(),
            CryptoError::Truncated
        );
        let mut v2 = blob.clone();
        v2[0] = 2;
        assert_eq!(
            key.open_value(APP, SECRET, &v2).unwrap_err(),
            CryptoError::UnknownFormat(2)
        );
    }

    #[test]
    fn data_key_wrapping_round_trips_only_with_the_same_master_key_and_application() {
        let master = MasterKey::generate();
        let data = DataKey::generate();
        let wrapped = master.wrap(APP, &data).unwrap();
        let unwrapped = master.unwrap(APP, &wrapped).unwrap();
        let blob = sealed(&data, "v");
        assert_eq!(
            unwrapped.open_value(APP, SECRET, &blob).unwrap().expose(),
            "v"
        );

        assert!(MasterKey::generate().unwrap(APP, &wrapped).is_err());
        assert!(master.unwrap(ApplicationId(8), &wrapped).is_err());
    }

    #[test]
    fn wrong_master_key_fails_the_key_check() {
        let master = MasterKey::generate();
        let check = master.key_check().unwrap();
        assert!(master.verify_key_check(&check).is_ok());
        assert_eq!(
            MasterKey::generate().verify_key_check(&check).unwrap_err(),
            CryptoError::Open
        );
    }

    #[test]
    fn keys_never_print_their_bytes() {
        assert_eq!(
            format!("{:?}", MasterKey::generate()),
            "MasterKey(<redacted>)"
        );
        assert_eq!(
            format!("{:?}", SecretValue::new("hunter2".into())),
            "SecretValue(<redacted>)"
        );
        assert_eq!(
            MasterKey::from_bytes(&[0; 31]).unwrap_err(),
            CryptoError::KeyLength(31)
        );
    }
}
