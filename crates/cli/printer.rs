//! Where output goes: data (plans, dumps, JSON) to stdout, everything else to stderr; colour only on
//! a terminal and without `NO_COLOR`; nothing but errors with `-q`. Commands print only through here.

use crate::args::GlobalArgs;
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

    /// A status line for people, to stderr; silent with `-q`.
    pub fn status(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// Detail shown with `-v`.
    pub fn detail(&self, text: &str) {
        if self.verbose > 0 && !self.quiet {
            eprintln!("{text}");
        }
    }

    pub fn warn(&self, text: &str) {
        if !self.quiet {
            eprintln!("{} {text}", self.paint_err("warning:", "33"));
        }
    }

    pub fn error(&self, text: &str) {
        eprintln!("{} {text}", self.paint_err("error:", "31"));
    }

    /// Prints an error and its chain of causes, one per line.
    pub fn report(&self, e: &anyhow::Error) {
        self.error(&e.to_string());
        for cause in e.chain().skip(1) {
            eprintln!("  caused by: {cause}");
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
