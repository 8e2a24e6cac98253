//! `persona score PATH`: quality scores of a personas.json or a run folder, as a table or JSON;
//! `--min-score` makes it fail (exit 1) when a persona scores below it, for CI pipelines.

use super::exit::Failure;
use crate::quality::{Dimension, QualityConfig, RunQuality, read_personas, score_run};
use clap::Args;
use clap::builder::PossibleValuesParser;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// A personas.json (an array or a single persona) or a run folder (its personas.json, else
    /// personas/*/persona.json).
    pub path: PathBuf,
    /// Scoring preset.
    #[arg(long, default_value = "default", value_parser = PossibleValuesParser::new(QualityConfig::PRESETS))]
    pub preset: String,
    /// Exit with status 1 when any persona's overall score is below N (0-100).
    #[arg(long, value_name = "N")]
    pub min_score: Option<f64>,
    /// Print the run's scores as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ScoreArgs) -> i32 {
    match execute(&args) {
        Ok(code) => code,
        Err(failure) => failure.report(),
    }
}

fn execute(args: &ScoreArgs) -> Result<i32, Failure> {
    if let Some(min) = args.min_score
        && !(0.0..=100.0).contains(&min)
    {
        return Err(Failure::Usage(format!(
            "--min-score must be between 0 and 100 (got {min})"
        )));
    }
    let cfg = QualityConfig::preset(&args.preset)
        .ok_or_else(|| Failure::Usage(format!("unknown preset '{}'", args.preset)))?;
    let personas = read_personas(&args.path).map_err(|e| e.to_string())?;
    if personas.is_empty() {
        return Err(Failure::Run(format!("{}: no personas to score", args.path.display())));
    }
    let run = score_run(&personas, &cfg);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&run).map_err(|e| e.to_string())?);
    } else {
        print!("{}", table(&run, &args.preset));
    }
    if let Some(min) = args.min_score {
        let below: Vec<String> = run
            .scores
            .iter()
            .filter(|s| s.overall_score < min)
            .map(|s| format!("{} ({}) {:.2}", s.persona_name, s.persona_id, s.overall_score))
            .collect();
        if !below.is_empty() {
            eprintln!(
                "error: {} persona(s) below --min-score {min}: {}",
                below.len(),
                below.join(", ")
            );
            return Ok(1);
        }
    }
    Ok(0)
}

/// Longest name shown in the table; longer ones are cut.
const NAME_WIDTH: usize = 28;

/// The readable report: one row per persona, a summary line, then each persona's issues.
pub fn table(run: &RunQuality, preset: &str) -> String {
    let names: Vec<String> = run
        .scores
        .iter()
        .map(|s| {
            let name = if s.persona_name.trim().is_empty() {
                "(unnamed)"
            } else {
                s.persona_name.as_str()
            };
            crate::quality::text::truncate_chars(name, NAME_WIDTH).to_string()
        })
        .collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max("PERSONA".len());
    let mut out = format!("{:<width$}  {:>7}  {:<10}", "PERSONA", "OVERALL", "LEVEL");
    for d in Dimension::ALL {
        out.push_str(&format!("  {:>17}", d.as_str().to_uppercase()));
    }
    out.push('\n');
    for (score, name) in run.scores.iter().zip(&names) {
        out.push_str(&format!(
            "{:<width$}  {:>7.2}  {:<10}",
            name,
            score.overall_score,
            score.level.as_str()
        ));
        for d in Dimension::ALL {
            let value = score.dimensions.get(d.as_str()).map_or(0.0, |x| x.score);
            out.push_str(&format!("  {value:>17.2}"));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "\n{} persona(s), average {:.2}, {} passing, {} failing (preset {preset})\n",
        run.persona_count, run.average_score, run.passing_count, run.failing_count
    ));
    for (score, name) in run.scores.iter().zip(&names) {
        let issues: Vec<String> = Dimension::ALL
            .iter()
            .filter_map(|d| score.dimensions.get(d.as_str()).map(|x| (d, x)))
            .flat_map(|(d, x)| x.issues.iter().map(move |i| format!("  - [{}] {i}", d.as_str())))
            .collect();
        if !issues.is_empty() {
            out.push_str(&format!(
                "\nIssues for {name} ({}):\n{}\n",
                score.persona_id,
                issues.join("\n")
            ));
        }
    }
    out
}
