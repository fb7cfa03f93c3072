//! Authentication stages 108–115 (ACL WHOAMI, ACL GETUSER, ACL SETUSER with a password, AUTH,
//! NOAUTH on a new connection), and the rest of Redis 7.0's ACL end to end: the rule language
//! read back through ACL LIST and ACL GETUSER, NOPERM for commands, keys and channels (also in
//! MULTI and at EXEC), a sweep over every command, AUTH and HELLO AUTH, the unauthenticated
//! protocol limits, ACL LOG, ACL DELUSER and CLIENT KILL USER, requirepass, the aclfile and
//! `user` lines, pub/sub revocation, acl-pubsub-default, and interop tests against a real
//! redis-server (`#[ignore]`d; run by `.ci/run`).
//!
//! Every expected reply below was checked against redis-server 7.0.15. Single-command rules
//! (`+get +set`) are kept to one per selector where a test reads the rules back, because Redis
//! prints them in the order of its command hash table.

mod common;

use std::process::Command;

use common::real_redis::Pair;
use common::{
    Raw, TestServer, non_loopback_address, query, resp, resp_bytes, run_to_exit, scratch_dir,
};

/// SHA-256 of the passwords used below, as ACL GETUSER and ACL LIST show them (each checked
/// with `printf <password> | sha256sum`).
const MYPASSWORD_SHA256: &str = "89e01536ac207279409d4de1e5253e01f4a1769e696db0d6062ca9b8f56767c8";
const PW_SHA256: &str = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4";
const PW1_SHA256: &str = "c592df4a86933b92addc9842402ddf198c638ea9be58916ee6e3734e1e3152f8";
const PW2_SHA256: &str = "93915a0a4bf8f634cb1856494dd4304472ad46b9827f541f76b6761c49cc55b0";
const X_SHA256: &str = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
const A_SHA256: &str = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
const B_SHA256: &str = "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d";
const SECRET_SHA256: &str = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";
const ALICE_SHA256: &str = "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90";
/// SHA-256 of the empty password (`>` alone).
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const NOAUTH: &str = "-NOAUTH Authentication required.\r\n";
const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const NOPERM_KEY: &str =
    "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n";
const NOPERM_CHANNEL: &str =
    "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n";
const EXECABORT: &str = "-EXECABORT Transaction discarded because of previous errors.\r\n";
const NO_ACLFILE: &str = "-ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.\r\n";
const HELLO_NOAUTH: &str = "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n";

/// `-NOPERM` for a command (`get`) or subcommand (`config|set`).
fn noperm(command: &str) -> String {
    format!("-NOPERM this user has no permissions to run the '{command}' command\r\n")
}

/// EXEC's reply element for a queued command the rules no longer allow.
fn revoked(reason: &str) -> String {
    format!(
        "-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {reason}\r\n"
    )
}

fn bulk(text: &str) -> String {
    format!("${}\r\n{text}\r\n", text.len())
}

/// A RESP array of bulk strings.
fn bulks(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for item in items {
        out.push_str(&bulk(item));
    }
    out
}

/// What RESP2 `ACL GETUSER` answers: flags, passwords, the root selector's commands, keys and
/// channels, then each other selector as (commands, keys, channels).
fn getuser_reply(
    flags: &[&str],
    passwords: &[&str],
    root: (&str, &str, &str),
    selectors: &[(&str, &str, &str)],
) -> String {
    let selector = |(commands, keys, channels): (&str, &str, &str)| {
        format!(
            "{}{}{}{}{}{}",
            bulk("commands"),
            bulk(commands),
            bulk("keys"),
            bulk(keys),
            bulk("channels"),
            bulk(channels)
        )
    };
    let mut out = format!(
        "*12\r\n{}{}{}{}{}",
        bulk("flags"),
        bulks(flags),
        bulk("passwords"),
        bulks(passwords),
        selector(root)
    );
    out.push_str(&bulk("selectors"));
    out.push_str(&format!("*{}\r\n", selectors.len()));
    for s in selectors {
        out.push_str("*6\r\n");
        out.push_str(&selector(*s));
    }
    out
}

/// `ACL SETUSER name rules...`, which must succeed.
fn setuser(raw: &mut Raw, name: &str, rules: &[&str]) {
    let mut args = vec!["ACL", "SETUSER", name];
    args.extend_from_slice(rules);
    assert_eq!(raw.cmd(&args), "+OK\r\n", "ACL SETUSER {name} {rules:?}");
}

/// A new connection logged in as `user`.
fn login(server: &TestServer, user: &str, password: &str) -> Raw {
    let mut raw = server.raw();
    assert_eq!(raw.cmd(&["AUTH", user, password]), "+OK\r\n");
    raw
}

/// The rules ACL LIST shows for `name` (its line without `user <name> `).
fn acl_list_line(raw: &mut Raw, name: &str) -> String {
    let prefix = format!("user {name} ");
    let list = parse(&raw.command(&["ACL", "LIST"]));
    list.items()
        .iter()
        .map(Resp::text)
        .find_map(|line| line.strip_prefix(&prefix).map(str::to_string))
        .unwrap_or_else(|| panic!("no ACL LIST line for {name}"))
}

/// A parsed reply, enough for ACL LOG, ACL GETUSER and COMMAND.
#[derive(Debug, Clone, PartialEq)]
enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Double(String),
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<Resp>),
    Map(Vec<(Resp, Resp)>),
}

impl Resp {
    fn text(&self) -> String {
        match self {
            Resp::Simple(s) | Resp::Error(s) | Resp::Double(s) => s.clone(),
            Resp::Int(n) => n.to_string(),
            Resp::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
            other => panic!("not a string: {other:?}"),
        }
    }

    fn items(&self) -> &[Resp] {
        match self {
            Resp::Array(items) => items,
            other => panic!("not an array: {other:?}"),
        }
    }

    /// The value after `name` in a RESP2 flat array of pairs, or in a RESP3 map.
    fn field(&self, name: &str) -> &Resp {
        match self {
            Resp::Array(items) => items
                .chunks(2)
                .find(|pair| pair[0].text() == name)
                .map(|pair| &pair[1]),
            Resp::Map(pairs) => pairs.iter().find(|(k, _)| k.text() == name).map(|(_, v)| v),
            _ => None,
        }
        .unwrap_or_else(|| panic!("no field {name} in {self:?}"))
    }
}

fn parse(bytes: &[u8]) -> Resp {
    let mut at = 0;
    let value = parse_at(bytes, &mut at);
    assert_eq!(at, bytes.len(), "one reply");
    value
}

fn parse_at(bytes: &[u8], at: &mut usize) -> Resp {
    let end = *at
        + bytes[*at..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a line");
    let line = String::from_utf8_lossy(&bytes[*at + 1..end]).into_owned();
    let kind = bytes[*at];
    *at = end + 2;
    let count = || line.parse::<i64>().expect("a length");
    match kind {
        b'+' => Resp::Simple(line),
        b'-' => Resp::Error(line),
        b':' => Resp::Int(count()),
        b',' => Resp::Double(line),
        b'_' => Resp::Nil,
        b'$' if count() < 0 => Resp::Nil,
        b'$' => {
            let n = count() as usize;
            let payload = bytes[*at..*at + n].to_vec();
            *at += n + 2;
            Resp::Bulk(payload)
        }
        b'*' if count() < 0 => Resp::Nil,
        b'*' | b'~' | b'>' => Resp::Array((0..count()).map(|_| parse_at(bytes, at)).collect()),
        b'%' => Resp::Map(
            (0..count())
                .map(|_| (parse_at(bytes, at), parse_at(bytes, at)))
                .collect(),
        ),
        other => panic!("unexpected reply type {:?}", other as char),
    }
}

/// `ACL LOG [args]`'s entries.
fn acl_log(raw: &mut Raw, args: &[&str]) -> Vec<Resp> {
    let mut command = vec!["ACL", "LOG"];
    command.extend_from_slice(args);
    parse(&raw.command(&command)).items().to_vec()
}

/// An entry's count, reason, context, object and username.
fn summary(entry: &Resp) -> (i64, String, String, String, String) {
    let Resp::Int(count) = entry.field("count") else {
        panic!("count is an integer: {entry:?}");
    };
    (
        *count,
        entry.field("reason").text(),
        entry.field("context").text(),
        entry.field("object").text(),
        entry.field("username").text(),
    )
}

fn entry(count: i64, reason: &str, context: &str, object: &str, user: &str) -> LogSummary {
    (
        count,
        reason.into(),
        context.into(),
        object.into(),
        user.into(),
    )
}

type LogSummary = (i64, String, String, String, String);

// ---------------------------------------------------------------------------------------------
// The stages.

#[test]
fn stage_108_acl_whoami_answers_default() {
    let server = TestServer::start();
    assert_eq!(server.raw().cmd(&["ACL", "WHOAMI"]), "$7\r\ndefault\r\n");
}

#[test]
fn stage_109_acl_getuser_has_flags() {
    let server = TestServer::start();
    let reply = parse(&server.raw().command(&["ACL", "GETUSER", "default"]));
    let items = reply.items();
    assert_eq!(items[0], Resp::Bulk(b"flags".to_vec()));
    assert!(matches!(items[1], Resp::Array(_)), "{reply:?}");
}

#[test]
fn stage_110_the_default_user_is_nopass() {
    let server = TestServer::start();
    let reply = parse(&server.raw().command(&["ACL", "GETUSER", "default"]));
    let flags: Vec<String> = reply.items()[1].items().iter().map(Resp::text).collect();
    assert!(flags.contains(&"nopass".to_string()), "{flags:?}");
}

#[test]
fn stage_111_acl_getuser_has_passwords() {
    let server = TestServer::start();
    let reply = parse(&server.raw().command(&["ACL", "GETUSER", "default"]));
    let items = reply.items();
    assert_eq!(items[2], Resp::Bulk(b"passwords".to_vec()));
    assert_eq!(items[3], Resp::Array(Vec::new()));
}

#[test]
fn stage_112_setting_the_default_user_password() {
    let server = TestServer::start();
    let mut client = server.raw();
    let reply = client.cmd(&["ACL", "GETUSER", "default"]);
    assert!(
        reply.starts_with(
            "*12\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$6\r\nnopass\r\n$9\r\npasswords\r\n*0\r\n"
        ),
        "{reply}"
    );
    assert_eq!(
        client.cmd(&["ACL", "SETUSER", "default", ">mypassword"]),
        "+OK\r\n"
    );
    let reply = client.cmd(&["ACL", "GETUSER", "default"]);
    assert_eq!(
        reply,
        getuser_reply(&["on"], &[MYPASSWORD_SHA256], ("+@all", "~*", "&*"), &[])
    );
}

#[test]
fn stage_113_auth_checks_the_password() {
    let server = TestServer::start();
    let mut client = server.raw();
    setuser(&mut client, "default", &[">strawberry"]);
    let wrong = client.cmd(&["AUTH", "default", "wrongpassword-1"]);
    assert!(wrong.starts_with("-WRONGPASS "), "{wrong}");
    assert_eq!(wrong, WRONGPASS);
    assert_eq!(client.cmd(&["AUTH", "default", "strawberry"]), "+OK\r\n");
}

#[test]
fn stage_114_a_new_connection_must_authenticate() {
    let server = TestServer::start();
    let mut c1 = server.raw();
    assert_eq!(
        c1.cmd(&["ACL", "SETUSER", "default", ">blueberry"]),
        "+OK\r\n"
    );
    // The connection that set the password was already logged in, and stays so.
    assert_eq!(c1.cmd(&["ACL", "WHOAMI"]), "$7\r\ndefault\r\n");
    let mut c2 = server.raw();
    let reply = c2.cmd(&["ACL", "WHOAMI"]);
    assert!(reply.starts_with("-NOAUTH "), "{reply}");
    assert_eq!(reply, NOAUTH);
}

#[test]
fn stage_115_auth_then_commands_work() {
    let server = TestServer::start();
    let mut c1 = server.raw();
    setuser(&mut c1, "default", &[">raspberry"]);
    assert_eq!(c1.cmd(&["ACL", "WHOAMI"]), "$7\r\ndefault\r\n");
    let mut c2 = server.raw();
    assert_eq!(c2.cmd(&["ACL", "WHOAMI"]), NOAUTH);
    assert_eq!(c2.cmd(&["AUTH", "default", "raspberry"]), "+OK\r\n");
    assert_eq!(c2.cmd(&["ACL", "WHOAMI"]), "$7\r\ndefault\r\n");
    assert_eq!(c2.cmd(&["SET", "fruit", "kiwi"]), "+OK\r\n");
    assert_eq!(c2.cmd(&["GET", "missing"]), "$-1\r\n");
    assert_eq!(c2.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(c2.cmd(&["ECHO", "w"]), "$1\r\nw\r\n");
}

// ---------------------------------------------------------------------------------------------
// The rule language, read back.

#[test]
fn setuser_rules_read_back_in_acl_list_as_redis_prints_them() {
    let server = TestServer::start();
    let mut admin = server.raw();
    let hash = |h: &str| format!("#{h}");
    let cases: Vec<(Vec<String>, String)> = vec![
        (vec![], "off resetchannels -@all".into()),
        (
            vec!["on".into(), ">pw1".into(), ">pw2".into()],
            format!("on #{PW1_SHA256} #{PW2_SHA256} resetchannels -@all"),
        ),
        // `<password` and `!hash` remove one password; `#hash` adds one as it is.
        (
            vec!["on".into(), ">pw1".into(), ">pw2".into(), "<pw1".into()],
            format!("on #{PW2_SHA256} resetchannels -@all"),
        ),
        (
            vec![hash(PW_SHA256), format!("!{PW_SHA256}"), hash(X_SHA256)],
            format!("off #{X_SHA256} resetchannels -@all"),
        ),
        // The same password twice is kept once.
        (
            vec![">x".into(), ">x".into()],
            format!("off #{X_SHA256} resetchannels -@all"),
        ),
        // nopass clears the passwords; a password clears nopass; resetpass clears both.
        (
            vec![">x".into(), "nopass".into()],
            "off nopass resetchannels -@all".into(),
        ),
        (
            vec!["nopass".into(), ">x".into()],
            format!("off #{X_SHA256} resetchannels -@all"),
        ),
        (
            vec!["nopass".into(), "resetpass".into()],
            "off resetchannels -@all".into(),
        ),
        (
            vec!["on".into(), "off".into()],
            "off resetchannels -@all".into(),
        ),
        // %RW~ (and %WR~) is printed as plain ~.
        (
            ["~a*", "%R~r*", "%W~w*", "%RW~b*", "%WR~c*"]
                .map(String::from)
                .to_vec(),
            "off ~a* %R~r* %W~w* ~b* ~c* resetchannels -@all".into(),
        ),
        // Read and write permissions on the same pattern merge into one ~.
        (
            vec!["%R~x".into(), "%W~x".into()],
            "off ~x resetchannels -@all".into(),
        ),
        (
            vec!["~a".into(), "allkeys".into()],
            "off ~* resetchannels -@all".into(),
        ),
        (
            ["allkeys", "resetkeys", "~x", "~y"].map(String::from).to_vec(),
            "off ~x ~y resetchannels -@all".into(),
        ),
        (
            vec!["&ch1".into(), "&ch:*".into()],
            "off resetchannels &ch1 &ch:* -@all".into(),
        ),
        (
            vec!["&x".into(), "allchannels".into()],
            "off &* -@all".into(),
        ),
        (vec!["&*".into()], "off &* -@all".into()),
        (
            vec!["allchannels".into(), "resetchannels".into()],
            "off resetchannels -@all".into(),
        ),
        (
            vec!["+@string".into()],
            "off resetchannels -@all +@string".into(),
        ),
        (
            ["-@all", "+@read", "-@write"].map(String::from).to_vec(),
            "off resetchannels -@all +@read".into(),
        ),
        (
            vec!["+@all".into(), "-@dangerous".into()],
            "off resetchannels +@all -@dangerous".into(),
        ),
        (
            vec!["nocommands".into(), "+config|get".into()],
            "off resetchannels -@all +config|get".into(),
        ),
        (
            vec!["allcommands".into(), "-config|set".into()],
            "off resetchannels +@all -config|set".into(),
        ),
        (
            vec!["+select|0".into()],
            "off resetchannels -@all +select|0".into(),
        ),
        (
            vec!["-@all".into(), "+get".into()],
            "off resetchannels -@all +get".into(),
        ),
        (
            vec!["+@all".into(), "-@all".into()],
            "off resetchannels -@all".into(),
        ),
        (
            ["on", ">pw", "~k", "&c", "+@all", "(~x +get)", "reset"]
                .map(String::from)
                .to_vec(),
            "off sanitize-payload resetchannels -@all".into(),
        ),
        (
            vec!["skip-sanitize-payload".into(), "nopass".into()],
            "off nopass skip-sanitize-payload resetchannels -@all".into(),
        ),
        // Selectors: each in parentheses, after the root selector.
        (
            ["on", "(~a +get)", "(%R~b* +@read &c)"]
                .map(String::from)
                .to_vec(),
            "on resetchannels -@all (~a resetchannels -@all +get) (%R~b* resetchannels &c -@all +@read)".into(),
        ),
        // A selector spread over several arguments is joined back.
        (
            vec!["(~sp".into(), "+get)".into()],
            "off resetchannels -@all (~sp resetchannels -@all +get)".into(),
        ),
        (
            ["(~a", "&b", "+get)", "(~c +set)"].map(String::from).to_vec(),
            "off resetchannels -@all (~a resetchannels &b -@all +get) (~c resetchannels -@all +set)"
                .into(),
        ),
        (
            vec!["()".into()],
            "off resetchannels -@all (resetchannels -@all)".into(),
        ),
        (
            ["(~a +get)", "(~b +set)", "clearselectors"]
                .map(String::from)
                .to_vec(),
            "off resetchannels -@all".into(),
        ),
    ];
    for (i, (rules, expected)) in cases.iter().enumerate() {
        let name = format!("u{i}");
        let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
        setuser(&mut admin, &name, &rules);
        assert_eq!(&acl_list_line(&mut admin, &name), expected, "{rules:?}");
    }
}

#[test]
fn setuser_changes_an_existing_user_rule_by_rule() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", &["on", ">pw1", "~a", "+@read"]);
    setuser(&mut admin, "u", &[">pw2", "~b", "&c"]);
    assert_eq!(
        acl_list_line(&mut admin, "u"),
        format!("on #{PW1_SHA256} #{PW2_SHA256} ~a ~b resetchannels &c -@all +@read")
    );
    setuser(&mut admin, "u", &["off", "resetkeys", "-@all", "+@write"]);
    assert_eq!(
        acl_list_line(&mut admin, "u"),
        format!("off #{PW1_SHA256} #{PW2_SHA256} resetchannels &c -@all +@write")
    );
}

#[test]
fn acl_getuser_describes_flags_passwords_and_each_selector() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "u",
        &[
            "on",
            ">pw",
            "%R~r*",
            "~k",
            "&c",
            "-@all",
            "+get",
            "(~a +set)",
            "(%W~w* +@read &d)",
        ],
    );
    assert_eq!(
        admin.cmd(&["ACL", "GETUSER", "u"]),
        getuser_reply(
            &["on"],
            &[PW_SHA256],
            ("-@all +get", "%R~r* ~k", "&c"),
            &[("-@all +set", "~a", ""), ("-@all +@read", "%W~w*", "&d")],
        )
    );
    assert_eq!(admin.cmd(&["ACL", "GETUSER", "nosuch"]), "$-1\r\n");
}

#[test]
fn acl_getuser_in_resp3_is_a_map_with_a_set_of_flags() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.cmd(&["HELLO", "3"]);
    setuser(
        &mut admin,
        "u",
        &["on", "nopass", "-@all", "+get", "~k", "(~z +set)"],
    );
    assert_eq!(
        admin.cmd(&["ACL", "GETUSER", "u"]),
        "%6\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$6\r\nnopass\r\n$9\r\npasswords\r\n*0\r\n\
         $8\r\ncommands\r\n$10\r\n-@all +get\r\n$4\r\nkeys\r\n$2\r\n~k\r\n$8\r\nchannels\r\n$0\r\n\r\n\
         $9\r\nselectors\r\n*1\r\n%3\r\n$8\r\ncommands\r\n$10\r\n-@all +set\r\n$4\r\nkeys\r\n$2\r\n~z\r\n\
         $8\r\nchannels\r\n$0\r\n\r\n"
    );
    assert_eq!(admin.cmd(&["ACL", "GETUSER", "nosuch"]), "_\r\n");
}

#[test]
fn bad_rules_are_refused_with_redis_messages_and_change_nothing() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "victim", &["on", ">pw", "~*", "&*", "+@all"]);
    let before = acl_list_line(&mut admin, "victim");
    let modifier = |rule: &str, reason: &str| {
        format!("-ERR Error in ACL SETUSER modifier '{rule}': {reason}\r\n")
    };
    let unknown = "Unknown command or category name in ACL";
    let after_all_keys = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    let after_all_channels = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
    let bad_hash = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
    let no_such_password = "The password you are trying to remove from the user does not exist";
    let upper_hash = format!("#{}", PW_SHA256.to_uppercase());
    let missing_hash = format!("!{X_SHA256}");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["+nosuch"], modifier("+nosuch", unknown)),
        (vec!["-nosuch"], modifier("-nosuch", unknown)),
        (vec!["+@nosuch"], modifier("+@nosuch", unknown)),
        (vec!["+config|nosuch"], modifier("+config|nosuch", unknown)),
        (vec!["bogus"], modifier("bogus", "Syntax error")),
        // The rules before the bad one are not applied either.
        (
            vec!["off", "resetkeys", "bogus"],
            modifier("bogus", "Syntax error"),
        ),
        (vec!["+config|"], modifier("+config|", "Syntax error")),
        (
            vec!["+config|get|x"],
            modifier(
                "+config|get|x",
                "Allowing first-arg of a subcommand is not supported",
            ),
        ),
        (vec!["resetkeys", "%X~a"], modifier("%X~a", "Syntax error")),
        (
            vec!["resetkeys", "%RR~a"],
            modifier("%RR~a", "Syntax error"),
        ),
        // With allkeys, any key pattern is refused before its syntax is looked at.
        (vec!["%X~a"], modifier("%X~a", after_all_keys)),
        (vec!["resetkeys", "~a b"], modifier("~a b", "Syntax error")),
        (
            vec!["resetchannels", "&a b"],
            modifier("&a b", "Syntax error"),
        ),
        (vec!["~x"], modifier("~x", after_all_keys)),
        (vec!["%R~x"], modifier("%R~x", after_all_keys)),
        (vec!["&x"], modifier("&x", after_all_channels)),
        (vec!["#abc"], modifier("#abc", bad_hash)),
        (vec![&upper_hash], modifier(&upper_hash, bad_hash)),
        (vec!["<nosuch"], modifier("<nosuch", no_such_password)),
        (
            vec![&missing_hash],
            modifier(&missing_hash, no_such_password),
        ),
        (
            vec!["(~a", "+get"],
            "-ERR Unmatched parenthesis in acl selector starting at '(~a'.\r\n".into(),
        ),
        (
            vec!["(~x +set)", "(~a"],
            "-ERR Unmatched parenthesis in acl selector starting at '(~a'.\r\n".into(),
        ),
        (
            vec!["(~a +get)extra"],
            "-ERR Unmatched parenthesis in acl selector starting at '(~a +get)extra'.\r\n".into(),
        ),
        // The parenthesis closed at `+get)`; `x)` is a rule of its own.
        (vec!["(~a", "+get)", "x)"], modifier("x)", "Syntax error")),
    ];
    for (rules, expected) in cases {
        let mut args = vec!["ACL", "SETUSER", "victim"];
        args.extend_from_slice(&rules);
        assert_eq!(admin.cmd(&args), expected, "{rules:?}");
        assert_eq!(acl_list_line(&mut admin, "victim"), before, "{rules:?}");
    }
    // A failed SETUSER of a new user creates nothing.
    assert!(
        admin
            .cmd(&["ACL", "SETUSER", "newbie", "on", "+nosuch"])
            .starts_with("-ERR Error in ACL SETUSER modifier '+nosuch'")
    );
    assert_eq!(admin.cmd(&["ACL", "GETUSER", "newbie"]), "$-1\r\n");
    assert_eq!(admin.cmd(&["ACL", "USERS"]), bulks(&["default", "victim"]));
}

#[test]
fn usernames_with_spaces_or_nul_are_refused() {
    let server = TestServer::start();
    let mut admin = server.raw();
    for name in ["a b", "a\0b", "a\tb", "a\nb"] {
        assert_eq!(
            admin.cmd(&["ACL", "SETUSER", name]),
            "-ERR Usernames can't contain spaces or null characters\r\n",
            "{name:?}"
        );
    }
    assert_eq!(admin.cmd(&["ACL", "USERS"]), bulks(&["default"]));
}

#[test]
fn acl_setuser_and_friends_check_their_arguments() {
    let server = TestServer::start();
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["ACL", "SETUSER"]),
        "-ERR wrong number of arguments for 'acl|setuser' command\r\n"
    );
    assert_eq!(
        admin.cmd(&["ACL", "DELUSER"]),
        "-ERR wrong number of arguments for 'acl|deluser' command\r\n"
    );
    assert_eq!(
        admin.cmd(&["ACL", "WHOAMI", "extra"]),
        "-ERR wrong number of arguments for 'acl|whoami' command\r\n"
    );
    assert_eq!(
        admin.cmd(&["ACL", "NOSUCH"]),
        "-ERR unknown subcommand 'NOSUCH'. Try ACL HELP.\r\n"
    );
}

#[test]
fn acl_users_lists_the_names_in_order() {
    let server = TestServer::start();
    let mut admin = server.raw();
    for name in ["zed", "alice", "bob"] {
        setuser(&mut admin, name, &[]);
    }
    assert_eq!(
        admin.cmd(&["ACL", "USERS"]),
        bulks(&["alice", "bob", "default", "zed"])
    );
    assert_eq!(
        admin.cmd(&["ACL", "LIST"]),
        bulks(&[
            "user alice off resetchannels -@all",
            "user bob off resetchannels -@all",
            "user default on nopass ~* &* +@all",
            "user zed off resetchannels -@all",
        ])
    );
}

#[test]
fn acl_cat_lists_the_categories_and_their_commands() {
    let server = TestServer::start();
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["ACL", "CAT"]),
        bulks(&[
            "keyspace",
            "read",
            "write",
            "set",
            "sortedset",
            "list",
            "hash",
            "string",
            "bitmap",
            "hyperloglog",
            "geo",
            "stream",
            "pubsub",
            "admin",
            "fast",
            "slow",
            "blocking",
            "dangerous",
            "connection",
            "transaction",
            "scripting",
        ])
    );
    let keyspace = parse(&admin.command(&["ACL", "CAT", "keyspace"]));
    let names: Vec<String> = keyspace.items().iter().map(Resp::text).collect();
    for name in ["del", "exists", "object|encoding", "flushall", "scan"] {
        assert!(names.contains(&name.to_string()), "{name} in {names:?}");
    }
    assert!(!names.contains(&"get".to_string()));
    assert_eq!(
        admin.cmd(&["ACL", "CAT", "nosuch"]),
        "-ERR Unknown category 'nosuch'\r\n"
    );
    assert_eq!(
        admin.cmd(&["ACL", "CAT", "a", "b"]),
        "-ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.\r\n"
    );
}

#[test]
fn acl_genpass_gives_the_requested_bits_as_hex() {
    let server = TestServer::start();
    let mut admin = server.raw();
    // 256 bits by default; a number of bits is rounded up to whole hex digits.
    for (args, digits) in [(&["ACL", "GENPASS"][..], 64), (&["ACL", "GENPASS", "5"], 2)] {
        let password = parse(&admin.command(args)).text();
        assert_eq!(password.len(), digits, "{password}");
        assert!(
            password
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
    let first = admin.cmd(&["ACL", "GENPASS"]);
    assert_ne!(first, admin.cmd(&["ACL", "GENPASS"]));
    for bits in ["0", "4097"] {
        assert_eq!(
            admin.cmd(&["ACL", "GENPASS", bits]),
            "-ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096\r\n"
        );
    }
    assert_eq!(
        admin.cmd(&["ACL", "GENPASS", "abc"]),
        "-ERR value is not an integer or out of range\r\n"
    );
}

// ---------------------------------------------------------------------------------------------
// Enforcement.

#[test]
fn a_forbidden_command_or_subcommand_is_refused_with_noperm() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "u",
        &["on", "nopass", "~*", "&*", "+@all", "-get", "-config|set"],
    );
    let mut client = login(&server, "u", "any");
    assert_eq!(client.cmd(&["GET", "k"]), noperm("get"));
    assert_eq!(
        client.cmd(&["CONFIG", "SET", "maxmemory", "0"]),
        noperm("config|set")
    );
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "maxmemory"]),
        bulks(&["maxmemory", "0"])
    );
    assert_eq!(client.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(client.cmd(&["ACL", "WHOAMI"]), bulk("u"));
    // Unknown commands and wrong arity are reported before permissions.
    assert_eq!(
        client.cmd(&["GET"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "NOSUCH"]),
        "-ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.\r\n"
    );
}

#[test]
fn new_rules_apply_to_logged_in_clients_at_their_next_command() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", &["on", "nopass", "~*", "+@all"]);
    let mut client = login(&server, "u", "x");
    assert_eq!(client.cmd(&["GET", "k"]), "$-1\r\n");
    setuser(&mut admin, "u", &["-get"]);
    assert_eq!(client.cmd(&["GET", "k"]), noperm("get"));
    setuser(&mut admin, "u", &["+get", "resetkeys", "~other"]);
    assert_eq!(client.cmd(&["GET", "k"]), NOPERM_KEY);
}

#[test]
fn key_patterns_limit_which_keys_a_command_may_touch() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.run_all(&[&["SET", "allowed1", "a"], &["SET", "other", "o"]]);
    setuser(&mut admin, "u", &["on", "nopass", "~allowed*", "+@all"]);
    let mut client = login(&server, "u", "x");
    assert_eq!(client.cmd(&["GET", "other"]), NOPERM_KEY);
    assert_eq!(client.cmd(&["GET", "allowed1"]), bulk("a"));
    assert_eq!(client.cmd(&["MGET", "allowed1", "other"]), NOPERM_KEY);
    assert_eq!(client.cmd(&["DEL", "other"]), NOPERM_KEY);
    assert_eq!(
        client.cmd(&["MSET", "allowed2", "b", "other", "c"]),
        NOPERM_KEY
    );
    // KEYS and SCAN take no key arguments: they list every key.
    let keys = parse(&client.command(&["KEYS", "*"]));
    assert_eq!(keys.items().len(), 2);
    assert_eq!(
        admin.cmd(&["GET", "other"]),
        bulk("o"),
        "nothing was changed"
    );
    // No channel is allowed either (acl-pubsub-default is resetchannels).
    assert_eq!(client.cmd(&["PUBLISH", "ch", "m"]), NOPERM_CHANNEL);
}

#[test]
fn read_and_write_key_permissions_follow_the_key_specs() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "u",
        &["on", "nopass", "%R~r*", "%W~w*", "~b*", "&*", "+@all"],
    );
    let mut client = login(&server, "u", "x");
    for (args, expected) in [
        (&["GET", "r1"][..], "$-1\r\n".to_string()),
        (&["GET", "w1"], NOPERM_KEY.into()),
        (&["SET", "w1", "v"], "+OK\r\n".into()),
        (&["SET", "r1", "v"], NOPERM_KEY.into()),
        // SET ... GET reads the old value: it needs read permission too.
        (&["SET", "w1", "v", "GET"], NOPERM_KEY.into()),
        (&["SET", "b1", "v", "GET"], "$-1\r\n".into()),
        (&["LPUSH", "r1", "x"], NOPERM_KEY.into()),
        (
            &["LPUSH", "w1", "x"],
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n".into(),
        ),
        // COPY reads its source and writes its destination.
        (&["COPY", "r1", "w2"], ":0\r\n".into()),
        (&["COPY", "w1", "w2"], NOPERM_KEY.into()),
        (&["COPY", "r1", "r2"], NOPERM_KEY.into()),
        // EXISTS and TYPE read no value: write permission is enough.
        (&["EXISTS", "w1"], ":1\r\n".into()),
        (&["TYPE", "w1"], "+string\r\n".into()),
        (&["STRLEN", "w1"], ":1\r\n".into()),
        (&["TTL", "w1"], NOPERM_KEY.into()),
        (&["INCR", "w1"], NOPERM_KEY.into()),
        (&["APPEND", "w1", "x"], ":2\r\n".into()),
        (&["EXPIRE", "w1", "100"], ":1\r\n".into()),
        (&["DEL", "r1"], NOPERM_KEY.into()),
        (&["LPOP", "w1"], NOPERM_KEY.into()),
        (&["LMOVE", "r1", "w1", "LEFT", "LEFT"], NOPERM_KEY.into()),
        (&["LMOVE", "b1", "r1", "LEFT", "LEFT"], NOPERM_KEY.into()),
        (&["RENAME", "w1", "b2"], NOPERM_KEY.into()),
        (&["RENAME", "b1", "w1"], "+OK\r\n".into()),
        (&["DEL", "w1"], ":1\r\n".into()),
        (&["SINTERSTORE", "w1", "r1", "r2"], ":0\r\n".into()),
        (&["SINTERSTORE", "r1", "r1", "r2"], NOPERM_KEY.into()),
        (&["SINTERCARD", "2", "r1", "w2"], NOPERM_KEY.into()),
        (&["LMPOP", "2", "b1", "r1", "LEFT"], NOPERM_KEY.into()),
        (&["LMPOP", "2", "b1", "b2", "LEFT"], "*-1\r\n".into()),
    ] {
        assert_eq!(client.cmd(args), expected, "{args:?}");
    }
}

#[test]
fn channel_patterns_limit_publish_and_subscribe() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "u",
        &["on", "nopass", "~*", "&news.*", "&exact", "+@all"],
    );
    let mut client = login(&server, "u", "x");
    assert_eq!(client.cmd(&["PUBLISH", "news.1", "m"]), ":0\r\n");
    assert_eq!(client.cmd(&["PUBLISH", "other", "m"]), NOPERM_CHANNEL);
    assert_eq!(client.cmd(&["SPUBLISH", "other", "m"]), NOPERM_CHANNEL);
    assert_eq!(client.cmd(&["SUBSCRIBE", "other"]), NOPERM_CHANNEL);
    assert_eq!(
        client.cmd(&["SUBSCRIBE", "news.sports"]),
        "*3\r\n$9\r\nsubscribe\r\n$11\r\nnews.sports\r\n:1\r\n"
    );
    // A pattern subscription must name one of the user's patterns literally: `news.s*` is
    // refused although every channel it matches is allowed.
    assert_eq!(
        client.cmd(&["PSUBSCRIBE", "news.*"]),
        "*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:2\r\n"
    );
    assert_eq!(client.cmd(&["PSUBSCRIBE", "news.s*"]), NOPERM_CHANNEL);
    assert_eq!(client.cmd(&["PSUBSCRIBE", "ex*"]), NOPERM_CHANNEL);
    assert_eq!(
        client.cmd(&["PSUBSCRIBE", "exact"]),
        "*3\r\n$10\r\npsubscribe\r\n$5\r\nexact\r\n:3\r\n"
    );
    assert_eq!(client.cmd(&["SSUBSCRIBE", "other"]), NOPERM_CHANNEL);
    assert_eq!(
        client.cmd(&["SSUBSCRIBE", "news.a"]),
        "*3\r\n$10\r\nssubscribe\r\n$6\r\nnews.a\r\n:1\r\n"
    );
    // Unsubscribing names no channel to check.
    assert_eq!(
        client.cmd(&["UNSUBSCRIBE", "other"]),
        "*3\r\n$11\r\nunsubscribe\r\n$5\r\nother\r\n:3\r\n"
    );
}

#[test]
fn a_command_runs_if_any_selector_allows_all_of_it() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "u",
        &[
            "on",
            "nopass",
            "-@all",
            "+get",
            "~a*",
            "(+set ~b*)",
            "(+@all ~c*)",
        ],
    );
    let mut client = login(&server, "u", "x");
    for (args, expected) in [
        (&["GET", "a1"][..], "$-1\r\n"),
        (&["GET", "b1"], NOPERM_KEY),
        (&["SET", "b1", "x"], "+OK\r\n"),
        (&["SET", "a1", "x"], NOPERM_KEY),
        (&["MSET", "c1", "x", "c2", "y"], "+OK\r\n"),
        // No one selector allows both keys.
        (&["MSET", "b1", "x", "c2", "y"], NOPERM_KEY),
        (&["MGET", "c1", "a1"], NOPERM_KEY),
        (&["GET", "c1"], "$1\r\nx\r\n"),
        (&["DEL", "zz"], NOPERM_KEY),
    ] {
        assert_eq!(client.cmd(args), expected, "{args:?}");
    }
}

#[test]
fn first_arg_rules_allow_some_databases_only() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "u",
        &[
            "on",
            "nopass",
            "~*",
            "-@all",
            "+select|0",
            "+select|2",
            "+ping",
        ],
    );
    let mut client = login(&server, "u", "x");
    assert_eq!(client.cmd(&["SELECT", "0"]), "+OK\r\n");
    assert_eq!(client.cmd(&["SELECT", "1"]), noperm("select"));
    assert_eq!(client.cmd(&["SELECT", "2"]), "+OK\r\n");
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn acl_dryrun_explains_a_refusal_without_running_anything() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "u",
        &["on", "nopass", "~k*", "&c*", "+@all", "-get", "-config|set"],
    );
    for (args, expected) in [
        (
            &["get", "k"][..],
            bulk("This user has no permissions to run the 'get' command"),
        ),
        (&["set", "k", "v"], "+OK\r\n".into()),
        (
            &["set", "z", "v"],
            bulk("This user has no permissions to access the 'z' key"),
        ),
        (
            &["MGET", "k1", "z1", "z2"],
            bulk("This user has no permissions to access the 'z1' key"),
        ),
        (
            &["config", "set", "maxmemory", "0"],
            bulk("This user has no permissions to run the 'config|set' command"),
        ),
        (&["config", "get", "maxmemory"], "+OK\r\n".into()),
        (
            &["publish", "x", "y"],
            bulk("This user has no permissions to access the 'x' channel"),
        ),
        (&["publish", "c1", "y"], "+OK\r\n".into()),
        (
            &["get"],
            "-ERR wrong number of arguments for 'get' command\r\n".into(),
        ),
        (&["nosuch"], "-ERR Command 'nosuch' not found\r\n".into()),
        (
            &["config", "nosuch"],
            "-ERR Command 'config' not found\r\n".into(),
        ),
        (
            &["config"],
            "-ERR wrong number of arguments for 'config' command\r\n".into(),
        ),
    ] {
        let mut command = vec!["ACL", "DRYRUN", "u"];
        command.extend_from_slice(args);
        assert_eq!(admin.cmd(&command), expected, "{args:?}");
    }
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "nosuch", "get", "k"]),
        "-ERR User 'nosuch' not found\r\n"
    );
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "u"]),
        "-ERR wrong number of arguments for 'acl|dryrun' command\r\n"
    );
    // With several selectors, the refusal reported is the one that got furthest.
    setuser(
        &mut admin,
        "s",
        &[
            "on",
            "nopass",
            "-@all",
            "+get",
            "+mget",
            "~a",
            "(+@all ~b)",
            "(+@all ~c &ch)",
        ],
    );
    for (args, expected) in [
        (&["mget", "a", "b"][..], "the 'b' key"),
        (&["mget", "b", "c"], "the 'c' key"),
        (&["set", "a", "1"], "the 'a' key"),
        (&["publish", "x", "y"], "the 'x' channel"),
    ] {
        let mut command = vec!["ACL", "DRYRUN", "s"];
        command.extend_from_slice(args);
        assert_eq!(
            admin.cmd(&command),
            bulk(&format!(
                "This user has no permissions to access {expected}"
            )),
            "{args:?}"
        );
    }
    assert_eq!(admin.cmd(&["ACL", "DRYRUN", "s", "ping"]), "+OK\r\n");
    assert_eq!(admin.cmd(&["DBSIZE"]), ":0\r\n", "nothing ran");
}

#[test]
fn a_forbidden_command_in_multi_is_refused_when_queued_and_exec_aborts() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "u",
        &["on", "nopass", "~k*", "&*", "+@all", "-get"],
    );
    let mut client = login(&server, "u", "x");
    assert_eq!(client.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(client.cmd(&["SET", "k", "v"]), "+QUEUED\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), noperm("get"));
    assert_eq!(client.cmd(&["SET", "z", "v"]), NOPERM_KEY);
    assert_eq!(client.cmd(&["INCR", "kn"]), "+QUEUED\r\n");
    assert_eq!(client.cmd(&["EXEC"]), EXECABORT);
    assert_eq!(admin.cmd(&["DBSIZE"]), ":0\r\n");
}

#[test]
fn rules_revoked_between_queueing_and_exec_fail_that_command_in_exec() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", &["on", "nopass", "~k*", "&*", "+@all"]);
    let mut client = login(&server, "u", "x");
    client.run_all(&[
        &["MULTI"],
        &["SET", "k1", "v"],
        &["INCR", "k2"],
        &["GET", "k1"],
        &["PUBLISH", "ch", "m"],
    ]);
    // From another connection: no more SET, no more k2, no channels.
    setuser(
        &mut admin,
        "u",
        &["-set", "resetkeys", "~k1", "resetchannels"],
    );
    assert_eq!(
        client.cmd(&["EXEC"]),
        format!(
            "*4\r\n{}{}$-1\r\n{}",
            revoked("no permission to execute the command or subcommand"),
            revoked("no permission to touch the specified keys"),
            revoked("no permission to access one of the channels used as arguments"),
        )
    );
    assert_eq!(admin.cmd(&["DBSIZE"]), ":0\r\n");
}

#[test]
fn a_transaction_that_changes_its_own_user_fails_the_commands_after() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", &["on", "nopass", "~*", "&*", "+@all"]);
    let mut client = login(&server, "u", "x");
    client.run_all(&[
        &["MULTI"],
        &["ACL", "SETUSER", "u", "-set"],
        &["SET", "k", "v"],
        &["GET", "k"],
    ]);
    assert_eq!(
        client.cmd(&["EXEC"]),
        format!(
            "*3\r\n+OK\r\n{}$-1\r\n",
            revoked("no permission to execute the command or subcommand")
        )
    );
}

#[test]
fn a_user_without_multi_gets_execabort_naming_exec() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", &["on", "nopass", "-@all"]);
    let mut client = login(&server, "u", "x");
    assert_eq!(client.cmd(&["MULTI"]), noperm("multi"));
    assert_eq!(
        client.cmd(&["EXEC"]),
        "-EXECABORT Transaction discarded because of: NOPERM this user has no permissions to run the 'exec' command\r\n"
    );
    assert_eq!(client.cmd(&["WATCH", "k"]), noperm("watch"));
}

/// Every command and subcommand `COMMAND` lists: (full name, arity, flags, and for a
/// container the full names of its subcommands).
fn command_table(raw: &mut Raw) -> Vec<(String, i64, Vec<String>, Vec<String>)> {
    let reply = parse(&raw.command(&["COMMAND"]));
    let describe = |entry: &Resp| {
        let items = entry.items();
        let Resp::Int(arity) = items[1] else {
            panic!("an arity: {entry:?}")
        };
        let flags = items[2].items().iter().map(Resp::text).collect();
        (items[0].text(), arity, flags)
    };
    let mut table = Vec::new();
    for entry in reply.items() {
        let (name, arity, flags) = describe(entry);
        let subcommands: Vec<(String, i64, Vec<String>)> =
            entry.items()[9].items().iter().map(describe).collect();
        let sub_names = subcommands.iter().map(|s| s.0.clone()).collect();
        table.push((name, arity, flags, sub_names));
        for (sub, arity, flags) in subcommands {
            table.push((sub, arity, flags, Vec::new()));
        }
    }
    table
}

/// A request for `name` (`get` or `config|get`) with as many dummy arguments as its arity
/// needs.
fn dummy_request(name: &str, arity: i64) -> Vec<String> {
    let mut args: Vec<String> = name.split('|').map(str::to_string).collect();
    while (args.len() as i64) < arity.abs() {
        args.push("x".into());
    }
    args
}

#[test]
fn every_command_and_subcommand_is_refused_once_taken_away() {
    let server = TestServer::start();
    let mut admin = server.raw();
    let table = command_table(&mut admin);
    assert!(table.len() > 150, "{} commands", table.len());
    let mut no_auth: Vec<&str> = (table.iter())
        .filter(|c| c.2.iter().any(|f| f == "no_auth"))
        .map(|c| c.0.as_str())
        .collect();
    no_auth.sort_unstable();
    assert_eq!(no_auth, ["auth", "hello", "quit", "reset"]);
    let arity_of = |name: &str| table.iter().find(|c| c.0 == name).expect("listed").1;
    let dryrun = |admin: &mut Raw, args: &[String]| {
        let mut command = vec!["ACL", "DRYRUN", "sweep"];
        command.extend(args.iter().map(String::as_str));
        admin.cmd(&command)
    };
    let mut wrong = Vec::new();
    for (name, arity, flags, subcommands) in &table {
        // A container's own rule covers all its subcommands: each is tried.
        let requests: Vec<(String, Vec<String>)> = match subcommands.is_empty() {
            true => vec![(name.clone(), dummy_request(name, *arity))],
            false => (subcommands.iter())
                .map(|sub| (sub.clone(), dummy_request(sub, arity_of(sub))))
                .collect(),
        };
        for (refused, request) in requests {
            // Allowed with everything: the request itself is valid.
            setuser(
                &mut admin,
                "sweep",
                &["reset", "on", "nopass", "~*", "&*", "+@all"],
            );
            let allowed = dryrun(&mut admin, &request);
            if allowed != "+OK\r\n" {
                wrong.push(format!("{request:?} with +@all: {allowed:?}"));
            }
            setuser(&mut admin, "sweep", &[&format!("-{name}")]);
            let expected = match flags.iter().any(|f| f == "no_auth") {
                // AUTH, HELLO, QUIT and RESET are always allowed.
                true => "+OK\r\n".to_string(),
                false => bulk(&format!(
                    "This user has no permissions to run the '{refused}' command"
                )),
            };
            let reply = dryrun(&mut admin, &request);
            if reply != expected {
                wrong.push(format!("-{name}, {request:?}: {reply:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn dispatch_agrees_with_dryrun_for_commands_sent_for_real() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.run_all(&[&["SET", "k", "v"]]);
    for (rule, args, name) in [
        ("-get", &["GET", "k"][..], "get"),
        ("-set", &["SET", "k", "w"], "set"),
        ("-config|get", &["CONFIG", "GET", "maxmemory"], "config|get"),
        ("-config", &["CONFIG", "GET", "maxmemory"], "config|get"),
        ("-client|id", &["CLIENT", "ID"], "client|id"),
        ("-flushall", &["FLUSHALL"], "flushall"),
        ("-keys", &["KEYS", "*"], "keys"),
        ("-@dangerous", &["FLUSHALL"], "flushall"),
        ("-@keyspace", &["DEL", "k"], "del"),
    ] {
        setuser(
            &mut admin,
            "u",
            &["reset", "on", "nopass", "~*", "&*", "+@all", rule],
        );
        let mut dryrun = vec!["ACL", "DRYRUN", "u"];
        dryrun.extend_from_slice(args);
        assert_eq!(
            admin.cmd(&dryrun),
            bulk(&format!(
                "This user has no permissions to run the '{name}' command"
            ))
        );
        let mut client = login(&server, "u", "x");
        assert_eq!(client.cmd(args), noperm(name), "{rule} {args:?}");
    }
    assert_eq!(admin.cmd(&["GET", "k"]), bulk("v"), "nothing ran");
}

#[test]
fn auth_hello_quit_and_reset_need_no_permission() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", &["on", "nopass", "-@all"]);
    for command in ["auth", "hello", "quit", "reset"] {
        let mut dryrun = vec!["ACL", "DRYRUN", "u", command];
        if command == "auth" {
            dryrun.push("x");
        }
        assert_eq!(admin.cmd(&dryrun), "+OK\r\n", "{command}");
    }
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "u", "ping"]),
        bulk("This user has no permissions to run the 'ping' command")
    );
    let mut client = login(&server, "u", "x");
    assert_eq!(client.cmd(&["PING"]), noperm("ping"));
    assert_eq!(client.cmd(&["AUTH", "u", "y"]), "+OK\r\n");
    let hello = client.cmd(&["HELLO"]);
    assert!(hello.starts_with("*14\r\n$6\r\nserver\r\n"), "{hello}");
    assert_eq!(client.cmd(&["RESET"]), "+RESET\r\n");
    // RESET logged it back in as the default user, which may do anything.
    assert_eq!(client.cmd(&["ACL", "WHOAMI"]), bulk("default"));
    let mut other = login(&server, "u", "x");
    assert_eq!(other.cmd(&["QUIT"]), "+OK\r\n");
    assert!(other.is_closed());
}

// ---------------------------------------------------------------------------------------------
// AUTH and HELLO.

#[test]
fn auth_with_one_argument_logs_in_as_default() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "default", &[">pw"]);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["AUTH", "wrong"]), WRONGPASS);
    assert_eq!(client.cmd(&["PING"]), NOAUTH);
    assert_eq!(client.cmd(&["AUTH", "pw"]), "+OK\r\n");
    assert_eq!(client.cmd(&["ACL", "WHOAMI"]), bulk("default"));
}

#[test]
fn auth_without_a_default_password_is_an_error() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["AUTH", "pw"]),
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    );
    // The two-argument form works: the default user takes any password.
    assert_eq!(client.cmd(&["AUTH", "default", "anything"]), "+OK\r\n");
}

#[test]
fn auth_checks_its_arguments() {
    let server = TestServer::start();
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["AUTH", "a", "b", "c"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        client.cmd(&["AUTH"]),
        "-ERR wrong number of arguments for 'auth' command\r\n"
    );
}

#[test]
fn a_disabled_user_an_unknown_user_or_a_wrong_password_is_wrongpass() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "off1", &["off", ">p1", "+@all"]);
    setuser(&mut admin, "on1", &["on", ">p1", "+@all"]);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["AUTH", "off1", "p1"]), WRONGPASS);
    assert_eq!(client.cmd(&["AUTH", "nosuch", "p1"]), WRONGPASS);
    assert_eq!(client.cmd(&["AUTH", "on1", "p2"]), WRONGPASS);
    assert_eq!(client.cmd(&["ACL", "WHOAMI"]), bulk("default"));
    assert_eq!(client.cmd(&["AUTH", "on1", "p1"]), "+OK\r\n");
    assert_eq!(client.cmd(&["ACL", "WHOAMI"]), bulk("on1"));
    // With the default user off, nobody gets in as default.
    setuser(&mut admin, "default", &["off"]);
    let mut locked = server.raw();
    assert_eq!(locked.cmd(&["PING"]), NOAUTH);
    assert_eq!(locked.cmd(&["AUTH", "default", "anything"]), WRONGPASS);
    assert_eq!(locked.cmd(&["AUTH", "on1", "p1"]), "+OK\r\n");
}

#[test]
fn a_nopass_user_accepts_any_password_and_an_empty_one_is_a_password() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "np", &["on", "nopass", "+@all"]);
    setuser(&mut admin, "emp", &["on", ">", "+@all"]);
    assert_eq!(
        admin.cmd(&["ACL", "GETUSER", "emp"]),
        getuser_reply(&["on"], &[EMPTY_SHA256], ("+@all", "", ""), &[])
    );
    let mut client = server.raw();
    assert_eq!(client.cmd(&["AUTH", "np", "whatever"]), "+OK\r\n");
    assert_eq!(client.cmd(&["ACL", "WHOAMI"]), bulk("np"));
    assert_eq!(client.cmd(&["AUTH", "emp", "x"]), WRONGPASS);
    assert_eq!(client.cmd(&["AUTH", "emp", ""]), "+OK\r\n");
    assert_eq!(client.cmd(&["ACL", "WHOAMI"]), bulk("emp"));
}

#[test]
fn a_binary_password_is_hashed_and_checked_byte_for_byte() {
    // SHA-256 of these bytes, from Python's hashlib.
    const BINARY: &[u8] = b"p\x00w\xff\r\nd";
    const BINARY_SHA256: &str = "ac46eaca4f250b107654cf84e57b1b6667536e063954c24ce1eef1f7fb8cff4f";
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.send(&resp_bytes(&[
        b"ACL",
        b"SETUSER",
        b"bin",
        b"on",
        &[b">", BINARY].concat(),
        b"+@all",
    ]));
    assert_eq!(admin.reply_text(), "+OK\r\n");
    assert_eq!(
        admin.cmd(&["ACL", "GETUSER", "bin"]),
        getuser_reply(&["on"], &[BINARY_SHA256], ("+@all", "", ""), &[])
    );
    let mut client = server.raw();
    for (password, expected) in [
        (&b"p\x00w\xfe\r\nd"[..], WRONGPASS),
        (b"p", WRONGPASS),
        (BINARY, "+OK\r\n"),
    ] {
        client.send(&resp_bytes(&[b"AUTH", b"bin", password]));
        assert_eq!(client.reply_text(), expected, "{password:?}");
    }
    assert_eq!(client.cmd(&["ACL", "WHOAMI"]), bulk("bin"));
    // `<password` removes it by the same bytes.
    admin.send(&resp_bytes(&[
        b"ACL",
        b"SETUSER",
        b"bin",
        &[b"<", BINARY].concat(),
    ]));
    assert_eq!(admin.reply_text(), "+OK\r\n");
    assert_eq!(acl_list_line(&mut admin, "bin"), "on resetchannels +@all");
}

/// HELLO's reply to a client with this id.
fn hello_reply(proto: u8, id: &str) -> String {
    let head = match proto {
        3 => "%7\r\n",
        _ => "*14\r\n",
    };
    format!(
        "{head}$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:{proto}\r\n$2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
    )
}

#[test]
fn hello_3_auth_logs_in_and_replies_the_resp3_map() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "default", &[">pw"]);
    admin.cmd(&["AUTH", "pw"]);
    setuser(&mut admin, "u", &["on", ">a", "~*", "+@all"]);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["HELLO", "3", "AUTH", "u", "wrong"]), WRONGPASS);
    let reply = client.cmd(&["HELLO", "3", "AUTH", "u", "a"]);
    let id = client.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim_end();
    assert_eq!(reply, hello_reply(3, id));
    assert_eq!(client.cmd(&["ACL", "WHOAMI"]), bulk("u"));
    // RESP3 from now on.
    assert_eq!(client.cmd(&["GET", "missing"]), "_\r\n");
}

#[test]
fn hello_2_auth_logs_in_sets_the_name_and_replies_the_resp2_array() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "default", &[">pw"]);
    let mut client = server.raw();
    let reply = client.cmd(&["HELLO", "2", "AUTH", "default", "pw", "SETNAME", "nm"]);
    let id = client.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim_end();
    assert_eq!(reply, hello_reply(2, id));
    assert_eq!(client.cmd(&["CLIENT", "GETNAME"]), bulk("nm"));
    assert_eq!(client.cmd(&["GET", "missing"]), "$-1\r\n");
}

#[test]
fn a_failed_hello_auth_changes_nothing() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", &["on", ">pw", "+@all"]);
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["HELLO", "3", "AUTH", "u", "bad", "SETNAME", "newname"]),
        WRONGPASS
    );
    assert_eq!(client.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
    assert_eq!(client.cmd(&["ACL", "WHOAMI"]), bulk("default"));
    assert_eq!(
        client.cmd(&["HELLO", "3", "AUTH", "u"]),
        "-ERR Syntax error in HELLO option 'AUTH'\r\n"
    );
    assert_eq!(
        client.cmd(&["HELLO", "4", "AUTH", "u", "pw"]),
        "-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(client.cmd(&["ACL", "WHOAMI"]), bulk("default"));
}

#[test]
fn hello_without_auth_on_an_unauthenticated_connection_is_refused() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "default", &[">pw"]);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["HELLO"]), HELLO_NOAUTH);
    assert_eq!(client.cmd(&["HELLO", "3"]), HELLO_NOAUTH);
    assert_eq!(client.cmd(&["HELLO", "2", "SETNAME", "x"]), HELLO_NOAUTH);
    assert_eq!(client.cmd(&["AUTH", "pw"]), "+OK\r\n");
    assert!(client.cmd(&["HELLO"]).starts_with("*14\r\n"));
}

#[test]
fn unknown_commands_and_wrong_arity_are_reported_before_noauth() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "default", &[">pw"]);
    let mut client = server.raw();
    assert_eq!(
        client.cmd(&["NOSUCH", "a", "b"]),
        "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        client.cmd(&["GET"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        client.cmd(&["CONFIG", "NOSUCH"]),
        "-ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.\r\n"
    );
    assert_eq!(client.cmd(&["GET", "k"]), NOAUTH);
    assert_eq!(client.cmd(&["MULTI"]), NOAUTH);
    // QUIT needs no login.
    assert_eq!(client.cmd(&["QUIT"]), "+OK\r\n");
    assert!(client.is_closed());
}

#[test]
fn reset_logs_the_connection_out() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "default", &[">pw"]);
    setuser(&mut admin, "u", &["on", ">a", "+@all"]);
    let mut client = login(&server, "u", "a");
    assert!(client.cmd(&["CLIENT", "INFO"]).contains(" user=u "));
    assert_eq!(client.cmd(&["RESET"]), "+RESET\r\n");
    assert_eq!(client.cmd(&["PING"]), NOAUTH);
    assert_eq!(client.cmd(&["AUTH", "pw"]), "+OK\r\n");
    assert!(client.cmd(&["CLIENT", "INFO"]).contains(" user=default "));
}

#[test]
fn the_redis_crate_logs_in_with_a_url() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "default", &[">secret"]);
    setuser(&mut admin, "alice", &["on", ">alice", "~*", "+@all"]);
    for suffix in ["", "?protocol=resp3"] {
        let url = format!("redis://alice:alice@127.0.0.1:{}/{suffix}", server.port);
        let mut alice = redis::Client::open(url).unwrap().get_connection().unwrap();
        assert_eq!(query::<String>(&mut alice, &["ACL", "WHOAMI"]), "alice");
        let url = format!("redis://:secret@127.0.0.1:{}/{suffix}", server.port);
        let mut default = redis::Client::open(url).unwrap().get_connection().unwrap();
        assert_eq!(query::<String>(&mut default, &["ACL", "WHOAMI"]), "default");
        let url = format!("redis://alice:wrong@127.0.0.1:{}/{suffix}", server.port);
        let refused = redis::Client::open(url).unwrap().get_connection();
        let error = refused.err().expect("a wrong password is refused");
        // The crate reports a refused AUTH as such, and HELLO's WRONGPASS as the server's error.
        assert!(
            error.kind() == redis::ErrorKind::AuthenticationFailed
                || error.code() == Some("WRONGPASS"),
            "{error}"
        );
    }
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn redis_cli_logs_in_with_user_and_pass() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "cli", &["on", ">clipw", "+@all", "~*"]);
    let run = |password: &str| {
        let output = Command::new("redis-cli")
            .args(["-p", &server.port.to_string(), "--no-auth-warning"])
            .args(["--user", "cli", "--pass", password, "ACL", "WHOAMI"])
            .output()
            .expect("redis-cli is installed (run through .ci/run)");
        (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    assert_eq!(run("clipw").0, "cli\n");
    // A refused AUTH is reported, and the command runs as the default user.
    let (stdout, stderr) = run("bad");
    assert_eq!(stdout, "default\n");
    assert!(
        stderr
            .contains("AUTH failed: WRONGPASS invalid username-password pair or user is disabled."),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// What an unauthenticated client may send.

#[test]
fn an_unauthenticated_client_may_not_announce_more_than_ten_arguments() {
    let server = TestServer::with_args(&["--requirepass", "pw"]);
    let mut client = server.raw();
    client.send(b"*11\r\n");
    assert_eq!(
        client.read_to_close(),
        b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    );
    // Ten are fine (and refused for want of a login).
    let mut client = server.raw();
    let ten: Vec<&str> = ["RPUSH", "l"].into_iter().chain(["e"; 8]).collect();
    assert_eq!(client.cmd(&ten), NOAUTH);
    assert_eq!(client.cmd(&["AUTH", "pw"]), "+OK\r\n");
    let eleven: Vec<&str> = ["RPUSH", "l"].into_iter().chain(["e"; 9]).collect();
    assert_eq!(client.cmd(&eleven), ":9\r\n");
}

#[test]
fn an_unauthenticated_client_may_not_announce_a_bulk_over_16_kib() {
    let server = TestServer::with_args(&["--requirepass", "pw"]);
    let mut client = server.raw();
    client.send(b"*1\r\n$16385\r\n");
    assert_eq!(
        client.read_to_close(),
        b"-ERR Protocol error: unauthenticated bulk length\r\n"
    );
    let mut client = server.raw();
    let limit = "y".repeat(16384);
    assert_eq!(client.cmd(&["ECHO", &limit]), NOAUTH);
    assert_eq!(client.cmd(&["AUTH", "pw"]), "+OK\r\n");
    let long = "x".repeat(16385);
    assert_eq!(client.cmd(&["ECHO", &long]), bulk(&long));
}

#[test]
fn without_a_password_the_unauthenticated_limits_do_not_apply() {
    let server = TestServer::start();
    let mut client = server.raw();
    let eleven: Vec<&str> = ["RPUSH", "l"].into_iter().chain(["e"; 9]).collect();
    assert_eq!(client.cmd(&eleven), ":9\r\n");
    let long = "x".repeat(20000);
    assert_eq!(client.cmd(&["ECHO", &long]), bulk(&long));
}

// ---------------------------------------------------------------------------------------------
// ACL LOG.

#[test]
fn acl_log_records_command_key_channel_and_auth_refusals() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "lg",
        &[
            "on",
            ">pw",
            "~k*",
            "&ch*",
            "-@all",
            "+@string",
            "+publish",
            "+client|id",
        ],
    );
    let mut client = server.raw();
    assert_eq!(client.cmd(&["AUTH", "lg", "wrong"]), WRONGPASS);
    assert_eq!(client.cmd(&["AUTH", "lg", "pw"]), "+OK\r\n");
    assert_eq!(client.cmd(&["LPUSH", "k", "x"]), noperm("lpush"));
    assert_eq!(client.cmd(&["GET", "x"]), NOPERM_KEY);
    assert_eq!(client.cmd(&["PUBLISH", "other", "m"]), NOPERM_CHANNEL);
    let id = client.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim_end();
    let entries = acl_log(&mut admin, &[]);
    let summaries: Vec<LogSummary> = entries.iter().map(summary).collect();
    assert_eq!(
        summaries,
        [
            entry(1, "channel", "toplevel", "other", "lg"),
            entry(1, "key", "toplevel", "x", "lg"),
            entry(1, "command", "toplevel", "lpush", "lg"),
            // A failed login: the object is the command as sent, the username the one tried.
            entry(1, "auth", "toplevel", "AUTH", "lg"),
        ]
    );
    for (i, entry) in entries.iter().enumerate() {
        let age: f64 = entry.field("age-seconds").text().parse().expect("a number");
        assert!((0.0..10.0).contains(&age), "{age}");
        let info = entry.field("client-info").text();
        assert!(info.starts_with(&format!("id={id} addr=")), "{info}");
        // The failed login happened while the client was still the default user.
        let user = if i == 3 { "default" } else { "lg" };
        assert!(info.contains(&format!(" user={user} ")), "{info}");
    }
}

#[test]
fn acl_log_groups_repeated_refusals() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", &["on", "nopass", "~k*", "+@all"]);
    let mut client = login(&server, "u", "x");
    for _ in 0..3 {
        assert_eq!(client.cmd(&["GET", "x"]), NOPERM_KEY);
    }
    assert_eq!(
        acl_log(&mut admin, &[])
            .iter()
            .map(summary)
            .collect::<Vec<_>>(),
        [entry(3, "key", "toplevel", "x", "u")]
    );
    // Another refusal, then the first again: that entry is bumped and moves to the front.
    client.cmd(&["GET", "y"]);
    client.cmd(&["GET", "x"]);
    assert_eq!(
        acl_log(&mut admin, &[])
            .iter()
            .map(summary)
            .collect::<Vec<_>>(),
        [
            entry(4, "key", "toplevel", "x", "u"),
            entry(1, "key", "toplevel", "y", "u"),
        ]
    );
    // AUTH and auth are different objects.
    let mut other = server.raw();
    other.cmd(&["auth", "u2", "x"]);
    other.cmd(&["AUTH", "u2", "x"]);
    other.cmd(&["AUTH", "u2", "x"]);
    let newest: Vec<LogSummary> = acl_log(&mut admin, &["2"]).iter().map(summary).collect();
    assert_eq!(
        newest,
        [
            entry(2, "auth", "toplevel", "AUTH", "u2"),
            entry(1, "auth", "toplevel", "auth", "u2"),
        ]
    );
}

#[test]
fn acl_log_takes_a_count_and_resets() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", &["on", "nopass", "~k*", "+@all"]);
    let mut client = login(&server, "u", "x");
    for key in ["a", "b", "c"] {
        client.cmd(&["GET", key]);
    }
    let objects = |entries: Vec<Resp>| -> Vec<String> {
        entries.iter().map(|e| e.field("object").text()).collect()
    };
    assert_eq!(objects(acl_log(&mut admin, &[])), ["c", "b", "a"]);
    assert_eq!(objects(acl_log(&mut admin, &["2"])), ["c", "b"]);
    assert_eq!(admin.cmd(&["ACL", "LOG", "0"]), "*0\r\n");
    assert_eq!(admin.cmd(&["ACL", "LOG", "-1"]), "*0\r\n");
    assert_eq!(
        admin.cmd(&["ACL", "LOG", "abc"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        admin.cmd(&["ACL", "LOG", "1", "2"]),
        "-ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.\r\n"
    );
    assert_eq!(admin.cmd(&["ACL", "LOG", "RESET"]), "+OK\r\n");
    assert_eq!(admin.cmd(&["ACL", "LOG"]), "*0\r\n");
}

#[test]
fn acl_log_in_resp3_is_a_list_of_maps_with_a_double_age() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.cmd(&["HELLO", "3"]);
    setuser(&mut admin, "u", &["on", "nopass", "~k*", "+@all"]);
    login(&server, "u", "x").cmd(&["GET", "q"]);
    let reply = admin.command(&["ACL", "LOG"]);
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.starts_with(
            "*1\r\n%7\r\n$5\r\ncount\r\n:1\r\n$6\r\nreason\r\n$3\r\nkey\r\n$7\r\ncontext\r\n$8\r\ntoplevel\r\n$6\r\nobject\r\n$1\r\nq\r\n$8\r\nusername\r\n$1\r\nu\r\n$11\r\nage-seconds\r\n,"
        ),
        "{text}"
    );
    let Resp::Double(age) = parse(&reply).items()[0].field("age-seconds").clone() else {
        panic!("a double: {text}");
    };
    assert!(age.parse::<f64>().is_ok(), "{age}");
}

#[test]
fn acllog_max_len_bounds_the_log() {
    let server = TestServer::start();
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "acllog-max-len"]),
        bulks(&["acllog-max-len", "128"])
    );
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "acllog-max-len", "2"]),
        "+OK\r\n"
    );
    setuser(&mut admin, "u", &["on", "nopass", "~k*", "+@all"]);
    let mut client = login(&server, "u", "x");
    for key in ["y1", "y2", "y3"] {
        client.cmd(&["GET", key]);
    }
    let objects = |admin: &mut Raw| -> Vec<String> {
        (acl_log(admin, &[]).iter())
            .map(|e| e.field("object").text())
            .collect()
    };
    assert_eq!(objects(&mut admin), ["y3", "y2"]);
    // A smaller limit is applied when the next entry comes, as in Redis.
    admin.cmd(&["CONFIG", "SET", "acllog-max-len", "1"]);
    assert_eq!(objects(&mut admin), ["y3", "y2"]);
    client.cmd(&["GET", "y4"]);
    assert_eq!(objects(&mut admin), ["y4"]);
}

#[test]
fn refusals_in_a_transaction_are_logged_with_the_multi_context() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", &["on", ">pw", "~k*", "&*", "+@all"]);
    let mut client = login(&server, "u", "pw");
    client.run_all(&[&["MULTI"]]);
    assert_eq!(client.cmd(&["SET", "z1", "v"]), NOPERM_KEY);
    assert_eq!(client.cmd(&["EXEC"]), EXECABORT);
    client.run_all(&[&["MULTI"], &["SET", "k1", "v"], &["AUTH", "u", "bad"]]);
    setuser(&mut admin, "u", &["-set"]);
    assert_eq!(
        client.cmd(&["EXEC"]),
        format!(
            "*2\r\n{}{WRONGPASS}",
            revoked("no permission to execute the command or subcommand")
        )
    );
    assert_eq!(
        acl_log(&mut admin, &[])
            .iter()
            .map(summary)
            .collect::<Vec<_>>(),
        [
            entry(1, "auth", "multi", "AUTH", "u"),
            entry(1, "command", "multi", "set", "u"),
            entry(1, "key", "multi", "z1", "u"),
        ]
    );
}

/// Server bug: thredis describes the client in ACL LOG (and CLIENT LIST) with the command it
/// ran before the refused one, where Redis names the refused command: Redis looks the command
/// up, and makes it the client's last command, before it checks permissions.
#[test]
fn acl_log_client_info_names_the_refused_command() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", &["on", "nopass", "~*", "-@all", "+ping"]);
    let mut client = login(&server, "u", "x");
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(client.cmd(&["GET", "k"]), noperm("get"));
    let entries = acl_log(&mut admin, &[]);
    let info = entries[0].field("client-info").text();
    assert!(info.contains(" cmd=get user=u "), "{info}");
    let list = admin.cmd(&["CLIENT", "LIST"]);
    let line = list
        .lines()
        .find(|line| line.contains(" user=u "))
        .expect("the client is listed");
    assert!(line.contains(" cmd=get "), "{line}");
}

// ---------------------------------------------------------------------------------------------
// Deleting users and killing their clients.

#[test]
fn deluser_disconnects_the_user_s_clients() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "du", &["on", "nopass", "+@all", "~*", "&*"]);
    let mut c1 = login(&server, "du", "x");
    let mut c2 = login(&server, "du", "x");
    let mut bystander = server.raw();
    assert_eq!(c1.cmd(&["PING"]), "+PONG\r\n");
    // Names that do not exist count for nothing.
    assert_eq!(admin.cmd(&["ACL", "DELUSER", "du", "nosuch"]), ":1\r\n");
    assert!(c1.is_closed());
    assert!(c2.is_closed());
    assert_eq!(bystander.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(admin.cmd(&["ACL", "GETUSER", "du"]), "$-1\r\n");
    assert_eq!(admin.cmd(&["ACL", "DELUSER", "du"]), ":0\r\n");
}

#[test]
fn deluser_of_one_s_own_user_replies_then_closes() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "me", &["on", "nopass", "+@all", "~*"]);
    let mut client = login(&server, "me", "x");
    assert_eq!(client.cmd(&["ACL", "DELUSER", "me"]), ":1\r\n");
    assert!(client.is_closed());
}

#[test]
fn a_blocked_client_of_a_deleted_user_is_disconnected() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "bl", &["on", "nopass", "+@all", "~*"]);
    let mut client = login(&server, "bl", "x");
    client.send(&resp(&["BLPOP", "nokey", "0"]));
    admin.wait_for_blocked(1);
    assert_eq!(admin.cmd(&["ACL", "DELUSER", "bl"]), ":1\r\n");
    assert!(client.is_closed());
}

#[test]
fn the_default_user_cannot_be_deleted() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "keep", &[]);
    for args in [
        &["ACL", "DELUSER", "default"][..],
        &["ACL", "DELUSER", "keep", "default"],
    ] {
        assert_eq!(
            admin.cmd(args),
            "-ERR The 'default' user cannot be removed\r\n"
        );
    }
    // Nothing was deleted.
    assert_eq!(admin.cmd(&["ACL", "USERS"]), bulks(&["default", "keep"]));
}

#[test]
fn client_list_shows_each_client_s_user() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "alice", &["on", "nopass", "+@all"]);
    let mut alice = login(&server, "alice", "x");
    alice.cmd(&["CLIENT", "SETNAME", "a-client"]);
    let list = admin.cmd(&["CLIENT", "LIST"]);
    let line = list
        .lines()
        .find(|line| line.contains(" name=a-client "))
        .expect("alice's client");
    assert!(line.contains(" user=alice "), "{line}");
    assert!(admin.cmd(&["CLIENT", "INFO"]).contains(" user=default "));
}

#[test]
fn client_kill_user_kills_that_user_s_clients() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "ku", &["on", "nopass", "+@all", "~*"]);
    let mut c1 = login(&server, "ku", "x");
    let mut c2 = login(&server, "ku", "x");
    let mut bystander = server.raw();
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "USER", "ku"]), ":2\r\n");
    assert!(c1.is_closed());
    assert!(c2.is_closed());
    assert_eq!(bystander.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "USER", "ku"]), ":0\r\n");
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "USER", "nosuch"]),
        "-ERR No such user 'nosuch'\r\n"
    );
    // A client skips itself unless told SKIPME no.
    let mut me = login(&server, "ku", "x");
    assert_eq!(me.cmd(&["CLIENT", "KILL", "USER", "ku"]), ":0\r\n");
    assert_eq!(
        me.cmd(&["CLIENT", "KILL", "USER", "ku", "SKIPME", "no"]),
        ":1\r\n"
    );
    assert!(me.is_closed());
}

// ---------------------------------------------------------------------------------------------
// requirepass and protected mode.

#[test]
fn requirepass_at_startup_requires_auth() {
    let server = TestServer::with_args(&["--requirepass", "secret"]);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["PING"]), NOAUTH);
    assert_eq!(client.cmd(&["AUTH", "wrong"]), WRONGPASS);
    assert_eq!(client.cmd(&["AUTH", "secret"]), "+OK\r\n");
    assert_eq!(client.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        client.cmd(&["CONFIG", "GET", "requirepass"]),
        bulks(&["requirepass", "secret"])
    );
    assert_eq!(
        acl_list_line(&mut client, "default"),
        format!("on #{SECRET_SHA256} ~* &* +@all")
    );
}

#[test]
fn config_set_requirepass_sets_and_clears_the_default_password() {
    let server = TestServer::start();
    let mut admin = server.raw();
    let mut before = server.raw();
    assert_eq!(before.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "requirepass", "secret"]),
        "+OK\r\n"
    );
    assert_eq!(
        admin.cmd(&["ACL", "GETUSER", "default"]),
        getuser_reply(&["on"], &[SECRET_SHA256], ("+@all", "~*", "&*"), &[])
    );
    // Connections made while no password was needed stay logged in.
    assert_eq!(admin.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(before.cmd(&["PING"]), "+PONG\r\n");
    let mut client = server.raw();
    assert_eq!(client.cmd(&["PING"]), NOAUTH);
    assert_eq!(client.cmd(&["AUTH", "secret"]), "+OK\r\n");
    assert_eq!(admin.cmd(&["CONFIG", "SET", "requirepass", ""]), "+OK\r\n");
    assert_eq!(
        admin.cmd(&["ACL", "GETUSER", "default"]),
        getuser_reply(&["on", "nopass"], &[], ("+@all", "~*", "&*"), &[])
    );
    assert_eq!(server.raw().cmd(&["PING"]), "+PONG\r\n");
    // A password set with ACL SETUSER is not requirepass.
    setuser(&mut admin, "default", &[">abc"]);
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "requirepass"]),
        bulks(&["requirepass", ""])
    );
}

#[test]
fn protected_mode_serves_remote_clients_once_the_default_user_has_a_password() {
    let Some(ip) = non_loopback_address() else {
        eprintln!("skipped: this machine has no non-loopback address to connect from");
        return;
    };
    let server = TestServer::with_args(&["--bind", "0.0.0.0", "--requirepass", "secret"]);
    let mut remote = Raw::connect_to(ip, server.port);
    assert_eq!(remote.cmd(&["PING"]), NOAUTH);
    assert_eq!(remote.cmd(&["AUTH", "secret"]), "+OK\r\n");
    assert_eq!(remote.cmd(&["PING"]), "+PONG\r\n");

    let open = TestServer::with_args(&["--bind", "0.0.0.0"]);
    let mut local = open.raw();
    setuser(&mut local, "default", &[">pw"]);
    let mut remote = Raw::connect_to(ip, open.port);
    assert_eq!(remote.cmd(&["PING"]), NOAUTH);
    // Back to nopass: remote clients are refused again, unasked.
    setuser(&mut local, "default", &["nopass"]);
    let reply = String::from_utf8(Raw::connect_to(ip, open.port).read_to_close()).unwrap();
    assert!(
        reply.starts_with("-DENIED Redis is running in protected mode"),
        "{reply}"
    );
}

// ---------------------------------------------------------------------------------------------
// The ACL file and `user` lines.

#[test]
fn an_aclfile_is_loaded_at_startup() {
    let dir = scratch_dir("aclfile");
    std::fs::write(
        dir.join("users.acl"),
        "user alice on >alice ~a* &* +@all\nuser bob off -@all +get\n",
    )
    .unwrap();
    let server = TestServer::in_dir(&dir, &["--aclfile", "users.acl"]);
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["ACL", "LIST"]),
        bulks(&[
            &format!("user alice on #{ALICE_SHA256} ~a* &* +@all"),
            "user bob off resetchannels -@all +get",
            "user default on nopass ~* &* +@all",
        ])
    );
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "aclfile"]),
        bulks(&["aclfile", "users.acl"])
    );
    let mut alice = login(&server, "alice", "alice");
    assert_eq!(alice.cmd(&["GET", "a1"]), "$-1\r\n");
    assert_eq!(alice.cmd(&["GET", "b1"]), NOPERM_KEY);
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "aclfile", "x"]),
        "-ERR CONFIG SET failed (possibly related to argument 'aclfile') - can't set immutable config\r\n"
    );
}

#[test]
fn acl_save_writes_every_user_to_the_aclfile() {
    let dir = scratch_dir("aclfile-save");
    std::fs::write(dir.join("users.acl"), "user alice on >alice ~a* &* +@all\n").unwrap();
    let server = TestServer::in_dir(&dir, &["--aclfile", "users.acl"]);
    let mut admin = server.raw();
    setuser(&mut admin, "carol", &["on", ">x", "+@read", "~c*"]);
    setuser(&mut admin, "dave", &["on", "nopass", "(~d +get)"]);
    assert_eq!(admin.cmd(&["ACL", "SAVE"]), "+OK\r\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("users.acl")).unwrap(),
        format!(
            "user alice on #{ALICE_SHA256} ~a* &* +@all\n\
             user carol on #{X_SHA256} ~c* resetchannels -@all +@read\n\
             user dave on nopass resetchannels -@all (~d resetchannels -@all +get)\n\
             user default on nopass ~* &* +@all\n"
        )
    );
    // The file reads back to the same users.
    let before = admin.cmd(&["ACL", "LIST"]);
    assert_eq!(admin.cmd(&["ACL", "LOAD"]), "+OK\r\n");
    assert_eq!(admin.cmd(&["ACL", "LIST"]), before);
}

#[test]
fn acl_load_replaces_the_users_and_disconnects_their_clients() {
    let dir = scratch_dir("aclfile-load");
    let path = dir.join("users.acl");
    std::fs::write(&path, "user alice on >alice ~a* &* +@all\n").unwrap();
    let server = TestServer::in_dir(&dir, &["--aclfile", "users.acl"]);
    let mut admin = server.raw();
    setuser(&mut admin, "carol", &["on", ">x", "+@all"]);
    let mut carol = login(&server, "carol", "x");
    let mut alice = login(&server, "alice", "alice");
    std::fs::write(
        &path,
        "user alice on >a ~a* &* +@all\n\n  user bob on nopass +@all ~* (~x +get)\n",
    )
    .unwrap();
    assert_eq!(admin.cmd(&["ACL", "LOAD"]), "+OK\r\n");
    assert_eq!(
        admin.cmd(&["ACL", "LIST"]),
        bulks(&[
            &format!("user alice on #{A_SHA256} ~a* &* +@all"),
            "user bob on nopass ~* resetchannels +@all (~x resetchannels -@all +get)",
            "user default on nopass ~* &* +@all",
        ])
    );
    // Every client of a user other than default is disconnected, even one whose user is
    // still there; the default user's clients stay.
    assert!(carol.is_closed());
    assert!(alice.is_closed());
    assert_eq!(admin.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn acl_load_of_a_broken_file_changes_nothing() {
    let dir = scratch_dir("aclfile-broken");
    let path = dir.join("users.acl");
    std::fs::write(&path, "user alice on >alice ~a* &* +@all\n").unwrap();
    let server = TestServer::in_dir(&dir, &["--aclfile", "users.acl"]);
    let mut admin = server.raw();
    let before = admin.cmd(&["ACL", "LIST"]);
    let tail =
        "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";
    for (file, error) in [
        (
            "user alice on >alice ~a* &* +@all\nuser alice off\n",
            format!("WARNING: Duplicate user 'alice' found on line 2. {tail}"),
        ),
        (
            "user alice on >alice ~a* &* +@all\nuser dave on +nosuch bogus ~x\n",
            format!(
                "users.acl:2: Error in applying operation '+nosuch': Unknown command or category name in ACL. users.acl:2: Syntax error. {tail}"
            ),
        ),
        // (Redis puts no space after the parenthesis message.)
        (
            "user alice on\nnotuser x\nuser ev (~a +get\nuser zed on #abc\n",
            format!(
                "users.acl:2 should start with user keyword followed by the username. users.acl:3: Unmatched parenthesis in selector definition.users.acl:4: The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters. {tail}"
            ),
        ),
    ] {
        std::fs::write(&path, file).unwrap();
        assert_eq!(admin.cmd(&["ACL", "LOAD"]), format!("-ERR {error}\r\n"));
        assert_eq!(admin.cmd(&["ACL", "LIST"]), before);
    }
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        admin.cmd(&["ACL", "LOAD"]),
        "-ERR Error loading ACLs, opening file 'users.acl': No such file or directory\r\n"
    );
    assert_eq!(admin.cmd(&["ACL", "LIST"]), before);
}

#[test]
fn acl_load_and_save_need_an_aclfile() {
    let server = TestServer::start();
    let mut admin = server.raw();
    assert_eq!(admin.cmd(&["ACL", "LOAD"]), NO_ACLFILE);
    assert_eq!(admin.cmd(&["ACL", "SAVE"]), NO_ACLFILE);
}

#[test]
fn user_lines_in_the_configuration_declare_users() {
    let dir = scratch_dir("user-lines");
    std::fs::write(
        dir.join("users.conf"),
        "user alice on >alice ~* +@all\nuser default on >pw ~* &* +@all\n",
    )
    .unwrap();
    // On the command line, each word of the rules is an argument of its own.
    let server = TestServer::in_dir(&dir, &["users.conf", "--user", "bob", "on", ">b", "~b*"]);
    let mut client = server.raw();
    assert_eq!(client.cmd(&["PING"]), NOAUTH);
    assert_eq!(client.cmd(&["AUTH", "pw"]), "+OK\r\n");
    assert_eq!(
        client.cmd(&["ACL", "LIST"]),
        bulks(&[
            &format!("user alice on #{ALICE_SHA256} ~* resetchannels +@all"),
            &format!("user bob on #{B_SHA256} ~b* resetchannels -@all"),
            // A `default` line starts from `reset`, which sets sanitize-payload.
            &format!("user default on sanitize-payload #{PW_SHA256} ~* &* +@all"),
        ])
    );
    assert_eq!(client.cmd(&["AUTH", "alice", "alice"]), "+OK\r\n");
    assert_eq!(client.cmd(&["ACL", "WHOAMI"]), bulk("alice"));
}

#[test]
fn a_duplicate_or_bad_user_line_stops_the_server() {
    let dir = scratch_dir("bad-user-lines");
    std::fs::write(
        dir.join("dup.conf"),
        "user alice on >a ~* +@all\nuser alice off\n",
    )
    .unwrap();
    let (code, output) = run_to_exit(&dir, &["dup.conf"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains(
            "Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files"
        ),
        "{output}"
    );
    // The whole rule list in one argument makes a user name with spaces.
    let (code, output) = run_to_exit(&dir, &["--user", "alice on >a +@all ~*"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("Spaces not allowed in ACL usernames"),
        "{output}"
    );
    // A rule that does not parse is refused while the file is read...
    let (code, output) = run_to_exit(&dir, &["--user", "alice", "on", "bogus"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("Error in user declaration 'alice': Syntax error"),
        "{output}"
    );
    // ...an unknown command when the users are loaded.
    let (code, output) = run_to_exit(&dir, &["--user", "alice", "on", "+nosuch"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category name in ACL"),
        "{output}"
    );
    assert!(
        output.contains("Critical error while loading ACLs. Exiting."),
        "{output}"
    );
}

#[test]
fn an_aclfile_and_user_lines_together_stop_the_server() {
    let dir = scratch_dir("aclfile-and-users");
    std::fs::write(dir.join("users.acl"), "user x on\n").unwrap();
    std::fs::write(
        dir.join("both.conf"),
        "user alice on >a ~* +@all\naclfile users.acl\n",
    )
    .unwrap();
    let (code, output) = run_to_exit(&dir, &["both.conf"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid."),
        "{output}"
    );
}

#[test]
fn a_broken_or_missing_aclfile_stops_the_server() {
    let dir = scratch_dir("aclfile-bad-start");
    std::fs::write(dir.join("bad.acl"), "user bad line\n").unwrap();
    let (code, output) = run_to_exit(&dir, &["--aclfile", "bad.acl"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("Aborting Redis startup because of ACL errors: bad.acl:1: Syntax error. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"),
        "{output}"
    );
    let (code, output) = run_to_exit(&dir, &["--aclfile", "missing.acl"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("Aborting Redis startup because of ACL errors: Error loading ACLs, opening file 'missing.acl': No such file or directory"),
        "{output}"
    );
}

#[test]
fn config_rewrite_writes_the_users_as_user_lines() {
    let dir = scratch_dir("rewrite-users");
    let path = dir.join("rw.conf");
    std::fs::write(&path, "user alice on >a ~* +@all\nsave \"\"\n").unwrap();
    let server = TestServer::in_dir(&dir, &["rw.conf"]);
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "bob",
        &["on", ">b", "~b*", "&*", "-@all", "+get", "(~x +set)"],
    );
    assert_eq!(admin.cmd(&["ACL", "DELUSER", "alice"]), ":1\r\n");
    setuser(&mut admin, "default", &[">pw"]);
    assert_eq!(admin.cmd(&["CONFIG", "REWRITE"]), "+OK\r\n");
    let text = std::fs::read_to_string(&path).unwrap();
    let users: Vec<&str> = text.lines().filter(|l| l.starts_with("user ")).collect();
    // As Redis does: the first `user` line's place takes the first user, the others go at the
    // end.
    assert_eq!(
        users,
        [
            format!("user bob on #{B_SHA256} ~b* &* -@all +get (~x resetchannels -@all +set)"),
            format!("user default on #{PW_SHA256} ~* &* +@all"),
        ],
        "{text}"
    );
    assert!(text.starts_with("user bob "), "{text}");
    drop(server);
    // And the server starts again from it.
    let again = TestServer::in_dir(&dir, &["rw.conf"]);
    let mut client = again.raw();
    assert_eq!(client.cmd(&["AUTH", "bob", "b"]), "+OK\r\n");
    assert_eq!(client.cmd(&["GET", "b1"]), "$-1\r\n");
}

// ---------------------------------------------------------------------------------------------
// Pub/sub permissions revoked, and acl-pubsub-default.

#[test]
fn a_subscriber_whose_channel_is_revoked_is_disconnected() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "ps",
        &["on", "nopass", "+@all", "~*", "&news", "&sport*"],
    );
    let mut news = login(&server, "ps", "x");
    news.cmd(&["SUBSCRIBE", "news"]);
    let mut pattern = login(&server, "ps", "x");
    pattern.cmd(&["PSUBSCRIBE", "sport*"]);
    let mut idle = login(&server, "ps", "x");
    // `sport*` is replaced by a pattern that still matches nothing new: the pattern
    // subscriber's literal pattern is gone, so it goes; the channel subscriber stays.
    setuser(&mut admin, "ps", &["resetchannels", "&news", "&sports.*"]);
    assert!(pattern.is_closed());
    assert_eq!(news.cmd(&["PING"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    setuser(&mut admin, "ps", &["resetchannels", "&other"]);
    assert!(news.is_closed());
    // A client of the user that subscribed to nothing stays.
    assert_eq!(idle.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn a_subscriber_whose_channels_stay_allowed_stays_connected() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "ps", &["on", "nopass", "+@all", "~*", "&*"]);
    let mut channel = login(&server, "ps", "x");
    channel.cmd(&["SUBSCRIBE", "a"]);
    let mut pattern = login(&server, "ps", "x");
    pattern.cmd(&["PSUBSCRIBE", "b*"]);
    let mut shard = login(&server, "ps", "x");
    shard.cmd(&["SSUBSCRIBE", "s1"]);
    let pong = "*2\r\n$4\r\npong\r\n$0\r\n\r\n";
    setuser(&mut admin, "ps", &["resetchannels", "&a", "&b*", "&s1"]);
    setuser(&mut admin, "ps", &["&extra"]);
    assert_eq!(channel.cmd(&["PING"]), pong);
    assert_eq!(pattern.cmd(&["PING"]), pong);
    assert_eq!(shard.cmd(&["PING"]), pong);
    // `b` matches the pattern's channels but is not the pattern itself.
    setuser(&mut admin, "ps", &["resetchannels", "&a", "&b", "&s1"]);
    assert_eq!(channel.cmd(&["PING"]), pong);
    assert!(pattern.is_closed());
    setuser(&mut admin, "ps", &["resetchannels", "&a"]);
    assert!(shard.is_closed());
    assert_eq!(channel.cmd(&["PING"]), pong);
}

#[test]
fn acl_pubsub_default_allchannels_gives_new_users_every_channel() {
    let server = TestServer::start();
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "acl-pubsub-default"]),
        bulks(&["acl-pubsub-default", "resetchannels"])
    );
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "acl-pubsub-default", "allchannels"]),
        "+OK\r\n"
    );
    setuser(&mut admin, "pd1", &[]);
    assert_eq!(
        admin.cmd(&["ACL", "GETUSER", "pd1"]),
        getuser_reply(&["off"], &[], ("-@all", "", "&*"), &[])
    );
    // `reset` resets the channels to the default too.
    setuser(&mut admin, "pd2", &["reset"]);
    assert_eq!(
        acl_list_line(&mut admin, "pd2"),
        "off sanitize-payload &* -@all"
    );
    setuser(&mut admin, "pd2", &["on", "nopass", "+@all"]);
    assert_eq!(
        login(&server, "pd2", "x").cmd(&["PUBLISH", "any", "m"]),
        ":0\r\n"
    );
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "acl-pubsub-default", "resetchannels"]),
        "+OK\r\n"
    );
    setuser(&mut admin, "pd3", &[]);
    assert_eq!(acl_list_line(&mut admin, "pd3"), "off resetchannels -@all");
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "acl-pubsub-default", "bogus"]),
        "-ERR CONFIG SET failed (possibly related to argument 'acl-pubsub-default') - argument(s) must be one of the following: allchannels, resetchannels\r\n"
    );
}

#[test]
fn acl_pubsub_default_applies_to_users_declared_at_startup() {
    let dir = scratch_dir("pubsub-default");
    let server = TestServer::in_dir(
        &dir,
        &[
            "--acl-pubsub-default",
            "allchannels",
            "--user",
            "u",
            "on",
            "nopass",
        ],
    );
    assert_eq!(acl_list_line(&mut server.raw(), "u"), "on nopass &* -@all");
}

// ---------------------------------------------------------------------------------------------
// Interop: the same requests to redis-server and thredis.

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn acl_setuser_lines_read_back_like_redis() {
    let mut pair = Pair::new();
    let hash = format!("#{X_SHA256}");
    let mut commands: Vec<Vec<&str>> = vec![
        vec![
            "ACL",
            "SETUSER",
            "alice",
            "on",
            ">alice",
            "~cached:*",
            "&news",
            "+@read",
        ],
        vec![
            "ACL",
            "SETUSER",
            "bob",
            "on",
            "nopass",
            "%R~r*",
            "%W~w*",
            "allchannels",
            "+@all",
            "-@dangerous",
        ],
        vec![
            "ACL",
            "SETUSER",
            "carol",
            "off",
            &hash,
            "resetchannels",
            "-@all",
            "+config|get",
        ],
        vec![
            "ACL", "SETUSER", "dave", "on", ">d1", ">d2", "<d1", "~a", "~b", "~c", "-@all",
            "+@string",
        ],
        vec![
            "ACL",
            "SETUSER",
            "erin",
            "on",
            "nopass",
            "(~x* +get)",
            "(%R~y* +@hash &c*)",
        ],
        vec!["ACL", "SETUSER", "frank", "(~s1", "+set)", "(~s2 +@list)"],
        vec![
            "ACL",
            "SETUSER",
            "grace",
            "on",
            ">g",
            "skip-sanitize-payload",
            "~*",
            "&*",
            "+@all",
            "-config|set",
        ],
        vec![
            "ACL",
            "SETUSER",
            "heidi",
            "on",
            "nopass",
            "-@all",
            "+select|0",
        ],
        vec![
            "ACL",
            "SETUSER",
            "ivan",
            "on",
            ">i",
            "~*",
            "+@all",
            "(~only +@read)",
            "clearselectors",
        ],
        vec![
            "ACL",
            "SETUSER",
            "judy",
            "on",
            "nopass",
            "%RW~both*",
            "%R~ro",
            "%W~wo",
            "%R~both*",
        ],
        vec![
            "ACL",
            "SETUSER",
            "mallory",
            "on",
            ">m1",
            "nopass",
            ">m2",
            "resetpass",
            ">m3",
        ],
        vec![
            "ACL",
            "SETUSER",
            "oscar",
            "on",
            "~k",
            "allkeys",
            "&c",
            "allchannels",
            "resetchannels",
            "&d",
        ],
        vec![
            "ACL", "SETUSER", "peggy", "reset", "on", "nopass", "+@all", "-@all", "+@pubsub",
        ],
        vec![
            "ACL",
            "SETUSER",
            "alice",
            "&extra",
            "-@read",
            "+@write",
            "resetkeys",
            "~k*",
        ],
        vec!["ACL", "SETUSER", "trent", "on", ">t", "()", "(~z &z +@set)"],
        // Refused ones change nothing.
        vec!["ACL", "SETUSER", "alice", "off", "+nosuch"],
        vec!["ACL", "SETUSER", "alice", "bogus"],
        vec!["ACL", "SETUSER", "bob", "~extra"],
        vec!["ACL", "SETUSER", "bob", "(~a", "+get"],
        vec!["ACL", "SETUSER", "bob", "<nosuch"],
        vec!["ACL", "SETUSER", "bob", "#abc"],
        vec!["ACL", "SETUSER", "bad name"],
        vec!["ACL", "DELUSER", "mallory", "nosuch"],
        vec!["ACL", "DELUSER", "default"],
        vec!["ACL", "LIST"],
        vec!["ACL", "USERS"],
    ];
    let names = [
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
        "mallory", "oscar", "peggy", "trent", "default",
    ];
    for name in names {
        commands.push(vec!["ACL", "GETUSER", name]);
    }
    let commands: Vec<&[&str]> = commands.iter().map(Vec::as_slice).collect();
    pair.each(&commands);
    // The same in RESP3 (HELLO's own replies differ by the client id).
    pair.redis.cmd(&["HELLO", "3"]);
    pair.thredis.cmd(&["HELLO", "3"]);
    let getusers: Vec<Vec<&str>> = names.iter().map(|n| vec!["ACL", "GETUSER", *n]).collect();
    let getusers: Vec<&[&str]> = getusers.iter().map(Vec::as_slice).collect();
    pair.each(&getusers);
}

#[test]
#[ignore = "needs redis-server; run by .ci/run"]
fn acl_refusals_and_logins_reply_like_redis() {
    let mut pair = Pair::new();
    pair.each(&[
        &["SET", "k1", "v"],
        &[
            "ACL",
            "SETUSER",
            "u",
            "on",
            ">pw",
            "~k*",
            "&ch*",
            "-@all",
            "+@string",
            "+publish",
            "+multi",
            "+exec",
            "+acl|whoami",
        ],
        &[
            "ACL",
            "SETUSER",
            "s",
            "on",
            "nopass",
            "-@all",
            "+get",
            "~a",
            "(+@all ~b)",
            "(+@all ~c &ch)",
        ],
        &["ACL", "DRYRUN", "u", "get", "k1"],
        &["ACL", "DRYRUN", "u", "get", "z"],
        &["ACL", "DRYRUN", "u", "lpush", "k1", "x"],
        &["ACL", "DRYRUN", "u", "publish", "x", "m"],
        &["ACL", "DRYRUN", "s", "mget", "a", "b"],
        &["ACL", "DRYRUN", "s", "set", "a", "1"],
        &["ACL", "DRYRUN", "s", "publish", "x", "y"],
        &["ACL", "DRYRUN", "nosuch", "get", "k"],
        &["ACL", "DRYRUN", "u", "nosuch"],
        &["AUTH", "u", "wrong"],
        &["AUTH", "nosuch", "pw"],
        &["AUTH", "pw"],
        &["AUTH", "u", "pw"],
        &["ACL", "WHOAMI"],
        &["GET", "k1"],
        &["GET", "z"],
        &["MGET", "k1", "z"],
        &["LPUSH", "k1", "x"],
        &["PUBLISH", "ch1", "m"],
        &["PUBLISH", "other", "m"],
        &["SUBSCRIBE", "other"],
        &["MULTI"],
        &["SET", "k2", "v"],
        &["SET", "z", "v"],
        &["INCR", "k3"],
        &["EXEC"],
        &["AUTH", "s", "x"],
        &["MGET", "a", "b"],
        &["GET", "a"],
        &["AUTH", "default", "anything"],
        &["ACL", "SETUSER", "default", ">secret"],
        &["AUTH", "secret"],
        &["AUTH", "a", "b", "c"],
        &["ACL", "SETUSER", "default", "nopass"],
        &["AUTH", "secret"],
    ]);
    // The log's entries, without what legitimately differs (ages and client descriptions).
    let strip = |bytes: Vec<u8>| -> Vec<Vec<String>> {
        parse(&bytes)
            .items()
            .iter()
            .map(|entry| {
                entry
                    .items()
                    .chunks(2)
                    .filter(|pair| {
                        !matches!(pair[0].text().as_str(), "age-seconds" | "client-info")
                    })
                    .map(|pair| format!("{}={}", pair[0].text(), pair[1].text()))
                    .collect()
            })
            .collect()
    };
    let redis = strip(pair.redis.command(&["ACL", "LOG"]));
    let thredis = strip(pair.thredis.command(&["ACL", "LOG"]));
    assert_eq!(thredis, redis);
    assert_eq!(redis.len(), 8, "{redis:?}");
}
