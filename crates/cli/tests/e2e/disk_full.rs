//! Storage faults: a data dir on a tiny filesystem that fills up answers 503 with
//! Retry-After, loses nothing already acknowledged, and recovers by itself when space
//! returns. Needs root (it mounts a tmpfs), as the project's machines and CI run.

use crate::common::{Server, admin_token};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A size-limited tmpfs, unmounted on drop.
struct TinyFs(PathBuf);

impl TinyFs {
    fn mount(dir: &Path, size: &str) -> TinyFs {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status();
        assert!(
            ok.is_ok_and(|s| s.success()),
            "mounting a tmpfs needs root; this test runs as root on the project's machines"
        );
        TinyFs(dir.to_owned())
    }

    fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status();
        assert!(ok.is_ok_and(|s| s.success()));
    }
}

impl Drop for TinyFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_keeps_what_was_acknowledged_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let fs = TinyFs::mount(&dir.path().join("tiny"), "3m");
    let server = Server::start(&fs.0.join("data"), &[]);
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    for (path, body) in [
        ("/v1/projects", json!({"name": "full"})),
        ("/v1/projects/full/collections", json!({"name": "c"})),
    ] {
        assert_eq!(
            http.post(server.url(path))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status(),
            201
        );
    }
    let url = server.url("/v1/projects/full/collections/c/items");
    let filler = "x".repeat(16 * 1024);
    let mut acked = Vec::new();
    let mut shed = None;
    for n in 0..1000 {
        let r = http
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"n": n, "filler": filler}))
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            201 => acked.push(
                r.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
            503 => {
                assert!(r.headers().contains_key("retry-after"));
                shed = Some(r.json::<Value>().await.unwrap());
                break;
            }
            other => panic!("a full disk answered {other}: {}", r.text().await.unwrap()),
        }
    }
    let shed = shed.expect("the tiny filesystem filled up");
    assert_eq!(shed["code"], 503);
    assert!(!acked.is_empty());
    let get = |id: &String| http.get(format!("{url}/{id}")).bearer_auth(&token).send();
    for id in &acked {
        assert_eq!(
            get(id).await.unwrap().status(),
            200,
            "acknowledged {id} lost on a full disk"
        );
    }

    fs.resize("64m");
    let r = http
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"after": "space returned"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        201,
        "the server recovers by itself once space returns"
    );
    assert_eq!(
        http.get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    drop(server);
    let restarted = Server::start(&fs.0.join("data"), &[]);
    let token = admin_token(&http, &restarted).await;
    let url = restarted.url("/v1/projects/full/collections/c/items");
    for id in &acked {
        let r = http
            .get(format!("{url}/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged {id} lost after the restart");
    }
}
