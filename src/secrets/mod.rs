//! Spotting credentials typed into an environment file, so they never reach Git, and finding
//! where in any text a credential sits (the one detector behind the `inline-secret` check and
//! behind `crate::secrets::redact`, which masks them in everything ck8s-gen prints or writes).

pub mod redact;

use std::ops::Range;
use std::sync::LazyLock;

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
    if !spans(value).is_empty() {
        return true;
    }
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

/// Credential shapes found anywhere in a string. In each pattern the first capture group (or
/// the whole match when there is none) is the secret part.
static SHAPES: LazyLock<Vec<(&'static str, regex::Regex)>> = LazyLock::new(|| {
    [
        // AWS access key IDs (long-term AKIA…, temporary ASIA…, and the other IAM prefixes).
        (
            "aws-access-key-id",
            r"\b((?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16})\b",
        ),
        // An AWS secret access key named as such (credentials files, env syntax, JSON).
        (
            "aws-secret-access-key",
            r#"(?i)(?:aws_?secret_?access_?key|secret_?access_?key|secret_?key)\\?["']?\s*[:=]\s*\\?["']?([A-Za-z0-9/+=]{40,})"#,
        ),
        // The shape of an AWS secret access key alone: 40 base64 characters (checked for
        // mixed classes below).
        (
            "aws-secret-shape",
            r"(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)",
        ),
        ("gcp-api-key", r"\b(AIza[0-9A-Za-z_\-]{35})"),
        (
            "gcp-private-key-id",
            r#"private_key_id\\?["']?\s*[:=]\s*\\?["']?([0-9a-f]{40})"#,
        ),
        ("azure-account-key", r"(?i)AccountKey=([A-Za-z0-9+/=]{20,})"),
        ("azure-storage-key", r"(?:^|[^A-Za-z0-9+/])([A-Za-z0-9+/]{86}==)"),
        // Pre-signed URLs and SAS tokens: the signing parts of a query string.
        (
            "signed-query",
            r#"(?i)(?:^|[?&;\s"'])(?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential)=([^&\s"'<>]+)"#,
        ),
        ("gitlab-token", r"\b((?:glpat|glptt|gldt|glrt|gloas)-[0-9A-Za-z_\-]{20,})"),
        ("github-token", r"\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,})"),
        ("github-token", r"\b(github_pat_[A-Za-z0-9_]{22,})"),
        ("slack-token", r"\b(xox[baprs]-[A-Za-z0-9\-]{10,})"),
        // user:password@ in a URL (a user alone, `ssh://git@host`, is not a credential).
        (
            "url-userinfo",
            r#"(?i)\b[a-z][a-z0-9+.\-]*://([^/\s:@"'<>]+:[^/\s@"'<>]*)@"#,
        ),
    ]
    .into_iter()
    .map(|(name, pattern)| (name, regex::Regex::new(pattern).expect("valid pattern")))
    .collect()
});

/// `name: value` / `name=value` pairs: the value is a credential when the name is one
/// ([`is_secret_key`]), e.g. `password: hunter2` in a snippet of the file.
static NAMED: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r#"(?:^|[\s{,;"'&?])([A-Za-z][A-Za-z0-9_-]*)\\?["']?[ \t]*[:=][ \t]*\\?["']?([^\s"',;}\]#&\\]+)"#)
        .expect("valid pattern")
});

const PEM_BEGIN: &str = "-----BEGIN ";
const PEM_KEY: &str = "PRIVATE KEY-----";
const PEM_END: &str = "-----END ";

/// Byte ranges of every credential in `text` (sorted, merged): the shapes above, and PEM
/// private key blocks (from `-----BEGIN … PRIVATE KEY-----` to its END line, or to the end of
/// the text when the END line is missing).
pub fn spans(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    for (name, re) in SHAPES.iter() {
        for caps in re.captures_iter(text) {
            let Some(m) = caps.get(1).or_else(|| caps.get(0)) else {
                continue;
            };
            if *name == "aws-secret-shape" || *name == "azure-storage-key" {
                let s = m.as_str();
                let mixed = s.bytes().any(|b| b.is_ascii_uppercase())
                    && s.bytes().any(|b| b.is_ascii_lowercase())
                    && s.bytes().any(|b| b.is_ascii_digit());
                if !mixed {
                    continue;
                }
            }
            found.push(m.range());
        }
    }
    for caps in NAMED.captures_iter(text) {
        let (Some(name), Some(value)) = (caps.get(1), caps.get(2)) else {
            continue;
        };
        let v = value.as_str();
        let reference = v.starts_with(['$', '{', '<', '*'])
            || matches!(v, "true" | "false" | "null" | "~" | "|" | ">" | "|-" | ">-")
            || v.bytes().all(|b| b.is_ascii_digit());
        if is_secret_key(name.as_str()) && !reference {
            found.push(value.range());
        }
    }
    let mut from = 0;
    while let Some(at) = text[from..].find(PEM_BEGIN) {
        let start = from + at;
        let line_end = text[start..].find('\n').map_or(text.len(), |e| start + e);
        if !text[start..line_end].contains(PEM_KEY) {
            from = start + PEM_BEGIN.len();
            continue;
        }
        let end = text[line_end..]
            .find(PEM_END)
            .map(|e| line_end + e)
            .and_then(|e| {
                text[e..]
                    .find(PEM_KEY)
                    .map(|k| e + k + PEM_KEY.len())
                    .filter(|&k| !text[e..k].contains('\n'))
            })
            .unwrap_or(text.len());
        found.push(start..end);
        from = end.max(start + 1);
    }
    found.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in found {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
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

    /// One of each credential shape, inside free text, a URL or JSON; `secret` is the part that
    /// must be found.
    pub const SHAPES: &[(&str, &str)] = &[
        (
            "AKIAIOSFODNN7EXAMPLE",
            "key id AKIAIOSFODNN7EXAMPLE in free text",
        ),
        ("ASIAY34FZKBOKMUTVV7A", "temporary ASIAY34FZKBOKMUTVV7A key"),
        (
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        (
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
            "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\\n-----END PRIVATE KEY-----\\n\"}",
        ),
        (
            "0123456789abcdef0123456789abcdef01234567",
            "{\"private_key_id\": \"0123456789abcdef0123456789abcdef01234567\"}",
        ),
        (
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
            "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
        ),
        (
            "sv%3D2022-11-02Xsig",
            "https://acct.blob.core.windows.net/c?sp=r&sig=sv%3D2022-11-02Xsig",
        ),
        (
            "AKIAIOSFODNN7EXAMPLE%2F20261125%2Feu-north-1%2Fs3%2Faws4_request",
            "https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261125%2Feu-north-1%2Fs3%2Faws4_request&X-Amz-Signature=abc",
        ),
        (
            "fe2bd9c52e0a4d8f9d1e6c0f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1e2d",
            "https://b.s3.amazonaws.com/o?X-Amz-Signature=fe2bd9c52e0a4d8f9d1e6c0f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1e2d",
        ),
        (
            "glpat-xxxxxxxxxxxxxxxxxxxx",
            "https://user:glpat-xxxxxxxxxxxxxxxxxxxx@gitlab.example.com/repo.git",
        ),
        (
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 here",
        ),
        (
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        ),
        (
            "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n",
        ),
        (
            "admin:s3cr3t-Pa55",
            "https://admin:s3cr3t-Pa55@s3.example.com",
        ),
    ];

    #[test]
    fn every_shape_is_found_anywhere_in_a_string() {
        for (secret, text) in SHAPES {
            let spans = spans(text);
            assert!(
                spans.iter().any(|r| text[r.clone()].contains(secret)),
                "{secret} not found in {text}: {spans:?}"
            );
            assert!(looks_like_secret_value(text), "{text}");
        }
        let named = "storage:\n  password: hunter2\n  secretName: velero-credentials\n  automountServiceAccountToken: false\n";
        let found: Vec<&str> = spans(named).into_iter().map(|r| &named[r]).collect();
        assert_eq!(found, vec!["hunter2"]);
        for clean in [
            "https://s3.sto1.safedc.net",
            "ssh://git@github.com/org/repo.git",
            "https://s3.example.com/bucket?versioning=true",
            "e22a3da6020385f9b00489c68db5bd09d86474d4a93b4bf185f60d74296cc9ea",
            "Development workload cluster",
            "compliantkubernetes.io/nobackup",
        ] {
            assert!(spans(clean).is_empty(), "{clean}: {:?}", spans(clean));
        }
    }
}
