//! Kong's field validators (`kong/db/schema/typedefs.lua` at 3.5.0), reimplemented with the same error
//! wording: tags, names, hosts, paths, router paths, IPs and CIDRs, header names, URLs, PEM blobs.
//! Also the host/port parsing that target normalisation and the service `url` shorthand share.

use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr};

fn as_str(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// A parsed `host[:port]` the way Kong's `utils.normalize_ip` sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum HostKind {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
    Name(String),
}

/// Splits and checks `host[:port]`; `Err` carries Kong's message ("invalid port number" is special:
/// callers map it to "must not have a port" where a port is forbidden).
pub fn parse_host_port(input: &str) -> Result<(HostKind, Option<u32>), String> {
    if let Some(rest) = input.strip_prefix('[') {
        let (addr, after) = rest.split_once(']').ok_or_else(|| format!("invalid hostname: {input}"))?;
        let ip: Ipv6Addr = addr.parse().map_err(|_| format!("invalid hostname: {input}"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p)?),
            None if after.is_empty() => None,
            None => return Err(format!("invalid hostname: {input}")),
        };
        return Ok((HostKind::V6(ip), port));
    }
    if input.matches(':').count() > 1 {
        let ip: Ipv6Addr = input.parse().map_err(|_| format!("invalid hostname: {input}"))?;
        return Ok((HostKind::V6(ip), None));
    }
    // utils.hostname_type: only digits and dots (colons aside) is an IPv4 address.
    let remainder: String = input.chars().filter(|c| *c != ':').collect();
    if !remainder.is_empty() && remainder.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let (addr, port) = match input.split_once(':') {
            Some((a, p)) if !p.is_empty() => (a, Some(parse_port(p)?)),
            Some(_) => return Err(format!("invalid ipv4 address: {input}")),
            None => (input, None),
        };
        let v4 = parse_ipv4(addr).ok_or_else(|| format!("invalid ipv4 address: {input}"))?;
        return Ok((HostKind::V4(v4), port));
    }
    // utils.check_hostname (kong/tools/utils.lua, 3.5.0): a trailing `:digits` is the port; the name is
    // letters, digits, `-`, `.` and `_`; no label may end in `-`, and only the last may be empty (a
    // trailing dot is accepted).
    let (name, port) = match input.rsplit_once(':') {
        Some((n, p)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => (n, Some(parse_port(p)?)),
        _ => (input, None),
    };
    let labels: Vec<&str> = name.split('.').collect();
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        && labels.iter().enumerate().all(|(i, l)| !l.ends_with('-') && (!l.is_empty() || i == labels.len() - 1));
    if !valid {
        return Err(format!("invalid hostname: {input}"));
    }
    Ok((HostKind::Name(name.to_string()), port))
}

fn parse_port(p: &str) -> Result<u32, String> {
    match p.parse::<u64>() {
        Ok(n) if n <= 65535 && !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => Ok(n as u32),
        _ => Err("invalid port number".to_string()),
    }
}

/// IPv4 with Kong's leniency for leading zeros (`010.0.0.1` is 10.0.0.1).
pub fn parse_ipv4(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (o, p) in octets.iter_mut().zip(parts) {
        if p.is_empty() || p.len() > 3 || !p.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    Some(Ipv4Addr::from(octets))
}

fn is_ip(s: &str) -> bool {
    parse_ipv4(s).is_some() || s.parse::<Ipv6Addr>().is_ok()
}

fn is_cidr(s: &str) -> bool {
    match s.split_once('/') {
        Some((ip, bits)) => {
            let max = if parse_ipv4(ip).is_some() {
                32
            } else if ip.parse::<Ipv6Addr>().is_ok() {
                128
            } else {
                return false;
            };
            matches!(bits.parse::<u32>(), Ok(b) if b <= max)
        }
        None => false,
    }
}

/// typedefs.tag
pub fn tag(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    let ok = s.chars().all(|c| !c.is_ascii() || (c == ' ' || (c.is_ascii_graphic() && c != ',' && c != '/')));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid tag '{s}': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"))
    }
}

/// typedefs.utf8_name
pub fn utf8_name(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    if s.chars().all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || ".-_~".contains(c)) {
        Ok(())
    } else {
        Err(format!("invalid value '{s}': the only accepted ascii characters are alphanumerics or ., -, _, and ~"))
    }
}

/// typedefs.host: a hostname or IP without a port.
pub fn host(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    match parse_host_port(s) {
        Err(e) if e == "invalid port number" => Err("must not have a port".into()),
        Err(_) => Err(format!("invalid value: {s}")),
        Ok((_, Some(_))) => Err("must not have a port".into()),
        Ok(_) => Ok(()),
    }
}

/// typedefs.host_with_optional_port
pub fn host_with_optional_port(v: &Value) -> Result<(), String> {
    parse_host_port(as_str(v)).map(|_| ())
}

/// typedefs.sni: a name, not an IP, without a port.
pub fn sni(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    match parse_host_port(s) {
        Err(e) if e == "invalid port number" => Err("must not have a port".into()),
        Err(_) => Err(format!("invalid value: {s}")),
        Ok((HostKind::Name(_), None)) => Ok(()),
        Ok((HostKind::Name(_), Some(_))) => Err("must not have a port".into()),
        Ok(_) => Err("must not be an IP".into()),
    }
}

/// typedefs.wildcard_host (SNI names): at most one `*`, first or last character.
pub fn wildcard_host(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    let mut host = s.to_string();
    if let Some(idx) = s.find('*') {
        if idx != 0 && idx != s.len() - 1 {
            return Err("wildcard must be leftmost or rightmost character".into());
        }
        if s.matches('*').count() > 1 {
            return Err("only one wildcard must be specified".into());
        }
        host = s.replace('*', "wildcard");
    }
    sni(&Value::String(host))
        .map_err(|e| if e.starts_with("invalid value") { format!("invalid value: {s}") } else { e })
}

/// typedefs.hosts elements (routes): wildcard label leftmost or rightmost, optional port.
pub fn route_host(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    if s.matches('*').count() > 1 {
        return Err("invalid wildcard: must have at most one wildcard".into());
    }
    if s.contains('*') && !(s.starts_with("*.") || s.ends_with(".*")) {
        return Err("invalid wildcard: must be placed at leftmost or rightmost label".into());
    }
    parse_host_port(&s.replace('*', "abc")).map(|_| ())
}

/// The `typedefs.path` character and percent-encoding check, shared by services and routes.
fn path_chars(s: &str) -> Result<(), (String, bool)> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-~/%:@!$&'()*+,;=".contains(c);
    if !s.starts_with('/') || !s.chars().all(allowed) {
        return Err((
            format!("invalid path: '{s}' (characters outside of the reserved list of RFC 3986 found)"),
            false,
        ));
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                let end = (i + 3).min(s.len());
                return Err((format!("invalid url-encoded value: '{}'", &s[i..end]), true));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// typedefs.path (services, upstream paths) beyond its `starts_with`: no `//`, RFC 3986 characters.
pub fn path_segments(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    if s.contains("//") {
        return Err("must not have empty segments".into());
    }
    path_chars(s).map_err(|(e, _)| e)
}

/// typedefs.router_path: `/prefix` (already normalised) or `~/regex` (must compile).
pub fn router_path(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    if !(s.starts_with('/') || s.starts_with("~/")) {
        return Err("should start with: / (fixed path) or ~/ (regex path)".into());
    }
    if s.contains("//") {
        return Err("must not have empty segments".into());
    }
    if let Some(re) = s.strip_prefix('~') {
        // Kong dry-runs the regex with PCRE; Rust's engine rejects lookaround and backreferences, which
        // Kong 3.5's ATC validation (traditional_compatible) rejects as well.
        if let Err(e) = regex::Regex::new(re) {
            let first = e.to_string().lines().last().unwrap_or_default().trim().to_string();
            return Err(format!("invalid regex: '{re}' (PCRE returned: {first})"));
        }
        return Ok(());
    }
    if let Err((e, true)) = path_chars(s) {
        return Err(e);
    }
    let normalized = normalize_path(s);
    if normalized != s {
        return Err(format!("non-normalized path, consider use '{normalized}' instead"));
    }
    Ok(())
}

/// Kong's `kong.tools.uri.normalize(path, true)`: decode unreserved percent-escapes, upper-case the rest,
/// and resolve `.` and `..` segments.
fn normalize_path(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out_bytes: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = if bytes[i] == b'%' { s.get(i + 1..i + 3) } else { None };
        if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            let c = b as char;
            if c.is_ascii_alphanumeric() || "-._~".contains(c) {
                out_bytes.push(b);
            } else {
                out_bytes.extend(format!("%{b:02X}").bytes());
            }
            i += 3;
            continue;
        }
        out_bytes.push(bytes[i]);
        i += 1;
    }
    let decoded = String::from_utf8_lossy(&out_bytes).into_owned();
    let trailing = decoded.ends_with('/') && decoded.len() > 1;
    let mut out: Vec<&str> = Vec::new();
    for seg in decoded.split('/').skip(1) {
        match seg {
            "." => {}
            ".." => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    let mut result = format!("/{}", out.join("/"));
    if trailing && !result.ends_with('/') {
        result.push('/');
    }
    result
}

pub fn ip_or_cidr(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    if is_ip(s) || is_cidr(s) {
        Ok(())
    } else {
        Err(format!("invalid ip or cidr range: '{s}'"))
    }
}

/// utils.validate_header_name
pub fn header_name(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    if s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        Ok(())
    } else {
        Err(format!("bad header name '{s}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"))
    }
}

/// utils.validate_cookie_name (an RFC 2616 token)
pub fn cookie_name(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    if s.chars().all(|c| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c)) {
        Ok(())
    } else {
        Err(format!("bad cookie name '{s}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"))
    }
}

pub fn http_method(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    if s.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(format!("invalid value: {s}"))
    }
}

/// typedefs.url: needs a scheme and a host.
pub fn url(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    match s.split_once("://") {
        Some((scheme, rest)) if !scheme.is_empty() => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            if host.is_empty() {
                Err("missing host in url".into())
            } else {
                Ok(())
            }
        }
        _ => Err("missing scheme in url".into()),
    }
}

/// typedefs.certificate (`kong/db/schema/typedefs.lua:221-228`): OpenSSL must read an X.509
/// certificate from the text (the first PEM block). The simulator checks the DER shape; OpenSSL's own
/// error text is not reproduced.
pub fn pem_certificate(v: &Value) -> Result<(), String> {
    if first_certificate(as_str(v)).is_some() {
        Ok(())
    } else {
        Err("invalid certificate: x509.new: asn1/tasn_dec.c:349:error:0688010A:asn1 encoding routines::nested asn1 error".into())
    }
}

/// The first PEM block of `text` read as a certificate.
pub fn first_certificate(text: &str) -> Option<super::der::Certificate> {
    let block = super::der::pem_blocks(text)?.into_iter().next()?;
    (block.label == "CERTIFICATE").then_some(())?;
    super::der::certificate(&block.der)
}

/// The first PEM block of `text` loaded as a key.
pub fn first_key(text: &str) -> Option<super::der::LoadedKey> {
    let block = super::der::pem_blocks(text)?.into_iter().next()?;
    super::der::load_key(&block)
}

/// typedefs.key (`kong/db/schema/typedefs.lua:231-238`): OpenSSL must load a key from the text.
pub fn pem_key(v: &Value) -> Result<(), String> {
    if first_key(as_str(v)).is_some() {
        Ok(())
    } else {
        Err("invalid key: pkey.new:load_key: failed to load key".into())
    }
}

/// Vault prefixes: lower-case letters, digits and `-`, starting with a letter (kong/db/schema/entities/vaults.lua).
pub fn vault_prefix(v: &Value) -> Result<(), String> {
    let s = as_str(v);
    let ok = s.len() >= 2
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(format!("invalid value: {s}"));
    }
    // Vault names are refused as prefixes per surface (hooks::check_surface).
    Ok(())
}

/// A target's `custom_validator` (kong/db/schema/entities/targets.lua:5-16, 3.5.0): any address
/// Kong can read, with or without a port.
pub fn target(v: &Value) -> Result<(), String> {
    normalize_target(as_str(v)).map(|_| ())
}

/// Normalises a target the way Kong's targets DAO does: default port 8000, IPv4 without leading
/// zeros, IPv6 fully expanded in brackets; hostnames keep their case.
pub fn normalize_target(s: &str) -> Result<String, String> {
    let (kind, port) =
        parse_host_port(s).map_err(|_| format!("Invalid target ('{s}'); not a valid hostname or ip address"))?;
    let port = port.unwrap_or(8000);
    Ok(match kind {
        HostKind::V4(ip) => format!("{ip}:{port}"),
        HostKind::V6(ip) => {
            let segs: Vec<String> = ip.segments().iter().map(|s| format!("{s:04x}")).collect();
            format!("[{}]:{port}", segs.join(":"))
        }
        HostKind::Name(n) => format!("{n}:{port}"),
    })
}

pub fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::parse_str(s).is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hosts_and_paths() {
        assert!(host(&json!("example.com")).is_ok());
        assert_eq!(host(&json!("example.com:80")), Err("must not have a port".into()));
        assert_eq!(host(&json!("bad host")), Err("invalid value: bad host".into()));
        assert!(path_segments(&json!("/a/b%20c")).is_ok());
        assert_eq!(path_segments(&json!("/a//b")), Err("must not have empty segments".into()));
        assert!(router_path(&json!("~/v[0-9]+")).is_ok());
        assert!(router_path(&json!("/a/./b")).is_err());
        assert_eq!(normalize_target("10.0.0.1").as_deref(), Ok("10.0.0.1:8000"));
        assert_eq!(normalize_target("[::1]:80").as_deref(), Ok("[0000:0000:0000:0000:0000:0000:0000:0001]:80"));
        assert_eq!(normalize_target("Example.com:81").as_deref(), Ok("Example.com:81"));
        assert!(tag(&json!("a b")).is_ok());
        assert!(tag(&json!("a,b")).is_err());
        assert!(wildcard_host(&json!("*.example.com")).is_ok());
        assert!(wildcard_host(&json!("a.*.com")).is_err());
    }

    // kong/tools/utils.lua check_hostname and normalize_ipv4 (3.5.0).
    #[test]
    fn host_names_as_kong_checks_them() {
        assert!(host(&json!("example.com.")).is_ok(), "a trailing dot is accepted");
        assert!(host(&json!("-lead.example.com")).is_ok(), "a leading dash is accepted");
        assert_eq!(host(&json!("bad-.example.com")), Err("invalid value: bad-.example.com".into()));
        assert_eq!(host(&json!("a..b")), Err("invalid value: a..b".into()));
        assert_eq!(host(&json!(".a")), Err("invalid value: .a".into()));
        assert_eq!(host(&json!("1.2.3")), Err("invalid value: 1.2.3".into()));
        assert_eq!(host(&json!("h:99999")), Err("must not have a port".into()));
        assert_eq!(parse_host_port("h:80"), Ok((HostKind::Name("h".into()), Some(80))));
    }
}
