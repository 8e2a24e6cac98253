//! `persona script PATH`: one persona of a personas.json or run folder as a conversation script.
//! Exits 1, printing the findings on stderr, when the privacy audit blocks it.

use super::exit::Failure;
use crate::domain::Persona;
use crate::quality::read_personas;
use crate::scripts::{DEFAULT_THRESHOLD, ScriptError, ScriptFormat, ScriptOptions, generate_script};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct ScriptArgs {
    /// A persona JSON file, a personas.json or a run folder.
    pub path: PathBuf,
    /// The persona to use, by id.
    #[arg(long, conflicts_with = "index")]
    pub persona_id: Option<String>,
    /// The persona to use, by position in the file (0 = first).
    #[arg(long, value_name = "N")]
    pub index: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScriptFormat::CharacterCard)]
    pub format: ScriptFormat,
    /// Write the character card as YAML instead of JSON.
    #[arg(long)]
    pub yaml: bool,
    /// Largest leakage score (0-1) that still passes the privacy audit.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    pub threshold: f64,
    /// A template file for --format template (placeholders such as {{identity.name}}).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// Write the script to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: ScriptArgs) -> i32 {
    match execute(&args) {
        Ok(()) => 0,
        Err(failure) => failure.report(),
    }
}

fn select(personas: Vec<Persona>, args: &ScriptArgs) -> Result<Persona, String> {
    let path = args.path.display();
    let count = personas.len();
    if let Some(id) = &args.persona_id {
        let ids: Vec<String> = personas.iter().map(|p| p.id.clone()).collect();
        return personas
            .into_iter()
            .find(|p| &p.id == id)
            .ok_or_else(|| format!("{path}: no persona with id '{id}' (ids: {})", ids.join(", ")));
    }
    if let Some(index) = args.index {
        return personas
            .into_iter()
            .nth(index)
            .ok_or_else(|| format!("{path}: --index {index} is out of range ({count} persona(s))"));
    }
    match count {
        0 => Err(format!("{path}: no personas")),
        1 => Ok(personas.into_iter().next().expect("one persona")),
        n => Err(format!(
            "{path} holds {n} personas; choose one with --persona-id or --index"
        )),
    }
}

fn read_template(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn execute(args: &ScriptArgs) -> Result<(), Failure> {
    if !(0.0..=1.0).contains(&args.threshold) {
        return Err(Failure::Usage(format!(
            "--threshold must be between 0 and 1 (got {})",
            args.threshold
        )));
    }
    let personas = read_personas(&args.path).map_err(|e| e.to_string())?;
    let persona = select(personas, args).map_err(Failure::Usage)?;
    let options = ScriptOptions {
        format: args.format,
        yaml: args.yaml,
        max_leakage_score: args.threshold,
        template: args.template.as_deref().map(read_template).transpose()?,
    };
    let result = match generate_script(&persona, &options) {
        Ok(result) => result,
        Err(ScriptError::Validation(e)) => return Err(Failure::Usage(e.to_string())),
        Err(ScriptError::PrivacyAuditFailed(audit)) => {
            let mut message = format!(
                "privacy audit failed for persona '{}': leakage score {:.3} exceeds the threshold {}; no script written",
                persona.id, audit.leakage_score, audit.threshold
            );
            for (i, l) in audit.leakages.iter().enumerate() {
                message.push_str(&format!(
                    "\n  {}. [{}] '{}' from {} in {} ({} severity, similarity {:.2})",
                    i + 1,
                    l.kind,
                    l.content,
                    l.source,
                    l.found_in,
                    l.severity.as_str(),
                    l.similarity
                ));
            }
            return Err(Failure::Run(message));
        }
    };
    let mut text = result.output;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    match &args.output {
        Some(file) => {
            std::fs::write(file, &text).map_err(|e| format!("{}: {e}", file.display()))?;
            eprintln!(
                "wrote {} script {} to {} (leakage score {:.3})",
                result.format,
                result.script_id,
                file.display(),
                result.privacy_audit.leakage_score
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}
