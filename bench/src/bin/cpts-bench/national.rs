//! A synthetic national territory: communes laid on a grid over metropolitan France, each with a
//! polygon of realistic detail, grouped into CPTS of contiguous communes, and doctors spread over
//! them with the whole availability model.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::random::Random;

const WEST: f64 = -4.5;
const EAST: f64 = 8.0;
const SOUTH: f64 = 42.5;
const NORTH: f64 = 51.0;
/// Vertices per commune outline (real simplified contours have tens to hundreds).
const VERTICES: usize = 48;
const COMMUNES_PER_CPTS: usize = 50;

const SYLLABLES: &[&str] = &[
    "bar", "bel", "ber", "bois", "bou", "cha", "cour", "fon", "gen", "la", "leu", "lis", "mar",
    "mon", "mou", "nan", "rai", "ré", "roc", "sau", "ten", "val", "ver", "vil", "vou", "zy",
];

pub struct Size {
    pub communes: usize,
    pub doctors: usize,
}

/// Writes a complete content folder (site.toml, one page, territory/) for `size`.
pub fn write(dir: &Path, size: &Size, today: &str) -> io::Result<()> {
    fs::create_dir_all(dir.join("pages"))?;
    let territory_dir = dir.join(territory::FOLDER);
    fs::create_dir_all(&territory_dir)?;
    fs::write(
        dir.join("site.toml"),
        "title = \"Médecin traitant France (synthétique)\"\ndescription = \"Territoire national synthétique\"\nbase_url = \"https://national.example.org\"\napi_url = \"/api\"\ndemo = true\n\n[phone]\nnumber = \"03 53 01 20 08\"\nhours = \"du lundi au vendredi\"\ncost = \"appel non surtaxé\"\n",
    )?;
    fs::write(
        dir.join("pages/_index.md"),
        "+++\ntitle = \"Accueil\"\n+++\n\nTerritoire synthétique.\n",
    )?;
    let grid = Grid::for_communes(size.communes);
    let mut random = Random::new(35_000);
    let names = write_communes(
        &territory_dir.join(territory::load::COMMUNES_FILE),
        size,
        &grid,
        &mut random,
    )?;
    write_cpts(
        &territory_dir.join(territory::load::CPTS_FILE),
        size.communes,
        &names,
    )?;
    write_doctors(
        &territory_dir.join(territory::load::DOCTORS_FILE),
        size,
        &grid,
        &mut random,
        today,
    )
}

struct Grid {
    columns: usize,
    cell_lon: f64,
    cell_lat: f64,
}

impl Grid {
    fn for_communes(communes: usize) -> Self {
        let rows = ((communes as f64) * (NORTH - SOUTH) / (EAST - WEST))
            .sqrt()
            .ceil() as usize;
        let rows = rows.max(1);
        let columns = communes.div_ceil(rows);
        Grid {
            columns,
            cell_lon: (EAST - WEST) / columns as f64,
            cell_lat: (NORTH - SOUTH) / rows as f64,
        }
    }

    /// South-west corner of commune `i`'s cell.
    fn corner(&self, i: usize) -> (f64, f64) {
        let (row, column) = (i / self.columns, i % self.columns);
        (
            WEST + column as f64 * self.cell_lon,
            SOUTH + row as f64 * self.cell_lat,
        )
    }

    fn centre(&self, i: usize) -> (f64, f64) {
        let (lon, lat) = self.corner(i);
        (lon + self.cell_lon / 2.0, lat + self.cell_lat / 2.0)
    }
}

/// INSEE-like code: a two-digit department and a three-digit number.
fn code(i: usize) -> String {
    format!("{:02}{:03}", 1 + i / 400, 1 + i % 400)
}

fn name(random: &mut Random, i: usize) -> String {
    let mut name = String::new();
    for k in 0..2 + random.below(2) {
        let syllable = SYLLABLES[random.below(SYLLABLES.len())];
        if k == 0 {
            let mut chars = syllable.chars();
            if let Some(c) = chars.next() {
                name.extend(c.to_uppercase());
                name.push_str(chars.as_str());
            }
        } else {
            name.push_str(syllable);
        }
    }
    // Keeps names unique, as main towns are found by name.
    let _ = write!(name, "-{}", i + 1);
    name
}

fn write_communes(
    path: &Path,
    size: &Size,
    grid: &Grid,
    random: &mut Random,
) -> io::Result<Vec<String>> {
    let mut out = BufWriter::new(fs::File::create(path)?);
    out.write_all(b"{\"type\":\"FeatureCollection\",\n\"features\":[\n")?;
    let mut names = Vec::with_capacity(size.communes);
    for i in 0..size.communes {
        let name = name(random, i);
        let (lon0, lat0) = grid.corner(i);
        let (lon_c, lat_c) = grid.centre(i);
        let code = code(i);
        let postcode = format!("{}{:03}", &code[..2], (i % 400) / 10 * 10);
        let mut ring = String::new();
        let mut first = String::new();
        // A square cell with wobbling edges: enough vertices to weigh like a real contour.
        let side = VERTICES / 4;
        for k in 0..VERTICES {
            let (edge, t) = (k / side, (k % side) as f64 / side as f64);
            let wobble = (random.unit() - 0.5) * 0.05;
            let (fx, fy) = match edge {
                0 => (t, 0.0 + wobble),
                1 => (1.0 + wobble, t),
                2 => (1.0 - t, 1.0 + wobble),
                _ => (0.0 + wobble, 1.0 - t),
            };
            let vertex = format!(
                "[{:.5},{:.5}]",
                lon0 + fx * grid.cell_lon,
                lat0 + fy * grid.cell_lat
            );
            if k == 0 {
                first.clone_from(&vertex);
            }
            ring.push_str(&vertex);
            ring.push(',');
        }
        // GeoJSON rings end where they start.
        ring.push_str(&first);
        let population = 50 + random.below(5000);
        let separator = if i + 1 == size.communes { "" } else { "," };
        writeln!(
            out,
            "{{\"type\":\"Feature\",\"properties\":{{\"code\":\"{code}\",\"nom\":\"{name}\",\"codesPostaux\":[\"{postcode}\"],\"population\":{population},\"centre\":[{lon_c:.5},{lat_c:.5}],\"surfaceKm2\":15.2}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[{ring}]]}}}}{separator}"
        )?;
        names.push(name);
    }
    out.write_all(b"]}\n")?;
    out.flush()?;
    Ok(names)
}

fn write_cpts(path: &Path, communes: usize, names: &[String]) -> io::Result<()> {
    let mut out = BufWriter::new(fs::File::create(path)?);
    for (n, start) in (0..communes).step_by(COMMUNES_PER_CPTS).enumerate() {
        let end = (start + COMMUNES_PER_CPTS).min(communes);
        let codes: Vec<String> = (start..end).map(|i| format!("\"{}\"", code(i))).collect();
        writeln!(
            out,
            "[[cpts]]\nid = \"cpts-{n}\"\nname = \"CPTS synthétique {n}\"\nshort_name = \"CPTS {n}\"\ndescription = \"Une CPTS du territoire synthétique.\"\nmain_towns = [\"{}\"]\ncommunes = [{}]\n\n[[cpts.coordinators]]\nid = \"coordination-{n}\"\nname = \"Coordination {n}\"\nemail = \"coordination.{n}@example.org\"\n",
            names[start],
            codes.join(", ")
        )?;
    }
    out.flush()
}

fn write_doctors(
    path: &Path,
    size: &Size,
    grid: &Grid,
    random: &mut Random,
    today: &str,
) -> io::Result<()> {
    let mut out = BufWriter::new(fs::File::create(path)?);
    writeln!(
        out,
        "id;nom;commune;lat;lon;statut;date_statut;capacite_annuelle;visites_domicile;rayon_visites_km;priorite_seulement;public;mis_a_jour;email"
    )?;
    for d in 0..size.doctors {
        let commune = random.below(size.communes);
        let (lon, lat) = grid.centre(commune);
        let lon = lon + (random.unit() - 0.5) * grid.cell_lon * 0.5;
        let lat = lat + (random.unit() - 0.5) * grid.cell_lat * 0.5;
        let (status, status_date) = match random.below(4) {
            0 => ("accepte_maintenant", ""),
            1 => ("accepte_plus_tard", "2027-03-01"),
            2 => ("n_accepte_pas", ""),
            _ => ("en_pause", "2027-01-15"),
        };
        let home = random.below(3) == 0;
        let radius = if home { "10" } else { "" };
        writeln!(
            out,
            "med-{d};Dr Exemple {d};{};{lat:.5};{lon:.5};{status};{status_date};{};{};{radius};{};{};{today};med{d}@example.org",
            code(commune),
            5 + random.below(40),
            if home { "oui" } else { "non" },
            if random.below(5) == 0 { "oui" } else { "non" },
            if random.below(2) == 0 { "oui" } else { "non" },
        )?;
    }
    out.flush()
}
