//! Markup shared by several fragments: persona cards with their evidence, the quality chart,
//! status badges, times and pagers. Presentation only: every value shown comes from the views
//! that [`super::backend`] returns.

use crate::domain::{Evidence, EvidenceField, Persona};
use maud::{Markup, html};
use serde_json::Value;

/// The pipeline step a job's progress stands for (the steps of docs/api.md: ingesting 5,
/// segmenting 25, synthesising 45, scoring 85, writing 92).
pub fn stage(status: &str, progress: u8) -> &'static str {
    match (status, progress) {
        ("pending", _) => "waiting for a worker",
        ("completed", _) => "done",
        ("failed", _) => "failed",
        ("cancelled", _) => "cancelled",
        (_, 0..=4) => "starting",
        (_, 5..=24) => "reading the research data",
        (_, 25..=44) => "finding segments",
        (_, 45..=84) => "writing personas",
        (_, 85..=91) => "scoring quality",
        _ => "writing the output",
    }
}

/// An RFC 3339 time, shown as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn time(timestamp: &str) -> Markup {
    let shown = timestamp
        .get(..19)
        .map(|t| format!("{} UTC", t.replace('T', " ")))
        .unwrap_or_else(|| timestamp.to_string());
    html! { time datetime=(timestamp) { (shown) } }
}

pub fn optional_time(timestamp: Option<&str>) -> Markup {
    match timestamp {
        Some(t) => time(t),
        None => html! { span.muted { "—" } },
    }
}

pub fn duration(ms: Option<u64>) -> String {
    match ms {
        None => "—".into(),
        Some(ms) if ms < 1_000 => format!("{ms} ms"),
        Some(ms) if ms < 60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        Some(ms) => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

pub fn status_badge(status: &str) -> Markup {
    html! { span class=(format!("badge status-{status}")) { (status) } }
}

/// "Showing 21–40 of 95" with previous/next links that keep `query` (already encoded pairs).
pub fn pager(path: &str, query: &[(&str, String)], total: u64, limit: u32, offset: u64) -> Markup {
    let link = |offset: u64| {
        let mut pairs: Vec<String> = query
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(key, value)| format!("{key}={}", encode(value)))
            .collect();
        if offset > 0 {
            pairs.push(format!("offset={offset}"));
        }
        if pairs.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", pairs.join("&"))
        }
    };
    let first = if total == 0 { 0 } else { offset + 1 };
    let last = (offset + u64::from(limit)).min(total);
    html! {
        nav.pager aria-label="Pages" {
            span { "Showing " (first) "–" (last) " of " (total) }
            @if offset > 0 {
                a href=(link(offset.saturating_sub(u64::from(limit)))) rel="prev" { "← Newer" }
            }
            @if last < total {
                a href=(link(last)) rel="next" { "Older →" }
            }
        }
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A persona's overall quality score and level, when it has been scored.
pub fn overall_quality(persona: &Persona) -> Option<(f64, String)> {
    let quality = persona.quality.as_ref()?;
    let score = quality["overall_score"].as_f64()?;
    Some((score, quality["level"].as_str().unwrap_or("").to_string()))
}

/// How the card of a persona is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CardKind {
    /// One of several, side by side, its name an `h3` linking to the persona page.
    InGrid,
    /// The persona page's own card, its name the page's `h2`.
    Full,
}

/// A persona card: every claim is a disclosure that opens its evidence.
pub fn persona_card(persona: &Persona, kind: CardKind) -> Markup {
    let heading_id = format!("{}-name", persona.id);
    let page = format!("/ui/personas/{}", persona.id);
    let sections = [
        (EvidenceField::Goals, "Goals"),
        (EvidenceField::PainPoints, "Pain points"),
        (EvidenceField::Behaviours, "Behaviours"),
        (EvidenceField::Motivations, "Motivations"),
        (EvidenceField::Quotes, "Quotes"),
    ];
    html! {
        article.persona-card aria-labelledby=(heading_id)
            data-evidence-base=[(kind == CardKind::InGrid).then(|| format!("/ui/fragments/personas/{}/evidence", persona.id))] {
            header {
                @if kind == CardKind::Full {
                    h2 #(heading_id) { (persona.name) }
                } @else {
                    h3 #(heading_id) { a href=(page) { (persona.name) } }
                }
                p.persona-title { (persona.title) }
                p.persona-meta {
                    @if let Some((score, level)) = overall_quality(persona) {
                        span.quality { "Quality " strong { (format!("{score:.0}")) } " / 100" @if !level.is_empty() { " · " (level) } }
                    }
                    span { "Segment: " (persona.segment_size) " participant" @if persona.segment_size != 1 { "s" } }
                }
            }
            p.summary { (persona.summary) }
            @if !persona.demographics.is_empty() {
                dl.demographics {
                    @for (key, value) in &persona.demographics {
                        div { dt { (key.replace('_', " ")) } dd { (value) } }
                    }
                }
            }
            @for (field, label) in sections {
                @let items = persona.field_items(field);
                @if !items.is_empty() {
                    section.claims {
                        h4 { (label) }
                        ul {
                            @for (index, item) in items.iter().enumerate() {
                                li { (claim(persona, field, index, item, kind)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The evidence entries of one claim, in the persona's order.
fn claim_evidence(persona: &Persona, field: EvidenceField, index: usize) -> Vec<&Evidence> {
    persona
        .evidence
        .iter()
        .filter(|e| e.field == field && e.index == index)
        .collect()
}

/// One claim as a disclosure. The full card holds the evidence; a card in a grid loads it when
/// opened (`data-claim`, under the card's `data-evidence-base`), which keeps a page of 20
/// personas light.
fn claim(persona: &Persona, field: EvidenceField, index: usize, text: &str, kind: CardKind) -> Markup {
    let count = claim_evidence(persona, field, index).len();
    let shown = if field == EvidenceField::Quotes {
        format!("“{text}”")
    } else {
        text.to_string()
    };
    if count == 0 {
        return html! { (shown) span.muted { " (no evidence)" } };
    }
    let summary = html! { summary { (shown) " " small { (count) " source" @if count != 1 { "s" } } } };
    html! {
        @if kind == CardKind::Full {
            details.claim { (summary) (evidence_list(persona, field, index)) }
        } @else {
            details.claim data-claim=(format!("{}/{index}", field.as_str())) { (summary) }
        }
    }
}

/// The evidence of one claim: participant, source, location, the verbatim excerpt, the
/// question it answers, and the other participants behind the same claim.
pub fn evidence_list(persona: &Persona, field: EvidenceField, index: usize) -> Markup {
    let evidence = claim_evidence(persona, field, index);
    let mut participants: Vec<&str> = Vec::new();
    for entry in &evidence {
        if !participants.contains(&entry.participant_id.as_str()) {
            participants.push(&entry.participant_id);
        }
    }
    html! {
        ol.evidence {
            @for entry in &evidence {
                li {
                    blockquote.excerpt { (entry.excerpt) }
                    dl.evidence-meta {
                        div { dt { "Participant" } dd { (entry.participant_id) } }
                        div { dt { "Source" } dd { (entry.source) ", " (entry.location) } }
                        @if let Some(question) = &entry.question {
                            div { dt { "Question" } dd { (question) } }
                        }
                        @let others: Vec<&str> = participants.iter().copied().filter(|p| *p != entry.participant_id).collect();
                        @if !others.is_empty() {
                            div { dt { "Also said by" } dd { (others.join(", ")) } }
                        }
                    }
                }
            }
        }
    }
}

/// The quality breakdown by dimension as a horizontal bar chart (inline SVG, 0–100 scale).
pub fn quality_chart(quality: &Value) -> Markup {
    let Some(dimensions) = quality["dimensions"].as_object() else {
        return html! { p.muted { "This persona has no quality breakdown." } };
    };
    let rows: Vec<(String, f64)> = dimensions
        .iter()
        .map(|(name, d)| (name.replace('_', " "), d["score"].as_f64().unwrap_or(0.0)))
        .collect();
    let (label_width, bar_width, row_height) = (150.0, 200.0, 26.0);
    let height = row_height * rows.len() as f64 + 4.0;
    let description = rows
        .iter()
        .map(|(name, score)| format!("{name} {score:.0}"))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        figure.quality-chart {
            svg role="img" aria-labelledby="quality-chart-title" viewBox=(format!("0 0 {} {height}", label_width + bar_width + 50.0))
                width="100%" height=(height) preserveAspectRatio="xMinYMin meet" {
                title #quality-chart-title { "Quality by dimension: " (description) }
                @for (i, (name, score)) in rows.iter().enumerate() {
                    @let y = i as f64 * row_height + 2.0;
                    text x="0" y=(y + 16.0) class="chart-label" { (name) }
                    rect x=(label_width) y=(y + 3.0) width=(bar_width) height="16" class="chart-track" rx="3" {}
                    rect x=(label_width) y=(y + 3.0) width=(bar_width * score.clamp(0.0, 100.0) / 100.0) height="16"
                        class="chart-bar" rx="3" {}
                    text x=(label_width + bar_width + 8.0) y=(y + 16.0) class="chart-value" { (format!("{score:.0}")) }
                }
            }
            figcaption { "Quality by dimension (0–100)" }
        }
    }
}

/// Issues the quality dimensions found, if any.
pub fn quality_issues(quality: &Value) -> Vec<(String, String)> {
    quality["dimensions"]
        .as_object()
        .map(|dimensions| {
            dimensions
                .iter()
                .flat_map(|(name, d)| {
                    d["issues"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(|issue| (name.replace('_', " "), issue.to_string()))
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_follow_the_documented_progress_steps() {
        assert_eq!(stage("running", 5), "reading the research data");
        assert_eq!(stage("running", 25), "finding segments");
        assert_eq!(stage("running", 45), "writing personas");
        assert_eq!(stage("running", 85), "scoring quality");
        assert_eq!(stage("running", 92), "writing the output");
        assert_eq!(stage("completed", 100), "done");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn the_pager_keeps_the_query_and_counts_from_one() {
        let html = pager("/ui/jobs", &[("status", "failed".into())], 45, 20, 20).into_string();
        assert!(html.contains("Showing 21–40 of 45"), "{html}");
        assert!(html.contains("href=\"/ui/jobs?status=failed\""), "{html}");
        assert!(html.contains("href=\"/ui/jobs?status=failed&amp;offset=40\""), "{html}");
    }
}
