//! An in-memory synthetic territory of any size, for the map's tests and the benchmarks: communes
//! are cells of a grid over metropolitan France with wavy borders that neighbours share exactly,
//! grouped into square CPTS, and doctors spread over them with the whole availability model.

use chrono::NaiveDate;
use territory::{Availability, Commune, Cpts, Doctor, LonLat, Territory};

const WEST: f64 = -4.5;
const EAST: f64 = 8.0;
const SOUTH: f64 = 42.5;
const NORTH: f64 = 51.0;
/// Points per cell side (so 4 × this many vertices per commune).
const SIDE_POINTS: usize = 10;
/// CPTS are squares of this many communes on a side.
const CPTS_SIDE: usize = 7;

/// Deterministic pseudo-random numbers in [0, 1) from integers.
fn noise(a: u64, b: u64, c: u64) -> f64 {
    let mut x = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
        .wrapping_add(c.wrapping_mul(0x1656_67B1_9E37_79F9));
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// `communes` communes (about) and `doctors` doctors; declarations dated around `today`.
pub fn territory(communes: usize, doctors: usize, today: NaiveDate) -> Territory {
    let rows = ((communes as f64) * (NORTH - SOUTH) / (EAST - WEST))
        .sqrt()
        .ceil()
        .max(1.0) as usize;
    let columns = communes.div_ceil(rows).max(1);
    let (dx, dy) = (
        (EAST - WEST) / columns as f64,
        (NORTH - SOUTH) / rows as f64,
    );
    // A point of the grid's lines, moved across its line by a shared amount: neighbours agree.
    let point = |gx: usize, gy: usize, step: usize, horizontal: bool| -> [f64; 2] {
        let t = step as f64 / SIDE_POINTS as f64;
        let wobble = if step == 0 || step == SIDE_POINTS {
            0.0
        } else {
            (noise(
                gx as u64,
                gy as u64,
                step as u64 + if horizontal { 0 } else { 100 },
            ) - 0.5)
                * 0.25
        };
        if horizontal {
            [
                WEST + (gx as f64 + t) * dx,
                SOUTH + (gy as f64 + wobble) * dy,
            ]
        } else {
            [
                WEST + (gx as f64 + wobble) * dx,
                SOUTH + (gy as f64 + t) * dy,
            ]
        }
    };
    let mut list = Vec::with_capacity(rows * columns);
    let cpts_columns = columns.div_ceil(CPTS_SIDE);
    for gy in 0..rows {
        for gx in 0..columns {
            if list.len() == communes {
                break;
            }
            let mut ring = Vec::with_capacity(4 * SIDE_POINTS + 1);
            ring.extend((0..SIDE_POINTS).map(|s| point(gx, gy, s, true)));
            ring.extend((0..SIDE_POINTS).map(|s| point(gx + 1, gy, s, false)));
            ring.extend((0..SIDE_POINTS).map(|s| point(gx, gy + 1, SIDE_POINTS - s, true)));
            ring.extend((0..SIDE_POINTS).map(|s| point(gx, gy, SIDE_POINTS - s, false)));
            ring.push(ring[0]);
            let i = list.len();
            let department = 1 + i * 95 / communes.max(1);
            list.push(Commune {
                code: format!("{department:02}{:03}", i % 1000),
                name: format!("Commune {i}"),
                postcodes: vec![format!("{department:02}{:03}", (i / 7) % 1000)],
                population: 100 + (noise(i as u64, 1, 1) * 5000.0) as u32,
                centre: LonLat {
                    lon: WEST + (gx as f64 + 0.5) * dx,
                    lat: SOUTH + (gy as f64 + 0.5) * dy,
                },
                area_km2: 15.0,
                geometry: vec![vec![ring]],
                cpts: Some((gy / CPTS_SIDE) * cpts_columns + gx / CPTS_SIDE),
            });
        }
    }
    let cpts_count = rows.div_ceil(CPTS_SIDE) * cpts_columns;
    let mut cpts: Vec<Cpts> = (0..cpts_count)
        .map(|k| Cpts {
            id: format!("cpts-{k}"),
            name: format!("CPTS {k}"),
            short_name: format!("C{k}"),
            description: String::new(),
            communes: Vec::new(),
            main_towns: Vec::new(),
            coordinators: Vec::new(),
            postal_address: None,
        })
        .collect();
    for (i, c) in list.iter().enumerate() {
        if let Some(k) = c.cpts {
            cpts[k].communes.push(i);
        }
    }
    let mut kept: Vec<usize> = Vec::new();
    for (k, c) in cpts.iter().enumerate() {
        if !c.communes.is_empty() {
            kept.push(k);
        }
    }
    let renumber: std::collections::HashMap<usize, usize> = kept
        .iter()
        .enumerate()
        .map(|(new, &old)| (old, new))
        .collect();
    let cpts: Vec<Cpts> = kept.iter().map(|&k| cpts[k].clone()).collect();
    for c in &mut list {
        c.cpts = c.cpts.and_then(|k| renumber.get(&k).copied());
    }
    let doctors = (0..doctors)
        .map(|j| {
            let r = |salt: u64| noise(j as u64, salt, 7);
            let commune = ((r(1) * list.len() as f64) as usize).min(list.len() - 1);
            let centre = list[commune].centre;
            let availability = match (r(2) * 10.0) as u32 {
                0..=2 => Availability::AcceptingNow,
                3 | 4 => Availability::AcceptingFrom(today + chrono::Days::new(30)),
                5 => Availability::PausedUntil(today + chrono::Days::new(60)),
                _ => Availability::NotAccepting,
            };
            Doctor {
                id: format!("med-{j}"),
                name: format!("Dr Synthétique {j}"),
                commune,
                location: LonLat {
                    lon: centre.lon + (r(3) - 0.5) * dx * 0.5,
                    lat: centre.lat + (r(4) - 0.5) * dy * 0.5,
                },
                other_practices: Vec::new(),
                availability,
                yearly_capacity: 10,
                home_visit_radius_km: (r(5) < 0.3).then_some(8.0),
                priority_only: r(6) < 0.15,
                public: r(7) < 0.5,
                updated: today - chrono::Days::new((r(8) * 150.0) as u64),
                email: format!("med-{j}@example.org"),
            }
        })
        .collect();
    Territory::new(list, cpts, doctors)
}
