//! [`Scope`]: which entities a run manages. One value travels from the settings to the live read,
//! into the plan (and its file), and back to `sync --plan`, which refuses a plan made for another
//! scope. Select tags are applied where the entities come from (the gateway's tag filter and the
//! read, the files' `_info.select_tags`); the consumer side and CA certificates are left out by
//! [`Scope::covers`], the one definition of what `--skip-consumers` and `--skip-ca-certificates` leave out.

use crate::State;
use kongsync_model::{Entity, Kind};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Which entities a run covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Only entities carrying all these tags.
    pub select_tags: Vec<String>,
    /// Leave out consumers, their credentials, plugins and group memberships, and consumer groups.
    pub skip_consumers: bool,
    /// Leave out CA certificates (decK's `--skip-ca-certificates`): another owner manages them.
    #[serde(default)]
    pub skip_ca_certificates: bool,
}

impl Scope {
    /// Whether the scope leaves this kind out entirely.
    pub fn skips(&self, kind: Kind) -> bool {
        (self.skip_consumers && kind.is_consumer_side()) || (self.skip_ca_certificates && kind == Kind::CaCertificate)
    }

    /// Whether the scope covers this entity, as far as the consumer side goes (its tags are checked
    /// where it is read).
    pub fn covers(&self, e: &Entity) -> bool {
        !(self.skips(e.kind()) || (self.skip_consumers && e.is_consumer_side()))
    }

    /// Whether the scope is narrower than the whole gateway.
    pub fn is_partial(&self) -> bool {
        !self.select_tags.is_empty() || self.skip_consumers || self.skip_ca_certificates
    }

    /// The part of `state` the scope covers (borrowed when that is all of it).
    pub fn restrict<'a>(&self, state: &'a State) -> Cow<'a, State> {
        if !self.skip_consumers && !self.skip_ca_certificates {
            return Cow::Borrowed(state);
        }
        let entities: BTreeMap<_, _> =
            state.entities.iter().filter(|(_, e)| self.covers(e)).map(|(k, e)| (k.clone(), e.clone())).collect();
        Cow::Owned(State { entities, meta: state.meta.clone() })
    }
}
