//! CSV and TSV: a header row, then one record per row. The delimiter is detected; the
//! participant column is found by name; every other column is classified by
//! [`fields::classify`] as attribute, free text or left out.

use super::IngestError;
use super::fields::{self, Role, ValueStats};
use super::records::FileRecords;
use csv::{ReaderBuilder, StringRecord};
use std::collections::HashSet;

const CANDIDATE_DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];
/// Lines of the file looked at to detect the delimiter.
const SNIFF_LINES: usize = 50;
/// Longest participant id accepted in a column found by name; longer values mean the column
/// holds something else.
const MAX_ID_CHARS: usize = 100;

/// Reads a CSV (delimiter detected) or TSV file. `row_prefix` names participants of files
/// without a participant column: `<row_prefix>-row<N>`.
pub(crate) fn parse(file: &str, row_prefix: &str, text: &str, tab_separated: bool) -> Result<FileRecords, IngestError> {
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
    let names = column_names(&headers);

    let mut rows: Vec<(u64, u64, StringRecord)> = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| csv_error(file, &e))?;
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let position = record.position().expect("records read from a reader have a position");
        rows.push((position.line() + line_offset, position.record(), record));
    }
    if rows.is_empty() {
        return Err(IngestError::invalid(file, None, "no rows after the header"));
    }

    let mut out = FileRecords::default();
    let id_column = find_participant_column(&names, &rows);
    let key_of_column: Vec<String> = names.iter().map(|n| fields::snake_case(n)).collect();

    // First pass: whose row is it, and what do the columns look like.
    let mut row_participant = Vec::with_capacity(rows.len());
    let mut stats: Vec<ValueStats> = names.iter().map(|_| ValueStats::default()).collect();
    let mut rows_without_id = 0usize;
    let mut ragged_first_line = None;
    let mut ragged_rows = 0usize;
    for (line, record_number, record) in &rows {
        let id = id_column.and_then(|c| record.get(c)).map(str::trim).unwrap_or("");
        let participant = if id.is_empty() {
            if id_column.is_some() {
                rows_without_id += 1;
            }
            out.participant(&format!("{row_prefix}-row{record_number}"))
        } else {
            out.participant(id)
        };
        row_participant.push(participant);
        if record.len() != names.len() {
            ragged_rows += 1;
            ragged_first_line.get_or_insert(*line);
        }
        for (column, value) in record.iter().enumerate().take(names.len()) {
            let value = value.trim();
            if Some(column) != id_column && !value.is_empty() {
                stats[column].observe(participant, value);
            }
        }
    }
    let roles: Vec<Role> = names
        .iter()
        .zip(&stats)
        .enumerate()
        .map(|(column, (name, stats))| {
            if Some(column) == id_column {
                Role::Ignore
            } else {
                fields::classify(name, stats)
            }
        })
        .collect();
    drop(stats);

    // Second pass: attributes and utterances, in file order.
    for ((line, _, record), &participant) in rows.iter().zip(&row_participant) {
        let mut location = None;
        for (column, value) in record.iter().enumerate().take(names.len()) {
            match roles[column] {
                Role::Attribute => out.set_attribute(participant, &key_of_column[column], value),
                Role::Text if !value.trim().is_empty() => {
                    let location = location.get_or_insert_with(|| format!("line {line}"));
                    out.add_utterance(participant, location.clone(), value);
                }
                _ => {}
            }
        }
    }

    if rows_without_id > 0 {
        out.warnings.push(format!(
            "{rows_without_id} row(s) have no value in column \"{}\"; each was read as its own participant",
            names[id_column.unwrap_or(0)]
        ));
    }
    if let Some(line) = ragged_first_line {
        out.warnings.push(format!(
            "{ragged_rows} row(s) have a different number of fields than the header's {} (first at line {line})",
            names.len()
        ));
    }
    if out.utterances.is_empty() {
        out.no_text_reason = Some(describe_columns(&names, &roles, id_column));
    }
    Ok(out)
}

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

    #[test]
    fn duplicate_and_blank_headers_get_distinct_names() {
        let names = column_names(&StringRecord::from(vec!["Role", "role", "", " Age "]));
        assert_eq!(names, ["Role", "role_2", "column_3", "Age"]);
    }
}
