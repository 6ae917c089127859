//! Free text from clients: trimmed, length-checked in characters (not bytes), no control
//! characters except line breaks and tabs in long text.

/// Trims and checks a one-line name (1..=`max` characters, no control characters).
pub fn name(raw: &str, max: usize) -> Result<String, String> {
    let value = raw.trim();
    let len = value.chars().count();
    if len == 0 {
        return Err("must not be empty".into());
    }
    if len > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_counted_in_characters() {
        assert_eq!(name("  Señora Núñez 🎬 ", 20).unwrap(), "Señora Núñez 🎬");
        assert!(name("   ", 20).is_err());
        assert!(name("ñ".repeat(21).as_str(), 20).is_err());
        assert!(name("a\u{0}b", 20).is_err());
    }
}
