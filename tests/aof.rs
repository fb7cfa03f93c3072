//! AOF persistence stages. Stage 14 (default AOF options) is what thredis supports so far; the
//! append-only file itself comes with the persistence issue, and `--appendonly yes` is refused
//! until then rather than accepted and ignored.

mod common;

use common::TestServer;

#[test]
fn stage_14_default_aof_options() {
    let server = TestServer::start();
    let mut client = server.client();
    let mut get = |name: &str| -> Vec<String> {
        redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query(&mut client)
            .unwrap()
    };
    let cwd = std::env::current_dir().unwrap().display().to_string();
    assert_eq!(get("dir"), ["dir".to_string(), cwd]);
    assert_eq!(get("appendonly"), ["appendonly", "no"]);
    assert_eq!(get("appenddirname"), ["appenddirname", "appendonlydir"]);
    assert_eq!(get("appendfilename"), ["appendfilename", "appendonly.aof"]);
    assert_eq!(get("appendfsync"), ["appendfsync", "everysec"]);
}

#[test]
fn appendonly_yes_is_refused_until_the_aof_exists() {
    let server = TestServer::start();
    let mut client = server.raw();
    let reply = client.cmd(&["CONFIG", "SET", "appendonly", "yes"]);
    assert!(
        reply.starts_with("-ERR CONFIG SET failed (possibly related to argument 'appendonly')"),
        "{reply}"
    );
}
