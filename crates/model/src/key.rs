//! Natural keys: how an entity is identified without its Kong id, so that the entities of the files
//! and those of the gateway can be paired.
//!
//! A [`Key`] holds identity only, never timestamps or Kong-assigned values: two keys are equal exactly
//! when Kong would consider the two entities the same one. References to parents are themselves keys,
//! so a plugin on route `orders` has the same key in a file (`route: orders`) and on a gateway
//! (`"route": {"id": "..."}`, resolved to the route's key).
//!
//! ```
//! use kongsync_model::{Key, Kind};
//! let svc = Key::name(Kind::Service, "orders");
//! assert_eq!(svc, Key::name(Kind::Service, "orders"));
//! assert_ne!(svc, Key::name(Kind::Route, "orders"));
//! let plugin = Key::plugin("cors", [("service", svc.clone())]);
//! assert_eq!(plugin.to_string(), "cors for service orders");
//! ```

use crate::Kind;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// The identity of one entity: its kind and what identifies it within the kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub kind: Kind,
    pub ident: Ident,
}

/// What identifies an entity within its kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ident {
    /// A unique name: service, route, upstream, consumer group, key set and key `name`, SNI `name`,
    /// vault `prefix`, consumer `username`, and the unique field of key-auth, jwt (`key`), basic-auth,
    /// hmac-auth (`username`) and oauth2 (`client_id`).
    Name(String),
    /// A consumer known only by `custom_id`.
    CustomId(String),
    /// Nothing but the id identifies it (a route without a name, an mTLS credential).
    Id(Uuid),
    /// A certificate or CA certificate without an id: the SHA-256 of its content.
    Digest(String),
    /// A child identified within its parent: a target in its upstream, an ACL group of a consumer,
    /// a consumer in a consumer group (the member's key in `member`).
    Child { parent: Box<Key>, name: String, member: Option<Box<Key>> },
    /// A plugin: its name and scope (each present scope is its parent's key), as Kong's cache key.
    Plugin { name: String, scope: Vec<(String, Key)> },
}

impl Key {
    /// A key by unique name.
    pub fn name(kind: Kind, name: impl Into<String>) -> Key {
        Key { kind, ident: Ident::Name(name.into()) }
    }

    /// A key by id only.
    pub fn id(kind: Kind, id: Uuid) -> Key {
        Key { kind, ident: Ident::Id(id) }
    }

    /// A child's key within its parent (targets, ACLs).
    pub fn child(kind: Kind, parent: Key, name: impl Into<String>) -> Key {
        Key { kind, ident: Ident::Child { parent: Box::new(parent), name: name.into(), member: None } }
    }

    /// A consumer group membership.
    pub fn member(group: Key, consumer: Key) -> Key {
        Key {
            kind: Kind::ConsumerGroupMember,
            ident: Ident::Child { parent: Box::new(group), name: String::new(), member: Some(Box::new(consumer)) },
        }
    }

    /// A plugin's key; the scope is sorted by field name so that its order never matters.
    pub fn plugin<S: Into<String>>(name: impl Into<String>, scope: impl IntoIterator<Item = (S, Key)>) -> Key {
        let mut scope: Vec<(String, Key)> = scope.into_iter().map(|(f, k)| (f.into(), k)).collect();
        scope.sort();
        Key { kind: Kind::Plugin, ident: Ident::Plugin { name: name.into(), scope } }
    }

    /// The parent this key is nested in, if any (a target's upstream, a member's group).
    pub fn parent(&self) -> Option<&Key> {
        match &self.ident {
            Ident::Child { parent, .. } => Some(parent),
            _ => None,
        }
    }

    /// Every key this key mentions (plugin scopes, parents, members): the entities it depends on.
    pub fn mentioned(&self) -> Vec<&Key> {
        match &self.ident {
            Ident::Plugin { scope, .. } => scope.iter().map(|(_, k)| k).collect(),
            Ident::Child { parent, member, .. } => {
                let mut v = vec![parent.as_ref()];
                v.extend(member.as_deref());
                v
            }
            _ => Vec::new(),
        }
    }

    /// The id kongsync gives this entity when neither the file nor the gateway has one: a UUID v5 over
    /// the kind and the key, so that the same entity gets the same id in every run.
    pub fn derived_id(&self) -> Uuid {
        const NAMESPACE: Uuid = Uuid::from_u128(0x6b6f_6e67_7379_6e63_8000_0000_0000_0001);
        let text = format!("{}:{}", self.kind.deck_name(), self.text(false));
        Uuid::new_v5(&NAMESPACE, text.as_bytes())
    }

    /// The identity as text, without the kind: `orders`, `cors for service orders`, `10.0.0.1:8000 for upstream u`.
    /// A key-auth key is a secret: only its last four characters are shown.
    pub fn ident_text(&self) -> String {
        self.text(true)
    }

    fn text(&self, masked: bool) -> String {
        match &self.ident {
            // A key is shown by its last four characters only when those are a small part of it:
            // a short key is shown not at all.
            Ident::Name(n) if masked && self.kind == Kind::KeyAuth && n.chars().count() < SHOWN_KEY_MIN => {
                crate::secret::REDACTED.to_string()
            }
            Ident::Name(n) if masked && self.kind == Kind::KeyAuth => {
                let tail: String = n.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
                format!("…{tail}")
            }
            Ident::Name(n) => n.clone(),
            Ident::CustomId(c) => format!("custom_id={c}"),
            Ident::Id(id) => id.to_string(),
            Ident::Digest(d) => format!("sha256:{}", short(d)),
            Ident::Child { parent, name, member: None } => {
                format!("{name} for {} {}", parent.kind, parent.text(masked))
            }
            Ident::Child { parent, member: Some(m), .. } => {
                format!("{} {} in {} {}", m.kind, m.text(masked), parent.kind, parent.text(masked))
            }
            Ident::Plugin { name, scope } if scope.is_empty() => format!("{name} (global)"),
            Ident::Plugin { name, scope } => {
                let parts: Vec<String> = scope.iter().map(|(_, k)| format!("{} {}", k.kind, k.text(masked))).collect();
                format!("{name} for {}", parts.join(" and "))
            }
        }
    }
}

/// The shortest key-auth key whose last four characters are shown.
const SHOWN_KEY_MIN: usize = 12;

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ident_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_auth_keys_are_never_shown_whole() {
        assert_eq!(Key::name(Kind::KeyAuth, "abcd").ident_text(), "<redacted>");
        assert_eq!(Key::name(Kind::KeyAuth, "abcdefgh").ident_text(), "<redacted>");
        assert_eq!(Key::name(Kind::KeyAuth, "alice-key-0001").ident_text(), "…0001");
    }

    #[test]
    fn plugin_scope_order_does_not_matter() {
        let s = Key::name(Kind::Service, "s");
        let c = Key::name(Kind::Consumer, "c");
        let a = Key::plugin("rate-limiting", [("service", s.clone()), ("consumer", c.clone())]);
        let b = Key::plugin("rate-limiting", [("consumer", c), ("service", s)]);
        assert_eq!(a, b);
        assert_eq!(a.derived_id(), b.derived_id());
    }

    #[test]
    fn derived_ids_differ_by_kind_and_key() {
        let a = Key::name(Kind::Service, "x").derived_id();
        let b = Key::name(Kind::Route, "x").derived_id();
        let c = Key::name(Kind::Service, "y").derived_id();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, Key::name(Kind::Service, "x").derived_id());
        assert_eq!(a.get_version_num(), 5);
    }

    #[test]
    fn texts_name_entities_as_a_person_would() {
        let u = Key::name(Kind::Upstream, "backend");
        assert_eq!(Key::child(Kind::Target, u, "10.0.0.1:8000").to_string(), "10.0.0.1:8000 for upstream backend");
        let m = Key::member(Key::name(Kind::ConsumerGroup, "gold"), Key::name(Kind::Consumer, "alice"));
        assert_eq!(m.to_string(), "consumer alice in consumer-group gold");
        assert_eq!(Key::plugin::<&str>("prometheus", []).to_string(), "prometheus (global)");
    }

    #[test]
    fn key_auth_keys_are_masked_but_ids_use_the_whole_key() {
        let a = Key::name(Kind::KeyAuth, "secret-key-abcd");
        let b = Key::name(Kind::KeyAuth, "other-key-abcd");
        assert_eq!(a.to_string(), "…abcd");
        assert_eq!(b.to_string(), "…abcd");
        assert_ne!(a.derived_id(), b.derived_id());
    }
}
