//! bench/run.sh's own HTTP/1.1 client, for the two jobs wrk can't do:
//!
//! - `bench-load seed`: POST N numbered bodies with some concurrency and write the ids
//!   the server gave them, one per line (so the GET workloads can pick random ids).
//! - `bench-load run`: a closed-loop load like `wrk -t1 -cN` (one thread, N keep-alive
//!   connections, each sending its next request as soon as the last answer is in) that
//!   also times every request by its status, so it can report the p99 of the successes
//!   alone, the latency of the 503s, and whether each 503 carried `Retry-After`. wrk's
//!   Lua can count statuses but can't time a single request, and at -c512 the p99 of all
//!   requests mixes fast rejections with slow successes.
//!
//! The client is deliberately minimal (prebuilt request bytes, a hand-rolled response
//! parser for Content-Length and chunked bodies) so that on one core it keeps up with
//! every server measured here; `run` prints one JSON object on stdout.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

#[derive(Parser, Debug)]
#[command(about = "Seeding and overload load generator for bench/run.sh")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// POST `count` bodies (`{i}` in the template is replaced by 1..=count) and write the
    /// `id` member of each answer to `--ids-out`, one per line, in order.
    Seed {
        /// Server address, host:port.
        #[arg(long)]
        addr: String,
        /// Path to POST to.
        #[arg(long)]
        path: String,
        /// Extra request header "Name: value" (repeatable).
        #[arg(long = "header", short = 'H')]
        headers: Vec<String>,
        /// JSON body template; `{i}` is replaced by the item number, `{i4}` by it
        /// zero-padded to 4 digits.
        #[arg(long)]
        body: String,
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Where to write the ids.
        #[arg(long)]
        ids_out: std::path::PathBuf,
    },
    /// Closed-loop load for `--duration` seconds over `--connections` connections.
    Run {
        /// Server address, host:port.
        #[arg(long)]
        addr: String,
        /// Request path (or use --paths-file).
        #[arg(long, default_value = "/")]
        path: String,
        /// A file of paths, one per line; each request picks one at random.
        #[arg(long)]
        paths_file: Option<std::path::PathBuf>,
        #[arg(long, default_value = "GET")]
        method: String,
        /// Request body (sent with Content-Type: application/json).
        #[arg(long)]
        body: Option<String>,
        /// Extra request header "Name: value" (repeatable).
        #[arg(long = "header", short = 'H')]
        headers: Vec<String>,
        #[arg(long, default_value_t = 512)]
        connections: usize,
        /// Seconds of load.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Seconds after which one request counts as timed out (its connection is
        /// dropped and opened anew).
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
    },
}

/// One parsed answer.
struct Answer {
    status: u16,
    retry_after: bool,
    close: bool,
    body: Vec<u8>,
}

/// A keep-alive HTTP/1.1 connection.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    async fn call(&mut self, request: &[u8], want_body: bool) -> anyhow::Result<Answer> {
        self.stream.write_all(request).await?;
        loop {
            if let Some((used, answer)) = parse(&self.buf, want_body)? {
                self.buf.drain(..used);
                return Ok(answer);
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed mid-answer");
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses one complete answer at the start of `buf`: `None` while more bytes are needed.
fn parse(buf: &[u8], want_body: bool) -> anyhow::Result<Option<(usize, Answer)>> {
    let Some(head_end) = find(buf, b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("non-UTF-8 head")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let (mut length, mut chunked, mut close, mut retry_after) = (None, false, false, false);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().context("bad content-length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        } else if name.eq_ignore_ascii_case("retry-after") {
            retry_after = true;
        }
    }
    let start = head_end + 4;
    let (used, body) = if status == 204 || status == 304 || (100..200).contains(&status) {
        (start, Vec::new())
    } else if chunked {
        let mut at = start;
        let mut body = Vec::new();
        loop {
            let Some(eol) = find(&buf[at..], b"\r\n") else {
                return Ok(None);
            };
            let size_text = std::str::from_utf8(&buf[at..at + eol])?;
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .context("bad chunk size")?;
            let data = at + eol + 2;
            if size == 0 {
                // No trailers expected: the final CRLF.
                if buf.len() < data + 2 {
                    return Ok(None);
                }
                break (data + 2, body);
            }
            if buf.len() < data + size + 2 {
                return Ok(None);
            }
            if want_body {
                body.extend_from_slice(&buf[data..data + size]);
            }
            at = data + size + 2;
        }
    } else if let Some(length) = length {
        if buf.len() < start + length {
            return Ok(None);
        }
        let body = if want_body {
            buf[start..start + length].to_vec()
        } else {
            Vec::new()
        };
        (start + length, body)
    } else {
        bail!("answer {status} without Content-Length or chunked body");
    };
    Ok(Some((
        used,
        Answer {
            status,
            retry_after,
            close,
            body,
        },
    )))
}

fn request_bytes(
    method: &str,
    addr: &str,
    path: &str,
    headers: &[String],
    body: Option<&str>,
) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for h in headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    if let Some(body) = body {
        r.push_str("Content-Type: application/json\r\n");
        r.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    } else {
        r.push_str("\r\n");
    }
    r.into_bytes()
}

struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[derive(Default)]
struct Tally {
    /// (status, latency in µs, Retry-After present)
    samples: Vec<(u16, u32, bool)>,
    connect_errors: u64,
    io_errors: u64,
    timeouts: u64,
}

#[allow(clippy::too_many_arguments)]
async fn run(
    addr: String,
    path: String,
    paths_file: Option<std::path::PathBuf>,
    method: String,
    body: Option<String>,
    headers: Vec<String>,
    connections: usize,
    duration: f64,
    timeout: f64,
) -> anyhow::Result<()> {
    let paths: Vec<String> = match paths_file {
        Some(file) => std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        None => vec![path],
    };
    if paths.is_empty() {
        bail!("no paths");
    }
    let requests: std::sync::Arc<Vec<Vec<u8>>> = std::sync::Arc::new(
        paths
            .iter()
            .map(|p| request_bytes(&method, &addr, p, &headers, body.as_deref()))
            .collect(),
    );
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(duration);
    let timeout = Duration::from_secs_f64(timeout);
    let mut tasks = JoinSet::new();
    for task in 0..connections {
        let requests = requests.clone();
        let addr = addr.clone();
        tasks.spawn(async move {
            let mut tally = Tally::default();
            let mut rng = Xorshift(0x9E37_79B9_7F4A_7C15 ^ ((task as u64 + 1) * 0x2545_F491));
            let mut conn: Option<Conn> = None;
            while Instant::now() < deadline {
                let c = match conn.as_mut() {
                    Some(c) => c,
                    None => match Conn::open(&addr).await {
                        Ok(c) => conn.insert(c),
                        Err(_) => {
                            tally.connect_errors += 1;
                            tokio::time::sleep(Duration::from_millis(1)).await;
                            continue;
                        }
                    },
                };
                let request = &requests[(rng.next() % requests.len() as u64) as usize];
                let t0 = Instant::now();
                match tokio::time::timeout(timeout, c.call(request, false)).await {
                    Ok(Ok(answer)) => {
                        let micros = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
                        tally
                            .samples
                            .push((answer.status, micros, answer.retry_after));
                        if answer.close {
                            conn = None;
                        }
                    }
                    Ok(Err(_)) => {
                        tally.io_errors += 1;
                        conn = None;
                    }
                    Err(_) => {
                        tally.timeouts += 1;
                        conn = None;
                    }
                }
            }
            tally
        });
    }
    let mut all = Tally::default();
    while let Some(t) = tasks.join_next().await {
        let t = t?;
        all.samples.extend(t.samples);
        all.connect_errors += t.connect_errors;
        all.io_errors += t.io_errors;
        all.timeouts += t.timeouts;
    }
    let elapsed = started.elapsed().as_secs_f64();

    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let (mut ok, mut shed, mut other) = (Vec::new(), Vec::new(), Vec::new());
    let mut retry_after_503 = 0u64;
    let mut every = Vec::with_capacity(all.samples.len());
    for &(status, micros, retry_after) in &all.samples {
        *statuses.entry(status.to_string()).or_default() += 1;
        every.push(micros);
        if (200..400).contains(&status) {
            ok.push(micros);
        } else if status == 503 {
            shed.push(micros);
            retry_after_503 += u64::from(retry_after);
        } else {
            other.push(micros);
        }
    }
    let summary = |mut v: Vec<u32>| {
        v.sort_unstable();
        let pct = |p: f64| -> serde_json::Value {
            if v.is_empty() {
                serde_json::Value::Null
            } else {
                let i = ((p / 100.0) * v.len() as f64).ceil() as usize;
                json!(f64::from(v[i.clamp(1, v.len()) - 1]) / 1000.0)
            }
        };
        json!({"count": v.len(), "p50": pct(50.0), "p99": pct(99.0), "max": pct(100.0)})
    };
    let total = all.samples.len();
    let ok_count = ok.len();
    let out = json!({
        "tool": "bench-load",
        "connections": connections,
        "duration_s": elapsed,
        "requests": total,
        "rps": total as f64 / elapsed,
        "ok": ok_count,
        "ok_rps": ok_count as f64 / elapsed,
        "status": statuses,
        "retry_after_on_503": retry_after_503,
        "errors": {"connect": all.connect_errors, "io": all.io_errors, "timeout": all.timeouts},
        "latency_ms": {
            "all": summary(every),
            "ok": summary(ok),
            "503": summary(shed),
            "other": summary(other),
        },
    });
    println!("{out}");
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn seed(
    addr: String,
    path: String,
    headers: Vec<String>,
    body: String,
    count: usize,
    concurrency: usize,
    ids_out: std::path::PathBuf,
) -> anyhow::Result<()> {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(1));
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (next, addr, path, headers, body) = (
            next.clone(),
            addr.clone(),
            path.clone(),
            headers.clone(),
            body.clone(),
        );
        tasks.spawn(async move {
            let mut ids = Vec::new();
            let mut conn = Conn::open(&addr).await?;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i > count {
                    return anyhow::Ok(ids);
                }
                let text = body
                    .replace("{i4}", &format!("{i:04}"))
                    .replace("{i}", &i.to_string());
                let request = request_bytes("POST", &addr, &path, &headers, Some(&text));
                let mut attempt = 0;
                let answer = loop {
                    attempt += 1;
                    let answer = match conn.call(&request, true).await {
                        Ok(a) => a,
                        Err(e) if attempt < 5 => {
                            eprintln!("seed: {e}, reconnecting");
                            conn = Conn::open(&addr).await?;
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    if answer.close {
                        conn = Conn::open(&addr).await?;
                    }
                    if answer.status == 503 && attempt < 5 {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                    break answer;
                };
                if !(200..300).contains(&answer.status) {
                    bail!(
                        "POST {path} answered {}: {}",
                        answer.status,
                        String::from_utf8_lossy(&answer.body)
                    );
                }
                let value: serde_json::Value =
                    serde_json::from_slice(&answer.body).context("answer is not JSON")?;
                let id = match &value["id"] {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    other => bail!("answer without an id: {other}"),
                };
                ids.push((i, id));
            }
        });
    }
    let mut ids = Vec::with_capacity(count);
    while let Some(t) = tasks.join_next().await {
        ids.extend(t??);
    }
    ids.sort_unstable();
    let mut text = String::new();
    for (_, id) in ids {
        text.push_str(&id);
        text.push('\n');
    }
    std::fs::write(&ids_out, text).with_context(|| format!("writing {}", ids_out.display()))?;
    Ok(())
}

// One thread, like `wrk -t1`: bench/run.sh pins it to the load generator's core.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed {
            addr,
            path,
            headers,
            body,
            count,
            concurrency,
            ids_out,
        } => seed(addr, path, headers, body, count, concurrency, ids_out).await,
        Command::Run {
            addr,
            path,
            paths_file,
            method,
            body,
            headers,
            connections,
            duration,
            timeout,
        } => {
            run(
                addr,
                path,
                paths_file,
                method,
                body,
                headers,
                connections,
                duration,
                timeout,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn content_length_answer_and_partial_input() {
        let raw =
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 5\r\n\r\nhello";
        for cut in 0..raw.len() {
            assert!(parse(&raw[..cut], true).unwrap().is_none(), "cut at {cut}");
        }
        let (used, a) = parse(raw, true).unwrap().unwrap();
        assert_eq!(
            (used, a.status, a.retry_after, a.close),
            (raw.len(), 503, true, false)
        );
        assert_eq!(a.body, b"hello");
    }

    #[test]
    fn chunked_answer_followed_by_the_next_one() {
        let mut raw = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nConnection: close\r\n\r\n\
                        3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
            .to_vec();
        let first = raw.len();
        raw.extend_from_slice(b"HTTP/1.1 204 No Content\r\n\r\n");
        for cut in 0..first {
            assert!(parse(&raw[..cut], true).unwrap().is_none(), "cut at {cut}");
        }
        let (used, a) = parse(&raw, true).unwrap().unwrap();
        assert_eq!((used, a.status, a.close), (first, 200, true));
        assert_eq!(a.body, b"abcde");
        let (used, a) = parse(&raw[first..], true).unwrap().unwrap();
        assert_eq!((used, a.status), (raw.len() - first, 204));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse(b"nonsense\r\n\r\n", true).is_err());
        assert!(parse(b"HTTP/1.1 200 OK\r\n\r\n", true).is_err());
    }
}
