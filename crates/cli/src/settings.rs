//! The settings file (`--config`, TOML) and the README's table of settings, both made
//! from `depot serve`'s own command, so that a setting declared once (its `#[arg]`, in
//! `depot_server::Config` or `depot_store_open::StoreArgs`) is a flag, a `DEPOT_*`
//! variable and a file key at once.
//!
//! The file sits under the environment and the flags because its values become the
//! command's defaults before the command line is parsed again: clap then prefers a
//! flag, then a variable, then a default. A key the command doesn't have is an error,
//! as is a value of the wrong shape; the arg's own parser checks the value.

use anyhow::{Context, bail};
use clap::Command;
use std::path::Path;

/// Keys that exist as settings but not as file keys: the file is for configuration,
/// and these either choose the file or hold a secret.
const NOT_IN_FILE: [&str; 1] = ["config"];

/// `serve` with the file's values as its defaults.
pub fn with_file_defaults(serve: Command, file: &Path) -> anyhow::Result<Command> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("can't read {}", file.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not TOML", file.display()))?;
    let keys: Vec<String> = file_keys(&serve);
    let mut serve = serve;
    for (key, value) in table {
        if !keys.contains(&key) {
            bail!(
                "{}: unknown setting {key:?}; the settings are {}",
                file.display(),
                keys.join(", ")
            );
        }
        let values = as_strings(&value)
            .with_context(|| format!("{}: {key} has a value of the wrong type", file.display()))?;
        serve = serve.mut_arg(&key, |arg| arg.default_values(values));
    }
    Ok(serve)
}

/// The ids of the settings a file may set.
fn file_keys(serve: &Command) -> Vec<String> {
    serve
        .get_arguments()
        .filter(|a| a.get_long().is_some() && !a.is_positional())
        .map(|a| a.get_id().to_string())
        .filter(|id| !NOT_IN_FILE.contains(&id.as_str()) && id != "help" && id != "version")
        .collect()
}

fn as_strings(value: &toml::Value) -> anyhow::Result<Vec<String>> {
    Ok(match value {
        toml::Value::String(s) => vec![s.clone()],
        toml::Value::Integer(n) => vec![n.to_string()],
        toml::Value::Boolean(b) => vec![b.to_string()],
        toml::Value::Array(items) => items
            .iter()
            .map(|v| match v {
                toml::Value::String(s) => Ok(s.clone()),
                _ => bail!("a list holds strings"),
            })
            .collect::<anyhow::Result<_>>()?,
        _ => bail!("expected a string, a whole number, a boolean or a list of strings"),
    })
}

#[cfg(test)]
mod readme {
    //! The README's table of settings is this command's, generated: a test fails when
    //! they differ, and `UPDATE_README=1 cargo test -p depot-cli` rewrites it.

    use clap::{Arg, Command, CommandFactory};

    const BEGIN: &str = "<!-- settings:begin -->\n";
    const END: &str = "<!-- settings:end -->";

    /// The README's table of settings, one row per setting: flag, variable, file key,
    /// default and what it does.
    pub fn markdown_table(serve: &Command) -> String {
        let mut out = String::from("| flag | env | default | what it sets |\n|---|---|---|---|\n");
        for arg in serve.get_arguments().filter(|a| a.get_long().is_some()) {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            out.push_str(&row(arg));
        }
        out.push_str(
            "| (env only) | `DEPOT_ADMIN_CLIENT_SECRET` | unset | The admin client's secret (with `--admin-client-id`); never a flag or a file key, so it can't show in a process list. |\n",
        );
        out
    }

    fn row(arg: &Arg) -> String {
        let flag = format!("`--{}`", arg.get_long().unwrap_or_default());
        let env = arg
            .get_env()
            .map_or("–".to_owned(), |e| format!("`{}`", e.to_string_lossy()));
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        // A default computed at start (such as one per CPU) says so in its help instead.
        let (help, default) = match help.split_once(" [default: ") {
            Some((text, rest)) => (text.to_owned(), rest.trim_end_matches(']').to_owned()),
            None => {
                let defaults: Vec<String> = arg
                    .get_default_values()
                    .iter()
                    .map(|v| format!("`{}`", v.to_string_lossy()))
                    .collect();
                let default = if defaults.is_empty() {
                    "unset".to_owned()
                } else {
                    defaults.join(", ")
                };
                (help, default)
            }
        };
        let help = help.replace('\n', " ");
        format!("| {flag} | {env} | {default} | {help} |\n")
    }

    #[test]
    fn the_readme_lists_every_setting_as_declared() {
        let serve = crate::Cli::command()
            .find_subcommand("serve")
            .cloned()
            .expect("depot has a serve command");
        let table = markdown_table(&serve);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let start = readme.find(BEGIN).expect("README has the settings markers") + BEGIN.len();
        let end = readme[start..]
            .find(END)
            .expect("README has the end marker")
            + start;
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
            std::fs::write(path, updated).unwrap();
            return;
        }
        assert_eq!(
            readme[start..end],
            table,
            "README's settings table is stale: run UPDATE_README=1 cargo test -p depot-cli"
        );
    }
}
