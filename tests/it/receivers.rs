//! The receiving side (issue 17): with no flag given, the origin of
//! phishing_pot (delivered by Microsoft 365) agrees with SpamAssassin 4.0.1
//! told Microsoft 365's networks as trusted and internal networks
//! (../shared/oracle/phishing_pot/received_sa_m365.jsonl.gz), on the
//! messages where that oracle has an untrusted relay. Forged provider hops,
//! provider-to-provider mail, Gmail delivery and a gateway in front of
//! Microsoft 365 on chains written here.

use crate::common;

use mailidx::analyze::receivers::{walk, ReceiverChoice, Trust, Walk};
use mailidx::model::OriginKind;
use mailidx::parse::fields::received::{parse_received, ParsedHop};
use serde_json::Value;

fn chain(headers: &[&str]) -> Vec<ParsedHop> {
    headers.iter().map(|h| parse_received(h, None)).collect()
}

fn walk_of(hops: &[ParsedHop], trust: &Trust) -> Walk {
    let refs: Vec<&ParsedHop> = hops.iter().collect();
    walk(&refs, trust)
}

fn origin_ip(hops: &[ParsedHop], w: &Walk) -> Option<String> {
    w.origin.and_then(|i| hops[i].ip).map(|i| i.to_string())
}

#[test]
fn phishing_pot_origin_agrees_with_spamassassin_told_microsofts_networks() {
    let Some(shared) = common::shared() else { return };
    let (mut n, mut agree, mut receivers) = (0u32, 0u32, std::collections::BTreeMap::<String, u32>::new());
    let mut misses = Vec::new();
    for r in common::oracle(&shared, "phishing_pot", "received_sa_m365") {
        let Some(want) = r["relays_untrusted"].as_array().and_then(|a| a.first()).and_then(|x| x["ip"].as_str()) else { continue };
        let real: Vec<&Value> = r["received"].as_array().unwrap().iter().filter(|h| h["synthetic"] != true).collect();
        let hops: Vec<ParsedHop> = real.iter().map(|h| parse_received(h["raw"].as_str().unwrap_or(""), None)).collect();
        let w = walk_of(&hops, &Trust::default());
        *receivers.entry(w.receiver.map(|p| p.name.clone()).unwrap_or_else(|| "-".into())).or_default() += 1;
        n += 1;
        let got = origin_ip(&hops, &w);
        if got.as_deref().map(str::to_lowercase) == Some(want.to_lowercase()) {
            agree += 1;
        } else if misses.len() < 30 {
            misses.push(format!("{}: want {want} got {got:?} ({:?})", r["relpath"], w.origin_kind));
        }
    }
    let rate = 100.0 * f64::from(agree) / f64::from(n.max(1));
    eprintln!("origin agrees with received_sa_m365 for {agree} of {n} messages ({rate:.2}%); receivers {receivers:?}");
    for m in &misses {
        eprintln!("MISS {m}");
    }
    assert!(n > 900, "the oracle covers phishing_pot");
    assert!(rate >= 97.0, "{rate:.2}%");
}

/// A typical Exchange Online delivery: two internal hops, the edge, the sender.
const M365: &[&str] = &[
    "from DM6PR10MB4123.namprd10.prod.outlook.com (2603:10b6:5:1e8::22) by SA1PR10MB5555.namprd10.prod.outlook.com with HTTPS; Mon, 4 Mar 2024 10:00:03 +0000",
    "from DM6NAM04FT062.eop-NAM04.prod.protection.outlook.com (2603:10b6:5:cafe::5e) by DM6PR10MB4123.namprd10.prod.outlook.com (2603:10b6:5:1e8::22) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7339.36; Mon, 4 Mar 2024 10:00:02 +0000",
    "from nonkfrgr.co.uk (89.144.9.77) by DM6NAM04FT062.mail.protection.outlook.com (10.13.158.221) with Microsoft SMTP Server id 15.20.7362.11 via Frontend Transport; Mon, 4 Mar 2024 10:00:01 +0000",
];

#[test]
fn microsoft_365_edge_is_the_boundary() {
    let hops = chain(M365);
    let w = walk_of(&hops, &Trust::default());
    assert_eq!(w.receiver.map(|p| p.name.as_str()), Some("microsoft365"));
    assert_eq!(origin_ip(&hops, &w).as_deref(), Some("89.144.9.77"));
    assert_eq!(w.origin_kind, OriginKind::Mta);
    assert_eq!(w.trusted, vec![true, true, false]);
    // `--receiver none`: SpamAssassin's plain reading, one of Microsoft's
    // relays (the top hop is an authenticated HTTPS delivery, trusted).
    let plain = walk_of(&hops, &Trust { receiver: ReceiverChoice::None, ..Default::default() });
    assert_eq!(origin_ip(&hops, &plain).as_deref(), Some("2603:10b6:5:cafe::5e"));
}

#[test]
fn forged_provider_hops_below_the_edge_extend_no_trust() {
    // The sender wrote the two lowest lines: a `by *.outlook.com` and a
    // Microsoft address in a from clause. The edge saw 89.144.9.77.
    let mut headers = M365.to_vec();
    headers.push("from BN8PR12MB3333.namprd12.prod.outlook.com (40.107.1.1) by AM0PR01MB1111.eurprd01.prod.outlook.com with Microsoft SMTP Server; Mon, 4 Mar 2024 09:59:00 +0000");
    headers.push("from [10.1.2.3] by BN8PR12MB3333.namprd12.prod.outlook.com with ESMTPSA; Mon, 4 Mar 2024 09:58:00 +0000");
    let hops = chain(&headers);
    let w = walk_of(&hops, &Trust::default());
    assert_eq!(origin_ip(&hops, &w).as_deref(), Some("89.144.9.77"));
    assert_eq!(w.trusted[3..], [false, false]);
    // A chain that only claims Microsoft below a server that is not
    // Microsoft's: no receiver is detected, the origin is the first outsider.
    let hops = chain(&[
        "from relay.attacker.example (198.51.100.9) by mx.example.org (Postfix) with ESMTP id 1; Mon, 4 Mar 2024 10:00:01 +0000",
        "from DM6PR10MB4123.namprd10.prod.outlook.com (40.107.2.2) by DM6NAM04FT062.mail.protection.outlook.com with Microsoft SMTP Server; Mon, 4 Mar 2024 10:00:00 +0000",
    ]);
    let w = walk_of(&hops, &Trust::default());
    assert!(w.receiver.is_none());
    assert_eq!(origin_ip(&hops, &w).as_deref(), Some("198.51.100.9"));
}

#[test]
fn provider_to_provider_origin_is_the_submitting_client() {
    // One Microsoft 365 customer to another: the edge received from
    // Microsoft's outbound (40.107.x), whose own lines below record the
    // client that submitted the message.
    let mut headers = M365[..2].to_vec();
    headers.push("from EUR05-VI1-obe.outbound.protection.outlook.com (40.107.21.90) by DM6NAM04FT062.mail.protection.outlook.com (10.13.158.221) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7362.11 via Frontend Transport; Mon, 4 Mar 2024 10:00:01 +0000");
    headers.push("from AM9PR07MB7777.eurprd07.prod.outlook.com (2603:10a6:20b:2a4::12) by AS8PR07MB8888.eurprd07.prod.outlook.com (2603:10a6:20b:2a5::7) with Microsoft SMTP Server id 15.20.7362.10; Mon, 4 Mar 2024 10:00:00 +0000");
    headers.push("from [192.168.1.20] (unknown [89.144.9.77]) by AM9PR07MB7777.eurprd07.prod.outlook.com with ESMTPSA; Mon, 4 Mar 2024 09:59:59 +0000");
    let hops = chain(&headers);
    let w = walk_of(&hops, &Trust::default());
    assert_eq!(w.receiver.map(|p| p.name.as_str()), Some("microsoft365"));
    assert_eq!(origin_ip(&hops, &w).as_deref(), Some("89.144.9.77"));
    assert_eq!(w.origin_kind, OriginKind::Client);
}

#[test]
fn gmail_delivery() {
    let hops = chain(&[
        "by 2002:a05:7300:5a8e:b0:10b:1ffd:b4e5 with SMTP id n14csp1234567dyc; Tue, 5 Mar 2024 01:02:03 -0800 (PST)",
        "from mail.sender.example (mail.sender.example. [198.51.100.7]) by mx.google.com with ESMTPS id a1-20020a05600c; Tue, 5 Mar 2024 01:02:02 -0800 (PST)",
        "from [10.0.0.5] (helo=pc) by mail.sender.example with ESMTPSA; Tue, 5 Mar 2024 01:02:00 -0800 (PST)",
    ]);
    let w = walk_of(&hops, &Trust::default());
    assert_eq!(w.receiver.map(|p| p.name.as_str()), Some("google"));
    assert_eq!(origin_ip(&hops, &w).as_deref(), Some("198.51.100.7"));
    assert_eq!(w.origin_kind, OriginKind::Mta);
    // Gmail to Gmail: Google's outbound relay is Google's own.
    let hops = chain(&[
        "by 2002:a05:7300:5a8e:b0:10b:1ffd:b4e5 with SMTP id n14csp1234567dyc; Tue, 5 Mar 2024 01:02:03 -0800 (PST)",
        "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id b2; Tue, 5 Mar 2024 01:02:02 -0800 (PST)",
        "by 2002:a17:906:1234:b0:a44:1111:2222 with HTTP; Tue, 5 Mar 2024 01:02:01 -0800 (PST)",
    ]);
    let w = walk_of(&hops, &Trust::default());
    assert_eq!((w.origin, w.origin_kind), (None, OriginKind::None), "Google kept the web client's address to itself");
}

#[test]
fn gateway_in_front_of_microsoft_365() {
    let mut headers = M365[..2].to_vec();
    headers.push("from us-smtp-delivery-1.mimecast.com (205.139.110.61) by DM6NAM04FT062.mail.protection.outlook.com (10.13.158.221) with Microsoft SMTP Server id 15.20.7362.11 via Frontend Transport; Mon, 4 Mar 2024 10:00:01 +0000");
    headers.push("from mail.sender.example (mail.sender.example [198.51.100.7]) by relay.mimecast.com with ESMTP (version=TLSv1.2 cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id us-mta-1-abc; Mon, 4 Mar 2024 10:00:00 +0000");
    let hops = chain(&headers);
    let w = walk_of(&hops, &Trust::default());
    assert_eq!(w.receiver.map(|p| p.name.as_str()), Some("microsoft365"));
    assert_eq!(w.gateway.map(|p| p.name.as_str()), Some("mimecast"));
    assert_eq!(origin_ip(&hops, &w).as_deref(), Some("198.51.100.7"));
}

#[test]
fn named_receiver_and_organisation() {
    use mailidx::analyze::receivers::{named, Organisation};
    // The user's own relay above Microsoft 365 (a hybrid setup): its network
    // comes from the config, and detection looks past its hosts.
    let mut headers = vec!["from mx.corp.example (192.0.2.25) by mail.corp.example with ESMTPS; Mon, 4 Mar 2024 10:00:04 +0000"];
    headers.extend_from_slice(M365);
    let hops = chain(&headers);
    let org = Organisation { name: "corp".into(), hosts: vec!["*.corp.example".into()], networks: vec!["192.0.2.0/24".parse().unwrap()] };
    let w = walk_of(&hops, &Trust { organisation: Some(org), ..Default::default() });
    assert_eq!(w.receiver.map(|p| p.name.as_str()), Some("microsoft365"));
    assert_eq!(origin_ip(&hops, &w).as_deref(), Some("89.144.9.77"));
    // Without it the corporate relay's address is the first outsider.
    let w = walk_of(&hops, &Trust::default());
    assert_eq!(origin_ip(&hops, &w).as_deref(), Some("192.0.2.25"));
    // `--receiver microsoft365` on a chain whose host names say nothing
    // (an export that rewrote them): Microsoft's networks still count.
    let hops = chain(&[
        "from relay-a (40.107.21.90) by mailbox-b with ESMTPS; Mon, 4 Mar 2024 10:00:02 +0000",
        "from nonkfrgr.co.uk (89.144.9.77) by relay-a with ESMTP; Mon, 4 Mar 2024 10:00:01 +0000",
    ]);
    assert_eq!(origin_ip(&hops, &walk_of(&hops, &Trust::default())).as_deref(), Some("40.107.21.90"));
    let w = walk_of(&hops, &Trust { receiver: ReceiverChoice::Named(named("microsoft365").unwrap()), ..Default::default() });
    assert_eq!(origin_ip(&hops, &w).as_deref(), Some("89.144.9.77"));
}

#[test]
fn receiver_flag_and_config_file_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let eml = dir.path().join("m365.eml");
    let received: String = M365.iter().map(|h| format!("Received: {h}\n")).collect();
    std::fs::write(&eml, format!("{received}From: a@nonkfrgr.co.uk\nTo: b@example.org\nSubject: hi\n\nhello\n")).unwrap();
    let hops = |args: &[&str]| {
        let out = common::mailidx(&dir.path().join("db")).arg("hops").arg(&eml).args(args).env_remove("MAILIDX_CONFIG").output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let (code, text) = hops(&[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("receiver microsoft365") && text.contains("origin   89.144.9.77 (the server"), "{text}");
    let (_, text) = hops(&["--receiver", "none"]);
    assert!(text.contains("receiver none detected") && text.contains("origin   2603:10b6:5:cafe::5e"), "{text}");
    let (code, text) = hops(&["--receiver", "hotmale"]);
    assert_eq!(code, Some(2));
    assert!(text.contains("no receiver profile named \"hotmale\"") && text.contains("microsoft365, google"), "{text}");
    // The config file: receiver none, and the organisation's network.
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "receiver = \"none\"\ntrusted_networks = [\"2603:10b6::/32\"]\n[organisation]\nname = \"corp\"\nnetworks = [\"89.144.9.0/24\"]\n").unwrap();
    let (code, text) = hops(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("receiver none detected") && text.contains("origin   none"), "{text}");
    std::fs::write(&config, "recever = \"none\"\n").unwrap();
    let (code, text) = hops(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(text.contains("config.toml") && text.contains("recever"), "a misspelt key is named: {text}");
}

#[test]
fn rented_cloud_space_next_to_microsofts_extends_no_trust() {
    // An Azure virtual machine (2603:1030::, rentable) connects to the
    // edge and writes a MAPI line claiming a client below it.
    let mut headers = M365[..2].to_vec();
    headers.push("from myvm.cloudapp.azure.com (2603:1030:20e:3::23c) by DM6NAM04FT062.mail.protection.outlook.com (10.13.158.221) with Microsoft SMTP Server id 15.20.7362.11 via Frontend Transport; Mon, 4 Mar 2024 10:00:01 +0000");
    headers.push("from legit-bank.com (198.51.100.1) by relay.outlook.com with MAPI; Mon, 4 Mar 2024 10:00:00 +0000");
    let hops = chain(&headers);
    let w = walk_of(&hops, &Trust::default());
    assert_eq!(origin_ip(&hops, &w).as_deref(), Some("2603:1030:20e:3::23c"));
    assert_eq!(w.origin_kind, OriginKind::Mta);
}
