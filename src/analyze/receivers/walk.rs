//! Walking down the Received chain from the top with the receiving side's
//! profile: which relays the receiving side vouches for, where its edge is,
//! and what kind of origin lies below it.
//!
//! 1. **Detection.** From the top hop (written by the final receiver) down,
//!    the first `by` host that matches a profile's host patterns names the
//!    receiver. Detection stops at the first relay that would be the origin
//!    without profiles: a `by` written below that is the sender's word.
//! 2. **The walk.** A relay is trusted when its address is private,
//!    loopback or link-local, in a network the user names
//!    (`--trusted-network`, the config's organisation), in the receiver's
//!    published networks, or in a gateway's (one gateway per chain: a
//!    filter the receiver's MX points to). Below a detected receiver, the
//!    networks of one other mailbox provider count too (Outlook.com mail
//!    delivered by Gmail): that provider wrote the lines below its relay.
//!    A MAPI session or an authenticated submission to the provider's own
//!    relay is where the mail entered the provider: the origin, kind
//!    `client`. Any other authenticated relay is trusted, as SpamAssassin
//!    does. The first relay none of this covers is the origin, kind `mta`.
//!    When the walk ends inside a sending provider that kept its client's
//!    address to itself, the provider's outbound relay is the origin.
//!
//! Trust comes from addresses, never from names: a sender writes any `by
//! *.outlook.com` it likes below the edge, and any HELO, but cannot send
//! from Microsoft's networks without passing through Microsoft, which then
//! wrote the lines below its edge itself.

use ipnet::IpNet;

use super::profile::{self, Kind, Profile};
use crate::analyze::hops::{ip_class, is_relay};
use crate::model::OriginKind;
use crate::parse::fields::received::ParsedHop;

/// Which receiver the walk assumes.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum ReceiverChoice {
    /// Detect it from the top of the chain (the default).
    #[default]
    Detect,
    /// No profile, not even a gateway's: SpamAssassin's plain inference
    /// (`--receiver none`).
    None,
    /// This profile, whatever the chain says (`--receiver NAME`).
    Named(&'static Profile),
}

/// The user's own organisation (the config file's `[organisation]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Organisation {
    /// Its name, for people.
    pub name: String,
    /// Host-name patterns of its MX hosts and relays: hops they wrote are
    /// recognised as the organisation's (names never extend trust).
    pub hosts: Vec<String>,
    /// Its networks: trusted wherever the walk meets them.
    pub networks: Vec<IpNet>,
}

/// What the receiving side vouches for: the ingest flags and config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trust {
    /// Networks trusted wherever they stand (`--trusted-network`).
    pub networks: Vec<IpNet>,
    /// The user's organisation, from the config file.
    pub organisation: Option<Organisation>,
    /// Detect the receiver, or not, or name it.
    pub receiver: ReceiverChoice,
}

/// The walk's result.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// The detected (or named) receiver.
    pub receiver: Option<&'static Profile>,
    /// The gateway the walk passed through, if any.
    pub gateway: Option<&'static Profile>,
    /// Index of the origin hop (header order, 0 = topmost).
    pub origin: Option<usize>,
    /// What kind of host the origin is.
    pub origin_kind: OriginKind,
    /// Per hop: a relay the receiving side vouches for.
    pub trusted: Vec<bool>,
}

/// Walks the chain (header order) with the receiving side's trust.
pub fn walk(hops: &[&ParsedHop], trust: &Trust) -> Walk {
    let receiver = match &trust.receiver {
        ReceiverChoice::Detect => detect(hops, trust),
        ReceiverChoice::None => None,
        ReceiverChoice::Named(p) => Some(*p),
    };
    let profiles = trust.receiver != ReceiverChoice::None;
    let mut w = Walk { receiver, trusted: vec![false; hops.len()], ..Default::default() };
    // Another mailbox provider the mail came from (Outlook.com to Gmail),
    // and the hop where the walk entered it.
    let mut sending: Option<(&'static Profile, usize)> = None;
    for (i, h) in hops.iter().enumerate() {
        let Some(ip) = h.ip.filter(|_| is_relay(h)) else { continue };
        let by_provider = h.by_host.as_deref().is_some_and(|b| {
            receiver.is_some_and(|r| r.matches_host(b)) || sending.is_some_and(|(s, _)| s.matches_host(b))
        });
        // An Outlook or web session handing the message to its mailbox
        // server: the provider's record of the submitting client, whatever
        // address (often a link-local one) it gives.
        if by_provider && h.protocol.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("mapi")) {
            w.origin = Some(i);
            w.origin_kind = OriginKind::Client;
            break;
        }
        let known = |p: Option<&'static Profile>| p.is_some_and(|p| p.contains(ip));
        if plainly_trusted(ip, trust) || known(receiver) || known(w.gateway) || known(sending.map(|s| s.0)) {
            w.trusted[i] = true;
            continue;
        }
        if profiles && w.gateway.is_none() {
            if let Some(g) = profile::builtin().iter().find(|p| p.kind == Kind::Gateway && p.contains(ip)) {
                w.gateway = Some(g);
                w.trusted[i] = true;
                continue;
            }
        }
        if receiver.is_some() && sending.is_none() {
            if let Some(p) = profile::builtin().iter().find(|p| p.kind == Kind::Mailbox && p.contains(ip)) {
                sending = Some((p, i));
                w.trusted[i] = true;
                continue;
            }
        }
        let submission = h.authenticated && !h.protocol.as_deref().is_some_and(|p| p.to_ascii_uppercase().starts_with("HTTP"));
        if submission && by_provider {
            w.origin = Some(i);
            w.origin_kind = OriginKind::Client;
            break;
        }
        if h.authenticated {
            w.trusted[i] = true;
            continue;
        }
        w.origin = Some(i);
        w.origin_kind = OriginKind::Mta;
        break;
    }
    // The sending provider kept its client to itself (Gmail's web
    // interface writes no address): its outbound relay is the origin.
    if let (None, Some((_, entered))) = (w.origin, sending) {
        w.origin = Some(entered);
        w.origin_kind = OriginKind::Mta;
        w.trusted[entered..].iter_mut().for_each(|t| *t = false);
    }
    w
}

/// Trusted without any profile: private, loopback and link-local
/// addresses, and the networks the user names.
fn plainly_trusted(ip: std::net::IpAddr, trust: &Trust) -> bool {
    matches!(ip_class(&ip), "private" | "loopback" | "link-local")
        || trust.networks.iter().any(|n| n.contains(&ip))
        || trust.organisation.as_ref().is_some_and(|o| o.networks.iter().any(|n| n.contains(&ip)))
}

/// The first profile whose hosts wrote a hop, from the top down to the
/// first relay that no plain rule trusts (that hop's own `by` included: the
/// receiving side wrote it).
fn detect(hops: &[&ParsedHop], trust: &Trust) -> Option<&'static Profile> {
    for h in hops {
        if let Some(by) = h.by_host.as_deref() {
            let own = trust.organisation.as_ref().is_some_and(|o| o.hosts.iter().any(|p| profile::host_matches(p, by)));
            if !own {
                if let Some(p) = profile::builtin().iter().find(|p| p.matches_host(by)) {
                    return Some(p);
                }
            }
        }
        if let Some(ip) = h.ip.filter(|_| is_relay(h)) {
            if !plainly_trusted(ip, trust) && !h.authenticated {
                return None;
            }
        }
    }
    None
}

