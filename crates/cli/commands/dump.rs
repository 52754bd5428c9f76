//! `kongsync dump`: write the live configuration as a decK `_format_version: "3.0"` file, nested as
//! decK writes it, YAML or JSON, to a file (atomically, mode 0600: dumps hold credentials and
//! private keys) or to standard output. Same gateway, same bytes.

use crate::args::{DumpArgs, DumpFormat, GlobalArgs};
use crate::connection::Connection;
use crate::exit;
use crate::printer::Printer;
use kongsync_state::dump::{to_document, to_json, write_private, write_private_with, write_yaml, DumpOptions};
use kongsync_state::Meta;
use std::path::Path;
use std::process::ExitCode;

pub async fn run(global: &GlobalArgs, args: &DumpArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let DumpArgs { output, format, with_id } = args;
    let conn = Connection::open(global, &Meta::default(), printer).await?;
    let read = conn.read_live_shown(printer).await;
    conn.close().await?;
    let state = read?;
    let options = DumpOptions { with_id: *with_id };
    let counts: Vec<String> = state.counts().iter().map(|(k, n)| format!("{n} {k}")).collect();
    let what = if counts.is_empty() { "nothing".to_string() } else { counts.join(", ") };
    let to_stdout = output == Path::new("-");
    // YAML to a file is written as it is rendered; JSON, and anything to standard output, whole.
    let (text, unplaced) = match format {
        DumpFormat::Yaml if !to_stdout => {
            let unplaced = write_private_with(output, |file| write_yaml(&state, &options, file))?;
            (None, unplaced)
        }
        DumpFormat::Yaml => {
            let mut text = Vec::new();
            let unplaced = write_yaml(&state, &options, &mut text)?;
            (Some(String::from_utf8(text)?), unplaced)
        }
        DumpFormat::Json => {
            let dump = to_document(&state, &options);
            (Some(to_json(&dump.document)?), dump.unplaced)
        }
    };
    for key in &unplaced {
        printer.warn(&format!("{} {key} is left out: its parent is out of scope", key.kind));
    }
    match text {
        Some(text) if to_stdout => {
            printer.data(&text);
            printer.status(&format!("dumped {what}"));
        }
        Some(text) => write_private(output, text.as_bytes())?,
        None => {}
    }
    if !to_stdout {
        printer.status(&format!("wrote {}: {what}", output.display()));
    }
    Ok(exit::OK)
}
