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

/// Where the requests that write an entity of a kind go, relative to the entities root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathShape {
    /// `/{collection}/{id}`.
    TopLevel,
    /// Under the parent the reference `parent` names: `/{parent's collection}/{parent id}/{segment}/{id}`
    /// (credentials under their consumer, targets under their upstream).
    Nested { parent: &'static str, segment: &'static str },
    /// A relation between two parents, with no id of its own: added by a POST of `{"member": id}` to
    /// `/{parent's collection}/{parent id}/{segment}`, removed by a DELETE of `.../{segment}/{member id}`
    /// (consumer-group memberships).
    Relation { parent: &'static str, member: &'static str, segment: &'static str },
}

/// How a new entity of a kind is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Create {
    /// A PUT to the id chosen at plan time.
    Put,
    /// A POST with the id in the body on Kong, whose PUT only updates (Kong 3.5's targets); a PUT on
    /// Konnect.
    PostOnKong,
    /// A POST that adds a relation ([`PathShape::Relation`]).
    Relation,
}

/// How a live read finds the entities of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// Its own top-level collection.
    Alone,
    /// Under each entity of this parent kind, everywhere ([`PathShape`]'s segment).
    PerParent(Kind),
    /// Under each entity of this parent kind on Kong; on Konnect, its own collection.
    PerParentOnKong(Kind),
}

/// Where a gateway may lack a kind altogether (a 404 on its list then means none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Optional {
    Never,
    /// Kong OSS has no consumer groups.
    OnKong,
    /// Not every build has the mTLS plugin's credentials.
    Always,
}

/// Everything kongsync's code needs to know about one kind: one row per kind, in [`KINDS`].
#[derive(Clone, Copy, Debug)]
pub struct KindDef {
    pub kind: Kind,
    /// As decK names it in its output (`service`, `key-auth`, `acl-group`, ...).
    pub deck_name: &'static str,
    /// The top-level Admin API collection (`services`, `key-auths`, `key-sets`, ...); a relation's is
    /// its parent's.
    pub collection: &'static str,
    /// Kong's DAO name (`GET /schemas/{name}`, the export's table).
    pub dao_name: &'static str,
    /// The collection in a decK state file, top level or nested; `None` when it has none.
    pub file_collection: Option<&'static str>,
    /// References to other entities.
    pub references: &'static [Reference],
    /// The fields of the natural key.
    pub identity: &'static [&'static str],
    /// The references the natural key is made with (an ACL's consumer, a plugin's scope): such an
    /// entity is only known once its parents are.
    pub keyed_under: &'static [&'static str],
    /// Further fields no two entities of the kind may share.
    pub unique: &'static [&'static str],
    /// Fields Kong computes from others, never compared (a key-auth `ttl` counts down).
    pub computed: &'static [&'static str],
    /// Paths of fields that hold secrets, masked in every output.
    pub secrets: &'static [&'static str],
    /// Whether any field whose name looks like a secret's (`password`, `token`, ...) is one: the
    /// free-form configuration of plugins and vaults.
    pub secret_names: bool,
    /// Fields a state file must give although Kong would generate them: generated on every PUT, they
    /// would never stay equal to the file (decK requires them too).
    pub file_required: &'static [&'static str],
    pub path: PathShape,
    pub create: Create,
    pub listing: Listing,
    pub optional: Optional,
    /// Whether Konnect serves the kind (it has no OAuth2 credentials).
    pub on_konnect: bool,
    /// Whether entities carry `tags` (a relation does not).
    pub tagged: bool,
    /// Whether the gateway serves a schema of the kind (`/schemas/{dao name}`).
    pub has_schema: bool,
    /// Whether `--skip-consumers` leaves the kind out.
    pub consumer_side: bool,
}

const CONSUMER_REF: &[Reference] = &[reference("consumer", Kind::Consumer, true, Cascade)];
const CLIENT_CERT: &[Reference] = &[reference("client_certificate", Kind::Certificate, false, Restrict)];

/// A row with the common defaults: top level, created by PUT, listed alone, tagged, with a schema.
const fn row(
    kind: Kind,
    deck_name: &'static str,
    collection: &'static str,
    dao_name: &'static str,
    file_collection: &'static str,
) -> KindDef {
    KindDef {
        kind,
        deck_name,
        collection,
        dao_name,
        file_collection: Some(file_collection),
        references: &[],
        identity: &["name"],
        keyed_under: &[],
        unique: &[],
        computed: &[],
        secrets: &[],
        secret_names: false,
        file_required: &[],
        path: PathShape::TopLevel,
        create: Create::Put,
        listing: Listing::Alone,
        optional: Optional::Never,
        on_konnect: true,
        tagged: true,
        has_schema: true,
        consumer_side: false,
    }
}

/// A consumer credential: under its consumer, consumer side.
const fn credential(kind: Kind, deck_name: &'static str, collection: &'static str, dao: &'static str) -> KindDef {
    KindDef { references: CONSUMER_REF, consumer_side: true, ..row(kind, deck_name, collection, dao, dao) }
}

/// The table of kinds, in [`Kind::ALL`]'s order.
pub static KINDS: [KindDef; 21] = [
    KindDef {
        identity: &["cert"],
        computed: &["cert_digest"],
        ..row(Kind::CaCertificate, "ca-certificate", "ca_certificates", "ca_certificates", "ca_certificates")
    },
    KindDef {
        identity: &["cert"],
        secrets: &["key", "key_alt"],
        ..row(Kind::Certificate, "certificate", "certificates", "certificates", "certificates")
    },
    KindDef {
        references: &[reference("certificate", Kind::Certificate, true, Restrict)],
        ..row(Kind::Sni, "sni", "snis", "snis", "snis")
    },
    KindDef { identity: &["prefix"], secret_names: true, ..row(Kind::Vault, "vault", "vaults", "vaults", "vaults") },
    row(Kind::KeySet, "key-set", "key-sets", "key_sets", "key_sets"),
    KindDef {
        references: &[reference("set", Kind::KeySet, false, Cascade)],
        secrets: &["jwk", "pem.private_key"],
        ..row(Kind::Key, "key", "keys", "keys", "keys")
    },
    KindDef {
        identity: &["username", "custom_id"],
        // Each of the two is unique on its own, whichever of them the key is made of.
        unique: &["username", "custom_id"],
        consumer_side: true,
        ..row(Kind::Consumer, "consumer", "consumers", "consumers", "consumers")
    },
    KindDef {
        optional: Optional::OnKong,
        consumer_side: true,
        ..row(Kind::ConsumerGroup, "consumer-group", "consumer_groups", "consumer_groups", "consumer_groups")
    },
    KindDef {
        file_collection: None,
        references: &[
            reference("consumer_group", Kind::ConsumerGroup, true, Cascade),
            reference("consumer", Kind::Consumer, true, Cascade),
        ],
        identity: &[],
        keyed_under: &["consumer_group", "consumer"],
        path: PathShape::Relation { parent: "consumer_group", member: "consumer", segment: "consumers" },
        create: Create::Relation,
        listing: Listing::PerParent(Kind::ConsumerGroup),
        tagged: false,
        has_schema: false,
        consumer_side: true,
        ..row(Kind::ConsumerGroupMember, "consumer-group-consumer", "consumer_groups", "consumer_group_consumers", "")
    },
    KindDef {
        identity: &["key"],
        computed: &["ttl"],
        secrets: &["key"],
        file_required: &["key"],
        path: PathShape::Nested { parent: "consumer", segment: "key-auth" },
        ..credential(Kind::KeyAuth, "key-auth", "key-auths", "keyauth_credentials")
    },
    KindDef {
        identity: &["username"],
        secrets: &["password"],
        path: PathShape::Nested { parent: "consumer", segment: "basic-auth" },
        ..credential(Kind::BasicAuth, "basic-auth", "basic-auths", "basicauth_credentials")
    },
    KindDef {
        identity: &["username"],
        secrets: &["secret"],
        file_required: &["secret"],
        path: PathShape::Nested { parent: "consumer", segment: "hmac-auth" },
        ..credential(Kind::HmacAuth, "hmac-auth", "hmac-auths", "hmacauth_credentials")
    },
    KindDef {
        identity: &["key"],
        secrets: &["secret"],
        file_required: &["key", "secret"],
        path: PathShape::Nested { parent: "consumer", segment: "jwt" },
        ..credential(Kind::Jwt, "jwt-auth", "jwts", "jwt_secrets")
    },
    KindDef {
        identity: &["group"],
        keyed_under: &["consumer"],
        path: PathShape::Nested { parent: "consumer", segment: "acls" },
        ..credential(Kind::Acl, "acl-group", "acls", "acls")
    },
    KindDef {
        identity: &["client_id"],
        secrets: &["client_secret"],
        file_required: &["client_id", "client_secret"],
        path: PathShape::Nested { parent: "consumer", segment: "oauth2" },
        on_konnect: false,
        ..credential(Kind::Oauth2, "oauth2-cred", "oauth2", "oauth2_credentials")
    },
    KindDef {
        references: &[
            reference("consumer", Kind::Consumer, true, Cascade),
            reference("ca_certificate", Kind::CaCertificate, false, Restrict),
        ],
        identity: &[],
        path: PathShape::Nested { parent: "consumer", segment: "mtls-auth" },
        optional: Optional::Always,
        ..credential(Kind::MtlsAuth, "mtls-auth", "mtls-auths", "mtls_auth_credentials")
    },
    KindDef { references: CLIENT_CERT, ..row(Kind::Upstream, "upstream", "upstreams", "upstreams", "upstreams") },
    KindDef {
        references: &[reference("upstream", Kind::Upstream, true, Cascade)],
        identity: &["target"],
        keyed_under: &["upstream"],
        path: PathShape::Nested { parent: "upstream", segment: "targets" },
        create: Create::PostOnKong,
        listing: Listing::PerParentOnKong(Kind::Upstream),
        ..row(Kind::Target, "target", "targets", "targets", "targets")
    },
    KindDef { references: CLIENT_CERT, ..row(Kind::Service, "service", "services", "services", "services") },
    KindDef {
        references: &[reference("service", Kind::Service, false, Restrict)],
        ..row(Kind::Route, "route", "routes", "routes", "routes")
    },
    KindDef {
        references: &[
            reference("service", Kind::Service, false, Cascade),
            reference("route", Kind::Route, false, Cascade),
            reference("consumer", Kind::Consumer, false, Cascade),
            reference("consumer_group", Kind::ConsumerGroup, false, Cascade),
        ],
        keyed_under: &["service", "route", "consumer", "consumer_group"],
        unique: &["instance_name"],
        secret_names: true,
        ..row(Kind::Plugin, "plugin", "plugins", "plugins", "plugins")
    },
];

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

    /// The kind's row of the table.
    pub fn def(self) -> &'static KindDef {
        // The table is in declaration order (a test checks it), so the discriminant is the index.
        &KINDS[self as usize]
    }

    /// The kind as decK names it in its output (`service`, `key-auth`, `acl-group`, ...).
    pub fn deck_name(self) -> &'static str {
        self.def().deck_name
    }

    /// Parses a kind from decK's name or from the state-file collection name.
    pub fn from_name(name: &str) -> Option<Kind> {
        KINDS
            .iter()
            .find(|d| d.deck_name == name || d.file_collection == Some(name) || d.dao_name == name)
            .map(|d| d.kind)
    }

    /// The top-level Admin API collection path segment (`services`, `key-auths`, `key-sets`, ...).
    /// Membership has no collection of its own: it lives under its consumer group.
    pub fn collection(self) -> &'static str {
        self.def().collection
    }

    /// The collection segment of a credential under its consumer (`/consumers/{c}/key-auth`).
    pub fn consumer_subcollection(self) -> Option<&'static str> {
        match self.def().path {
            PathShape::Nested { parent: "consumer", segment } => Some(segment),
            _ => None,
        }
    }

    /// Kong's DAO name, as used by `GET /schemas/{name}`.
    pub fn dao_name(self) -> &'static str {
        self.def().dao_name
    }

    /// The name of the collection in a decK state file, where the kind may stand at the top level
    /// or nested (credentials use their decK names under a consumer).
    pub fn file_collection(self) -> Option<&'static str> {
        self.def().file_collection
    }

    /// The kind's references to other entities.
    pub fn references(self) -> &'static [Reference] {
        self.def().references
    }

    /// The fields that identify an entity of this kind (its natural key) or that no two entities of
    /// the kind may share; never left to another owner (`--ignore-field`).
    pub fn identity_fields(self) -> impl Iterator<Item = &'static str> {
        self.def().identity.iter().chain(self.def().unique).copied()
    }

    /// The reference with this field name, if the kind has one.
    pub fn reference(self, field: &str) -> Option<&'static Reference> {
        self.references().iter().find(|r| r.field == field)
    }

    /// Whether some kind's reference can point at an entity of this kind (a service, a consumer;
    /// never a plugin or a credential).
    pub fn is_referenced(self) -> bool {
        // Asked once per entity by the read, the plan and the dump: the table is derived once.
        static REFERENCED: std::sync::OnceLock<[bool; Kind::ALL.len()]> = std::sync::OnceLock::new();
        let table = REFERENCED.get_or_init(|| {
            Kind::ALL.map(|kind| Kind::ALL.iter().any(|k| k.references().iter().any(|r| r.target == kind)))
        });
        table.get(self as usize).copied().unwrap_or(true)
    }

    /// Whether this kind belongs to the consumer side of the configuration, which `--skip-consumers`
    /// leaves out.
    pub fn is_consumer_side(self) -> bool {
        self.def().consumer_side
    }

    /// Whether entities of this kind carry `tags` (membership is a relation, not an entity).
    pub fn has_tags(self) -> bool {
        self.def().tagged
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
    fn parents_are_referenced_and_leaves_are_not() {
        for kind in [Kind::Service, Kind::Route, Kind::Consumer, Kind::ConsumerGroup, Kind::Upstream, Kind::Certificate]
        {
            assert!(kind.is_referenced(), "{kind}");
        }
        for kind in [Kind::Plugin, Kind::KeyAuth, Kind::Target, Kind::Sni, Kind::ConsumerGroupMember] {
            assert!(!kind.is_referenced(), "{kind}");
        }
        // The table is indexed by declaration order: every kind reads its own entry.
        for kind in Kind::ALL {
            let derived = Kind::ALL.iter().any(|k| k.references().iter().any(|r| r.target == kind));
            assert_eq!(kind.is_referenced(), derived, "{kind}");
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
    fn the_table_has_one_row_per_kind_in_order() {
        for (i, kind) in Kind::ALL.into_iter().enumerate() {
            assert_eq!(KINDS[i].kind, kind);
            assert_eq!(kind.def().kind, kind);
        }
        for d in &KINDS {
            let parent = match d.path {
                PathShape::TopLevel => continue,
                PathShape::Nested { parent, .. } | PathShape::Relation { parent, .. } => parent,
            };
            assert!(
                d.kind.reference(parent).is_some_and(|r| r.required),
                "{} is nested under a required reference",
                d.kind
            );
        }
        for d in &KINDS {
            for field in d.keyed_under {
                assert!(d.kind.reference(field).is_some(), "{} is keyed under its reference {field}", d.kind);
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
