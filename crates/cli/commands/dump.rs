//! `kongsync dump`: write the live configuration as a decK `_format_version: "3.0"` file, nested as
//! decK writes it, YAML or JSON, to a file (atomically, mode 0600: dumps hold credentials and
//! private keys) or to standard output. Same gateway, same bytes.

use crate::args::{DumpArgs, DumpFormat, GlobalArgs};
use crate::connection::Connection;
use crate::exit;
use crate::printer::Printer;
use kongsync_state::dump::{to_document, to_json, to_yaml, write_private, DumpOptions};
use kongsync_state::Meta;
use std::path::Path;
use std::process::ExitCode;

pub async fn run(global: &GlobalArgs, args: &DumpArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let DumpArgs { output, format, with_id } = args;
    let conn = Connection::open(global, &Meta::default(), printer).await?;
    let read = conn.read_live_shown(printer).await;
    conn.close().await?;
    let state = read?;
    let dump = to_document(&state, &DumpOptions { with_id: *with_id });
    for key in &dump.unplaced {
        printer.warn(&format!("{} {key} is left out: its parent is out of scope", key.kind));
    }
    let text = match format {
        DumpFormat::Yaml => to_yaml(&dump.document)?,
        DumpFormat::Json => to_json(&dump.document)?,
    };
    let counts: Vec<String> = state.counts().iter().map(|(k, n)| format!("{n} {k}")).collect();
    let what = if counts.is_empty() { "nothing".to_string() } else { counts.join(", ") };
    if output == Path::new("-") {
        printer.data(&text);
        printer.status(&format!("dumped {what}"));
    } else {
        write_private(output, text.as_bytes())?;
        printer.status(&format!("wrote {}: {what}", output.display()));
    }
    Ok(exit::OK)
}
