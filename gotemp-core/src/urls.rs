//! Backend addresses as they may be printed: without their credentials.

/// Hides the credentials in a URL, for anything that prints or logs a backend's address: a
/// password (`postgres://u:pw@h` → `postgres://u:***@h`), credentials without a password (a NATS
/// token, `nats://tok@h` → `nats://***@h`), and query parameters that name a password, token,
/// secret or key (`?sslpassword=x` → `?sslpassword=***`).
pub fn redact_url(url: &str) -> String {
    let (head, query) = url
        .split_once('?')
        .map_or((url, None), |(h, q)| (h, Some(q)));
    let mut shown = match (head.find("://"), head.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let credentials = match head[s + 3..at].split_once(':') {
                Some((user, _)) => format!("{user}:***"),
                None => "***".to_owned(),
            };
            format!("{}{credentials}{}", &head[..s + 3], &head[at..])
        }
        _ => head.to_owned(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = (query.split('&'))
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if names_a_secret(key) => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&pairs.join("&"));
    }
    shown
}

/// Whether a query parameter's name says its value is a credential.
fn names_a_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pass", "token", "secret", "key", "auth", "credential"]
        .iter()
        .any(|word| key.contains(word))
}
