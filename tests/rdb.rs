//! RDB persistence stages. Stage 8 (RDB file config) is all that thredis supports so far: the
//! `--dir` and `--dbfilename` flags and `CONFIG GET`. Loading and saving RDB files come with the
//! persistence issue.

mod common;

use common::TestServer;

#[test]
fn stage_8_config_get_reports_dir_and_dbfilename_from_the_flags() {
    let dir = std::env::temp_dir().join(format!("thredis-rdb-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.canonicalize().unwrap();
    let server = TestServer::with_args(&[
        "--dir",
        dir.to_str().unwrap(),
        "--dbfilename",
        "snapshot.rdb",
    ]);
    let mut client = server.client();
    let reply: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("dir")
        .query(&mut client)
        .unwrap();
    assert_eq!(reply, ["dir".to_string(), dir.display().to_string()]);
    let reply: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("dbfilename")
        .query(&mut client)
        .unwrap();
    assert_eq!(reply, ["dbfilename", "snapshot.rdb"]);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
