//! Kong's reading of a host or address (`kong/tools/utils.lua:908-1060` at 3.5.0: `hostname_type`,
//! `normalize_ipv4`, `normalize_ipv6`, `check_hostname`, `normalize_ip`) and the field validators made
//! of it: `typedefs.host`, `host_with_optional_port`, `sni`, `wildcard_host` and the route `hosts`
//! elements (`kong/db/schema/typedefs.lua`), a target (`entities/targets.lua:5-16`) and an
//! upstream's name (`entities/upstreams.lua:7-29`). Messages are Kong's own wording.

/// What kind of address Kong takes a text for. Decided by exclusion, before it is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostType {
    Ipv4,
    Ipv6,
    Name,
}

/// An address Kong accepts: its type and its port, if it gave one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Address {
    pub ty: HostType,
    pub port: Option<u32>,
}

/// Why Kong refuses an address. A port above 65535 is told apart: some validators word it
/// "must not have a port".
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AddressError {
    /// `invalid port number`
    Port,
    /// Kong's message (`invalid hostname: ...`, `invalid ipv4 address: ...`).
    Invalid(String),
}

impl AddressError {
    fn text(&self) -> String {
        match self {
            AddressError::Port => "invalid port number".into(),
            AddressError::Invalid(m) => m.clone(),
        }
    }
}

/// `utils.hostname_type` (utils.lua:908): more than one colon is IPv6; only digits and dots is IPv4.
fn hostname_type(s: &str) -> HostType {
    let colons = s.matches(':').count();
    let rest: String = s.chars().filter(|c| *c != ':').collect();
    if colons > 1 {
        HostType::Ipv6
    } else if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        HostType::Ipv4
    } else {
        HostType::Name
    }
}

/// A port as Kong reads it: digits, at most 65535.
fn port(digits: &str) -> Result<u32, AddressError> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AddressError::Port);
    }
    // Lua's tonumber reads any length; a number too long for u32 is above 65535 all the same.
    match digits.trim_start_matches('0').len() {
        0 => Ok(0),
        n if n > 5 => Err(AddressError::Port),
        _ => digits.parse::<u32>().ok().filter(|p| *p <= 65535).ok_or(AddressError::Port),
    }
}

/// `utils.normalize_ipv4` (utils.lua:922): four groups of one to three digits, each at most 255,
/// then an optional `:port`.
fn ipv4(address: &str) -> Result<Option<u32>, AddressError> {
    let invalid = || AddressError::Invalid(format!("invalid ipv4 address: {address}"));
    let (ip, p) = match address.split_once(':') {
        Some((ip, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (ip, Some(p)),
        Some(_) => return Err(invalid()),
        None => (address, None),
    };
    let groups: Vec<&str> = ip.split('.').collect();
    let ok = groups.len() == 4
        && groups.iter().all(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()))
        && groups.iter().all(|g| g.parse::<u32>().is_ok_and(|n| n <= 255));
    if !ok {
        return Err(invalid());
    }
    p.map(port).transpose()
}

/// `utils.normalize_ipv6` (utils.lua:952): a bare address, or one in brackets with an optional
/// `:port`; `::` expanded once, then exactly eight groups of one to four hex digits.
fn ipv6(address: &str) -> Result<Option<u32>, AddressError> {
    let invalid = || AddressError::Invalid(format!("invalid ipv6 address: {address}"));
    let (mut check, port_part) = match balanced_brackets(address) {
        Some(end) => (address[1..end].to_string(), &address[end + 1..]),
        None => (address.to_string(), ""),
    };
    let p = if port_part.is_empty() {
        None
    } else {
        match port_part.strip_prefix(':') {
            Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => Some(port(digits)?),
            _ => return Err(AddressError::Invalid("invalid ipv6 address".into())),
        }
    };
    if check.starts_with(':') {
        check.insert(0, '0');
    }
    if check.ends_with(':') {
        check.push('0');
    }
    if check.contains("::") {
        let colons = check.matches(':').count();
        let insert = format!(":{}", "0:".repeat(8usize.saturating_sub(colons)));
        check = check.replacen("::", &insert, 1);
    }
    let groups: Vec<&str> = check.split(':').collect();
    let ok = groups.len() == 8
        && groups.iter().all(|g| (1..=4).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(p)
    } else {
        Err(invalid())
    }
}

/// The index of the `]` closing a `[` at the start of `s` (Lua's `%b[]`).
fn balanced_brackets(s: &str) -> Option<usize> {
    if !s.starts_with('[') {
        return None;
    }
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `utils.check_hostname` (utils.lua:1000): letters, digits, `-`, `.`, `_`, an optional trailing
/// `:port`; no label ends with `-`, and only the last label may be empty (a trailing dot).
fn hostname(address: &str) -> Result<Option<u32>, AddressError> {
    let (name, p) = match address.rsplit_once(':') {
        Some((name, digits)) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            (name, Some(port(digits)?))
        }
        _ => (address, None),
    };
    let invalid = || AddressError::Invalid(format!("invalid hostname: {address}"));
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')) {
        return Err(invalid());
    }
    let labels: Vec<&str> = name.split('.').collect();
    let last = labels.len() - 1;
    if labels.iter().enumerate().any(|(i, l)| l.ends_with('-') || (l.is_empty() && i != last)) {
        return Err(invalid());
    }
    Ok(p)
}

/// `utils.normalize_ip` (utils.lua:1046): the address checked as the kind it looks like.
pub(crate) fn parse(address: &str) -> Result<Address, AddressError> {
    let ty = hostname_type(address);
    let port = match ty {
        HostType::Ipv4 => ipv4(address)?,
        HostType::Ipv6 => ipv6(address)?,
        HostType::Name => hostname(address)?,
    };
    Ok(Address { ty, port })
}

/// `typedefs.host` (typedefs.lua:21): a name or IP, without a port.
pub(crate) fn host(v: &str) -> Result<(), String> {
    match parse(v) {
        Err(AddressError::Invalid(_)) => Err(format!("invalid value: {v}")),
        Err(AddressError::Port) | Ok(Address { port: Some(_), .. }) => Err("must not have a port".into()),
        Ok(_) => Ok(()),
    }
}

/// `typedefs.host_with_optional_port` (typedefs.lua:35).
pub(crate) fn host_with_optional_port(v: &str) -> Result<(), String> {
    parse(v).map(|_| ()).map_err(|e| e.text())
}

/// `typedefs.sni` (typedefs.lua:154): a name, not an IP, without a port.
pub(crate) fn sni(v: &str) -> Result<(), String> {
    name_without_port(v, v)
}

fn name_without_port(checked: &str, shown: &str) -> Result<(), String> {
    match parse(checked) {
        Err(AddressError::Invalid(_)) => Err(format!("invalid value: {shown}")),
        Ok(Address { ty: HostType::Ipv4 | HostType::Ipv6, .. }) => Err("must not be an IP".into()),
        Err(AddressError::Port) | Ok(Address { port: Some(_), .. }) => Err("must not have a port".into()),
        Ok(_) => Ok(()),
    }
}

/// `typedefs.wildcard_host` (typedefs.lua:172), an SNI's name: at most one `*`, as its first or last
/// character, and otherwise an SNI.
pub(crate) fn wildcard_host(v: &str) -> Result<(), String> {
    if let Some(i) = v.find('*') {
        if i != 0 && i + 1 != v.len() {
            return Err("wildcard must be leftmost or rightmost character".into());
        }
        if v.matches('*').count() > 1 {
            return Err("only one wildcard must be specified".into());
        }
    }
    // Kong checks the name with the wildcard replaced, and shows that text when it fails.
    let mock = v.replace('*', "wildcard");
    name_without_port(&mock, &mock)
}

/// The elements of a route's `hosts` (typedefs.lua:610-626): one wildcard at most, as the leftmost or
/// rightmost label, an optional port.
pub(crate) fn route_host(v: &str) -> Result<(), String> {
    if v.matches('*').count() > 1 {
        return Err("invalid wildcard: must have at most one wildcard".into());
    }
    if v.contains('*') && !v.starts_with("*.") && !v.ends_with(".*") {
        return Err("invalid wildcard: must be placed at leftmost or rightmost label".into());
    }
    host_with_optional_port(&v.replace('*', "abc"))
}

/// A target (targets.lua:5): any address `normalize_ip` accepts, with or without a port.
pub(crate) fn target(v: &str) -> Result<(), String> {
    match parse(v) {
        Ok(_) => Ok(()),
        Err(_) => Err(format!("Invalid target ('{v}'); not a valid hostname or ip address")),
    }
}

/// An upstream's name (upstreams.lua:17): a host name, not an IP, without a port.
pub(crate) fn upstream_name(v: &str) -> Result<(), String> {
    match parse(v) {
        Err(_) => Err(format!("Invalid name ('{v}'); must be a valid hostname")),
        Ok(Address { ty: HostType::Ipv4 | HostType::Ipv6, .. }) => {
            Err(format!("Invalid name ('{v}'); no ip addresses allowed"))
        }
        Ok(Address { port: Some(_), .. }) => Err(format!("Invalid name ('{v}'); no port allowed")),
        Ok(_) => Ok(()),
    }
}

/// `typedefs.ip_or_cidr` (typedefs.lua:51-57): an IPv4 or IPv6 address, or one with a prefix length
/// within its family's (`kong/tools/utils.lua:820-896`).
pub(crate) fn ip_or_cidr(v: &str) -> Result<(), String> {
    use std::net::IpAddr;
    let ok = match v.split_once('/') {
        None => v.parse::<IpAddr>().is_ok(),
        Some((ip, bits)) => {
            let max = match ip.parse::<IpAddr>() {
                Ok(IpAddr::V4(_)) => 32,
                Ok(IpAddr::V6(_)) => 128,
                Err(_) => return Err(format!("invalid ip or cidr range: '{v}'")),
            };
            !bits.is_empty() && bits.bytes().all(|b| b.is_ascii_digit()) && bits.parse::<u32>().is_ok_and(|b| b <= max)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("invalid ip or cidr range: '{v}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_typed_by_exclusion() {
        // kong/tools/utils.lua:908-917 (3.5.0)
        assert_eq!(hostname_type("123.123.123.123"), HostType::Ipv4);
        assert_eq!(hostname_type("::1"), HostType::Ipv6);
        assert_eq!(hostname_type("some::thing"), HostType::Ipv6);
        assert_eq!(hostname_type("example.com:80"), HostType::Name);
    }

    #[test]
    fn ipv4_and_ipv6_parse_as_kong_does() {
        // kong/tools/utils.lua:922-1000 (3.5.0)
        assert_eq!(parse("010.0.0.1:80"), Ok(Address { ty: HostType::Ipv4, port: Some(80) }));
        assert_eq!(parse("256.0.0.1"), Err(AddressError::Invalid("invalid ipv4 address: 256.0.0.1".into())));
        assert_eq!(parse("1.2.3.4:70000"), Err(AddressError::Port));
        assert_eq!(parse("[::1]:9000"), Ok(Address { ty: HostType::Ipv6, port: Some(9000) }));
        assert_eq!(parse("::"), Ok(Address { ty: HostType::Ipv6, port: None }));
        assert_eq!(parse(":::"), Err(AddressError::Invalid("invalid ipv6 address: :::".into())));
        assert_eq!(
            parse("1:2:3:4:5:6:7:8:9"),
            Err(AddressError::Invalid("invalid ipv6 address: 1:2:3:4:5:6:7:8:9".into()))
        );
        assert_eq!(parse("[::1]x"), Err(AddressError::Invalid("invalid ipv6 address".into())));
    }

    #[test]
    fn hostnames_parse_as_kong_does() {
        // kong/tools/utils.lua:1000-1027 (3.5.0)
        assert_eq!(parse("orders-up:80"), Ok(Address { ty: HostType::Name, port: Some(80) }));
        assert_eq!(parse("example.com."), Ok(Address { ty: HostType::Name, port: None }));
        assert!(parse("a..b").is_err());
        assert!(parse("a-.b").is_err());
        assert!(parse("-a.b").is_ok(), "a leading dash is allowed (punycode)");
        assert!(parse("a b").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn field_validators_word_errors_like_kong() {
        // kong/db/schema/typedefs.lua:21-33, 154-170, 172-203 (3.5.0)
        assert_eq!(host("orders.internal"), Ok(()));
        assert_eq!(host("orders.internal:80"), Err("must not have a port".into()));
        assert_eq!(host("bad host"), Err("invalid value: bad host".into()));
        assert_eq!(sni("10.0.0.1"), Err("must not be an IP".into()));
        assert_eq!(wildcard_host("*.example.com"), Ok(()));
        assert_eq!(wildcard_host("example.*"), Ok(()));
        assert_eq!(wildcard_host("a.*.example.com"), Err("wildcard must be leftmost or rightmost character".into()));
        assert_eq!(wildcard_host("*.a.*"), Err("only one wildcard must be specified".into()));
        assert_eq!(wildcard_host("*.exa mple"), Err("invalid value: wildcard.exa mple".into()));
        // kong/db/schema/typedefs.lua:610-626 (3.5.0)
        assert_eq!(route_host("*.example.com:8080"), Ok(()));
        assert_eq!(
            route_host("a.*.com"),
            Err("invalid wildcard: must be placed at leftmost or rightmost label".into())
        );
        assert_eq!(route_host("*.*"), Err("invalid wildcard: must have at most one wildcard".into()));
        assert_eq!(route_host("bad_host!"), Err("invalid hostname: bad_host!".into()));
    }

    #[test]
    fn targets_and_upstream_names() {
        // kong/db/schema/entities/targets.lua:5-16 (3.5.0)
        assert_eq!(target("10.0.0.1:8080"), Ok(()));
        assert_eq!(target(":::"), Err("Invalid target (':::'); not a valid hostname or ip address".into()));
        // kong/db/schema/entities/upstreams.lua:17-29 (3.5.0)
        assert_eq!(upstream_name("orders-up"), Ok(()));
        assert_eq!(upstream_name("orders-up:80"), Err("Invalid name ('orders-up:80'); no port allowed".into()));
        assert_eq!(upstream_name("10.0.0.1"), Err("Invalid name ('10.0.0.1'); no ip addresses allowed".into()));
        assert_eq!(upstream_name("a b"), Err("Invalid name ('a b'); must be a valid hostname".into()));
    }

    #[test]
    fn ips_and_cidrs() {
        // kong/db/schema/typedefs.lua:51-57 (3.5.0)
        assert_eq!(ip_or_cidr("10.0.0.0/8"), Ok(()));
        assert_eq!(ip_or_cidr("::1"), Ok(()));
        assert_eq!(ip_or_cidr("2001:db8::/129"), Err("invalid ip or cidr range: '2001:db8::/129'".into()));
        assert_eq!(ip_or_cidr("example.com"), Err("invalid ip or cidr range: 'example.com'".into()));
    }
}
