//! Agent names: `[a-z0-9][a-z0-9-]*`, at most [`MAX_LEN`] characters, for tasks
//! (`assigned_agent`), the registry and the SQL enqueue functions alike. A name becomes a
//! registry key and a Prometheus label value, so its size is bounded where tenants can write it.

/// Longest agent name.
pub const MAX_LEN: usize = 64;

/// Checks a name; the error says the rule.
pub fn check(name: &str) -> Result<(), String> {
    let starts_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if starts_ok && rest_ok && name.len() <= MAX_LEN {
        Ok(())
    } else {
        Err(format!(
            "an agent name is 1 to {MAX_LEN} lowercase letters, digits or '-', starting with a \
             letter or digit (e.g. content-generator)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rule() {
        for ok in [
            "content-generator",
            "a",
            "9",
            "email-agent-2",
            &"x".repeat(MAX_LEN),
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-leading",
            "Upper",
            "under_score",
            "spa ce",
            "émoji",
            &"x".repeat(MAX_LEN + 1),
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
    }
}
