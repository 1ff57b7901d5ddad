// refinery's `embed_migrations!` reads migrations/ at compile time, but cargo only knows to rebuild
// when Rust sources change: without this line a new migration file is silently left out of an
// incremental build. queries/ is embedded with include_str!, which cargo already tracks.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
