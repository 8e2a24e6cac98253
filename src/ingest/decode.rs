//! Raw bytes to text: UTF-8 with or without a byte-order mark, UTF-16 with a byte-order mark,
//! and, where the caller allows it (CSV and TSV, as saved by spreadsheet programs), Windows-1252
//! for text that is not valid UTF-8.

use super::error::IngestError;
use std::borrow::Cow;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A file's text and, when it was not UTF-8, a note for the run's metadata.
#[derive(Debug)]
pub(crate) struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub warning: Option<String>,
}

/// The file's text without its BOM. UTF-16 (recognised by its BOM) is decoded. Text that is
/// not valid UTF-8 is decoded as Windows-1252 when `legacy_fallback` is set (with a warning),
/// and otherwise fails, naming the line of the first bad byte. A file holding only whitespace,
/// or binary data (NUL bytes outside UTF-16), fails too.
pub(crate) fn decode<'a>(file: &str, bytes: &'a [u8], legacy_fallback: bool) -> Result<Decoded<'a>, IngestError> {
    let decoded = if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(file, rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(file, rest, u16::from_be_bytes)?
    } else {
        let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        match std::str::from_utf8(bytes) {
            Ok(text) => Decoded {
                text: Cow::Borrowed(text),
                warning: None,
            },
            Err(e) => {
                let line = line_of_offset(bytes, e.valid_up_to());
                if !legacy_fallback || bytes.contains(&0) {
                    return Err(IngestError::invalid(
                        file,
                        Some(line),
                        "invalid UTF-8 (save the file as UTF-8)",
                    ));
                }
                Decoded {
                    text: Cow::Owned(bytes.iter().map(|&b| windows_1252(b)).collect()),
                    warning: Some(format!(
                        "decoded as Windows-1252 (not valid UTF-8: first at line {line})"
                    )),
                }
            }
        }
    };
    if decoded.text.trim().is_empty() {
        return Err(IngestError::invalid(file, None, "empty file"));
    }
    Ok(decoded)
}

/// UTF-16 code units (after the BOM) to text; an odd length or an unpaired surrogate fails,
/// naming its line.
fn utf16<'a>(file: &str, bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<Decoded<'a>, IngestError> {
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => text.push(c),
            Err(_) => {
                let line = text.matches('\n').count() as u64 + 1;
                return Err(IngestError::invalid(
                    file,
                    Some(line),
                    "invalid UTF-16 (save the file as UTF-8)",
                ));
            }
        }
    }
    if !bytes.len().is_multiple_of(2) {
        let line = text.matches('\n').count() as u64 + 1;
        return Err(IngestError::invalid(
            file,
            Some(line),
            "invalid UTF-16: odd number of bytes (save the file as UTF-8)",
        ));
    }
    Ok(Decoded {
        text: Cow::Owned(text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text)),
        warning: None,
    })
}

/// Windows-1252 (as the WHATWG Encoding Standard defines it: the five unassigned bytes map to
/// the C1 controls of the same value, so every byte is one character and lines are kept).
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of_offset(bytes: &[u8], offset: usize) -> u64 {
    let end = offset.min(bytes.len());
    bytes[..end].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(file: &str, bytes: &[u8], fallback: bool) -> (String, Option<String>) {
        let d = decode(file, bytes, fallback).unwrap();
        (d.text.into_owned(), d.warning)
    }

    #[test]
    fn strips_bom_and_keeps_text() {
        assert_eq!(text("a.txt", b"\xEF\xBB\xBFhello", false), ("hello".into(), None));
        assert_eq!(text("a.txt", "héllo".as_bytes(), true), ("héllo".into(), None));
        assert!(matches!(decode("a.txt", b"hi", false).unwrap().text, Cow::Borrowed(_)));
    }

    #[test]
    fn invalid_utf8_names_the_line_and_asks_for_utf8() {
        let e = decode("a.md", b"ok\nstill ok\nbad \xFF byte\n", false).unwrap_err();
        assert_eq!(e.to_string(), "a.md: line 3: invalid UTF-8 (save the file as UTF-8)");
        // Binary data is not mistaken for Windows-1252 text.
        let e = decode("a.csv", b"PK\x03\x04\x00\xFF\x00", true).unwrap_err();
        assert!(e.to_string().ends_with("invalid UTF-8 (save the file as UTF-8)"), "{e}");
    }

    #[test]
    fn windows_1252_fallback_decodes_every_byte_and_says_so() {
        let (decoded, warning) = text("a.csv", b"id,quote\nP1,caf\xE9 \x93ok\x94 \x80 5\n", true);
        assert_eq!(decoded, "id,quote\nP1,café “ok” € 5\n");
        assert_eq!(
            warning.as_deref(),
            Some("decoded as Windows-1252 (not valid UTF-8: first at line 2)")
        );
        assert_eq!(windows_1252(0x81), '\u{81}');
        assert_eq!(windows_1252(0x9F), 'Ÿ');
        assert_eq!(windows_1252(0xFF), 'ÿ');
    }

    #[test]
    fn empty_and_whitespace_only_files_are_rejected() {
        for bytes in [&b""[..], b"  \n\t\r\n", b"\xEF\xBB\xBF \n", b"\xFF\xFE \x00\n\x00"] {
            assert_eq!(decode("e.md", bytes, true).unwrap_err().to_string(), "e.md: empty file");
        }
    }

    #[test]
    fn utf16_with_a_bom_is_decoded() {
        let le: Vec<u8> = b"\xFF\xFE"
            .iter()
            .copied()
            .chain("id\tquote\r\nP1\tcafé ☕\r\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = b"\xFE\xFF"
            .iter()
            .copied()
            .chain("id\tquote\nP1\tcafé ☕\n".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(text("u.txt", &le, false), ("id\tquote\r\nP1\tcafé ☕\r\n".into(), None));
        assert_eq!(text("u.csv", &be, false), ("id\tquote\nP1\tcafé ☕\n".into(), None));
        let e = decode("u.txt", b"\xFF\xFEh\x00\n\x00\x00\xD8i\x00", false).unwrap_err();
        assert_eq!(e.to_string(), "u.txt: line 2: invalid UTF-16 (save the file as UTF-8)");
        let e = decode("u.txt", b"\xFF\xFEh\x00i", false).unwrap_err();
        assert!(e.to_string().contains("odd number of bytes"), "{e}");
    }
}
