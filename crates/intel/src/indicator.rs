//! One indicator of compromise, normalized so that matching is a lookup.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// What an indicator names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An IPv4 or IPv6 address, or a network in CIDR form.
    Ip,
    /// A domain name; its subdomains match too.
    Domain,
    /// A URL; any URL that contains it matches.
    Url,
    /// An e-mail address.
    Email,
    /// An MD5 digest (hex).
    Md5,
    /// A SHA-1 digest (hex).
    Sha1,
    /// A SHA-256 digest (hex).
    Sha256,
}

impl Kind {
    /// The name used in reports (`ip`, `domain`, …).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ip => "ip",
            Kind::Domain => "domain",
            Kind::Url => "url",
            Kind::Email => "email",
            Kind::Md5 => "md5",
            Kind::Sha1 => "sha1",
            Kind::Sha256 => "sha256",
        }
    }
}

/// An indicator and what its feed said about it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    /// What it names.
    pub kind: Option<Kind>,
    /// The normalized value (lower-case host, e-mail and digest; CIDR in canonical form).
    pub value: String,
    /// The set it was imported into.
    #[serde(default)]
    pub source: String,
    /// Where in the feed (STIX id, MISP attribute UUID, `file:line`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// First seen or valid from, as the feed wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// Last seen or valid until, as the feed wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    /// Confidence, 0–100, when the feed gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    /// Tags and labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The actor the feed attributes it to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Whether the feed meant it for detection (MISP `to_ids`; true elsewhere).
    #[serde(default = "yes")]
    pub detect: bool,
}

fn yes() -> bool {
    true
}

impl Indicator {
    /// A detection indicator of `kind` with a normalized `value`.
    pub fn new(kind: Kind, value: String) -> Indicator {
        Indicator {
            kind: Some(kind),
            value,
            detect: true,
            ..Indicator::default()
        }
    }
}

/// The kind a feed's type name gives (MISP, ThreatFox, OTX, STIX and
/// common names, any case); `None` for types vigie does not match (mutex,
/// CVE, file path, JA3…).
pub fn kind_named(name: &str) -> Option<Kind> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "ip" | "ipv4" | "ipv6" | "ip-src" | "ip-dst" | "ipv4-addr" | "ipv6-addr" | "cidr"
        | "ip:port" => Kind::Ip,
        "domain" | "hostname" | "domain-name" | "fqdn" => Kind::Domain,
        "url" | "uri" => Kind::Url,
        "email" | "email-src" | "email-dst" | "email-addr" => Kind::Email,
        "md5" | "md5_hash" | "filehash-md5" => Kind::Md5,
        "sha1" | "sha-1" | "sha1_hash" | "filehash-sha1" => Kind::Sha1,
        "sha256" | "sha-256" | "sha256_hash" | "filehash-sha256" => Kind::Sha256,
        _ => return None,
    })
}

/// Undoes the usual defanging: `hxxp://`, `[.]`, `(.)`, `[dot]`, `[@]`, `[at]`, `[:]`.
pub fn refang(text: &str) -> String {
    let mut out = text
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string();
    for (from, to) in [
        ("[.]", "."),
        ("(.)", "."),
        ("{.}", "."),
        ("[dot]", "."),
        ("(dot)", "."),
        ("\\.", "."),
        ("[@]", "@"),
        ("[at]", "@"),
        ("(at)", "@"),
        ("[://]", "://"),
        ("[:]", ":"),
        ("[/]", "/"),
    ] {
        if out.contains(from) {
            out = out.replace(from, to);
        }
    }
    for (from, to) in [("hxxps", "https"), ("hxxp", "http"), ("fxp", "ftp")] {
        // `get`: the first bytes may end inside a multi-byte character.
        if out
            .get(..from.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(from))
        {
            out.replace_range(..from.len(), to);
        }
    }
    if let Some(inner) = out.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
        out = inner.to_string();
    }
    out
}

/// Why a value cannot be an indicator of the kind asked for.
pub type Refusal = &'static str;

/// Normalizes `value` as an indicator of `kind` (refanged first).
pub fn normalize(kind: Kind, value: &str) -> Result<String, Refusal> {
    let value = refang(value);
    match kind {
        Kind::Ip => normalize_ip(&value),
        Kind::Domain => normalize_domain(&value),
        Kind::Url => normalize_url(&value),
        Kind::Email => normalize_email(&value),
        Kind::Md5 => normalize_hex(&value, 32),
        Kind::Sha1 => normalize_hex(&value, 40),
        Kind::Sha256 => normalize_hex(&value, 64),
    }
}

/// Guesses what `value` is (after refanging): the type of a plain list's line.
pub fn guess(value: &str) -> Result<(Kind, String), Refusal> {
    let value = refang(value);
    let v = value.as_str();
    if v.is_empty() {
        return Err("empty");
    }
    let kind = if v.contains("://") {
        Kind::Url
    } else if v.contains('@') {
        Kind::Email
    } else if v.parse::<IpAddr>().is_ok()
        || v.parse::<IpNet>().is_ok()
        || v.parse::<SocketAddr>().is_ok()
    {
        Kind::Ip
    } else if v.bytes().all(|b| b.is_ascii_hexdigit()) {
        match v.len() {
            32 => Kind::Md5,
            40 => Kind::Sha1,
            64 => Kind::Sha256,
            _ => return Err("type not recognised"),
        }
    } else if v.starts_with('/') {
        return Err("a URL path without a host");
    } else if v.contains('/') {
        // `evil.example/wp/x.php`, as lists without schemes write URLs.
        Kind::Url
    } else {
        Kind::Domain
    };
    // Neither a domain nor a scheme-less URL: no type fits.
    let schemeless = kind == Kind::Url && !v.contains("://");
    normalize(kind, v).map(|n| (kind, n)).map_err(|e| {
        if (kind == Kind::Domain && e == "not a domain name") || (schemeless && e == "not a URL") {
            "type not recognised"
        } else {
            e
        }
    })
}

fn normalize_ip(value: &str) -> Result<String, Refusal> {
    // `ip:port` and `[ip]:port` (ThreatFox's `ip:port` type): the address
    // is the indicator, the port only narrows it.
    let socket = value.parse::<SocketAddr>().ok().map(|s| s.ip());
    if let Some(ip) = socket.or_else(|| value.parse::<IpAddr>().ok()) {
        if ip.is_unspecified() {
            return Err("unspecified address");
        }
        return Ok(ip.to_string());
    }
    let net: IpNet = value.parse().map_err(|_| "not an IP address or network")?;
    let broad = match net {
        IpNet::V4(n) => n.prefix_len() < 8,
        IpNet::V6(n) => n.prefix_len() < 16,
    };
    if broad {
        return Err("network too broad (shorter than /8 or /16)");
    }
    let net = net.trunc();
    Ok(if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    })
}

/// File name endings that would pass for top-level domains in a list.
const FILE_ENDINGS: &[&str] = &[
    "exe", "dll", "js", "vbs", "ps1", "bat", "cmd", "scr", "hta", "lnk", "jar", "doc", "docx",
    "docm", "xls", "xlsx", "xlsm", "pdf", "rtf", "iso", "img", "rar", "7z", "gz", "php", "html",
    "htm", "txt", "eml", "msi", "py", "sh", "elf", "bin", "dat", "tmp", "log", "json", "xml",
    "uin",
];

fn normalize_domain(value: &str) -> Result<String, Refusal> {
    let d = value.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    let valid_label = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if labels.len() < 2 || d.len() > 253 || !labels.iter().all(valid_label) {
        return Err("not a domain name");
    }
    match labels.last() {
        Some(tld) if tld.bytes().all(|b| b.is_ascii_digit()) => Err("not a domain name"),
        Some(end) if FILE_ENDINGS.contains(end) => Err("a file name, not a domain"),
        _ => Ok(d),
    }
}

fn normalize_url(value: &str) -> Result<String, Refusal> {
    let Some((scheme, rest)) = value.split_once("://") else {
        // `evil.example/x.php`: kept without a scheme, it matches either.
        let (host, path) = value.split_at(value.find('/').unwrap_or(value.len()));
        let host = normalize_ip(host)
            .or_else(|_| normalize_domain(host))
            .map_err(|_| "not a URL")?;
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("not a URL");
        }
        return Ok(format!("{host}{path}"));
    };
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+')
    {
        return Err("not a URL");
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..end];
    if host.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("not a URL");
    }
    Ok(format!(
        "{}://{}{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase(),
        &rest[end..]
    ))
}

fn normalize_email(value: &str) -> Result<String, Refusal> {
    let v = value.strip_prefix("mailto:").unwrap_or(value);
    let (local, domain) = v.rsplit_once('@').ok_or("not an e-mail address")?;
    if local.is_empty() || local.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err("not an e-mail address");
    }
    let domain = normalize_domain(domain).map_err(|_| "not an e-mail address")?;
    Ok(format!("{}@{domain}", local.to_lowercase()))
}

fn normalize_hex(value: &str, len: usize) -> Result<String, Refusal> {
    if value.len() == len && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err("not a hex digest of the right length")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_a_scheme_is_a_url_and_a_bare_path_is_refused() {
        assert_eq!(
            guess("evil[.]example/wp/x.php"),
            Ok((Kind::Url, "evil.example/wp/x.php".into()))
        );
        assert_eq!(
            guess("203.161.50.145/a"),
            Ok((Kind::Url, "203.161.50.145/a".into()))
        );
        assert_eq!(guess("/static/evil.js"), Err("a URL path without a host"));
        assert_eq!(guess("not a host/x"), Err("type not recognised"));
        assert_eq!(guess("10.0.0.0/8"), Ok((Kind::Ip, "10.0.0.0/8".into())));
    }

    #[test]
    fn defanged_forms_are_read() {
        assert_eq!(
            guess("hxxps://evil[.]example/x"),
            Ok((Kind::Url, "https://evil.example/x".into()))
        );
        assert_eq!(
            guess("collector[@]exfil[.]example"),
            Ok((Kind::Email, "collector@exfil.example".into()))
        );
        assert_eq!(
            guess("203.161.50[.]145"),
            Ok((Kind::Ip, "203.161.50.145".into()))
        );
        assert_eq!(guess("Zhblz[.]COM"), Ok((Kind::Domain, "zhblz.com".into())));
        // Found by fuzzing: a multi-byte character where `hxxp` would be.
        assert_eq!(guess("hé.example"), Err("type not recognised"));
        assert_eq!(guess("éé"), Err("type not recognised"));
        // A feed is hostile too: no control character reaches a finding.
        assert_eq!(guess("http://x.example/\u{1b}[31m"), Err("not a URL"));
    }

    #[test]
    fn types_are_guessed_and_nonsense_refused() {
        assert_eq!(guess("10.1.2.0/24"), Ok((Kind::Ip, "10.1.2.0/24".into())));
        assert_eq!(
            guess("203.0.113.37:8080"),
            Ok((Kind::Ip, "203.0.113.37".into()))
        );
        assert_eq!(
            guess("[2001:db8::7]:443"),
            Ok((Kind::Ip, "2001:db8::7".into()))
        );
        assert_eq!(
            normalize(Kind::Ip, "198.51.100.9:4443"),
            Ok("198.51.100.9".into())
        );
        assert_eq!(guess("10.1.2.7/24"), Ok((Kind::Ip, "10.1.2.0/24".into())));
        assert_eq!(guess("2001:db8::1"), Ok((Kind::Ip, "2001:db8::1".into())));
        assert_eq!(guess(&"A".repeat(64)), Ok((Kind::Sha256, "a".repeat(64))));
        assert_eq!(
            guess("d41d8cd98f00b204e9800998ecf8427e").map(|g| g.0),
            Ok(Kind::Md5)
        );
        assert_eq!(guess("not an indicator"), Err("type not recognised"));
        assert_eq!(guess("localhost"), Err("type not recognised"));
        assert_eq!(guess("1.2.3"), Err("type not recognised"));
        assert_eq!(guess("igfxtray.exe"), Err("a file name, not a domain"));
        assert_eq!(
            normalize(Kind::Ip, "0.0.0.0/0"),
            Err("network too broad (shorter than /8 or /16)")
        );
    }
}
