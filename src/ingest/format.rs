//! The input formats, chosen by file extension.

/// A supported input format, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Tsv,
    Json,
    Jsonl,
    Yaml,
    Markdown,
    Text,
    /// WebVTT and SubRip captions (`.vtt`, `.srt`).
    Subtitles,
}

const EXTENSIONS: &[(&str, Format)] = &[
    ("csv", Format::Csv),
    ("tsv", Format::Tsv),
    ("txt", Format::Text),
    ("text", Format::Text),
    ("md", Format::Markdown),
    ("markdown", Format::Markdown),
    ("json", Format::Json),
    ("jsonl", Format::Jsonl),
    ("ndjson", Format::Jsonl),
    ("yaml", Format::Yaml),
    ("yml", Format::Yaml),
    ("vtt", Format::Subtitles),
    ("srt", Format::Subtitles),
];

/// The extensions of [`EXTENSIONS`], in its order.
const SUPPORTED: [&str; EXTENSIONS.len()] = {
    let mut out = [""; EXTENSIONS.len()];
    let mut i = 0;
    while i < EXTENSIONS.len() {
        out[i] = EXTENSIONS[i].0;
        i += 1;
    }
    out
};

/// The file extensions read (lowercase, without the dot; matched case-insensitively).
pub fn supported_extensions() -> &'static [&'static str] {
    &SUPPORTED
}

/// `.csv, .tsv, …` for messages.
pub(crate) fn supported_list() -> String {
    supported_extensions()
        .iter()
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Format {
    /// The format of a file name, from its extension (case-insensitive).
    pub fn from_file_name(name: &str) -> Option<Format> {
        let extension = extension_of(name)?.to_ascii_lowercase();
        EXTENSIONS
            .iter()
            .find(|(candidate, _)| *candidate == extension)
            .map(|&(_, format)| format)
    }

    /// The name recorded in [`SourceFile::format`].
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Yaml => "yaml",
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Subtitles => "subtitles",
        }
    }
}

/// The extension of a file name with a stem (`a.csv` → `csv`; `.csv` → none).
pub(super) fn extension_of(name: &str) -> Option<&str> {
    let (stem, extension) = name.rsplit_once('.')?;
    (!stem.is_empty() && !extension.is_empty()).then_some(extension)
}
