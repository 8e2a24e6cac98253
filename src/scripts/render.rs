//! Output formats of a card: the system prompt (peer §6.4 layout) and templates with
//! `{{identity.name}}`-style placeholders, filled by a small renderer of our own.
//!
//! Placeholders name a field of the card's JSON by its dotted path (`id`, `identity.title`,
//! `psychological_profile.goals`, `provenance.synthetic_marker`, …). Strings are inserted as
//! they are, lists as one `- item` line per element (`- (none)` when empty). A placeholder
//! naming an object or a missing field is an error, as is an unclosed `{{`.

use super::card::CharacterCard;
use serde_json::Value;

/// The built-in template of the `template` format.
pub const DEFAULT_TEMPLATE: &str = "\
[{{provenance.synthetic_marker}}]
# Role-play brief: {{identity.name}}

You are role-playing {{identity.name}} ({{identity.title}}), a synthetic persona.
Profile: {{identity.demographics_summary}}

## What you want
{{psychological_profile.goals}}
Motivations:
{{psychological_profile.motivations}}

## What frustrates you
{{psychological_profile.pain_points}}

## Personality
{{psychological_profile.personality_traits}}
Weak spots:
{{psychological_profile.flaws}}

## How you talk
Tone: {{communication_style.tone}}. Vocabulary: {{communication_style.vocabulary_level}}.
{{communication_style.speech_patterns}}

## What you know
{{knowledge_boundaries.knows}}
What you don't know:
{{knowledge_boundaries.doesnt_know}}
What you can infer:
{{knowledge_boundaries.can_infer}}

## Rules
- {{guidelines.response_style}}
- {{guidelines.uncertainty_handling}}
- {{guidelines.character_maintenance}}
{{guidelines.additional_rules}}

Script {{id}} for persona {{provenance.source_persona_id}}, generator {{provenance.generator_version}}.
";

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Text(String),
    Placeholder(String),
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderError {
    /// A bad placeholder (the message names it).
    Template(String),
    /// The output would pass the size limit.
    TooLarge,
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    segments: Vec<Segment>,
}

impl Template {
    /// Parses `{{ path }}` placeholders; paths are dotted names of letters, digits and `_`.
    pub fn parse(source: &str) -> Result<Template, String> {
        let mut segments = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                segments.push(Segment::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("unclosed '{{{{' at byte {}", source.len() - rest.len() + open))?;
            let path = after[..close].trim();
            let valid = !path.is_empty()
                && path
                    .split('.')
                    .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if !valid {
                return Err(format!("invalid placeholder '{{{{{}}}}}'", &after[..close]));
            }
            segments.push(Segment::Placeholder(path.to_string()));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            segments.push(Segment::Text(rest.to_string()));
        }
        Ok(Template { segments })
    }

    /// Fills the placeholders with the card's values.
    pub fn render(&self, card: &CharacterCard) -> Result<String, String> {
        self.render_bounded(card, usize::MAX).map_err(|e| match e {
            RenderError::Template(e) => e,
            RenderError::TooLarge => "the rendered template is too large".to_string(),
        })
    }

    /// [`Template::render`], stopping as soon as the output would pass `max_bytes`.
    pub fn render_bounded(&self, card: &CharacterCard, max_bytes: usize) -> Result<String, RenderError> {
        let root = serde_json::to_value(card).map_err(|e| RenderError::Template(e.to_string()))?;
        let mut out = String::new();
        for segment in &self.segments {
            let piece = match segment {
                Segment::Text(text) => std::borrow::Cow::Borrowed(text.as_str()),
                Segment::Placeholder(path) => {
                    std::borrow::Cow::Owned(resolve(&root, path).map_err(RenderError::Template)?)
                }
            };
            if out.len().saturating_add(piece.len()) > max_bytes {
                return Err(RenderError::TooLarge);
            }
            out.push_str(&piece);
        }
        Ok(out)
    }
}

fn resolve(root: &Value, path: &str) -> Result<String, String> {
    let value = path
        .split('.')
        .try_fold(root, |v, key| v.get(key))
        .ok_or_else(|| format!("unknown placeholder '{{{{{path}}}}}'"))?;
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Array(items) if items.is_empty() => Ok("- (none)".to_string()),
        Value::Array(items) => Ok(items
            .iter()
            .map(|item| format!("- {}", item.as_str().map_or_else(|| item.to_string(), str::to_string)))
            .collect::<Vec<_>>()
            .join("\n")),
        Value::Object(map) => Err(format!(
            "placeholder '{{{{{path}}}}}' names an object; use one of its fields: {}",
            map.keys().map(|k| format!("{path}.{k}")).collect::<Vec<_>>().join(", ")
        )),
        other => Ok(other.to_string()),
    }
}

fn bullets(out: &mut Vec<String>, items: &[String]) {
    out.extend(items.iter().map(|i| format!("- {i}")));
}

/// The peer's system-prompt layout: identity line, background, then Personality, Goals,
/// Frustrations, Communication Style, Knowledge and Guidelines sections, and the marker.
pub fn system_prompt(card: &CharacterCard) -> String {
    let id = &card.identity;
    let p = &card.psychological_profile;
    let style = &card.communication_style;
    let k = &card.knowledge_boundaries;
    let g = &card.guidelines;
    let mut lines = Vec::new();
    lines.push(if id.title.is_empty() {
        format!("You are {}.", id.name)
    } else {
        format!("You are {}, {}.", id.name, id.title)
    });
    if !id.demographics_summary.is_empty() {
        lines.push(format!("Background: {}", id.demographics_summary));
    }
    lines.push(String::new());
    lines.push("## Personality".into());
    bullets(&mut lines, &p.personality_traits);
    if !p.flaws.is_empty() {
        lines.push("Flaws:".into());
        bullets(&mut lines, &p.flaws);
    }
    lines.push(String::new());
    lines.push("## Goals".into());
    bullets(&mut lines, &p.goals);
    if !p.motivations.is_empty() {
        lines.push("Motivations:".into());
        bullets(&mut lines, &p.motivations);
    }
    lines.push(String::new());
    lines.push("## Frustrations".into());
    bullets(&mut lines, &p.pain_points);
    lines.push(String::new());
    lines.push("## Communication Style".into());
    lines.push(format!("Tone: {}", style.tone));
    lines.push(format!("Vocabulary: {}", style.vocabulary_level));
    bullets(&mut lines, &style.speech_patterns);
    lines.push(String::new());
    lines.push("## Knowledge".into());
    lines.push("You know about:".into());
    bullets(&mut lines, &k.knows);
    lines.push("You don't know about:".into());
    bullets(&mut lines, &k.doesnt_know);
    lines.push("You can infer:".into());
    bullets(&mut lines, &k.can_infer);
    lines.push(String::new());
    lines.push("## Guidelines".into());
    for rule in [&g.response_style, &g.uncertainty_handling, &g.character_maintenance]
        .into_iter()
        .chain(&g.additional_rules)
    {
        lines.push(format!("- {rule}"));
    }
    lines.push(String::new());
    lines.push(format!("[{}]", card.provenance.synthetic_marker));
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::testing::persona;
    use crate::scripts::card::build_card;

    #[test]
    fn the_default_template_is_filled_with_the_persona() {
        let card = build_card(&persona("a"));
        let out = Template::parse(DEFAULT_TEMPLATE).unwrap().render(&card).unwrap();
        assert!(
            out.starts_with("[SYNTHETIC_PERSONA_SCRIPT]\n# Role-play brief: Maya Okafor\n"),
            "{out}"
        );
        assert!(out.contains("You are role-playing Maya Okafor (The Road-Warrior Seller), a synthetic persona."));
        assert!(out.contains("## What you want\n- goal-oriented\n"), "{out}");
        assert!(out.contains("Weak spots:\n- (none)\n"), "{out}");
        assert!(out.contains(&format!("Script {} for persona persona-a", card.id)));
        assert!(!out.contains("{{"));
        let other = build_card(&crate::quality::testing::other_persona("b"));
        assert_ne!(Template::parse(DEFAULT_TEMPLATE).unwrap().render(&other).unwrap(), out);
    }

    #[test]
    fn template_errors_are_clear() {
        let card = build_card(&persona("a"));
        assert_eq!(Template::parse("Hi {{ name").unwrap_err(), "unclosed '{{' at byte 3");
        assert_eq!(Template::parse("{{a b}}").unwrap_err(), "invalid placeholder '{{a b}}'");
        assert_eq!(Template::parse("{{}}").unwrap_err(), "invalid placeholder '{{}}'");
        let unknown = Template::parse("{{identity.age}}").unwrap().render(&card).unwrap_err();
        assert_eq!(unknown, "unknown placeholder '{{identity.age}}'");
        let object = Template::parse("{{identity}}").unwrap().render(&card).unwrap_err();
        assert!(object.contains("identity.name, identity.title"), "{object}");
        let ok = Template::parse("{{ identity.name }} / {{provenance.synthetic_marker}}").unwrap();
        assert_eq!(ok.render(&card).unwrap(), "Maya Okafor / SYNTHETIC_PERSONA_SCRIPT");
    }

    #[test]
    fn system_prompt_layout() {
        let card = build_card(&persona("a"));
        let out = system_prompt(&card);
        assert!(out.starts_with(
            "You are Maya Okafor, The Road-Warrior Seller.\nBackground: Field Sales Rep, aged 26-40, based in Berlin\n\n## Personality\n- goal-oriented\n\n## Goals\n"
        ), "{out}");
        for heading in [
            "## Frustrations",
            "## Communication Style\nTone: professional\nVocabulary: professional",
            "## Knowledge\nYou know about:",
            "## Guidelines\n- Answer as Maya Okafor would",
        ] {
            assert!(out.contains(heading), "{heading}");
        }
        assert!(out.ends_with("\n[SYNTHETIC_PERSONA_SCRIPT]\n"));
        let mut untitled = persona("a");
        untitled.title.clear();
        untitled.demographics.clear();
        assert!(
            system_prompt(&build_card(&untitled))
                .starts_with("You are Maya Okafor.\nBackground: speaks for 2 research participants\n\n## Personality")
        );
    }
}
