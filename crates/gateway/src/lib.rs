//! kongsync-gateway: the only crate that speaks HTTP. Everything above it describes what to ask as a
//! [`Request`] value and hands it to the one [`Client`]; nothing above it sees a socket, a header or
//! a status line, only JSON bodies and one typed [`ApiError`].
//!
//! - [`Gateway`]: where the entities live (Kong's Admin API, a Konnect control plane; base URL,
//!   workspace, path forms), and [`KonnectAddr`], a Konnect address as the user gave it;
//! - [`Request`]: every request as a plain value (serializable: a plan carries them), with its
//!   [`Method`] and [`Retry`] class, built by the pure functions re-exported below;
//! - [`Client`]: TLS, auth, keep-alive, a rate governor ([`Pacing`]: the user's rate or the budget
//!   the gateway announces; fewer requests in flight after a 429) and retries;
//! - [`ApiError`]: every failure and every error-body shape;
//! - [`list_all`]: paging; [`control_plane_by_name`] / [`control_plane_by_id`]: Konnect look-ups;
//!   [`data_planes`]: what data planes report, and the hash their control plane expects;
//!   [`wait_for_data_planes`]: polling them until they run the configuration a sync wrote.

// Only what the crate root re-exports is its interface; everything else says `pub(crate)`.
#![warn(unreachable_pub)]

mod budget;
mod client;
mod error;
mod gateway;
mod governor;
mod konnect;
mod nodes;
mod paging;
mod rate;
mod request;
mod retry;
mod wait;

pub use client::{Client, ClientOptions, Observer, RequestEvent, Response, TlsOptions, DEFAULT_MAX_IN_FLIGHT};
pub use error::{ApiError, FieldProblem, Setting, StatusError};
pub use gateway::{encode_segment, redacted_url, Gateway, KonnectAddr, KonnectPaths};
pub use governor::Pacing;
pub use konnect::{control_plane_by_id, control_plane_by_name, ControlPlane};
pub use nodes::{available_plugins, data_planes, node_version, DataPlane, DataPlanes};
pub use paging::{list_all, list_all_with, parse_page, Page};
pub use request::{
    control_plane, control_planes_named, entity_schema, group_members, list, list_children, next_page, node_info,
    plugin_schema, validate_entity, Method, Request, Retry, MAX_TAG_FILTER, PAGE_SIZE,
};
pub use retry::RetryPolicy;
pub use wait::{
    before_writes, consensus, wait_for_data_planes, Reference, WaitOptions, WaitOutcome, WaitProgress, WaitStatus,
    DEFAULT_WAIT_TIMEOUT,
};

/// URLs, as the gateway's addresses are given (re-exported so that no other crate needs reqwest).
pub use reqwest::Url;
