//! Parse: raw bytes → [`ParsedMessage`], with mail-parser 0.11 doing the
//! decoding (MIME, Base64, quoted-printable, RFC 2047 words, RFC 2231
//! parameters, legacy charsets through encoding_rs). This module picks the
//! fields out and normalises them ([`message`], [`mime`]), reads header
//! grammars mail-parser lacks into typed values ([`fields`]) and collects
//! the trace headers ([`trace`]); judging them is left to the analyze
//! module.
//!
//! A message mail-parser cannot make sense of still becomes a record, with
//! `parse_ok = false` and a warning saying why: malformed mail is data.

pub(crate) mod charset;
pub mod dmarc;
pub mod fields;
pub(crate) mod headers;
mod key;
pub(crate) mod links;
mod message;
pub mod mime;
pub(crate) mod recover;
pub(crate) mod rfc2047;
pub(crate) mod sniff;
mod parser;
pub(crate) mod provider;
mod trace;

pub(crate) use key::msg_key;
pub(crate) use message::domain_of;
pub(crate) use trace::{AuthHeaderKind, TraceHeaders};
#[cfg(test)]
pub(crate) use trace::AuthHeader;
pub use parser::{Limits, ParsedMessage, mime_parts, parse_message};
pub(crate) use parser::{MAX_BODY_HASHES, cut_to, header_end, header_section_problem, mime_type, parse_message_with};

/// Bytes as text, anything not UTF-8 replaced: `String::from_utf8_lossy`,
/// with the standard library's faster validation tried first (most header
/// bytes are valid, and most of them ASCII).
pub(crate) fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}
