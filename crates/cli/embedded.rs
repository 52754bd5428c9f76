//! `--kong-addr embedded`: the simulator started in-process on a loopback port, its store persisted in
//! `.kongsync/sim.json` (mode 0600: it holds credentials) and saved when it stops, so that a newcomer
//! can sync, diff and dump with no gateway and successive commands see the same state.

use anyhow::Context;
use kongsync_model::Secret;
use std::path::{Path, PathBuf};

/// Where the embedded gateway keeps its data, relative to the working directory.
pub const EMBEDDED_DIR: &str = ".kongsync";
/// The embedded gateway's store, inside [`EMBEDDED_DIR`].
pub const EMBEDDED_FILE: &str = "sim.json";
/// The Konnect token the embedded gateway accepts when the user gives none (the simulator's default).
pub const EMBEDDED_TOKEN: &str = "kpat_sim";

/// The in-process simulator behind `--kong-addr embedded`.
pub struct Embedded {
    pub sim: kongsync_sim::SimHandle,
    /// The store, for messages.
    pub data_file: PathBuf,
}

impl Embedded {
    /// Starts the simulator on a loopback port with its store in `dir`.
    pub async fn start(dir: &Path, token: Option<&Secret>) -> anyhow::Result<Embedded> {
        create_private_dir(dir)?;
        let data_file = dir.join(EMBEDDED_FILE);
        if data_file.exists() {
            make_private(&data_file)?;
        }
        let mut config = kongsync_sim::SimConfig {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            data_file: Some(data_file.clone()),
            // Enterprise, so that a newcomer's first sync of the examples (consumer groups, mTLS
            // credentials) works; `kongsync sim --edition community` serves Kong OSS instead.
            edition: kongsync_sim::Edition::Enterprise,
            ..kongsync_sim::SimConfig::default()
        };
        if let Some(t) = token {
            config.konnect_token = t.expose().to_string();
        }
        let sim = kongsync_sim::start(config)
            .await
            .with_context(|| format!("cannot start the embedded gateway (store {})", data_file.display()))?;
        Ok(Embedded { sim, data_file })
    }

    /// Stops the simulator, which saves its store on the way out.
    pub async fn stop(self) -> anyhow::Result<()> {
        let Embedded { sim, data_file } = self;
        sim.shutdown().await.with_context(|| format!("cannot save the embedded gateway to {}", data_file.display()))?;
        make_private(&data_file)
    }
}

/// Creates the directory (owner-only on Unix) if it is missing.
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// Makes a file readable by its owner only: the store holds credentials and private keys.
fn make_private(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {} to its owner", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
