//! A live gateway (Kong's Admin API, a Konnect control plane, or the embedded simulator) into the
//! same [`State`] the files produce, through kongsync-gateway's client:
//!
//! - [`read_state`]: every list in scope, concurrently, converted (`convert`: ids, references as
//!   parent keys, server-managed fields dropped);
//! - [`fetch_schemas`]: the gateway's own schemas, for defaults;
//! - [`look_up_parents`]: parents the files reference that the read did not cover;
//! - [`foreign_entities`]: in a scoped run, what the files would create that exists outside the scope;
//! - [`observe`]: all four, everything a plan needs from the gateway, as one [`Observed`].

mod convert;
mod foreign;
mod lookup;
mod read;
mod schemas;

#[cfg(test)]
pub use convert::{build, Fetched};
pub use convert::{in_scope, raw_id, MANAGED_TAGS};
pub use foreign::{creation_lookups, foreign_entities, Foreign};
pub use lookup::{look_up_groups, look_up_parents, lookup_request, members_of, missing_parents, LookupError};
pub use read::{jobs, read_state, Job, NoReadProgress, ReadProgress};
pub use schemas::{fetch_schemas, plugin_names};

use crate::{Scope, State};
use kongsync_gateway::{ApiError, Client, Gateway};
use kongsync_model::{Entity, Key, SchemaSet};
use std::collections::HashMap;
use uuid::Uuid;

/// Everything a plan is computed from on the gateway's side.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// What the read covered.
    pub scope: Scope,
    /// The live state in scope, exactly as read: the plan's live fingerprint is of this.
    pub live: State,
    /// The gateway's schemas over the built-in ones.
    pub schemas: SchemaSet,
    /// Parents the desired side references that neither state holds, found on the gateway.
    pub known_ids: HashMap<Key, Uuid>,
    /// Memberships of the consumer groups found by look-up, which the read left out with their groups.
    pub looked_up_members: Vec<Entity>,
    /// Entities the files define that the gateway holds outside the scope (a scoped run only):
    /// the plan refuses to create them over the other owner's.
    pub foreign: Vec<Foreign>,
}

impl Observed {
    /// A read with nothing else asked of the gateway: built-in schemas, no look-ups (a reset).
    pub fn read_only(scope: Scope, live: State) -> Observed {
        Observed {
            scope,
            live,
            schemas: SchemaSet::builtin(),
            known_ids: HashMap::new(),
            looked_up_members: Vec::new(),
            foreign: Vec::new(),
        }
    }
}

/// Reading the gateway for a plan failed.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    /// A request failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A parent the files reference is nowhere.
    #[error(transparent)]
    Lookup(#[from] LookupError),
}

/// Reads what a plan of `desired` needs: the live state in `scope`, the schemas of the kinds and
/// plugins in play, and the parents only the gateway knows.
pub async fn observe(
    client: &Client,
    gateway: &Gateway,
    scope: &Scope,
    desired: &State,
    progress: &dyn ReadProgress,
) -> Result<Observed, ObserveError> {
    let live = read_state(client, gateway, scope, progress).await?;
    let schemas = fetch_schemas(client, gateway, &plugin_names(desired, &live)).await?;
    let mut known_ids = look_up_parents(client, gateway, desired, &live).await?;
    let groups = look_up_groups(client, gateway, desired, &known_ids, &live).await?;
    let looked_up_members = members_of(client, gateway, &groups, &live).await?;
    known_ids.extend(groups);
    let foreign = foreign_entities(client, gateway, scope, desired, &live).await?;
    Ok(Observed { scope: scope.clone(), live, schemas, known_ids, looked_up_members, foreign })
}
