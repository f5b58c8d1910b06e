//! What the receiving side vouches for, from the flags that `ingest` and
//! `hops` share and the config file: `--trusted-network`, `--authserv-id`,
//! `--receiver` and `--config`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use ipnet::IpNet;
use mailidx::analyze::receivers::{self, Organisation, ReceiverChoice, Trust};
use serde::Deserialize;

#[derive(Args, Debug, Default)]
pub struct TrustArgs {
    /// A network whose relays you run or trust (repeatable), e.g. 192.0.2.0/24;
    /// the origin is the first hop outside these, private space, authenticated
    /// submission and the receiving provider's networks
    #[arg(long = "trusted-network", value_name = "CIDR")]
    pub trusted_networks: Vec<IpNet>,
    /// An authserv-id (your receiving servers) whose Authentication-Results count
    /// wherever they stand in the header (repeatable)
    #[arg(long = "authserv-id", value_name = "ID")]
    pub authserv_ids: Vec<String>,
    /// The receiving provider: a profile name (microsoft365, google, yahoo, icloud,
    /// fastmail, proton, zoho, gmx, yandex, mimecast, proofpoint, barracuda, cisco),
    /// `none` for no profile at all, or `auto` [default: auto, detected per message]
    #[arg(long, value_name = "NAME|none|auto")]
    pub receiver: Option<String>,
    /// A TOML file describing your organisation (MX hosts, relays, networks) and
    /// defaults for the flags above [default: $MAILIDX_CONFIG, else
    /// ~/.config/mailidx/config.toml when it exists]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The config file. Flags add to its lists and override its receiver.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    receiver: Option<String>,
    #[serde(default)]
    trusted_networks: Vec<IpNet>,
    #[serde(default)]
    authserv_ids: Vec<String>,
    organisation: Option<OrganisationSection>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct OrganisationSection {
    #[serde(default)]
    name: String,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    networks: Vec<IpNet>,
}

impl TrustArgs {
    /// The trust settings and the authserv-ids that count anywhere.
    pub fn resolve(self) -> anyhow::Result<(Trust, Vec<String>)> {
        // $MAILIDX_CONFIG when no --config; an empty variable means none.
        let from_env = std::env::var_os("MAILIDX_CONFIG").filter(|v| !v.is_empty()).map(PathBuf::from);
        let file = match self.config.as_ref().or(from_env.as_ref()) {
            Some(p) => read_config(p)?,
            None => match dirs::config_dir().map(|d| d.join("mailidx").join("config.toml")) {
                Some(p) if p.is_file() => read_config(&p)?,
                _ => ConfigFile::default(),
            },
        };
        let mut networks = file.trusted_networks;
        networks.extend(self.trusted_networks);
        let mut authserv_ids = file.authserv_ids;
        authserv_ids.extend(self.authserv_ids);
        let receiver = match self.receiver.or(file.receiver).as_deref() {
            None | Some("auto") => ReceiverChoice::Detect,
            Some("none") => ReceiverChoice::None,
            Some(name) => match receivers::named(name) {
                Some(p) => ReceiverChoice::Named(p),
                None => {
                    let names: Vec<&str> = receivers::builtin().iter().map(|p| p.name.as_str()).collect();
                    bail!("no receiver profile named {name:?}; the profiles are {}, or none / auto", names.join(", "))
                }
            },
        };
        let organisation = file.organisation.map(|o| Organisation { name: o.name, hosts: o.hosts, networks: o.networks });
        Ok((Trust { networks, organisation, receiver }, authserv_ids))
    }
}

fn read_config(path: &Path) -> anyhow::Result<ConfigFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("the config file {}", path.display()))
}
