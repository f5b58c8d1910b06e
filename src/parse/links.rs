//! Links: where the body really points. Every link in the text and HTML
//! parts becomes a row of `urls`: from HTML, the attributes that load or
//! lead somewhere (`a`/`area`/`link`/`base` href, `img`/`iframe`/`frame`/
//! `embed`/`script`/`input` src, `form` action, `background`), through a
//! spec-compliant tokenizer (html5gum: entities decoded as a browser
//! does); from plain text and from the visible text of HTML, `scheme://…`
//! and `www.…` words. Relative links in HTML are resolved against a
//! `<base href>`.
//!
//! Each link is read with the `url` crate (WHATWG parsing: IDN hosts to
//! punycode) for its scheme, host and registrable domain (Public Suffix
//! List), and judged: a domain in the anchor text that is not the link's
//! (`anchor_mismatch`), an IP-literal host, an IDN host, a URL carried in
//! its query (`redirect_target`), a known shortener.
//!
//! A message's links are bounded ([`MAX_LINKS`], [`MAX_URL`]): the rest are
//! counted in a warning.

use std::collections::HashSet;

use html5gum::{Token, Tokenizer};

use crate::model::UrlRecord;

/// Links kept per message.
pub(crate) const MAX_LINKS: usize = 2_000;
/// Longest link kept, in bytes.
pub(crate) const MAX_URL: usize = 8 * 1024;
/// Longest anchor text kept, in bytes.
const MAX_ANCHOR: usize = 1024;

/// Hosts of URL shorteners (the link hides where it goes).
const SHORTENERS: &[&str] = &[
    "bit.ly", "bitly.com", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly", "cutt.ly", "shorturl.at", "tiny.cc",
    "bit.do", "rb.gy", "t.ly", "s.id", "lnkd.in", "db.tt", "qr.ae", "adf.ly", "bl.ink", "soo.gd", "x.co", "mcaf.ee", "su.pr", "v.gd",
    "tr.im", "cli.gs", "short.io", "shorte.st", "trib.al", "1url.com", "u.to", "clck.ru", "urlz.fr", "gg.gg", "hyperurl.co", "shorturl.com",
    "tinyurl.ru", "y2u.be", "youtu.be", "amzn.to", "fb.me", "aka.ms", "linktr.ee", "lihi.cc", "surl.li", "shorter.me",
];

/// Query parameters that carry a destination.
const REDIRECT_PARAMS: &[&str] = &["url", "u", "q", "target", "dest", "destination", "redirect", "redirect_uri", "redirect_url", "returnurl", "return", "return_url", "next", "goto", "link", "r", "to", "out", "continue"];

/// Collects the links of one message's parts.
#[derive(Debug, Default)]
pub(crate) struct Links {
    pub rows: Vec<UrlRecord>,
    seen: HashSet<(String, String, String)>,
    dropped: usize,
    cut: usize,
    key: String,
}

impl Links {
    pub(crate) fn new(key: &str) -> Self {
        Links { key: key.to_string(), ..Default::default() }
    }

    /// What was left out, as warnings.
    pub(crate) fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.dropped > 0 {
            w.push(format!("{} links beyond the first {MAX_LINKS} not kept", self.dropped));
        }
        if self.cut > 0 {
            w.push(format!("{} links longer than {MAX_URL} bytes kept cut (host and domain from the whole link)", self.cut));
        }
        w
    }

    fn push(&mut self, part: &str, nested: bool, url: &str, source: &str, anchor: Option<&str>) {
        let url = url.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        let url: String = url.chars().filter(|c| *c != '\n' && *c != '\r' && *c != '\t').collect();
        if url.is_empty() || url.starts_with('#') {
            return;
        }
        if self.rows.len() >= MAX_LINKS {
            self.dropped += 1;
            return;
        }
        if !self.seen.insert((part.to_string(), url.clone(), source.to_string())) {
            return;
        }
        // A padded link keeps its row (host and domain read from all of
        // it), its text cut: padding must not hide where it goes.
        let long = url.len() > MAX_URL;
        let mut row = judge(&self.key, part, nested, url, source, anchor);
        if long {
            let mut cut = MAX_URL;
            while !row.url.is_char_boundary(cut) {
                cut -= 1;
            }
            row.url.truncate(cut);
            self.cut += 1;
        }
        self.rows.push(row);
    }

    /// The links of an HTML part, and those written in its visible text.
    pub(crate) fn html(&mut self, part: &str, nested: bool, html: &str) {
        let mut base: Option<url::Url> = None;
        // The <a> whose text is being read: (href, text).
        let mut anchor: Option<(Option<String>, String)> = None;
        let mut hidden = 0usize; // inside <script> or <style>
        let mut visible = String::new();
        for token in Tokenizer::new(html).flatten() {
            match token {
                Token::StartTag(tag) => {
                    let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                    if name == "script" || name == "style" {
                        hidden += usize::from(!tag.self_closing);
                    }
                    let attr = |a: &str| tag.attributes.get(a.as_bytes()).map(|v| String::from_utf8_lossy(&v.value).into_owned());
                    let resolve = |v: String| resolve(base.as_ref(), v);
                    let mut new_base = None;
                    match name.as_str() {
                        "base" => {
                            if let Some(h) = attr("href") {
                                self.push(part, nested, &h, "base", None);
                                new_base = url::Url::parse(h.trim()).ok();
                            }
                        }
                        "a" => {
                            if let Some((href, text)) = anchor.take() {
                                if let Some(h) = href {
                                    self.push(part, nested, &h, "a", Some(&text));
                                }
                            }
                            anchor = Some((attr("href").map(resolve), String::new()));
                        }
                        "area" | "link" => {
                            if let Some(h) = attr("href") {
                                self.push(part, nested, &resolve(h), &name, None);
                            }
                        }
                        "img" | "iframe" | "frame" | "embed" | "script" | "input" | "source" | "video" | "audio" => {
                            if let Some(h) = attr("src") {
                                let source = if name == "frame" { "iframe" } else { name.as_str() };
                                self.push(part, nested, &resolve(h), source, None);
                            }
                        }
                        "form" => {
                            if let Some(h) = attr("action") {
                                self.push(part, nested, &resolve(h), "form", None);
                            }
                        }
                        _ => {}
                    }
                    if let Some(h) = attr("background") {
                        self.push(part, nested, &resolve(h), &name, None);
                    }
                    if new_base.is_some() {
                        base = new_base;
                    }
                }
                Token::EndTag(tag) => {
                    let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                    if (name == "script" || name == "style") && hidden > 0 {
                        hidden -= 1;
                    }
                    if name == "a" {
                        if let Some((Some(h), text)) = anchor.take() {
                            self.push(part, nested, &h, "a", Some(&text));
                        }
                    }
                }
                Token::String(s) if hidden == 0 => {
                    let text = String::from_utf8_lossy(&s.value);
                    if let Some((_, t)) = anchor.as_mut() {
                        // A link's own text is its anchor_text, not
                        // another link: `<a href=evil>paypal.com</a>` does
                        // not link to paypal.com.
                        if t.len() < MAX_ANCHOR {
                            t.push_str(&text);
                        }
                        continue;
                    }
                    if visible.len() < 1 << 20 {
                        visible.push_str(&text);
                        visible.push(' ');
                    }
                }
                _ => {}
            }
        }
        if let Some((Some(h), text)) = anchor.take() {
            self.push(part, nested, &h, "a", Some(&text));
        }
        self.text(part, nested, &visible);
    }

    /// `scheme://…` and `www.…` links written in text.
    pub(crate) fn text(&mut self, part: &str, nested: bool, text: &str) {
        for start in link_starts(text) {
            if self.rows.len() >= MAX_LINKS {
                self.dropped += 1;
                return;
            }
            let rest = &text[start..];
            // A word boundary before it (not inside another word or URL).
            let boundary = text[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric() && c != '/' && c != '.' && c != '@' && c != '-');
            if !boundary {
                continue;
            }
            let end = rest.find(|c: char| c.is_whitespace() || "<>\"'`{}|\\^[]".contains(c) || c.is_control()).unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '*']);
            if url.len() > 7 && url.contains('.') {
                self.push(part, nested, url, "text", None);
            }
        }
    }
}

/// Where a `http://`, `https://`, `ftp://` or `www.` link (any case) may
/// start in `text`, in order. Found from the `://` and `.` that every one
/// holds, with memchr's vector searches: testing every h, f and w of a
/// body was 3.8% of an ingest's instructions (callgrind), and a search for
/// a set of chars decodes every char.
fn link_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    let b = text.as_bytes();
    let at = move |i: usize, p: &[u8]| b.get(i..i + p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p));
    let schemes = memchr::memmem::find_iter(b, b"://")
        .filter_map(move |i| [&b"http"[..], b"https", b"ftp"].into_iter().find_map(|s| i.checked_sub(s.len()).filter(|&j| at(j, s))));
    let www = memchr::memchr_iter(b'.', b).filter_map(move |i| i.checked_sub(3).filter(|&j| at(j, b"www")));
    let (mut a, mut w) = (schemes.peekable(), www.peekable());
    std::iter::from_fn(move || match (a.peek(), w.peek()) {
        (Some(x), Some(y)) if x > y => w.next(),
        (Some(_), _) => a.next(),
        (None, _) => w.next(),
    })
}

/// A relative link made absolute against the `<base href>`, if any.
fn resolve(base: Option<&url::Url>, v: String) -> String {
    match base {
        Some(b) if url::Url::parse(v.trim()).is_err() => b.join(v.trim()).map(|u| u.to_string()).unwrap_or(v),
        _ => v,
    }
}

/// A link's parts and what they say.
fn judge(key: &str, part: &str, nested: bool, url: String, source: &str, anchor: Option<&str>) -> UrlRecord {
    let parsed = url::Url::parse(&url).ok().or_else(|| {
        url.get(..4).filter(|p| p.eq_ignore_ascii_case("www.")).and_then(|_| url::Url::parse(&format!("http://{url}")).ok())
    });
    let scheme = parsed.as_ref().map(|u| u.scheme().to_string());
    let host = parsed.as_ref().and_then(|u| u.host_str()).map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase());
    let host_is_ip = parsed.as_ref().is_some_and(|u| matches!(u.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_))));
    let registrable_domain = host.as_deref().filter(|_| !host_is_ip).and_then(|h| psl::domain_str(h)).map(str::to_string);
    let idn = host.as_deref().is_some_and(|h| h.split('.').any(|l| l.starts_with("xn--")));
    let host_unicode = host.as_deref().filter(|_| idn).map(|h| idna::domain_to_unicode(h).0);
    let anchor_text = anchor.map(|a| a.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|a| !a.is_empty());
    let anchor_domain = anchor_text.as_deref().and_then(domain_in);
    let anchor_mismatch = match (&anchor_domain, &registrable_domain) {
        // Compared in ASCII: `www.bücher.de` is `www.xn--bcher-kva.de`.
        (Some(a), Some(h)) => {
            let ascii = idna::domain_to_ascii(a).unwrap_or_else(|_| a.clone());
            psl::domain_str(&ascii).is_some_and(|ad| ad != h)
        }
        (Some(_), None) => host.is_some(),
        _ => false,
    };
    UrlRecord {
        msg_key: key.to_string(),
        part_path: part.to_string(),
        in_nested_message: nested,
        redirect_target: parsed.as_ref().and_then(redirect_target),
        shortener: registrable_domain.as_deref().is_some_and(|d| SHORTENERS.contains(&d)) || host.as_deref().is_some_and(|h| SHORTENERS.contains(&h)),
        punycode: host.clone().filter(|_| idn),
        url,
        scheme,
        host,
        registrable_domain,
        source: source.to_string(),
        anchor_text,
        anchor_domain,
        anchor_mismatch,
        host_is_ip,
        host_unicode,
    }
}

/// The first domain-looking word of an anchor text (`www.paypal.com`,
/// `https://paypal.com/login`, `PayPal.com`): a name with a dot whose
/// suffix the Public Suffix List knows.
fn domain_in(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || "<>()[]\"',;|".contains(c)).find_map(|w| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        let w = w.split_once("://").map_or(w, |(_, r)| r);
        let host = w.split(['/', '?', '#', ':']).next()?.trim_end_matches('.').to_lowercase();
        let host = host.rsplit_once('@').map_or(host.as_str(), |(_, h)| h).to_string();
        if !host.contains('.') || host.starts_with('.') || host.chars().any(|c| !(c.is_alphanumeric() || c == '.' || c == '-')) {
            return None;
        }
        let suffix = psl::suffix_str(&host)?;
        // A known suffix, and something before it.
        (psl::suffix(host.as_bytes()).is_some_and(|s| s.is_known()) && host.len() > suffix.len() + 1).then_some(host)
    })
}

/// A URL carried in the query of another (`…?returnurl=https://…`,
/// Google's `url?q=…`), percent-decoded.
fn redirect_target(u: &url::Url) -> Option<String> {
    u.query_pairs().find_map(|(k, v)| {
        let v = v.trim();
        let lv = v.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
        let is_url = lv.starts_with("http://") || lv.starts_with("https://");
        (is_url && (REDIRECT_PARAMS.contains(&k.to_ascii_lowercase().as_str()) || url::Url::parse(v).is_ok())).then(|| v.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(h: &str) -> Vec<UrlRecord> {
        let mut l = Links::new("k");
        l.html("1", false, h);
        l.rows
    }

    #[test]
    fn html_links_and_signs() {
        let rows = html(concat!(
            "<html><head><base href=\"https://example.org/dir/\"><style>a{background:url(http://style.example/x)}</style></head><body>",
            "<a href=\"http://evil.example.net/login?returnurl=https%3A%2F%2Fpaypal.com%2F\">www.PayPal.com</a>",
            "<a href='rel/page.html'>here &amp; there</a>",
            "<img src=\"http://192.0.2.7/pixel.gif\"><form action=\"https://xn--pypal-4ve.com/post\"></form>",
            "<a href=\"https://bit.ly/abc\">bit.ly/abc</a>",
            "<p>Visit www.example.com/offer. Or http://text.example/path, today</p></body></html>"
        ));
        let by = |u: &str| rows.iter().find(|r| r.url == u).unwrap_or_else(|| panic!("{u} not in {:#?}", rows.iter().map(|r| &r.url).collect::<Vec<_>>()));
        let evil = by("http://evil.example.net/login?returnurl=https%3A%2F%2Fpaypal.com%2F");
        assert_eq!((evil.source.as_str(), evil.anchor_domain.as_deref(), evil.anchor_mismatch), ("a", Some("www.paypal.com"), true));
        assert_eq!(evil.redirect_target.as_deref(), Some("https://paypal.com/"));
        assert_eq!(evil.registrable_domain.as_deref(), Some("example.net"));
        let rel = by("https://example.org/dir/rel/page.html");
        assert_eq!(rel.anchor_text.as_deref(), Some("here & there"));
        assert!(!rel.anchor_mismatch);
        let ip = by("http://192.0.2.7/pixel.gif");
        assert!(ip.host_is_ip && ip.source == "img" && ip.registrable_domain.is_none());
        let idn = by("https://xn--pypal-4ve.com/post");
        assert_eq!((idn.source.as_str(), idn.host_unicode.as_deref(), idn.punycode.as_deref()), ("form", Some("pаypal.com"), Some("xn--pypal-4ve.com")));
        let short = by("https://bit.ly/abc");
        assert!(short.shortener && !short.anchor_mismatch);
        assert_eq!(by("www.example.com/offer").source, "text");
        assert_eq!(by("http://text.example/path").scheme.as_deref(), Some("http"));
        assert!(rows.iter().all(|r| !r.url.contains("style.example")), "not from <style>");
    }

    #[test]
    fn idn_anchors_padding_and_anchor_text() {
        let rows = html("<a href=\"https://www.bücher.de/\">www.bücher.de</a><a href=\"http://xn--pypal-4ve.com/\">pаypal.com</a>");
        assert!(rows.iter().all(|r| !r.anchor_mismatch), "{rows:#?}");
        let rows = html("<a href=\"http://evil-login.example.net/p\">https://www.paypal.com/signin</a>");
        assert_eq!(rows.len(), 1, "the anchor text is not a link of its own: {rows:#?}");
        let mut l = Links::new("k");
        l.html("1", false, &format!("<a href=\"http://long.example.com/{}\">x</a>", "a".repeat(200_000)));
        assert_eq!((l.rows.len(), l.rows[0].registrable_domain.as_deref(), l.rows[0].url.len()), (1, Some("example.com"), MAX_URL));
        assert!(l.warnings()[0].contains("kept cut"));
    }

    #[test]
    fn link_starts_are_every_scheme_and_www() {
        let naive = |t: &str| -> Vec<usize> {
            (0..t.len())
                .filter(|&i| ["http://", "https://", "ftp://", "www."].iter().any(|p| t.as_bytes()[i..].len() >= p.len() && t.as_bytes()[i..i + p.len()].eq_ignore_ascii_case(p.as_bytes())))
                .collect()
        };
        for t in [
            "see http://a.example and HTTPS://B.example, ftp://c/ or wWw.d.example.",
            "wwww.x www.www.y xwww.z ://http:// https:// tp:// ww. .www. FtP://é www",
            "ééwww.ü:// hhttp://x http://http://y www.",
            "",
        ] {
            assert_eq!(link_starts(t).collect::<Vec<_>>(), naive(t), "{t}");
        }
    }

    #[test]
    fn bounded() {
        let many: String = (0..5000).map(|i| format!("<a href=\"http://h{i}.example/\">x</a>")).collect();
        let mut l = Links::new("k");
        l.html("1", false, &many);
        assert_eq!(l.rows.len(), MAX_LINKS);
        assert!(l.warnings()[0].contains("links beyond the first"));
        let mut l = Links::new("k");
        l.text("1", false, &format!("see http://a.example/{}", "x".repeat(2 << 20)));
        assert!(l.rows.len() == 1 && l.rows[0].url.len() == MAX_URL && !l.warnings().is_empty());
    }
}
