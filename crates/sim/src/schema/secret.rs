//! Kong's oauth2 client-secret hash (`kong/plugins/oauth2/secret.lua:198-284`, 3.5.0, the only
//! algorithm enabled there): PBKDF2 with HMAC-SHA512, 10,000 iterations, a 32-byte result, written as
//! the PHC string `$pbkdf2-sha512$i=10000,l=32$<salt>$<hash>` with unpadded standard base64.
//! HMAC and PBKDF2 are written out on `sha2` (RFC 2104, RFC 8018 §5.2), one block being enough.

use base64::Engine;
use sha2::{Digest, Sha512};

const ITERATIONS: u32 = 10_000;
const BLOCK: usize = 128;

fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> [u8; 64] {
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..64].copy_from_slice(&Sha512::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.map(|b| b ^ byte);
    let mut inner = Sha512::new();
    inner.update(pad(0x36));
    for p in parts {
        inner.update(p);
    }
    let mut outer = Sha512::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// PBKDF2-HMAC-SHA512, first 32 bytes of block 1.
fn pbkdf2(secret: &[u8], salt: &[u8]) -> [u8; 32] {
    let mut u = hmac_sha512(secret, &[salt, &1u32.to_be_bytes()]);
    let mut acc = u;
    for _ in 1..ITERATIONS {
        u = hmac_sha512(secret, &[&u]);
        acc.iter_mut().zip(u.iter()).for_each(|(a, b)| *a ^= b);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&acc[..32]);
    out
}

/// The PHC string Kong stores for `secret` with `salt`.
pub fn pbkdf2_phc(secret: &str, salt: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    let hash = pbkdf2(secret.as_bytes(), salt);
    format!("$pbkdf2-sha512$i={ITERATIONS},l=32${}${}", b64.encode(salt), b64.encode(hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4231 test case 2 (HMAC-SHA512).
    #[test]
    fn hmac_vector() {
        let mac = hmac_sha512(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex::encode(mac),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        );
    }

    // kong/plugins/oauth2/secret.lua:229-235: the PHC layout; the derived bytes checked against
    // OpenSSL (`openssl kdf -keylen 32 -kdfopt digest:SHA512 -kdfopt pass:secret -kdfopt salt:saltsaltsaltsalt
    // -kdfopt iter:10000 PBKDF2`).
    #[test]
    fn phc_string() {
        let phc = pbkdf2_phc("secret", b"saltsaltsaltsalt");
        assert!(phc.starts_with("$pbkdf2-sha512$i=10000,l=32$c2FsdHNhbHRzYWx0c2FsdA$"), "{phc}");
        assert_eq!(phc, format!("$pbkdf2-sha512$i=10000,l=32$c2FsdHNhbHRzYWx0c2FsdA${}", PBKDF2_OPENSSL));
    }
    const PBKDF2_OPENSSL: &str = "f+bBNpDm1dD76HDTg44Z2qO0KWw9xM1beWOT/VyOFns";
}
