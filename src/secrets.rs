//! Spotting credentials typed into an environment file, so they never reach Git.

pub const HELP: &str = "never put credentials in an environment file: create a Secret in the cluster (SOPS, Sealed Secrets or External Secrets) and reference it with `credentials: {secretName: NAME, key: KEY}`";

/// Key names that hold credentials.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace(['-', '_'], "");
    [
        "password",
        "passwd",
        "secret",
        "secretkey",
        "accesskey",
        "accesskeyid",
        "secretaccesskey",
        "token",
        "apikey",
        "privatekey",
        "storageaccountkey",
        "accountkey",
        "keyfiledata",
        "clientsecret",
        "salt",
        "passwordobscured",
        "saltobscured",
        "sastoken",
        "connectionstring",
        "awsaccesskeyid",
        "awssecretaccesskey",
    ]
    .contains(&k.as_str())
        || k.ends_with("password")
        || k.ends_with("secretkey")
        || k.ends_with("accesskey")
        || k.ends_with("token")
}

/// Values that are credentials whatever key they sit under.
pub fn looks_like_secret_value(value: &str) -> bool {
    let v = value.trim();
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return true;
    }
    if v.contains("aws_secret_access_key")
        || v.contains("aws_access_key_id")
        || v.contains("AccountKey=")
    {
        return true;
    }
    let is_upper_alnum = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    for prefix in ["AKIA", "ASIA"] {
        if let Some(rest) = v.strip_prefix(prefix)
            && rest.len() == 16
            && is_upper_alnum(rest)
        {
            return true;
        }
    }
    if v.starts_with("ghp_") || v.starts_with("glpat-") || v.starts_with("xoxb-") {
        return true;
    }
    // A long run of base64/hex-looking characters with mixed classes and no spaces.
    if v.len() >= 32 && !v.contains(' ') && !v.contains("://") && !v.contains('/') {
        let upper = v.chars().any(|c| c.is_ascii_uppercase());
        let lower = v.chars().any(|c| c.is_ascii_lowercase());
        let digit = v.chars().any(|c| c.is_ascii_digit());
        let token_chars = v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=_-".contains(c));
        if upper && lower && digit && token_chars {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_credentials() {
        assert!(is_secret_key("secretKey"));
        assert!(is_secret_key("access_key"));
        assert!(is_secret_key("password"));
        assert!(!is_secret_key("secretName"));
        assert!(!is_secret_key("key"));
        assert!(looks_like_secret_value("AKIAABCDEFGHIJKLMNOP"));
        assert!(looks_like_secret_value(
            "wJalrXUtnFEMI0K7MDENG0bPxRfiCYEXAMPLEKEY12"
        ));
        assert!(looks_like_secret_value(
            "-----BEGIN RSA PRIVATE KEY-----\nabc"
        ));
        assert!(!looks_like_secret_value("https://s3.sto1.safedc.net"));
        assert!(!looks_like_secret_value("compliantkubernetes.io/nobackup"));
        assert!(!looks_like_secret_value(
            "Risk analysis RA-2026-04 says thirty days is enough."
        ));
    }
}
