//! Secrets kept at rest sealed with the server's secret (storage credentials): XChaCha20-Poly1305
//! with a random nonce, under a key derived from the server's secret, so a copy of the database
//! alone does not give them away. A sealed value is `v1:` and the base64 of nonce and ciphertext.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The version prefix of sealed values.
const PREFIX: &str = "v1:";
/// XChaCha20's nonce length.
const NONCE_LEN: usize = 24;

/// Seals and opens secrets with a key derived from the server's secret.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// The sealer of a server whose secret is `secret`.
    pub fn new(secret: &[u8]) -> Sealer {
        let key = Sha256::new()
            .chain_update(b"tessera sealed secrets v1\0")
            .chain_update(secret)
            .finalize();
        Sealer {
            cipher: XChaCha20Poly1305::new(&key),
        }
    }

    /// Seals a JSON value.
    pub fn seal(&self, value: &Value) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, value.to_string().as_bytes())
            .expect("encrypting in memory does not fail");
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{PREFIX}{}", STANDARD.encode(bytes))
    }

    /// Opens a sealed value; an error when it was sealed with another secret or altered.
    pub fn open(&self, sealed: &str) -> anyhow::Result<Value> {
        let encoded = sealed
            .strip_prefix(PREFIX)
            .ok_or_else(|| anyhow::anyhow!("not a sealed value"))?;
        let bytes = STANDARD.decode(encoded)?;
        if bytes.len() < NONCE_LEN {
            anyhow::bail!("sealed value too short");
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let opened = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), sealed)
            .map_err(|_| {
                anyhow::anyhow!("a sealed secret does not open: was the server's secret changed?")
            })?;
        Ok(serde_json::from_slice(&opened)?)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Sealer;

    #[test]
    fn sealed_values_open_only_with_the_same_secret() {
        let sealer = Sealer::new(b"server secret");
        let secret = json!({"aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG"});
        let sealed = sealer.seal(&secret);
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("wJalr"), "the secret is not readable");
        assert_ne!(sealed, sealer.seal(&secret), "a fresh nonce every time");
        assert_eq!(sealer.open(&sealed).unwrap(), secret);
        assert!(Sealer::new(b"another secret").open(&sealed).is_err());
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(sealer.open(&altered).is_err());
        assert!(sealer.open("plain").is_err());
    }
}
