//! Kong's validators of texts other than addresses (`kong/db/schema/typedefs.lua` at 3.5.0): paths
//! and router paths (with `kong/tools/uri.lua`'s normalization), names, tags, HTTP methods, header
//! and cookie names (`kong/tools/utils.lua:1100-1130`), and UUIDs (`kong/db/schema/init.lua:325`).
//! Messages are Kong's own wording.

/// `typedefs.path` (typedefs.lua:76-97, 329-339): starts with `/`, no empty segment, only RFC 3986
/// characters, every `%` the start of a `%XX` escape.
pub(crate) fn path(v: &str) -> Result<(), String> {
    if !v.starts_with('/') {
        return Err("should start with: /".into());
    }
    if v.contains("//") {
        return Err("must not have empty segments".into());
    }
    if !v.bytes().all(is_path_byte) {
        return Err(format!("invalid path: '{v}' (characters outside of the reserved list of RFC 3986 found)"));
    }
    percent_escapes(v)
}

/// The characters `typedefs.path` accepts: alphanumerics, `.-_~/%:@` and RFC 3986's sub-delims.
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._-~/%:@!$&'()*+,;=".contains(&b)
}

/// Every `%` starts `%XX` with two hex digits; the message quotes the bad escape, as Kong does.
fn percent_escapes(v: &str) -> Result<(), String> {
    let bytes = v.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !hex {
                let end = (i + 3).min(bytes.len());
                let bad = String::from_utf8_lossy(&bytes[i..end]);
                return Err(format!("invalid url-encoded value: '{bad}'"));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// `typedefs.router_path` (typedefs.lua:628-641, 484-512): `/prefix` in normalized form, or `~/regex`.
/// Characters outside RFC 3986 are allowed here (Kong ignores that part of the path check); bad
/// percent escapes are not.
pub(crate) fn router_path(v: &str) -> Result<(), String> {
    if !v.starts_with('/') && !v.starts_with("~/") {
        return Err("should start with: / (fixed path) or ~/ (regex path)".into());
    }
    if v.contains("//") {
        return Err("must not have empty segments".into());
    }
    percent_escapes(v)?;
    match v.strip_prefix('~') {
        None => {
            let normalized = normalize(v);
            if normalized != v {
                return Err(format!("non-normalized path, consider use '{normalized}' instead"));
            }
            Ok(())
        }
        Some(regex) => regex_syntax(regex).map_err(|why| format!("invalid regex: '{regex}' (PCRE returned: {why})")),
    }
}

/// Bytes `kong.tools.uri` keeps escaped when it decodes a path (its reserved set).
const RESERVED: &[u8] = b"!*'();:@&=+$,/?%#[]";

/// `kong.tools.uri.normalize(path, true)` (uri.lua:83-163): escapes of unreserved and other bytes
/// decoded, escapes of reserved bytes upper-cased, `.` and `..` segments resolved, `//` merged.
pub(crate) fn normalize(path: &str) -> String {
    if path.is_empty() || path == "/" {
        return path.to_string();
    }
    let mut decoded: Vec<u8> = Vec::with_capacity(path.len());
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match escape {
            Some(b) if RESERVED.contains(&b) => {
                decoded.extend(format!("%{b:02X}").bytes());
                i += 3;
            }
            Some(b) => {
                decoded.push(b);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    let mut rest = String::from_utf8_lossy(&decoded).into_owned();
    let mut out: Vec<String> = Vec::new();
    // RFC 3986 section 5.2.4, as uri.lua runs it, with `//` merged.
    while !rest.is_empty() {
        if rest == "/." {
            rest = "/".into();
        } else if rest == "/.." {
            rest = "/".into();
            out.pop();
        } else if rest == "." || rest == ".." {
            rest.clear();
        } else if rest.starts_with("../") {
            rest.drain(..3);
        } else if rest.starts_with("./") || rest.starts_with("//") {
            rest.drain(..if rest.starts_with("./") { 2 } else { 1 });
        } else if rest.starts_with("/./") {
            rest.drain(..2);
        } else if rest.starts_with("/../") {
            rest.drain(..3);
            out.pop();
        } else {
            let end = rest[1..].find('/').map_or(rest.len(), |i| i + 1);
            out.push(rest.drain(..end).collect());
        }
    }
    out.concat()
}

/// The syntax errors that any regex engine reports, PCRE included: unbalanced parentheses, an
/// unterminated class, a trailing backslash, a quantifier with nothing to repeat. Kong compiles the
/// regex with PCRE; what this does not catch, the target's own validation does before any write.
pub(crate) fn regex_syntax(re: &str) -> Result<(), &'static str> {
    let mut depth = 0usize;
    let mut chars = re.chars().peekable();
    // Whether a quantifier here has something to repeat.
    let mut operand = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if chars.next().is_none() {
                    return Err("\\ at end of pattern");
                }
                operand = true;
            }
            '[' => {
                // A `]` right after `[` or `[^` is a literal member of the class.
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                }
                let mut closed = false;
                while let Some(m) = chars.next() {
                    match m {
                        '\\' => {
                            chars.next();
                        }
                        ']' => {
                            closed = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if !closed {
                    return Err("missing terminating ] for character class");
                }
                operand = true;
            }
            '(' => {
                depth += 1;
                // `(?` opens a group with options; its `?` is no quantifier.
                if chars.peek() == Some(&'?') {
                    chars.next();
                }
                operand = false;
            }
            ')' => {
                if depth == 0 {
                    return Err("unmatched closing parenthesis");
                }
                depth -= 1;
                operand = true;
            }
            '|' => operand = false,
            '*' | '+' | '?' => {
                if !operand {
                    return Err("quantifier does not follow a repeatable item");
                }
                // A lazy or possessive modifier may follow; the next quantifier needs a new item.
                if matches!(chars.peek(), Some('?' | '+')) {
                    chars.next();
                }
                operand = false;
            }
            '^' | '$' => operand = false,
            _ => operand = true,
        }
    }
    if depth > 0 {
        return Err("missing closing parenthesis");
    }
    Ok(())
}

/// `typedefs.utf8_name` (typedefs.lua:131-145): alphanumerics, `.-_~`, and non-ASCII characters.
pub(crate) fn utf8_name(v: &str) -> Result<(), String> {
    if v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~') || !c.is_ascii()) {
        Ok(())
    } else {
        Err(format!("invalid value '{v}': the only accepted ascii characters are alphanumerics or ., -, _, and ~"))
    }
}

/// `typedefs.tag` (typedefs.lua:114-128): printable ASCII but `,` and `/`, a space, or non-ASCII.
pub(crate) fn tag(v: &str) -> Result<(), String> {
    let ok = v.chars().all(|c| !c.is_ascii() || c == ' ' || (c.is_ascii_graphic() && c != ',' && c != '/'));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid tag '{v}': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"))
    }
}

/// `typedefs.http_method` (typedefs.lua:279-284): upper-case letters only (`match = "^%u+$"`).
pub(crate) fn http_method(v: &str) -> Result<(), String> {
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(format!("invalid value: {v}"))
    }
}

/// `utils.validate_header_name` (utils.lua:1100-1111).
pub(crate) fn header_name(v: &str) -> Result<(), String> {
    token(v).map_err(|()| format!("bad header name '{v}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"))
}

/// `utils.validate_cookie_name` (utils.lua:1118-1129).
pub(crate) fn cookie_name(v: &str) -> Result<(), String> {
    token(v).map_err(|()| format!("bad cookie name '{v}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"))
}

fn token(v: &str) -> Result<(), ()> {
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        Ok(())
    } else {
        Err(())
    }
}

/// Kong's `uuid` validator (init.lua:325-330): 36 characters, hyphenated, hex in either case. Braced,
/// URN and unhyphenated forms, which other tools read, are refused.
pub(crate) fn uuid(v: &str) -> Result<(), String> {
    let groups: Vec<&str> = v.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    let ok = v.len() == 36
        && groups.len() == 5
        && groups.iter().zip(lens).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err("expected a valid UUID".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_paths() {
        // kong/db/schema/typedefs.lua:76-97, 329-339 (3.5.0)
        assert_eq!(path("/orders/v1"), Ok(()));
        assert_eq!(path("/a%20b"), Ok(()));
        assert_eq!(path("orders"), Err("should start with: /".into()));
        assert_eq!(path("/a//b"), Err("must not have empty segments".into()));
        assert_eq!(
            path("/a b"),
            Err("invalid path: '/a b' (characters outside of the reserved list of RFC 3986 found)".into())
        );
        assert_eq!(path("/a%2"), Err("invalid url-encoded value: '%2'".into()));
        assert_eq!(path("/a%zz/b"), Err("invalid url-encoded value: '%zz'".into()));
    }

    #[test]
    fn router_paths() {
        // kong/db/schema/typedefs.lua:484-512, 628-641 (3.5.0)
        assert_eq!(router_path("/orders"), Ok(()));
        assert_eq!(router_path("~/orders/(?<id>\\d+)$"), Ok(()));
        assert_eq!(router_path("orders"), Err("should start with: / (fixed path) or ~/ (regex path)".into()));
        assert_eq!(router_path("/a/../b"), Err("non-normalized path, consider use '/b' instead".into()));
        assert_eq!(router_path("/%7Eorders"), Err("non-normalized path, consider use '/~orders' instead".into()));
        assert_eq!(router_path("/a%2fb"), Err("non-normalized path, consider use '/a%2Fb' instead".into()));
        assert_eq!(router_path("/a%2Fb"), Ok(()));
        assert_eq!(
            router_path("~/a(b"),
            Err("invalid regex: '/a(b' (PCRE returned: missing closing parenthesis)".into())
        );
        assert_eq!(
            router_path("~/a|?b"),
            Err("invalid regex: '/a|?b' (PCRE returned: quantifier does not follow a repeatable item)".into())
        );
        assert_eq!(
            router_path("~/[a"),
            Err("invalid regex: '/[a' (PCRE returned: missing terminating ] for character class)".into())
        );
    }

    #[test]
    fn regexes_pcre_accepts_pass() {
        for re in ["/a(?=b)", "/(?:x|y)+?", "/a{2,3}", "/[]a]", "/\\(x\\)", "/a++", "/^x$", "/(?i)abc"] {
            assert_eq!(regex_syntax(re), Ok(()), "{re}");
        }
        assert!(regex_syntax("/a)").is_err());
        assert!(regex_syntax("/a\\").is_err());
        assert!(regex_syntax("/(|*)").is_err());
    }

    #[test]
    fn names_tags_methods_headers() {
        // kong/db/schema/typedefs.lua:114-145, 279-284 (3.5.0); kong/tools/utils.lua:1100-1129 (3.5.0)
        assert_eq!(utf8_name("orders_v1.é~"), Ok(()));
        assert!(utf8_name("my orders").is_err());
        assert_eq!(tag("team x"), Ok(()));
        assert_eq!(
            tag("a/b"),
            Err("invalid tag 'a/b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences".into())
        );
        assert_eq!(http_method("GET"), Ok(()));
        assert_eq!(http_method("get"), Err("invalid value: get".into()));
        assert_eq!(header_name("X-Team_1"), Ok(()));
        assert_eq!(
            header_name("x team"),
            Err("bad header name 'x team', allowed characters are A-Z, a-z, 0-9, '_', and '-'".into())
        );
        assert!(cookie_name("a;b").is_err());
    }

    #[test]
    fn uuid_forms() {
        // kong/db/schema/init.lua:146, 325-330 (3.5.0): case-insensitive, hyphenated, 36 characters.
        assert_eq!(uuid("0f3ba3a8-2d39-4a3c-9d7e-6a3c5d4b2e1f"), Ok(()));
        assert_eq!(uuid("0F3BA3A8-2D39-4A3C-9D7E-6A3C5D4B2E1F"), Ok(()));
        for bad in [
            "{0f3ba3a8-2d39-4a3c-9d7e-6a3c5d4b2e1f}",
            "0f3ba3a82d394a3c9d7e6a3c5d4b2e1f",
            "urn:uuid:0f3ba3a8-2d39-4a3c-9d7e-6a3c5d4b2e1f",
            "0f3ba3a8-2d39-4a3c-9d7e-6a3c5d4b2e1g",
        ] {
            assert_eq!(uuid(bad), Err("expected a valid UUID".into()), "{bad}");
        }
    }
}
