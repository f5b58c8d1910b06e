//! Receiving-side profiles: the mailbox providers and filtering gateways
//! whose relays write the top of a Received chain, read from the TOML files
//! in the repository's `receivers/` folder (embedded at build time; nothing
//! is fetched at run time).

use std::net::IpAddr;
use std::sync::OnceLock;

use ipnet::IpNet;
use serde::Deserialize;

/// The embedded profile files, in the order detection tries them. A unit
/// test checks that this list and the `receivers/` folder agree.
const BUILTIN: &[(&str, &str)] = &[
    ("microsoft365", include_str!("../../../receivers/microsoft365.toml")),
    ("google", include_str!("../../../receivers/google.toml")),
    ("yahoo", include_str!("../../../receivers/yahoo.toml")),
    ("icloud", include_str!("../../../receivers/icloud.toml")),
    ("fastmail", include_str!("../../../receivers/fastmail.toml")),
    ("proton", include_str!("../../../receivers/proton.toml")),
    ("zoho", include_str!("../../../receivers/zoho.toml")),
    ("gmx", include_str!("../../../receivers/gmx.toml")),
    ("yandex", include_str!("../../../receivers/yandex.toml")),
    ("mimecast", include_str!("../../../receivers/mimecast.toml")),
    ("proofpoint", include_str!("../../../receivers/proofpoint.toml")),
    ("barracuda", include_str!("../../../receivers/barracuda.toml")),
    ("cisco", include_str!("../../../receivers/cisco.toml")),
];

/// A mailbox provider keeps the mailbox; a gateway filters in front of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Trust extends through its networks only when it is the receiver.
    Mailbox,
    /// Trust extends through its networks wherever the walk meets it above
    /// the origin (it hands mail on to the mailbox).
    Gateway,
}

/// One block of published ranges and where they were published.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Networks {
    /// Where the ranges are published.
    pub source: String,
    /// When they were written into the profile.
    pub transcribed: String,
    /// The ranges, as CIDR.
    pub ranges: Vec<IpNet>,
}

/// Where and how the provider writes its verdicts.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdicts {
    /// Header-name patterns (`*` wildcard, any case) the provider strips from
    /// incoming mail and writes itself: its word wherever they stand.
    #[serde(default)]
    pub trusted_headers: Vec<String>,
    /// How it writes Authentication-Results, ARC and spam verdicts.
    #[serde(default)]
    pub notes: String,
}

/// One receiving-side profile (a file in `receivers/`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short name: `messages.receiver` and `--receiver NAME`.
    pub name: String,
    /// What it is, for people.
    pub title: String,
    /// Mailbox provider or gateway.
    pub kind: Kind,
    /// Host-name patterns of its relays (`*.outlook.com`, `mx.google.com`).
    pub hosts: Vec<String>,
    /// false when its Received lines name the client by its HELO alone
    /// (Exchange's `from HELO (IP) by …`): the name is a claim, not an
    /// rDNS lookup.
    #[serde(default = "yes")]
    pub writes_rdns: bool,
    /// Its published networks.
    #[serde(default)]
    pub networks: Vec<Networks>,
    /// Where it writes its verdicts.
    #[serde(default)]
    pub verdicts: Verdicts,
}

impl Profile {
    /// Reads a profile from TOML text; `what` names the file in errors.
    pub fn from_toml(text: &str, what: &str) -> Result<Profile, String> {
        toml::from_str(text).map_err(|e| format!("{what}: {e}"))
    }

    /// Whether `host` is one of its relays' names.
    pub fn matches_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.hosts.iter().any(|p| host_matches(p, host))
    }

    /// Whether `ip` is in its published networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.networks.iter().flat_map(|n| &n.ranges).any(|r| r.contains(&ip))
    }

    /// Whether a header name is one the provider strips from incoming mail.
    pub fn trusts_header(&self, name: &str) -> bool {
        self.verdicts.trusted_headers.iter().any(|p| crate::analyze::labels::glob_match(p, name))
    }
}

fn yes() -> bool {
    true
}

/// `*.example.com` matches any name under example.com (and example.com
/// itself); a pattern with `*` elsewhere is a glob; any other pattern
/// matches the name alone. Case-insensitive.
pub(crate) fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(base) if !base.contains('*') => {
            // Without allocating: this runs for every hop of every message.
            let ends = host.len() > base.len()
                && host.as_bytes()[host.len() - base.len() - 1] == b'.'
                && host.as_bytes()[host.len() - base.len()..].eq_ignore_ascii_case(base.as_bytes());
            ends || host.eq_ignore_ascii_case(base)
        }
        _ if !pattern.contains('*') => host.eq_ignore_ascii_case(pattern),
        _ => crate::analyze::labels::glob_match(pattern, host),
    }
}

/// The built-in profiles, in detection order.
pub fn builtin() -> &'static [Profile] {
    static PROFILES: OnceLock<Vec<Profile>> = OnceLock::new();
    PROFILES.get_or_init(|| {
        BUILTIN
            .iter()
            .map(|(name, text)| {
                let p = Profile::from_toml(text, &format!("receivers/{name}.toml")).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(p.name, *name, "receivers/{name}.toml names itself {}", p.name);
                p
            })
            .collect()
    })
}

/// The built-in profile whose hosts name this host, if any.
pub fn owning_host(host: &str) -> Option<&'static Profile> {
    builtin().iter().find(|p| p.matches_host(host))
}

/// The built-in profile with this name.
pub fn named(name: &str) -> Option<&'static Profile> {
    builtin().iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_embedded_and_reads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("receivers");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.unwrap().file_name().to_str().and_then(|n| n.strip_suffix(".toml")).map(str::to_string))
            .collect();
        files.sort();
        let mut listed: Vec<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
        listed.sort();
        assert_eq!(files, listed, "receivers/*.toml and profile::BUILTIN differ");
        for p in builtin() {
            assert!(!p.hosts.is_empty() && !p.networks.is_empty(), "{}", p.name);
            for n in &p.networks {
                assert!(!n.source.is_empty() && n.transcribed.len() == 10, "{}: a block names its source and date", p.name);
            }
        }
    }

    #[test]
    fn hosts_and_networks() {
        let m = named("microsoft365").unwrap();
        assert!(m.matches_host("DM6NAM04FT062.mail.protection.outlook.com"));
        assert!(m.matches_host("MN0PR19MB6312.namprd19.prod.outlook.com."));
        assert!(!m.matches_host("outlook.com.evil.example"));
        assert!(!m.matches_host("notoutlook.com"));
        assert!(m.matches_host("OUTLOOK.COM") && !m.matches_host("com") && !m.matches_host("é.outlook.cöm"));
        assert!(host_matches("mx*.example.org", "MX2.example.org") && !host_matches("mx.google.com", "mx.google.com.evil"));
        assert!(m.contains("40.107.22.44".parse().unwrap()));
        assert!(m.contains("2603:10b6:8:95::8".parse().unwrap()));
        assert!(!m.contains("89.144.9.1".parse().unwrap()));
        assert!(m.trusts_header("X-MS-Exchange-Organization-SCL"));
        assert!(!m.trusts_header("x-forefront-antispam-report"));
        assert!(named("Google").unwrap().matches_host("mx.google.com"));
    }
}
