//! Just enough PEM and DER to do what Kong asks OpenSSL to do with certificates and keys
//! (`kong/db/schema/typedefs.lua:221-238`, `entities/certificates.lua:26-73`,
//! `entities/ca_certificates.lua:24-79`, 3.5.0): decode PEM blocks, check that a certificate or a key
//! is well-formed DER of the right shape, take a certificate's public key, its validity end and its
//! CA basic constraint, and derive the public key a private key carries, so that a mismatched pair is
//! refused. A private key whose public half cannot be read without curve arithmetic (an Ed25519
//! PKCS#8 v1 key, an EC key stored without its public point) is accepted unchecked.

use base64::Engine;

/// One decoded PEM block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pem {
    pub label: String,
    pub der: Vec<u8>,
}

/// Every PEM block of `text`, in order; `None` if an armoured body is not base64.
pub fn pem_blocks(text: &str) -> Option<Vec<Pem>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let label_end = after.find("-----")?;
        let label = after[..label_end].to_string();
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let body_end = body_start.find(&end_marker)?;
        let body: String = body_start[..body_end].chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD.decode(body).ok()?;
        out.push(Pem { label, der });
        rest = &body_start[body_end + end_marker.len()..];
    }
    Some(out)
}

/// One DER element: its tag, its content, and the whole encoding.
#[derive(Debug, Clone, Copy)]
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Reads the element at the start of `input`; returns it and what follows.
fn tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = input.get(2..2 + n)?;
        (bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize), 2 + n)
    };
    let end = header.checked_add(len)?;
    let content = input.get(header..end)?;
    Some((Tlv { tag, content, whole: &input[..end] }, &input[end..]))
}

/// The elements inside a constructed element's content.
fn children(content: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (t, r) = tlv(rest)?;
        out.push(t);
        rest = r;
    }
    Some(out)
}

/// The whole of `der` is one SEQUENCE; its children.
fn sequence(der: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let (t, rest) = tlv(der)?;
    (t.tag == 0x30 && rest.is_empty()).then_some(())?;
    children(t.content)
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];

/// A public key in a form two readings can compare: its algorithm and the key material (RSA: the
/// modulus and exponent without leading zeros; EC: the curve and the point).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ec {
        curve: Vec<u8>,
        point: Vec<u8>,
    },
    /// Another algorithm, compared by its whole SubjectPublicKeyInfo.
    Other(Vec<u8>),
}

fn unsigned(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

fn bit_string(t: &Tlv) -> Option<Vec<u8>> {
    (t.tag == 0x03 && t.content.first() == Some(&0)).then(|| t.content[1..].to_vec())
}

fn rsa_public(pkcs1_public: &[u8]) -> Option<PublicKey> {
    let parts = sequence(pkcs1_public)?;
    match parts.as_slice() {
        [n, e] if n.tag == 0x02 && e.tag == 0x02 => {
            Some(PublicKey::Rsa { n: unsigned(n.content), e: unsigned(e.content) })
        }
        _ => None,
    }
}

/// A SubjectPublicKeyInfo element as a comparable key.
fn spki_key(spki: &Tlv) -> Option<PublicKey> {
    let parts = children(spki.content)?;
    let [alg, key] = parts.as_slice() else { return None };
    let alg_parts = children(alg.content)?;
    let oid = alg_parts.first()?.content;
    let bits = bit_string(key)?;
    if oid == OID_RSA {
        rsa_public(&bits)
    } else if oid == OID_EC {
        Some(PublicKey::Ec { curve: alg_parts.get(1)?.content.to_vec(), point: bits })
    } else {
        Some(PublicKey::Other(spki.whole.to_vec()))
    }
}

/// What Kong reads from a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub public_key: PublicKey,
    /// `notAfter` as seconds since the epoch.
    pub not_after: i64,
    /// The basic-constraints extension says CA:TRUE.
    pub ca: bool,
}

/// Parses an X.509 certificate's DER (the shape `x509.new` needs: tbsCertificate, algorithm, signature).
pub fn certificate(der: &[u8]) -> Option<Certificate> {
    let top = sequence(der)?;
    let [tbs, sig_alg, sig] = top.as_slice() else { return None };
    (tbs.tag == 0x30 && sig_alg.tag == 0x30 && sig.tag == 0x03).then_some(())?;
    let fields = children(tbs.content)?;
    // An explicit [0] version comes first when present.
    let skip = usize::from(fields.first()?.tag == 0xa0);
    let fields = &fields[skip..];
    // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, extensions...
    let validity = children(fields.get(3)?.content)?;
    let not_after = time(validity.get(1)?)?;
    let public_key = spki_key(fields.get(5)?)?;
    let ca = fields.iter().skip(6).filter(|f| f.tag == 0xa3).any(|ext| basic_constraints_ca(ext).unwrap_or(false));
    Some(Certificate { public_key, not_after, ca })
}

fn basic_constraints_ca(extensions: &Tlv) -> Option<bool> {
    let (list, _) = tlv(extensions.content)?;
    for ext in children(list.content)? {
        let parts = children(ext.content)?;
        if parts.first()?.content != OID_BASIC_CONSTRAINTS {
            continue;
        }
        let value = parts.last()?;
        let constraints = sequence(value.content)?;
        return Some(constraints.first().is_some_and(|b| b.tag == 0x01 && b.content.first().is_some_and(|v| *v != 0)));
    }
    None
}

/// UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) as seconds since the epoch.
fn time(t: &Tlv) -> Option<i64> {
    let s = std::str::from_utf8(t.content).ok()?;
    let digits = s.strip_suffix('Z')?;
    let (year, rest) = match t.tag {
        0x17 if digits.len() == 12 => {
            let yy: i64 = digits[..2].parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &digits[2..])
        }
        0x18 if digits.len() == 14 => (digits[..4].parse().ok()?, &digits[4..]),
        _ => return None,
    };
    let n = |i: usize| rest.get(i..i + 2).and_then(|p| p.parse::<i64>().ok());
    let (month, day, hour, min, sec) = (n(0)?, n(2)?, n(4)?, n(6)?, n(8)?);
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What a key PEM block yields once loaded: its public key, when it can be read off the encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadedKey {
    Known(PublicKey),
    /// Well-formed, but the public half needs curve arithmetic to compute.
    Unknown,
}

fn sec1_public(der: &[u8], curve_from_outside: Option<&[u8]>) -> Option<LoadedKey> {
    let parts = sequence(der)?;
    (parts.first()?.tag == 0x02 && parts.get(1)?.tag == 0x04).then_some(())?;
    let curve = parts.iter().find(|p| p.tag == 0xa0).and_then(|p| tlv(p.content)).map(|(o, _)| o.content.to_vec());
    let point = parts.iter().find(|p| p.tag == 0xa1).and_then(|p| tlv(p.content)).and_then(|(b, _)| bit_string(&b));
    let curve = curve.or_else(|| curve_from_outside.map(<[u8]>::to_vec));
    Some(match (curve, point) {
        (Some(curve), Some(point)) => LoadedKey::Known(PublicKey::Ec { curve, point }),
        _ => LoadedKey::Unknown,
    })
}

fn rsa_private(der: &[u8]) -> Option<LoadedKey> {
    let parts = sequence(der)?;
    // version, n, e, d, p, q, dp, dq, qi
    (parts.len() >= 9 && parts.iter().all(|p| p.tag == 0x02)).then_some(())?;
    Some(LoadedKey::Known(PublicKey::Rsa { n: unsigned(parts[1].content), e: unsigned(parts[2].content) }))
}

/// Loads a key the way `pkey.new` does for the PEM labels Kong meets: PKCS#8, PKCS#1 RSA, SEC1 EC,
/// and public keys. An encrypted key does not load (Kong gives OpenSSL no passphrase).
pub fn load_key(pem: &Pem) -> Option<LoadedKey> {
    match pem.label.as_str() {
        "RSA PRIVATE KEY" => rsa_private(&pem.der),
        "EC PRIVATE KEY" => sec1_public(&pem.der, None),
        "PUBLIC KEY" => {
            let (t, rest) = tlv(&pem.der)?;
            rest.is_empty().then_some(())?;
            spki_key(&t).map(LoadedKey::Known)
        }
        "RSA PUBLIC KEY" => rsa_public(&pem.der).map(LoadedKey::Known),
        "PRIVATE KEY" => {
            let parts = sequence(&pem.der)?;
            let [version, alg, key, ..] = parts.as_slice() else { return None };
            (version.tag == 0x02 && alg.tag == 0x30 && key.tag == 0x04).then_some(())?;
            let alg_parts = children(alg.content)?;
            let oid = alg_parts.first()?.content;
            if oid == OID_RSA {
                rsa_private(key.content)
            } else if oid == OID_EC {
                sec1_public(key.content, alg_parts.get(1).map(|p| p.content))
            } else {
                Some(LoadedKey::Unknown)
            }
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pem(text: &str) -> Pem {
        pem_blocks(text).unwrap().remove(0)
    }
    fn cert(text: &str) -> Certificate {
        certificate(&pem(text).der).unwrap()
    }
    const CA: &str = include_str!("../../tests/fixtures/ca.pem");
    const CA_KEY: &str = include_str!("../../tests/fixtures/ca.key");
    const LEAF: &str = include_str!("../../tests/fixtures/leaf.pem");
    const LEAF_KEY: &str = include_str!("../../tests/fixtures/leaf.key");
    const LEAF_SEC1: &str = include_str!("../../tests/fixtures/leaf-sec1.key");
    const RSA: &str = include_str!("../../tests/fixtures/rsa.pem");
    const RSA_KEY: &str = include_str!("../../tests/fixtures/rsa.key");
    const RSA_PKCS1: &str = include_str!("../../tests/fixtures/rsa-pkcs1.key");

    // kong/db/schema/entities/certificates.lua:30-39 (3.5.0): the certificate's public key must be the
    // key's public half, whatever the key's encoding.
    #[test]
    fn keys_match_their_certificates_only() {
        let key = |t: &str| match load_key(&pem(t)).unwrap() {
            LoadedKey::Known(k) => k,
            LoadedKey::Unknown => panic!("unknown"),
        };
        assert_eq!(cert(LEAF).public_key, key(LEAF_KEY));
        assert_eq!(cert(LEAF).public_key, key(LEAF_SEC1));
        assert_eq!(cert(RSA).public_key, key(RSA_KEY));
        assert_eq!(cert(RSA).public_key, key(RSA_PKCS1));
        assert_ne!(cert(LEAF).public_key, key(CA_KEY));
        assert_ne!(cert(RSA).public_key, key(LEAF_KEY));
    }

    // kong/db/schema/entities/ca_certificates.lua:49-61 (3.5.0): validity end and the CA constraint.
    #[test]
    fn validity_and_ca_constraint() {
        let ca = cert(CA);
        assert!(ca.ca);
        assert!(!cert(LEAF).ca);
        // The fixtures were issued for 36,500 days in 2026: they end in 2126.
        assert!(ca.not_after > 4_900_000_000 && ca.not_after < 4_950_000_000, "{}", ca.not_after);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn malformed_blocks_do_not_load() {
        assert!(certificate(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_none());
        assert!(pem_blocks("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----").is_none());
        let garbage = Pem { label: "PRIVATE KEY".into(), der: vec![0x30, 0x00] };
        assert!(load_key(&garbage).is_none());
        assert!(load_key(&Pem { label: "ENCRYPTED PRIVATE KEY".into(), der: pem(RSA_KEY).der }).is_none());
    }
}
