//! `kongsync hash`: Kong's configuration hash (`config_hash`, Konnect's `expected-config-hash`) of a
//! JSON document as it is, of the configuration the state files describe, or of what the gateway
//! holds.
//!
//! For files and the live gateway, the hashed document is `kongsync_state::export::document`, the
//! shape of the export a hybrid control plane hashes; `--json-document` is exact for any document.

use crate::args::{GlobalArgs, HashArgs};
use crate::connection::Connection;
use crate::exit;
use crate::operations::read_desired;
use crate::printer::Printer;
use anyhow::Context;
use kongsync_model::SchemaSet;
use kongsync_state::{export, Meta};
use serde_json::Value;
use std::io::Read;
use std::process::ExitCode;

pub async fn run(global: &GlobalArgs, args: &HashArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let HashArgs { state, json_document, live } = args;
    let document = match (json_document, live) {
        (Some(path), _) => read_json(path)?,
        (None, true) => {
            let conn = Connection::open(global, &Meta::default(), printer).await?;
            let read = conn.read_live_shown(printer).await;
            let described = conn.describe();
            conn.close().await?;
            let live = read?;
            printer.status(&format!("hashing {} entities of {described}", live.len()));
            export::document(&live, None)
        }
        (None, false) => {
            let Some(desired) = read_desired(state, printer) else { return Ok(exit::ERROR) };
            printer.status(&format!("hashing {} entities of the state files", desired.len()));
            export::document(&desired, Some(&SchemaSet::builtin()))
        }
    };
    printer.data(&kongsync_model::config_hash::config_hash(&document));
    Ok(exit::OK)
}

/// A JSON document from a file, or from standard input with `-`.
fn read_json(path: &std::path::Path) -> anyhow::Result<Value> {
    let text = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("cannot read standard input")?;
        s
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    serde_json::from_str(&text).with_context(|| format!("{} is not a JSON document", path.display()))
}
