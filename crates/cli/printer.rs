//! Where output goes: data (plans, dumps, JSON) to stdout, everything else to stderr; colour only on
//! a terminal and without `NO_COLOR`; nothing but errors with `-q`. Commands print only through here.
//!
//! Every message (status, warning, error and each of its causes) is passed through
//! [`printable`] on its way out: names and gateway messages in it may hold control characters (an
//! ANSI sequence, a newline in a file name), and a terminal must show them, not obey them. Rendered
//! plans and reports are escaped by the renderers, which use the same function.

use crate::args::GlobalArgs;
use crate::render::printable;
use std::io::{IsTerminal, Write};

pub struct Printer {
    pub quiet: bool,
    pub verbose: u8,
    /// Colour on stdout.
    pub color: bool,
    /// Colour on stderr.
    pub color_err: bool,
    /// Whether stderr is a terminal (progress bars only then).
    pub interactive: bool,
}

impl Printer {
    pub fn new(g: &GlobalArgs) -> Printer {
        let allowed = !g.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Printer {
            quiet: g.quiet,
            verbose: g.verbose,
            color: allowed && std::io::stdout().is_terminal(),
            color_err: allowed && std::io::stderr().is_terminal(),
            interactive: std::io::stderr().is_terminal(),
        }
    }

    /// Data for machines or the user's files: always printed, to stdout.
    pub fn data(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        // A closed pipe (`kongsync diff | head`) is not an error worth reporting.
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') && !text.is_empty() {
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
    }

    /// A rendered plan or report for people (already escaped by `render`), to stdout; silent with
    /// `-q`. What was asked for by name (`--format json`) is [`Printer::data`] instead.
    pub fn human(&self, text: &str) {
        if !self.quiet {
            self.data(text);
        }
    }

    /// A status line for people, to stderr; silent with `-q`.
    pub fn status(&self, text: &str) {
        if !self.quiet {
            eprintln!("{}", printable(text));
        }
    }

    /// Detail shown with `-v`.
    pub fn detail(&self, text: &str) {
        if self.verbose > 0 && !self.quiet {
            eprintln!("{}", printable(text));
        }
    }

    pub fn warn(&self, text: &str) {
        if !self.quiet {
            eprintln!("{} {}", self.paint_err("warning:", "33"), printable(text));
        }
    }

    pub fn error(&self, text: &str) {
        eprintln!("{} {}", self.paint_err("error:", "31"), printable(text));
    }

    /// A rendered block (already escaped by `render`) that explains an error, to stderr, even with `-q`.
    pub fn error_detail(&self, rendered: &str) {
        eprintln!("{}", rendered.trim_end_matches('\n'));
    }

    /// Prints an error and its chain of causes, one per line.
    pub fn report(&self, e: &anyhow::Error) {
        self.error(&e.to_string());
        for cause in e.chain().skip(1) {
            eprintln!("  caused by: {}", printable(&cause.to_string()));
        }
    }

    fn paint_err(&self, text: &str, code: &str) -> String {
        paint(self.color_err, text, code)
    }
}

/// Wraps text in an ANSI colour when `on`.
pub fn paint(on: bool, text: &str, code: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}
