//! Finding the commune a person typed ("Sedan (08200)", "sedan", "Saint-Menges" or a postcode),
//! naming it, and who handles the requests of its CPTS.

use territory::{Commune, Coordinator, Territory};

/// The name of the commune with INSEE `code`, or the code itself if the territory no longer has it.
pub fn commune_name(territory: &Territory, code: &str) -> String {
    territory
        .commune(code)
        .map_or_else(|| code.to_string(), |c| c.name.clone())
}

/// Who handles requests of `cpts`: its coordinators, or every coordinator for a commune outside
/// every CPTS.
pub fn coordinators_of(territory: &Territory, cpts: Option<&str>) -> Vec<Coordinator> {
    match cpts.and_then(|id| territory.cpts.iter().find(|c| c.id == id)) {
        Some(c) => c.coordinators.clone(),
        None => territory
            .cpts
            .iter()
            .flat_map(|c| c.coordinators.iter().cloned())
            .collect(),
    }
}

/// The addresses the coordinators of `cpts` are mailed at.
pub fn coordinator_addresses(territory: &Territory, cpts: Option<&str>) -> Vec<String> {
    coordinators_of(territory, cpts)
        .into_iter()
        .map(|c| c.email)
        .collect()
}

/// How a commune is offered in the form's list: "Sedan (08200)".
pub fn label(commune: &Commune) -> String {
    match commune.postcodes.first() {
        Some(postcode) => format!("{} ({postcode})", commune.name),
        None => commune.name.clone(),
    }
}

/// The commune the answer names, or a French message saying how to name it.
pub fn find<'t>(territory: &'t Territory, input: &str) -> Result<&'t Commune, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("Indiquez votre commune : commencez à écrire son nom ou son code postal, puis choisissez-la dans la liste.".into());
    }
    if let Some(c) = territory.communes.iter().find(|c| label(c) == input) {
        return Ok(c);
    }
    // "Name (postcode)" typed by hand, or only a name, or only a postcode.
    let (name_part, postcode_part) = match input.rsplit_once('(') {
        Some((name, rest)) => (name.trim(), Some(rest.trim_end_matches(')').trim())),
        None if input.chars().all(|c| c.is_ascii_digit() || c == ' ') => ("", Some(input)),
        None => (input, None),
    };
    let wanted = name_key(name_part);
    let postcode = postcode_part.map(|p| p.replace(' ', ""));
    let with_postcode = |c: &&Commune| {
        postcode
            .as_ref()
            .is_none_or(|p| c.postcodes.iter().any(|q| q == p))
    };
    let mut matches: Vec<&Commune> = territory
        .communes
        .iter()
        .filter(|c| wanted.is_empty() || name_key(&c.name) == wanted)
        .filter(with_postcode)
        .collect();
    if matches.is_empty() && !wanted.is_empty() {
        // The first words of a name, as people say it: "Charleville" for Charleville-Mézières.
        // Taken only when one commune alone starts so (else the list of those that do).
        let start = format!("{wanted} ");
        matches = territory
            .communes
            .iter()
            .filter(|c| name_key(&c.name).starts_with(&start))
            .filter(with_postcode)
            .collect();
    }
    match matches.as_slice() {
        [one] => Ok(one),
        [] if !wanted.is_empty() => Err(format!(
            "Nous ne trouvons pas « {input} » parmi les communes du territoire. Vérifiez l'orthographe, ou choisissez votre commune dans la liste. Si vous habitez ailleurs, appelez-nous."
        )),
        [] => Err(format!(
            "Aucune commune du territoire n'a le code postal « {input} ». Écrivez le nom de votre commune."
        )),
        several => {
            let names: Vec<String> = several.iter().take(8).map(|c| label(c)).collect();
            Err(format!(
                "Plusieurs communes correspondent ({}). Choisissez la vôtre dans la liste.",
                names.join(", ")
            ))
        }
    }
}

/// A commune's name as compared: folded, with the usual abbreviations written out
/// ("St-Menges", "Ste Marie", "S/ Meuse" → "saint menges", "sainte marie", "sur meuse").
pub fn name_key(s: &str) -> String {
    fold(&s.replace(['.', '/'], " "))
        .split(' ')
        .map(|word| match word {
            "st" => "saint",
            "ste" => "sainte",
            "s" => "sur",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lowercase, without accents, hyphens or apostrophes, single spaces: "Saint-Léger" → "saint leger".
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' => 'y',
            'ç' => 'c',
            'œ' => {
                out.push('o');
                'e'
            }
            '-' | '\'' | '’' | '_' => ' ',
            c => c,
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::{fold, name_key};

    #[test]
    fn abbreviations() {
        assert_eq!(name_key("St-Menges"), "saint menges");
        assert_eq!(name_key("st. menges"), "saint menges");
        assert_eq!(name_key("Ste Marie"), "sainte marie");
        assert_eq!(name_key("Saint-Menges"), "saint menges");
        assert_eq!(name_key("Stonne"), "stonne");
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Saint-Léger-sur-Bar"), "saint leger sur bar");
        assert_eq!(fold("  L’Échelle "), "l echelle");
        assert_eq!(fold("Cœur"), "coeur");
    }
}
