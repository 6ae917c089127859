//! Rebuilds when a migration is added: `embed_migrations!` only sees files it already knows.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
