//! `kongsync ping`: connect, authenticate and say what answered: Kong's version (from `GET /`) and
//! address, or the Konnect control plane's name and id. Any failure (unreachable, TLS, 401, control
//! plane not found) is an error with exit code 1.

use crate::args::GlobalArgs;
use crate::connection::{explain, Connection};
use crate::exit;
use crate::printer::Printer;
use crate::render::printable;
use kongsync_gateway::node_version;
use kongsync_state::Meta;
use std::process::ExitCode;

pub async fn run(global: &GlobalArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let conn = Connection::open(global, &Meta::default(), printer).await?;
    let result = ping(&conn).await;
    conn.close().await?;
    // The line names the gateway as it names itself (a control plane's name), so it is escaped.
    printer.data(&printable(&result?));
    Ok(exit::OK)
}

/// The line that says what answered.
async fn ping(conn: &Connection) -> anyhow::Result<String> {
    if conn.control_plane().is_some() {
        // Finding the control plane when the connection opened already proved the token works.
        return Ok(format!("connected to {}", conn.describe()));
    }
    let version = node_version(conn.client()).await.map_err(|e| explain(e, false))?;
    let version = version.as_deref().unwrap_or("not reported");
    Ok(format!("connected to {}, version {version}", conn.describe()))
}
