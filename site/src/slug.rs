//! URL slugs from French names: "Saint-Loup-Terrier" → "saint-loup-terrier".

pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let ascii: &str = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
            'ç' => "c",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' | 'ì' => "i",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ÿ' | 'ý' => "y",
            'ñ' => "n",
            'œ' => "oe",
            'æ' => "ae",
            c if c.is_ascii_alphanumeric() => {
                if pending_dash && !slug.is_empty() {
                    slug.push('-');
                }
                pending_dash = false;
                slug.push(c);
                continue;
            }
            _ => {
                pending_dash = true;
                continue;
            }
        };
        if pending_dash && !slug.is_empty() {
            slug.push('-');
        }
        pending_dash = false;
        slug.push_str(ascii);
    }
    slug
}

/// Letter under which a name is filed in an A–Z index ("Écly" under E, "L'Écaille" under L).
pub fn index_letter(name: &str) -> char {
    slugify(name).chars().next().map_or('#', |c| {
        if c.is_ascii_alphabetic() {
            c.to_ascii_uppercase()
        } else {
            '#'
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_names() {
        assert_eq!(slugify("Saint-Loup-Terrier"), "saint-loup-terrier");
        assert_eq!(slugify("Rethélois"), "rethelois");
        assert_eq!(slugify("L'Échelle  (08)"), "l-echelle-08");
        assert_eq!(slugify("Œuilly"), "oeuilly");
        assert_eq!(index_letter("Écly"), 'E');
    }
}
