//! YAML written the way decK writes it, byte for byte, so that a team moving from decK sees no churn
//! in git. decK marshals its file through JSON into Go's `gopkg.in/yaml.v2` (a port of libyaml), and
//! that writer's choices are reproduced here for the values a JSON document holds:
//!
//! - mapping keys in yaml.v2's order: letters compare by code point, a non-letter sorts before a
//!   letter, and runs of digits compare as numbers (`keyList.Less`);
//! - sequences inside a mapping are not indented (`key:\n- item`), nested mappings indent by two;
//! - a string that would read back as something else (`"3.0"`, `"true"`, `""`, `"null"`, a date) is
//!   double-quoted; a string with a line break is a literal block (`|`, `|-` without a final newline,
//!   `|+` with several); one that plain style cannot hold (a leading `{`, `: ` or ` #` inside, leading
//!   or trailing space) is single-quoted; control characters force double quotes with escapes;
//! - plain, single- and double-quoted scalars are folded at a space once the line passes 80 columns;
//! - empty mappings and sequences are `{}` and `[]`; floats in Go's shortest `%g` form.
//!
//! The writer takes a [`Node`] tree that borrows the values it shows (a dump writes each entity as
//! it renders it, and never builds the whole document), or a plain JSON value ([`to_string`]).

use serde_json::Value;
use std::borrow::Cow;
use std::cmp::Ordering;

/// The column after which libyaml folds a long scalar at its next space.
const BEST_WIDTH: usize = 80;
/// Indentation step.
const INDENT: usize = 2;

/// A unit of text the writer walks: a byte of an ASCII string (no allocation), else a `char` of a
/// string collected into a vector.
trait Unit: Copy + Into<char> {}
impl Unit for u8 {}
impl Unit for char {}

/// Runs `$body` with `$chars` bound to the units of `$s`: its bytes when it is ASCII, else its
/// chars. Almost every scalar of a configuration is ASCII, and walking its bytes spares the
/// allocation of a `Vec<char>` per scalar (and per key comparison while sorting keys).
macro_rules! with_units {
    ($s:expr, |$chars:ident| $body:expr) => {{
        let s: &str = $s;
        if s.is_ascii() {
            let $chars: &[u8] = s.as_bytes();
            $body
        } else {
            let wide: Vec<char> = s.chars().collect();
            let $chars: &[char] = &wide;
            $body
        }
    }};
}

/// How a JSON value borrowed from elsewhere is shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Shown {
    /// Leave out the null members of objects, at every depth (array elements stay).
    pub(crate) drop_nulls: bool,
}

impl Shown {
    /// The value exactly as it is.
    pub(crate) const AS_IS: Shown = Shown { drop_nulls: false };
}

/// A node of a document to write.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node<'a> {
    /// A JSON value, shown as `Shown` says.
    Value(&'a Value, Shown),
    /// A string.
    Text(Cow<'a, str>),
    /// A mapping, its keys in the order the render gives them (the YAML writer sorts them, stably,
    /// into yaml.v2's order; a JSON object holds them in byte order).
    Map(Vec<(&'a str, Node<'a>)>),
    /// A sequence.
    Seq(Vec<Node<'a>>),
}

impl Node<'_> {
    /// Whether the node is a sequence with items (written unindented under its key).
    fn is_full_seq(&self) -> bool {
        match self {
            Node::Value(Value::Array(a), _) => !a.is_empty(),
            Node::Seq(items) => !items.is_empty(),
            _ => false,
        }
    }

    /// The node as a JSON value (the JSON form of a dump).
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Node::Value(v, shown) => shown_value(v, *shown),
            Node::Text(s) => Value::String(s.to_string()),
            Node::Map(entries) => {
                Value::Object(entries.iter().map(|(k, n)| ((*k).to_string(), n.to_value())).collect())
            }
            Node::Seq(items) => Value::Array(items.iter().map(Node::to_value).collect()),
        }
    }
}

/// The members of an object that `shown` shows, in byte order of their keys (a JSON object holds
/// them so), before yaml.v2's order sorts them.
fn shown_members(o: &serde_json::Map<String, Value>, shown: Shown) -> Vec<(&str, &Value)> {
    o.iter().filter(|(_, x)| !(shown.drop_nulls && x.is_null())).map(|(k, x)| (k.as_str(), x)).collect()
}

/// A copy of `v` as `shown` says it is shown: null members dropped, keys in byte order.
fn shown_value(v: &Value, shown: Shown) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            shown_members(o, shown).into_iter().map(|(k, x)| (k.to_string(), shown_value(x, shown))).collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| shown_value(x, shown)).collect()),
        other => other.clone(),
    }
}

/// The document as decK's YAML, ending with a newline.
pub(crate) fn to_string(document: &Value) -> String {
    let mut e = Emitter::new();
    e.value(document, Shown::AS_IS, 0, Context::Top);
    e.finish();
    e.out
}

/// Where a node is written.
#[derive(Clone, Copy, PartialEq)]
enum Context {
    /// The document itself.
    Top,
    /// The value of a mapping key (after `key:`).
    MapValue,
    /// An item of a sequence (after `- `).
    SeqItem,
}

/// The writer. Its text grows in `out`, which a caller writing as it goes takes with
/// [`Emitter::take`] between the top-level mapping's entries.
pub(crate) struct Emitter {
    out: String,
    /// The column the next character goes to (in characters).
    column: usize,
    /// Whether the last character written was whitespace (libyaml's `whitespace`).
    whitespace: bool,
    /// Whether only indentation has been written on this line (libyaml's `indention`).
    indention: bool,
    /// Whether the text taken so far ends with a line break.
    taken_ends_line: bool,
}

/// Something a mapping holds under a key.
trait Child {
    fn is_full_seq(&self) -> bool;
    fn write(&self, e: &mut Emitter, indent: usize);
}

impl Child for Node<'_> {
    fn is_full_seq(&self) -> bool {
        Node::is_full_seq(self)
    }
    fn write(&self, e: &mut Emitter, indent: usize) {
        e.node(self, indent, Context::MapValue);
    }
}

impl Child for (&Value, Shown) {
    fn is_full_seq(&self) -> bool {
        matches!(self.0, Value::Array(a) if !a.is_empty())
    }
    fn write(&self, e: &mut Emitter, indent: usize) {
        e.value(self.0, self.1, indent, Context::MapValue);
    }
}

impl Emitter {
    pub(crate) fn new() -> Emitter {
        Emitter { out: String::new(), column: 0, whitespace: true, indention: true, taken_ends_line: false }
    }

    /// An emitter for items of the document's top-level sequence written apart from the one before
    /// them (on another core), then added to it with [`Emitter::append`]: it starts as if in the
    /// middle of a line, so its first item begins with a line break that `append` keeps only where
    /// the emitter it is added to would have written one.
    pub(crate) fn mid_line() -> Emitter {
        Emitter { column: 1, whitespace: false, indention: false, ..Emitter::new() }
    }

    /// Adds what an emitter made by [`Emitter::mid_line`] wrote: the same text as if its items had
    /// been written here. An item's first step is the indentation at column 0, after which the
    /// state is the same whether a line break was written or not; so only that break can differ.
    pub(crate) fn append(&mut self, part: Emitter) {
        if part.out.is_empty() {
            return;
        }
        let text = match self.breaks_line_at(0) {
            true => part.out.as_str(),
            false => part.out.strip_prefix('\n').unwrap_or(&part.out),
        };
        self.out.push_str(text);
        self.column = part.column;
        self.whitespace = part.whitespace;
        self.indention = part.indention;
    }

    /// The text written since the last call.
    pub(crate) fn take(&mut self) -> String {
        if !self.out.is_empty() {
            self.taken_ends_line = self.out.ends_with('\n');
        }
        std::mem::take(&mut self.out)
    }

    /// How much text waits to be taken, in bytes.
    pub(crate) fn pending(&self) -> usize {
        self.out.len()
    }

    /// Ends the document with a line break, unless it ends with one.
    pub(crate) fn finish(&mut self) {
        let ends_line = if self.out.is_empty() { self.taken_ends_line } else { self.out.ends_with('\n') };
        if !ends_line {
            self.out.push('\n');
        }
    }

    /// A key of the document's own (top-level) mapping; its value follows with
    /// [`Emitter::top_value`], or as items with [`Emitter::top_item`].
    pub(crate) fn top_key(&mut self, key: &str) {
        self.key(key, 0);
    }

    /// The value of the top-level key just written.
    pub(crate) fn top_value(&mut self, value: &Node) {
        let indent = if value.is_full_seq() { 0 } else { INDENT };
        value.write(self, indent);
    }

    /// One item of the sequence under the top-level key just written.
    pub(crate) fn top_item(&mut self, item: &Node) {
        self.seq_item(item, 0, |e, item, indent| e.node(item, indent, Context::SeqItem));
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_str(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += char_count(s);
    }

    /// Writes an ASCII string.
    fn put_ascii(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.len();
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// libyaml's `write_indent`: a new line unless already at the indentation, then spaces.
    fn write_indent(&mut self, indent: usize) {
        if self.breaks_line_at(indent) {
            self.newline();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    /// Whether indenting to `indent` starts a new line.
    fn breaks_line_at(&self, indent: usize) -> bool {
        !self.indention || self.column > indent || (self.column == indent && !self.whitespace)
    }

    /// libyaml's `write_indicator`.
    fn indicator(&mut self, text: &str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.put_str(text);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    /// A mapping key and its `:`, at the indentation of its mapping.
    fn key(&mut self, key: &str, indent: usize) {
        self.write_indent(indent);
        self.scalar(key, indent, true);
        self.indicator(":", false, false, false);
    }

    /// A non-empty mapping at `indent`, its entries already in yaml.v2's order.
    fn mapping<C: Child>(&mut self, entries: &[(&str, &C)], indent: usize, ctx: Context) {
        for (i, (k, child)) in entries.iter().enumerate() {
            // The first key of a sequence item shares the `- ` line.
            if i == 0 && ctx == Context::SeqItem {
                self.scalar(k, indent, true);
                self.indicator(":", false, false, false);
            } else {
                self.key(k, indent);
            }
            // A sequence in a mapping is not indented; a mapping is, by two.
            let child_indent = if child.is_full_seq() { indent } else { indent + INDENT };
            child.write(self, child_indent);
        }
    }

    /// One `- ` item of a sequence at `indent`.
    fn seq_item<T: ?Sized>(&mut self, item: &T, indent: usize, write: impl FnOnce(&mut Emitter, &T, usize)) {
        self.write_indent(indent);
        self.indicator("-", true, false, true);
        write(self, item, indent + INDENT);
    }

    /// A node whose collection (if it is one) is indented at `indent`.
    fn node(&mut self, n: &Node, indent: usize, ctx: Context) {
        match n {
            Node::Value(v, shown) => self.value(v, *shown, indent, ctx),
            Node::Text(s) => self.scalar(s, indent, false),
            Node::Map(entries) if !entries.is_empty() => {
                let mut sorted: Vec<(&str, &Node)> = entries.iter().map(|(k, n)| (*k, n)).collect();
                sorted.sort_by(|a, b| key_order(a.0, b.0));
                self.mapping(&sorted, indent, ctx);
            }
            Node::Seq(items) if !items.is_empty() => {
                for item in items {
                    self.seq_item(item, indent, |e, item, indent| e.node(item, indent, Context::SeqItem));
                }
            }
            Node::Map(_) => self.indicator("{}", true, false, false),
            Node::Seq(_) => self.indicator("[]", true, false, false),
        }
    }

    /// A JSON value whose collection (if it is one) is indented at `indent`.
    fn value(&mut self, v: &Value, shown: Shown, indent: usize, ctx: Context) {
        match v {
            Value::Object(m) => {
                let mut members: Vec<(&str, (&Value, Shown))> =
                    shown_members(m, shown).into_iter().map(|(k, x)| (k, (x, shown))).collect();
                if members.is_empty() {
                    return self.indicator("{}", true, false, false);
                }
                members.sort_by(|a, b| key_order(a.0, b.0));
                let entries: Vec<(&str, &(&Value, Shown))> = members.iter().map(|(k, c)| (*k, c)).collect();
                self.mapping(&entries, indent, ctx);
            }
            Value::Array(a) if !a.is_empty() => {
                for item in a {
                    self.seq_item(item, indent, |e, item, indent| e.value(item, shown, indent, Context::SeqItem));
                }
            }
            Value::Array(_) => self.indicator("[]", true, false, false),
            Value::Null => self.plain("null", indent, false),
            Value::Bool(b) => self.plain(if *b { "true" } else { "false" }, indent, false),
            Value::Number(n) => self.plain(&number(n), indent, false),
            Value::String(s) => self.scalar(s, indent, false),
        }
    }

    /// A string scalar, in the style yaml.v2 would choose. `indent` is the indentation of the
    /// collection holding it, plus one step (libyaml's `increase_indent` before a scalar).
    fn scalar(&mut self, s: &str, indent: usize, simple_key: bool) {
        let a = analyze(s);
        let style = if s.contains('\n') {
            if !a.block_allowed || simple_key {
                Style::Double
            } else {
                Style::Literal
            }
        } else if resolves_to_other(s) {
            Style::Double
        } else if !a.block_plain_allowed || s.is_empty() {
            if a.single_allowed {
                Style::Single
            } else {
                Style::Double
            }
        } else {
            Style::Plain
        };
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.plain(s, indent, allow_breaks),
            Style::Single => self.single(s, indent, allow_breaks),
            Style::Double => self.double(s, indent, allow_breaks),
            Style::Literal => self.literal(s, indent),
        }
    }

    fn plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        // Only a space can be folded, and only past the best width: a scalar without one, or one
        // that ends before it, is written whole.
        if !allow_breaks || !s.contains(' ') || fits(self.column, s) {
            self.put_str(s);
            self.whitespace = false;
            self.indention = false;
            return;
        }
        with_units!(s, |chars| self.plain_units(chars, indent));
    }

    fn plain_units<C: Unit>(&mut self, chars: &[C], indent: usize) {
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            let c: char = c.into();
            if c == ' ' {
                let next_space = at(chars, i + 1) == Some(' ');
                if !spaces && self.column > BEST_WIDTH && !next_space {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn single(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.indicator("'", true, false, false);
        if s.is_ascii() && !s.contains('\'') && (!allow_breaks || fits(self.column, s)) {
            // Nothing to double and nowhere to fold.
            self.put_ascii(s);
        } else {
            with_units!(s, |chars| self.single_units(chars, indent, allow_breaks));
        }
        self.indicator("'", false, false, false);
    }

    fn single_units<C: Unit>(&mut self, chars: &[C], indent: usize, allow_breaks: bool) {
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            let c: char = c.into();
            if c == ' ' {
                let inner = i != 0 && i + 1 != chars.len() && at(chars, i + 1) != Some(' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && inner {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                if c == '\'' {
                    self.put('\'');
                }
                self.indention = false;
                spaces = false;
            }
        }
    }

    fn double(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.indicator("\"", true, false, false);
        let plain_ascii = s.bytes().all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\');
        if plain_ascii && (!allow_breaks || fits(self.column, s)) {
            // Nothing to escape and nowhere to fold.
            self.put_ascii(s);
        } else {
            with_units!(s, |chars| self.double_units(chars, indent, allow_breaks));
        }
        self.indicator("\"", false, false, false);
    }

    fn double_units<C: Unit>(&mut self, chars: &[C], indent: usize, allow_breaks: bool) {
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            let c: char = c.into();
            if !printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    c if (c as u32) <= 0xff => self.put_str(&format!("x{:02X}", c as u32)),
                    c if (c as u32) <= 0xffff => self.put_str(&format!("u{:04X}", c as u32)),
                    c => self.put_str(&format!("U{:08X}", c as u32)),
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i + 1 != chars.len() {
                    self.write_indent(indent);
                    if at(chars, i + 1) == Some(' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.indicator("|", true, false, false);
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.put_str(&INDENT.to_string());
        }
        let mut rev = s.chars().rev();
        match (rev.next(), rev.next()) {
            (Some(last), _) if !is_break(last) => self.put('-'),
            (Some(_), None) | (Some(_), Some('\n')) => self.put('+'),
            _ => {}
        }
        self.newline();
        self.indention = true;
        self.whitespace = true;
        // Each line break starts a new line, and the text between two breaks always opens one: it
        // is indented, then written whole.
        let mut rest = s;
        while !rest.is_empty() {
            let end = rest.find(is_break).unwrap_or(rest.len());
            if end > 0 {
                self.write_indent(indent);
                self.put_str(&rest[..end]);
                self.indention = false;
            }
            let Some(c) = rest[end..].chars().next() else { break };
            self.newline();
            self.indention = true;
            rest = &rest[end + c.len_utf8()..];
        }
        self.whitespace = false;
    }
}

#[derive(Clone, Copy)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// What libyaml's `analyze_scalar` finds about a string (the parts that decide a style here).
struct Analysis {
    block_plain_allowed: bool,
    single_allowed: bool,
    block_allowed: bool,
}

fn analyze(s: &str) -> Analysis {
    with_units!(s, |chars| analyze_units(chars))
}

fn analyze_units<C: Unit>(chars: &[C]) -> Analysis {
    if chars.is_empty() {
        return Analysis { block_plain_allowed: true, single_allowed: true, block_allowed: false };
    }
    let starts = |p: &str| chars.len() >= 3 && p.chars().zip(chars).all(|(a, &b)| a == b.into());
    let mut block_indicators = starts("---") || starts("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break, mut special, mut line_breaks) = (false, false, false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let blank = |c: Option<char>| c.is_none_or(|c| c == ' ' || c == '\t' || is_break(c));
    let last = chars.len() - 1;
    for (i, &c) in chars.iter().enumerate() {
        let c: char = c.into();
        let followed_by_whitespace = blank(at(chars, i + 1));
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) || (c == '-' && followed_by_whitespace) {
                block_indicators = true;
            }
            if (c == '?' || c == ':') && followed_by_whitespace {
                block_indicators = true;
            }
        } else if (c == ':' && followed_by_whitespace) || (c == '#' && preceded_by_whitespace) {
            block_indicators = true;
        }
        if !printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            leading_break |= i == 0;
            trailing_break |= i == last;
            space_break |= previous_space;
            previous_break = true;
            previous_space = false;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = blank(Some(c));
    }
    let mut a = Analysis { block_plain_allowed: true, single_allowed: true, block_allowed: true };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_allowed = false;
    }
    if space_break || special {
        a = Analysis { block_plain_allowed: false, single_allowed: false, block_allowed: false };
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's `is_printable` (yaml.v2 writes Unicode as is).
fn printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0a
        || (0x20..=0x7e).contains(&u)
        || u == 0x85
        || (0xa0..=0xd7ff).contains(&u)
        || ((0xe000..=0xfffd).contains(&u) && u != 0xfeff)
        || (0x10000..=0x10ffff).contains(&u)
}

/// Whether yaml.v2 would read the plain string as something other than a string (so it quotes it):
/// null, a boolean (YAML 1.1's `yes`/`on`/... too), a number, a timestamp, or the merge key.
/// The plain scalars yaml.v2 reads as something other than a string.
const WORDS: &[&str] = &[
    "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
    "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", ".inf", ".Inf", ".INF", "+.inf", "+.Inf",
    "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", "<<",
];
/// The longest of [`WORDS`]: a longer scalar, as most are, needs no comparison with each.
const LONGEST_WORD: usize = 5;

fn resolves_to_other(s: &str) -> bool {
    if s.len() <= LONGEST_WORD && WORDS.contains(&s) {
        return true;
    }
    let Some(first) = s.chars().next() else { return true };
    if !(first.is_ascii_digit() || first == '+' || first == '-' || first == '.') {
        return false;
    }
    is_int(s) || is_float(s) || is_timestamp(s)
}

/// yaml.v2's integers: decimal with an optional sign and `_` separators, `0b`, `0o`/leading-zero
/// octal, `0x`.
fn is_int(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s).replace('_', "");
    if digits.is_empty() {
        return false;
    }
    let all = |t: &str, radix: u32| !t.is_empty() && t.chars().all(|c| c.is_digit(radix));
    if let Some(b) = digits.strip_prefix("0b") {
        return all(b, 2);
    }
    if let Some(x) = digits.strip_prefix("0x") {
        return all(x, 16);
    }
    if let Some(o) = digits.strip_prefix("0o") {
        return all(o, 8);
    }
    all(&digits, 10)
}

/// yaml.v2's floats: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_float(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s).replace('_', "");
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t.as_str(), None),
    };
    let digits = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// yaml.v2's timestamps: a date `YYYY-M-D`, optionally followed by a time.
fn is_timestamp(s: &str) -> bool {
    let date_len = s.find(['T', 't', ' ']).unwrap_or(s.len());
    let date: Vec<&str> = s[..date_len].split('-').collect();
    let n = |p: &str, lens: &[usize]| lens.contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit());
    date.len() == 3 && n(date[0], &[4]) && n(date[1], &[1, 2]) && n(date[2], &[1, 2])
}

/// A number as decK writes it: Go's JSON encoder writes an integral float as an integer (which
/// yaml.v2 then reads as one); other floats end in yaml.v2's `strconv.FormatFloat(f, 'g', -1, 64)`.
fn number(n: &serde_json::Number) -> String {
    let Some(f) = n.as_f64().filter(|_| !(n.is_i64() || n.is_u64())) else { return n.to_string() };
    if f.is_infinite() {
        return if f > 0.0 { ".inf".into() } else { "-.inf".into() };
    }
    if f.is_nan() {
        return ".nan".into();
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    // Rust's `{:e}` gives the shortest digits that read back, as `d.ddde-x`; Go's shortest `%g`
    // uses an exponent below 1e-4 and from 1e6 (its precision of 6 for that decision).
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        return go_exponent(mantissa, exp);
    }
    format!("{f}")
}

fn go_exponent(mantissa: &str, exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// yaml.v2's order of mapping keys (`keyList.Less`): letters by code point, a non-letter before a
/// letter, and digit runs by their value.
pub(crate) fn key_order(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        key_order_units(a.as_bytes(), b.as_bytes())
    } else {
        key_order_units(&a.chars().collect::<Vec<char>>(), &b.chars().collect::<Vec<char>>())
    }
}

fn key_order_units<C: Unit>(a: &[C], b: &[C]) -> Ordering {
    let (ar, br) = (|i: usize| -> char { a[i].into() }, |i: usize| -> char { b[i].into() });
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if ar(i) == br(i) {
            i += 1;
            continue;
        }
        let (al, bl) = (ar(i).is_alphabetic(), br(i).is_alphabetic());
        if al && bl {
            return ar(i).cmp(&br(i));
        }
        if al || bl {
            return if bl { Ordering::Less } else { Ordering::Greater };
        }
        let (mut an, mut bn): (u64, u64) = (0, 0);
        if ar(i) == '0' || br(i) == '0' {
            let mut j = i;
            while j > 0 && ar(j - 1).is_ascii_digit() {
                j -= 1;
                if ar(j) != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < a.len() && ar(ai).is_ascii_digit() {
            an = an.saturating_mul(10).saturating_add(u64::from(ar(ai) as u32 - '0' as u32));
            ai += 1;
        }
        let mut bi = i;
        while bi < b.len() && br(bi).is_ascii_digit() {
            bn = bn.saturating_mul(10).saturating_add(u64::from(br(bi) as u32 - '0' as u32));
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar(i).cmp(&br(i));
    }
    a.len().cmp(&b.len())
}

/// The unit at `i` as a char.
fn at<C: Unit>(units: &[C], i: usize) -> Option<char> {
    units.get(i).map(|&u| u.into())
}

/// Whether `s`, written from `column` on, ends before a fold could happen: folds happen at a space
/// written past [`BEST_WIDTH`], and the last character of `s` goes to `column + len - 1`.
fn fits(column: usize, s: &str) -> bool {
    column + char_count(s) <= BEST_WIDTH + 1
}

/// The number of characters in `s` (its length when it is ASCII).
fn char_count(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

#[cfg(test)]
#[path = "deck_yaml_tests.rs"]
mod tests;
