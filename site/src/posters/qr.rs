//! The QR code to the registration form, as vector paths (one run of dark modules per rectangle).

use std::fmt::Write;

use qrcode::{Color, EcLevel, QrCode};

use super::colours::{INK, PAPER};

/// Modules of blank border the standard asks for around the code.
pub const QUIET_ZONE: usize = 4;

pub struct Qr {
    /// Modules per side, without the quiet zone.
    pub modules: usize,
    code: QrCode,
}

impl Qr {
    /// Level M: survives a smudge or a fold, keeps the code small (DOMAIN.md §6).
    pub fn new(url: &str) -> Result<Self, String> {
        let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
            .map_err(|e| format!("adresse trop longue pour un QR code ({e})"))?;
        Ok(Self {
            modules: code.width(),
            code,
        })
    }

    /// Side of the code with its quiet zone, in modules.
    pub fn side_with_quiet_zone(&self) -> usize {
        self.modules + 2 * QUIET_ZONE
    }

    /// SVG group drawing the code, quiet zone included, in a square of `side` at (`x`, `y`).
    pub fn svg(&self, x: f64, y: f64, side: f64) -> String {
        let module = side / self.side_with_quiet_zone() as f64;
        let colours = self.code.to_colors();
        let mut path = String::new();
        for row in 0..self.modules {
            let mut col = 0;
            while col < self.modules {
                if colours[row * self.modules + col] == Color::Dark {
                    let start = col;
                    while col < self.modules && colours[row * self.modules + col] == Color::Dark {
                        col += 1;
                    }
                    let _ = write!(
                        path,
                        "M{} {}h{}v1h-{}z",
                        start + QUIET_ZONE,
                        row + QUIET_ZONE,
                        col - start,
                        col - start
                    );
                } else {
                    col += 1;
                }
            }
        }
        let total = self.side_with_quiet_zone();
        format!(
            r#"<g id="qr" transform="translate({x:.3} {y:.3}) scale({module:.5})"><rect width="{total}" height="{total}" fill="{}"/><path d="{path}" fill="{}" shape-rendering="crispEdges"/></g>
"#,
            PAPER.hex(),
            INK.hex()
        )
    }
}
