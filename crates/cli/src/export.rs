//! `depot export --out FILE`: every record of a running server (either backend) as
//! NDJSON, read page by page from `GET /v1/admin/export` and written as it arrives,
//! so memory stays at one page whatever the size. The file appears under its name only
//! once complete (it is written as `FILE.partial`, synced, then renamed); `--out -`
//! writes to stdout.

use crate::connect::{ConnectArgs, failure};
use crate::offline::size;
use crate::progress::{Progress, Unit};
use anyhow::{Context, bail};
use clap::Args;
use depot_api::ops::{EXPORT_TOTAL_HEADER, kind_of};
use depot_client::Method;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Where to write the records (`-`: stdout).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    connect: ConnectArgs,
}

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let client = args.connect.client()?;
    let to_stdout = args.out.as_os_str() == "-";
    let partial = partial_name(&args.out);
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        // Owner-only: the file holds the clients' secret hashes.
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)
            .with_context(|| format!("can't create {}", partial.display()))?;
        Box::new(BufWriter::with_capacity(1 << 20, file))
    };
    let mut progress = Progress::new("export", Unit::Records, None);
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut bytes = 0u64;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "/v1/admin/export".to_owned(),
            Some(c) => format!("/v1/admin/export?cursor={c}"),
        };
        let answer = client.request(Method::GET, &path, None).await?;
        if !answer.is_success() {
            bail!("the export stopped: {}", failure(&answer));
        }
        if let Some(total) = answer
            .header(EXPORT_TOTAL_HEADER)
            .and_then(|t| t.parse().ok())
        {
            progress.set_total(total);
        }
        out.write_all(&answer.body)
            .context("can't write the export")?;
        let records = count_kinds(&answer.body, &mut kinds);
        bytes += answer.body.len() as u64;
        progress.advance(records, answer.body.len() as u64);
        cursor = next_cursor(answer.header("link"));
        if cursor.is_none() {
            break;
        }
    }
    out.flush().context("can't write the export")?;
    drop(out);
    let took = progress.finish();
    if !to_stdout {
        finish_file(&partial, &args.out)?;
    }
    let records: u64 = kinds.values().sum();
    let counts: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    eprintln!(
        "exported {records} records ({}), {} in {:.1} s: {:.0} records/s, {}/s{}",
        counts.join(", "),
        size(bytes),
        took.as_secs_f64(),
        records as f64 / took.as_secs_f64().max(0.001),
        size((bytes as f64 / took.as_secs_f64().max(0.001)) as u64),
        if to_stdout {
            String::new()
        } else {
            format!(", to {}", args.out.display())
        }
    );
    Ok(())
}

/// `FILE.partial`, beside `FILE`.
fn partial_name(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Syncs the finished file and gives it its name.
fn finish_file(partial: &Path, out: &Path) -> anyhow::Result<()> {
    File::open(partial)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("can't sync {}", partial.display()))?;
    std::fs::rename(partial, out)
        .with_context(|| format!("can't rename {} to {}", partial.display(), out.display()))
}

/// Counts the page's records by kind; returns how many it holds.
fn count_kinds(page: &[u8], kinds: &mut BTreeMap<String, u64>) -> u64 {
    let text = String::from_utf8_lossy(page);
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let kind = kind_of(line).unwrap_or_else(|| "unknown".into());
        *kinds.entry(kind).or_default() += 1;
        n += 1;
    }
    n
}

/// The cursor of a `Link: </v1/admin/export?cursor=...>; rel="next"` header. Only the
/// cursor is taken: the next request goes to the same server, whatever the link says.
fn next_cursor(link: Option<&str>) -> Option<String> {
    let link = link?;
    if !link.contains("rel=\"next\"") {
        return None;
    }
    let target = link.split('>').next()?.trim_start_matches('<');
    let (_, query) = target.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("cursor="))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::next_cursor;

    #[test]
    fn the_next_cursor_comes_from_the_link_header_alone() {
        let link = r#"</v1/admin/export?cursor=eyJh>; rel="next""#;
        assert_eq!(next_cursor(Some(link)).as_deref(), Some("eyJh"));
        assert_eq!(next_cursor(Some(r#"</x?cursor=a>; rel="prev""#)), None);
        assert_eq!(next_cursor(None), None);
    }
}
