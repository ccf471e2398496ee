//! The `cpts` site generator: markdown pages and territory data become the public website.

pub mod backup;
pub mod build;
pub mod config;
pub mod content;
pub mod handler;
pub mod html;
pub mod jobs;
pub mod links;
pub mod listener;
pub mod map;
pub mod markdown;
pub mod output;
pub mod posters;
pub mod registration_pages;
pub mod restore;
pub mod run;
pub mod running;
pub mod serve;
pub mod slug;
pub mod statics;
pub mod symlinks;
pub mod templates;
pub mod territory_pages;
