//! Checks on the form of single values: GUIDs, email addresses, limits.

use super::values::LimitValue;

/// True for a GUID in DocuSign's form: `8-4-4-4-12` hexadecimal digits.
#[must_use]
pub fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// True for an address DocuSign can send to: `local@domain.tld`, no spaces, no quoted parts.
///
/// Stricter than RFC 5322 on purpose: quoted local parts and IP-literal domains are legal but
/// are typos far more often than real addresses in an account's user list.
#[must_use]
pub fn is_email(text: &str) -> bool {
    const LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";
    if text.len() > 254 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || LOCAL_SPECIALS.contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
    local_ok && domain_ok
}

/// A policy limit, once understood.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Limit {
    /// At most this many changes.
    Count(u64),
    /// At most this percent (0–100) of the live figure.
    Percent(f64),
}

/// Reads a limit as written, or says what is wrong with it.
pub fn parse_limit(value: &LimitValue) -> Result<Limit, &'static str> {
    match value {
        LimitValue::Integer(n) => u64::try_from(*n).map(Limit::Count).map_err(|_| {
            if *n < 0 {
                "a limit can't be negative"
            } else {
                "this count is too large"
            }
        }),
        LimitValue::Decimal(_) => {
            Err(r#"a count is a whole number; write a fractional percent as a string, e.g. "2.5%""#)
        }
        LimitValue::Text(text) => {
            let text = text.trim();
            if let Some(number) = text.strip_suffix('%') {
                let number = number.trim_end();
                let well_formed = !number.is_empty()
                    && number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                    && number.bytes().filter(|b| *b == b'.').count() <= 1
                    && !number.starts_with('.')
                    && !number.ends_with('.');
                match number.parse::<f64>() {
                    Ok(percent) if well_formed && (0.0..=100.0).contains(&percent) => {
                        Ok(Limit::Percent(percent))
                    }
                    Ok(_) if well_formed => Err("a percent limit is between 0% and 100%"),
                    _ => Err(r#"a limit is a count (10) or a percent ("5%")"#),
                }
            } else if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                text.parse()
                    .map(Limit::Count)
                    .map_err(|_| "this count is too large")
            } else {
                Err(r#"a limit is a count (10) or a percent ("5%")"#)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids() {
        assert!(is_guid("0b5c7d3e-1f2a-4b6c-8d9e-0a1b2c3d4e5f"));
        assert!(is_guid("0B5C7D3E-1F2A-4B6C-8D9E-0A1B2C3D4E5F"));
        assert!(!is_guid("0b5c7d3e1f2a4b6c8d9e0a1b2c3d4e5f"));
        assert!(!is_guid("0b5c7d3e-1f2a-4b6c-8d9e-0a1b2c3d4e5"));
        assert!(!is_guid("0b5c7d3e-1f2a-4b6c-8d9e-0a1b2c3d4e5g"));
        assert!(!is_guid("12345678"));
    }

    #[test]
    fn emails() {
        for good in [
            "a@b.co",
            "first.last+tag@sub.example.com",
            "o'neil@example.ie",
            "ü@exämple.de",
        ] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "plain",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "@b.com",
            "a@.com",
            "a@b..com",
            ".a@b.com",
            "a.@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b.c",
            "a@1.2.3.4",
            "a@b.com ",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn limits() {
        assert_eq!(parse_limit(&LimitValue::Integer(10)), Ok(Limit::Count(10)));
        assert_eq!(
            parse_limit(&LimitValue::Text("5%".into())),
            Ok(Limit::Percent(5.0))
        );
        assert_eq!(
            parse_limit(&LimitValue::Text("2.5 %".into())),
            Ok(Limit::Percent(2.5))
        );
        assert_eq!(
            parse_limit(&LimitValue::Text("12".into())),
            Ok(Limit::Count(12))
        );
        assert!(parse_limit(&LimitValue::Integer(-1)).is_err());
        assert!(parse_limit(&LimitValue::Decimal(2.5)).is_err());
        assert!(parse_limit(&LimitValue::Text("150%".into())).is_err());
        assert!(parse_limit(&LimitValue::Text("five".into())).is_err());
        assert!(parse_limit(&LimitValue::Text("%".into())).is_err());
        assert!(parse_limit(&LimitValue::Text("1e2%".into())).is_err());
    }
}
