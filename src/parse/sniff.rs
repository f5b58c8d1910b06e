//! What an attachment's bytes say they are: magic numbers for the types
//! phishing and malware mail carries (PDF, Office, archives, executables,
//! TNEF, HTML smuggled as an attachment). The MIME walk that finds the
//! attachments is [`crate::parse::mime`]; the declared type is compared
//! with this sniffed one in the `attachments` table.

/// The type the bytes say they are, from their first bytes (magic numbers);
/// None when nothing matches.
pub(crate) fn sniff(b: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| b.starts_with(m);
    Some(if starts(b"%PDF-") {
        "application/pdf"
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if starts(b"\xff\xd8\xff") {
        "image/jpeg"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "image/gif"
    } else if starts(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        "image/webp"
    } else if starts(b"PK\x03\x04") {
        "application/zip"
    } else if starts(b"\x1f\x8b") {
        "application/gzip"
    } else if starts(b"Rar!\x1a\x07") {
        "application/vnd.rar"
    } else if starts(b"7z\xbc\xaf\x27\x1c") {
        "application/x-7z-compressed"
    } else if starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        // OLE2: .doc, .xls, .msg
        "application/x-ole-storage"
    } else if starts(b"MZ") {
        "application/x-msdownload"
    } else if starts(b"\x7fELF") {
        "application/x-executable"
    } else if starts(b"{\\rtf") {
        "application/rtf"
    } else if starts(b"\x78\x9f\x3e\x22") {
        // TNEF (winmail.dat)
        "application/vnd.ms-tnef"
    } else {
        let head = String::from_utf8_lossy(&b[..b.len().min(256)]).to_ascii_lowercase();
        let head = head.trim_start();
        if head.starts_with("<!doctype html") || head.starts_with("<html") {
            "text/html"
        } else if head.starts_with("begin:vcalendar") {
            "text/calendar"
        } else {
            return None;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        assert_eq!(sniff(b"%PDF-1.4"), Some("application/pdf"));
        assert_eq!(sniff(b"PK\x03\x04rest"), Some("application/zip"));
        assert_eq!(sniff(b"  <!DOCTYPE html><p>"), Some("text/html"));
        assert_eq!(sniff(b"hello"), None);
    }
}
