//! `strongroom secret import`: many secrets into one application at once, from JSON lines.

use anyhow::Context;
use serde::Deserialize;
use std::io::Read;
use std::path::Path;
use store::{Actor, NewSecret, SecretValue};

use clap::Subcommand;
use std::path::PathBuf;

use super::open_store::find_application;
use super::with_store;
use crate::cli::StoreArgs;

#[derive(Subcommand, Debug)]
pub enum SecretCommand {
    /// Create many secrets in one transaction, from JSON lines: one object per line with
    /// "name", "value" and optionally "description". Nothing is created if any line is invalid
    /// or names a secret that exists.
    #[command(after_help = "Example:\n  \
        printf '%s\\n' '{\"name\":\"sip_password\",\"value\":\"s3cr3t\"}' \\\n    \
        | strongroom secret import calls\n\n\
        Each created secret gets an audit record (secret.create, detail import) naming the command line.")]
    Import {
        /// The application's short name (`calls`), full name, or id.
        application: String,
        /// The JSON-lines file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// One line of the input. Unknown fields are refused: a typo must not drop a description.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    name: String,
    value: String,
    #[serde(default)]
    description: String,
}

pub async fn run(command: SecretCommand) -> anyhow::Result<()> {
    match command {
        SecretCommand::Import {
            application,
            file,
            store,
        } => {
            let input = read_input(file.as_deref())?;
            let secrets = parse(&input)?;
            let count = with_store(&store, async |store| {
                let imported = async {
                    let app = find_application(store, &application).await?;
                    store
                        .import_secrets(&Actor::system("cli"), app, &secrets)
                        .await
                        .map_err(anyhow::Error::from)
                };
                imported.await.context("nothing was imported")
            })
            .await?;
            eprintln!("Imported {count} secrets into {application}.");
            Ok(())
        }
    }
}

fn read_input(file: Option<&Path>) -> anyhow::Result<String> {
    let mut input = String::new();
    match file {
        None => std::io::stdin().read_to_string(&mut input).map(|_| ()),
        Some(path) if path == Path::new("-") => {
            std::io::stdin().read_to_string(&mut input).map(|_| ())
        }
        Some(path) => std::fs::read_to_string(path).map(|text| input = text),
    }
    .with_context(|| match file {
        Some(path) => format!("cannot read {}", path.display()),
        None => "cannot read standard input".to_owned(),
    })?;
    Ok(input)
}

/// The secrets on the non-blank lines. An error names the line but never echoes it: it holds
/// a value.
fn parse(input: &str) -> anyhow::Result<Vec<NewSecret>> {
    let mut secrets = Vec::new();
    for (index, text) in input.lines().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "line {}: expected a JSON object with \"name\", \"value\" and optionally \
                 \"description\" ({}, column {})",
                index + 1,
                describe(&e),
                e.column()
            )
        })?;
        secrets.push(NewSecret {
            name: line.name,
            value: SecretValue::new(line.value),
            description: line.description,
        });
    }
    anyhow::ensure!(!secrets.is_empty(), "the input holds no secrets");
    Ok(secrets)
}

/// serde_json's message without any quoted input (which could be part of a value).
fn describe(error: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match error.classify() {
        Category::Io => "unreadable",
        Category::Syntax => "not valid JSON",
        Category::Data => "missing, unknown or non-string fields",
        Category::Eof => "the line ends early",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_secrets_and_errors_name_the_line_only() {
        let parsed = parse(
            "{\"name\":\"a\",\"value\":\"1\"}\n\n{\"name\":\"b\",\"value\":\"2\",\"description\":\"d\"}\n",
        )
        .expect("valid input");
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[1].description, "d");
        assert_eq!(parsed[1].value.expose(), "2");

        let err = parse("{\"name\":\"a\",\"value\":\"1\"}\n{\"name\":\"b\",\"valeu\":\"hunter2\"}")
            .err()
            .expect("a typo is refused")
            .to_string();
        assert!(err.starts_with("line 2:"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        assert!(parse("\n \n").is_err());
    }
}
