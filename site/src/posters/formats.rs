//! The poster formats: three print sizes (PDF) and three screen images (PNG).

/// Millimetres to PDF points.
pub fn mm_to_pt(mm: f64) -> f64 {
    mm * 72.0 / 25.4
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    A4,
    A3,
    A5,
    Square,
    Portrait,
    Share,
}

pub enum Medium {
    /// A PDF page of `width` × `height` mm, with `bleed` mm of artwork beyond the trim on each side.
    Print { width: f64, height: f64, bleed: f64 },
    /// A PNG of `width` × `height` pixels.
    Screen { width: u32, height: u32 },
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::A4,
        Format::A3,
        Format::A5,
        Format::Square,
        Format::Portrait,
        Format::Share,
    ];

    /// The code written in poster definitions, file names and the `src` parameter.
    pub fn code(self) -> &'static str {
        match self {
            Format::A4 => "a4",
            Format::A3 => "a3",
            Format::A5 => "a5",
            Format::Square => "carre",
            Format::Portrait => "portrait",
            Format::Share => "partage",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// A4 is printed on office printers: no bleed, the page is exactly A4. A3 posters and A5
    /// flyers go to print shops, which trim them: 3 mm of bleed.
    pub fn medium(self) -> Medium {
        match self {
            Format::A4 => Medium::Print {
                width: 210.0,
                height: 297.0,
                bleed: 0.0,
            },
            Format::A3 => Medium::Print {
                width: 297.0,
                height: 420.0,
                bleed: 3.0,
            },
            Format::A5 => Medium::Print {
                width: 148.0,
                height: 210.0,
                bleed: 3.0,
            },
            Format::Square => Medium::Screen {
                width: 1080,
                height: 1080,
            },
            Format::Portrait => Medium::Screen {
                width: 1080,
                height: 1350,
            },
            Format::Share => Medium::Screen {
                width: 1200,
                height: 630,
            },
        }
    }

    pub fn extension(self) -> &'static str {
        match self.medium() {
            Medium::Print { .. } => "pdf",
            Medium::Screen { .. } => "png",
        }
    }

    /// What it is, for the posters page.
    pub fn label(self) -> &'static str {
        match self {
            Format::A4 => "Affiche A4 (PDF)",
            Format::A3 => "Affiche A3 (PDF, avec fond perdu de 3 mm)",
            Format::A5 => "Flyer A5 (PDF, avec fond perdu de 3 mm)",
            Format::Square => "Image carrée 1080 × 1080 (Facebook, Instagram)",
            Format::Portrait => "Image portrait 1080 × 1350 (Instagram, Facebook)",
            Format::Share => "Image d'aperçu de lien 1200 × 630",
        }
    }

    /// Where it goes.
    pub fn use_for(self) -> &'static str {
        match self {
            Format::A4 => {
                "pour les mairies, pharmacies, cabinets, laboratoires et France Services ; s'imprime au bureau, à 100 %"
            }
            Format::A3 => {
                "pour une vitrine ou un panneau d'affichage ; à faire imprimer par un imprimeur"
            }
            Format::A5 => "à poser sur un comptoir ou à glisser dans un sac de pharmacie",
            Format::Square | Format::Portrait => "pour une publication sur les réseaux sociaux",
            Format::Share => "l'image affichée quand on partage un lien vers le site",
        }
    }
}
