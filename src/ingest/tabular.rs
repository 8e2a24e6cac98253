//! CSV and TSV: a header row, then one record per row. The delimiter is detected; the
//! participant column is found by name; every other column is classified by
//! [`fields::classify`] as attribute, free text or left out. Survey exports with extra header
//! rows (Qualtrics, SurveyMonkey) are recognised and their header rows merged.

use super::error::IngestError;
use super::fields::{self, Role, ValueStats};
use super::records::FileRecords;
use csv::{ReaderBuilder, StringRecord};
use std::collections::HashSet;

/// Qualtrics' own columns (compared as [`fields::compact`] names), left out of its exports.
const QUALTRICS_METADATA: &[&str] = &[
    "startdate",
    "enddate",
    "status",
    "ipaddress",
    "progress",
    "durationinseconds",
    "finished",
    "recordeddate",
    "recipientlastname",
    "recipientfirstname",
    "recipientemail",
    "externalreference",
    "locationlatitude",
    "locationlongitude",
    "distributionchannel",
    "userlanguage",
];
/// SurveyMonkey's own columns, left out of its exports.
const SURVEYMONKEY_METADATA: &[&str] = &[
    "collectorid",
    "startdate",
    "enddate",
    "ipaddress",
    "emailaddress",
    "firstname",
    "lastname",
    "customdata1",
];
/// SurveyMonkey's second-row labels meaning "the answer to the question above".
const SURVEYMONKEY_ANSWER_LABELS: &[&str] = &["response", "openendedresponse"];
/// Longest choice in a `;`-separated list of choices (a checkbox question) read as an attribute.
const MAX_CHOICE_CHARS: usize = 40;
const MAX_CHOICE_WORDS: usize = 5;
/// Most distinct choices in such a column.
const MAX_CHOICES: usize = 20;

const CANDIDATE_DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];
/// Lines of the file looked at to detect the delimiter.
const SNIFF_LINES: usize = 50;
/// Longest participant id accepted in a column found by name; longer values mean the column
/// holds something else.
const MAX_ID_CHARS: usize = 100;

/// Reads a CSV (delimiter detected) or TSV file. `row_prefix` names participants of files
/// without a participant column: `<row_prefix>-row<N>`.
pub(crate) fn parse(file: &str, row_prefix: &str, text: &str, tab_separated: bool) -> Result<FileRecords, IngestError> {
    let (headers, mut rows) = read_rows(file, text, tab_separated)?;
    let survey = SurveyHeader::detect(&headers, &rows);
    let names = column_names(&survey.header);
    let metadata: Vec<bool> = headers
        .iter()
        .map(|name| survey.metadata.contains(&fields::compact(name).as_str()))
        .collect();
    rows.drain(..survey.extra_rows);
    if rows.is_empty() {
        return Err(IngestError::invalid(file, None, "no rows after the header"));
    }

    let mut out = FileRecords::default();
    let id_column = find_participant_column(&names, &rows);
    let key_of_column = attribute_keys(&names);
    let seen = observe_rows(&rows, &names, id_column, row_prefix, &mut out);
    let separators = choice_separators(&names, &seen);
    let columns = Columns {
        names: &names,
        id_column,
        metadata: &metadata,
        stats: &seen.stats,
    };
    let roles = columns.roles(&separators);
    columns.note_skipped(&roles, &mut out);

    // Second pass: attributes and utterances, in file order.
    for ((line, _, record), &participant) in rows.iter().zip(&seen.row_participant) {
        let mut location = None;
        for (column, value) in record.iter().enumerate().take(names.len()) {
            match (roles[column], separators[column]) {
                (Role::Attribute, Some(separator)) => {
                    let value = value.split(separator).map(str::trim).filter(|c| !c.is_empty());
                    let value = value.collect::<Vec<_>>().join("; ");
                    out.set_attribute(participant, &key_of_column[column], &value);
                }
                (Role::Attribute, None) => out.set_attribute(participant, &key_of_column[column], value),
                (Role::Text, _) if !value.trim().is_empty() => {
                    let location = location.get_or_insert_with(|| format!("line {line}"));
                    out.add_answer(participant, location.clone(), value, Some(&names[column]));
                }
                _ => {}
            }
        }
    }
    seen.warn(&names, id_column, &mut out);
    if out.utterances.is_empty() {
        out.no_text_reason = Some(describe_columns(&names, &roles, id_column));
    }
    Ok(out)
}

/// A data row: its 1-based line, its record number, its fields.
type Row = (u64, u64, StringRecord);

/// The header and the non-blank rows, with the delimiter declared (`sep=;`) or detected.
fn read_rows(file: &str, text: &str, tab_separated: bool) -> Result<(StringRecord, Vec<Row>), IngestError> {
    // Spreadsheet programs may write the delimiter on a first line of its own: `sep=;`.
    let (declared, text, line_offset) = match text.split_once('\n') {
        Some((first, rest)) if first.trim_end().len() == 5 && first.starts_with("sep=") => {
            (first.as_bytes().get(4).copied(), rest, 1)
        }
        _ => (None, text, 0),
    };
    let delimiter = match declared {
        Some(delimiter) => delimiter,
        None if tab_separated => b'\t',
        None => detect_delimiter(text),
    };
    let mut reader = ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| csv_error(file, &e))?.clone();

    let newlines: Vec<usize> = text.match_indices('\n').map(|(at, _)| at).collect();
    let mut rows: Vec<Row> = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| csv_error(file, &e))?;
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let position = record.position().expect("records read from a reader have a position");
        // From the byte offset (csv counts lines ended by `\r\n` one short); a record reported at
        // the `\n` ending the previous line starts after it.
        let line = newlines.partition_point(|&at| at <= position.byte() as usize) as u64 + 1;
        rows.push((line + line_offset, position.record(), record));
    }
    Ok((headers, rows))
}

/// Attribute keys: short and readable; two long questions shortened alike stay apart.
fn attribute_keys(names: &[String]) -> Vec<String> {
    let mut key_of_column: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let base = fields::attribute_key(name);
        let mut key = base.clone();
        let mut n = 2;
        while key_of_column.contains(&key) {
            key = format!("{base}_{n}");
            n += 1;
        }
        key_of_column.push(key);
    }
    key_of_column
}

/// What the first pass over the rows found: whose each row is, and what the columns look like.
struct SeenRows {
    row_participant: Vec<usize>,
    stats: Vec<ValueStats>,
    choices: Vec<ChoiceStats>,
    /// Google Forms joins a checkbox question's choices with `, `.
    comma_choices: Vec<ChoiceStats>,
    rows_without_id: usize,
    ragged_first_line: Option<u64>,
    ragged_rows: usize,
}

fn observe_rows(
    rows: &[Row],
    names: &[String],
    id_column: Option<usize>,
    row_prefix: &str,
    out: &mut FileRecords,
) -> SeenRows {
    let mut seen = SeenRows {
        row_participant: Vec::with_capacity(rows.len()),
        stats: names.iter().map(|_| ValueStats::default()).collect(),
        choices: names.iter().map(|_| ChoiceStats::default()).collect(),
        comma_choices: names.iter().map(|_| ChoiceStats::with_separator(", ")).collect(),
        rows_without_id: 0,
        ragged_first_line: None,
        ragged_rows: 0,
    };
    for (line, record_number, record) in rows {
        let id = id_column.and_then(|c| record.get(c)).map(str::trim).unwrap_or("");
        let participant = if id.is_empty() {
            if id_column.is_some() {
                seen.rows_without_id += 1;
            }
            out.participant(&format!("{row_prefix}-row{record_number}"))
        } else {
            out.participant(id)
        };
        seen.row_participant.push(participant);
        if record.len() != names.len() {
            seen.ragged_rows += 1;
            seen.ragged_first_line.get_or_insert(*line);
        }
        for (column, value) in record.iter().enumerate().take(names.len()) {
            let value = value.trim();
            if Some(column) != id_column && !value.is_empty() {
                seen.stats[column].observe(participant, value);
                seen.choices[column].observe(value);
                seen.comma_choices[column].observe(value);
            }
        }
    }
    seen
}

impl SeenRows {
    /// Rows without an id, rows with a different number of fields than the header.
    fn warn(&self, names: &[String], id_column: Option<usize>, out: &mut FileRecords) {
        let rows_without_id = self.rows_without_id;
        if rows_without_id > 0 {
            out.warnings.push(format!(
                "{rows_without_id} row(s) have no value in column \"{}\"; each was read as its own participant",
                names[id_column.unwrap_or(0)]
            ));
        }
        if let Some(line) = self.ragged_first_line {
            out.warnings.push(format!(
                "{} row(s) have a different number of fields than the header's {} (first at line {line})",
                self.ragged_rows,
                names.len()
            ));
        }
    }
}

/// The separator of each checkbox column's choices (`None`: not a list of choices).
fn choice_separators(names: &[String], seen: &SeenRows) -> Vec<Option<&'static str>> {
    names
        .iter()
        .zip(seen.choices.iter().zip(&seen.comma_choices))
        .map(|(name, (semicolon, comma))| {
            if fields::is_ignored_name(name) {
                None
            } else if semicolon.is_choice_list() {
                Some(";")
            } else if comma.is_choice_list() {
                Some(", ")
            } else {
                None
            }
        })
        .collect()
}

/// The columns as the roles are decided on them.
struct Columns<'a> {
    names: &'a [String],
    id_column: Option<usize>,
    /// Survey platform metadata (by the survey header).
    metadata: &'a [bool],
    stats: &'a [ValueStats],
}

impl Columns<'_> {
    fn is_metadata(&self, column: usize) -> bool {
        self.metadata.get(column).copied().unwrap_or(false)
    }

    fn roles(&self, separators: &[Option<&str>]) -> Vec<Role> {
        let mut roles: Vec<Role> = self
            .names
            .iter()
            .zip(self.stats)
            .enumerate()
            .map(|(column, (name, stats))| {
                if Some(column) == self.id_column
                    || self.is_metadata(column)
                    || fields::is_platform_metadata(name, stats)
                {
                    Role::Ignore
                } else if separators[column].is_some() {
                    Role::Attribute
                } else {
                    match fields::classify(name, stats) {
                        Role::Attribute if stats.is_constant() => Role::Ignore,
                        role => role,
                    }
                }
            })
            .collect();
        self.read_numbered_answers_alike(&mut roles);
        roles
    }

    /// A question answered over several columns (`Tool #1:…`, `Tool #2:…`) is read alike: if
    /// one of them holds free text, they all do.
    fn read_numbered_answers_alike(&self, roles: &mut [Role]) {
        let stem = |name: &str| ANSWER_NUMBER.replace_all(name, "#").into_owned();
        let text_stems: HashSet<String> = self
            .names
            .iter()
            .zip(roles.iter())
            .filter(|(name, role)| **role == Role::Text && ANSWER_NUMBER.is_match(name))
            .map(|(name, _)| stem(name))
            .collect();
        for (column, name) in self.names.iter().enumerate() {
            if roles[column] == Role::Ignore
                && Some(column) != self.id_column
                && !self.stats[column].is_empty()
                && !fields::is_ignored_name(name)
                && !self.is_metadata(column)
                && ANSWER_NUMBER.is_match(name)
                && text_stems.contains(&stem(name))
            {
                roles[column] = Role::Text;
            }
        }
    }

    /// Says why each ignored column (but the id's) was not read.
    fn note_skipped(&self, roles: &[Role], out: &mut FileRecords) {
        for (column, name) in self.names.iter().enumerate() {
            if roles[column] != Role::Ignore || Some(column) == self.id_column {
                continue;
            }
            let stats = &self.stats[column];
            let reason = if self.is_metadata(column) || fields::is_platform_metadata(name, stats) {
                "survey platform metadata"
            } else if stats.is_empty() {
                "empty"
            } else if stats.is_constant() {
                "the same answer from every respondent (a consent box or a form constant)"
            } else if fields::is_ignored_name(name) {
                "a date, id, contact, interviewer prompt or coding (by name)"
            } else {
                "neither a short trait nor free text"
            };
            out.skipped_columns.push((name.clone(), reason.to_string()));
        }
    }
}

/// The header of a survey tool's export: Qualtrics writes column ids, then the question texts,
/// then a row of `{"ImportId":…}` cells; SurveyMonkey writes the questions (blank over the
/// further columns of a question), then a row of sub-headers (`Response`, `Open-Ended
/// Response`, choice labels). Other files have one header row.
#[derive(Debug)]
struct SurveyHeader {
    /// Column names before deduplication.
    header: StringRecord,
    /// Records after the header row that are header rows too.
    extra_rows: usize,
    /// The tool's own columns, left out.
    metadata: &'static [&'static str],
}

impl SurveyHeader {
    fn detect(headers: &StringRecord, rows: &[(u64, u64, StringRecord)]) -> SurveyHeader {
        let record = |i: usize| rows.get(i).map(|(_, _, record)| record);
        if record(1).is_some_and(is_import_id_row) {
            let questions = &rows[0].2;
            let header = headers
                .iter()
                .enumerate()
                .map(|(column, id)| {
                    let question = questions.get(column).unwrap_or("").trim();
                    let question = question.strip_suffix(" - Selected Choice").unwrap_or(question);
                    let keep_id = question.is_empty()
                        || QUALTRICS_METADATA.contains(&fields::compact(id).as_str())
                        || fields::participant_field_rank(id).is_some();
                    if keep_id { id } else { question }
                })
                .collect();
            return SurveyHeader {
                header,
                extra_rows: 2,
                metadata: QUALTRICS_METADATA,
            };
        }
        if record(0).is_some_and(is_import_id_row) {
            return SurveyHeader {
                header: headers.clone(),
                extra_rows: 1,
                metadata: QUALTRICS_METADATA,
            };
        }
        if let Some(sub) = record(0).filter(|sub| is_sub_header_row(headers, sub)) {
            let mut question = "";
            let header = headers
                .iter()
                .enumerate()
                .map(|(column, name)| {
                    let name = name.trim();
                    if !name.is_empty() {
                        question = name;
                    }
                    let label = sub.get(column).unwrap_or("").trim();
                    if label.is_empty() || SURVEYMONKEY_ANSWER_LABELS.contains(&fields::compact(label).as_str()) {
                        name.to_string()
                    } else if question.is_empty() {
                        label.to_string()
                    } else {
                        format!("{question} - {label}")
                    }
                })
                .collect::<Vec<_>>();
            return SurveyHeader {
                header: StringRecord::from(header),
                extra_rows: 1,
                metadata: SURVEYMONKEY_METADATA,
            };
        }
        SurveyHeader {
            header: headers.clone(),
            extra_rows: 0,
            metadata: &[],
        }
    }
}

/// Qualtrics' third header row: most non-empty cells are `{"ImportId":…}`.
fn is_import_id_row(record: &StringRecord) -> bool {
    let cells: Vec<&str> = record.iter().map(str::trim).filter(|c| !c.is_empty()).collect();
    let import_ids = cells.iter().filter(|c| c.starts_with("{\"ImportId\"")).count();
    import_ids > 0 && import_ids * 2 > cells.len()
}

/// SurveyMonkey's second header row: in a file with SurveyMonkey's `Respondent ID` column,
/// `Response` or `Open-Ended Response` under a question, no value under the participant column,
/// and nothing long. (A plain CSV whose first answer happens to be "Response" keeps its row.)
fn is_sub_header_row(headers: &StringRecord, record: &StringRecord) -> bool {
    let surveymonkey = headers.iter().any(|name| fields::compact(name) == "respondentid");
    let answer_label = record
        .iter()
        .any(|cell| SURVEYMONKEY_ANSWER_LABELS.contains(&fields::compact(cell).as_str()));
    let no_id = headers
        .iter()
        .zip(record.iter())
        .all(|(name, cell)| fields::participant_field_rank(name).is_none() || cell.trim().is_empty());
    surveymonkey && answer_label && no_id && record.iter().all(|cell| cell.chars().count() <= MAX_ID_CHARS)
}

/// What a column's values look like as `;`-separated lists of choices (Google Forms' checkbox
/// questions: `Invoice tracking;Tax pots`).
#[derive(Debug, Default)]
struct ChoiceStats {
    /// `;` when `None`; `, ` for Google Forms' lists, whose choices may be longer but must
    /// recur more (prose has commas too).
    separator: Option<&'static str>,
    values: usize,
    lists: usize,
    choices: usize,
    long: bool,
    distinct: HashSet<String>,
}

impl ChoiceStats {
    fn with_separator(separator: &'static str) -> ChoiceStats {
        ChoiceStats {
            separator: Some(separator),
            ..ChoiceStats::default()
        }
    }

    fn observe(&mut self, value: &str) {
        let separator = self.separator.unwrap_or(";");
        // Comma-joined choices may be short sentences (`I am a parent/ guardian of someone …`).
        let (max_chars, max_words) = if self.separator.is_some() {
            (60, 10)
        } else {
            (MAX_CHOICE_CHARS, MAX_CHOICE_WORDS)
        };
        self.values += 1;
        if value.contains(separator) {
            self.lists += 1;
        }
        if self.long || self.distinct.len() > MAX_CHOICES {
            return;
        }
        for choice in value.split(separator).map(str::trim).filter(|c| !c.is_empty()) {
            self.choices += 1;
            if choice.chars().count() > max_chars || choice.split_whitespace().count() > max_words {
                self.long = true;
                return;
            }
            self.distinct.insert(choice.to_lowercase());
        }
    }

    /// Mostly lists, of short choices from a small set that recur across rows.
    fn is_choice_list(&self) -> bool {
        if self.separator.is_some() {
            // Each choice recurs three times on average, in a file of some size.
            return self.lists * 4 >= self.values
                && self.values >= 10
                && !self.long
                && self.distinct.len() <= 12
                && self.distinct.len() * 3 <= self.choices;
        }
        self.lists > 0
            && self.lists * 2 >= self.values
            && !self.long
            && self.distinct.len() <= MAX_CHOICES
            && self.distinct.len() < self.choices
    }
}

/// The number of one of several answers to a question: `Tool #1:`, `Need #2`.
static ANSWER_NUMBER: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"#\s*\d+").expect("answer number"));

/// Header names, trimmed; blank ones become `column_N` and repeated ones get a `_N` suffix so
/// that attribute keys stay distinct.
fn column_names(headers: &StringRecord) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(headers.len());
    let mut keys: HashSet<String> = HashSet::with_capacity(headers.len());
    for (i, header) in headers.iter().enumerate() {
        let base = match header.trim() {
            "" => format!("column_{}", i + 1),
            name => name.to_string(),
        };
        let mut name = base.clone();
        let mut n = 2;
        while !keys.insert(fields::snake_case(&name)) {
            name = format!("{base}_{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// The most specific participant column whose values look like ids (not long text).
fn find_participant_column(names: &[String], rows: &[(u64, u64, StringRecord)]) -> Option<usize> {
    let mut candidates: Vec<(usize, usize)> = names
        .iter()
        .enumerate()
        .filter_map(|(column, name)| fields::participant_field_rank(name).map(|rank| (rank, column)))
        .collect();
    candidates.sort_unstable();
    candidates.into_iter().map(|(_, column)| column).find(|&column| {
        let mut any = false;
        let short = rows.iter().all(|(_, _, record)| {
            let value = record.get(column).unwrap_or("").trim();
            any |= !value.is_empty();
            value.chars().count() <= MAX_ID_CHARS
        });
        any && short
    })
}

/// The delimiter under which the header has at least two fields and the following rows have
/// the same number of fields as the header most often; ties go to more fields, then to the
/// order comma, tab, semicolon, pipe.
fn detect_delimiter(text: &str) -> u8 {
    let (sample, complete) = match text.match_indices('\n').nth(SNIFF_LINES - 1) {
        Some((end, _)) => (&text[..=end], false),
        None => (text, true),
    };
    let mut best: Option<(u64, usize, u8)> = None;
    for &delimiter in &CANDIDATE_DELIMITERS {
        let mut reader = ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample.as_bytes());
        let mut counts: Vec<usize> = reader.records().map_while(Result::ok).map(|r| r.len()).collect();
        if !complete && counts.len() > 1 {
            // The sample may end inside a record.
            counts.pop();
        }
        let Some((&header, data)) = counts.split_first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let consistent = if data.is_empty() {
            1000
        } else {
            (data.iter().filter(|&&n| n == header).count() * 1000 / data.len()) as u64
        };
        let better = match best {
            None => true,
            Some((best_consistent, best_fields, _)) => (consistent, header) > (best_consistent, best_fields),
        };
        if better {
            best = Some((consistent, header, delimiter));
        }
    }
    best.map_or(b',', |(_, _, delimiter)| delimiter)
}

fn csv_error(file: &str, e: &csv::Error) -> IngestError {
    let line = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
        _ => {
            let text = e.to_string();
            // Drop csv's own position prefix: the line is reported separately.
            match text.split_once("): ") {
                Some((_, rest)) if text.starts_with("CSV ") => rest.to_string(),
                _ => text,
            }
        }
    };
    IngestError::invalid(file, line, message)
}

/// Why a file gave no text, naming how its columns were read.
fn describe_columns(names: &[String], roles: &[Role], id_column: Option<usize>) -> String {
    let list = |role: Role| {
        names
            .iter()
            .zip(roles)
            .enumerate()
            .filter(|&(column, (_, &r))| r == role && Some(column) != id_column)
            .map(|(_, (name, _))| name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let attributes = list(Role::Attribute);
    let ignored = list(Role::Ignore);
    let mut reason = "no column holds free text".to_string();
    if !attributes.is_empty() {
        reason.push_str(&format!("; attributes: {attributes}"));
    }
    if !ignored.is_empty() {
        reason.push_str(&format!("; left out: {ignored}"));
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_delimiters() {
        assert_eq!(detect_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(detect_delimiter("a\tb\tc\n1\t2, x\t3\n"), b'\t');
        assert_eq!(
            detect_delimiter("id;role;text\nP1;Nurse;I think, honestly, it is slow\nP2;Doctor;Fine, mostly\n"),
            b';'
        );
        assert_eq!(detect_delimiter("id|text\nP1|hello, world\n"), b'|');
        assert_eq!(detect_delimiter("feedback\nsingle column\n"), b',');
    }

    #[test]
    fn multi_line_quoted_fields_keep_the_starting_line() {
        let text = "participant_id,role,transcript\n\
                    P1,Nurse,\"I start every shift by checking the handover notes,\nwhich are often incomplete and late.\"\n\
                    P2,Doctor,\"The paging system interrupts me constantly during rounds and I lose track.\"\n";
        let records = parse("t.csv", "t", text, false).unwrap();
        let got = records.texts();
        assert_eq!(got[0].0, "P1");
        assert_eq!(got[0].1, "line 2");
        assert!(got[0].2.contains("handover notes,\nwhich"));
        assert_eq!(got[1].1, "line 4");
        assert_eq!(records.attributes[0]["role"], "Nurse");
    }

    #[test]
    fn a_declared_separator_line_is_honoured() {
        let text = "sep=;\nparticipant_id;quote\nP1;Refunds take two weeks, sometimes three.\n";
        let records = parse("x.csv", "x", text, false).unwrap();
        assert_eq!(
            records.texts(),
            [(
                "P1".into(),
                "line 3".into(),
                "Refunds take two weeks, sometimes three.".into()
            )]
        );
    }

    #[test]
    fn rows_without_participant_column_are_their_own_participants() {
        let text = "feedback\nThe export button is hidden behind three menus.\nSearch never finds old invoices.\n";
        let records = parse("fb.csv", "fb", text, false).unwrap();
        assert_eq!(records.ids, ["fb-row1", "fb-row2"]);
    }

    #[test]
    fn a_file_without_text_columns_says_so() {
        let text = "participant_id,role,age\nP1,Nurse,34\nP2,Doctor,51\n";
        let records = parse("d.csv", "d", text, false).unwrap();
        assert!(records.utterances.is_empty());
        assert_eq!(records.attributes[1]["age"], "51");
        assert_eq!(
            records.no_text_reason.as_deref(),
            Some("no column holds free text; attributes: role, age")
        );
    }

    #[test]
    fn header_only_is_an_error() {
        let e = parse("h.csv", "h", "participant_id,quote\n", false).unwrap_err();
        assert_eq!(e.to_string(), "h.csv: no rows after the header");
    }

    const QUALTRICS: &str = "StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,ResponseId,LocationLatitude,UserLanguage,Q1,Q2,Q3\n\
        Start Date,End Date,Response Type,IP Address,Progress,Duration (in seconds),Finished,Response ID,Location Latitude,User Language,What is the hardest part of managing money?,Which of these best describes you? - Selected Choice,What is your age?\n\
        \"{\"\"ImportId\"\":\"\"startDate\"\"}\",\"{\"\"ImportId\"\":\"\"endDate\"\"}\",\"{\"\"ImportId\"\":\"\"status\"\"}\",\"{\"\"ImportId\"\":\"\"ipAddress\"\"}\",\"{\"\"ImportId\"\":\"\"progress\"\"}\",\"{\"\"ImportId\"\":\"\"duration\"\"}\",\"{\"\"ImportId\"\":\"\"finished\"\"}\",\"{\"\"ImportId\"\":\"\"_recordId\"\"}\",\"{\"\"ImportId\"\":\"\"locationLatitude\"\"}\",\"{\"\"ImportId\"\":\"\"userLanguage\"\"}\",\"{\"\"ImportId\"\":\"\"QID1_TEXT\"\"}\",\"{\"\"ImportId\"\":\"\"QID2\"\"}\",\"{\"\"ImportId\"\":\"\"QID3\"\"}\"\n\
        2024-03-02 09:01:11,2024-03-02 09:06:40,IP Address,81.2.1.3,100,300,True,R_ieQh524yNg5by1a,51.40,EN,\"My income arrives in lumps, so I never know what a normal month looks like.\",Freelancer,30-39\n\
        2024-03-03 09:02:11,2024-03-03 09:07:40,IP Address,81.2.2.6,100,337,True,R_2ROgubbb8ayN1b7,51.41,EN,Neither of us knows what the other bought for the kids last week.,Parent,40-49\n\
        2024-03-04 09:03:11,2024-03-04 09:08:40,IP Address,81.2.3.9,100,374,True,R_O259OwOO3Sb09gL,51.42,EN,Someone always forgets to pay their share of the wifi bill.,Student,30-39\n";

    #[test]
    fn qualtrics_header_rows_are_skipped_and_question_texts_name_attributes() {
        let records = parse("q.csv", "q", QUALTRICS, false).unwrap();
        assert_eq!(
            records.ids,
            ["R_ieQh524yNg5by1a", "R_2ROgubbb8ayN1b7", "R_O259OwOO3Sb09gL"]
        );
        assert_eq!(
            records.texts(),
            [
                (
                    "R_ieQh524yNg5by1a".into(),
                    "line 4".into(),
                    "My income arrives in lumps, so I never know what a normal month looks like.".into()
                ),
                (
                    "R_2ROgubbb8ayN1b7".into(),
                    "line 5".into(),
                    "Neither of us knows what the other bought for the kids last week.".into()
                ),
                (
                    "R_O259OwOO3Sb09gL".into(),
                    "line 6".into(),
                    "Someone always forgets to pay their share of the wifi bill.".into()
                ),
            ]
        );
        // Qualtrics' own columns (status, progress, language …) are left out.
        let keys: Vec<&str> = records.attributes[0].keys().map(String::as_str).collect();
        assert_eq!(keys, ["what_is_your_age", "which_of_these_best_describes_you"]);
        assert_eq!(records.attributes[1]["which_of_these_best_describes_you"], "Parent");
        assert_eq!(records.attributes[2]["what_is_your_age"], "30-39");
        assert!(records.warnings.is_empty(), "{:?}", records.warnings);
    }

    #[test]
    fn qualtrics_import_id_row_right_after_the_ids_is_skipped() {
        let text = "ResponseId,Status,Q1\n\
                    \"{\"\"ImportId\"\":\"\"_recordId\"\"}\",\"{\"\"ImportId\"\":\"\"status\"\"}\",\"{\"\"ImportId\"\":\"\"QID1_TEXT\"\"}\"\n\
                    R_1,IP Address,The bank app hides my pending payments until the next day.\n";
        let records = parse("q.csv", "q", text, false).unwrap();
        assert_eq!(records.ids, ["R_1"]);
        assert_eq!(records.texts()[0].1, "line 3");
        assert!(records.attributes[0].is_empty());
    }

    const SURVEYMONKEY: &str = "Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,Last Name,Custom Data 1,What is the hardest part of managing your money?,Which of these best describes you?,,How old are you?\n\
        ,,,,,,,,,Open-Ended Response,Response,Other (please specify),Response\n\
        114200009137,431234567,03/02/2024 09:01:11 AM,03/02/2024 09:06:40 AM,81.2.1.3,amara@example.com,Amara,Okafor,,\"My income arrives in lumps, so I never know what a normal month looks like.\",Freelancer,,30-39\n\
        114200018274,431234567,03/03/2024 09:02:11 AM,03/03/2024 09:07:40 AM,81.2.2.6,,,,,Neither of us knows what the other bought for the kids last week.,Other,Carer,40-49\n\
        114200027411,431234567,03/04/2024 09:03:11 AM,03/04/2024 09:08:40 AM,81.2.3.9,chloe@example.com,Chloe,Nguyen,,Someone always forgets to pay their share of the wifi bill.,Student,,30-39\n";

    #[test]
    fn surveymonkey_sub_headers_are_merged_into_the_header() {
        let records = parse("s.csv", "s", SURVEYMONKEY, false).unwrap();
        assert_eq!(records.ids, ["114200009137", "114200018274", "114200027411"]);
        let texts = records.texts();
        let got: Vec<(&str, &str)> = texts.iter().map(|(id, line, _)| (id.as_str(), line.as_str())).collect();
        assert_eq!(
            got,
            [
                ("114200009137", "line 3"),
                ("114200018274", "line 4"),
                ("114200018274", "line 4"),
                ("114200027411", "line 5")
            ]
        );
        // A write-in (`Other (please specify)`) is the respondent's words, with its question.
        assert_eq!(texts[2].2, "Carer");
        assert_eq!(
            records.utterances[2].question.as_deref(),
            Some("Which of these best describes you? - Other (please specify)")
        );
        assert_eq!(
            texts[1].2,
            "Neither of us knows what the other bought for the kids last week."
        );
        // Collector, dates, contact details and names are left out.
        let keys: Vec<&str> = records.attributes[1].keys().map(String::as_str).collect();
        assert_eq!(keys, ["how_old_are_you", "which_of_these_best_describes_you"]);
        assert_eq!(records.attributes[0]["which_of_these_best_describes_you"], "Freelancer");
        assert!(!records.attributes[0].contains_key("first_name"));
    }

    #[test]
    fn a_plain_csv_whose_first_answer_is_response_keeps_its_row() {
        let text = "participant_id,stage,comment\n,Response,I never got a confirmation e-mail after paying.\n\
                    P2,Review,The receipt arrived a week later than the charge.\n";
        let records = parse("f.csv", "f", text, false).unwrap();
        assert_eq!(records.utterances.len(), 2, "{:?}", records.texts());
        let headers = StringRecord::from(vec!["channel", "comment"]);
        let record = StringRecord::from(vec!["Response", "Email"]);
        assert!(!is_sub_header_row(&headers, &record));
    }

    #[test]
    fn surveymonkey_merged_header_names() {
        let headers = StringRecord::from(vec!["Respondent ID", "Pick tools", "", "Why?"]);
        let rows = vec![(
            2,
            1,
            StringRecord::from(vec!["", "Excel", "Other (please specify)", "Open-Ended Response"]),
        )];
        let survey = SurveyHeader::detect(&headers, &rows);
        assert_eq!(survey.extra_rows, 1);
        let names: Vec<&str> = survey.header.iter().collect();
        assert_eq!(
            names,
            [
                "Respondent ID",
                "Pick tools - Excel",
                "Pick tools - Other (please specify)",
                "Why?"
            ]
        );
        // An ordinary first row that happens to say "Response" is data.
        let rows = vec![(2, 1, StringRecord::from(vec!["P1", "Response", "", "Slow"]))];
        assert_eq!(SurveyHeader::detect(&headers, &rows).extra_rows, 0);
    }

    #[test]
    fn checkbox_choice_lists_are_attributes() {
        let text = "Timestamp,Email Address,What is the hardest part of managing your money?,Which features would you use? (tick all that apply)\n\
                    2/03/2024 09:01:11,a@example.com,My income arrives in lumps so I never know what a month looks like.,Invoice tracking;Tax pots;Cash-flow forecast\n\
                    3/03/2024 09:02:11,b@example.com,Neither of us knows what the other bought for the kids.,Shared budgets;Bill reminders\n\
                    4/03/2024 09:03:11,c@example.com,Someone always forgets to pay their share of the wifi.,Bill reminders;Invoice tracking\n\
                    5/03/2024 09:04:11,d@example.com,I never know how much tax I should put aside each quarter.,Tax pots\n";
        let records = parse("g.csv", "g", text, false).unwrap();
        assert_eq!(records.ids, ["g-row1", "g-row2", "g-row3", "g-row4"]);
        assert_eq!(records.texts()[2].1, "line 4");
        assert_eq!(
            records.texts()[2].2,
            "Someone always forgets to pay their share of the wifi."
        );
        let key = "which_features_would_you_use";
        assert_eq!(
            records.attributes[0][key],
            "Invoice tracking; Tax pots; Cash-flow forecast"
        );
        assert_eq!(records.attributes[3][key], "Tax pots");
        assert_eq!(records.attributes[0].len(), 1);

        // Long or never-repeated items are not choices.
        let mut unique = ChoiceStats::default();
        unique.observe("a; b");
        unique.observe("c; d");
        assert!(!unique.is_choice_list());
        let mut long = ChoiceStats::default();
        long.observe("I tried the app for a week; then I gave up");
        long.observe("I tried the app for a week; then I gave up");
        assert!(!long.is_choice_list());
    }

    #[test]
    fn windows_1252_text_is_read_verbatim_at_its_line() {
        let bytes = b"Participant;Role;Wish\r\nP01;Designer;I\x92d like a caf\xE9 budget \x96 \x80 20 a week.\r\nP02;Parent;Reminders before fees leave the account.\r\n";
        let decoded = super::super::decode::decode("e.csv", bytes, true).unwrap();
        let mut records = parse("e.csv", "e", &decoded.text, false).unwrap();
        records.warnings.extend(decoded.warning);
        assert_eq!(
            records.texts()[0],
            (
                "P01".into(),
                "line 2".into(),
                "I’d like a café budget – € 20 a week.".into()
            )
        );
        assert_eq!(records.attributes[1]["role"], "Parent");
        assert_eq!(
            records.warnings,
            ["decoded as Windows-1252 (not valid UTF-8: first at line 2)"]
        );
    }

    #[test]
    fn utf16_text_is_read_at_its_line() {
        let source = "Participant\tRole\tWish\r\nP01\tDesigner\tA forecast of my cash flow, café included.\r\n";
        let bytes: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(source.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let decoded = super::super::decode::decode("u.csv", &bytes, true).unwrap();
        assert!(decoded.warning.is_none());
        let records = parse("u.csv", "u", &decoded.text, false).unwrap();
        assert_eq!(
            records.texts(),
            [(
                "P01".into(),
                "line 2".into(),
                "A forecast of my cash flow, café included.".into()
            )]
        );
    }

    #[test]
    fn duplicate_and_blank_headers_get_distinct_names() {
        let names = column_names(&StringRecord::from(vec!["Role", "role", "", " Age "]));
        assert_eq!(names, ["Role", "role_2", "column_3", "Age"]);
    }
}
