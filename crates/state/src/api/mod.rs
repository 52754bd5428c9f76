//! Reading a live gateway (Kong's Admin API, a Konnect control plane, or the embedded simulator)
//! into the same [`State`](crate::State) the files produce.
//!
//! - [`target`]: where the entities live (base URL, workspace, control plane, path forms);
//! - [`request`]: every request as a plain value, built by pure functions;
//! - [`client`]: the one HTTP client (TLS, auth, keep-alive, bounded concurrency, rate limit, retries);
//! - [`error`]: one typed error for every failure and every error-body shape;
//! - [`paging`], [`read`], [`live`]: reading all lists concurrently and converting them;
//! - [`konnect`]: finding a control plane by name or id;
//! - [`schemas`]: the target's own schemas, for defaults.

pub mod client;
pub mod error;
pub mod konnect;
pub mod live;
pub mod paging;
pub mod rate;
pub mod read;
pub mod request;
pub mod retry;
pub mod schemas;
pub mod target;

pub use client::{Client, ClientOptions, Observer, RequestEvent, Response, TlsOptions};
pub use error::{ApiError, FieldProblem, StatusError};
pub use konnect::ControlPlane;
pub use live::Scope;
pub use read::{read_state, Reporter, Silent};
pub use request::Request;
pub use retry::RetryPolicy;
pub use schemas::fetch_schemas;
pub use target::{KonnectAddr, KonnectPaths, Target};
