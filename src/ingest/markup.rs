//! Markdown and HTML reduced to the text a reader sees, before a sentence can become evidence:
//! images (`![chart](a.png)`, `<img …>`) are dropped, links keep their text, emphasis and code
//! marks and HTML tags go, entities are decoded. Evidence excerpts are verbatim substrings of
//! this reduced text (whitespace aside).

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// `![alt](url)` and `![alt][ref]`.
static MD_IMAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])").expect("image pattern"));
/// `[text](url)` → `text`.
static MD_LINK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[([^\]]*)\]\([^)]*\)").expect("link pattern"));
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
/// Markdown block marks at the start of a line of a multi-line text: headings, quotes, lists,
/// code fences, table rules.
static BLOCK_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+\[[ xX]\][ \t]+|```[^\n]*$|\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$)")
        .expect("block pattern")
});

/// The text without Markdown and HTML markup, whitespace collapsed; `Cow::Borrowed` when there
/// was none.
pub(crate) fn reduce(text: &str) -> Cow<'_, str> {
    if !text.contains(['<', '[', '*', '_', '`', '&', '~', '#', '>', '|']) && !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    out = MD_IMAGE.replace_all(&out, " ").into_owned();
    out = MD_LINK.replace_all(&out, "$1").into_owned();
    out = AUTOLINK.replace_all(&out, " ").into_owned();
    out = BARE_URL.replace_all(&out, " ").into_owned();
    if out.contains('\n') {
        out = BLOCK_MARK.replace_all(&out, "").into_owned();
    }
    out = HTML_TAG.replace_all(&out, " ").into_owned();
    out = EMPHASIS.replace_all(&out, "$1$2$3$4").into_owned();
    out = ITALIC.replace_all(&out, "$1$2").into_owned();
    if out.contains('&') {
        out = decode_entities(&out);
    }
    let collapsed = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let original = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed == original {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(collapsed)
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

    #[test]
    fn images_links_tags_and_emphasis_are_reduced() {
        assert_eq!(
            reduce(r#"It breaks on save <img width="400" src="https://x/y.png"> every time."#),
            "It breaks on save every time."
        );
        assert_eq!(
            reduce("See ![screenshot](https://a/b.png) and the [docs](https://d) page."),
            "See and the docs page."
        );
        assert_eq!(
            reduce("I **really** need `export` &amp; *sync*."),
            "I really need export & sync."
        );
        assert_eq!(reduce("### Steps\n> quoted\n- item one"), "Steps quoted - item one");
        assert!(matches!(reduce("Plain words, 3 * 4 = 12."), Cow::Borrowed(_)));
        assert_eq!(reduce("<img src=a.png>"), "");
        assert_eq!(
            reduce("Video: https://github.com/a/b.mp4 shows it."),
            "Video: shows it."
        );
    }
}
