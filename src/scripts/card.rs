//! The character card (peer §6.1) and the rule-based abstraction that builds it (peer §6.2).
//!
//! Lists are abstracted into phrases from fixed rule tables, never copied from the persona, so
//! raw participant words cannot reach the card through them; only the persona's name, title and
//! a summary of selected demographics are carried over (and audited). Every list keeps the first
//! occurrence of each phrase in rule order: the same persona always gives the same card.

use crate::domain::{IdKind, Persona};
use crate::quality::text::{AgeRange, contains_term, has_word_with_prefix, words};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use utoipa::ToSchema;

pub const SYNTHETIC_MARKER: &str = "SYNTHETIC_PERSONA_SCRIPT";

/// A role-play card for an LLM persona simulator. Field order is the JSON/YAML key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CharacterCard {
    /// `script-` + 16 hex characters derived from the card's content (stable across reruns).
    pub id: String,
    pub identity: Identity,
    pub psychological_profile: PsychologicalProfile,
    pub communication_style: CommunicationStyle,
    pub knowledge_boundaries: KnowledgeBoundaries,
    pub guidelines: Guidelines,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Identity {
    pub name: String,
    pub title: String,
    pub demographics_summary: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PsychologicalProfile {
    pub goals: Vec<String>,
    pub motivations: Vec<String>,
    pub pain_points: Vec<String>,
    pub personality_traits: Vec<String>,
    pub flaws: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CommunicationStyle {
    pub tone: String,
    pub vocabulary_level: String,
    pub speech_patterns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KnowledgeBoundaries {
    pub knows: Vec<String>,
    pub doesnt_know: Vec<String>,
    pub can_infer: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Guidelines {
    pub response_style: String,
    pub uncertainty_handling: String,
    pub character_maintenance: String,
    pub additional_rules: Vec<String>,
}

/// Marks the card as synthetic and names what produced it. No timestamp, so that the same
/// persona gives a byte-identical script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Provenance {
    pub synthetic_marker: String,
    pub generator_version: String,
    pub source_persona_id: String,
}

/// Terms of a rule: a plain term matches whole words (the last word may be plural), a term
/// ending in `*` matches words starting with it.
type Terms = &'static [&'static str];

fn matches(text_words: &[String], terms: Terms) -> bool {
    terms.iter().any(|t| match t.strip_suffix('*') {
        Some(stem) => has_word_with_prefix(text_words, &[stem]),
        None => contains_term(text_words, t),
    })
}

const GOAL_RULES: &[(Terms, &str)] = &[
    (&["streamlin*", "improv*", "enhanc*"], "seeks efficiency improvements"),
    (&["collaborat*", "team", "together"], "values collaborative outcomes"),
    (
        &[
            "learn*",
            "grow",
            "growing",
            "growth",
            "develop",
            "developing",
            "development",
        ],
        "pursues personal growth",
    ),
    (&["balance", "life"], "seeks work-life harmony"),
    (
        &["quality", "excel", "excellence", "excellent"],
        "strives for excellence",
    ),
];
const GOAL_DEFAULT: &str = "goal-oriented";

const PAIN_RULES: &[(Terms, &str)] = &[
    (
        &["manual", "manually", "repetitive", "repetition", "tedious"],
        "frustrated by manual processes",
    ),
    (&["slow*", "wait*", "delay*"], "impatient with slow systems"),
    (&["complex*", "confus*", "unclear"], "dislikes unnecessary complexity"),
    (&["switch*", "interrupt*", "distract*"], "struggles with interruptions"),
];
const PAIN_DEFAULT: &str = "experiences workflow friction";

const MOTIVATION_RULES: &[(Terms, &str)] = &[
    (&["recogni*"], "seeks recognition for their work"),
    (&["success*", "achiev*"], "driven by achievement"),
    (&["growth", "grow", "learn*"], "motivated by growth and learning"),
    (&["impact*"], "wants to make a visible impact"),
];
const MOTIVATION_DEFAULT: &str = "motivated by getting their work done well";

const GOAL_TRAIT_RULES: &[(Terms, &str)] = &[
    (&["efficien*", "streamlin*"], "efficiency-focused"),
    (&["collaborat*", "team"], "values collaboration"),
    (&["learn*", "grow", "growing", "growth"], "growth-oriented"),
    (&["quality", "excel", "excellence", "excellent"], "excellence-driven"),
    (&["balance"], "seeks balance"),
];
const ROLE_TRAIT_RULES: &[(Terms, &str)] = &[
    (&["manag*"], "leadership-oriented"),
    (&["developer", "engineer", "engineering"], "technically-minded"),
    (&["design*"], "visually-oriented"),
];
const TRAIT_DEFAULT: &str = "goal-oriented";

const FLAW_RULES: &[(Terms, &str)] = &[
    (&["slow*", "wait*"], "impatient with delays"),
    (&["manual*", "repetit*"], "frustrated by inefficiency"),
    (&["complex*", "confus*"], "prefers simplicity"),
    (&["switch*", "interrupt*"], "disrupted by context switching"),
];

const SPEECH_WORD_RULES: &[(Terms, &str)] = &[
    (
        &["urgen*", "asap", "immediately", "deadline", "hurry"],
        "uses urgency language",
    ),
    (
        &["frustrat*", "annoy*", "hate", "terrible", "awful", "ridiculous"],
        "expresses frustration directly",
    ),
    (
        &[
            "love",
            "great",
            "amazing",
            "excellent",
            "fantastic",
            "helpful",
            "enjoy*",
        ],
        "uses positive reinforcement",
    ),
    (
        &["api", "database", "server", "code", "system", "integration"],
        "comfortable with technical terminology",
    ),
    (
        &[
            "roi",
            "revenue",
            "stakeholder",
            "budget",
            "kpi",
            "strategy",
            "strategic",
            "client",
            "customer",
            "margin",
        ],
        "uses professional/business language",
    ),
];
const ASKS_QUESTIONS: &str = "frequently asks clarifying questions";
const CONCISE: &str = "prefers concise communication";
const DETAILED: &str = "provides detailed explanations";
const EMPHATIC: &str = "uses emphatic expressions";

const TONE_IMPATIENT: &str = "direct and impatient";
const TONE_FRUSTRATED: &str = "professional but frustrated";
const TONE_DEFAULT: &str = "professional";
const VOCABULARY_RULES: &[(Terms, &str)] = &[
    (&["developer", "engineer", "engineering"], "technical"),
    (&["executive", "director", "chief", "ceo", "vp"], "executive"),
];
const VOCABULARY_DEFAULT: &str = "professional";

const BEHAVIOUR_KNOWLEDGE_RULES: &[(Terms, &str)] = &[
    (
        &["data", "metric*", "analytic*"],
        "data analysis and metrics interpretation",
    ),
    (&["collaborat*"], "team collaboration practices"),
    (&["plan", "planning", "planned"], "project planning methodologies"),
];
/// Role terms → (knows, doesn't know, can infer).
const ROLE_KNOWLEDGE_RULES: &[(Terms, [&str; 3])] = &[
    (
        &["marketing", "marketer"],
        [
            "marketing channels and campaign performance",
            "backend engineering internals",
            "customer sentiment from campaign results",
        ],
    ),
    (
        &["developer", "engineer", "engineering"],
        [
            "software development workflows",
            "marketing strategy details",
            "technical feasibility of requests",
        ],
    ),
    (
        &["product"],
        [
            "product roadmaps and prioritisation",
            "low-level implementation details",
            "user needs from feedback",
        ],
    ),
];
const KNOWS_DEFAULT: &str = "their own day-to-day work and tools";
const DOESNT_KNOW_DEFAULT: &str = "internal implementation details of unfamiliar systems";
const CAN_INFER_DEFAULT: &str = "general industry trends based on experience";

const UNCERTAINTY_HANDLING: &str = "Acknowledge uncertainty based on knowledge boundaries";
const CHARACTER_MAINTENANCE: &str = "Return to core traits if conversation drifts";
const ADDITIONAL_RULES: [&str; 3] = [
    "You are a synthetic persona built from aggregated research; never claim to be a real person",
    "Do not invent personal details such as names of colleagues, employers or places",
    "Keep answers consistent with the goals, frustrations and knowledge described here",
];

const MAX_GOALS: usize = 5;
const MAX_PAINS: usize = 5;
const MAX_MOTIVATIONS: usize = 3;
const MAX_TRAITS: usize = 5;
const MAX_FLAWS: usize = 3;
const MAX_SPEECH_PATTERNS: usize = 5;
const MAX_KNOWS: usize = 5;
const MAX_DOESNT_KNOW: usize = 3;
const MAX_CAN_INFER: usize = 3;

/// Every phrase the rules can emit. The privacy audit skips these: they are the generator's own
/// vocabulary, so matching them against participants' words would only find coincidences.
pub fn canned_phrases() -> BTreeSet<&'static str> {
    let tables = [
        GOAL_RULES,
        PAIN_RULES,
        MOTIVATION_RULES,
        GOAL_TRAIT_RULES,
        ROLE_TRAIT_RULES,
        FLAW_RULES,
        SPEECH_WORD_RULES,
        VOCABULARY_RULES,
        BEHAVIOUR_KNOWLEDGE_RULES,
    ];
    let mut set: BTreeSet<&'static str> = tables.iter().flat_map(|t| t.iter().map(|(_, p)| *p)).collect();
    set.extend(
        ROLE_KNOWLEDGE_RULES
            .iter()
            .flat_map(|(_, phrases)| phrases.iter().copied()),
    );
    set.extend([
        GOAL_DEFAULT,
        PAIN_DEFAULT,
        MOTIVATION_DEFAULT,
        TRAIT_DEFAULT,
        ASKS_QUESTIONS,
        CONCISE,
        DETAILED,
        EMPHATIC,
        TONE_IMPATIENT,
        TONE_FRUSTRATED,
        TONE_DEFAULT,
        VOCABULARY_DEFAULT,
        KNOWS_DEFAULT,
        DOESNT_KNOW_DEFAULT,
        CAN_INFER_DEFAULT,
    ]);
    set
}

/// Appends `phrase` unless present or `max` is reached (dedupe keeping the first occurrence).
fn push_unique(list: &mut Vec<String>, phrase: &str, max: usize) {
    if list.len() < max && !list.iter().any(|p| p == phrase) {
        list.push(phrase.to_string());
    }
}

/// For each item, the first rule that matches it (or `default`).
fn abstract_each(items: &[String], rules: &[(Terms, &str)], default: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for item in items {
        let w = words(item);
        let phrase = rules
            .iter()
            .find(|(terms, _)| matches(&w, terms))
            .map_or(default, |(_, p)| *p);
        push_unique(&mut out, phrase, max);
    }
    out
}

/// Every rule matching the text, in rule order.
fn abstract_all(text_words: &[String], rules: &[(Terms, &str)], out: &mut Vec<String>, max: usize) {
    for (terms, phrase) in rules {
        if matches(text_words, terms) {
            push_unique(out, phrase, max);
        }
    }
}

/// The persona's role: `role`, else `occupation`, else `job`.
pub(crate) fn role_of(persona: &Persona) -> Option<&str> {
    ["role", "occupation", "job"]
        .iter()
        .filter_map(|k| persona.demographics.get(*k))
        .map(|v| v.trim())
        .find(|v| !v.is_empty())
}

fn demographic<'a>(persona: &'a Persona, key: &str) -> Option<&'a str> {
    persona
        .demographics
        .get(key)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

/// `"{role}, aged {age_range}, based in {location}, with {experience} experience, working in
/// {industry}"`, each part only when present. Other demographic keys are left out.
fn demographics_summary(persona: &Persona) -> String {
    let mut parts = Vec::new();
    if let Some(role) = role_of(persona) {
        parts.push(role.to_string());
    }
    if let Some(age) = demographic(persona, "age") {
        let single = AgeRange::parse(age).is_some_and(|r| r.high == Some(r.low)) && age.parse::<u32>().is_ok();
        parts.push(if single {
            format!("{age} years old")
        } else {
            format!("aged {age}")
        });
    } else if let Some(range) = demographic(persona, "age_range") {
        parts.push(format!("aged {range}"));
    }
    if let Some(location) = demographic(persona, "location") {
        parts.push(format!("based in {location}"));
    }
    if let Some(experience) = demographic(persona, "experience") {
        parts.push(format!("with {experience} experience"));
    }
    if let Some(industry) = demographic(persona, "industry") {
        parts.push(format!("working in {industry}"));
    }
    parts.join(", ")
}

fn speech_patterns(quotes: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if quotes.is_empty() {
        return out;
    }
    let all_words: Vec<String> = quotes.iter().flat_map(|q| words(q)).collect();
    abstract_all(&all_words, SPEECH_WORD_RULES, &mut out, MAX_SPEECH_PATTERNS);
    let n = quotes.len();
    let with = |c: char| quotes.iter().filter(|q| q.contains(c)).count();
    if with('?') * 2 > n {
        push_unique(&mut out, ASKS_QUESTIONS, MAX_SPEECH_PATTERNS);
    }
    let average_chars = quotes.iter().map(|q| q.chars().count()).sum::<usize>() as f64 / n as f64;
    if average_chars < 50.0 {
        push_unique(&mut out, CONCISE, MAX_SPEECH_PATTERNS);
    } else if average_chars > 150.0 {
        push_unique(&mut out, DETAILED, MAX_SPEECH_PATTERNS);
    }
    if with('!') * 3 > n {
        push_unique(&mut out, EMPHATIC, MAX_SPEECH_PATTERNS);
    }
    out
}

const TOPICS_PREFIX: &str = "what their group talks about most: ";
const TOOLS_PREFIX: &str = "the tools and products they mention: ";
const MAX_TOPICS: usize = 6;
const MAX_TOOLS: usize = 4;
/// Largest share of a quote's or excerpt's significant words the carried-over text may hold,
/// kept well under the audit's paraphrase threshold (70 %).
const MAX_SOURCE_COVERAGE: f64 = 0.5;

/// Single words from the persona's claims and quotes: the topics said in most claims, and the
/// tools (capitalised words inside a sentence: "Vim", "PyCharm"). Each word is taken only while
/// no quote or excerpt would be half covered by it, the `carried` text and the words taken
/// before, so that the privacy audit never sees a paraphrase.
fn own_topics_and_tools(persona: &Persona, carried: &str) -> (Vec<String>, Vec<String>) {
    use super::words::significant_words;
    let texts: Vec<&String> = persona.claims().map(|(_, _, c)| c).chain(&persona.quotes).collect();
    // word → (claims it is in, first seen); tools separately.
    let mut topic_counts: Vec<(String, usize, usize)> = Vec::new();
    let mut tool_counts: Vec<(String, usize, usize)> = Vec::new();
    let mut order = 0;
    for text in &texts {
        let mut in_this: BTreeSet<String> = BTreeSet::new();
        let mut tools_here: BTreeSet<String> = BTreeSet::new();
        for (position, raw) in text.split_whitespace().enumerate() {
            let word: String = raw.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
            if word.chars().count() < 3 || !word.chars().all(char::is_alphabetic) {
                continue;
            }
            let capitalised = word.chars().next().is_some_and(char::is_uppercase);
            if position > 0 && capitalised && !raw.ends_with(['.', '!', '?']) {
                tools_here.insert(word.clone());
            }
            let lower = word.to_lowercase();
            if !significant_words(&lower).is_empty() && !crate::generate::text::term_keys(&lower).is_empty() {
                in_this.insert(lower);
            }
        }
        for (set, counts) in [(in_this, &mut topic_counts), (tools_here, &mut tool_counts)] {
            for w in set {
                match counts.iter_mut().find(|(x, _, _)| *x == w) {
                    Some(entry) => entry.1 += 1,
                    None => {
                        counts.push((w, 1, order));
                        order += 1;
                    }
                }
            }
        }
    }
    let rank = |counts: &mut Vec<(String, usize, usize)>| {
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    };
    rank(&mut topic_counts);
    rank(&mut tool_counts);
    let sources: Vec<BTreeSet<String>> = persona
        .quotes
        .iter()
        .chain(persona.evidence.iter().map(|e| &e.excerpt))
        .map(|t| significant_words(t))
        .filter(|w| w.len() >= 3)
        .collect();
    let mut covered = significant_words(carried);
    let mut take = |counts: &[(String, usize, usize)], max: usize, min_count: usize| -> Vec<String> {
        let mut out = Vec::new();
        for (word, count, _) in counts {
            if out.len() >= max || *count < min_count {
                break;
            }
            let mut with = covered.clone();
            with.extend(significant_words(word));
            let safe = sources.iter().all(|source| {
                source.iter().filter(|w| with.contains(*w)).count() as f64 / source.len() as f64 <= MAX_SOURCE_COVERAGE
            });
            if safe {
                covered = with;
                out.push(word.clone());
            }
        }
        out
    };
    let tools = take(&tool_counts, MAX_TOOLS, 1);
    let tool_words: BTreeSet<String> = tools.iter().map(|t| t.to_lowercase()).collect();
    let topic_counts: Vec<_> = topic_counts
        .into_iter()
        .filter(|(w, _, _)| !tool_words.contains(w))
        .collect();
    let topics = take(&topic_counts, MAX_TOPICS, 2);
    (topics, tools)
}

/// What the persona knows, does not know and can infer: its behaviours' and role's knowledge,
/// led by the segment's own topics and tools so that two personas' cards differ in substance.
fn knowledge_boundaries(persona: &Persona, role_words: &[String], behaviour_words: &[String]) -> KnowledgeBoundaries {
    let (mut knows, mut doesnt_know, mut can_infer) = (Vec::new(), Vec::new(), Vec::new());
    abstract_all(behaviour_words, BEHAVIOUR_KNOWLEDGE_RULES, &mut knows, MAX_KNOWS);
    for (terms, [k, d, c]) in ROLE_KNOWLEDGE_RULES {
        if matches(role_words, terms) {
            push_unique(&mut knows, k, MAX_KNOWS);
            push_unique(&mut doesnt_know, d, MAX_DOESNT_KNOW);
            push_unique(&mut can_infer, c, MAX_CAN_INFER);
        }
    }
    // The segment's own topics and tools, so that two personas' cards differ in substance.
    let carried = format!("{} {} {}", persona.name, persona.title, demographics_summary(persona));
    let (topics, tools) = own_topics_and_tools(persona, &carried);
    if !topics.is_empty() {
        knows.insert(0, format!("{TOPICS_PREFIX}{}", topics.join(", ")));
    }
    if !tools.is_empty() {
        knows.insert(
            usize::from(!topics.is_empty()),
            format!("{TOOLS_PREFIX}{}", tools.join(", ")),
        );
    }
    if knows.is_empty() {
        knows.push(KNOWS_DEFAULT.to_string());
    }
    push_unique(&mut doesnt_know, DOESNT_KNOW_DEFAULT, MAX_DOESNT_KNOW);
    push_unique(&mut can_infer, CAN_INFER_DEFAULT, MAX_CAN_INFER);
    KnowledgeBoundaries {
        knows,
        doesnt_know,
        can_infer,
    }
}

/// The Background line: the demographics, or (documented, always there) how many research
/// participants the persona speaks for.
fn background(persona: &Persona) -> String {
    match demographics_summary(persona) {
        summary if summary.is_empty() && persona.segment_size > 0 => format!(
            "speaks for {} research participant{}",
            persona.segment_size,
            if persona.segment_size == 1 { "" } else { "s" }
        ),
        summary => summary,
    }
}

/// Builds the card of a persona (its `id` derived from the content).
pub fn build_card(persona: &Persona) -> CharacterCard {
    let role = role_of(persona).unwrap_or("");
    let role_words = words(role);
    let goal_words: Vec<String> = persona.goals.iter().flat_map(|g| words(g)).collect();
    let pain_words: Vec<String> = persona.pain_points.iter().flat_map(|p| words(p)).collect();
    let behaviour_words: Vec<String> = persona.behaviours.iter().flat_map(|b| words(b)).collect();

    let mut motivations = Vec::new();
    let motivation_words: Vec<String> = goal_words.iter().cloned().chain(words(&persona.summary)).collect();
    abstract_all(&motivation_words, MOTIVATION_RULES, &mut motivations, MAX_MOTIVATIONS);
    if motivations.is_empty() && !persona.goals.is_empty() {
        motivations.push(MOTIVATION_DEFAULT.to_string());
    }

    let mut traits = Vec::new();
    abstract_all(&goal_words, GOAL_TRAIT_RULES, &mut traits, MAX_TRAITS);
    abstract_all(&role_words, ROLE_TRAIT_RULES, &mut traits, MAX_TRAITS);
    if traits.is_empty() {
        traits.push(TRAIT_DEFAULT.to_string());
    }
    let mut flaws = Vec::new();
    abstract_all(&pain_words, FLAW_RULES, &mut flaws, MAX_FLAWS);

    let tone = if has_word_with_prefix(&pain_words, &["slow", "wait"]) {
        TONE_IMPATIENT
    } else if has_word_with_prefix(&pain_words, &["frustrat", "annoy"]) {
        TONE_FRUSTRATED
    } else {
        TONE_DEFAULT
    };
    let vocabulary = VOCABULARY_RULES
        .iter()
        .find(|(terms, _)| matches(&role_words, terms))
        .map_or(VOCABULARY_DEFAULT, |(_, v)| *v);

    let knowledge_boundaries = knowledge_boundaries(persona, &role_words, &behaviour_words);

    let name = persona.name.trim().to_string();
    let title = match persona.title.trim() {
        "" if !role.is_empty() => format!("The {role}"),
        t => t.to_string(),
    };
    let mut card = CharacterCard {
        id: String::new(),
        identity: Identity {
            title,
            demographics_summary: background(persona),
            name: name.clone(),
        },
        psychological_profile: PsychologicalProfile {
            goals: abstract_each(&persona.goals, GOAL_RULES, GOAL_DEFAULT, MAX_GOALS),
            motivations,
            pain_points: abstract_each(&persona.pain_points, PAIN_RULES, PAIN_DEFAULT, MAX_PAINS),
            personality_traits: traits,
            flaws,
        },
        communication_style: CommunicationStyle {
            tone: tone.to_string(),
            vocabulary_level: vocabulary.to_string(),
            speech_patterns: speech_patterns(&persona.quotes),
        },
        knowledge_boundaries,
        guidelines: Guidelines {
            response_style: format!("Answer as {name} would, staying in character"),
            uncertainty_handling: UNCERTAINTY_HANDLING.to_string(),
            character_maintenance: CHARACTER_MAINTENANCE.to_string(),
            additional_rules: ADDITIONAL_RULES.map(String::from).to_vec(),
        },
        provenance: Provenance {
            synthetic_marker: SYNTHETIC_MARKER.to_string(),
            generator_version: env!("CARGO_PKG_VERSION").to_string(),
            source_persona_id: persona.id.clone(),
        },
    };
    // Content-derived id: hash of the card with an empty id.
    let bytes = serde_json::to_vec(&card).expect("a card always serialises");
    card.id = IdKind::Script.derived_id(&hex::encode(Sha256::digest(&bytes)));
    card
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::testing::persona;

    #[test]
    fn the_fixture_persona_abstracts_to_canned_phrases() {
        let card = build_card(&persona("a"));
        assert!(IdKind::Script.matches(&card.id), "{}", card.id);
        assert_eq!(card.identity.name, "Maya Okafor");
        assert_eq!(card.identity.title, "The Road-Warrior Seller");
        assert_eq!(
            card.identity.demographics_summary,
            "Field Sales Rep, aged 26-40, based in Berlin"
        );
        let profile = &card.psychological_profile;
        assert_eq!(profile.goals, ["goal-oriented"]);
        assert_eq!(profile.pain_points, ["experiences workflow friction"]);
        assert_eq!(profile.motivations, [MOTIVATION_DEFAULT]);
        assert_eq!(profile.personality_traits, [TRAIT_DEFAULT]);
        assert!(profile.flaws.is_empty());
        assert_eq!(card.communication_style.tone, "professional");
        assert_eq!(card.communication_style.speech_patterns, Vec::<String>::new());
        assert!(
            card.knowledge_boundaries
                .knows
                .iter()
                .any(|k| k.starts_with(TOOLS_PREFIX) && k.contains("CRM")),
            "{:?}",
            card.knowledge_boundaries.knows
        );
        assert_eq!(card.provenance.synthetic_marker, "SYNTHETIC_PERSONA_SCRIPT");
        assert_eq!(card.provenance.generator_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(card.provenance.source_persona_id, "persona-a");
        assert_eq!(
            card.guidelines.response_style,
            "Answer as Maya Okafor would, staying in character"
        );
    }

    #[test]
    fn cards_carry_their_own_topics_and_tools_and_still_pass_the_audit() {
        let mut editors = persona("a");
        editors.title = "The Vim User".into();
        editors.goals = vec![
            "I wish notebooks had real Vim keybindings in every cell.".into(),
            "I want notebooks to open in my own editor.".into(),
        ];
        editors.pain_points = vec!["Editing code in notebooks is clumsy without Vim.".into()];
        editors.quotes = vec!["I prefer a real editor like Vim or Emacs for scripts.".into()];
        let mut cooks = persona("b");
        cooks.title = "The Parent".into();
        cooks.goals = vec![
            "I want the shopping list to merge items for the week.".into(),
            "I need dinners that take twenty minutes on school nights.".into(),
        ];
        cooks.pain_points = vec!["The shopping list forgets what is in the cupboard.".into()];
        cooks.quotes = vec!["I plan dinners on Sunday for the whole family.".into()];
        let a = build_card(&editors);
        let b = build_card(&cooks);
        let knows_a = a.knowledge_boundaries.knows.join(" | ");
        let knows_b = b.knowledge_boundaries.knows.join(" | ");
        assert!(knows_a.contains("Vim") && knows_a.contains("notebooks"), "{knows_a}");
        assert!(knows_b.contains("shopping") || knows_b.contains("dinners"), "{knows_b}");
        assert_ne!(knows_a, knows_b);
        for (card, p) in [(&a, &editors), (&b, &cooks)] {
            let audit = crate::scripts::privacy::audit(card, p, crate::scripts::privacy::DEFAULT_THRESHOLD);
            assert!(audit.passed, "{audit:?}");
        }
        let mut bare = persona("c");
        bare.demographics.clear();
        assert_eq!(
            build_card(&bare).identity.demographics_summary,
            "speaks for 2 research participants"
        );
    }

    #[test]
    fn rules_match_words_keep_order_and_dedupe() {
        let mut p = persona("a");
        p.goals = vec![
            "Improve the weekly reporting".into(),
            "Work together with the regional team".into(),
            "Streamline approvals".into(),
            "Learn the new analytics suite".into(),
            "Expand into international markets".into(),
        ];
        p.pain_points = vec![
            "Waiting for slow VPN connections".into(),
            "Manual re-entry of orders".into(),
            "Confusing pricing tables".into(),
        ];
        p.behaviours = vec![
            "Checks sales metrics every morning".into(),
            "Plans routes on Sunday".into(),
        ];
        p.demographics.insert("role".into(), "Product Manager".into());
        p.quotes = vec!["Why is the system so slow?".into(), "Honestly? It's ridiculous!".into()];
        let card = build_card(&p);
        let profile = &card.psychological_profile;
        assert_eq!(
            profile.goals,
            [
                "seeks efficiency improvements",
                "values collaborative outcomes",
                "pursues personal growth",
                "goal-oriented"
            ]
        );
        assert_eq!(
            profile.pain_points,
            [
                "impatient with slow systems",
                "frustrated by manual processes",
                "dislikes unnecessary complexity"
            ]
        );
        assert_eq!(profile.motivations, ["motivated by growth and learning"]);
        assert_eq!(
            profile.personality_traits,
            [
                "efficiency-focused",
                "values collaboration",
                "growth-oriented",
                "leadership-oriented"
            ]
        );
        assert_eq!(
            profile.flaws,
            [
                "impatient with delays",
                "frustrated by inefficiency",
                "prefers simplicity"
            ]
        );
        let style = &card.communication_style;
        assert_eq!(style.tone, TONE_IMPATIENT);
        assert_eq!(
            style.speech_patterns,
            [
                "expresses frustration directly",
                "comfortable with technical terminology",
                ASKS_QUESTIONS,
                CONCISE,
                EMPHATIC
            ]
        );
        // "Plans" is the plural of "plan"; "metrics" starts with "metric"
        assert_eq!(
            card.knowledge_boundaries.knows[card.knowledge_boundaries.knows.len() - 3..],
            [
                "data analysis and metrics interpretation",
                "project planning methodologies",
                "product roadmaps and prioritisation"
            ]
        );
        assert_eq!(
            card.knowledge_boundaries.doesnt_know,
            ["low-level implementation details", DOESNT_KNOW_DEFAULT]
        );
    }

    #[test]
    fn summary_uses_known_demographic_keys() {
        let mut p = persona("a");
        p.title.clear();
        p.demographics = [
            ("occupation", "Nurse"),
            ("age", "34"),
            ("experience", "10 years"),
            ("industry", "healthcare"),
            ("company", "St. Mary's"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let card = build_card(&p);
        assert_eq!(card.identity.title, "The Nurse");
        assert_eq!(
            card.identity.demographics_summary,
            "Nurse, 34 years old, with 10 years experience, working in healthcare"
        );
    }

    #[test]
    fn every_emitted_phrase_is_canned() {
        let canned = canned_phrases();
        let mut p = persona("a");
        p.goals = vec!["Improve balance and quality, learn and grow with the team".into()];
        p.pain_points = vec!["slow, manual, confusing, interrupted".into()];
        p.demographics
            .insert("role".into(), "Marketing engineer and designer".into());
        let card = build_card(&p);
        let profile = &card.psychological_profile;
        let k = &card.knowledge_boundaries;
        for phrase in profile
            .goals
            .iter()
            .chain(&profile.motivations)
            .chain(&profile.pain_points)
            .chain(&profile.personality_traits)
            .chain(&profile.flaws)
            .chain(&card.communication_style.speech_patterns)
            .chain(&k.knows)
            .chain(&k.doesnt_know)
            .chain(&k.can_infer)
        {
            assert!(canned.contains(phrase.as_str()), "{phrase}");
        }
        assert_eq!(profile.personality_traits.len(), MAX_TRAITS);
        assert_eq!(k.doesnt_know.len(), MAX_DOESNT_KNOW);
    }

    #[test]
    fn the_id_is_content_derived() {
        let a = build_card(&persona("a"));
        assert_eq!(a, build_card(&persona("a")));
        assert_ne!(a.id, build_card(&persona("b")).id);
    }
}
