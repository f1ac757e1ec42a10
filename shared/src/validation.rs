//! The input rules of `platform-api.md`, in one place, compiled into both the browser (so the
//! dialogs can flag problems while the user types) and the server (which enforces them).
//! Pure functions over `&str`: no regex engine, so the wasm bundle stays small.

/// Longest secret or application name, in characters.
pub const NAME_MAX_CHARS: usize = 64;
/// Longest secret value, in Unicode scalar values (not bytes, not UTF-16 units).
pub const SECRET_VALUE_MAX_CHARS: usize = 8192;
/// Descriptions longer than this are cut, silently, to their first this-many characters.
pub const DESCRIPTION_MAX_CHARS: usize = 200;

/// A secret name: `^[A-Za-z][A-Za-z0-9_]{0,63}$`, case-sensitive.
pub fn check_secret_name(name: &str) -> Result<(), String> {
    check_name(
        name,
        |c| c.is_ascii_alphabetic(),
        |c| c.is_ascii_alphanumeric() || c == '_',
        "a Latin letter",
        "Latin letters, digits and underscores",
    )
}

/// An application's short name: `^[a-z][a-z0-9-]{0,63}$`.
pub fn check_application_name(name: &str) -> Result<(), String> {
    check_name(
        name,
        |c| c.is_ascii_lowercase(),
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
        "a lowercase Latin letter",
        "lowercase Latin letters, digits and hyphens",
    )
}

fn check_name(
    name: &str,
    first_ok: impl Fn(char) -> bool,
    rest_ok: impl Fn(char) -> bool,
    first_rule: &str,
    rest_rule: &str,
) -> Result<(), String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err("Enter a name.".into());
    };
    if !first_ok(first) {
        return Err(format!("The name must start with {first_rule}."));
    }
    if let Some(bad) = chars.clone().find(|&c| !rest_ok(c)) {
        return Err(format!(
            "The name may contain only {rest_rule}; {bad:?} is not allowed."
        ));
    }
    let len = 1 + chars.count();
    if len > NAME_MAX_CHARS {
        return Err(format!(
            "The name is {len} characters long; the limit is {NAME_MAX_CHARS}."
        ));
    }
    Ok(())
}

/// A secret value: 1 to 8192 characters. Any characters are allowed, including newlines.
pub fn check_secret_value(value: &str) -> Result<(), String> {
    let len = value.chars().count();
    if len == 0 {
        return Err("Enter a value.".into());
    }
    if len > SECRET_VALUE_MAX_CHARS {
        return Err(format!(
            "The value is {len} characters long; the limit is {SECRET_VALUE_MAX_CHARS}."
        ));
    }
    Ok(())
}

/// Longest username, in characters.
pub const USERNAME_MAX_CHARS: usize = 64;
/// Shortest password, in characters. Length matters more than composition rules.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest password: argon2 would take any length, but a megabyte "password" is an attack.
pub const PASSWORD_MAX_CHARS: usize = 256;

/// A username: a letter or digit, then letters, digits, `.`, `_`, `-` or `@` (an e-mail
/// address works). Compared case-insensitively; see `normalize_username`.
pub fn check_username(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err("Enter a username.".into());
    };
    if !first.is_ascii_alphanumeric() {
        return Err("The username must start with a Latin letter or a digit.".into());
    }
    if let Some(bad) = chars
        .clone()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
    {
        return Err(format!(
            "The username may contain only Latin letters, digits, '.', '_', '-' and '@'; {bad:?} \
             is not allowed."
        ));
    }
    let len = 1 + chars.count();
    if len > USERNAME_MAX_CHARS {
        return Err(format!(
            "The username is {len} characters long; the limit is {USERNAME_MAX_CHARS}."
        ));
    }
    Ok(())
}

/// Usernames are case-insensitive: `Alice` and `alice` are one user.
pub fn normalize_username(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// A new password: 12 to 256 characters, anything allowed.
pub fn check_new_password(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < PASSWORD_MIN_CHARS {
        return Err(format!(
            "Use at least {PASSWORD_MIN_CHARS} characters (this one has {len})."
        ));
    }
    if len > PASSWORD_MAX_CHARS {
        return Err(format!(
            "The password is {len} characters long; the limit is {PASSWORD_MAX_CHARS}."
        ));
    }
    Ok(())
}

/// The description as stored: its first 200 characters.
pub fn normalize_description(description: &str) -> String {
    description.chars().take(DESCRIPTION_MAX_CHARS).collect()
}

/// Longest scenario code, in characters (256 × 1024).
pub const SCENARIO_CODE_MAX_CHARS: usize = 256 * 1024;

/// A scenario name: a Latin letter or digit, then letters, digits, `_`, `-` or `.`; at most 64
/// characters. Unique within its application.
pub fn check_scenario_name(name: &str) -> Result<(), String> {
    check_name(
        name,
        |c| c.is_ascii_alphanumeric(),
        |c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'),
        "a Latin letter or a digit",
        "Latin letters, digits, '_', '-' and '.'",
    )
}

/// Scenario code: not blank, at most 256 × 1024 characters.
pub fn check_scenario_code(code: &str) -> Result<(), String> {
    if code.trim().is_empty() {
        return Err("Enter the scenario's code.".into());
    }
    let len = code.chars().count();
    if len > SCENARIO_CODE_MAX_CHARS {
        return Err(format!(
            "The code is {len} characters long; the limit is {SCENARIO_CODE_MAX_CHARS}."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_name_length_limit_is_64_characters() {
        assert!(check_secret_name(&format!("a{}", "b".repeat(63))).is_ok());
        let err = check_secret_name(&format!("a{}", "b".repeat(64))).unwrap_err();
        assert!(err.contains("65 characters"), "{err}");
    }

    #[test]
    fn secret_name_must_start_with_a_latin_letter() {
        assert!(check_secret_name("a").is_ok());
        assert!(check_secret_name("Z9_x").is_ok());
        for bad in ["1abc", "_abc", "-abc", "ё", "é", ""] {
            assert!(check_secret_name(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn secret_name_rejects_non_latin_letters_and_punctuation() {
        for bad in ["abcé", "abc-d", "abc d", "aпароль", "a.b", "a😀", "ab\n"] {
            let err = check_secret_name(bad).unwrap_err();
            assert!(err.contains("not allowed"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn secret_name_is_case_sensitive_and_allows_underscores() {
        assert!(check_secret_name("API_Key_2").is_ok());
        assert!(check_secret_name("a_").is_ok());
    }

    #[test]
    fn application_name_rules() {
        assert!(check_application_name("myapp-1").is_ok());
        assert!(check_application_name(&format!("a{}", "b".repeat(63))).is_ok());
        assert!(check_application_name(&format!("a{}", "b".repeat(64))).is_err());
        for bad in ["MyApp", "1app", "-app", "my_app", "app.x", "", "приложение"] {
            assert!(check_application_name(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn secret_value_counts_characters_not_bytes() {
        // 'ж' is two bytes and '😀' four: the limit is in characters.
        assert!(check_secret_value(&"ж".repeat(8192)).is_ok());
        assert!(check_secret_value(&"😀".repeat(8192)).is_ok());
        let err = check_secret_value(&"😀".repeat(8193)).unwrap_err();
        assert!(err.contains("8193"), "{err}");
        assert!(check_secret_value(&"a".repeat(8193)).is_err());
        assert!(check_secret_value("x").is_ok());
        assert!(check_secret_value("line one\nline two").is_ok());
    }

    #[test]
    fn empty_value_is_rejected() {
        assert_eq!(check_secret_value("").unwrap_err(), "Enter a value.");
    }

    #[test]
    fn usernames() {
        for ok in ["alice", "Bob.Smith", "ops@example.com", "7up", "a_b-c"] {
            assert!(check_username(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".alice", "al ice", "алиса", "a/b", &"a".repeat(65)] {
            assert!(check_username(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(normalize_username(" Alice "), "alice");
    }

    #[test]
    fn password_length_limits() {
        assert!(
            check_new_password(&"x".repeat(11))
                .unwrap_err()
                .contains("12")
        );
        assert!(check_new_password(&"ж".repeat(12)).is_ok());
        assert!(check_new_password(&"x".repeat(256)).is_ok());
        assert!(check_new_password(&"x".repeat(257)).is_err());
    }

    #[test]
    fn description_is_cut_to_200_characters() {
        assert_eq!(normalize_description("short"), "short");
        let long: String = "д".repeat(250);
        let cut = normalize_description(&long);
        assert_eq!(cut.chars().count(), 200);
        assert_eq!(cut, "д".repeat(200));
        assert_eq!(normalize_description(&"a".repeat(200)), "a".repeat(200));
    }

    #[test]
    fn scenario_names() {
        for ok in ["main", "test-1", "Seed.js", "7up", "a_b"] {
            assert!(check_scenario_name(ok).is_ok(), "{ok:?} was refused");
        }
        for bad in ["", "-x", ".hidden", "a b", "a/b", "сценарий"] {
            assert!(check_scenario_name(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(check_scenario_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn scenario_code_is_limited_to_256k_characters() {
        assert!(check_scenario_code(&"ж".repeat(SCENARIO_CODE_MAX_CHARS)).is_ok());
        let err = check_scenario_code(&"a".repeat(SCENARIO_CODE_MAX_CHARS + 1)).unwrap_err();
        assert!(err.contains("262145"), "{err}");
        assert!(check_scenario_code("  \n ").is_err());
    }
}
