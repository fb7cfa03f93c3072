//! Glob-style pattern matching, as Redis's `stringmatchlen` (util.c): `KEYS`, `SCAN MATCH`,
//! `CONFIG GET`. `*` any run of bytes, `?` any one byte, `[abc]`, `[^a]`, `[a-z]` a set,
//! `\x` the byte x itself.
//!
//! Redis matches recursively; a pattern like `*a*a*a*a*b` against a long string of `a`s then
//! takes exponential time (CVE-2022-36021). This version is iterative: on a mismatch it retries
//! from the most recent `*` only, which is enough for glob patterns and is linear in
//! pattern × text in the worst case, with no recursion to overflow a small thread stack.

/// Whether `text` matches `pattern`, optionally ignoring ASCII case.
pub fn matches(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    // Redis's loop runs only while there is text left, and a `*` tries only non-empty rests: the
    // empty string matches the empty pattern and nothing else, not even `*` (`KEYS *` and
    // `SCAN` without MATCH list the empty key through their match-everything shortcut).
    if text.is_empty() {
        return pattern.is_empty();
    }
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: the pattern position after it, and the text position
    // it currently swallows up to.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    // Consecutive stars act as one.
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    backtrack = Some((p, t));
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'[' => {
                    if let Some(next) = match_class(pattern, p, text[t], nocase) {
                        p = next;
                        t += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if same(pattern[p + 1], text[t], nocase) {
                        p += 2;
                        t += 1;
                        continue;
                    }
                }
                byte => {
                    if same(byte, text[t], nocase) {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
            }
        }
        // Mismatch: let the last `*` swallow one more byte, or fail.
        match backtrack {
            Some((star_p, star_t)) => {
                backtrack = Some((star_p, star_t + 1));
                p = star_p;
                t = star_t + 1;
            }
            None => return false,
        }
    }
    // The text is used up: what is left of the pattern must be stars.
    pattern[p..].iter().all(|&b| b == b'*')
}

fn same(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// Matches `byte` against the class starting at `pattern[open]` (`[`). Returns the position
/// after the class if it matches. Like Redis, an unterminated class runs to the end of the
/// pattern.
fn match_class(pattern: &[u8], open: usize, byte: u8, nocase: bool) -> Option<usize> {
    let mut p = open + 1;
    let negate = pattern.get(p) == Some(&b'^');
    if negate {
        p += 1;
    }
    let mut matched = false;
    loop {
        match pattern.get(p) {
            None => {
                // Unterminated: Redis treats the end of the pattern as the end of the class.
                p -= 1;
                break;
            }
            Some(b']') => break,
            Some(b'\\') if p + 1 < pattern.len() => {
                p += 1;
                matched |= same(pattern[p], byte, nocase);
            }
            Some(&low) if pattern.get(p + 1) == Some(&b'-') && p + 2 < pattern.len() => {
                let high = pattern[p + 2];
                let (mut low, mut high, mut byte) = (low, high, byte);
                if low > high {
                    std::mem::swap(&mut low, &mut high);
                }
                if nocase {
                    low = low.to_ascii_lowercase();
                    high = high.to_ascii_lowercase();
                    byte = byte.to_ascii_lowercase();
                }
                matched |= (low..=high).contains(&byte);
                p += 2;
            }
            Some(&other) => matched |= same(other, byte, nocase),
        }
        p += 1;
    }
    if matched != negate { Some(p + 1) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        matches(pattern.as_bytes(), text.as_bytes(), false)
    }

    #[test]
    fn the_empty_string_matches_only_the_empty_pattern() {
        assert!(m("", ""));
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("*o", "hello"));
        assert!(!m("*x", "hello"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("foo*", "foo"));
    }

    #[test]
    fn character_classes() {
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"), "ranges may be reversed");
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("[\\]]", "]"));
    }

    #[test]
    fn escapes_match_literally() {
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("\\?", "?"));
    }

    #[test]
    fn case_folding_is_optional() {
        assert!(matches(b"MAXCLIENTS", b"maxclients", true));
        assert!(matches(b"max*", b"MAXCLIENTS", true));
        assert!(!m("MAX*", "maxclients"));
    }

    #[test]
    fn pathological_patterns_finish_quickly() {
        let text = "a".repeat(10_000);
        assert!(!m("*a*a*a*a*a*a*a*a*a*a*a*a*b", &text));
    }
}
