//! Checking a secret against the PBKDF2 string Kong stores for an oauth2 credential with
//! `hash_secret: true` (kong/plugins/oauth2/secret.lua:198-284, 3.5.0): the PHC form
//! `$pbkdf2-sha512$i=<iterations>,l=<length>$<salt>$<hash>`, salt and hash in unpadded standard
//! base64. Only the plan's comparison needs it, so it lives here: HMAC (RFC 2104) and PBKDF2
//! (RFC 8018 §5.2) on `sha2`, the keyed inner and outer states computed once per secret.

use base64::Engine;
use sha2::{Digest, Sha512};

/// More iterations than this are refused: a hostile gateway must not make a plan compute forever.
const MAX_ITERATIONS: u32 = 1_000_000;
/// SHA-512's block size in bytes.
const BLOCK: usize = 128;

/// What a stored value says about a secret.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Matches,
    Differs,
    /// Not a PBKDF2-SHA512 PHC string kongsync can check.
    Unreadable,
}

/// Whether a stored value is in the PHC form of PBKDF2 (of any digest).
pub(crate) fn is_phc(stored: &str) -> bool {
    stored.starts_with("$pbkdf2")
}

/// Checks `secret` against the PHC string `stored`.
pub(crate) fn verify(secret: &str, stored: &str) -> Verdict {
    let Some((iterations, salt, hash)) = parse(stored) else { return Verdict::Unreadable };
    if derive(secret.as_bytes(), &salt, iterations, hash.len()) == hash {
        Verdict::Matches
    } else {
        Verdict::Differs
    }
}

/// The iterations, salt and hash of a PBKDF2-SHA512 PHC string.
fn parse(stored: &str) -> Option<(u32, Vec<u8>, Vec<u8>)> {
    let mut parts = stored.strip_prefix("$pbkdf2-sha512$")?.split('$');
    let (params, salt, hash) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let mut iterations = None;
    let mut length = None;
    for param in params.split(',') {
        match param.split_once('=')? {
            ("i", v) => iterations = v.parse::<u32>().ok(),
            ("l", v) => length = v.parse::<usize>().ok(),
            _ => return None,
        }
    }
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    let (salt, hash) = (b64.decode(salt).ok()?, b64.decode(hash).ok()?);
    let iterations = iterations.filter(|i| (1..=MAX_ITERATIONS).contains(i))?;
    (length.unwrap_or(hash.len()) == hash.len() && !hash.is_empty()).then_some((iterations, salt, hash))
}

/// HMAC-SHA512 keyed once: the hashers after the inner and outer padded keys.
struct Keyed {
    inner: Sha512,
    outer: Sha512,
}

impl Keyed {
    fn new(key: &[u8]) -> Keyed {
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            block[..64].copy_from_slice(&Sha512::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let padded = |pad: u8| Sha512::new().chain_update(block.map(|b| b ^ pad));
        Keyed { inner: padded(0x36), outer: padded(0x5c) }
    }

    fn mac(&self, message: &[&[u8]]) -> [u8; 64] {
        let mut inner = self.inner.clone();
        for part in message {
            inner.update(part);
        }
        self.outer.clone().chain_update(inner.finalize()).finalize().into()
    }
}

/// PBKDF2-HMAC-SHA512 of `secret`, `length` bytes.
fn derive(secret: &[u8], salt: &[u8], iterations: u32, length: usize) -> Vec<u8> {
    let prf = Keyed::new(secret);
    let mut out = Vec::with_capacity(length);
    let mut index: u32 = 1;
    while out.len() < length {
        let mut u = prf.mac(&[salt, &index.to_be_bytes()]);
        let mut t = u;
        for _ in 1..iterations {
            u = prf.mac(&[&u]);
            t.iter_mut().zip(u).for_each(|(a, b)| *a ^= b);
        }
        out.extend_from_slice(&t[..(length - out.len()).min(t.len())]);
        index = index.wrapping_add(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // PBKDF2-HMAC-SHA512 of "password" with salt "salt", 1 and 2 iterations, as an independent
    // implementation (Python's hashlib.pbkdf2_hmac) computes them.
    #[test]
    fn derives_the_known_vector() {
        assert_eq!(
            hex::encode(derive(b"password", b"salt", 1, 32)),
            "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252"
        );
        assert_eq!(
            hex::encode(derive(b"password", b"salt", 2, 64)),
            "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53c\
             f76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e"
        );
    }

    #[test]
    fn verifies_a_phc_string_and_refuses_others() {
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        let hash = derive(b"s3cret", b"0123456789abcdef", 100, 32);
        let stored = format!("$pbkdf2-sha512$i=100,l=32${}${}", b64.encode("0123456789abcdef"), b64.encode(hash));
        assert_eq!(verify("s3cret", &stored), Verdict::Matches);
        assert_eq!(verify("other", &stored), Verdict::Differs);
        assert!(is_phc(&stored));
        for bad in
            ["s3cret", "$pbkdf2-sha256$i=1,l=32$YQ$YQ", "$pbkdf2-sha512$i=0,l=1$YQ$YQ", "$pbkdf2-sha512$i=1$YQ$!!"]
        {
            assert_eq!(verify("s3cret", bad), Verdict::Unreadable, "{bad}");
        }
    }
}
