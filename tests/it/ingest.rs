//! Ingestion end to end: real files in temporary folders, every format and error case.

use persona::domain::Corpus;
use persona::domain::persona::normalise_whitespace;
use persona::error::Error;
use persona::ingest::{
    IngestError, IngestLimits, IngestOptions, load_bytes, load_path, load_path_with, supported_extensions,
};
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};
use tempfile::TempDir;

fn write(dir: &Path, relative: &str, content: impl AsRef<[u8]>) {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

fn load(dir: &Path) -> Corpus {
    load_path(dir, &IngestLimits::default()).unwrap_or_else(|e| panic!("load failed: {e}"))
}

/// (participant, source, location, text) of every utterance.
fn utterances(corpus: &Corpus) -> Vec<(String, String, String, String)> {
    corpus
        .utterances
        .iter()
        .map(|u| {
            (
                u.participant_id.clone(),
                corpus.source_path(u).to_string(),
                u.location.clone(),
                u.text.clone(),
            )
        })
        .collect()
}

fn attribute<'a>(corpus: &'a Corpus, id: &str, key: &str) -> Option<&'a str> {
    let participant = corpus.participants.iter().find(|p| p.id == id)?;
    participant.attributes.get(key).map(String::as_str)
}

fn participant_ids(corpus: &Corpus) -> Vec<&str> {
    corpus.participants.iter().map(|p| p.id.as_str()).collect()
}

const INTERVIEWS_CSV: &str = "\u{feff}Participant ID,Role,Age,Interview Date,Transcript\n\
P001,Field Sales Rep,34,2024-01-15,\"I spend most of my week driving between clients, and the CRM app never syncs when I'm offline.\"\n\
P002,Account Manager,41,2024-01-16,\"Honestly, renewals are the \"\"hard part\"\": I chase signatures by email\n\
and lose track of who has replied.\"\n\
P003,Field Sales Rep,29,2024-01-17,I log visits from my phone in the car park because there is no time later in the day.\n";

const FOCUS_GROUP_MD: &str = "# Focus group: clinic staff\n\
\n\
## P1\n\
- Role: Nurse\n\
\n\
## P2\n\
- Role: Doctor\n\
\n\
## Discussion\n\
\n\
**Moderator:** What slows you down on a normal shift?\n\
\n\
**P1:** Handover notes are never complete,\n\
so I re-check every chart myself.\n\
\n\
**P2:** Paging interrupts every ward round.\n\
\n\
[00:14:10] P1: The printers jam twice a day.\n";

const INTERVIEW_MD: &str = "# Interview: Participant 004\n\
\n\
## Background\n\
\n\
- **Role:** Warehouse Supervisor\n\
- **Age:** 46\n\
- Location: Leeds\n\
- Interview date: 2024-02-02\n\
\n\
## Transcript\n\
\n\
**Interviewer:** How do you plan the week?\n\
\n\
**Participant:** I print the pick lists every Monday\n\
and pin them next to the loading bay.\n\
\n\
Half of them are out of date by Wednesday.\n\
\n\
**Interviewer:** What would help most?\n\
\n\
**Participant:** A tablet that shows live stock would save me hours.\n";

const SURVEY_JSON: &str = r#"{
  "survey": {"name": "Q1 pulse", "collected": "2024-03-01"},
  "responses": [
    {
      "respondent_id": "R-10",
      "submitted_at": "2024-03-01T09:12:00Z",
      "demographics": {"segment": "SMB", "country": "Kenya"},
      "answers": [
        {"question": "What is hardest about invoicing?", "answer": "Matching mobile money payments to invoices by hand takes hours."},
        {"question": "What would you change?", "answer": "Automatic reconciliation with our bank feed."}
      ]
    },
    {
      "respondent_id": "R-11",
      "submitted_at": "2024-03-02T10:40:00Z",
      "demographics": {"segment": "Enterprise", "country": "Chile"},
      "answers": [
        {"question": "What is hardest about invoicing?", "answer": "Approvals stall for days when a manager is travelling."}
      ]
    }
  ]
}
"#;

const FEEDBACK_JSONL: &str = "{\"user_id\": \"U-1\", \"plan\": \"Free\", \"comment\": \"The export to PDF cuts off the last column of every table.\"}\n\
\n\
{\"user_id\": \"U-2\", \"plan\": \"Pro\", \"comment\": \"Search is fast but never finds archived projects.\"}\n";

const PANEL_YAML: &str = r#"participants:
  - id: Y1
    role: Teacher
    goals:
      - Spend less of my evening marking homework.
      - Share lesson plans with the other teachers in my year group.
  - id: Y2
    role: Head of Year
    pain_points:
      - >
        Parents email me at midnight
        and expect an answer by the morning.
"#;

const DIARY_TXT: &str = "Every morning I check the delivery board before the drivers arrive.\n\
Most days two routes have changed overnight.\n\
\n\
I keep a paper notebook because the app logs me out every hour.\n";

const TEAM_TSV: &str = "participant\tteam\tfeedback\n\
T1\tPlatform\tDeploys take forty minutes, so we batch changes and hope for the best.\n\
T2\tMobile\tThe simulator crashes, and I restart it, again and again, every single day.\n";

const SEMICOLON_CSV: &str = "user_id;country;comment\n\
S1;France;Le paiement échoue, parfois, sans message d'erreur clair.\n\
S2;Belgium;\"I want invoices in Dutch; the French ones confuse my accountant.\"\n";

/// A folder with one file of every format.
fn every_format() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "interviews.csv", INTERVIEWS_CSV);
    write(dir.path(), "team.tsv", TEAM_TSV);
    write(dir.path(), "eu/semicolon.csv", SEMICOLON_CSV);
    write(dir.path(), "survey.json", SURVEY_JSON);
    write(dir.path(), "feedback.jsonl", FEEDBACK_JSONL);
    write(dir.path(), "panel.yaml", PANEL_YAML);
    write(dir.path(), "transcripts/focus-group.md", FOCUS_GROUP_MD);
    write(dir.path(), "transcripts/P004.markdown", INTERVIEW_MD);
    write(dir.path(), "diaries/driver-12.txt", DIARY_TXT);
    dir
}

#[test]
fn reads_every_format_in_sorted_order() {
    let dir = every_format();
    let corpus = load(dir.path());
    let sources: Vec<(&str, &str)> = corpus
        .sources
        .iter()
        .map(|s| (s.path.as_str(), s.format.as_str()))
        .collect();
    assert_eq!(
        sources,
        [
            ("diaries/driver-12.txt", "text"),
            ("eu/semicolon.csv", "csv"),
            ("feedback.jsonl", "jsonl"),
            ("interviews.csv", "csv"),
            ("panel.yaml", "yaml"),
            ("survey.json", "json"),
            ("team.tsv", "tsv"),
            ("transcripts/P004.markdown", "markdown"),
            ("transcripts/focus-group.md", "markdown"),
        ]
    );
    assert!(corpus.skipped.is_empty(), "{:?}", corpus.skipped);
    assert_eq!(
        participant_ids(&corpus),
        [
            "P001",
            "P002",
            "P003",
            "P004",
            "P1",
            "P2",
            "R-10",
            "R-11",
            "S1",
            "S2",
            "T1",
            "T2",
            "U-1",
            "U-2",
            "Y1",
            "Y2",
            "driver-12"
        ]
    );
    // Utterances come file by file in that order.
    let order: Vec<usize> = corpus.utterances.iter().map(|u| u.source).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]));
    for source in &corpus.sources {
        assert_eq!(source.sha256.len(), 64);
        assert!(
            source
                .sha256
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(source.bytes, fs::metadata(dir.path().join(&source.path)).unwrap().len());
        assert!(source.utterances > 0, "{}", source.path);
    }
}

#[test]
fn csv_with_bom_classifies_columns_and_locates_multi_line_records() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "interviews.csv", INTERVIEWS_CSV);
    let corpus = load(&dir.path().join("interviews.csv"));
    assert_eq!(corpus.sources[0].path, "interviews.csv");
    assert_eq!(corpus.sources[0].participants, 3);
    assert_eq!(participant_ids(&corpus), ["P001", "P002", "P003"]);
    // Role and age are attributes; the interview date is neither attribute nor text.
    let p2 = &corpus.participants[1];
    assert_eq!(p2.attributes.keys().collect::<Vec<_>>(), ["age", "role"]);
    assert_eq!(p2.attributes["role"], "Account Manager");
    let got = utterances(&corpus);
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].2, "line 3");
    assert!(
        got[1]
            .3
            .starts_with("Honestly, renewals are the \"hard part\": I chase")
    );
    // The record after the two-line quoted field starts on line 5.
    assert_eq!(got[2].2, "line 5");
}

#[test]
fn tsv_and_semicolon_delimiters_are_detected() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "team.tsv", TEAM_TSV);
    write(dir.path(), "semicolon.csv", SEMICOLON_CSV);
    write(
        dir.path(),
        "tabs-in-a.csv",
        TEAM_TSV.replace("T1", "X1").replace("T2", "X2"),
    );
    let corpus = load(dir.path());
    assert_eq!(attribute(&corpus, "T1", "team"), Some("Platform"));
    assert_eq!(attribute(&corpus, "X2", "team"), Some("Mobile"));
    assert_eq!(attribute(&corpus, "S2", "country"), Some("Belgium"));
    let texts: Vec<String> = utterances(&corpus).into_iter().map(|u| u.3).collect();
    assert!(texts.contains(&"I want invoices in Dutch; the French ones confuse my accountant.".to_string()));
    assert!(texts.contains(&"Deploys take forty minutes, so we batch changes and hope for the best.".to_string()));
}

#[test]
fn a_participant_may_span_rows_and_files() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a-rows.csv",
        "participant_id,question,segment,location,answer\n\
         P7,What is hard?,,Lagos,Reconciling card payments with the ledger every Friday.\n\
         P7,What would help?,Retail,Abuja,A single screen that shows unpaid invoices.\n\
         P8,What is hard?,Wholesale,Accra,Drivers forget to scan the delivery notes.\n",
    );
    write(
        dir.path(),
        "b-interview.md",
        "Participant ID: P7\nTeam size: 12\n\nQ: Anything else?\nA: Payroll week is chaos in our shop.\n",
    );
    let corpus = load(dir.path());
    assert_eq!(participant_ids(&corpus), ["P7", "P8"]);
    // First non-empty value wins, across rows and then files.
    assert_eq!(attribute(&corpus, "P7", "segment"), Some("Retail"));
    assert_eq!(attribute(&corpus, "P7", "location"), Some("Lagos"));
    assert_eq!(attribute(&corpus, "P7", "team_size"), Some("12"));
    assert_eq!(attribute(&corpus, "P7", "question"), None);
    let p7: Vec<(String, String)> = utterances(&corpus)
        .into_iter()
        .filter(|u| u.0 == "P7")
        .map(|u| (u.1, u.2))
        .collect();
    assert_eq!(
        p7,
        [
            ("a-rows.csv".to_string(), "line 2".to_string()),
            ("a-rows.csv".to_string(), "line 3".to_string()),
            ("b-interview.md".to_string(), "line 5".to_string()),
        ]
    );
    assert_eq!(corpus.sources[0].participants, 2);
    assert_eq!(corpus.sources[1].participants, 1);
}

#[test]
fn columns_are_classified_by_values_when_names_say_nothing() {
    let dir = TempDir::new().unwrap();
    let mut csv = String::from("respondent,col_a,col_b,col_c,col_d\n");
    let roles = ["Field Sales Rep", "Store Manager", "Field Sales Rep", "Buyer"];
    for i in 0..24 {
        csv.push_str(&format!(
            "R{i},{},2024-05-{:02},ref-{i:04}x,\"When I visit store number {i} the stock counts never match what the system says.\"\n",
            roles[i % roles.len()],
            i + 1,
        ));
    }
    write(dir.path(), "export.csv", csv);
    let corpus = load(dir.path());
    let r5 = corpus.participants.iter().find(|p| p.id == "R5").unwrap();
    // col_a is short and categorical; col_b is dates and col_c ids (both left out); col_d is prose.
    assert_eq!(r5.attributes.keys().collect::<Vec<_>>(), ["col_a"]);
    assert_eq!(r5.attributes["col_a"], "Store Manager");
    assert_eq!(corpus.utterances.len(), 24);
    assert!(
        corpus
            .utterances
            .iter()
            .all(|u| u.text.starts_with("When I visit store number"))
    );
}

#[test]
fn a_file_without_text_is_explained() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "people.csv",
        "participant_id,role,age\nP1,Nurse,34\nP2,Doctor,51\n",
    );
    let e = load_path(&dir.path().join("people.csv"), &IngestLimits::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "people.csv: no participant text found (no column holds free text; attributes: role, age)"
    );
    // Next to transcripts, the same file contributes attributes.
    write(
        dir.path(),
        "P1.txt",
        "I never have time to read the handover notes properly.\n",
    );
    let corpus = load(dir.path());
    assert_eq!(attribute(&corpus, "P1", "role"), Some("Nurse"));
    assert_eq!(corpus.utterances[0].participant_id, "P1");
    assert!(
        corpus
            .warnings
            .iter()
            .any(|w| w.starts_with("people.csv: no column holds free text"))
    );
}

#[test]
fn json_records_are_found_and_located_by_pointer() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "survey.json", SURVEY_JSON);
    let corpus = load(dir.path());
    assert_eq!(participant_ids(&corpus), ["R-10", "R-11"]);
    assert_eq!(attribute(&corpus, "R-10", "segment"), Some("SMB"));
    assert_eq!(attribute(&corpus, "R-11", "country"), Some("Chile"));
    assert_eq!(attribute(&corpus, "R-10", "submitted_at"), None);
    let located: Vec<(String, String)> = utterances(&corpus).into_iter().map(|u| (u.0, u.2)).collect();
    assert_eq!(
        located,
        [
            ("R-10".to_string(), "/responses/0/answers/0/answer".to_string()),
            ("R-10".to_string(), "/responses/0/answers/1/answer".to_string()),
            ("R-11".to_string(), "/responses/1/answers/0/answer".to_string()),
        ]
    );
}

#[test]
fn jsonl_reads_lines_and_names_a_bad_one() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "feedback.jsonl", FEEDBACK_JSONL);
    let corpus = load(&dir.path().join("feedback.jsonl"));
    let got = utterances(&corpus);
    assert_eq!((got[0].0.as_str(), got[0].2.as_str()), ("U-1", "line 1"));
    assert_eq!((got[1].0.as_str(), got[1].2.as_str()), ("U-2", "line 3"));
    assert_eq!(attribute(&corpus, "U-2", "plan"), Some("Pro"));

    write(
        dir.path(),
        "broken.ndjson",
        format!("{FEEDBACK_JSONL}{{\"user_id\": \"U-3\", \"comment\": \"unterminated\n"),
    );
    let e = load_path(&dir.path().join("broken.ndjson"), &IngestLimits::default()).unwrap_err();
    assert_eq!(e.line(), Some(4));
    assert!(e.to_string().starts_with("broken.ndjson: line 4: "), "{e}");
}

#[test]
fn chat_logs_and_typeform_responses_keep_only_participant_evidence() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "chat/log.jsonl",
        concat!(
            r#"{"conversation_id": "conv_1", "user_id": "u_1", "role": "assistant", "content": "Hi! What can I help you with today?", "timestamp": "2024-03-02T10:00:00Z"}"#,
            "\n",
            r#"{"conversation_id": "conv_1", "user_id": "u_1", "role": "user", "content": "My income arrives in lumps, so I never know what a normal month is.", "timestamp": "2024-03-02T10:01:00Z"}"#,
            "\n",
            r#"{"conversation_id": "conv_1", "user_id": "u_1", "role": "System", "content": "Conversation handed over to a human agent.", "timestamp": "2024-03-02T10:02:00Z"}"#,
            "\n",
        ),
    );
    write(
        dir.path(),
        "typeform.json",
        r#"{"total_items": 1, "items": [{"token": "tok1", "response_id": "tok1",
            "submitted_at": "2024-03-02T09:06:40Z",
            "metadata": {"browser": "default", "platform": "other", "user_agent": "Mozilla/5.0 (Macintosh)"},
            "hidden": {}, "calculated": {"score": 0},
            "answers": [
              {"field": {"id": "A", "type": "multiple_choice", "ref": "role"}, "type": "choice", "choice": {"label": "Freelance designer"}},
              {"field": {"id": "B", "type": "long_text", "ref": "wish"}, "type": "text", "text": "I wish the app could forecast my cash flow."},
              {"field": {"id": "C", "type": "opinion_scale", "ref": "nps"}, "type": "number", "number": 7},
              {"field": {"id": "D", "type": "email", "ref": "email"}, "type": "email", "email": "a@example.com"}
            ]}]}"#,
    );
    let corpus = load(dir.path());
    assert_eq!(participant_ids(&corpus), ["tok1", "u_1"]);
    assert_eq!(
        utterances(&corpus),
        [
            (
                "u_1".to_string(),
                "chat/log.jsonl".to_string(),
                "line 2".to_string(),
                "My income arrives in lumps, so I never know what a normal month is.".to_string()
            ),
            (
                "tok1".to_string(),
                "typeform.json".to_string(),
                "/items/0/answers/1/text".to_string(),
                "I wish the app could forecast my cash flow.".to_string()
            ),
        ]
    );
    let typeform = &corpus.participants[0].attributes;
    assert_eq!(
        typeform
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [("nps", "7"), ("role", "Freelance designer")]
    );
    assert!(corpus.participants[1].attributes.is_empty());
    assert_eq!(
        corpus.warnings,
        ["chat/log.jsonl: 2 message(s) by assistant, system left out (not participant evidence)"]
    );
}

#[test]
fn yaml_reads_like_json() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "panel.yml", PANEL_YAML);
    let corpus = load(dir.path());
    assert_eq!(attribute(&corpus, "Y2", "role"), Some("Head of Year"));
    let got = utterances(&corpus);
    assert_eq!(got.len(), 3);
    assert_eq!(
        (got[1].0.as_str(), got[1].2.as_str()),
        ("Y1", "/participants/0/goals/1")
    );
    assert_eq!(got[2].2, "/participants/1/pain_points/0");
    assert_eq!(
        normalise_whitespace(&got[2].3),
        "Parents email me at midnight and expect an answer by the morning."
    );
}

#[test]
fn markdown_interview_excludes_interviewer_and_reads_background() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "P004.md", INTERVIEW_MD);
    let corpus = load(dir.path());
    assert_eq!(participant_ids(&corpus), ["P004"]);
    let p = &corpus.participants[0];
    assert_eq!(p.attributes["role"], "Warehouse Supervisor");
    assert_eq!(p.attributes["age"], "46");
    assert_eq!(p.attributes["location"], "Leeds");
    assert!(!p.attributes.contains_key("interview_date"));
    let got: Vec<(String, String)> = utterances(&corpus).into_iter().map(|u| (u.2, u.3)).collect();
    assert_eq!(
        got,
        [
            (
                "line 14".to_string(),
                "I print the pick lists every Monday and pin them next to the loading bay.".to_string()
            ),
            (
                "line 17".to_string(),
                "Half of them are out of date by Wednesday.".to_string()
            ),
            (
                "line 21".to_string(),
                "A tablet that shows live stock would save me hours.".to_string()
            ),
        ]
    );
    assert!(corpus.utterances.iter().all(|u| !u.text.contains('?')));
}

#[test]
fn focus_group_labels_are_participants() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "group.md", FOCUS_GROUP_MD);
    let corpus = load(dir.path());
    assert_eq!(participant_ids(&corpus), ["P1", "P2"]);
    assert_eq!(attribute(&corpus, "P1", "role"), Some("Nurse"));
    assert_eq!(attribute(&corpus, "P2", "role"), Some("Doctor"));
    let got: Vec<(String, String, String)> = utterances(&corpus).into_iter().map(|u| (u.0, u.2, u.3)).collect();
    assert_eq!(
        got,
        [
            (
                "P1".to_string(),
                "line 13".to_string(),
                "Handover notes are never complete, so I re-check every chart myself.".to_string()
            ),
            (
                "P2".to_string(),
                "line 16".to_string(),
                "Paging interrupts every ward round.".to_string()
            ),
            (
                "P1".to_string(),
                "line 18".to_string(),
                "The printers jam twice a day.".to_string()
            ),
        ]
    );
}

#[test]
fn plain_text_without_labels_is_one_participant_by_paragraph() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "driver-12.txt", DIARY_TXT);
    let corpus = load(dir.path());
    assert_eq!(participant_ids(&corpus), ["driver-12"]);
    let got: Vec<(String, String)> = utterances(&corpus).into_iter().map(|u| (u.2, u.3)).collect();
    assert_eq!(
        got,
        [
            (
                "line 1".to_string(),
                "Every morning I check the delivery board before the drivers arrive. Most days two routes have changed overnight."
                    .to_string()
            ),
            (
                "line 4".to_string(),
                "I keep a paper notebook because the app logs me out every hour.".to_string()
            ),
        ]
    );
}

#[test]
fn bad_files_given_directly_are_errors_naming_file_and_line() {
    let dir = TempDir::new().unwrap();
    let limits = IngestLimits::default();
    // Only CSV and TSV fall back to Windows-1252; other formats must be UTF-8.
    write(
        dir.path(),
        "interviews.md",
        b"P1: fine\n\nP2: also fine\n\nP3: caf\xE9 au lait\n",
    );
    let e = load_path(&dir.path().join("interviews.md"), &limits).unwrap_err();
    assert_eq!(
        e.to_string(),
        "interviews.md: line 5: invalid UTF-8 (save the file as UTF-8)"
    );

    write(dir.path(), "empty.md", "  \n\n\t\n");
    let e = load_path(&dir.path().join("empty.md"), &limits).unwrap_err();
    assert_eq!(e.to_string(), "empty.md: empty file");

    write(
        dir.path(),
        "bad.json",
        "[\n  {\"participant_id\": \"P1\",\n   \"quote\": \"ok\"}\n  {\"participant_id\": \"P2\"}\n]\n",
    );
    let e = load_path(&dir.path().join("bad.json"), &limits).unwrap_err();
    assert_eq!(e.to_string(), "bad.json: line 4: expected `,` or `]`");
    match Error::from(e) {
        Error::InvalidInput { details, .. } => {
            assert_eq!(details, serde_json::json!({"file": "bad.json", "line": 4}));
        }
        other => panic!("unexpected {other:?}"),
    }

    write(dir.path(), "notes.pdf", "%PDF-1.7");
    let e = load_path(&dir.path().join("notes.pdf"), &limits).unwrap_err();
    assert!(matches!(e, IngestError::UnsupportedFormat { .. }));

    let missing = dir.path().join("nope");
    let e = load_path(&missing, &limits).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("no such file or directory: {}", missing.display())
    );
}

#[test]
fn a_folder_skips_and_lists_bad_files() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "good.txt",
        "The scanner app freezes whenever the warehouse Wi-Fi drops.\n",
    );
    write(dir.path(), "a-empty.csv", "");
    write(dir.path(), "b-bad.json", "{\n  \"responses\": [\n    oops\n  ]\n}\n");
    write(dir.path(), "c-latin1.md", b"Caf\xE9 notes\n");
    write(dir.path(), "scan.PDF", "%PDF");
    write(dir.path(), "README", "about this folder");
    let corpus = load(dir.path());
    assert_eq!(corpus.sources.len(), 1);
    let skipped: Vec<(&str, &str)> = corpus
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("README", "unsupported format (no extension)"),
            ("a-empty.csv", "empty file"),
            ("b-bad.json", "line 3: expected value"),
            ("c-latin1.md", "line 1: invalid UTF-8 (save the file as UTF-8)"),
            ("scan.PDF", "unsupported format (.PDF)"),
        ]
    );
}

#[test]
fn a_folder_of_only_bad_files_fails_listing_each_reason() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    write(&data, "a.csv", "");
    write(&data, "b.json", "[\n  {\"a\": 1},\n  ,\n]\n");
    write(&data, "c.docx", "PK");
    let e = load_path(&data, &IngestLimits::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: no usable files (a.csv: empty file; b.json: line 3: expected value; c.docx: unsupported format (.docx))",
            data.display()
        )
    );
    match Error::from(e) {
        Error::InvalidInput { details, .. } => {
            assert_eq!(
                details["files"][1],
                serde_json::json!({"file": "b.json", "reason": "line 3: expected value"})
            );
        }
        other => panic!("unexpected {other:?}"),
    }

    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let e = load_path(&empty, &IngestLimits::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("no usable files (the folder holds no supported files"),
        "{e}"
    );
}

#[test]
fn hidden_files_and_folders_are_skipped_silently() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "visible.txt",
        "I reorder stock by phone every morning at six.\n",
    );
    write(dir.path(), ".hidden.txt", "Secret notes that must not be read.\n");
    write(dir.path(), ".git/config.yaml", "not: data\n");
    write(dir.path(), "sub/.DS_Store", b"\x00\x01binary");
    let corpus = load(dir.path());
    assert_eq!(corpus.sources.len(), 1);
    assert_eq!(corpus.sources[0].path, "visible.txt");
    assert!(corpus.skipped.is_empty(), "{:?}", corpus.skipped);
}

/// A sparse file: huge by its metadata, no disk used, and slow to read if anyone tried.
fn sparse(path: &Path, size: u64) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::File::create(path).unwrap().set_len(size).unwrap();
}

const GIB: u64 = 1024 * 1024 * 1024;

#[test]
fn size_limits_are_checked_before_reading() {
    let started = Instant::now();
    let dir = TempDir::new().unwrap();
    let defaults = IngestLimits::default();

    // Per file, given directly: an error naming the file, its size and the limit.
    sparse(&dir.path().join("huge/export.csv"), 64 * GIB);
    let e = load_path(&dir.path().join("huge/export.csv"), &defaults).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "export.csv: {} bytes is over the per-file limit of {} bytes (storage.max_file_bytes)",
            64 * GIB,
            100 * 1024 * 1024
        )
    );
    assert!(matches!(Error::from(e), Error::PayloadTooLarge(_)));

    // Per file, in a folder: skipped and listed, the rest is read.
    write(
        &dir.path().join("huge"),
        "notes.txt",
        "Our returns desk still uses paper forms.\n",
    );
    let corpus = load(&dir.path().join("huge"));
    assert_eq!(corpus.sources.len(), 1);
    assert_eq!(corpus.skipped[0].path, "export.csv");
    assert!(corpus.skipped[0].reason.contains("over the per-file limit"));

    // In total: the load fails naming the file that crosses the limit, before reading any.
    let roomy = IngestLimits {
        max_file_bytes: 100 * GIB,
        max_total_bytes: 100 * GIB,
        confine_to: None,
    };
    let total = dir.path().join("total");
    sparse(&total.join("a.csv"), 64 * GIB);
    sparse(&total.join("b.csv"), 64 * GIB);
    let e = load_path(&total, &roomy).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "b.csv: the data adds up to {} bytes, over the total limit of {} bytes (storage.max_total_bytes)",
            128 * GIB,
            100 * GIB
        )
    );
    assert!(matches!(Error::from(e), Error::PayloadTooLarge(_)));

    // Reading 64 GiB of zeros would take minutes.
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[test]
fn uploads_are_read_like_files() {
    let corpus = load_bytes("interviews.csv", INTERVIEWS_CSV.as_bytes(), &IngestLimits::default()).unwrap();
    assert_eq!(corpus.sources[0].path, "interviews.csv");
    assert_eq!(corpus.utterances.len(), 3);
    let e = load_bytes("feedback.jsonl", b"{\"a\": 1}\nnot json\n", &IngestLimits::default()).unwrap_err();
    assert_eq!(e.line(), Some(2));
    assert!(supported_extensions().contains(&"ndjson"));
}

#[test]
fn loading_is_deterministic() {
    let dir = every_format();
    let first = serde_json::to_string(&load(dir.path())).unwrap();
    let second = serde_json::to_string(&load(dir.path())).unwrap();
    assert_eq!(first, second);
}

/// Reads a JSON or YAML document as JSON, for resolving pointers.
fn document(path: &Path) -> serde_json::Value {
    let text = fs::read_to_string(path).unwrap();
    if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).unwrap()
    } else {
        yaml_serde::from_str(&text).unwrap()
    }
}

#[test]
fn every_utterance_is_verbatim_source_text_at_its_location() {
    let dir = every_format();
    let corpus = load(dir.path());
    assert!(corpus.utterances.len() >= 20, "{}", corpus.utterances.len());
    for utterance in &corpus.utterances {
        let source = corpus.source_path(utterance);
        let path = dir.path().join(source);
        let raw = fs::read_to_string(&path).unwrap();
        let raw = raw.trim_start_matches('\u{feff}');
        // CSV escapes a quote inside a quoted field by doubling it.
        let readable = if source.ends_with(".csv") || source.ends_with(".tsv") {
            raw.replace("\"\"", "\"")
        } else {
            raw.to_string()
        };
        let text = normalise_whitespace(&utterance.text);
        assert!(!text.is_empty());
        assert!(
            normalise_whitespace(&readable).contains(&text),
            "{source} {}: {text:?} is not in the file",
            utterance.location
        );
        if let Some(line) = utterance.location.strip_prefix("line ") {
            let line: usize = line.parse().unwrap();
            let first_word = text.split(' ').next().unwrap();
            let at_line = readable.lines().nth(line - 1).unwrap_or("");
            // Undoubling CSV quotes above changes no line numbers.
            assert!(
                at_line.contains(first_word),
                "{source} {}: {first_word:?} not on that line ({at_line:?})",
                utterance.location
            );
        } else {
            assert!(utterance.location.starts_with('/'), "{}", utterance.location);
            let value = document(&path);
            let at = value
                .pointer(&utterance.location)
                .and_then(|v| v.as_str())
                .unwrap_or_else(|| panic!("{source}: nothing at {}", utterance.location));
            assert_eq!(at.trim(), utterance.text);
        }
    }
}

#[test]
fn otter_captions_and_bracket_transcripts_in_one_folder() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "otter_p01.txt",
        "Budgeting app interview - P01\n\n\
         Sam Taylor  0:01\n\
         What is the hardest part of managing your money?\n\n\
         Amara Okafor  0:10\n\
         My income arrives in lumps,\n\
         so I never know what a normal month looks like.\n\n\
         Sam Taylor  0:41\n\
         Right. What would a budgeting app do for you?\n\n\
         Amara Okafor  0:50\n\
         Forecast my cash flow from unpaid invoices.\n\n\
         Transcribed by https://otter.ai\n",
    );
    write(
        dir.path(),
        "teams_p02.vtt",
        "WEBVTT\n\n\
         a1-0001/12-0\n00:00:01.000 --> 00:00:09.000\n<v Sam Taylor>What is the hardest part?</v>\n\n\
         a1-0010/12-0\n00:00:10.000 --> 00:00:18.000\n<v Grace Jones>I set aside a slice of every invoice</v>\n\n\
         a1-0019/12-0\n00:00:19.000 --> 00:00:27.000\n<v Grace Jones>for quarterly tax payments.</v>\n",
    );
    write(
        dir.path(),
        "bracket_p03.txt",
        "Participant ID: P03\nRole: Freelance designer\n\n\
         [Sam Taylor] How do you track spending in a normal week?\n\n\
         [Participant] Every Friday I reconcile invoices against bank deposits.\n\n\
         [Sam Taylor] Anything else?\n\n\
         [Participant] I photograph receipts and dump them in a folder.\n",
    );
    let corpus = load(dir.path());
    assert_eq!(participant_ids(&corpus), ["Amara Okafor", "Grace Jones", "P03"]);
    assert_eq!(attribute(&corpus, "P03", "role"), Some("Freelance designer"));
    let got = utterances(&corpus);
    let expected = [
        (
            "P03",
            "bracket_p03.txt",
            "line 6",
            "Every Friday I reconcile invoices against bank deposits.",
        ),
        (
            "P03",
            "bracket_p03.txt",
            "line 10",
            "I photograph receipts and dump them in a folder.",
        ),
        (
            "Amara Okafor",
            "otter_p01.txt",
            "line 7",
            "My income arrives in lumps, so I never know what a normal month looks like.",
        ),
        (
            "Amara Okafor",
            "otter_p01.txt",
            "line 14",
            "Forecast my cash flow from unpaid invoices.",
        ),
        (
            "Grace Jones",
            "teams_p02.vtt",
            "cue 00:00:10.000",
            "I set aside a slice of every invoice for quarterly tax payments.",
        ),
    ];
    let expected: Vec<(String, String, String, String)> = expected
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(got, expected);
    // Each utterance starts on the line it names (captions: in the cue it names).
    for (_, source, location, text) in &got {
        let content = fs::read_to_string(dir.path().join(source)).unwrap();
        let line = match location.strip_prefix("cue ") {
            Some(time) => {
                let cue = content
                    .split("\n\n")
                    .find(|block| block.contains(&format!("{time} -->")))
                    .unwrap();
                cue.lines().last().unwrap()
            }
            None => {
                let n: usize = location.strip_prefix("line ").unwrap().parse().unwrap();
                content.lines().nth(n - 1).unwrap()
            }
        };
        let first_words: String = text.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
        assert!(
            normalise_whitespace(line).contains(&first_words),
            "{location}: {line:?}"
        );
    }
    let formats: Vec<&str> = corpus.sources.iter().map(|s| s.format.as_str()).collect();
    assert_eq!(formats, ["text", "text", "subtitles"]);
    assert!(
        corpus
            .warnings
            .iter()
            .any(|w| w.starts_with("\"Sam Taylor\" speaks in every transcript")),
        "{:?}",
        corpus.warnings
    );
    assert!(supported_extensions().contains(&"vtt") && supported_extensions().contains(&"srt"));
}

#[test]
fn qualtrics_and_surveymonkey_exports_are_read_without_their_header_rows() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "qualtrics.csv",
        "StartDate,EndDate,Status,Progress,Finished,ResponseId,RecipientEmail,DistributionChannel,UserLanguage,Q1,Q2\r\n\
         Start Date,End Date,Response Type,Progress,Finished,Response ID,Recipient Email,Distribution Channel,User Language,What slows down your month-end close?,What is your role?\r\n\
         \"{\"\"ImportId\"\":\"\"startDate\"\"}\",\"{\"\"ImportId\"\":\"\"endDate\"\"}\",\"{\"\"ImportId\"\":\"\"status\"\"}\",\"{\"\"ImportId\"\":\"\"progress\"\"}\",\"{\"\"ImportId\"\":\"\"finished\"\"}\",\"{\"\"ImportId\"\":\"\"_recordId\"\"}\",\"{\"\"ImportId\"\":\"\"recipientEmail\"\"}\",\"{\"\"ImportId\"\":\"\"distributionChannel\"\"}\",\"{\"\"ImportId\"\":\"\"userLanguage\"\"}\",\"{\"\"ImportId\"\":\"\"QID1_TEXT\"\"}\",\"{\"\"ImportId\"\":\"\"QID2\"\"}\"\r\n\
         2024-03-02 09:01:11,2024-03-02 09:06:40,IP Address,100,True,R_1aB,,anonymous,EN,\"Chasing receipts from the sales team takes two full days, every month.\",Accountant\r\n\
         2024-03-03 09:02:11,2024-03-03 09:07:40,IP Address,100,True,R_2cD,,anonymous,EN,The bank feed drops transactions so I reconcile by hand.,Controller\r\n\
         2024-03-04 09:03:11,2024-03-04 09:08:40,IP Address,100,True,R_3eF,,anonymous,EN,Approvals wait in someone's inbox while they are on holiday.,Accountant\r\n",
    );
    write(
        dir.path(),
        "surveymonkey.csv",
        "Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,Last Name,Custom Data 1,What slows down your month-end close?,Which tool do you use?,\n\
         ,,,,,,,,,Open-Ended Response,Response,Other (please specify)\n\
         114200009137,431234567,03/02/2024 09:01:11 AM,03/02/2024 09:06:40 AM,81.2.1.3,amara@example.com,Amara,Okafor,,Every supplier sends invoices in a different format.,Xero,\n\
         114200018274,431234567,03/03/2024 09:02:11 AM,03/03/2024 09:07:40 AM,81.2.2.6,,,,,\"Late expense claims, always from the same three people.\",Other,Spreadsheets\n\
         114200027411,431234567,03/04/2024 09:03:11 AM,03/04/2024 09:08:40 AM,81.2.3.9,chloe@example.com,Chloe,Nguyen,,Our auditors ask for the same reports twice.,Xero,\n",
    );
    let corpus = load(dir.path());
    assert_eq!(
        participant_ids(&corpus),
        [
            "114200009137",
            "114200018274",
            "114200027411",
            "R_1aB",
            "R_2cD",
            "R_3eF"
        ]
    );
    let got: Vec<(String, String, String)> = utterances(&corpus)
        .into_iter()
        .map(|(id, source, location, _)| (id, source, location))
        .collect();
    let expected = [
        ("R_1aB", "qualtrics.csv", "line 4"),
        ("R_2cD", "qualtrics.csv", "line 5"),
        ("R_3eF", "qualtrics.csv", "line 6"),
        ("114200009137", "surveymonkey.csv", "line 3"),
        ("114200018274", "surveymonkey.csv", "line 4"),
        ("114200018274", "surveymonkey.csv", "line 4"),
        ("114200027411", "surveymonkey.csv", "line 5"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        corpus.utterances[3].text,
        "Every supplier sends invoices in a different format."
    );
    assert_eq!(
        corpus.utterances[4].text,
        "Late expense claims, always from the same three people."
    );
    // Qualtrics: the question text names the attribute; its own columns are left out.
    let r2 = &corpus.participants.iter().find(|p| p.id == "R_2cD").unwrap().attributes;
    assert_eq!(r2.keys().collect::<Vec<_>>(), ["what_is_your_role"]);
    assert_eq!(r2["what_is_your_role"], "Controller");
    // SurveyMonkey: the second header row is merged; contact details are left out.
    let s2 = &corpus
        .participants
        .iter()
        .find(|p| p.id == "114200018274")
        .unwrap()
        .attributes;
    assert_eq!(
        attribute(&corpus, "114200018274", "which_tool_do_you_use"),
        Some("Other")
    );
    // A write-in is the respondent's own words, not a trait.
    assert_eq!(attribute(&corpus, "114200018274", "which_tool_do_you_use_other"), None);
    assert!(
        corpus
            .utterances
            .iter()
            .any(|u| u.participant_id == "114200018274" && u.text == "Spreadsheets"),
        "{:?}",
        corpus.utterances
    );
    assert_eq!(s2.len(), 1, "{s2:?}");
    assert!(corpus.warnings.is_empty(), "{:?}", corpus.warnings);
}

#[test]
fn a_windows_1252_csv_is_decoded_with_a_warning() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "excel.csv",
        b"Participant;Role;Wish\r\nP01;Designer;I\x92d like a caf\xE9 budget \x96 \x80 20 a week.\r\n",
    );
    let corpus = load(dir.path());
    assert_eq!(
        utterances(&corpus),
        [(
            "P01".to_string(),
            "excel.csv".to_string(),
            "line 2".to_string(),
            "I\u{2019}d like a caf\u{e9} budget \u{2013} \u{20ac} 20 a week.".to_string()
        )]
    );
    assert_eq!(
        corpus.warnings,
        ["excel.csv: decoded as Windows-1252 (not valid UTF-8: first at line 2)"]
    );
}

/// A narrative interview folder: each file has a different interviewer, and Maria, who interviews
/// in one file, is interviewed in the other.
fn narrative_folder(dir: &Path) {
    write(
        dir,
        "a_maria.txt",
        "TOM: Hello, today is April 21st and I'm here with Maria Lopez.\n\n\
         MARIA: Hello.\n\n\
         TOM: I want to start off by asking you to tell me about yourself.\n\n\
         MARIA: I grew up near the river and my father fixed boats, so I spent every summer in his shed.\n\n\
         TOM: Mm-hmm.\n\n\
         MARIA: Later I moved to the city and worked nights at the hospital, which was hard with two small children.\n\n\
         Tom (typed): I want to use the phrase turning point here.\n\n\
         MARIA: The union came in and everything about the shifts changed; we finally had a say in the rota. \
         (Tom's note, added later: the union arrived in 1974.)\n\n\
         TOM: Thank you so much for your time today.\n",
    );
    write(
        dir,
        "b_ken.txt",
        "MARIA: So, let's talk about how you came to the hospital.\n\n\
         KEN: I answered an advert in the paper, the pay was poor but the work was steady and I liked the people.\n\n\
         MARIA: And then?\n\n\
         KEN: After two years they asked me to run the night porters, and I did that until the ward closed.\n\n\
         MARIA: Tell me about the closing.\n\n\
         KEN: It was sudden, we heard on a Friday and by the next month the beds had gone to the new building.\n\n\
         CAPTIONER: I can hear Ken, but not you, Maria.\n",
    );
}

#[test]
fn each_transcript_has_its_own_interviewer_and_staff_lines_are_nobodys_words() {
    let dir = TempDir::new().unwrap();
    narrative_folder(dir.path());
    let corpus = load(dir.path());
    let by_file: Vec<(String, String)> = corpus
        .utterances
        .iter()
        .map(|u| (corpus.source_path(u).to_string(), u.participant_id.clone()))
        .collect();
    // Tom interviews in a_maria.txt (a third of his turns end in "?": none here), Maria in
    // b_ken.txt; the captioner is staff; `Tom (typed)` is Tom.
    assert!(
        by_file.iter().all(|(_, id)| id != "TOM" && id != "CAPTIONER"),
        "{by_file:?}"
    );
    assert!(by_file.contains(&("a_maria.txt".to_string(), "MARIA".to_string())));
    assert!(
        !by_file.contains(&("b_ken.txt".to_string(), "MARIA".to_string())),
        "{by_file:?}"
    );
    assert!(by_file.contains(&("b_ken.txt".to_string(), "KEN".to_string())));
    let ids: Vec<&str> = corpus.participants.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["KEN", "MARIA"]);
    // The note is cut out, the rest kept verbatim; openings and closings are not claims.
    let texts: Vec<&str> = corpus.utterances.iter().map(|u| u.text.as_str()).collect();
    assert!(
        texts
            .iter()
            .all(|t| !t.contains("note, added later") && !t.contains("today is")),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"The union came in and everything about the shifts changed; we finally had a say in the rota.")
    );
    // The answer carries the interviewer's prompt as its question.
    let union = corpus
        .utterances
        .iter()
        .find(|u| u.text.starts_with("The union"))
        .unwrap();
    assert_eq!(
        union.question.as_deref(),
        Some("I want to use the phrase turning point here.")
    );
    let report = &corpus.report;
    assert!(
        report.label_merges.iter().any(|m| m.id == "TOM" && m.merged == ["Tom"]),
        "{report:?}"
    );
    let roles: Vec<(&str, &str)> = report
        .non_participants
        .iter()
        .map(|n| (n.speaker.as_str(), n.role.as_str()))
        .collect();
    assert!(roles.contains(&("TOM", "interviewer")) && roles.contains(&("MARIA", "interviewer")));
    assert!(roles.contains(&("CAPTIONER", "staff")), "{roles:?}");
    assert!(report.staff_lines >= 2, "{report:?}");
}

#[test]
fn named_interviewers_replace_detection() {
    let dir = TempDir::new().unwrap();
    narrative_folder(dir.path());
    let options = IngestOptions {
        interviewers: vec!["ken:".to_string(), "Tom".to_string()],
    };
    let corpus = load_path_with(dir.path(), &IngestLimits::default(), &options).unwrap();
    let ids: Vec<&str> = corpus.participants.iter().map(|p| p.id.as_str()).collect();
    // Maria is read as a participant in both files, Ken is not.
    assert_eq!(ids, ["MARIA"]);
    assert!(
        corpus
            .report
            .non_participants
            .iter()
            .any(|n| n.speaker == "KEN" && n.reason.contains("named as an interviewer by the researcher"))
    );
}

#[test]
fn survey_blank_sessions_metadata_and_long_questions() {
    let dir = TempDir::new().unwrap();
    let mut csv = String::from(
        "Response ID,Time Started,Date Submitted,Status,Which of the following best describes your current role in the organisation you work for today?,\
         \"What, if anything, slows you down when you close the books at the end of every single month?\"\n",
    );
    let roles = ["Accountant", "Controller", "Analyst"];
    for i in 1..=12 {
        let answer = if i % 3 == 0 {
            String::new()
        } else {
            format!("Chasing receipts from team {i} takes most of the week.")
        };
        csv.push_str(&format!(
            "{i},2024-01-0{} 09:00,2024-01-0{} 09:10,{},{},\"{answer}\"\n",
            i % 9 + 1,
            i % 9 + 1,
            if i % 2 == 0 { "Complete" } else { "Partial" },
            roles[i % 3]
        ));
    }
    write(dir.path(), "survey.csv", &csv);
    let corpus = load(dir.path());
    // Sessions 3, 6, 9, 12 answered no open question.
    assert_eq!(corpus.participants.len(), 8);
    assert_eq!(corpus.report.blank_respondents, 4);
    assert_eq!(corpus.report.blank_rows[0].rows, 4);
    for p in &corpus.participants {
        let keys: Vec<&str> = p.attributes.keys().map(String::as_str).collect();
        assert_eq!(keys, ["role_organisation"], "{keys:?}");
    }
    let skipped: Vec<&str> = corpus
        .report
        .skipped_columns
        .iter()
        .map(|c| c.column.as_str())
        .collect();
    for column in ["Time Started", "Date Submitted", "Status"] {
        assert!(skipped.contains(&column), "{skipped:?}");
    }
    assert!(
        corpus.utterances[0]
            .question
            .as_deref()
            .unwrap()
            .starts_with("What, if anything")
    );
}

#[test]
fn issue_exports_are_read_by_author_with_markup_reduced() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "issues.json",
        r#"[
  {"author": {"login": "ilyaza", "is_bot": false}, "number": 7, "state": "OPEN", "labels": [{"name": "bug"}],
   "title": "Hints are cut off", "body": "![Image](https://x/a.png)\n\nThe **hints** on `E` are not shown <img src=\"b.png\">at all."},
  {"author": {"login": "ilyaza", "is_bot": false}, "number": 8, "state": "OPEN", "labels": [],
   "title": "Theme picker", "body": "The theme description should say which features it disables, see [docs](https://d)."},
  {"author": {"login": "renovate-bot", "is_bot": false}, "number": 9, "state": "OPEN", "labels": [],
   "title": "Dependency Dashboard", "body": "This issue lists Renovate updates and detected dependencies."},
  {"author": {"login": "spammer"}, "number": 10, "state": "OPEN", "labels": [], "title": "GONPXWR", "body": "GONPXWR"},
  {"author": {"login": "quiet"}, "number": 11, "state": "CLOSED", "labels": [], "title": "Crash", "body": ""}
]"#,
    );
    let corpus = load(dir.path());
    let ids: Vec<&str> = corpus.participants.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["ilyaza"]);
    assert_eq!(corpus.participants[0].attributes.keys().collect::<Vec<_>>(), ["labels"]);
    let texts: Vec<(&str, &str)> = corpus
        .utterances
        .iter()
        .map(|u| (u.location.as_str(), u.text.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("/0/title", "Hints are cut off"),
            ("/0/body", "The hints on E are not shown at all."),
            ("/1/title", "Theme picker"),
            (
                "/1/body",
                "The theme description should say which features it disables, see docs."
            ),
        ]
    );
    assert_eq!(corpus.report.blank_respondents, 2);
    assert!(
        corpus
            .report
            .non_participants
            .iter()
            .any(|n| n.speaker == "renovate-bot")
    );
}

/// A record's line breaks survive ingest as paragraph breaks, so that sentence splitting sees a
/// bug template's fields, headings and list items apart; a wrapped sentence stays whole.
#[test]
fn record_texts_keep_their_lines_as_paragraphs() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "issues.json",
        r#"[{"author": {"login": "ana"}, "number": 4595, "state": "OPEN", "labels": [], "title": "Emoji key crash",
  "body": "When i hold the emoji key, the keyboard crashes\n- Device: **SM-J260M**\n- OS: **Android 8.1.0**\nif more info is needed, mention me"}]"#,
    );
    write(
        dir.path(),
        "survey.csv",
        "id,What gets in your way?\nr1,\"Device: Pixel 6\nOS: Android 14\n\n\nThe suggestions bar is dark on a light theme, which\nmakes it hard to read.\"\n",
    );
    let corpus = load(dir.path());
    let texts: Vec<&str> = corpus.utterances.iter().map(|u| u.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Emoji key crash",
            "When i hold the emoji key, the keyboard crashes\n\nDevice: SM-J260M\n\nOS: Android 8.1.0\n\nif more info is needed, mention me",
            "Device: Pixel 6\n\nOS: Android 14\n\nThe suggestions bar is dark on a light theme, which makes it hard to read.",
        ]
    );
    // Only the issue body lost markup; the survey answer's whitespace alone changed.
    assert_eq!(corpus.report.markup_reduced, 1);
}

#[test]
fn inspect_lists_participants_non_participants_and_why() {
    let dir = TempDir::new().unwrap();
    narrative_folder(dir.path());
    let corpus = load(dir.path());
    let inspection = persona::ingest::inspect::inspect(&corpus);
    assert_eq!(inspection.participants.len(), 2);
    let text = persona::ingest::inspect::render_text(&inspection);
    assert!(text.contains("Participants (2):"), "{text}");
    assert!(text.contains("\"TOM\" as interviewer"), "{text}");
    assert!(text.contains("\"CAPTIONER\" as staff"), "{text}");
    assert!(text.contains("\"TOM\" ← \"Tom\""), "{text}");
}
