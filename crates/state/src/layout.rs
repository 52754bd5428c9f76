//! The shape of a decK `_format_version: "3.0"` file: its top-level collections, and the collections
//! nested under each kind of parent. The reader accepts exactly these; the dump writes them. One table
//! for both, so what kongsync writes is always what it reads.

use kongsync_model::Kind;

/// Collections at the top level of a file, with their kind, in the order decK writes them.
pub const TOP_LEVEL: [(&str, Kind); 12] = [
    ("services", Kind::Service),
    ("routes", Kind::Route),
    ("consumers", Kind::Consumer),
    ("consumer_groups", Kind::ConsumerGroup),
    ("plugins", Kind::Plugin),
    ("upstreams", Kind::Upstream),
    ("targets", Kind::Target),
    ("certificates", Kind::Certificate),
    ("ca_certificates", Kind::CaCertificate),
    ("vaults", Kind::Vault),
    ("key_sets", Kind::KeySet),
    ("keys", Kind::Key),
];

/// The collections that may be nested under an entity of `kind`: (field, child kind, the child's
/// reference field that points back at the parent), in the order a dump writes them.
pub fn nested(kind: Kind) -> &'static [(&'static str, Kind, &'static str)] {
    match kind {
        Kind::Service => &[("routes", Kind::Route, "service"), ("plugins", Kind::Plugin, "service")],
        Kind::Route => &[("plugins", Kind::Plugin, "route")],
        Kind::Consumer => &[
            ("acls", Kind::Acl, "consumer"),
            ("basicauth_credentials", Kind::BasicAuth, "consumer"),
            ("hmacauth_credentials", Kind::HmacAuth, "consumer"),
            ("jwt_secrets", Kind::Jwt, "consumer"),
            ("keyauth_credentials", Kind::KeyAuth, "consumer"),
            ("mtls_auth_credentials", Kind::MtlsAuth, "consumer"),
            ("oauth2_credentials", Kind::Oauth2, "consumer"),
            ("plugins", Kind::Plugin, "consumer"),
        ],
        Kind::ConsumerGroup => &[("plugins", Kind::Plugin, "consumer_group")],
        Kind::Upstream => &[("targets", Kind::Target, "upstream")],
        Kind::Certificate => &[("snis", Kind::Sni, "certificate")],
        Kind::KeySet => &[("keys", Kind::Key, "set")],
        _ => &[],
    }
}
