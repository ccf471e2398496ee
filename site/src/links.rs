//! Internal links: which ones point inside the site, and where they lead.

/// The root-relative path a link leads to, without query or fragment, or `None` for links that
/// leave the site (`https:`, `mailto:`, `tel:`…) or stay on the page (`#…`).
pub fn internal_target(page_url: &str, destination: &str) -> Option<String> {
    let destination = destination.trim();
    if destination.is_empty() || destination.starts_with('#') || destination.starts_with("//") {
        return None;
    }
    let scheme_end = destination.find(':');
    let path_start = destination.find(['/', '?', '#']);
    if let Some(colon) = scheme_end
        && path_start.is_none_or(|p| colon < p)
    {
        return None;
    }
    let path = destination.split(['#', '?']).next().unwrap_or("");
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{page_url}{path}")
    };
    Some(normalize(&joined))
}

/// Resolves "." and ".." segments, keeping a trailing slash.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = String::from("/");
    out.push_str(&parts.join("/"));
    if path.ends_with('/') && !parts.is_empty() {
        out.push('/');
    }
    out
}

/// The file an address is served from: "/a/" → "a/index.html", "/style.css" → "style.css".
pub fn file_for(url: &str) -> String {
    let trimmed = url.trim_start_matches('/');
    if trimmed.is_empty() || trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(internal_target("/a/", "/b/#x").as_deref(), Some("/b/"));
        assert_eq!(internal_target("/a/", "c/").as_deref(), Some("/a/c/"));
        assert_eq!(internal_target("/a/b/", "../c/").as_deref(), Some("/a/c/"));
        assert_eq!(internal_target("/a/", "https://ameli.fr/"), None);
        assert_eq!(internal_target("/a/", "mailto:x@example.org"), None);
        assert_eq!(internal_target("/a/", "tel:+33353012008"), None);
        assert_eq!(internal_target("/a/", "#haut"), None);
        assert_eq!(
            internal_target("/", "/style.css?v=2").as_deref(),
            Some("/style.css")
        );
    }

    #[test]
    fn files() {
        assert_eq!(file_for("/"), "index.html");
        assert_eq!(file_for("/a/b/"), "a/b/index.html");
        assert_eq!(file_for("/atom.xml"), "atom.xml");
    }
}
