//! Raw bytes to text: UTF-8 with or without a byte-order mark, nothing else.

use super::IngestError;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The file's text without its BOM. Fails on invalid UTF-8 (naming the line of the first bad
/// byte), on UTF-16 (recognised by its BOM) and on a file holding only whitespace.
pub(crate) fn decode<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, IngestError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(IngestError::invalid(
            file,
            Some(1),
            "UTF-16 text is not supported (save the file as UTF-8)",
        ));
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = line_of_offset(bytes, e.valid_up_to());
        IngestError::invalid(file, Some(line), "invalid UTF-8")
    })?;
    if text.trim().is_empty() {
        return Err(IngestError::invalid(file, None, "empty file"));
    }
    Ok(text)
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of_offset(bytes: &[u8], offset: usize) -> u64 {
    let end = offset.min(bytes.len());
    bytes[..end].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_bom_and_keeps_text() {
        assert_eq!(decode("a.txt", b"\xEF\xBB\xBFhello").unwrap(), "hello");
        assert_eq!(decode("a.txt", "héllo".as_bytes()).unwrap(), "héllo");
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let e = decode("a.csv", b"ok\nstill ok\nbad \xFF byte\n").unwrap_err();
        assert_eq!(e.to_string(), "a.csv: line 3: invalid UTF-8");
    }

    #[test]
    fn empty_and_whitespace_only_files_are_rejected() {
        for bytes in [&b""[..], b"  \n\t\r\n", b"\xEF\xBB\xBF \n"] {
            assert_eq!(decode("e.md", bytes).unwrap_err().to_string(), "e.md: empty file");
        }
    }

    #[test]
    fn utf16_is_named() {
        let e = decode("u.txt", b"\xFF\xFEh\x00i\x00").unwrap_err();
        assert!(e.to_string().contains("UTF-16"), "{e}");
    }
}
