//! The ACL file (`aclfile`): one `user <name> <rules...>` line per user, read at startup and by
//! `ACL LOAD`, written by `ACL SAVE`. Reading is all or nothing: every line is checked, every
//! error is collected into one message in Redis's words, and if there is any the users in
//! memory stay as they were. Files only: this module knows nothing of clients.

use std::collections::BTreeMap;
use std::io::Write;

use super::User;
use super::selector::no_spaces;
use super::user::merge_selectors;

/// The users of an ACL file by name. Without a `default` line the file gets the default user
/// every server starts with.
pub type Users = BTreeMap<Vec<u8>, User>;

/// Reads the ACL file at `path` (Redis's `ACLLoadFromFile`); `all_channels` is
/// `acl-pubsub-default allchannels`.
pub fn load(path: &str, all_channels: bool) -> Result<Users, String> {
    let text = std::fs::read(path).map_err(|error| {
        format!(
            "Error loading ACLs, opening file '{path}': {}",
            crate::sys::os_error_text(&error)
        )
    })?;
    let mut users = Users::new();
    let mut errors = String::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let number = i + 1;
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        if words[0] != b"user" || words.len() < 2 {
            errors.push_str(&format!(
                "{path}:{number} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = words[1];
        if !no_spaces(name) {
            errors.push_str(&format!(
                "'{path}:{number}: username '{}' contains invalid characters. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {number}. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let mut user = User::new(name, all_channels);
        let rules: Vec<Vec<u8>> = words[2..].iter().map(|w| w.to_vec()).collect();
        let rules = merge_selectors(&rules).unwrap_or_else(|_| {
            errors.push_str(&format!(
                "{path}:{number}: Unmatched parenthesis in selector definition."
            ));
            Vec::new()
        });
        let mut syntax_error = false;
        for rule in &rules {
            let rule = rule.trim_ascii_end();
            let Err(error) = user.apply(rule, all_channels) else {
                continue;
            };
            if error == super::RuleError::UnknownCommand {
                errors.push_str(&format!(
                    "{path}:{number}: Error in applying operation '{}': {}. ",
                    String::from_utf8_lossy(rule),
                    error.message()
                ));
            } else if !syntax_error {
                // Only the first: it may explain the ones after it.
                errors.push_str(&format!("{path}:{number}: {}. ", error.message()));
                syntax_error = true;
            }
        }
        users.insert(name.to_vec(), user);
    }
    if !errors.is_empty() {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
        );
        return Err(errors);
    }
    users
        .entry(b"default".to_vec())
        .or_insert_with(User::default_user);
    Ok(users)
}

/// Writes `users` to `path` (Redis's `ACLSaveToFile`): to a temporary file beside it, then
/// renamed over it, so a crash leaves the old file or the new one, never half of one.
pub fn save<'u>(path: &str, users: impl Iterator<Item = &'u User>) -> std::io::Result<()> {
    let mut text = Vec::new();
    for user in users {
        text.extend_from_slice(b"user ");
        text.extend_from_slice(&user.name);
        text.push(b' ');
        text.extend_from_slice(&user.describe());
        text.push(b'\n');
    }
    let temporary = format!(
        "{path}.tmp-{}-{}",
        std::process::id(),
        crate::clock::now_ms()
    );
    let written = std::fs::File::create(&temporary)
        .and_then(|mut file| file.write_all(&text))
        .and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> String {
        let dir = std::env::temp_dir().join(format!("thredis-acl-{}-{name}", std::process::id()));
        std::fs::write(&dir, text).unwrap();
        dir.to_string_lossy().into_owned()
    }

    #[test]
    fn a_file_is_read_whole_and_saved_back() {
        let path = file(
            "ok",
            "user alice on >alice ~* &* +@all\n\n user bob on -@all +@set\n",
        );
        let users = load(&path, false).unwrap();
        let names: Vec<&[u8]> = users.keys().map(Vec::as_slice).collect();
        assert_eq!(names, [&b"alice"[..], b"bob", b"default"]);
        assert!(users[&b"alice".to_vec()].accepts(b"alice"));
        save(&path, users.values()).unwrap();
        let again = load(&path, false).unwrap();
        let describe = |u: &Users| u.values().map(User::describe).collect::<Vec<_>>();
        assert_eq!(describe(&again), describe(&users));
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn any_bad_line_refuses_the_whole_file_with_every_reason() {
        let path = file(
            "bad",
            "user a on\nuser a off\nnot-a-user line\nuser b +nosuch bogus ~x\n",
        );
        let error = load(&path, false).unwrap_err();
        assert!(
            error.contains("Duplicate user 'a' found on line 2"),
            "{error}"
        );
        assert!(
            error.contains(":3 should start with user keyword"),
            "{error}"
        );
        assert!(
            error.contains(":4: Error in applying operation '+nosuch'"),
            "{error}"
        );
        assert!(error.contains(":4: Syntax error. "), "{error}");
        assert!(error.ends_with("no change to the previously active ACL rules was performed"));
        std::fs::remove_file(path).unwrap();
        let missing = load("/nonexistent/users.acl", false).unwrap_err();
        assert_eq!(
            missing,
            "Error loading ACLs, opening file '/nonexistent/users.acl': No such file or directory"
        );
    }
}
