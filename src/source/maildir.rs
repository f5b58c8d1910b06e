//! Maildir file names: the unique part and the flags after `:2,`
//! (<https://cr.yp.to/proto/maildir.html>; `;2,` and `!2,` are the separators
//! some Windows-hosted stores use instead of `:`).

/// Splits a Maildir file name into its unique part and its flags.
/// `1700000000.123.host:2,RS` → (`1700000000.123.host`, `RS`).
pub(crate) fn split_name(name: &str) -> (&str, &str) {
    for sep in [":2,", ";2,", "!2,"] {
        if let Some(i) = name.rfind(sep) {
            return (&name[..i], &name[i + sep.len()..]);
        }
    }
    (name, "")
}

/// True when `dir` is a mail folder: it holds `cur/` or `new/`.
pub(crate) fn is_mail_folder(dir: &std::path::Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_flags() {
        assert_eq!(split_name("1.2.host:2,RS"), ("1.2.host", "RS"));
        assert_eq!(split_name("1.2.host:2,"), ("1.2.host", ""));
        assert_eq!(split_name("1.2.host"), ("1.2.host", ""));
        assert_eq!(split_name("1.2.host!2,S"), ("1.2.host", "S"));
    }
}
