//! A generated configuration of any size with the mix of kinds a large real gateway holds: services
//! with routes and plugins, consumers with credentials and consumer-group memberships, upstreams with
//! targets, certificates with SNIs. It is written in blocks of [`BLOCK_ENTITIES`] entities, so that
//! every size has the same proportions and a cost per entity compares across sizes. Deterministic,
//! so runs compare; `changed` gives the same configuration with about 1% of the entities edited.

// Each benchmark includes this module and uses part of it.
#![allow(dead_code)]

use std::fmt::Write;

/// Entities in one block: 4 services, each with 2 routes, a plugin on the service and one on its
/// first route (20); 3 consumers, each with a key-auth credential, an ACL and a membership of a
/// group (12); an upstream with 2 targets (3); a certificate with 2 SNIs (3). A consumer group for
/// every 25 blocks comes on top.
pub const BLOCK_ENTITIES: usize = 38;

/// Blocks per consumer group.
const BLOCKS_PER_GROUP: usize = 25;

/// A certificate and its private key (testdata/valid/flat.yaml's, an EC P-256 pair), one PEM line
/// an item. Every generated certificate is this one with its serial number changed, so that each has
/// its own content (certificates are known by it) while its key still matches.
const CERT: [&str; 9] = [
    "MIIBjTCCATOgAwIBAgIUUFNK/zQ16RrtnZ59pqlsjBDQPeAwCgYIKoZIzj0EAwIw",
    "GzEZMBcGA1UEAwwQc2hvcC5leGFtcGxlLmNvbTAgFw0yNjExMjUwNjA2MDNaGA8y",
    "MTI2MTEwMTA2MDYwM1owGzEZMBcGA1UEAwwQc2hvcC5leGFtcGxlLmNvbTBZMBMG",
    "ByqGSM49AgEGCCqGSM49AwEHA0IABFj3wH815OlKRPGeN7l9HPoYjuQ5MlLyUcxa",
    "4YNX1Er+001v5WjyaMh6l4QAocfQC9HhQZR9iThURR0HN5EOUyajUzBRMB0GA1Ud",
    "DgQWBBTkFKVkl0AVVP0EOCatfqAduxiG2DAfBgNVHSMEGDAWgBTkFKVkl0AVVP0E",
    "OCatfqAduxiG2DAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCICNX",
    "zQ41NdurC506W4uautAlxE0EfNs3BhxpEkuI2wEwAiEAzSyxlziOiltDNSiAEM38",
    "vLUDKK70OF+vf4EOpSFlioo=",
];
const KEY: [&str; 3] = [
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgo4Qk1ITp+L3xZXWD",
    "EanX5tG3QFFuYTSPyU8GMJYXaMehRANCAARY98B/NeTpSkTxnje5fRz6GI7kOTJS",
    "8lHMWuGDV9RK/tNNb+Vo8mjIepeEAKHH0AvR4UGUfYk4VEUdBzeRDlMm",
];

/// The blocks that make about `entities` entities (at least one).
pub fn blocks_for(entities: usize) -> usize {
    entities.div_ceil(BLOCK_ENTITIES).max(1)
}

/// Writes `label`'s PEM block of `lines` as the literal block of `field`, an item's key at column 2.
fn pem_field(out: &mut String, field: &str, label: &str, lines: &[&str]) {
    let _ = writeln!(out, "  {field}: |\n    -----BEGIN {label}-----");
    for l in lines {
        let _ = writeln!(out, "    {l}");
    }
    let _ = writeln!(out, "    -----END {label}-----");
}

/// The certificate of block `b`: its serial's bytes 3 to 8 (base64 characters 24 to 31 of the
/// first line, so the DER keeps its length) carry the block number.
fn certificate_lines(b: usize) -> Vec<String> {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut first = CERT[0].as_bytes().to_vec();
    for (i, c) in first[24..32].iter_mut().enumerate() {
        *c = B64[(b >> (6 * (7 - i))) & 63];
    }
    let mut lines = vec![String::from_utf8(first).unwrap_or_default()];
    lines.extend(CERT[1..].iter().map(|l| l.to_string()));
    lines
}

/// A decK state file of `blocks` blocks. With `changed`, about 1% of the entities differ: every
/// 20th service has another retry count and every 40th route another `strip_path`.
pub fn state_file(blocks: usize, changed: bool) -> String {
    let mut out = String::with_capacity(blocks * 4200);
    out.push_str("_format_version: \"3.0\"\nservices:\n");
    for s in 0..blocks * 4 {
        let retries = if changed && s % 20 == 0 { 1 } else { 5 };
        let _ = write!(
            out,
            "- name: svc-{s:07}\n  host: backend-{s}.internal\n  port: 8080\n  retries: {retries}\n  \
             tags: [bench, team-{}]\n  plugins:\n  - name: rate-limiting\n    config:\n      minute: {}\n      \
             policy: local\n  routes:\n",
            s % 7,
            60 + s % 100
        );
        for r in 0..2 {
            let route = s * 2 + r;
            let strip = !(changed && route % 40 == 0);
            let _ = write!(
                out,
                "  - name: route-{route:07}\n    paths: [/svc-{s:07}/r{r}]\n    methods: [GET, POST]\n    \
                 strip_path: {strip}\n"
            );
            if r == 0 {
                out.push_str("    plugins:\n    - name: key-auth\n      config:\n        key_names: [apikey]\n");
            }
        }
    }
    out.push_str("consumer_groups:\n");
    for g in 0..blocks.div_ceil(BLOCKS_PER_GROUP) {
        let _ = writeln!(out, "- name: group-{g:05}");
    }
    out.push_str("consumers:\n");
    for c in 0..blocks * 3 {
        let group = c / 3 / BLOCKS_PER_GROUP;
        let _ = write!(
            out,
            "- username: user-{c:07}\n  custom_id: cid-{c:07}\n  tags: [bench]\n  keyauth_credentials:\n  \
             - key: key-{c:07}-0123456789abcdef\n  acls:\n  - group: tier-{}\n  groups:\n  - name: group-{group:05}\n",
            c % 3
        );
    }
    out.push_str("upstreams:\n");
    for u in 0..blocks {
        let _ = write!(out, "- name: upstream-{u:07}\n  algorithm: round-robin\n  targets:\n");
        for t in 0..2 {
            // Two addresses per upstream, different for every upstream up to 2^23 of them.
            let a = u * 2 + t;
            let _ = writeln!(
                out,
                "  - target: 10.{}.{}.{}:8080\n    weight: 100",
                (a >> 16) & 255,
                (a >> 8) & 255,
                a & 255
            );
        }
    }
    out.push_str("certificates:\n");
    for b in 0..blocks {
        let cert = certificate_lines(b);
        let cert: Vec<&str> = cert.iter().map(String::as_str).collect();
        out.push_str("- tags: [bench]\n");
        pem_field(&mut out, "cert", "CERTIFICATE", &cert);
        pem_field(&mut out, "key", "PRIVATE KEY", &KEY);
        let _ = write!(out, "  snis:\n  - name: host-{b:07}.example.com\n  - name: \"*.host-{b:07}.example.com\"\n");
    }
    out
}
