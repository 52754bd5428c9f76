//! The entity kinds kongsync manages, and the facts about each that do not depend on a field:
//! its names (decK's kind string, the Admin API collection, the state-file collection), its
//! references to parent kinds and how Kong behaves when such a parent is deleted.
//!
//! The declaration order of [`Kind`] is the fixed tie-break order of plans: parents before children,
//! so sorting by kind is already a valid creation order between kinds.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One kind of Kong entity. `Ord` follows the declaration order, which puts every parent kind before
/// the kinds that reference it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    CaCertificate,
    Certificate,
    Sni,
    Vault,
    KeySet,
    Key,
    Consumer,
    ConsumerGroup,
    ConsumerGroupMember,
    KeyAuth,
    BasicAuth,
    HmacAuth,
    Jwt,
    Acl,
    Oauth2,
    MtlsAuth,
    Upstream,
    Target,
    Service,
    Route,
    Plugin,
}

/// What Kong does to children when their parent is deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnDelete {
    /// Kong deletes the children with the parent: no request is needed for them.
    Cascade,
    /// Kong refuses to delete the parent while children reference it.
    Restrict,
}

/// A field of a kind that references another entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The field name in Kong's API and in decK files (`service`, `consumer`, `set`, ...).
    pub field: &'static str,
    /// The referenced kind.
    pub target: Kind,
    /// Whether the field must be set.
    pub required: bool,
    /// Kong's behaviour when the referenced entity is deleted.
    pub on_delete: OnDelete,
}

const fn reference(field: &'static str, target: Kind, required: bool, on_delete: OnDelete) -> Reference {
    Reference { field, target, required, on_delete }
}

use OnDelete::{Cascade, Restrict};

const CONSUMER_REF: &[Reference] = &[reference("consumer", Kind::Consumer, true, Cascade)];

impl Kind {
    /// Every kind, in plan order.
    pub const ALL: [Kind; 21] = [
        Kind::CaCertificate,
        Kind::Certificate,
        Kind::Sni,
        Kind::Vault,
        Kind::KeySet,
        Kind::Key,
        Kind::Consumer,
        Kind::ConsumerGroup,
        Kind::ConsumerGroupMember,
        Kind::KeyAuth,
        Kind::BasicAuth,
        Kind::HmacAuth,
        Kind::Jwt,
        Kind::Acl,
        Kind::Oauth2,
        Kind::MtlsAuth,
        Kind::Upstream,
        Kind::Target,
        Kind::Service,
        Kind::Route,
        Kind::Plugin,
    ];

    /// The seven consumer credential kinds.
    pub const CREDENTIALS: [Kind; 7] =
        [Kind::KeyAuth, Kind::BasicAuth, Kind::HmacAuth, Kind::Jwt, Kind::Acl, Kind::Oauth2, Kind::MtlsAuth];

    /// The kind as decK names it in its output (`service`, `key-auth`, `acl-group`, ...).
    pub fn deck_name(self) -> &'static str {
        match self {
            Kind::CaCertificate => "ca-certificate",
            Kind::Certificate => "certificate",
            Kind::Sni => "sni",
            Kind::Vault => "vault",
            Kind::KeySet => "key-set",
            Kind::Key => "key",
            Kind::Consumer => "consumer",
            Kind::ConsumerGroup => "consumer-group",
            Kind::ConsumerGroupMember => "consumer-group-consumer",
            Kind::KeyAuth => "key-auth",
            Kind::BasicAuth => "basic-auth",
            Kind::HmacAuth => "hmac-auth",
            Kind::Jwt => "jwt-auth",
            Kind::Acl => "acl-group",
            Kind::Oauth2 => "oauth2-cred",
            Kind::MtlsAuth => "mtls-auth",
            Kind::Upstream => "upstream",
            Kind::Target => "target",
            Kind::Service => "service",
            Kind::Route => "route",
            Kind::Plugin => "plugin",
        }
    }

    /// Parses a kind from decK's name or from the state-file collection name.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.deck_name() == name || k.file_collection() == Some(name) || k.dao_name() == name)
    }

    /// The top-level Admin API collection path segment (`services`, `key-auths`, `key-sets`, ...).
    /// Membership has no collection of its own: it lives under its consumer group.
    pub fn collection(self) -> &'static str {
        match self {
            Kind::CaCertificate => "ca_certificates",
            Kind::Certificate => "certificates",
            Kind::Sni => "snis",
            Kind::Vault => "vaults",
            Kind::KeySet => "key-sets",
            Kind::Key => "keys",
            Kind::Consumer => "consumers",
            Kind::ConsumerGroup | Kind::ConsumerGroupMember => "consumer_groups",
            Kind::KeyAuth => "key-auths",
            Kind::BasicAuth => "basic-auths",
            Kind::HmacAuth => "hmac-auths",
            Kind::Jwt => "jwts",
            Kind::Acl => "acls",
            Kind::Oauth2 => "oauth2",
            Kind::MtlsAuth => "mtls-auths",
            Kind::Upstream => "upstreams",
            Kind::Target => "targets",
            Kind::Service => "services",
            Kind::Route => "routes",
            Kind::Plugin => "plugins",
        }
    }

    /// The collection segment of a credential under its consumer (`/consumers/{c}/key-auth`).
    pub fn consumer_subcollection(self) -> Option<&'static str> {
        Some(match self {
            Kind::KeyAuth => "key-auth",
            Kind::BasicAuth => "basic-auth",
            Kind::HmacAuth => "hmac-auth",
            Kind::Jwt => "jwt",
            Kind::Acl => "acls",
            Kind::Oauth2 => "oauth2",
            Kind::MtlsAuth => "mtls-auth",
            _ => return None,
        })
    }

    /// Kong's DAO name, as used by `GET /schemas/{name}`.
    pub fn dao_name(self) -> &'static str {
        match self {
            Kind::CaCertificate => "ca_certificates",
            Kind::Certificate => "certificates",
            Kind::Sni => "snis",
            Kind::Vault => "vaults",
            Kind::KeySet => "key_sets",
            Kind::Key => "keys",
            Kind::Consumer => "consumers",
            Kind::ConsumerGroup => "consumer_groups",
            Kind::ConsumerGroupMember => "consumer_group_consumers",
            Kind::KeyAuth => "keyauth_credentials",
            Kind::BasicAuth => "basicauth_credentials",
            Kind::HmacAuth => "hmacauth_credentials",
            Kind::Jwt => "jwt_secrets",
            Kind::Acl => "acls",
            Kind::Oauth2 => "oauth2_credentials",
            Kind::MtlsAuth => "mtls_auth_credentials",
            Kind::Upstream => "upstreams",
            Kind::Target => "targets",
            Kind::Service => "services",
            Kind::Route => "routes",
            Kind::Plugin => "plugins",
        }
    }

    /// The name of the collection in a decK state file, where the kind may stand at the top level
    /// or nested (credentials use their decK names under a consumer).
    pub fn file_collection(self) -> Option<&'static str> {
        Some(match self {
            Kind::CaCertificate => "ca_certificates",
            Kind::Certificate => "certificates",
            Kind::Sni => "snis",
            Kind::Vault => "vaults",
            Kind::KeySet => "key_sets",
            Kind::Key => "keys",
            Kind::Consumer => "consumers",
            Kind::ConsumerGroup => "consumer_groups",
            Kind::KeyAuth => "keyauth_credentials",
            Kind::BasicAuth => "basicauth_credentials",
            Kind::HmacAuth => "hmacauth_credentials",
            Kind::Jwt => "jwt_secrets",
            Kind::Acl => "acls",
            Kind::Oauth2 => "oauth2_credentials",
            Kind::MtlsAuth => "mtls_auth_credentials",
            Kind::Upstream => "upstreams",
            Kind::Target => "targets",
            Kind::Service => "services",
            Kind::Route => "routes",
            Kind::Plugin => "plugins",
            Kind::ConsumerGroupMember => return None,
        })
    }

    /// The kind's references to other entities.
    pub fn references(self) -> &'static [Reference] {
        const SNI: &[Reference] = &[reference("certificate", Kind::Certificate, true, Restrict)];
        const KEY: &[Reference] = &[reference("set", Kind::KeySet, false, Cascade)];
        const MEMBER: &[Reference] = &[
            reference("consumer_group", Kind::ConsumerGroup, true, Cascade),
            reference("consumer", Kind::Consumer, true, Cascade),
        ];
        const MTLS: &[Reference] = &[
            reference("consumer", Kind::Consumer, true, Cascade),
            reference("ca_certificate", Kind::CaCertificate, false, Restrict),
        ];
        const CLIENT_CERT: &[Reference] = &[reference("client_certificate", Kind::Certificate, false, Restrict)];
        const TARGET: &[Reference] = &[reference("upstream", Kind::Upstream, true, Cascade)];
        const ROUTE: &[Reference] = &[reference("service", Kind::Service, false, Restrict)];
        const PLUGIN: &[Reference] = &[
            reference("service", Kind::Service, false, Cascade),
            reference("route", Kind::Route, false, Cascade),
            reference("consumer", Kind::Consumer, false, Cascade),
            reference("consumer_group", Kind::ConsumerGroup, false, Cascade),
        ];
        match self {
            Kind::Sni => SNI,
            Kind::Key => KEY,
            Kind::ConsumerGroupMember => MEMBER,
            Kind::KeyAuth | Kind::BasicAuth | Kind::HmacAuth | Kind::Jwt | Kind::Acl | Kind::Oauth2 => CONSUMER_REF,
            Kind::MtlsAuth => MTLS,
            Kind::Upstream | Kind::Service => CLIENT_CERT,
            Kind::Target => TARGET,
            Kind::Route => ROUTE,
            Kind::Plugin => PLUGIN,
            Kind::CaCertificate
            | Kind::Certificate
            | Kind::Vault
            | Kind::KeySet
            | Kind::Consumer
            | Kind::ConsumerGroup => &[],
        }
    }

    /// The fields that identify an entity of this kind (its natural key) or that no two entities of
    /// the kind may share; never left to another owner (`--ignore-field`).
    pub fn identity_fields(self) -> &'static [&'static str] {
        match self {
            Kind::Service
            | Kind::Route
            | Kind::Upstream
            | Kind::ConsumerGroup
            | Kind::KeySet
            | Kind::Key
            | Kind::Sni => &["name"],
            Kind::Vault => &["prefix"],
            Kind::KeyAuth | Kind::Jwt => &["key"],
            Kind::BasicAuth | Kind::HmacAuth => &["username"],
            Kind::Oauth2 => &["client_id"],
            Kind::Consumer => &["username", "custom_id"],
            Kind::Certificate | Kind::CaCertificate => &["cert"],
            Kind::Acl => &["group"],
            Kind::Target => &["target"],
            Kind::Plugin => &["name", "instance_name"],
            Kind::MtlsAuth | Kind::ConsumerGroupMember => &[],
        }
    }

    /// The reference with this field name, if the kind has one.
    pub fn reference(self, field: &str) -> Option<&'static Reference> {
        self.references().iter().find(|r| r.field == field)
    }

    /// Whether this kind belongs to the consumer side of the configuration, which `--skip-consumers`
    /// leaves out.
    pub fn is_consumer_side(self) -> bool {
        matches!(self, Kind::Consumer | Kind::ConsumerGroup | Kind::ConsumerGroupMember)
            || Kind::CREDENTIALS.contains(&self)
    }

    /// Whether entities of this kind carry `tags` (membership is a relation, not an entity).
    pub fn has_tags(self) -> bool {
        self != Kind::ConsumerGroupMember
    }
}

/// Serialized as decK names the kind (`key-auth`, `jwt-auth`, `consumer-group-consumer`), so that
/// scripts reading kongsync's JSON can use the names they know from decK.
impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.deck_name())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        let name = String::deserialize(d)?;
        Kind::from_name(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown entity kind `{name}`")))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.deck_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_points_to_an_earlier_kind() {
        for kind in Kind::ALL {
            for r in kind.references() {
                assert!(r.target < kind, "{kind} references {} which sorts after it", r.target);
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.deck_name()), Some(kind));
            if let Some(c) = kind.file_collection() {
                assert_eq!(Kind::from_name(c), Some(kind));
            }
        }
    }

    #[test]
    fn all_is_sorted() {
        let mut sorted = Kind::ALL;
        sorted.sort();
        assert_eq!(sorted, Kind::ALL);
    }
}
