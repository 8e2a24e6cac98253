//! Markdown and HTML reduced to the text a reader sees, before a sentence can become evidence:
//! images (`![chart](a.png)`, `<img …>`) are dropped, links keep their text, emphasis and code
//! marks and HTML tags go, entities are decoded. Line structure is kept: each heading, list item
//! or typed line (a bug template's `Device: …`) becomes its own paragraph, so that sentence
//! splitting sees where it ends. Evidence excerpts are verbatim substrings of this reduced text
//! (whitespace aside).

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// `![alt](url)` and `![alt][ref]`.
static MD_IMAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])").expect("image pattern"));
/// `[text](url)` → `text`.
static MD_LINK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[([^\]]*)\]\([^)]*\)").expect("link pattern"));
/// HTML tags that end a line where a browser shows them: `<br>`, `</p>`, `</li>`, `<hr>`.
static HTML_BREAK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<br\s*/?>|<hr\s*/?>|</(?:p|li|div|tr|h[1-6]|ul|ol|blockquote)\s*>").expect("html break pattern")
});
/// `<img …>`, `<br/>`, `</p>`, `<a href=…>`, `<!-- … -->`, `<details>`.
static HTML_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)<!--.*?-->|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>").expect("html tag pattern"));
/// `<https://…>` autolinks.
static AUTOLINK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<(https?://[^>\s]+)>").expect("autolink pattern"));
/// A bare web address: a link to a file or video, not anybody's words.
static BARE_URL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bhttps?://[^\s<>)\]]+").expect("url pattern"));
/// `**bold**`, `__bold__`, `~~struck~~`, `` `code` ``.
static EMPHASIS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\*\*([^*]+)\*\*|__([^_]+)__|~~([^~]+)~~|`([^`]+)`").expect("emphasis pattern"));
/// `*italic*` (not a lone `*` in a sum or a footnote).
static ITALIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|[\s(])\*([^\s*][^*]*[^\s*]|[^\s*])\*").expect("italic pattern"));
/// Markdown block marks at the start of a line of a multi-line text: headings, list items
/// (bulleted, numbered, checklist), code fences, table rules. Each starts a paragraph.
static BLOCK_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+(?:\[[ xX]\][ \t]+)?|\d{1,3}[.)][ \t]+|```[^\n]*$|\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$)")
        .expect("block pattern")
});
/// A quote mark at the start of a line: the quoted lines read as the text around them.
static QUOTE_MARK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?m)^[ \t]*>[ \t]?").expect("quote pattern"));
/// A Markdown heading line: it ends its paragraph as well as starting one.
static HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^[ \t]*#{1,6}[ \t]+(.*)$").expect("heading pattern"));

/// Fewest words on a line that a wrap (not a typed line break) may have cut short.
const MIN_WRAPPED_WORDS: usize = 6;
/// A template's field line: `Device: Pixel 6`, `Steps to reproduce: …`.
static TEMPLATE_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\p{Lu}[\w /()-]{0,30}:\s").expect("field pattern"));

/// A text without its Markdown and HTML markup.
pub(crate) struct Reduced<'a> {
    /// Lines and paragraphs as [`lay_out`] gives them.
    pub text: Cow<'a, str>,
    /// Whether markup (not only whitespace) was removed.
    pub markup_removed: bool,
}

/// The text without Markdown and HTML markup, laid out in paragraphs ([`lay_out`]);
/// `Cow::Borrowed` when that changed nothing.
pub(crate) fn reduce(text: &str) -> Reduced<'_> {
    let stripped = strip_markup(text);
    let markup_removed = match &stripped {
        Cow::Borrowed(_) => false,
        Cow::Owned(s) => !s.split_whitespace().eq(text.split_whitespace()),
    };
    let text = match stripped {
        Cow::Borrowed(original) => lay_out(original),
        Cow::Owned(s) => Cow::Owned(lay_out(&s).into_owned()),
    };
    Reduced { text, markup_removed }
}

fn strip_markup(text: &str) -> Cow<'_, str> {
    if !text.contains(['<', '[', '*', '_', '`', '&', '~', '#', '>', '|', '\n']) && !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    out = MD_IMAGE.replace_all(&out, " ").into_owned();
    out = MD_LINK.replace_all(&out, "$1").into_owned();
    out = AUTOLINK.replace_all(&out, " ").into_owned();
    out = BARE_URL.replace_all(&out, " ").into_owned();
    out = HTML_BREAK.replace_all(&out, "\n\n").into_owned();
    if out.contains('\n') {
        out = QUOTE_MARK.replace_all(&out, "").into_owned();
        out = HEADING.replace_all(&out, "\n$1\n").into_owned();
        out = BLOCK_MARK.replace_all(&out, "\n").into_owned();
    }
    out = HTML_TAG.replace_all(&out, " ").into_owned();
    out = EMPHASIS.replace_all(&out, "$1$2$3$4").into_owned();
    out = ITALIC.replace_all(&out, "$1$2").into_owned();
    if out.contains('&') {
        out = decode_entities(&out);
    }
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

/// The text's lines as paragraphs separated by a blank line, whitespace inside a line collapsed.
/// A line break inside a paragraph is kept as a paragraph break (a typed line, a template's
/// `OS: Android 14`), unless the line only wraps a sentence: the line before is a sentence's
/// worth of words (not a `Key: value` field) ending without punctuation, and this one starts in
/// lower case.
pub(crate) fn lay_out(text: &str) -> Cow<'_, str> {
    if !text.contains(['\n', '\r', '\t', '\u{a0}']) && !text.contains("  ") && text.trim() == text {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    // Whether the previous line ended its paragraph (a blank line followed it).
    let mut after_blank = true;
    // Whether the previous line could be cut short by a wrap: a sentence's worth of words, no field.
    let mut wrappable = false;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            after_blank = true;
            continue;
        }
        if !out.is_empty() {
            let wraps = !after_blank
                && wrappable
                && !out.ends_with(['.', '!', '?', '…', ':', ';', ')', '"', '”'])
                && words[0].starts_with(char::is_lowercase);
            out.push_str(if wraps { " " } else { "\n\n" });
        }
        out.push_str(&words.join(" "));
        wrappable = words.len() >= MIN_WRAPPED_WORDS && !TEMPLATE_FIELD.is_match(line);
        after_blank = false;
    }
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduced(text: &str) -> String {
        reduce(text).text.into_owned()
    }

    #[test]
    fn images_links_tags_and_emphasis_are_reduced() {
        assert_eq!(
            reduced(r#"It breaks on save <img width="400" src="https://x/y.png"> every time."#),
            "It breaks on save every time."
        );
        assert_eq!(
            reduced("See ![screenshot](https://a/b.png) and the [docs](https://d) page."),
            "See and the docs page."
        );
        assert_eq!(
            reduced("I **really** need `export` &amp; *sync*."),
            "I really need export & sync."
        );
        assert!(matches!(reduce("Plain words, 3 * 4 = 12.").text, Cow::Borrowed(_)));
        assert!(!reduce("Plain words, 3 * 4 = 12.").markup_removed);
        assert_eq!(reduced("<img src=a.png>"), "");
        assert_eq!(
            reduced("Video: https://github.com/a/b.mp4 shows it."),
            "Video: shows it."
        );
    }

    #[test]
    fn headings_quotes_and_list_items_become_paragraphs() {
        assert_eq!(
            reduced("### Steps\n> quoted\n- item one"),
            "Steps\n\nquoted\n\nitem one"
        );
        assert_eq!(
            reduced(
                "Suppose that\n* in the dialogue there are 10 choices.\n* Initially, they are empty.\n1. open it\n2) tap"
            ),
            "Suppose that\n\nin the dialogue there are 10 choices.\n\nInitially, they are empty.\n\nopen it\n\ntap"
        );
        assert_eq!(reduced("- [x] done\n- [ ] not yet"), "done\n\nnot yet");
        assert_eq!(
            reduced("Line one<br>Line two</p><p>Three"),
            "Line one\n\nLine two\n\nThree"
        );
    }

    #[test]
    fn typed_lines_stay_apart_and_wrapped_sentences_join() {
        // A bug template without any markup: each field its own paragraph.
        let template = "Device: Pixel 6\r\nOS: Android 14\nKeyboard version: 1.11\n\n\nThe keyboard   crashes.";
        let out = reduce(template);
        assert_eq!(
            out.text,
            "Device: Pixel 6\n\nOS: Android 14\n\nKeyboard version: 1.11\n\nThe keyboard crashes."
        );
        assert!(!out.markup_removed, "only whitespace changed");
        // A sentence wrapped over two lines is one line again.
        assert_eq!(
            reduced("When I hold the emoji key down\nthe app closes.\nIt is annoying."),
            "When I hold the emoji key down the app closes.\n\nIt is annoying."
        );
        // A short typed line or a field is not wrapped text.
        assert_eq!(
            reduced("Keys swap\nwhen typing fast\n- OS: **Android 8.1.0**\nif more info is needed, tell me"),
            "Keys swap\n\nwhen typing fast\n\nOS: Android 8.1.0\n\nif more info is needed, tell me"
        );
        assert_eq!(reduced("Ends here:\nlower case list"), "Ends here:\n\nlower case list");
        assert!(matches!(lay_out("One line."), Cow::Borrowed(_)));
        assert!(matches!(lay_out("One.\n\nTwo."), Cow::Borrowed(_)));
    }

    /// Sentence splitting sees each line of a record once ingest has laid it out.
    #[test]
    fn laid_out_lines_are_separate_sentences() {
        let body =
            "**Describe the bug**\nKeys swap when typing fast\n\n**Device**\n- Device: Pixel 6\n- OS: Android 14";
        let text = reduced(body);
        assert_eq!(
            crate::quality::claim_text::sentences(&text),
            [
                "Describe the bug",
                "Keys swap when typing fast",
                "Device",
                "Device: Pixel 6",
                "OS: Android 14"
            ]
        );
    }
}
